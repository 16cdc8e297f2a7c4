"""CSV files are split into cells by pyarrow's streaming reader, and pandas' C parser reads on
from the first line Arrow cannot vouch for. Both readers must give the same chunks (cells,
column names, row numbers, bad lines) on every file, hostile ones first; the columnar import
over Arrow's cells must equal the per-row import over pandas' cells; and the shortcuts taken on
Arrow strings (common date shapes, one read per distinct cell) must read each cell as the
general path reads it."""

from __future__ import annotations

import contextlib
import functools
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadqual.sources.tabular as tabular
from leadqual.errors import ValidationFailed
from leadqual.models import Lead
from leadqual.sources import _cells
from leadqual.sources._files import Chunk, iter_chunks
from leadqual.sources.lead_table import lead_table
from leadqual.sources.tabular import LeadMapping, LoadResult, _Reader, read_lead_table

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _chunks(path: Path, engine: str, chunk_rows: int = 2, **options: Any) -> list[Chunk]:
    return list(iter_chunks(path, chunk_rows=chunk_rows, engine=engine, **options))  # type: ignore[arg-type]


def _joined(chunks: list[Chunk]) -> tuple[pd.DataFrame, list[int], list[tuple[int, str]]]:
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    rows = [int(r) for c in chunks for r in c.rows]
    bad = [b for c in chunks for b in c.bad_lines]
    return frame, rows, bad


def _same_chunks(path: Path, chunk_rows: int = 2, **options: Any) -> pd.DataFrame:
    arrow = _joined(_chunks(path, "arrow", chunk_rows, **options))
    pandas = _joined(_chunks(path, "pandas", chunk_rows, **options))
    pd.testing.assert_frame_equal(arrow[0], pandas[0])
    assert arrow[1:] == pandas[1:]
    return arrow[0]


# -- hostile files: both readers agree -----------------------------------------------------------

HOSTILE: dict[str, bytes] = {
    "quoted line breaks": b'Id,Last Name,Notes\n1,Ng,"two\nlines"\n2,Ode,"a\r\nb"\n3,Patel,x\n',
    "blank lines": b"Id,Last Name\n1,Ng\n\n2,Ode\n\n\n3,Patel\n",
    "BOM": b"\xef\xbb\xbfId,Last Name\n1,Ng\n2,Ode\n",
    "CRLF": b"Id,Last Name\r\n1,Ng\r\n2,Ode\r\n",
    "no final newline": b"Id,Last Name\n1,Ng\n2,Ode",
    "header only, no newline": b"Id,Last Name",
    "header only": b"Id,Last Name\n",
    "duplicate and empty header names": b"Id,Name,Name,,Name.1\n1,a,b,c,d\n",
    "NUL bytes": b"Id,Last Name\n1,N\x00g\n2,Ode\n",
    "doubled quotes": b'Id,Last Name\n1,"O""Brien"\n2,"a,b"\n',
    "quote inside a cell": b'Id,Last Name\n1,x"y\n2,"x"y\n',
    "cells all empty": b"Id,Last Name\n,\n1,Ng\n",
    "leading zeros and spaces": b"Id,Zip\n00123, 0042 \n",
    "semicolons": "Id;Name;Stadt\n1;Müller;Köln\n".encode(),
    "tabs": b"Id\tName\n1\tNg\n",
}


