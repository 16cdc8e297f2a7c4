"""The import's fast path builds a lead without validating it with the model only where its
column checks prove what the model would: a lead built so equals ``Lead.model_validate`` of the
same data (fields, defaults and the fields marked set), and no row the model refuses is ever
built (it goes to the model, which reports it as before). End to end, reading a table with the
fast path gives the same leads and the same row report as validating every row."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.errors import ValidationFailed
from leadqual.models import Lead, LeadStatus
from leadqual.sources import _fast
from leadqual.sources._files import iter_chunks
from leadqual.sources.tabular import LeadMapping, LoadResult, _Reader

T0 = datetime(2025, 1, 1, tzinfo=UTC)

# Text as the reader hands it over (stripped), and text it never would (to prove the checks).
CLEAN = st.text(min_size=1, max_size=8).map(str.strip).filter(bool)
HOSTILE_TEXT = st.sampled_from(
    [" padded", "tail ", "\u3000wide", "nbsp\u00a0", "\u2028", "", "\x1c", 5, 1.5, b"x"]
)
TEXT = st.none() | CLEAN | HOSTILE_TEXT
DATE = st.none() | st.sampled_from(
    [
        T0,
        T0 + timedelta(days=3),
        T0 - timedelta(days=3),
        datetime(2025, 1, 2),  # naive: the model reads it as UTC
        datetime(2025, 1, 2, tzinfo=timezone(timedelta(hours=2))),
        datetime(2025, 1, 2, tzinfo=ZoneInfo("UTC")),
        datetime(2025, 1, 2, tzinfo=timezone.utc),  # noqa: UP017 - the same object as UTC
        "2025-01-02",
    ]
)
INT = st.none() | st.integers(-3, 10**12) | st.sampled_from([True, 2.0, "7"])
FLOAT = st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([3, "1.5"])
STATUS = st.none() | st.sampled_from([*LeadStatus, "open", "won"])
LISTS = st.none() | st.tuples(CLEAN, CLEAN) | st.sampled_from([(" a",), ("",), ["x"], "a;b"])
ID = st.sampled_from(["L-1", "L-2", "", " L-3", "L-4 ", 7]) | CLEAN

TARGETS: dict[str, st.SearchStrategy[Any]] = {
    "first_name": TEXT,
    "last_name": TEXT,
    "email": TEXT,
    "company_name": TEXT,
    "lead_source": TEXT,
    "owner_id": TEXT,
    "employee_count": INT,
    "annual_revenue": FLOAT,
    "created_at": DATE,
    "modified_at": DATE,
    "closed_at": DATE,
    "status": STATUS,
    "other_emails": LISTS,
    "address.city": TEXT,
    "address.country": TEXT,
    "phones.business": TEXT,
    "phones.mobile": TEXT,
    "custom_fields.tier": TEXT,
}


@st.composite
def columns(draw: st.DrawFn) -> tuple[dict[str, list[Any]], list[Any]]:
    n = draw(st.integers(1, 6))
    chosen = draw(st.lists(st.sampled_from(sorted(TARGETS)), unique=True, min_size=1))
    values_of = {t: [draw(TARGETS[t]) for _ in range(n)] for t in chosen}
    ids = [draw(ID) for _ in range(n)]
    return values_of, ids


def _data(values_of: dict[str, list[Any]], ids: list[Any], i: int) -> dict[str, Any]:
    """What the reader hands the model for row ``i`` (its ``_record``)."""
    data: dict[str, Any] = {}
    address: dict[str, Any] = {}
    phones: list[dict[str, Any]] = []
    custom: dict[str, Any] = {}
    for target, values in values_of.items():
        v = values[i]
        if v is None:
            continue
        head, _, tail = target.partition(".")
        if head == "address":
            address[tail] = v
        elif head == "phones":
            phones.append({"number": v, "kind": tail})
        elif head == "custom_fields":
            custom[tail] = v
        else:
            data[target] = v
    if address:
        data["address"] = address
    if phones:
        data["phones"] = phones
    if custom:
        data["custom_fields"] = custom
    data["id"] = ids[i]
    return data


def _same(built: Lead, validated: Lead) -> None:
    assert built == validated
    assert built.model_dump() == validated.model_dump()
    assert built.model_dump(exclude_unset=True) == validated.model_dump(exclude_unset=True)
    assert built.model_fields_set == validated.model_fields_set
    for a, b in zip(built.phones, validated.phones, strict=True):
        assert a.model_fields_set == b.model_fields_set
    if built.address is not None and validated.address is not None:
        assert built.address.model_fields_set == validated.address.model_fields_set
    # the same types, not merely equal values (1 == 1.0 == True)
    for name in Lead.model_fields:
        assert type(getattr(built, name)) is type(getattr(validated, name)), name


@given(columns())
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_built_lead_is_the_models_and_a_refused_row_is_never_built(
    drawn: tuple[dict[str, list[Any]], list[Any]],
) -> None:
    values_of, ids = drawn
    assert _fast.fast_targets(list(values_of))
    todo = list(range(len(ids)))
    built, slow = _fast.fast_leads(values_of, ids, todo)
    assert sorted([*built, *slow]) == todo and not set(built) & set(slow)
    for i in todo:
        data = _data(values_of, ids, i)
        try:
            validated = Lead.model_validate(data)
        except ValidationFailed:
            assert i not in built, f"row {i} is built but the model refuses {data!r}"
            continue
        if i in built:
            _same(built[i], validated)


def test_the_checks_leave_the_doubtful_rows_to_the_model() -> None:
    # each row is valid for the model but not proven by the checks (a naive or non-UTC time,
    # text the model would strip), or refused by it: none is built
    values_of = {
        "created_at": [T0, datetime(2025, 1, 1), T0, T0, T0, T0],
        "modified_at": [None, None, T0 - timedelta(seconds=1), None, None, None],
        "closed_at": [None, None, None, T0, None, None],
        "employee_count": [None, None, None, None, -1, None],
        "annual_revenue": [None, None, None, None, None, math.nan],
    }
    ids = ["a", "b", "c", "d", "e", "f"]
    built, slow = _fast.fast_leads(values_of, ids, range(6))  # type: ignore[arg-type]
    assert slow == [1, 2, 3, 4, 5] and list(built) == [0]


def test_a_target_outside_the_checked_ones_turns_the_fast_path_off() -> None:
    assert _fast.fast_targets(["first_name", "phones.business", "custom_fields.x"])
    for target in ("phones.fax", "regarding.id", "full_name", "id", "custom_fields.", "nope"):
        assert not _fast.fast_targets(["first_name", target]), target


# -- end to end: the reader with and without the fast path -------------------------------------

CELL = st.one_of(
    st.just(""),
    st.text(max_size=10),
    st.sampled_from(["  Ada ", "\u00a0x\u00a0", "=1+1", "\x1b[2J", "Zoë", "x\x85y"]),
)
NUMBER = st.sampled_from(["", "12", "-5", "1.2E+05", "00123", "1,200", "abc", "3.5", "nan", "inf"])
WHEN = st.sampled_from(
    ["", "2025-03-01", "2025-03-01T09:30:00+02:00", "03/04/2025 1:05 PM", "soon", "1899-12-30"]
)
STATUS_CELL = st.sampled_from(["", "Open", "Qualified", "Disqualified", "New", "Lost", "??"])
PHONE = st.sampled_from(["", "+1 425 555 0100", "0351 1234567", "12", "call me"])


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 12))

    def column(strategy: st.SearchStrategy[str]) -> list[str]:
        return [draw(strategy) for _ in range(n)]

    frame = pd.DataFrame(
        {
            "Id": column(st.sampled_from(["", "L-1", "L-2", "L-3", " L-4 "]) | CELL),
            "First": column(CELL),
            "Last": column(CELL),
            "Company": column(CELL),
            "Employees": column(NUMBER),
            "Revenue": column(NUMBER),
            "Created": column(WHEN),
            "Modified": column(WHEN),
            "Closed": column(WHEN),
            "Status": column(STATUS_CELL),
            "Phone": column(PHONE),
            "City": column(CELL),
            "Tier": column(CELL),
        }
    )
    return frame.astype(draw(st.sampled_from([object, "string[pyarrow]", "string[python]"])))


MAPPING = LeadMapping(
    columns={
        "id": "Id",
        "first_name": "First",
        "last_name": "Last",
        "company_name": "Company",
        "employee_count": "Employees",
        "annual_revenue": "Revenue",
        "created_at": "Created",
        "modified_at": "Modified",
        "closed_at": "Closed",
        "status": "Status",
        "phones.business": "Phone",
        "address.city": "City",
        "custom_fields.tier": "Tier",
    },
    default_country="US",
)


def _read(frame: pd.DataFrame, *, fast: bool, chunk_rows: int) -> LoadResult[Lead]:
    reader: _Reader[Lead] = _Reader(MAPPING, T0, "the frame", fast=fast)
    return LoadResult.combine(reader.read(c) for c in iter_chunks(frame, chunk_rows=chunk_rows))


@given(frames(), st.integers(1, 5))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_reading_with_the_fast_path_gives_the_same_leads_and_report(
    frame: pd.DataFrame, chunk_rows: int
) -> None:
    fast = _read(frame, fast=True, chunk_rows=chunk_rows)
    slow = _read(frame, fast=False, chunk_rows=chunk_rows)
    assert fast.problems == slow.problems
    assert (fast.rows, fast.blank_rows) == (slow.rows, slow.blank_rows)
    assert len(fast.records) == len(slow.records)
    for a, b in zip(fast.records, slow.records, strict=True):
        _same(a, b)


@pytest.mark.parametrize("fast", [True, False])
def test_the_collector_is_left_as_it_was(fast: bool) -> None:
    import gc

    frame = pd.DataFrame({"Last": ["Ng"], "Company": ["Acme"], "Created": ["2025-01-01"]})
    mapping = LeadMapping(
        columns={"last_name": "Last", "company_name": "Company", "created_at": "Created"}
    )
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            reader: _Reader[Lead] = _Reader(mapping, T0, "the frame", fast=fast)
            [chunk] = iter_chunks(frame, chunk_rows=10)
            assert len(reader.read(chunk).records) == 1
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
