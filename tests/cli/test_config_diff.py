"""``leadqual config diff OLD NEW [--backtest HISTORY]``: the fields that changed and what the
change would have done to historical leads, against :func:`leadqual.agent.diff_configs`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from leadqual.agent import diff_configs
from leadqual.cli import app
from leadqual.config import AgentConfig, config_changes
from leadqual.sources import load_sample_config
from leadqual.sources.tabular import LoadResult, iter_lead_batches

NOW = "2026-11-01T12:00:00+00:00"


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, AgentConfig]:
    """The sample configuration, and the same without its first hand-raiser segment and with
    a shorter research refresh."""
    folder = tmp_path_factory.mktemp("diff")
    old = load_sample_config()
    new = old.replace(handraisers=old.handraisers[1:], refresh={"research_every_days": 3})
    (folder / "old.yaml").write_text(old.to_yaml(), encoding="utf-8")
    (folder / "new.yaml").write_text(new.to_yaml(), encoding="utf-8")
    return folder / "old.yaml", folder / "new.yaml", new


def _invoke(runner: CliRunner, *args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["config", "diff", *(str(a) for a in args)])


def test_without_history_every_changed_field_is_a_line(
    runner: CliRunner, configs: tuple[Path, Path, AgentConfig]
) -> None:
    old, new, _ = configs
    result = _invoke(runner, old, new)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{old} -> {new}: 2 field change(s)"
    assert "  refresh.research_every_days: 7 -> 3" in lines
    assert any(
        line.startswith("  handraisers[Marketing campaign and web form]: removed") for line in lines
    )
    # no backtest without a history
    assert "leads (" not in result.stdout


def test_the_same_file_twice_is_the_same_and_exits_zero(
    runner: CliRunner, configs: tuple[Path, Path, AgentConfig]
) -> None:
    old, _, _ = configs
    result = _invoke(runner, old, old, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["same"] is True and out["changes"] == [] and out["backtest"] is None
    screen = _invoke(runner, old, old)
    assert "the configurations are the same" in screen.stdout


def test_json_changes_are_config_changes(
    runner: CliRunner, configs: tuple[Path, Path, AgentConfig]
) -> None:
    old, new, new_config = configs
    out = json.loads(_invoke(runner, old, new, "--json").stdout)
    expected = config_changes(load_sample_config(), new_config)
    assert out["changes"] == [c.model_dump(mode="json") for c in expected]
    assert out["same"] is False


def test_backtest_figures_are_the_library_s_on_the_same_leads(
    runner: CliRunner, configs: tuple[Path, Path, AgentConfig], history_files: tuple[Path, Path]
) -> None:
    old, new, new_config = configs
    history = history_files[0]
    result = _invoke(
        runner, old, new, "--backtest", history, "--now", NOW, "--top", 5, "--json", "-q"
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    when = datetime.fromisoformat(NOW)
    leads = LoadResult.combine(list(iter_lead_batches(history, now=when))).records
    expected = diff_configs(load_sample_config(), new_config, leads, now=when, top_n=5)
    assert expected.backtest is not None
    assert out["backtest"] == expected.backtest.model_dump(mode="json")
    assert out["history"]["leads"] == len(leads) == out["backtest"]["leads"]
    # dropping a hand-raiser segment loses hand-raisers: the backtest must see it
    assert out["backtest"]["handraisers_after"] < out["backtest"]["handraisers_before"]
    assert out["backtest"]["top"]["n"] == 5


def test_backtest_on_screen_shows_the_summary_and_at_most_limit_leads(
    runner: CliRunner, configs: tuple[Path, Path, AgentConfig], history_files: tuple[Path, Path]
) -> None:
    old, new, _ = configs
    result = _invoke(runner, old, new, "--backtest", history_files[0], "--now", NOW, "--limit", 2)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(" leads (" in line and " closed, " in line for line in lines)
    assert any(line.startswith("  hand-raisers ") for line in lines)
    lead_lines = [line for line in lines if line.startswith("  L-")]
    assert len(lead_lines) == 2
    assert any(line.startswith("  ... and ") and line.endswith(" more leads") for line in lines)
    # notes (the guessed mapping) go to stderr only
    assert "mapping guessed" in result.stderr and "mapping guessed" not in result.stdout


def test_an_invalid_new_configuration_is_bad_input_naming_its_fields(
    runner: CliRunner, configs: tuple[Path, Path, AgentConfig], tmp_path: Path
) -> None:
    old, _, _ = configs
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        load_sample_config().to_yaml().replace("research_every_days: 7", "research_every_days: 0"),
        encoding="utf-8",
    )
    result = _invoke(runner, old, bad)
    assert result.exit_code == 1
    assert "refresh.research_every_days" in result.stderr
    assert result.stdout == ""


def test_a_history_row_repeating_a_lead_is_reported_and_left_out(
    runner: CliRunner, configs: tuple[Path, Path, AgentConfig], history_files: tuple[Path, Path]
) -> None:
    old, new, _ = configs
    frame = pd.read_csv(history_files[0])
    twice = history_files[0].parent / "twice.csv"
    pd.concat([frame, frame.head(1)]).to_csv(twice, index=False)
    result = _invoke(runner, old, new, "--backtest", twice, "--now", NOW, "--json", "-q")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["backtest"]["leads"] == len(frame) == out["history"]["leads"]
    assert out["history"]["skipped_rows"] == 1
    [problem] = out["history"]["problems"]
    assert (problem["row"], problem["column"], problem["skipped"]) == (len(frame) + 2, "Id", True)
    assert f"row {len(frame) + 2}, column 'Id'" in result.stderr
    strict = _invoke(runner, old, new, "--backtest", twice, "--now", NOW, "--strict", "-q")
    assert strict.exit_code == 1 and strict.stdout == ""


@pytest.mark.parametrize("args", [["--top", "0"], ["--horizon-days", "-1"], ["--limit", "-3"]])
def test_out_of_range_numbers_are_usage_errors(
    runner: CliRunner, configs: tuple[Path, Path, AgentConfig], args: list[str]
) -> None:
    old, new, _ = configs
    assert _invoke(runner, old, new, *args).exit_code == 2


def test_a_lead_id_with_escape_codes_is_shown_escaped(
    runner: CliRunner, configs: tuple[Path, Path, AgentConfig], history_files: tuple[Path, Path]
) -> None:
    old, new, _ = configs
    frame = pd.read_csv(history_files[0])
    frame["Lead Source"] = "Web form"  # every lead a hand-raiser the new configuration drops
    frame.loc[0, "Id"] = "L-\x1b[2J\x9b2J\x1b]0;pwned\x07"
    hostile = history_files[0].parent / "hostile_history.csv"
    frame.to_csv(hostile, index=False)
    result = _invoke(runner, old, new, "--backtest", hostile, "--now", NOW, "--limit", 1000)
    assert result.exit_code == 0, result.output
    # control characters, C0 (ESC, BEL) and C1 (CSI), never reach the terminal
    assert not any(c in result.stdout for c in "\x1b\x07\x9b")
    assert "L-[2J2J]0;pwned " in result.stdout
