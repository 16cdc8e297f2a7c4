"""Webhook bodies written to hurt: times at the edge of the calendar, keys named twice, text that
is not Unicode. ``parse_event`` answers with an event or a ValidationFailed, never an
OverflowError, and never picks one of two values for a key without saying so."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.agent import LeadCreated, LeadDeleted, parse_event
from leadqual.errors import ValidationFailed
from leadqual.models import Lead

BASE = {"type": "lead_created", "lead_id": "L-1"}


@pytest.mark.parametrize(
    "when",
    [
        "0001-01-01T00:00:00+05:00",  # still year 0 in UTC
        "9999-12-31T23:59:59-00:01",  # already year 10000 in UTC
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59))),
    ],
    ids=["first-day-east", "last-day-west", "datetime-object"],
)
@pytest.mark.parametrize("as_text", [False, True], ids=["mapping", "json"])
def test_a_time_outside_the_calendar_in_utc_is_a_validation_error(when: Any, as_text: bool) -> None:
    body: Any = {**BASE, "occurred_at": when}
    if as_text:
        body = json.dumps(body, default=str)
    with pytest.raises(ValidationFailed, match="outside the years 1 to 9999") as info:
        parse_event(body)
    assert info.value.field == "lead_created.occurred_at"


def test_the_edges_that_do_fit_in_utc_are_read() -> None:
    first = parse_event({**BASE, "occurred_at": "0001-01-01T05:00:00+05:00"})
    last = parse_event({**BASE, "occurred_at": "9999-12-31T18:59:59-05:00"})
    assert first.occurred_at == datetime(1, 1, 1, tzinfo=UTC)
    assert last.occurred_at == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_every_model_with_a_utc_time_refuses_such_a_time() -> None:
    # the check sits in the shared UtcDatetime type, not only in the event parser
    with pytest.raises(ValidationFailed, match="created_at") as info:
        Lead(id="L-1", created_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
    assert "outside the years 1 to 9999" in str(info.value)


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (
            '{"type": "lead_deleted", "type": "lead_created", "lead_id": "L-1",'
            ' "occurred_at": "2026-01-05T00:00:00Z"}',
            "type",
        ),
        (
            '{"type": "lead_created", "lead_id": "L-1", "lead_id": "L-2",'
            ' "occurred_at": "2026-01-05T00:00:00Z"}',
            "lead_id",
        ),
        (
            b'{"type": "lead_created", "lead_id": "L-1", "occurred_at": "2026-01-05T00:00:00Z",'
            b' "occurred_at": "2020-01-01T00:00:00Z"}',
            "occurred_at",
        ),
    ],
    ids=["type", "lead_id", "occurred_at-bytes"],
)
def test_a_key_named_twice_is_refused_rather_than_read_either_way(body: Any, key: str) -> None:
    # a signature checker or a queue that keeps the first value would see another event
    with pytest.raises(ValidationFailed, match=f"the key '{key}' appears twice") as info:
        parse_event(body)
    assert info.value.field == key


def test_the_same_event_without_the_repeat_is_read() -> None:
    body = '{"type": "lead_deleted", "lead_id": "L-1", "occurred_at": "2026-01-05T00:00:00Z"}'
    assert isinstance(parse_event(body), LeadDeleted)
    assert isinstance(parse_event(body.encode()), LeadDeleted)


@pytest.mark.parametrize(
    "body",
    [
        b'{"type": "lead_created", "lead_id": "\xff", "occurred_at": "2026-01-05T00:00:00Z"}',
        '{"type": "lead_created", "lead_id": "\\ud800", "occurred_at": "2026-01-05T00:00:00Z"}',
        {**BASE, "lead_id": "\ud800", "occurred_at": "2026-01-05T00:00:00Z"},
        b"\xef\xbb\xbf" + json.dumps({**BASE, "occurred_at": "2026-01-05T00:00:00Z"}).encode(),
        '{"type": "lead_created", "lead_id": "L", "occurred_at": ' + "9" * 5000 + "}",
        '{"type": "lead_updated", "lead_id": "L", "occurred_at": "2026-01-05T00:00:00Z",'
        ' "fields": ' + "[" * 50_000 + "]" * 50_000 + "}",
    ],
    ids=["not-utf8", "escaped-surrogate", "surrogate", "bom", "huge-number", "deep"],
)
def test_bodies_that_are_not_text_or_not_json_are_validation_errors(body: Any) -> None:
    with pytest.raises(ValidationFailed):
        parse_event(body)


offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda m: timezone(timedelta(minutes=m))
)


@settings(max_examples=200, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    tz=offsets,
    as_text=st.booleans(),
)
def test_any_aware_time_is_an_event_in_utc_or_a_validation_error(
    when: datetime, tz: timezone, as_text: bool
) -> None:
    aware = when.replace(tzinfo=tz)
    body: Any = {**BASE, "occurred_at": aware}
    if as_text:
        body = json.dumps({**BASE, "occurred_at": aware.isoformat()})
    try:
        in_utc = aware.astimezone(UTC)
    except OverflowError:
        with pytest.raises(ValidationFailed, match="outside the years 1 to 9999"):
            parse_event(body)
        return
    event = parse_event(body)
    assert isinstance(event, LeadCreated)
    assert event.occurred_at == in_utc and event.occurred_at.tzinfo == UTC
