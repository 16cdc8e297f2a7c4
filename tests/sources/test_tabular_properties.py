"""Tables in, by invariant: leads round-trip through a frame, no row is lost, hostile cells stay
data, and streaming a file takes memory that does not grow with its rows."""

from __future__ import annotations

import csv
import gc
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.models import Address, Lead, LeadStatus
from leadqual.sources.tabular import LeadMapping, LoadResult, iter_lead_batches, leads_from_frame

# Printable text without control characters (which the reader removes) or surrounding spaces
# (which the model strips).
TEXT = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
MAYBE_TEXT = st.none() | TEXT

COLUMNS = {
    "id": "Lead ID",
    "first_name": "First",
    "last_name": "Last",
    "company_name": "Company",
    "email": "Email",
    "job_title": "Title",
    "industry": "Industry",
    "employee_count": "Employees",
    "annual_revenue": "Revenue",
    "status": "Status",
    "created_at": "Created",
    "address.city": "City",
}
MAPPING = LeadMapping(columns=COLUMNS)


@st.composite
def leads(draw: st.DrawFn) -> list[Lead]:
    n = draw(st.integers(0, 12))
    ids = draw(st.lists(TEXT, min_size=n, max_size=n, unique=True))
    out = []
    for lead_id in ids:
        city = draw(MAYBE_TEXT)
        out.append(
            Lead(
                id=lead_id,
                first_name=draw(MAYBE_TEXT),
                last_name=draw(TEXT),
                company_name=draw(MAYBE_TEXT),
                email=draw(MAYBE_TEXT),
                job_title=draw(MAYBE_TEXT),
                industry=draw(MAYBE_TEXT),
                employee_count=draw(st.none() | st.integers(0, 10**9)),
                annual_revenue=draw(
                    st.none() | st.floats(0, 1e12, allow_nan=False, allow_infinity=False)
                ),
                status=draw(st.sampled_from(list(LeadStatus))),
                created_at=datetime(2020, 1, 1, tzinfo=UTC)
                + timedelta(seconds=draw(st.integers(0, 10**8))),
                address=Address(city=city) if city else None,
            )
        )
    return out


def frame_of(records: list[Lead]) -> pd.DataFrame:
    rows = []
    for lead in records:
        rows.append(
            {
                "Lead ID": lead.id,
                "First": lead.first_name,
                "Last": lead.last_name,
                "Company": lead.company_name,
                "Email": lead.email,
                "Title": lead.job_title,
                "Industry": lead.industry,
                "Employees": lead.employee_count,
                "Revenue": lead.annual_revenue,
                "Status": lead.status.value,
                "Created": lead.created_at,
                "City": lead.address.city if lead.address else None,
            }
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS.values()))
    frame["Created"] = pd.to_datetime(frame["Created"], utc=True)
    return frame


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(leads())
def test_leads_round_trip_through_a_frame(records: list[Lead]) -> None:
    result = leads_from_frame(frame_of(records), MAPPING)
    assert result.problems == ()
    assert list(result.records) == records


CELL = st.none() | st.text(max_size=12) | st.sampled_from(["", " ", "N/A", "1.2E+05", "=1+1"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "Lead ID": CELL,
                "Last": CELL,
                "Company": CELL,
                "Employees": CELL | st.integers(-5, 10**6).map(str),
                "Revenue": CELL,
                "Status": CELL | st.sampled_from(["Open", "Qualified", "Lost"]),
                "Created": CELL | st.sampled_from(["2025-01-01", "1/2/2025", "45000"]),
            }
        ),
        max_size=25,
    )
)
def test_no_row_is_lost(rows: list[dict[str, object]]) -> None:
    columns = {
        k: v
        for k, v in COLUMNS.items()
        if v in ("Lead ID", "Last", "Company", "Employees", "Revenue", "Status", "Created")
    }
    frame = pd.DataFrame(rows, columns=list(columns.values()))
    result = leads_from_frame(frame, LeadMapping(columns=columns))
    assert len(result.records) + len(result.skipped_rows) == result.rows
    assert result.rows + result.blank_rows == len(frame)
    loaded_ids = [lead.id for lead in result.records]
    assert len(loaded_ids) == len(set(loaded_ids))
    assert all(2 <= p.row <= len(frame) + 1 for p in result.problems)


# -- hostile cells ---------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_formula_injection_stays_plain_text(tmp_path: Path) -> None:
    formulas = [
        '=HYPERLINK("http://evil.example","click")',
        "+cmd|' /C calc'!A0",
        "@SUM(1+1)",
        "-2+3",
    ]
    path = write_csv(
        tmp_path / "leads.csv",
        [
            ["Last Name", "Company", "Job Title"],
            *[[f, f"Co {i}", f] for i, f in enumerate(formulas)],
        ],
    )
    result = LoadResult.combine(iter_lead_batches(path))
    assert [lead.last_name for lead in result.records] == formulas
    assert [lead.job_title for lead in result.records] == formulas


def test_a_huge_cell_is_reported_and_the_other_rows_load(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "leads.csv",
        [["Last Name", "Description"], ["Ng", "x" * 2_000_000], ["Ode", "fine"]],
    )
    result = LoadResult.combine(iter_lead_batches(path))
    assert [lead.last_name for lead in result.records] == ["Ode"]
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.skipped) == (2, "Description", True)
    assert len(problem.value or "") == 200


def test_nul_bytes_in_cells_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"Last Name,Company\nN\x00g,Ac\x00me\nOde,Beta\n")
    result = LoadResult.combine(iter_lead_batches(path))
    assert [(lead.last_name, lead.company_name) for lead in result.records] == [
        ("Ng", "Acme"),
        ("Ode", "Beta"),
    ]


def test_a_frame_with_nan_and_numbers_in_text_columns_loads() -> None:
    frame = pd.DataFrame(
        {"Last Name": ["Ng", float("nan")], "Zip": [1234.0, None], "Company": [None, "Beta"]}
    )
    result = leads_from_frame(
        frame,
        LeadMapping(
            columns={
                "last_name": "Last Name",
                "address.postal_code": "Zip",
                "company_name": "Company",
            }
        ),
    )
    ng, beta = result.records
    assert ng.address is not None and ng.address.postal_code == "1234"
    assert (beta.last_name, beta.company_name) == (None, "Beta")


# -- streaming -------------------------------------------------------------------------------------


def _export(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Id", "First Name", "Last Name", "Company", "Email", "Created On", "Notes"])
        for i in range(rows):
            out.writerow(
                [f"L{i:07d}", "Ada", f"Name{i}", f"Company {i % 997}", f"a{i}@c{i % 997}.example",
                 "2025-01-02T03:04:05Z", "some words about the lead " * 3]
            )  # fmt: skip
    return path


def _peak_streaming(path: Path) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        loaded = 0
        for batch in iter_lead_batches(path, chunk_rows=2_000):
            loaded += len(batch.records)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert loaded > 0
    return peak


def test_streaming_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    small = _export(tmp_path / "small.csv", 6_000)
    large = _export(tmp_path / "large.csv", 24_000)
    assert large.stat().st_size > 3.5 * small.stat().st_size
    peak_small, peak_large = _peak_streaming(small), _peak_streaming(large)
    # Four times the rows; the peak stays that of one batch (plus 16 bytes an id).
    assert peak_large < 1.3 * peak_small, (peak_small, peak_large)
