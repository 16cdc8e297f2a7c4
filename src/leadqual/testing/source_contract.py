"""The tests every :class:`~leadqual.sources.CrmSource` passes, for your connector too.

Subclass :class:`CrmSourceContract` in a test module (its name must start with ``Test`` for
pytest to collect it) and say how to build your source holding a snapshot of records; every
``test_`` method then runs against it and compares what it answers with the reference
:class:`~leadqual.sources.MemorySource` holding the same records. :class:`CrmWriterContract`
adds the writes qualification needs. Needs pytest (``pip install pytest``)::

    from leadqual.sources import CrmSnapshot
    from leadqual.testing.source_contract import CrmSourceContract

    class TestMyCrmSource(CrmSourceContract):
        def make_source(self, snapshot: CrmSnapshot) -> MyCrmSource:
            return MyCrmSource.from_records(snapshot)

The records (:func:`contract_snapshot`) have GUID ids, choice values Dynamics 365 knows, and
the cases a source gets wrong: two leads created at the same instant, leads of every status,
activities of every kind regarding leads and contacts, notes out of order, an account with a
parent. A connector that cannot hold every field of a record compares only the fields in
:attr:`CrmSourceContract.fields` (override it to narrow or widen the comparison); one that cannot
hold these records at all overrides :meth:`CrmSourceContract.snapshot`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from leadqual.errors import RecordNotFound, ValidationFailed
from leadqual.models import (
    Account,
    Appointment,
    Contact,
    EmailMessage,
    Lead,
    LeadStatus,
    Note,
    Opportunity,
    OpportunityStatus,
    Phone,
    PhoneCall,
    RecordRef,
    Seller,
    Task,
)
from leadqual.sources.base import CrmSource, CrmWriter, build_context
from leadqual.sources.memory import CrmSnapshot, MemorySource

__all__ = ["CORE_FIELDS", "CrmSourceContract", "CrmWriterContract", "contract_snapshot"]

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""When the contract's records begin."""

CORE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "lead": ("id", "first_name", "last_name", "email", "company_name", "job_title", "status",
             "owner_id", "account_id", "contact_id", "created_at"),
    "contact": ("id", "first_name", "last_name", "email", "account_id", "created_at"),
    "account": ("id", "name", "parent_account_id", "created_at"),
    "opportunity": ("id", "name", "status", "account_id", "contact_id", "originating_lead_id",
                    "created_at"),
    "seller": ("id", "name", "email"),
    "activity": ("id", "kind", "regarding", "occurred_at"),
    "note": ("id", "regarding", "text", "created_at"),
}  # fmt: skip
"""The fields every CRM keeps, compared by default."""


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"leadqual-contract:{name}"))


