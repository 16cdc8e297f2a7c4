"""The CrmWriter methods behave the same in every built-in source, to the error message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadqual.errors import RecordNotFound, ValidationFailed
from leadqual.models import Account, Contact, Lead, LeadStatus, Note, Opportunity, RecordRef
from leadqual.sources import MemorySource, SqliteSource

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LEAD = RecordRef(kind="lead", id="L-1")
CONTACT = RecordRef(kind="contact", id="C-1")

Source = MemorySource | SqliteSource


def _records() -> MemorySource:
    return MemorySource(
        accounts=[Account(id="A-1", name="Contoso", created_at=T0)],
        contacts=[Contact(id="C-1", account_id="A-1", created_at=T0)],
        leads=[Lead(id="L-1", created_at=T0), Lead(id="L-2", created_at=T0)],
        opportunities=[Opportunity(id="O-1", name="Deal", created_at=T0)],
        notes=[
            Note(id="N-2", regarding=LEAD, created_at=T0 + timedelta(hours=1)),
            Note(id="N-1", regarding=LEAD, created_at=T0),
            Note(id="N-3", regarding=CONTACT, created_at=T0),
        ],
    )


@pytest.fixture(params=["memory", "sqlite"])
def crm(request: pytest.FixtureRequest) -> Source:
    if request.param == "memory":
        return _records()
    return SqliteSource.from_snapshot(_records().snapshot())


@pytest.mark.parametrize(
    ("kind", "record"),
    [
        ("account", Account(id="A-1", name="Other", created_at=T0)),
        ("contact", Contact(id="C-1", last_name="Other", created_at=T0)),
        ("opportunity", Opportunity(id="O-1", name="Other", created_at=T0)),
    ],
)
def test_creating_a_record_with_a_used_id_is_refused_and_keeps_the_stored_one(
    crm: Source, kind: str, record: Account | Contact | Opportunity
) -> None:
    create = getattr(crm, f"create_{kind}")
    get = getattr(crm, f"get_{kind}")
    before = get(record.id)
    with pytest.raises(ValidationFailed) as info:
        create(record)
    assert str(info.value) == f"a {kind} with id {record.id!r} exists"
    assert info.value.field == f"{kind}.id"
    assert get(record.id) == before


def test_created_records_are_returned_as_given_and_can_be_read_back(crm: Source) -> None:
    account = Account(id="A-2", name="Fabrikam", created_at=T0)
    contact = Contact(id="C-2", account_id="A-2", created_at=T0)
    opportunity = Opportunity(id="O-2", name="New", account_id="A-2", created_at=T0)
    assert crm.create_account(account) is account
    assert crm.create_contact(contact) is contact
    assert crm.create_opportunity(opportunity) is opportunity
    assert crm.get_account("A-2") == account
    assert crm.contacts(account_id="A-2") == [contact]
    assert crm.opportunities(account_id="A-2") == [opportunity]


def test_an_id_is_only_taken_within_its_own_kind(crm: Source) -> None:
    # An account may share its id with a contact: ids are unique per record kind.
    crm.create_account(Account(id="C-1", name="Same id as a contact", created_at=T0))
    assert crm.get_account("C-1").name == "Same id as a contact"


def test_updating_the_status_of_a_missing_lead_raises_record_not_found(crm: Source) -> None:
    with pytest.raises(RecordNotFound):
        crm.update_lead_status("L-404", LeadStatus.QUALIFIED, at=T0)


def test_status_update_is_stored_and_leaves_other_leads_alone(crm: Source) -> None:
    when = T0 + timedelta(days=2)
    other = crm.get_lead("L-2")
    updated = crm.update_lead_status("L-1", LeadStatus.QUALIFIED, reason="fit", at=when)
    assert crm.get_lead("L-1") == updated
    assert (updated.closed_at, updated.modified_at, updated.status_reason) == (when, when, "fit")
    assert crm.get_lead("L-2") == other
    assert [lead.id for lead in crm.leads()] == ["L-1", "L-2"]


def test_moving_notes_counts_them_and_keeps_the_rest(crm: Source) -> None:
    assert crm.move_notes(LEAD, CONTACT) == 2
    assert [n.id for n in crm.notes(regarding=CONTACT)] == ["N-1", "N-3", "N-2"]
    assert crm.notes(regarding=LEAD) == []
    assert crm.move_notes(LEAD, CONTACT) == 0


def test_moving_notes_in_memory_keeps_the_snapshot_order() -> None:
    src = _records()
    src.move_notes(LEAD, CONTACT)
    assert [n.id for n in src.snapshot().notes] == ["N-2", "N-1", "N-3"]
    assert {n.regarding for n in src.snapshot().notes} == {CONTACT}
