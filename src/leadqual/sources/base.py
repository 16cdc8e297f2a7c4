"""The protocols a CRM data source implements, and helpers that work over any source."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from leadqual._base import to_utc
from leadqual.errors import RecordNotFound, ValidationFailed
from leadqual.models import (
    Account,
    Activity,
    Contact,
    Lead,
    LeadContext,
    LeadStatus,
    Note,
    Opportunity,
    OpportunityStatus,
    RecordRef,
    Seller,
)

__all__ = [
    "PROTECTED_LEAD_FIELDS",
    "CrmSource",
    "CrmWriter",
    "build_context",
    "with_changes",
    "with_status",
]

PROTECTED_LEAD_FIELDS = frozenset({"id", "created_at", "status", "status_reason", "closed_at"})
"""Lead fields :meth:`CrmWriter.update_lead` does not change."""


@runtime_checkable
class CrmSource(Protocol):
    """Read access to a CRM. Implement it to plug in Dynamics, Salesforce, HubSpot, a database...

    Look-ups by id raise :class:`~leadqual.errors.RecordNotFound`. List methods return records in a
    stable order (by creation time, then id) and take keyword-only filters; ``None`` means "any".
    Third-party sources register under the entry-point group ``leadqual.crm_sources``.
    """

    def get_lead(self, lead_id: str, /) -> Lead:
        """The lead with this id."""
        ...

    def get_contact(self, contact_id: str, /) -> Contact:
        """The contact with this id."""
        ...

    def get_account(self, account_id: str, /) -> Account:
        """The account with this id."""
        ...

    def get_opportunity(self, opportunity_id: str, /) -> Opportunity:
        """The opportunity with this id."""
        ...

    def get_seller(self, seller_id: str, /) -> Seller:
        """The seller with this id."""
        ...

    def leads(
        self,
        *,
        owner_id: str | None = None,
        status: LeadStatus | None = None,
        modified_since: datetime | None = None,
    ) -> Sequence[Lead]:
        """Leads, filtered by owner, status and last modification (``modified_at`` or creation)."""
        ...

    def contacts(
        self, *, account_id: str | None = None, modified_since: datetime | None = None
    ) -> Sequence[Contact]:
        """Contacts, optionally those of one account."""
        ...

    def accounts(self, *, modified_since: datetime | None = None) -> Sequence[Account]:
        """Accounts."""
        ...

    def opportunities(
        self,
        *,
        account_id: str | None = None,
        contact_id: str | None = None,
        lead_id: str | None = None,
        status: OpportunityStatus | None = None,
    ) -> Sequence[Opportunity]:
        """Opportunities of an account, a contact, or originating from a lead."""
        ...

    def activities(
        self, *, regarding: RecordRef | None = None, since: datetime | None = None
    ) -> Sequence[Activity]:
        """Activities regarding a record, oldest first."""
        ...

    def notes(self, *, regarding: RecordRef | None = None) -> Sequence[Note]:
        """Notes regarding a record, oldest first."""
        ...

    def sellers(self) -> Sequence[Seller]:
        """Every seller."""
        ...


@runtime_checkable
class CrmWriter(Protocol):
    """The writes qualification needs. leadqual never calls these on its own initiative: only
    :meth:`~leadqual.QualificationAgent.qualify`, ``disqualify`` and ``reactivate`` do, when a
    seller asks."""

    def create_account(self, account: Account, /) -> Account:
        """Create an account and return it as stored."""
        ...

    def create_contact(self, contact: Contact, /) -> Contact:
        """Create a contact and return it as stored."""
        ...

    def create_opportunity(self, opportunity: Opportunity, /) -> Opportunity:
        """Create an opportunity and return it as stored."""
        ...

    def update_lead_status(
        self,
        lead_id: str,
        /,
        status: LeadStatus,
        *,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> Lead:
        """Set a lead's status (and reason) and return the updated lead."""
        ...

    def move_notes(self, source: RecordRef, target: RecordRef, /) -> int:
        """Re-point every note regarding ``source`` to ``target``; return how many moved."""
        ...

    def update_lead(
        self, lead_id: str, changes: Mapping[str, Any], /, *, at: datetime | None = None
    ) -> Lead:
        """Change a lead's fields and links (``account_id``, ``contact_id``, ``owner_id``...)
        and return the updated lead; ``modified_at`` becomes ``at``. The id, creation time and
        status are not changed here (status: :meth:`update_lead_status`).

        Raises:
            RecordNotFound: no such lead.
            ValidationFailed: an unknown or protected field, or a value the field refuses.
        """
        ...

    def move_activities(self, source: RecordRef, target: RecordRef, /) -> int:
        """Re-point every activity regarding ``source`` to ``target``; return how many moved."""
        ...