def contract_snapshot() -> CrmSnapshot:
    """The records the contract loads into a source: small, with every case that matters.

    Examples:
        >>> snap = contract_snapshot()
        >>> len(snap.leads), len(snap.activities)
        (8, 6)
    """
    s1, s2 = _id("seller-1"), _id("seller-2")
    a1, a2, a3 = _id("account-1"), _id("account-2"), _id("account-3")
    c1, c2, c3, c4 = (_id(f"contact-{i}") for i in range(1, 5))
    leads = [_id(f"lead-{i}") for i in range(1, 9)]
    hour, day = timedelta(hours=1), timedelta(days=1)
    sellers = (
        Seller(id=s1, name="Avery Rep", email="avery@vendor.example"),
        Seller(id=s2, name="Blake Rep", email="blake@vendor.example"),
    )
    accounts = (
        Account(id=a1, name="Contoso Ltd", industry="Consulting", employee_count=250,
                created_at=T0, modified_at=T0 + day, owner_id=s1),
        Account(id=a2, name="Fabrikam Inc", created_at=T0 + 2 * day, owner_id=s2),
        Account(id=a3, name="Contoso Labs", parent_account_id=a1, created_at=T0 + 3 * day,
                modified_at=T0 + 10 * day),
    )  # fmt: skip
    contacts = (
        Contact(id=c1, first_name="Dana", last_name="Ito", email="dana.ito@contoso.example",
                account_id=a1, created_at=T0 + hour),
        Contact(id=c2, first_name="Eli", last_name="Moss", email="eli.moss@contoso.example",
                account_id=a1, created_at=T0 + hour, modified_at=T0 + 4 * day),
        Contact(id=c3, first_name="Fay", last_name="Ng", account_id=a2, created_at=T0 + 2 * day),
        Contact(id=c4, last_name="Gray", created_at=T0 + 5 * day),
    )  # fmt: skip
    people = [("Hana", "Ali"), ("Ivo", "Berg"), ("Jo", "Chen"), ("Kai", "Diaz"), ("Lea", "Eze"),
              ("Max", "Fox"), ("Noa", "Gil"), ("Oli", "Hart")]  # fmt: skip
    statuses = [LeadStatus.OPEN, LeadStatus.OPEN, LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED,
                LeadStatus.OPEN, LeadStatus.OPEN, LeadStatus.DISQUALIFIED, LeadStatus.OPEN]  # fmt: skip
    reasons = {LeadStatus.OPEN: "New", LeadStatus.QUALIFIED: "Qualified",
               LeadStatus.DISQUALIFIED: "Lost"}  # fmt: skip
    created = [T0, T0 + hour, T0 + 2 * hour, T0 + 2 * hour, T0 + 3 * day, T0 + 4 * day,
               T0 + 5 * day, T0 + 6 * day]  # two leads created at the same instant  # fmt: skip
    lead_records = []
    for i, (lead_id, (first, last), status, when) in enumerate(
        zip(leads, people, statuses, created, strict=True)
    ):
        closed = when + day if status is not LeadStatus.OPEN else None
        lead_records.append(
            Lead(
                id=lead_id, first_name=first, last_name=last,
                email=f"{first.lower()}.{last.lower()}@prospect{i}.example",
                job_title="Head of Operations" if i % 2 else "CTO",
                company_name=f"Prospect {i} GmbH", industry="Consulting", lead_source="Web",
                employee_count=50 * (i + 1), phones=(Phone(number=f"+49 30 555 01{i:02d}"),),
                owner_id=s1 if i % 2 == 0 else s2, status=status, status_reason=reasons[status],
                created_at=when, modified_at=closed or (when + 2 * day if i in (1, 5) else None),
                closed_at=closed, account_id=a1 if i == 0 else a2 if i == 1 else None,
                contact_id=c1 if i == 0 else None,
            )
        )  # fmt: skip
    opportunities = (
        Opportunity(id=_id("opp-1"), name="Contoso rollout", account_id=a1, contact_id=c1,
                    originating_lead_id=leads[0], estimated_value=50_000, created_at=T0 + day,
                    owner_id=s1),
        Opportunity(id=_id("opp-2"), name="Contoso renewal", account_id=a1,
                    status=OpportunityStatus.WON, created_at=T0 + 2 * day),
        Opportunity(id=_id("opp-3"), name="Fabrikam pilot", account_id=a2, contact_id=c3,
                    status=OpportunityStatus.LOST, created_at=T0 + 3 * day),
        Opportunity(id=_id("opp-4"), name="Prospect 1 trial", originating_lead_id=leads[1],
                    created_at=T0 + 3 * day),
    )  # fmt: skip
    lead1 = RecordRef(kind="lead", id=leads[0])
    activities = (
        EmailMessage(id=_id("email-1"), regarding=lead1, direction="inbound",
                     from_address="hana.ali@prospect0.example", to_addresses=("avery@vendor.example",),
                     subject="Pricing?", body="What does it cost?", sent_at=T0 + hour),
        EmailMessage(id=_id("email-2"), regarding=RecordRef(kind="contact", id=c1),
                     direction="outbound", from_address="avery@vendor.example",
                     sent_at=T0 + 2 * hour),
        PhoneCall(id=_id("call-1"), regarding=lead1, direction="outbound", answered=True,
                  started_at=T0 + 30 * timedelta(minutes=1)),
        Appointment(id=_id("meeting-1"), regarding=lead1, start=T0 + 5 * day,
                    end=T0 + 5 * day + hour, subject="Demo"),
        Task(id=_id("task-1"), regarding=RecordRef(kind="lead", id=leads[1]), subject="Call back",
             created_at=T0 + 3 * hour),
        Task(id=_id("task-2"), regarding=lead1, subject="Send deck", created_at=T0 + 3 * hour),
    )  # fmt: skip
    notes = (
        Note(id=_id("note-1"), regarding=lead1, text="Met at the fair.", created_at=T0 + hour),
        Note(id=_id("note-2"), regarding=lead1, text="Budget in Q3.", created_at=T0),
        Note(id=_id("note-3"), regarding=RecordRef(kind="contact", id=c1), text="Prefers email.",
             created_at=T0 + day),
        Note(id=_id("note-4"), regarding=RecordRef(kind="account", id=a1), text="Key account.",
             created_at=T0 + day),
    )  # fmt: skip
    return CrmSnapshot(
        leads=tuple(lead_records),
        contacts=contacts,
        accounts=accounts,
        opportunities=opportunities,
        activities=activities,
        notes=notes,
        sellers=sellers,
    )


