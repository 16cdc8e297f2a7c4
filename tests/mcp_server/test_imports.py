"""The MCP SDK is an optional extra: nothing imports it until a server is built, and without it
the error says how to install it."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def _modules_after(code: str) -> set[str]:
    done = _run(f"{code}\nimport sys\nprint(' '.join(sys.modules))")
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


SDK = {"mcp", "mcp_types", "starlette", "uvicorn"}


def test_importing_leadqual_or_its_mcp_package_loads_neither_the_sdk_nor_the_agent() -> None:
    assert not SDK & _modules_after("import leadqual")
    loaded = _modules_after("import leadqual.mcp")
    assert not SDK & loaded
    assert "leadqual.agent" not in loaded


def test_the_version_command_does_not_load_the_sdk() -> None:
    loaded = _modules_after(
        "import contextlib, io\nfrom leadqual.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    main(['version'])"
    )
    assert not SDK & loaded


def test_a_server_name_without_the_extra_says_how_to_install_it() -> None:
    done = _run(
        "import sys\nsys.modules['mcp_types'] = None\nsys.modules['mcp'] = None\n"
        "try:\n    from leadqual.mcp import serve\n"
        "except ImportError as err:\n    print(err)\n"
    )
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.strip() == "leadqual.mcp.serve needs the MCP SDK: pip install 'leadqual[mcp]'"
    )


def test_an_unknown_name_is_an_attribute_error() -> None:
    done = _run("import leadqual.mcp\nprint(hasattr(leadqual.mcp, 'serv'))")
    assert done.stdout.strip() == "False"