def with_status(
    lead: Lead, status: LeadStatus, /, *, reason: str | None = None, at: datetime | None = None
) -> Lead:
    """``lead`` with a new status: closing stamps ``closed_at`` (``at``, default now), reopening
    clears it; ``modified_at`` becomes ``at``. Writers share it so they behave the same."""
    when = to_utc(at) if at else datetime.now(UTC)
    closed_at = None if status is LeadStatus.OPEN else when
    return lead.replace(status=status, status_reason=reason, closed_at=closed_at, modified_at=when)


def with_changes(lead: Lead, changes: Mapping[str, Any], /, *, at: datetime | None = None) -> Lead:
    """``lead`` with ``changes`` applied and validated, ``modified_at`` set to ``at`` (default
    now). Writers share it so they refuse the same changes.

    Raises:
        ValidationFailed: an unknown or protected field, or a value the field refuses.
    """
    unknown = sorted(k for k in changes if k not in Lead.model_fields)
    if unknown:
        raise ValidationFailed(f"a lead has no field {unknown[0]!r}", field=unknown[0])
    protected = sorted(k for k in changes if k in PROTECTED_LEAD_FIELDS)
    if protected:
        raise ValidationFailed(
            f"update_lead does not change {protected[0]!r} (use update_lead_status for the status)",
            field=protected[0],
        )
    when = to_utc(at) if at else datetime.now(UTC)
    return lead.replace(**changes, modified_at=when)


def build_context(source: CrmSource, lead_id: str, /) -> LeadContext:
    """Gather a lead and its related records (account, contact, opportunities, activities, notes,
    owner) from any source.

    Activities and notes regarding the lead and its parent contact are included; opportunities are
    those originating from the lead plus the open ones of its account or contact.
    """
    lead = source.get_lead(lead_id)
    account = source.get_account(lead.account_id) if lead.account_id else None
    contact = source.get_contact(lead.contact_id) if lead.contact_id else None
    refs = [RecordRef(kind="lead", id=lead.id)]
    if contact is not None:
        refs.append(RecordRef(kind="contact", id=contact.id))
    opps: dict[str, Opportunity] = {o.id: o for o in source.opportunities(lead_id=lead.id)}
    if account is not None:
        opps.update({o.id: o for o in source.opportunities(account_id=account.id)})
    if contact is not None:
        opps.update({o.id: o for o in source.opportunities(contact_id=contact.id)})
    activities = sorted(
        (a for ref in refs for a in source.activities(regarding=ref)),
        key=lambda a: (a.occurred_at, a.id),
    )
    notes = sorted(
        (n for ref in refs for n in source.notes(regarding=ref)),
        key=lambda n: (n.created_at, n.id),
    )
    owner = None
    if lead.owner_id:
        try:
            owner = source.get_seller(lead.owner_id)
        except RecordNotFound:
            owner = None  # an owner who left the CRM does not make the lead unreadable
    return LeadContext(
        lead=lead,
        account=account,
        contact=contact,
        opportunities=tuple(sorted(opps.values(), key=lambda o: (o.created_at, o.id))),
        activities=tuple(activities),
        notes=tuple(notes),
        owner=owner,
    )
