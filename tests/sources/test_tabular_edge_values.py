"""Values at the edge of what a CRM export holds: placeholder dates (``9999-12-31``,
``0001-01-01``), times with more digits than a Python datetime keeps, integers no float holds.
Each is read or reported on its row, never a pandas AssertionError, TypeError or OverflowError."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from leadqual.models import Lead
from leadqual.sources import LoadResult, iter_lead_batches, leads_from_frame


def load(column: str, value: Any) -> LoadResult[Lead]:
    frame = pd.DataFrame(
        {
            "Email": ["a@contoso.com", "b@contoso.com"],
            column: pd.Series([value, None], dtype=object),
        }
    )
    return leads_from_frame(frame, now=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("cell", "read"),
    [
        ("9999-12-31", datetime(9999, 12, 31, tzinfo=UTC)),  # "never expires" placeholders
        ("0001-01-01", datetime(1, 1, 1, tzinfo=UTC)),
        ("12/31/9999", datetime(9999, 12, 31, tzinfo=UTC)),
        ("3000-01-01T00:00:00Z", datetime(3000, 1, 1, tzinfo=UTC)),
        ("1677-09-21", datetime(1677, 9, 21, tzinfo=UTC)),  # before pandas' nanosecond range
        # more digits than a datetime keeps: rounded to the microsecond, not refused
        ("2025-01-01T00:00:00.123456789Z", datetime(2025, 1, 1, 0, 0, 0, 123457, tzinfo=UTC)),
    ],
)
def test_dates_beyond_pandas_nanosecond_range_are_read(cell: str, read: datetime) -> None:
    # each of these raised "AssertionError: Something has gone wrong" inside pandas
    result = load("Created Date", cell)
    assert result.records[0].created_at == read
    assert not [p for p in result.problems if p.row == 2]


def test_an_excel_serial_day_with_a_fraction_finer_than_a_microsecond_is_read() -> None:
    result = load("Created Date", "45352.123456789")
    assert result.records[0].created_at.date() == datetime(2024, 3, 1).date()


@pytest.mark.parametrize("cell", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_a_date_that_leaves_the_calendar_in_utc_is_reported_and_its_row_skipped(
    cell: str,
) -> None:
    result = load("Created Date", cell)
    assert [lead.email for lead in result.records] == ["b@contoso.com"]
    (problem,) = [p for p in result.problems if p.row == 2]
    assert problem.column == "Created Date" and problem.skipped
    assert "outside the years 1 to 9999" in problem.reason


def test_an_aware_datetime_column_that_leaves_the_calendar_in_utc_is_reported() -> None:
    frame = pd.DataFrame(
        {
            "Email": ["a@contoso.com"],
            "Created Date": pd.Series([pd.Timestamp("0001-01-01 01:00", tz="Etc/GMT-5")]),
        }
    )
    result = leads_from_frame(frame)
    assert result.records == ()
    assert "outside the years 1 to 9999" in result.problems[0].reason


@pytest.mark.parametrize("value", [10**400, -(10**400)], ids=["huge", "minus-huge"])
def test_an_integer_no_float_holds_is_reported_not_an_overflow(value: int) -> None:
    result = load("Employees", value)
    assert [lead.employee_count for lead in result.records] == [None, None]
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.skipped) == (2, "Employees", False)


def test_a_csv_export_with_placeholder_dates_loads(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Email,Created Date\na@contoso.com,9999-12-31\nb@contoso.com,2025-02-03\n",
        encoding="utf-8",
    )
    (batch,) = list(iter_lead_batches(path))
    assert [lead.created_at.year for lead in batch.records] == [9999, 2025]