@pytest.mark.parametrize(("name", "content"), list(HOSTILE.items()), ids=list(HOSTILE))
def test_arrow_and_pandas_split_a_hostile_file_alike(
    tmp_path: Path, name: str, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(content)
    with caplog.at_level(logging.DEBUG, logger="leadqual.sources._files"):
        _same_chunks(path)
    # Arrow itself read each of them, but the header it cannot take without a line break
    arrow_read = "read by pandas" not in caplog.text
    assert arrow_read == (name != "header only, no newline"), caplog.text


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "latin-1"])
def test_files_in_other_encodings_split_alike(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes("Id,Name,Ort\n1,Zoë Müller,Café €\n2,Ode,Köln\n".encode(encoding, "replace"))
    expect = pytest.warns(UserWarning, match="not UTF-8")
    with expect if encoding != "utf-16" else contextlib.nullcontext():
        frame = _same_chunks(path)
    assert frame.loc[0, "Name"] == "Zoë Müller"


def test_an_explicit_encoding_is_used_by_both(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes("Id,Name\n1,Zoë\n".encode())
    frame = _same_chunks(path, encoding="latin-1")
    assert frame.loc[0, "Name"] == "ZoÃ«"  # as asked, mojibake and all


def test_an_explicit_utf8_with_bytes_that_are_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"Id,Name\n1,Ng\n2,Caf\xe9\n")
    with pytest.raises(ValidationFailed, match="cannot be read as CSV"):
        _chunks(path, "arrow", encoding="utf-8")


@pytest.mark.parametrize(
    "content",
    [
        b"Id,Last Name\n1,Ng\n2,Ode,extra\n3,Patel\n",  # too many cells
        b"Id,Last Name,City\n1,Ng,Rome\n2,Ode\n3,Patel,Oslo\n",  # too few: pandas pads
        b'Id,Last Name\n1,"Ng\nNg"\n2,Ode,extra,more\n3,Patel\n',  # after a quoted line break
        b'Id,Last Name\n1,Ng\n2,"never closed\n3,Patel\n',  # a quote left open
    ],
    ids=["long", "short", "long after quoted newline", "open quote"],
)
@pytest.mark.parametrize("chunk_rows", [1, 2, 50])
def test_a_ragged_line_is_read_on_by_pandas_from_where_arrow_stops(
    tmp_path: Path, content: bytes, chunk_rows: int
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(content)
    try:
        expected = _joined(_chunks(path, "pandas", chunk_rows))
    except ValidationFailed as err:
        with pytest.raises(ValidationFailed, match=str(err).split(":")[0]):
            _chunks(path, "arrow", chunk_rows)
        return
    got = _joined(_chunks(path, "arrow", chunk_rows))
    pd.testing.assert_frame_equal(got[0], expected[0])
    assert got[1:] == expected[1:]


def test_a_ragged_line_deep_in_a_large_file_keeps_every_row_number_right(tmp_path: Path) -> None:
    # Arrow gives many chunks before it meets the bad line; pandas takes over from there.
    lines = ["Id,Last Name,Created On"]
    lines += [f"{i},N{i},2025-01-0{1 + i % 9}" for i in range(30_000)]
    lines[20_001] = '20000,"N\n20000",2025-01-01,oops'  # row 20,002: a quoted newline, too long
    lines[25_001] = "25000,N25000,not a date"
    path = tmp_path / "leads.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_lead_table(path, chunk_rows=7_000, now=T0)
    assert [(p.row, p.column) for p in result.problems] == [
        (20_002, None),
        (25_002, "Created On"),
    ]
    assert result.rows == 30_000 and result.table is not None and len(result.table) == 29_998


def test_row_numbers_count_records_not_lines_with_quoted_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(
        b'Id,Last Name,Notes,Created On\n1,Ng,"a\nb\nc",2025-01-01\n2,Ode,x,soon\n'
        b'3,Patel,"\r\n",2025-01-02\n4,Kim,y,later\n'
    )
    for engine in ("arrow", "pandas"):
        reading = functools.partial(iter_chunks, engine=engine)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(tabular, "iter_chunks", reading)
            result = read_lead_table(path, chunk_rows=1, now=T0)
        assert [p.row for p in result.problems] == [3, 5], engine  # as a spreadsheet numbers


def test_the_wrong_delimiter_and_binary_files_are_refused_before_arrow_reads(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("First Name;Last Name\nAda;Lovelace\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="delimiter=';'"):
        _chunks(path, "arrow", delimiter=",")
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(ValidationFailed, match="binary"):
        _chunks(path, "arrow")
    path.write_bytes(b"")
    with pytest.raises(ValidationFailed, match="empty"):
        _chunks(path, "arrow")


def test_a_one_column_file_of_another_delimiter_is_named(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("First Name|Last Name\nAda|Lovelace\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="delimiter='\\|'"):
        _chunks(path, "arrow", delimiter="\t")


def test_cells_come_as_pandas_str_over_arrow_strings(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"Id,Zip,Amount\n00123,0042,1.2E+05\n")
    (chunk,) = _chunks(path, "arrow")
    assert all(dtype == "str" for dtype in chunk.frame.dtypes)
    assert chunk.frame.iloc[0].tolist() == ["00123", "0042", "1.2E+05"]
    assert _cells.arrow_text(chunk.frame["Zip"]) is not None


# -- the columnar import over Arrow's cells is the per-row import over pandas' cells ------------

CELL = st.sampled_from(["", "Ada", " Zoë ", "x\x85y", "=1+1", "O'Brien", 'say "hi"', "a,b"])
NUMBER = st.sampled_from(["", "12", "00123", "1.2E+05", "1,200", "$1.5M", "-5", "3.5", "abc"])
WHEN = st.sampled_from(
    [
        "", "2025-03-01", "2025-02-30", "2025-03-31", "2025-03-01T09:30:00Z",
        "2025-03-30 02:30:00", "2025-10-26 02:30", "3/4/2025 1:05 PM", "2/30/2025 1:00 pm",
        "12/31/2025 11:59:59 PM", "3/4/2025 13:45", "13/4/2025", "4.3.2025", "31.04.2025",
        "45352", "soon", "2025-03-01T09:30:00.123Z", "0999-01-01",
    ]
)  # fmt: skip
PHONE = st.sampled_from(
    ["", "+1 425 555 0100", "+0049 30 1234567", "0351 1234567", "4.9E+11", "(425) 555-0100"]
)
COUNTRY = st.sampled_from(["", "Germany", "US", "France", "Atlantis"])
STATUS = st.sampled_from(["", "Open", "Qualified", "Lost", "??"])


@st.composite
def exports(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(1, 6))

    def column(strategy: st.SearchStrategy[str]) -> list[str]:
        return [draw(strategy) for _ in range(rows)]

    base = pd.DataFrame(
        {
            "Id": [f"L-{i}" for i in range(rows)],
            "Last": column(CELL),
            "Company": column(CELL),
            "Employees": column(NUMBER),
            "Revenue": column(NUMBER),
            "Created": column(WHEN),
            "Modified": column(WHEN),
            "Status": column(STATUS),
            "Phone": column(PHONE),
            "Country": column(COUNTRY),
        }
    )
    # repeated rows (new ids) so one read per distinct cell is taken, as in a real export
    times = draw(st.sampled_from([1, 40]))
    frame = pd.concat([base] * times, ignore_index=True)
    frame["Id"] = [f"L-{i}" for i in range(len(frame))]
    return frame


MAPPING = {
    "id": "Id",
    "last_name": "Last",
    "company_name": "Company",
    "employee_count": "Employees",
    "annual_revenue": "Revenue",
    "created_at": "Created",
    "modified_at": "Modified",
    "status": "Status",
    "phones.business": "Phone",
    "address.country": "Country",
}


@given(exports(), st.booleans(), st.sampled_from(["UTC", "Europe/Berlin"]), st.integers(1, 3))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_columnar_import_of_a_csv_is_the_per_row_import_of_pandas_cells(
    tmp_path_factory: pytest.TempPathFactory,
    frame: pd.DataFrame,
    dayfirst: bool,
    timezone: str,
    parts: int,
) -> None:
    path = tmp_path_factory.mktemp("csv") / "leads.csv"
    frame.to_csv(path, index=False)
    mapping = LeadMapping(
        columns=MAPPING, dayfirst=dayfirst, timezone=timezone, default_country="DE"
    )
    chunk_rows = max(1, len(frame) // parts)
    fast = read_lead_table(path, mapping=mapping, chunk_rows=chunk_rows, now=T0)
    reader: _Reader[Lead] = _Reader(mapping, T0, "the file")
    slow = LoadResult.combine(
        reader.read(c) for c in iter_chunks(path, chunk_rows=chunk_rows, engine="pandas")
    )
    assert fast.problems == slow.problems
    assert (fast.rows, fast.blank_rows) == (slow.rows, slow.blank_rows)
    assert fast.table is not None
    pd.testing.assert_frame_equal(fast.table, lead_table(slow.records))


# -- the shortcuts read each cell as the general path does ---------------------------------------

DIGITS = st.integers(0, 99).map(str) | st.integers(0, 9).map(lambda d: f"0{d}")
SHAPED = st.one_of(
    st.builds(lambda y, m, d: f"{y}-{m}-{d}", st.sampled_from(["2025", "2024", "0999", "9999"]),
              DIGITS, DIGITS),
    st.builds(lambda m, d, h, mi, p: f"{m}/{d}/2024 {h}:{mi} {p}", DIGITS, DIGITS, DIGITS,
              DIGITS, st.sampled_from(["AM", "PM", "am", "pm", "Pm"])),
    st.builds(lambda m, d, h, mi: f"{m}/{d}/2025 {h}:{mi}", DIGITS, DIGITS, DIGITS, DIGITS),
    st.builds(lambda d, m: f"{d}.{m}.2025", DIGITS, DIGITS),
    st.builds(lambda d, h: f"2025-03-{d}T{h}:30:00Z", DIGITS, DIGITS),
    st.builds(lambda d, h: f"2025-10-{d} {h}:30", DIGITS, DIGITS),
)  # fmt: skip


@given(st.lists(SHAPED, min_size=1, max_size=30), st.booleans(), st.sampled_from(
    ["UTC", "Europe/Berlin", "America/New_York"]))  # fmt: skip
@settings(max_examples=300, deadline=None)
def test_common_date_shapes_read_as_the_format_chain_reads_them(
    cells: list[str], dayfirst: bool, timezone: str
) -> None:
    text = pd.Series(cells, dtype="str")
    fast = _cells.date_column(text, formats=(), dayfirst=dayfirst, timezone=timezone)
    # an own format no cell has turns the shortcut off: the chain alone reads every cell
    chain = _cells.date_column(
        text, formats=("%Y|%m|%d never",), dayfirst=dayfirst, timezone=timezone
    )
    pd.testing.assert_series_equal(fast[0], chain[0])
    assert fast[1] == chain[1]


def test_a_day_arrow_would_roll_over_is_not_read_by_the_shortcut() -> None:
    stamps, errors = _cells.date_column(
        pd.Series(["2/30/2025 1:00 PM", "2025-02-29", "2/28/2025 1:00 PM"], dtype="str"),
        formats=(),
        dayfirst=False,
        timezone="UTC",
    )
    assert errors == {0: "not a date", 1: "not a date"}
    assert stamps[2] == pd.Timestamp("2025-02-28 13:00", tz="UTC")


@given(st.lists(PHONE | st.sampled_from(["+44 (0)20 7946 0958", " +49 30 123456 "]),
                min_size=1, max_size=12))  # fmt: skip
@settings(max_examples=100, deadline=None)
def test_a_number_in_plain_international_form_reads_alike_in_every_region(
    cells: list[str],
) -> None:
    series = pd.Series(cells, dtype="str")
    plain = _cells.plain_international(series)
    reads = [
        _cells.phone_column(series, regions=[region] * len(cells), normalize=True)[0]
        for region in ("US", "DE", "GB", None)
    ]
    for other in reads[1:]:
        assert reads[0][plain].tolist() == other[plain].tolist()


@given(st.lists(NUMBER, min_size=64, max_size=200), st.booleans())
@settings(max_examples=60, deadline=None)
def test_one_read_per_distinct_cell_is_the_read_of_every_cell(
    cells: list[str], integer: bool
) -> None:
    series = pd.Series(cells, dtype="str")
    whole = _cells.number_column(series, integer=integer)
    once = _cells.per_distinct(
        series, lambda part, _at: _cells.number_column(part, integer=integer)
    )
    pd.testing.assert_series_equal(once[0], whole[0])
    assert once[1] == whole[1]


def test_longest_bytes_bounds_every_cell() -> None:
    series = pd.Series(["Zoë", None, "x" * 9, ""], dtype="str")
    assert _cells.longest_bytes(series) == 9
    assert _cells.longest_bytes(series.iloc[2:3]) == 9  # a slice: offsets from its start
    assert _cells.longest_bytes(pd.Series(["ab", None], dtype=object)) == 2
    assert np.isclose(_cells.longest_bytes(pd.Series(["ééé"], dtype="str")), 6)
