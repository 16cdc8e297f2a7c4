"""Cells written to attack whoever opens the output: a spreadsheet (formulas) or a terminal
(escape sequences, markup, bidirectional overrides, line breaks)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from leadqual.cli import app
from leadqual.cli.output import json_text, neutralize_cell, sanitize, write_csv

from .conftest import NOW

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FORMULA = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _process(runner: CliRunner, hostile_csv: Path, config_file: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app, ["process", str(hostile_csv), "-c", str(config_file), "--now", NOW, *args]
    )


def test_csv_out_neutralises_formulas(
    runner: CliRunner, hostile_csv: Path, config_file: Path
) -> None:
    result = _process(runner, hostile_csv, config_file, "--csv", "-")
    assert result.exit_code == 0, result.output
    rows = {r["lead_id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["H-1"]["name"] == "'=cmd|' /C calc'!A0 Formula"
    assert rows["H-1"]["company"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert rows["H-3"]["company"] == "'-2+3"
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(FORMULA), value


def test_csv_out_shows_control_characters_escaped(
    runner: CliRunner, hostile_csv: Path, config_file: Path
) -> None:
    result = _process(runner, hostile_csv, config_file, "--csv", "-")
    assert not RAW_CONTROL.search(result.stdout.replace("\r\n", "\n"))
    rows = {r["lead_id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    # the reader drops C0 controls (ESC, BEL) and C1 ones (CSI); bidirectional overrides reach
    # the command, which writes them escaped
    assert rows["H-2"]["name"] == "Eve[31m]8;;http://evil.exampleRed Escape"
    assert rows["H-3"]["name"] == "Mallory \\u202eevil\\u202c"
    assert rows["H-4"]["name"] == "Trudy Csi31mLast"


def test_the_problems_file_escapes_the_bad_cell(
    runner: CliRunner, hostile_csv: Path, config_file: Path
) -> None:
    result = _process(runner, hostile_csv, config_file, "--problems", "-", "-q")
    assert result.exit_code == 0, result.output
    # (the runner reads the CRLF row ends as \n)
    assert "row,column,value,reason,skipped\n6,Created On,soon2J,not a date,True\n" in (
        result.stdout
    )
    assert not RAW_CONTROL.search(result.stdout)


def test_the_screen_never_gets_raw_escapes_or_reads_markup(
    runner: CliRunner, hostile_csv: Path, config_file: Path
) -> None:
    # a terminal: rich would colour and read markup if it were asked to
    result = runner.invoke(
        app,
        ["process", str(hostile_csv), "-c", str(config_file), "--now", NOW],
        env={"TTY_COMPATIBLE": "1", "FORCE_COLOR": "1", "COLUMNS": "300"},
    )
    assert result.exit_code == 0, result.output
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)  # rich's own styling, if any
    assert not RAW_CONTROL.search(text)
    assert re.search(r"^#\d Eve\[31m\]8;;http://evil\.exampleRed Escape ", text, re.M)
    assert "#1 Trudy Csi31mLast (Acme)" in text
    assert "(<script>alert(1)</script>)" in text  # shown as text, not interpreted
    assert "Mallory \\u202eevil\\u202c" in text
    # a line break in a cell cannot start a line of its own
    assert not any(line.startswith("Injected line") for line in text.splitlines())


def test_markup_in_a_cell_is_shown_as_written_in_tables(runner: CliRunner, tmp_path: Path) -> None:
    export = tmp_path / "markup.csv"
    export.write_text(
        "Id,First Name,Last Name,Email\n"
        'M-1,[bold red]Boss[/bold red],"[link=http://evil.example]x[/link]",boss@contoso.com\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["emails", str(export)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "boss@contoso.com" in result.stdout
    dedupe = runner.invoke(app, ["dedupe", str(export), "--json"])
    assert dedupe.exit_code == 0


def test_json_out_escapes_every_control_character(
    runner: CliRunner, hostile_csv: Path, config_file: Path
) -> None:
    result = _process(runner, hostile_csv, config_file, "--json")
    assert result.exit_code == 0, result.output
    assert not RAW_CONTROL.search(result.stdout)
    assert "Csi31mLast" in result.stdout
    out = json.loads(result.stdout)
    names = {e["lead_id"]: e["name"] for e in out["leads"]}
    # the data itself is intact once parsed
    assert names["H-4"] == "Trudy Csi31mLast"  # the C1 control removed on reading
    assert names["H-3"] == "Mallory \u202eevil\u202c"
    assert out["problems"][0]["value"] == "soon2J"


def test_errors_naming_a_hostile_column_do_not_reach_the_terminal_raw(
    runner: CliRunner, tmp_path: Path
) -> None:
    export = tmp_path / "header.csv"
    export.write_text("Id,Email\x1b[2J\nA-1,a@contoso.com\n", encoding="utf-8")
    result = runner.invoke(app, ["emails", str(export), "--column", "Mail\x1b[2J"])
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr
    assert "\\x1b[2J" in result.stderr


@given(st.text())
def test_no_neutralised_cell_can_start_a_formula(value: str) -> None:
    cell = neutralize_cell(value)
    assert isinstance(cell, str)
    assert cell == value or cell == "'" + value
    if cell.startswith(FORMULA):
        # only plain numbers keep their sign
        assert re.fullmatch(r"[+-]?\d[\d ().,/-]*", cell)


@given(st.text())
def test_sanitised_text_has_no_control_character_and_one_line(value: str) -> None:
    shown = sanitize(value)
    assert not RAW_CONTROL.search(shown)
    assert "\n" not in shown and "\t" not in shown


@given(st.lists(st.text(), max_size=5))
def test_csv_and_json_round_trip_what_they_do_not_escape(values: list[str]) -> None:
    buffer = io.StringIO()
    rows = [{"v": v} for v in values]
    write_csv(rows, ["v"], buffer)
    back = [r["v"] for r in csv.DictReader(io.StringIO(buffer.getvalue()))]
    assert len(back) == len(values)
    for original, written in zip(values, back, strict=True):
        if not RAW_CONTROL.search(original.replace("\r", "")) and not original.startswith(FORMULA):
            assert written == original
    assert json.loads(json_text(values)) == values
    assert not RAW_CONTROL.search(json_text(values))


@pytest.mark.parametrize(
    "value",
    ["+49 30 1234567", "-5", "-3.5", "+1 (425) 555-0100", "2025-06-30"],
)
def test_plain_numbers_keep_their_sign(value: str) -> None:
    assert neutralize_cell(value) == value