def _core(record: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(record, name, None) for name in fields}


def _ids(records: Any) -> list[str]:
    return [r.id for r in records]


class CrmSourceContract:
    """The read contract of :class:`~leadqual.sources.CrmSource`, as pytest tests.

    Subclass it as ``TestSomething`` and implement :meth:`make_source`.
    """

    fields: ClassVar[Mapping[str, tuple[str, ...]]] = CORE_FIELDS
    """Record kind -> the fields compared with the records loaded."""

    def make_source(self, snapshot: CrmSnapshot, /) -> CrmSource:
        """A source of the kind under test holding ``snapshot``'s records."""
        raise NotImplementedError("implement make_source(snapshot) in your test class")

    def snapshot(self) -> CrmSnapshot:
        """The records loaded (default :func:`contract_snapshot`)."""
        return contract_snapshot()

    @pytest.fixture
    def records(self) -> CrmSnapshot:
        """The records loaded into the source under test."""
        return self.snapshot()

    @pytest.fixture
    def crm(self, records: CrmSnapshot) -> Iterator[CrmSource]:
        """The source under test (closed afterwards when it has ``close``)."""
        source = self.make_source(records)
        try:
            yield source
        finally:
            close = getattr(source, "close", None)
            if callable(close):
                close()

    @pytest.fixture
    def reference(self, records: CrmSnapshot) -> MemorySource:
        """The reference source holding the same records."""
        return MemorySource.from_snapshot(records)

    def assert_same(self, kind: str, got: Any, expected: Any) -> None:
        """Compare two records of ``kind`` on :attr:`fields`."""
        fields = self.fields[kind]
        assert _core(got, fields) == _core(expected, fields), f"{kind} {expected.id}"

    # -- the tests ------------------------------------------------------------------------------

    def test_the_source_satisfies_the_protocol(self, crm: CrmSource) -> None:
        assert isinstance(crm, CrmSource)

    def test_every_record_is_found_by_its_id(self, crm: CrmSource, records: CrmSnapshot) -> None:
        for kind, getter, found in (
            ("lead", crm.get_lead, records.leads),
            ("contact", crm.get_contact, records.contacts),
            ("account", crm.get_account, records.accounts),
            ("opportunity", crm.get_opportunity, records.opportunities),
            ("seller", crm.get_seller, records.sellers),
        ):
            for record in found:
                self.assert_same(kind, getter(record.id), record)

    @pytest.mark.parametrize(
        "missing",
        ["00000000-0000-0000-0000-000000000001", "no-such-id", "' or 1 eq 1 or '", "x" * 300],
    )
    def test_an_unknown_id_raises_record_not_found(self, crm: CrmSource, missing: str) -> None:
        for kind in ("lead", "contact", "account", "opportunity", "seller"):
            with pytest.raises(RecordNotFound) as info:
                getattr(crm, f"get_{kind}")(missing)
            assert isinstance(info.value, KeyError)
            assert info.value.kind == kind

    def test_an_id_of_another_kind_is_not_found(self, crm: CrmSource, records: CrmSnapshot) -> None:
        with pytest.raises(RecordNotFound):
            crm.get_lead(records.accounts[0].id)

    def test_leads_are_listed_by_creation_then_id(
        self, crm: CrmSource, reference: MemorySource
    ) -> None:
        listed = crm.leads()
        assert _ids(listed) == _ids(reference.leads())
        keys = [(lead.created_at, lead.id) for lead in listed]
        assert keys == sorted(keys)

    def test_a_listed_record_is_the_one_looked_up(self, crm: CrmSource) -> None:
        for lead in crm.leads():
            assert crm.get_lead(lead.id) == lead
        for account in crm.accounts():
            assert crm.get_account(account.id) == account

    def test_leads_are_filtered_by_owner_status_and_modification(
        self, crm: CrmSource, reference: MemorySource, records: CrmSnapshot
    ) -> None:
        owners = sorted({lead.owner_id for lead in records.leads if lead.owner_id})
        for owner in [*owners, None]:
            for status in [*LeadStatus, None]:
                for since in (None, T0 + 2 * timedelta(hours=1), T0 + 3 * timedelta(days=1)):
                    got = crm.leads(owner_id=owner, status=status, modified_since=since)
                    want = reference.leads(owner_id=owner, status=status, modified_since=since)
                    assert _ids(got) == _ids(want), (owner, status, since)

    def test_a_filter_no_record_matches_lists_nothing(self, crm: CrmSource) -> None:
        assert list(crm.leads(owner_id="nobody")) == []
        assert list(crm.leads(owner_id="00000000-0000-0000-0000-000000000009")) == []
        assert list(crm.contacts(account_id="no-such-account")) == []
        assert list(crm.opportunities(lead_id="no-such-lead")) == []
        assert list(crm.leads(modified_since=T0 + timedelta(days=3650))) == []

    def test_contacts_and_accounts_are_filtered(
        self, crm: CrmSource, reference: MemorySource, records: CrmSnapshot
    ) -> None:
        assert _ids(crm.contacts()) == _ids(reference.contacts())
        for account in records.accounts:
            got = crm.contacts(account_id=account.id)
            assert _ids(got) == _ids(reference.contacts(account_id=account.id))
        for since in (None, T0 + timedelta(days=2), T0 + timedelta(days=4)):
            assert _ids(crm.accounts(modified_since=since)) == _ids(
                reference.accounts(modified_since=since)
            )
            assert _ids(crm.contacts(modified_since=since)) == _ids(
                reference.contacts(modified_since=since)
            )

    def test_opportunities_are_filtered(
        self, crm: CrmSource, reference: MemorySource, records: CrmSnapshot
    ) -> None:
        assert _ids(crm.opportunities()) == _ids(reference.opportunities())
        for account in records.accounts:
            for status in [*OpportunityStatus, None]:
                got = crm.opportunities(account_id=account.id, status=status)
                assert _ids(got) == _ids(reference.opportunities(account_id=account.id,
                                                                 status=status))  # fmt: skip
        for lead in records.leads:
            assert _ids(crm.opportunities(lead_id=lead.id)) == _ids(
                reference.opportunities(lead_id=lead.id)
            )
        for contact in records.contacts:
            assert _ids(crm.opportunities(contact_id=contact.id)) == _ids(
                reference.opportunities(contact_id=contact.id)
            )
        for opportunity in crm.opportunities():
            self.assert_same("opportunity", opportunity, reference.get_opportunity(opportunity.id))

    def test_activities_regarding_a_record_are_oldest_first(
        self, crm: CrmSource, reference: MemorySource, records: CrmSnapshot
    ) -> None:
        loaded = {a.id: a for a in records.activities}
        refs = {a.regarding for a in records.activities}
        refs.add(RecordRef(kind="account", id=records.accounts[1].id))  # one with none
        for ref in refs:
            got = crm.activities(regarding=ref)
            assert _ids(got) == _ids(reference.activities(regarding=ref)), ref
            for activity in got:
                self.assert_same("activity", activity, loaded[activity.id])
        for since in (T0 + timedelta(hours=1), T0 + timedelta(days=1)):
            ref = records.activities[0].regarding
            assert _ids(crm.activities(regarding=ref, since=since)) == _ids(
                reference.activities(regarding=ref, since=since)
            )

    def test_notes_regarding_a_record_are_oldest_first(
        self, crm: CrmSource, reference: MemorySource, records: CrmSnapshot
    ) -> None:
        loaded = {n.id: n for n in records.notes}
        for ref in {n.regarding for n in records.notes}:
            got = crm.notes(regarding=ref)
            assert _ids(got) == _ids(reference.notes(regarding=ref)), ref
            for note in got:
                self.assert_same("note", note, loaded[note.id])
        assert sorted(_ids(crm.notes())) == sorted(_ids(reference.notes()))

    def test_sellers_are_listed(self, crm: CrmSource, reference: MemorySource) -> None:
        assert sorted(_ids(crm.sellers())) == sorted(_ids(reference.sellers()))

    def test_a_lead_context_gathers_the_same_records(
        self, crm: CrmSource, reference: MemorySource, records: CrmSnapshot
    ) -> None:
        for lead in records.leads:
            got, want = build_context(crm, lead.id), build_context(reference, lead.id)
            assert _ids(got.activities) == _ids(want.activities)
            assert _ids(got.notes) == _ids(want.notes)
            assert _ids(got.opportunities) == _ids(want.opportunities)
            assert (got.account.id if got.account else None) == (
                want.account.id if want.account else None
            )
            assert (got.contact.id if got.contact else None) == (
                want.contact.id if want.contact else None
            )
            assert (got.owner.id if got.owner else None) == (want.owner.id if want.owner else None)


