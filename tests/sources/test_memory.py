"""MemorySource and SqliteSource: the same look-ups, filters, writes, and build_context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadqual.errors import RecordNotFound, ValidationFailed
from leadqual.models import (
    Account,
    Contact,
    EmailMessage,
    Lead,
    LeadStatus,
    Note,
    Opportunity,
    RecordRef,
    Seller,
)
from leadqual.sources import CrmSource, CrmWriter, MemorySource, build_context
from leadqual.sources.sqlite import SqliteSource

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def records() -> MemorySource:
    return MemorySource(
        sellers=[Seller(id="S-1", name="Ann"), Seller(id="S-2", name="Bo")],
        accounts=[Account(id="A-1", name="Contoso", created_at=T0)],
        contacts=[Contact(id="C-1", account_id="A-1", last_name="Lee", created_at=T0)],
        leads=[
            Lead(id="L-1", created_at=T0, owner_id="S-1", account_id="A-1", contact_id="C-1"),
            Lead(id="L-2", created_at=T0 + timedelta(days=1), owner_id="S-2"),
            Lead(
                id="L-3",
                created_at=T0 + timedelta(days=2),
                owner_id="S-1",
                status="qualified",
                closed_at=T0 + timedelta(days=3),
                modified_at=T0 + timedelta(days=3),
            ),
        ],
        opportunities=[
            Opportunity(id="O-1", name="Deal", account_id="A-1", created_at=T0),
            Opportunity(id="O-2", name="Old", account_id="A-1", status="won", created_at=T0),
        ],
        activities=[
            EmailMessage(
                id="E-2",
                regarding=RecordRef(kind="contact", id="C-1"),
                direction="inbound",
                from_address="lee@contoso.com",
                sent_at=T0 + timedelta(hours=2),
            ),
            EmailMessage(
                id="E-1",
                regarding=RecordRef(kind="lead", id="L-1"),
                direction="outbound",
                from_address="ann@vendor.example",
                sent_at=T0 + timedelta(hours=1),
            ),
        ],
        notes=[Note(id="N-1", regarding=RecordRef(kind="lead", id="L-1"), created_at=T0)],
    )


Source = MemorySource | SqliteSource


@pytest.fixture(params=["memory", "sqlite"])
def crm(request: pytest.FixtureRequest) -> Source:
    if request.param == "memory":
        return records()
    return SqliteSource.from_snapshot(records().snapshot())


def test_sources_satisfy_both_protocols(crm: Source) -> None:
    src = crm
    assert isinstance(src, CrmSource)
    assert isinstance(src, CrmWriter)


def test_lookup_of_missing_record_raises_record_not_found(crm: Source) -> None:
    with pytest.raises(RecordNotFound) as info:
        crm.get_lead("nope")
    assert (info.value.kind, info.value.record_id) == ("lead", "nope")
    assert isinstance(info.value, KeyError)
    assert str(info.value) == "no lead with id 'nope'"


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="share the id"):
        MemorySource(leads=[Lead(id="L-1", created_at=T0), Lead(id="L-1", created_at=T0)])


def test_lead_filters_combine(crm: Source) -> None:
    src = crm
    assert [lead.id for lead in src.leads(owner_id="S-1")] == ["L-1", "L-3"]
    assert [lead.id for lead in src.leads(status=LeadStatus.OPEN)] == ["L-1", "L-2"]
    assert [lead.id for lead in src.leads(owner_id="S-1", status=LeadStatus.OPEN)] == ["L-1"]
    since = T0 + timedelta(days=1)
    assert [lead.id for lead in src.leads(modified_since=since)] == ["L-2", "L-3"]


def test_opportunity_filters(crm: Source) -> None:
    src = crm
    assert [o.id for o in src.opportunities(account_id="A-1", status="open")] == ["O-1"]
    assert src.opportunities(account_id="A-2") == []


def test_build_context_gathers_related_records_in_time_order(crm: Source) -> None:
    ctx = build_context(crm, "L-1")
    assert ctx.account is not None and ctx.account.id == "A-1"
    assert ctx.contact is not None and ctx.contact.id == "C-1"
    assert [a.id for a in ctx.activities] == ["E-1", "E-2"]  # lead's and contact's, by time
    assert {o.id for o in ctx.opportunities} == {"O-1", "O-2"}
    assert ctx.owner is not None and ctx.owner.name == "Ann"
    assert [n.id for n in ctx.notes] == ["N-1"]


def test_build_context_tolerates_an_owner_who_left(crm: Source) -> None:
    src = crm
    src.add(Lead(id="L-9", created_at=T0, owner_id="S-gone"))
    assert build_context(src, "L-9").owner is None


def test_update_lead_status_stamps_and_clears_closed_at(crm: Source) -> None:
    src = crm
    when = T0 + timedelta(days=10)
    lead = src.update_lead_status("L-2", LeadStatus.DISQUALIFIED, reason="Not a fit", at=when)
    assert (lead.status, lead.status_reason, lead.closed_at) == (
        LeadStatus.DISQUALIFIED,
        "Not a fit",
        when,
    )
    assert src.get_lead("L-2") == lead
    reopened = src.update_lead_status("L-2", LeadStatus.OPEN, at=when + timedelta(days=1))
    assert reopened.closed_at is None


def test_create_refuses_existing_id(crm: Source) -> None:
    src = crm
    with pytest.raises(ValidationFailed, match="exists"):
        src.create_account(Account(id="A-1", name="Again", created_at=T0))
    created = src.create_contact(Contact(id="C-2", account_id="A-1", created_at=T0))
    assert src.contacts(account_id="A-1")[-1] == created


def test_move_notes_repoints_every_note(crm: Source) -> None:
    src = crm
    lead_ref, contact_ref = RecordRef(kind="lead", id="L-1"), RecordRef(kind="contact", id="C-1")
    assert src.move_notes(lead_ref, contact_ref) == 1
    assert src.notes(regarding=lead_ref) == []
    assert [n.id for n in src.notes(regarding=contact_ref)] == ["N-1"]


def test_json_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "crm.json"
    src = records()
    src.to_json(path)
    assert MemorySource.from_json(path).snapshot() == src.snapshot()


def test_dangling_references_are_reported() -> None:
    src = records()
    src.add(Lead(id="L-8", created_at=T0, account_id="A-404"))
    assert src.dangling_references() == ["lead L-8 refers to missing account 'A-404'"]


def test_sqlite_source_persists_across_connections(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite"
    with SqliteSource.from_snapshot(records().snapshot(), path) as src:
        src.update_lead_status("L-2", LeadStatus.QUALIFIED, at=T0 + timedelta(days=9))
    with SqliteSource(path) as again:
        assert again.get_lead("L-2").status is LeadStatus.QUALIFIED


def test_sqlite_matches_memory_on_the_sample(sample_source: MemorySource) -> None:
    sql = SqliteSource.from_snapshot(sample_source.snapshot())
    for lead in sample_source.leads()[:40]:
        assert build_context(sql, lead.id) == build_context(sample_source, lead.id)
    assert sql.leads(status=LeadStatus.OPEN) == sample_source.leads(status=LeadStatus.OPEN)
    since = datetime(2026, 10, 1, tzinfo=UTC)
    assert sql.leads(modified_since=since) == sample_source.leads(modified_since=since)
