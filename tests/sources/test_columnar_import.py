"""The columnar import reads an export straight into the lead table; the table must equal the
one made from the leads the per-row reader builds (every value and dtype), the row report must
be the same report, and a row that fails must fail in both, at the same column."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.errors import ValidationFailed
from leadqual.models import Lead, LeadStatus, Phone
from leadqual.sources._files import iter_chunks
from leadqual.sources.lead_table import (
    LEAD_TABLE_COLUMNS,
    check_lead_table,
    lead_table,
    leads_from_table,
)
from leadqual.sources.tabular import (
    LeadMapping,
    LoadResult,
    _Reader,
    iter_lead_batches,
    leads_from_frame,
    read_lead_table,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)

CELL = st.one_of(
    st.just(""),
    st.text(max_size=10),
    st.sampled_from(
        ["  Ada ", "\u00a0x\u00a0", "=1+1", "\x1b[2J", "Zoë", "x\x85y", " \u3000 ", "\x1c", "nan"]
    ),
)
NAME = CELL | st.sampled_from(["Dr. Ada King Lovelace", "Turing, Alan", "Prof.", "de la Cruz"])
NUMBER = st.sampled_from(
    [
        "", "12", "-5", "1.2E+05", "00123", "1,200", "1.200", "1.200.000", "abc", "3.5", "nan",
        "inf", "$1.5M", "12,5", "9" * 25, "1e300", "  7 ", "0x10", "١٢",
    ]
)  # fmt: skip
WHEN = st.sampled_from(
    [
        "", "2025-03-01", "2025-03-01T09:30:00+02:00", "03/04/2025 1:05 PM", "soon",
        "1899-12-30", "45352", "9999-12-31T23:00:00-05:00", "13.03.2025 09:30",
        "2025-03-01T09:30:00Z", "2024-12-31",
    ]
)  # fmt: skip
STATUS_CELL = st.sampled_from(
    ["", "Open", "Qualified", "Disqualified", "New", "Lost", "??", "in Bearbeitung", " OPEN "]
)
PHONE = st.sampled_from(
    [
        "", "+1 425 555 0100", "+49 (30) 1234-5678", "0351 1234567", "12", "call me",
        "4.93012E+11", "4.9E+11", "+1 425 555 0100 ext 9", "+٤٤ 20 7946 0958", "+0 123",
        "(425) 555-0100", "+1\u00a0425\u00a0555\u00a00101",
    ]
)  # fmt: skip
COUNTRY = st.sampled_from(["", "Germany", "US", "Atlantis", "México", "de"])
SOURCE = st.sampled_from(["", "Web", "web", "ORGANIC_SEARCH", "Trade Show", " Partner "])
EMAILS = st.sampled_from(["", "a@x.example", "a@x.example; b@y.example", " , ;", "x,y"])


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 12))

    def column(strategy: st.SearchStrategy[Any]) -> list[Any]:
        return [draw(strategy) for _ in range(n)]

    frame = pd.DataFrame(
        {
            "Id": column(st.sampled_from(["", "L-1", "L-2", "L-3", " L-4 "]) | CELL),
            "Name": column(NAME),
            "First": column(CELL),
            "Last": column(CELL),
            "Company": column(CELL),
            "Emails": column(EMAILS),
            "Employees": column(NUMBER),
            "Revenue": column(NUMBER),
            "Created": column(WHEN),
            "Modified": column(WHEN),
            "Closed": column(WHEN),
            "Status": column(STATUS_CELL),
            "Source": column(SOURCE),
            "Phone": column(PHONE),
            "Mobile": column(PHONE),
            "Country": column(COUNTRY),
            "City": column(CELL),
            "Tier": column(CELL),
        }
    )
    kind = draw(st.sampled_from([object, "string[pyarrow]", "string[python]", "str"]))
    frame = frame.astype(kind)
    if draw(st.booleans()):
        # cells no CSV holds but a frame built in code does: bytes, numbers, None
        frame = frame.astype(object)
        frame.loc[0, draw(st.sampled_from(list(frame.columns)))] = draw(
            st.sampled_from([b"\xff\xfe", 12, 3.5, None, float("nan"), "\ud800"])
        )
    return frame


def _mapping(draw_full_name: bool, normalize: bool, dayfirst: bool) -> LeadMapping:
    columns = {
        "id": "Id",
        "company_name": "Company",
        "other_emails": "Emails",
        "employee_count": "Employees",
        "annual_revenue": "Revenue",
        "created_at": "Created",
        "modified_at": "Modified",
        "closed_at": "Closed",
        "status": "Status",
        "lead_source": "Source",
        # mobile named before business: the table holds the kinds in their own order
        "phones.mobile": "Mobile",
        "phones.business": "Phone",
        "address.country": "Country",
        "address.city": "City",
        "custom_fields.tier": "Tier",
    }
    if draw_full_name:
        columns["full_name"] = "Name"
    else:
        columns |= {"first_name": "First", "last_name": "Last"}
    return LeadMapping(
        columns=columns,
        default_country="US",
        normalize_phones=normalize,
        dayfirst=dayfirst,
        timezone="Europe/Berlin",
        status_values={"in Bearbeitung": LeadStatus.OPEN},
        lead_source_values={"Web": "Web form", "Partner": " Channel "},
    )


def _per_row(frame: pd.DataFrame, mapping: LeadMapping, chunk_rows: int) -> LoadResult[Lead]:
    reader: _Reader[Lead] = _Reader(mapping, T0, "the frame")
    return LoadResult.combine(reader.read(c) for c in iter_chunks(frame, chunk_rows=chunk_rows))


@given(frames(), st.integers(1, 5), st.booleans(), st.booleans(), st.booleans())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_columnar_table_is_the_table_of_the_per_row_leads(
    frame: pd.DataFrame, chunk_rows: int, full_name: bool, normalize: bool, dayfirst: bool
) -> None:
    mapping = _mapping(full_name, normalize, dayfirst)
    slow = _per_row(frame, mapping, chunk_rows)
    fast = LoadResult.combine(
        iter_lead_batches(frame, mapping=mapping, chunk_rows=chunk_rows, now=T0)
    )
    assert fast.problems == slow.problems
    assert (fast.rows, fast.blank_rows) == (slow.rows, slow.blank_rows)
    assert fast.table is not None
    expected = lead_table(slow.records, custom_fields=["tier"])
    pd.testing.assert_frame_equal(fast.table, expected)
    # and back: the leads made from the table are the per-row reader's
    assert list(leads_from_table(fast.table)) == list(slow.records)
    assert fast.records == slow.records


def test_a_row_the_model_refuses_fails_in_both_at_the_same_column() -> None:
    frame = pd.DataFrame(
        {
            "Last": ["Ng", "Ode", "Li", "Kim"],
            "Created": ["2025-03-02", "2025-03-02", "2025-03-02", "2025-03-02"],
            "Modified": ["2025-03-01", "", "2025-03-03", ""],
            "Closed": ["", "2025-03-03", "", "2025-03-01"],
            "Status": ["Lost", "Open", "Qualified", "Qualified"],
        }
    )
    mapping = LeadMapping(
        columns={
            "last_name": "Last",
            "created_at": "Created",
            "modified_at": "Modified",
            "closed_at": "Closed",
            "status": "Status",
        }
    )
    columnar = read_lead_table(frame, mapping=mapping, now=T0)
    per_row = _per_row(frame, mapping, 10)
    assert columnar.problems == per_row.problems
    # the model's rules across fields name the whole row (no one column is wrong)
    assert [(p.row, p.column, p.reason, p.skipped) for p in columnar.problems] == [
        (2, None, "row: Value error, modified_at is earlier than created_at", True),
        (3, None, "row: Value error, an open lead has no closed_at", True),
        (5, None, "row: Value error, closed_at is earlier than created_at", True),
    ]
    assert columnar.table is not None
    assert columnar.table["last_name"].tolist() == ["Li"]


def test_the_lead_source_map_can_pad_a_name_and_the_model_strips_it() -> None:
    frame = pd.DataFrame({"Last": ["Ng"], "Source": ["Partner"], "Created": ["2025-01-01"]})
    mapping = LeadMapping(
        columns={"last_name": "Last", "lead_source": "Source", "created_at": "Created"},
        lead_source_values={"Partner": "  Channel partner "},
    )
    table = read_lead_table(frame, mapping=mapping).table
    assert table is not None and table.loc[0, "lead_source"] == "Channel partner"


def test_excel_mangled_numbers_and_local_dates_read_as_the_per_row_path_reads_them() -> None:
    frame = pd.DataFrame(
        {
            "Last": ["A", "B", "C", "D", "E"],
            "Employees": ["1.2E+05", "00123", "1.200", "-4", "12.5"],
            "Revenue": ["$1.5M", "1,200.50", "12,5", "1e400", "0"],
            "Created": ["13.03.2025 09:30", "31/03/2025", "2025-03-30 02:30", "45352", ""],
        }
    )
    mapping = LeadMapping(
        columns={
            "last_name": "Last",
            "employee_count": "Employees",
            "annual_revenue": "Revenue",
            "created_at": "Created",
        },
        date_formats=("%d.%m.%Y %H:%M",),
        dayfirst=True,
        timezone="Europe/Berlin",
    )
    result = read_lead_table(frame, mapping=mapping, now=T0)
    table = result.table
    assert table is not None
    assert table["employee_count"].tolist() == [120000, 123, 1200, pd.NA, pd.NA]
    assert table["annual_revenue"].tolist()[:3] == [1_500_000.0, 1200.5, 12.5]
    assert table["created_at"].tolist()[0] == pd.Timestamp("2025-03-13 08:30", tz="UTC")
    # 02:30 on 30 March does not exist in Berlin: moved on to 03:00 local, 01:00 UTC
    assert table["created_at"].tolist()[2] == pd.Timestamp("2025-03-30 01:00", tz="UTC")
    assert table["created_at"].tolist()[4] == pd.Timestamp(T0)
    assert result.problems == _per_row(frame, mapping, 10).problems
    assert {(p.row, p.column) for p in result.problems} >= {
        (5, "Employees"),
        (6, "Employees"),
        (5, "Revenue"),
    }


def test_a_count_no_int64_holds_is_reported_not_wrapped_around() -> None:
    frame = pd.DataFrame({"Last": ["A", "B"], "Employees": ["9" * 25, "9.223.372.036.854.775.808"]})
    mapping = LeadMapping(columns={"last_name": "Last", "employee_count": "Employees"})
    result = read_lead_table(frame, mapping=mapping, now=T0)
    assert result.table is not None
    assert result.table["employee_count"].isna().all()
    assert [p.column for p in result.problems] == ["Employees", "Employees"]
    assert result.problems == _per_row(frame, mapping, 10).problems


def test_a_csv_file_is_read_in_chunks_into_one_table(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    rows = ["(Do Not Modify) Lead,Last Name,Company,Created On,Mobile Phone,Business Phone"]
    rows += [f"L{i},Ng{i},Acme,2025-03-01,+49 30 1234{i:04d},+1 425 555 {i:04d}" for i in range(7)]
    rows.append("L3,Dup,Acme,2025-03-01,,")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = read_lead_table(path, mapping="dynamics365", chunk_rows=3, now=T0)
    table = result.table
    assert table is not None and len(table) == 7
    assert table["phones.business"].tolist()[0] == "+14255550000"
    assert table["phones.mobile"].tolist()[0] == "+493012340000"
    assert [(p.row, p.reason) for p in result.problems] == [(9, "the id 'L3' is also on row 5")]
    assert isinstance(table.index, pd.RangeIndex)
    lead = result.records[0]
    assert [p.kind for p in lead.phones] == ["business", "mobile"]


def test_the_table_of_leads_keeps_every_column_and_dtype() -> None:
    lead = Lead(
        id="L-1",
        last_name="Ng",
        created_at=T0,
        phones=(Phone(number="+1 2", kind="mobile"), Phone(number="+3 4", kind="mobile")),
        custom_fields={"tier": "gold", "score": 3},
        status=LeadStatus.QUALIFIED,
        closed_at=T0,
    )
    table = lead_table([lead])
    assert list(table.columns) == [*LEAD_TABLE_COLUMNS, "custom_fields.score", "custom_fields.tier"]
    check_lead_table(table)
    assert table.loc[0, "phones.mobile"] == "+1 2"  # the first of a kind
    assert table.loc[0, "custom_fields.score"] == 3
    assert str(table["status"].dtype) == "category"
    empty = lead_table([])
    check_lead_table(empty)
    assert len(empty) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop(columns=["email"]), "no 'email'"),
        (
            lambda t: t.assign(employee_count=t["employee_count"].astype("float64")),
            "employee_count",
        ),
        (lambda t: t.assign(created_at=t["created_at"].astype(str)), "created_at"),
    ],
)
def test_a_table_that_is_not_a_lead_table_is_refused(change: Any, message: str) -> None:
    table = lead_table([Lead(id="L-1", last_name="Ng", created_at=T0)])
    with pytest.raises(ValidationFailed, match=message):
        check_lead_table(change(table))
    with pytest.raises(ValidationFailed):
        list(leads_from_table(change(table)))


def test_an_edited_table_row_the_model_refuses_is_named() -> None:
    table = lead_table([Lead(id="L-1", last_name="Ng", created_at=T0)])
    table.loc[0, "modified_at"] = pd.Timestamp("2024-01-01", tz="UTC")
    with pytest.raises(ValidationFailed, match="row 0 of the lead table"):
        list(leads_from_table(table))


def test_records_are_made_only_when_asked_for() -> None:
    frame = pd.DataFrame({"Last": ["Ng"], "Created": ["2025-01-01"]})
    result = leads_from_frame(
        frame, LeadMapping(columns={"last_name": "Last", "created_at": "Created"})
    )
    assert result._records is None and result.table is not None
    assert result.records[0].last_name == "Ng"
    assert result.records is result.records  # made once


def test_the_phone_numbers_take_the_per_row_path_outside_plain_international_form() -> None:
    frame = pd.DataFrame(
        {
            "Last": ["A"] * 5,
            "Phone": ["+1 425 555 0100", "+٤٤ 20 7946 0958", "4.9E+11", "0351 1234567", "+12"],
            "Country": ["", "", "", "Germany", ""],
        }
    )
    mapping = LeadMapping(
        columns={"last_name": "Last", "phones.business": "Phone", "address.country": "Country"}
    )
    result = read_lead_table(frame, mapping=mapping, now=T0)
    per_row = _per_row(frame, mapping, 10)
    assert result.problems == per_row.problems
    assert result.table is not None
    phones = result.table["phones.business"].tolist()
    assert phones[0] == "+14255550100" and phones[3] == "+493511234567"
    assert phones[2] != phones[2]  # digits lost: reported, left out
    assert np.array_equal(
        result.table["phones.business"].isna(),
        lead_table(per_row.records)["phones.business"].isna(),
    )


@given(st.lists(st.none() | st.text(max_size=6), min_size=1, max_size=8), st.integers(0, 3))
@settings(max_examples=300, deadline=None)
def test_the_byte_check_never_misses_a_control_character(cells: list[str | None], cut: int) -> None:
    from leadqual._text import CONTROL_CHARACTERS
    from leadqual.sources._cells import _may_hold_controls

    try:
        series = pd.Series(cells, dtype="str").iloc[cut:]  # a slice: offsets into shared buffers
    except UnicodeEncodeError:
        return  # a lone surrogate: not Arrow text, read value by value
    has = any(isinstance(c, str) and CONTROL_CHARACTERS.search(c) for c in cells[cut:])
    if has:
        assert _may_hold_controls(series)


def test_a_date_column_mixing_offsets_reads_each_cell() -> None:
    from leadqual.sources import _cells

    values, errors = _cells.read_dates(
        pd.Series(
            ["2025-03-01T09:30:00+02:00", "2025-03-01T09:30:00Z", "2025-03-01T09:30:00-05:00"]
        ),
        formats=(),
        dayfirst=False,
        timezone="UTC",
    )
    assert errors == {}
    assert [v.hour for v in values] == [7, 9, 14]
