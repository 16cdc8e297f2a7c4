"""The command line as a whole: help, exit codes, failures reported in one line, start-up cost."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import leadqual.errors as lq
from leadqual.cli import ExitCode, app, main
from leadqual.cli.errors import describe

ANSI = re.compile(r"\x1b\[")
COMMANDS = ["process", "emails", "dedupe", "replay", "demo", "version", "score", "config"]


def test_version_prints_a_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", capsys.readouterr().out.strip())


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fly"]) == ExitCode.USAGE == 2
    assert "No such command 'fly'" in capsys.readouterr().err


def test_a_missing_required_option_is_a_usage_error(runner: CliRunner, leads_csv: Path) -> None:
    result = runner.invoke(app, ["process", str(leads_csv)])
    assert result.exit_code == 2
    assert "--config" in result.stderr


@pytest.mark.parametrize("args", [["--help"], *[[c, "--help"] for c in COMMANDS]])
def test_help_is_plain_text_without_markup_or_colour(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, args, env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: ")
    assert not ANSI.search(result.stdout)
    # no rich markup tags, no box drawing
    assert not re.search(r"\[/?(bold|red|green|dim|italic)", result.stdout)
    assert not re.search("[\u2500-\u257f]", result.stdout)


def test_top_level_help_lists_every_command_and_the_exit_codes(runner: CliRunner) -> None:
    out = runner.invoke(app, ["--help"]).stdout
    for command in COMMANDS:
        assert re.search(rf"^  {command}\s", out, re.M), command
    assert "Exit codes: 0 done, 1 bad input or data, 2 usage" in out


# every error the library raises on purpose is bad input or data
ERRORS = [getattr(lq, name) for name in lq.__all__]


def _instance(cls: type[BaseException]) -> BaseException:
    for kwargs in (
        {},
        {"provider": "p"},
        {"table": "leads"},
        {"path": "x.db"},
        {"qualified": 1, "disqualified": 2, "needed": 40},
        {"lead_id": "L-1", "reason": "closed"},
        {"purpose": "web_research"},
        {"url": "http://x", "reason": "private"},
        {"reason": "suppressed"},
        {"seller_id": "S-1"},
        {"found": 3, "supported": 2},
        {"provider": "p", "status_code": 500},
        {"provider": "p", "content_type": "text/html"},
    ):
        try:
            return cls("something is wrong\nsecond line", **kwargs)
        except TypeError:
            continue
    return cls("lead", "L-1")  # RecordNotFound(kind, id)


@pytest.mark.parametrize("cls", ERRORS, ids=[c.__name__ for c in ERRORS])
def test_every_leadqual_error_is_bad_input_in_one_line(cls: type[BaseException]) -> None:
    failure = describe(_instance(cls))
    assert failure is not None
    assert failure.code == ExitCode.BAD_INPUT
    assert failure.kind == cls.__name__
    assert "\n" not in failure.message


def test_os_errors_and_interrupts_have_their_codes() -> None:
    missing = describe(FileNotFoundError(2, "No such file or directory", "x.csv"))
    assert missing is not None and missing.code == 1
    assert missing.message == "cannot use 'x.csv': No such file or directory"
    interrupted = describe(KeyboardInterrupt())
    assert interrupted is not None and interrupted.code == 130
    assert describe(ZeroDivisionError("boom")) is None


def test_a_bug_exits_70_in_one_line_and_shows_its_traceback_on_request(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("leadqual.config.AgentConfig.model_json_schema", broken)
    result = runner.invoke(app, ["config", "schema"])
    assert result.exit_code == ExitCode.INTERNAL == 70
    assert result.stderr.startswith("leadqual: internal error: ZeroDivisionError: boom")
    assert "Traceback" not in result.output
    shown = runner.invoke(app, ["--traceback", "config", "schema"])
    assert isinstance(shown.exception, ZeroDivisionError)


def test_json_mode_prints_the_failure_as_json_on_stderr(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["dedupe", str(tmp_path / "none.csv"), "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    failure = json.loads(result.stderr)
    assert failure["error"] == "ConfigurationError"
    assert failure["exit_code"] == 1
    assert "none.csv" in failure["message"]


def test_version_loads_no_data_science_stack_and_no_provider() -> None:
    code = (
        "import sys\n"
        "from leadqual.cli import main\n"
        "assert main(['version']) == 0\n"
        "heavy = ('pandas', 'numpy', 'sklearn', 'scipy', 'sqlalchemy', 'httpx', 'dns', 'skops')\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & set(heavy))\n"
        "lq = sorted(m for m in sys.modules if m.startswith('leadqual.') and not "
        "m.startswith(('leadqual.cli', 'leadqual.errors')))\n"
        "print(loaded, lq)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip().splitlines()[-1] == "[] []"


def test_the_console_script_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "leadqual", "version"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _commands() -> list[str]:
    from typer.main import get_command

    group = get_command(app)
    names: list[str] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            names += [f"{name} {sub}" for sub in subcommands]
        else:
            names.append(name)
    return names


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_documented_with_an_example(command: str) -> None:
    page = DOCS.read_text(encoding="utf-8")
    top = command.split()[0]
    assert f"## `leadqual {top}" in page or f"`leadqual {top}`" in page
    assert re.search(rf"^\$ leadqual {re.escape(command)}( |$)", page, re.M), command
