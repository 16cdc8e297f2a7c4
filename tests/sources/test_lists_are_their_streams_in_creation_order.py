"""A streaming source's lists (``leads``, ``contacts``, ``accounts``) are its ``iter_*`` streams,
filters passed on unchanged, sorted by creation time then id, written once for every source."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.models import Account, Contact, Lead, LeadStatus
from leadqual.sources._writer import ListsInOrder
from leadqual.sources.dataverse.source import DataverseSource
from leadqual.sources.sql_source import SqlSource

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class _Streams(ListsInOrder):
    """Streams that yield whatever they are given, in that order, and note their filters."""

    def __init__(self, created: list[tuple[int, str]]) -> None:
        self.created = created
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def iter_leads(self, **filters: Any) -> Iterator[Lead]:
        self.calls.append(("leads", filters))
        return (Lead(id=i, created_at=T0 + timedelta(days=d)) for d, i in self.created)

    def iter_contacts(self, **filters: Any) -> Iterator[Contact]:
        self.calls.append(("contacts", filters))
        return (Contact(id=i, created_at=T0 + timedelta(days=d)) for d, i in self.created)

    def iter_accounts(self, **filters: Any) -> Iterator[Account]:
        self.calls.append(("accounts", filters))
        return (Account(id=i, name=i, created_at=T0 + timedelta(days=d)) for d, i in self.created)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.text("abc", min_size=1, max_size=3)),
        max_size=30,
        unique_by=lambda r: r[1],
    )
)
def test_each_list_is_its_stream_sorted_by_creation_then_id(created: list[tuple[int, str]]) -> None:
    source = _Streams(created)
    expected = [i for _, i in sorted(created)]  # days, then id on the same day
    assert [r.id for r in source.leads()] == expected
    assert [r.id for r in source.contacts()] == expected
    assert [r.id for r in source.accounts()] == expected


def test_the_filters_reach_the_stream_unchanged() -> None:
    source = _Streams([(1, "b"), (0, "a")])
    since = T0 + timedelta(days=1)
    source.leads(owner_id="u-1", status=LeadStatus.QUALIFIED, modified_since=since)
    source.contacts(account_id="acc-9", modified_since=since)
    source.accounts(modified_since=since)
    assert source.calls == [
        ("leads", {"owner_id": "u-1", "status": LeadStatus.QUALIFIED, "modified_since": since}),
        ("contacts", {"account_id": "acc-9", "modified_since": since}),
        ("accounts", {"modified_since": since}),
    ]


def test_the_sql_and_dataverse_sources_list_through_the_one_implementation() -> None:
    for cls in (SqlSource, DataverseSource):
        for name in ("leads", "contacts", "accounts"):
            assert getattr(cls, name) is getattr(ListsInOrder, name), (cls, name)
