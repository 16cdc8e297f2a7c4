"""``leadqual mcp``: the MCP server from the command line, over stdio and streamable HTTP, talked
to with the SDK's own client in a subprocess; its usage errors without starting anything."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from typer.testing import CliRunner

from leadqual.cli import app

from .conftest import NOW

mcp = pytest.importorskip("mcp")
from mcp import Client, StdioServerParameters, stdio_client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp_types import CallToolResult, TextContent  # noqa: E402

from leadqual.mcp import TOOLS  # noqa: E402

READ_TOOLS = [t.name for t in TOOLS if not t.writes]


def _text(result: CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def _data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, _text(result)
    assert result.structured_content is not None
    return dict(result.structured_content)


def _stdio(args: list[str], scenario: Any) -> Any:
    params = StdioServerParameters(command=sys.executable, args=["-m", "leadqual", "mcp", *args])

    async def main() -> Any:
        with tempfile.TemporaryFile("w+") as errlog:
            async with Client(
                stdio_client(params, errlog=errlog), read_timeout_seconds=120
            ) as client:
                return await scenario(client)

    return anyio.run(main)


def test_stdio_serves_the_sample_for_one_seller_read_only() -> None:
    async def scenario(client: Client) -> dict[str, Any]:
        return {
            "tools": [t.name for t in (await client.list_tools()).tools],
            "listed": _data(await client.call_tool("prioritized_leads", {"limit": 50})),
            "foreign": await client.call_tool("get_lead_summary", {"lead_id": "L-0202"}),
            "write": await client.call_tool("qualify_lead", {"lead_id": "L-0171"}),
        }

    out = _stdio(["--seller", "S-01", "--no-train"], scenario)
    assert out["tools"] == READ_TOOLS
    assert out["listed"]["seller_id"] == "S-01" and out["listed"]["total"] > 0
    assert out["foreign"].is_error  # another seller's lead
    assert out["write"].is_error and "read-only" in _text(out["write"])


def test_stdio_with_allow_writes_offers_qualify_lead() -> None:
    async def scenario(client: Client) -> list[str]:
        return [t.name for t in (await client.list_tools()).tools]

    tools = _stdio(["--seller", "S-01", "--no-train", "--no-activate", "--allow-writes"], scenario)
    assert sorted(tools) == sorted([*READ_TOOLS, "qualify_lead"])


def test_stdio_serves_a_csv_export_through_the_tabular_source(
    leads_csv: Path, config_file: Path
) -> None:
    # an export's owners are its sellers: Lee Owner sees L-3 and L-4, never Sam Seller's leads
    async def scenario(client: Client) -> dict[str, Any]:
        return {
            "listed": _data(await client.call_tool("prioritized_leads", {"limit": 50})),
            "own": _data(await client.call_tool("get_lead_summary", {"lead_id": "L-3"})),
            "foreign": await client.call_tool("get_lead_summary", {"lead_id": "L-1"}),
        }

    args = [
        "--seller",
        "Lee Owner",
        "--source",
        "tabular",
        "--source-option",
        f"leads={leads_csv}",
        "--source-option",
        "seller_roles=Salesperson",
        "--config",
        str(config_file),
        "--now",
        NOW,
        "--no-check-deliverability",
        "--activate",
    ]
    out = _stdio(args, scenario)
    assert {e["lead_id"] for e in out["listed"]["entries"]} == {"L-3", "L-4"}
    assert out["own"]["lead_id"] == "L-3"
    assert out["foreign"].is_error


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_http_serves_each_token_as_its_seller(tmp_path: Path) -> None:
    import httpx2

    s01, s04 = "s01-" + "a" * 28, "s04-" + "b" * 28
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(f"# seller tokens\n{s01} S-01\n{s04} S-04\n", encoding="utf-8")
    port = _free_port()
    command = [sys.executable, "-m", "leadqual", "mcp", "--transport", "http", "--port", str(port)]
    command += ["--tokens", str(tokens), "--no-train"]
    with tempfile.TemporaryFile("w+") as errlog:
        server = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errlog, stdin=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                assert server.poll() is None, "the server stopped"
                assert time.monotonic() < deadline, "the server did not start"
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)

            async def as_seller(token: str) -> dict[str, Any]:
                headers = {"Authorization": f"Bearer {token}"}
                async with (
                    httpx2.AsyncClient(headers=headers) as http,
                    Client(
                        streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)
                    ) as client,
                ):
                    return _data(await client.call_tool("prioritized_leads", {"limit": 5}))

            async def refused() -> int:
                async with httpx2.AsyncClient() as http:
                    answer = await http.post(f"http://127.0.0.1:{port}/mcp", json={})
                    return answer.status_code

            assert anyio.run(as_seller, s01)["seller_id"] == "S-01"
            assert anyio.run(as_seller, s04)["seller_id"] == "S-04"
            assert anyio.run(refused) == 401
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=30)
            out = server.stdout.read() if server.stdout else b""
            if server.stdout:
                server.stdout.close()
    assert out == b""  # nothing but the protocol, and over HTTP no protocol on stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--seller is required with stdio"),
        (["--seller", "S-01", "--tokens", "t.txt"], "--tokens is for --transport http"),
        (["--seller", "S-01", "--source-option", "path=x.db"], "needs --source"),
        (["--seller", "S-01", "--source", "sqlite", "--source-option", "nokey"], "KEY=VALUE"),
        (
            [
                *("--seller", "S-01", "--source", "sqlite", "-c", "a.yaml"),
                *("--source-option", "path=a", "--source-option", "path=b"),
            ],
            "given twice",
        ),
        (["--seller", "S-01", "--transport", "carrier-pigeon"], "carrier-pigeon"),
        (["--seller", "S-01", "--port", "70000"], "65535"),
        (["--seller", "S-01", "--now", "yesterday"], "ISO 8601"),
    ],
)
def test_usage_errors_exit_2_before_anything_starts(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["mcp", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_an_unknown_source_or_a_source_without_a_configuration_is_bad_input(
    tmp_path: Path, config_file: Path
) -> None:
    runner = CliRunner()
    unknown = runner.invoke(
        app, ["mcp", "--seller", "S-01", "--source", "nosuchcrm", "-c", str(config_file)]
    )
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("leadqual: PluginError: no CRM source named 'nosuchcrm'")
    bare = runner.invoke(app, ["mcp", "--seller", "S-01", "--source", "sqlite"])
    assert bare.exit_code == 1 and "--config is required" in bare.stderr
    for body in (b"onlytoken\n", b"\xff\xfe\x00bad"):
        bad = tmp_path / "tokens.txt"
        bad.write_bytes(body)
        result = runner.invoke(app, ["mcp", "--transport", "http", "--tokens", str(bad)])
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("leadqual: ConfigurationError: ")
        assert "Traceback" not in result.output


def test_a_seller_not_in_the_crm_does_not_start_the_server() -> None:
    result = CliRunner().invoke(app, ["mcp", "--seller", "S-404", "--no-train", "--no-activate"])
    assert result.exit_code == 1
    assert "S-404" in result.stderr and result.stderr.startswith("leadqual: ")


def test_without_the_extra_the_command_says_how_to_install_it() -> None:
    code = (
        "import sys\n"
        "sys.modules['mcp'] = None\n"  # an environment without the extra
        "from leadqual.cli import main\n"
        "sys.exit(main(['mcp', '--seller', 'S-01']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 1, done.stderr
    assert "pip install 'leadqual[mcp]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