class CrmWriterContract(CrmSourceContract):
    """The write contract of :class:`~leadqual.sources.CrmWriter` (and the read contract).

    ``make_source`` returns a source that is also a writer. Created records may come back with
    the CRM's own id and stamps: the contract checks that what a write returns is what the
    source then reads.
    """

    def writer(self, crm: CrmSource) -> Any:
        """``crm`` as a writer (asserting it is one)."""
        assert isinstance(crm, CrmWriter), f"{type(crm).__name__} is not a CrmWriter"
        return crm

    def test_the_source_satisfies_the_writer_protocol(self, crm: CrmSource) -> None:
        self.writer(crm)

    def test_created_records_are_read_back_as_returned(
        self, crm: CrmSource, records: CrmSnapshot
    ) -> None:
        writer = self.writer(crm)
        account = writer.create_account(
            Account(id=str(uuid.uuid4()), name="Northwind Traders", created_at=T0)
        )
        assert crm.get_account(account.id) == account
        assert account.name == "Northwind Traders"
        contact = writer.create_contact(
            Contact(
                id=str(uuid.uuid4()),
                first_name="Pat",
                last_name="Quinn",
                account_id=account.id,
                created_at=T0,
            )
        )
        assert crm.get_contact(contact.id) == contact
        assert _ids(crm.contacts(account_id=account.id)) == [contact.id]
        opportunity = writer.create_opportunity(
            Opportunity(
                id=str(uuid.uuid4()),
                name="Northwind pilot",
                account_id=account.id,
                contact_id=contact.id,
                originating_lead_id=records.leads[0].id,
                created_at=T0,
            )
        )
        assert crm.get_opportunity(opportunity.id) == opportunity
        assert _ids(crm.opportunities(account_id=account.id)) == [opportunity.id]
        assert opportunity.id in _ids(crm.opportunities(lead_id=records.leads[0].id))

    def test_a_status_change_is_stored_and_leaves_other_leads_alone(
        self, crm: CrmSource, records: CrmSnapshot
    ) -> None:
        writer = self.writer(crm)
        target, other = records.leads[0].id, records.leads[1].id
        before = crm.get_lead(other)
        updated = writer.update_lead_status(target, LeadStatus.QUALIFIED, at=T0 + timedelta(days=9))
        assert updated.status is LeadStatus.QUALIFIED
        assert crm.get_lead(target) == updated
        assert crm.get_lead(other) == before
        reopened = writer.update_lead_status(target, LeadStatus.OPEN, at=T0 + timedelta(days=10))
        assert reopened.status is LeadStatus.OPEN and reopened.closed_at is None

    def test_lead_changes_are_stored_and_bad_ones_refused(
        self, crm: CrmSource, records: CrmSnapshot
    ) -> None:
        writer = self.writer(crm)
        lead = records.leads[4]
        updated = writer.update_lead(
            lead.id, {"job_title": "VP Sales", "account_id": records.accounts[1].id}
        )
        assert (updated.job_title, updated.account_id) == ("VP Sales", records.accounts[1].id)
        assert crm.get_lead(lead.id) == updated
        for changes in ({"status": "qualified"}, {"id": "other"}, {"no_such_field": 1},
                        {"employee_count": -5}):  # fmt: skip
            with pytest.raises(ValidationFailed):
                writer.update_lead(lead.id, changes)
        assert crm.get_lead(lead.id) == updated  # nothing half-written
        with pytest.raises(RecordNotFound):
            writer.update_lead(str(uuid.uuid4()), {"job_title": "x"})
        with pytest.raises(RecordNotFound):
            writer.update_lead_status(str(uuid.uuid4()), LeadStatus.QUALIFIED)

    def test_notes_and_activities_move_and_are_counted(
        self, crm: CrmSource, reference: MemorySource, records: CrmSnapshot
    ) -> None:
        writer = self.writer(crm)
        lead = RecordRef(kind="lead", id=records.leads[0].id)
        target = RecordRef(kind="contact", id=records.contacts[3].id)
        notes = len(reference.notes(regarding=lead))
        activities = len(reference.activities(regarding=lead))
        assert writer.move_notes(lead, target) == notes
        assert writer.move_activities(lead, target) == activities
        assert crm.notes(regarding=lead) == [] and crm.activities(regarding=lead) == []
        assert len(crm.notes(regarding=target)) == notes
        assert len(crm.activities(regarding=target)) == activities
        assert writer.move_notes(lead, target) == 0
