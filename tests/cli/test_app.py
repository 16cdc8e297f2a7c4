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


def _table_commands(export: Path, config: Path, tmp_path: Path) -> dict[str, list[str]]:
    """Each command that reads an export, as far as its arguments go."""
    model = tmp_path / "model.lqm"
    return {
        "process": ["process", str(export), "-c", str(config), "--now", "2025-06-30"],
        "dedupe": ["dedupe", str(export)],
        "emails": ["emails", str(export)],
        "score train": [
            *("score", "train", str(export), "-o", str(model)),
            *("--key-file", str(tmp_path / "model.key")),
        ],
        "score evaluate": ["score", "evaluate", str(model), str(export)],
        "score predict": ["score", "predict", str(model), str(export)],
        "config diff": ["config", "diff", str(config), str(config), "--backtest", str(export)],
    }


TABLE_COMMANDS = [
    "process",
    "dedupe",
    "emails",
    "score train",
    "score evaluate",
    "score predict",
    "config diff",
]


@pytest.mark.parametrize("command", TABLE_COMMANDS)
def test_every_command_reading_an_export_refuses_a_bad_delimiter_or_encoding_before_reading(
    command: str, runner: CliRunner, leads_csv: Path, config_file: Path, tmp_path: Path
) -> None:
    args = _table_commands(leads_csv, config_file, tmp_path)[command]
    for option, value, said in (
        ("--delimiter", ";;", "a delimiter is one character"),
        ("--encoding", "klingon", "unknown encoding 'klingon'"),
    ):
        result = runner.invoke(app, [*args, option, value])
        assert result.exit_code == ExitCode.USAGE, result.output
        assert said in result.stderr
    assert not (tmp_path / "model.lqm").exists()


@pytest.mark.parametrize("command", ["process", "dedupe", "score train", "config diff"])
def test_every_command_reading_leads_writes_its_row_problems_where_asked(
    command: str, runner: CliRunner, leads_csv: Path, config_file: Path, tmp_path: Path
) -> None:
    problems = tmp_path / "problems.csv"
    args = _table_commands(leads_csv, config_file, tmp_path)[command]
    runner.invoke(app, [*args, "--problems", str(problems), "--quiet"])
    lines = problems.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,column,value,reason,skipped"
    # row 7's date is not one: every command reads the file the same way and says so
    assert any(line.startswith("7,") for line in lines[1:]), lines


@pytest.mark.parametrize("command", ["process", "dedupe", "score train", "config diff"])
def test_preset_and_mapping_together_are_a_usage_error_everywhere(
    command: str, runner: CliRunner, leads_csv: Path, config_file: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns: {id: Id}\n", encoding="utf-8")
    args = _table_commands(leads_csv, config_file, tmp_path)[command]
    result = runner.invoke(app, [*args, "--preset", "hubspot", "--mapping", str(mapping)])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "give --preset or --mapping, not both" in result.stderr


def test_emails_takes_no_preset_or_mapping(runner: CliRunner, leads_csv: Path) -> None:
    result = runner.invoke(app, ["emails", str(leads_csv), "--preset", "hubspot"])
    assert result.exit_code == ExitCode.USAGE
    assert "No such option: --preset" in result.stderr
