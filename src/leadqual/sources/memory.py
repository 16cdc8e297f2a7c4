"""An in-memory CRM: the reference :class:`CrmSource` and :class:`CrmWriter`, for tests and demos."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ConfigDict, Field, TypeAdapter

from leadqual._base import LeadqualModel, to_utc
from leadqual.errors import RecordNotFound, ValidationFailed
from leadqual.models import (
    Account,
    Activity,
    Contact,
    Lead,
    LeadStatus,
    Note,
    Opportunity,
    OpportunityStatus,
    RecordRef,
    Seller,
)
from leadqual.sources._writer import WriterMethods, id_taken

__all__ = ["CrmSnapshot", "MemorySource"]

_R = TypeVar("_R", Lead, Contact, Account, Opportunity, Seller, Note)
_ACTIVITY = TypeAdapter(Activity)


class CrmSnapshot(LeadqualModel):
    """Every record of a CRM, as one JSON-serialisable document."""

    model_config = ConfigDict(frozen=True)

    leads: tuple[Lead, ...] = ()
    contacts: tuple[Contact, ...] = ()
    accounts: tuple[Account, ...] = ()
    opportunities: tuple[Opportunity, ...] = ()
    activities: tuple[Activity, ...] = Field(default=())
    notes: tuple[Note, ...] = ()
    sellers: tuple[Seller, ...] = ()


def _index(kind: str, records: Iterable[_R]) -> dict[str, _R]:
    out: dict[str, _R] = {}
    for r in records:
        if r.id in out:
            raise ValidationFailed(f"two {kind} records share the id {r.id!r}", field=f"{kind}.id")
        out[r.id] = r
    return out


def _touched(record: Lead | Contact | Account) -> datetime:
    return record.modified_at or record.created_at


class MemorySource(WriterMethods):
    """A CRM held in memory. Implements :class:`~leadqual.sources.CrmSource` and
    :class:`~leadqual.sources.CrmWriter`.

    Records are frozen, so what the source returns can be shared safely.

    Examples:
        >>> from datetime import datetime, UTC
        >>> src = MemorySource(leads=[Lead(id="L-1", last_name="Ng", created_at=datetime.now(UTC))])
        >>> src.get_lead("L-1").last_name
        'Ng'
    """

    def __init__(
        self,
        *,
        leads: Iterable[Lead] = (),
        contacts: Iterable[Contact] = (),
        accounts: Iterable[Account] = (),
        opportunities: Iterable[Opportunity] = (),
        activities: Iterable[Activity] = (),
        notes: Iterable[Note] = (),
        sellers: Iterable[Seller] = (),
    ) -> None:
        self._leads = _index("lead", leads)
        self._contacts = _index("contact", contacts)
        self._accounts = _index("account", accounts)
        self._opportunities = _index("opportunity", opportunities)
        self._notes = _index("note", notes)
        self._sellers = _index("seller", sellers)
        self._activities: dict[str, Activity] = {}
        for a in activities:
            if a.id in self._activities:
                raise ValidationFailed(
                    f"two activity records share the id {a.id!r}", field="activity.id"
                )
            self._activities[a.id] = a
        # Activities and notes by the record they regard: a lead's context reads them for every
        # lead, and a scan of the whole table each time made a batch quadratic.
        self._activities_of: dict[tuple[str, str], dict[str, None]] = {}
        self._notes_of: dict[tuple[str, str], dict[str, None]] = {}
        for a in self._activities.values():
            _file(self._activities_of, a.id, None, a.regarding)
        for n in self._notes.values():
            _file(self._notes_of, n.id, None, n.regarding)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_snapshot(cls, snapshot: CrmSnapshot) -> MemorySource:
        """Build a source over a snapshot."""
        return cls(
            leads=snapshot.leads,
            contacts=snapshot.contacts,
            accounts=snapshot.accounts,
            opportunities=snapshot.opportunities,
            activities=snapshot.activities,
            notes=snapshot.notes,
            sellers=snapshot.sellers,
        )

    @classmethod
    def from_json(cls, path: str | Path) -> MemorySource:
        """Load a source from a JSON file written by :meth:`to_json`."""
        return cls.from_snapshot(CrmSnapshot.model_validate_json(Path(path).read_bytes()))

    def snapshot(self) -> CrmSnapshot:
        """Every record, as a snapshot."""
        return CrmSnapshot(
            leads=tuple(self._leads.values()),
            contacts=tuple(self._contacts.values()),
            accounts=tuple(self._accounts.values()),
            opportunities=tuple(self._opportunities.values()),
            activities=tuple(self._activities.values()),
            notes=tuple(self._notes.values()),
            sellers=tuple(self._sellers.values()),
        )

    def to_json(self, path: str | Path) -> None:
        """Write every record to a JSON file."""
        Path(path).write_text(self.snapshot().model_dump_json(indent=1), encoding="utf-8")

    def add(self, *records: Any) -> None:
        """Add or replace records of any kind (lead, contact, account, ..., activity, note)."""
        for r in records:
            if isinstance(r, Lead):
                self._leads[r.id] = r
            elif isinstance(r, Contact):
                self._contacts[r.id] = r
            elif isinstance(r, Account):
                self._accounts[r.id] = r
            elif isinstance(r, Opportunity):
                self._opportunities[r.id] = r
            elif isinstance(r, Note):
                was = self._notes.get(r.id)
                self._notes[r.id] = r
                _file(self._notes_of, r.id, was.regarding if was else None, r.regarding)
            elif isinstance(r, Seller):
                self._sellers[r.id] = r
            else:
                activity = _ACTIVITY.validate_python(r)
                before = self._activities.get(activity.id)
                self._activities[activity.id] = activity
                _file(
                    self._activities_of,
                    activity.id,
                    before.regarding if before else None,
                    activity.regarding,
                )

    def remove_lead(self, lead_id: str, /) -> Lead:
        """Delete a lead (as a CRM user would) and return it; its activities and notes stay.

        Raises:
            RecordNotFound: no such lead.
        """
        lead = self.get_lead(lead_id)
        del self._leads[lead_id]
        return lead

    def dangling_references(self) -> list[str]:
        """Describe every reference to a record that does not exist (empty when consistent)."""
        problems: list[str] = []
        tables = self._tables()

        def check(where: str, kind: str, ref: str | None) -> None:
            if ref is not None and ref not in tables[kind]:
                problems.append(f"{where} refers to missing {kind} {ref!r}")

        for lead in self._leads.values():
            check(f"lead {lead.id}", "account", lead.account_id)
            check(f"lead {lead.id}", "contact", lead.contact_id)
            check(f"lead {lead.id}", "seller", lead.owner_id)
        for c in self._contacts.values():
            check(f"contact {c.id}", "account", c.account_id)
            check(f"contact {c.id}", "lead", c.originating_lead_id)
            check(f"contact {c.id}", "seller", c.owner_id)
        for acc in self._accounts.values():
            check(f"account {acc.id}", "account", acc.parent_account_id)
            check(f"account {acc.id}", "contact", acc.primary_contact_id)
            check(f"account {acc.id}", "lead", acc.originating_lead_id)
            check(f"account {acc.id}", "seller", acc.owner_id)
        for o in self._opportunities.values():
            check(f"opportunity {o.id}", "account", o.account_id)
            check(f"opportunity {o.id}", "contact", o.contact_id)
            check(f"opportunity {o.id}", "lead", o.originating_lead_id)
            check(f"opportunity {o.id}", "seller", o.owner_id)
        for a in self._activities.values():
            check(f"activity {a.id}", a.regarding.kind, a.regarding.id)
            check(f"activity {a.id}", "seller", a.owner_id)
        for n in self._notes.values():
            check(f"note {n.id}", n.regarding.kind, n.regarding.id)
            check(f"note {n.id}", "seller", n.author_id)
        return problems

    def _tables(self) -> dict[str, dict[str, Any]]:
        return {
            "lead": self._leads,
            "contact": self._contacts,
            "account": self._accounts,
            "opportunity": self._opportunities,
            "seller": self._sellers,
        }

    # -- CrmSource ----------------------------------------------------------------------------

    @staticmethod
    def _get(table: dict[str, _R], kind: str, record_id: str) -> _R:
        try:
            return table[record_id]
        except KeyError:
            raise RecordNotFound(kind, record_id) from None

    def get_lead(self, lead_id: str, /) -> Lead:
        """The lead with this id."""
        return self._get(self._leads, "lead", lead_id)

    def get_contact(self, contact_id: str, /) -> Contact:
        """The contact with this id."""
        return self._get(self._contacts, "contact", contact_id)

    def get_account(self, account_id: str, /) -> Account:
        """The account with this id."""
        return self._get(self._accounts, "account", account_id)

    def get_opportunity(self, opportunity_id: str, /) -> Opportunity:
        """The opportunity with this id."""
        return self._get(self._opportunities, "opportunity", opportunity_id)

    def get_seller(self, seller_id: str, /) -> Seller:
        """The seller with this id."""
        return self._get(self._sellers, "seller", seller_id)

    def leads(
        self,
        *,
        owner_id: str | None = None,
        status: LeadStatus | None = None,
        modified_since: datetime | None = None,
    ) -> Sequence[Lead]:
        """Leads, filtered by owner, status and last modification."""
        since = to_utc(modified_since) if modified_since else None
        out = [
            lead
            for lead in self._leads.values()
            if (owner_id is None or lead.owner_id == owner_id)
            and (status is None or lead.status == status)
            and (since is None or _touched(lead) >= since)
        ]
        return sorted(out, key=lambda r: (r.created_at, r.id))

    def contacts(
        self, *, account_id: str | None = None, modified_since: datetime | None = None
    ) -> Sequence[Contact]:
        """Contacts, optionally those of one account."""
        since = to_utc(modified_since) if modified_since else None
        out = [
            c
            for c in self._contacts.values()
            if (account_id is None or c.account_id == account_id)
            and (since is None or _touched(c) >= since)
        ]
        return sorted(out, key=lambda r: (r.created_at, r.id))

    def accounts(self, *, modified_since: datetime | None = None) -> Sequence[Account]:
        """Accounts."""
        since = to_utc(modified_since) if modified_since else None
        out = [a for a in self._accounts.values() if since is None or _touched(a) >= since]
        return sorted(out, key=lambda r: (r.created_at, r.id))

    def opportunities(
        self,
        *,
        account_id: str | None = None,
        contact_id: str | None = None,
        lead_id: str | None = None,
        status: OpportunityStatus | None = None,
    ) -> Sequence[Opportunity]:
        """Opportunities of an account, a contact, or originating from a lead."""
        out = [
            o
            for o in self._opportunities.values()
            if (account_id is None or o.account_id == account_id)
            and (contact_id is None or o.contact_id == contact_id)
            and (lead_id is None or o.originating_lead_id == lead_id)
            and (status is None or o.status == status)
        ]
        return sorted(out, key=lambda r: (r.created_at, r.id))

    def activities(
        self, *, regarding: RecordRef | None = None, since: datetime | None = None
    ) -> Sequence[Activity]:
        """Activities regarding a record, oldest first."""
        after = to_utc(since) if since else None
        if regarding is None:
            found: Iterable[Activity] = self._activities.values()
        else:
            ids = self._activities_of.get((regarding.kind, regarding.id), {})
            found = (self._activities[i] for i in ids)
        out = [a for a in found if after is None or a.occurred_at >= after]
        return sorted(out, key=lambda a: (a.occurred_at, a.id))

    def notes(self, *, regarding: RecordRef | None = None) -> Sequence[Note]:
        """Notes regarding a record, oldest first."""
        if regarding is None:
            out = list(self._notes.values())
        else:
            ids = self._notes_of.get((regarding.kind, regarding.id), {})
            out = [self._notes[i] for i in ids]
        return sorted(out, key=lambda n: (n.created_at, n.id))

    def sellers(self) -> Sequence[Seller]:
        """Every seller, by id."""
        return sorted(self._sellers.values(), key=lambda s: s.id)

    # -- CrmWriter (its methods come from WriterMethods) ---------------------------------------

    def _insert(self, kind: str, record: Account | Contact | Opportunity) -> None:
        if record.id in self._tables()[kind]:
            raise id_taken(kind, record.id)
        self.add(record)


def _file(
    table: dict[tuple[str, str], dict[str, None]],
    record_id: str,
    was: RecordRef | None,
    now: RecordRef | None,
) -> None:
    """Keep ``table`` (record regarded -> ids of the activities or notes about it) current."""
    if was is not None:
        table.get((was.kind, was.id), {}).pop(record_id, None)
    if now is not None:
        table.setdefault((now.kind, now.id), {})[record_id] = None
