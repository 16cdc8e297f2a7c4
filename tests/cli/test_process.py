"""``leadqual process``: an export through the agent to the prioritised list."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadqual.cli import app
from leadqual.cli.commands.process import COLUMNS

from .conftest import NOW


def _run(runner: CliRunner, *args: object, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args], env=env)


def test_json_lists_the_ranked_leads_with_reasons_and_reports_the_bad_row(
    runner: CliRunner, leads_csv: Path, config_file: Path
) -> None:
    result = _run(runner, "process", leads_csv, "-c", config_file, "--now", NOW, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    leads = out["leads"]
    # L-5 is qualified (not selected), L-6's row is skipped, L-7 folds L-1 (same person)
    assert [e["lead_id"] for e in leads] == ["L-7", "L-2", "L-4", "L-3"]
    assert [e["rank"] for e in leads] == [1, 2, 3, 4]
    assert leads[0]["duplicates"] == ["L-1"]
    assert all(e["why"].startswith(f"#{e['rank']} of 4") for e in leads)
    assert list(leads[0]) == list(COLUMNS)
    assert leads[0]["icp_tier"] == "High" and leads[-1]["icp_tier"] == "Low"
    # the unreadable row is in the JSON and on stderr, with its row number and column
    assert out["problems"] == [
        {
            "row": 7,
            "column": "Created On",
            "value": "not a date",
            "reason": "not a date",
            "skipped": True,
        }
    ]
    assert "row 7, column 'Created On': not a date (row skipped)" in result.stderr
    assert out["summary"]["rows"] == 7 and out["summary"]["skipped_rows"] == 1
    assert out["summary"]["processed"] == 5


def test_the_screen_shows_each_entry_with_next_action_and_why(
    runner: CliRunner, leads_csv: Path, config_file: Path
) -> None:
    result = _run(runner, "process", leads_csv, "-c", config_file, "--now", NOW, "--limit", 2)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "The prioritised list: 2 leads"
    assert "#1 Ada Lovelace (Contoso Bank) [L-7]: Warm, fit 100" in lines
    assert "   same person as: L-1" in lines
    assert not any(line.startswith("#3 ") for line in lines)
    assert "   why:  #2 of 4: " in result.stdout
    # notes on stderr, not on stdout
    assert "mapping guessed" in result.stderr and "mapping guessed" not in result.stdout


def test_seller_gets_only_their_own_leads_ranked_among_themselves(
    runner: CliRunner, leads_csv: Path, config_file: Path
) -> None:
    result = _run(
        runner,
        "process",
        leads_csv,
        "-c",
        config_file,
        "--now",
        NOW,
        "--seller",
        "Lee Owner",
        "--json",
    )
    assert result.exit_code == 0, result.output
    leads = json.loads(result.stdout)["leads"]
    assert [e["lead_id"] for e in leads] == ["L-4", "L-3"]
    assert {e["owner_id"] for e in leads} == {"Lee Owner"}
    assert leads[0]["why"].startswith("#1 of 2")


def test_an_unknown_seller_is_bad_input_naming_the_owners(
    runner: CliRunner, leads_csv: Path, config_file: Path
) -> None:
    result = _run(runner, "process", leads_csv, "-c", config_file, "--seller", "Nobody")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "leadqual: ValidationFailed: no lead in leads.csv is owned by 'Nobody'; owners: "
        "'Lee Owner', 'Sam Seller'"
    )


def test_csv_out_has_the_documented_columns(
    runner: CliRunner, leads_csv: Path, config_file: Path, tmp_path: Path
) -> None:
    target = tmp_path / "ranked.csv"
    result = _run(
        runner, "process", leads_csv, "-c", config_file, "--now", NOW, "--csv", target, "-q"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert list(rows[0]) == list(COLUMNS)
    assert [r["lead_id"] for r in rows] == ["L-7", "L-2", "L-4", "L-3"]
    assert rows[0]["duplicates"] == "L-1"
    # the table is still shown, the note is not (quiet), the row problem still is
    assert "The prioritised list: 4 leads" in result.stdout
    assert "mapping guessed" not in result.stderr
    assert "row 7" in result.stderr


def test_csv_to_stdout_is_only_csv(runner: CliRunner, leads_csv: Path, config_file: Path) -> None:
    result = _run(runner, "process", leads_csv, "-c", config_file, "--now", NOW, "--csv", "-")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 4


def test_json_and_csv_to_stdout_together_is_a_usage_error(
    runner: CliRunner, leads_csv: Path, config_file: Path
) -> None:
    result = _run(runner, "process", leads_csv, "-c", config_file, "--csv", "-", "--json")
    assert result.exit_code == 2


def test_strict_refuses_a_file_with_unreadable_rows(
    runner: CliRunner, leads_csv: Path, config_file: Path, tmp_path: Path
) -> None:
    problems = tmp_path / "problems.csv"
    result = _run(
        runner, "process", leads_csv, "-c", config_file, "--strict", "--problems", problems
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "1 rows of leads.csv could not be read (--strict)" in result.stderr
    rows = list(csv.DictReader(io.StringIO(problems.read_text(encoding="utf-8"))))
    assert rows == [
        {
            "row": "7",
            "column": "Created On",
            "value": "not a date",
            "reason": "not a date",
            "skipped": "True",
        }
    ]


def test_many_problems_are_cut_on_stderr_and_kept_whole_in_the_problems_file(
    runner: CliRunner, config_file: Path, tmp_path: Path
) -> None:
    export = tmp_path / "bad.csv"
    lines = ["Id,First Name,Last Name,Created On"]
    lines += [f"B-{k},Ann,Lee{k},day {k}" for k in range(30)]
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run(runner, "process", export, "-c", config_file, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["leads"] == []
    assert len(json.loads(result.stdout)["problems"]) == 30
    assert "0 of 30 rows read; 30 rows skipped" in result.stderr
    assert "... and 10 more: --problems FILE writes them all" in result.stderr
    target = tmp_path / "p.csv"
    _run(runner, "process", export, "-c", config_file, "--problems", target, "-q")
    assert len(list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))) == 30


def _one_line_error(result, kind: str) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"leadqual: {kind}: ")
    return str(lines[0])


def test_a_missing_file_is_one_line(runner: CliRunner, config_file: Path, tmp_path: Path) -> None:
    result = _run(runner, "process", tmp_path / "nope.csv", "-c", config_file)
    assert "no such file" in _one_line_error(result, "ConfigurationError")


def test_a_wrong_delimiter_is_one_line(
    runner: CliRunner, config_file: Path, tmp_path: Path
) -> None:
    export = tmp_path / "semi.csv"
    export.write_text("Vorname;Nachname;Firma\nAda;Lovelace;Contoso\n", encoding="utf-8")
    result = _run(runner, "process", export, "-c", config_file, "--delimiter", ",")
    line = _one_line_error(result, "ValidationFailed")
    assert "looks ';'-separated" in line


def test_a_wrong_encoding_is_one_line(runner: CliRunner, config_file: Path, tmp_path: Path) -> None:
    export = tmp_path / "latin.csv"
    export.write_bytes(b"First Name,Last Name,Company\nJ\xfcrgen,M\xfcller,B\xe4ckerei\n")
    result = _run(runner, "process", export, "-c", config_file, "--encoding", "utf-8")
    line = _one_line_error(result, "ValidationFailed")
    assert "cannot be read as CSV" in line


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--encoding", "klingon", "unknown encoding 'klingon'"),
        ("--delimiter", ";;", "a delimiter is one character, not ';;'"),
        ("--delimiter", "", "a delimiter is one character, not ''"),
    ],
)
def test_an_unknown_encoding_or_a_long_delimiter_is_a_usage_error(
    runner: CliRunner, config_file: Path, leads_csv: Path, option: str, value: str, message: str
) -> None:
    result = _run(runner, "process", leads_csv, "-c", config_file, option, value)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr


def test_a_guessed_encoding_is_a_warning_and_the_letters_load(
    runner: CliRunner, config_file: Path, tmp_path: Path
) -> None:
    export = tmp_path / "latin.csv"
    export.write_bytes(
        b"Id,First Name,Last Name,Company,Created On\nX-1,J\xfcrgen,M\xfcller,B\xe4ckerei,2025-06-01\n"
    )
    result = _run(runner, "process", export, "-c", config_file, "--now", NOW, "--json", "-q")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["leads"][0]["name"] == "Jürgen Müller"
    assert "warning: latin.csv is not UTF-8: read as Windows-1252" in result.stderr


def test_a_mapping_to_a_missing_column_is_one_line(
    runner: CliRunner, config_file: Path, leads_csv: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  first_name: Vorname\n  last_name: Last Name\n")
    result = _run(runner, "process", leads_csv, "-c", config_file, "--mapping", mapping)
    line = _one_line_error(result, "ConfigurationError")
    assert "reads first_name from the column 'Vorname', which" in line
    assert "leads.csv' does not have" in line


def test_a_mapping_file_that_does_not_validate_names_the_field(
    runner: CliRunner, config_file: Path, leads_csv: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  first_name: First Name\ntimezone: Mars/Olympus\n")
    result = _run(runner, "process", leads_csv, "-c", config_file, "--mapping", mapping)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert (
        lines[0]
        == f"leadqual: ValidationFailed: {mapping} is not a valid LeadMapping: 1 field to fix"
    )
    assert lines[1].startswith("  timezone: ")
    assert "unknown time zone 'Mars/Olympus'" in lines[1]
    mapping.write_text("columns:\n  frist_name: First Name\n")
    result = _run(runner, "process", leads_csv, "-c", config_file, "--mapping", mapping)
    assert result.exit_code == 1
    assert "Lead has no field 'frist_name'; did you mean 'first_name'" in result.stderr


def test_a_bad_config_names_each_field(runner: CliRunner, leads_csv: Path, tmp_path: Path) -> None:
    bad = tmp_path / "agent.yaml"
    bad.write_text("company:\n  name: Acme\nproducts: []\nrefresh:\n  research_every_days: 0\n")
    result = _run(runner, "process", leads_csv, "-c", bad)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"leadqual: ValidationFailed: {bad} is not a valid AgentConfig: 2 fields to fix",
        "  products: Tuple should have at least 1 item after validation, not 0",
        "  refresh.research_every_days: Input should be greater than or equal to 1",
    ]


def test_preset_and_mapping_together_is_a_usage_error(
    runner: CliRunner, leads_csv: Path, config_file: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns: {}\n")
    result = _run(
        runner, "process", leads_csv, "-c", config_file, "--preset", "hubspot", "--mapping", mapping
    )
    assert result.exit_code == 2


def test_a_bad_now_is_a_usage_error(runner: CliRunner, leads_csv: Path, config_file: Path) -> None:
    result = _run(runner, "process", leads_csv, "-c", config_file, "--now", "yesterday")
    assert result.exit_code == 2
    assert "'yesterday' is not an ISO 8601 date or time" in result.stderr


def test_a_store_keeps_insights_so_a_second_run_reuses_them(
    runner: CliRunner, leads_csv: Path, config_file: Path, tmp_path: Path
) -> None:
    store = tmp_path / "insights.db"
    first = _run(
        runner, "process", leads_csv, "-c", config_file, "--now", NOW, "--store", store, "--json"
    )
    again = _run(
        runner,
        "process",
        leads_csv,
        "-c",
        config_file,
        "--now",
        NOW,
        "--store",
        f"sqlite:///{store}",
        "--json",
    )
    assert first.exit_code == again.exit_code == 0, again.output
    assert json.loads(first.stdout)["summary"]["processed"] == 5
    summary = json.loads(again.stdout)["summary"]
    assert (summary["processed"], summary["unchanged"]) == (0, 5)
    assert json.loads(first.stdout)["leads"] == json.loads(again.stdout)["leads"]


def test_a_store_that_is_not_a_database_is_one_line(
    runner: CliRunner, leads_csv: Path, config_file: Path, tmp_path: Path
) -> None:
    store = tmp_path / "notes.db"
    store.write_bytes(b"this is not sqlite" * 100)
    result = _run(runner, "process", leads_csv, "-c", config_file, "--store", store)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("leadqual: Store")


def test_progress_is_drawn_on_a_terminal_and_not_with_quiet(
    runner: CliRunner, leads_csv: Path, config_file: Path
) -> None:
    terminal = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "100"}
    shown = _run(runner, "process", leads_csv, "-c", config_file, "--now", NOW, env=terminal)
    assert shown.exit_code == 0, shown.output
    assert "Qualifying leads" in shown.stderr
    quiet = _run(runner, "process", leads_csv, "-c", config_file, "--now", NOW, "-q", env=terminal)
    assert "Qualifying leads" not in quiet.stderr
    assert "Reading" not in quiet.stderr
    # a pipe gets no progress either
    piped = _run(runner, "process", leads_csv, "-c", config_file, "--now", NOW)
    assert "Qualifying leads" not in piped.stderr


@pytest.mark.parametrize("flag", ["--json", "--csv"])
def test_personal_data_is_not_logged_at_info(
    runner: CliRunner,
    leads_csv: Path,
    config_file: Path,
    caplog: pytest.LogCaptureFixture,
    flag: str,
) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="leadqual")
    args = [flag] if flag == "--json" else [flag, "-"]
    result = _run(runner, "process", leads_csv, "-c", config_file, "--now", NOW, *args)
    assert result.exit_code == 0, result.output
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    for personal in ("Lovelace", "ada.lovelace@contoso.com", "Turing", "grace@gmail.com"):
        assert personal not in logged


def test_the_configurations_providers_section_runs_and_an_override_reaches_the_loader(
    runner: CliRunner, leads_csv: Path, tmp_path: Path
) -> None:
    from leadqual.sources import load_sample_config
    from leadqual.store import SqlInsightStore

    config = load_sample_config().replace(providers={"use": [{"name": "sample"}]})
    path = tmp_path / "agent.yaml"
    path.write_text(config.to_yaml(), encoding="utf-8")
    store = tmp_path / "insights.db"
    result = _run(runner, "process", leads_csv, "-c", path, "--now", NOW, "--store", store, "-q")
    assert result.exit_code == 0, result.output
    with SqlInsightStore.sqlite(str(store)) as kept:
        insight = kept.latest("L-2")
        assert insight is not None
        status = insight.research.status("sample")
        # the configured provider was asked (the sample knows nothing of this export's company)
        assert status is not None and status.state in ("ok", "empty")
    # an override naming a package nobody installed is refused when the providers are built
    wrong = config.replace(providers={"use": [{"name": "sample"}], "overrides": {"sample": "nope"}})
    path.write_text(wrong.to_yaml(), encoding="utf-8")
    refused = _run(runner, "process", leads_csv, "-c", path, "--now", NOW, "-q")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1].startswith(
        "leadqual: PluginError: overrides names 'nope'"
    )
