"""The :class:`~leadqual.sources.CrmWriter` methods of the built-in sources, written once.

Each source stores records its own way; what a write means (a new record needs a new id, a status
change stamps the times, notes move in one write) is the same for all, so it is written here over
the storage each source already has.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from leadqual.errors import ValidationFailed
from leadqual.models import (
    Account,
    Activity,
    Contact,
    Lead,
    LeadStatus,
    Note,
    Opportunity,
    RecordRef,
    Seller,
)
from leadqual.sources.base import with_changes, with_status

__all__ = ["InsertCreates", "ListsInOrder", "ReadByKind", "WriterMethods", "id_taken"]


def id_taken(kind: str, record_id: str) -> ValidationFailed:
    """The error for creating a record whose id is already used."""
    return ValidationFailed(f"a {kind} with id {record_id!r} exists", field=f"{kind}.id")


class ReadByKind:
    """The typed getters of :class:`~leadqual.sources.CrmSource` over a source's ``_get(kind,
    record_id)``, which returns the record of that kind or raises
    :class:`~leadqual.errors.RecordNotFound`."""

    if TYPE_CHECKING:
        # The lookup each source implements.
        def _get(self, kind: str, record_id: str) -> Any: ...

    def get_lead(self, lead_id: str, /) -> Lead:
        """The lead with this id."""
        lead: Lead = self._get("lead", lead_id)
        return lead

    def get_contact(self, contact_id: str, /) -> Contact:
        """The contact with this id."""
        contact: Contact = self._get("contact", contact_id)
        return contact

    def get_account(self, account_id: str, /) -> Account:
        """The account with this id."""
        account: Account = self._get("account", account_id)
        return account

    def get_opportunity(self, opportunity_id: str, /) -> Opportunity:
        """The opportunity with this id."""
        opportunity: Opportunity = self._get("opportunity", opportunity_id)
        return opportunity

    def get_seller(self, seller_id: str, /) -> Seller:
        """The seller with this id."""
        seller: Seller = self._get("seller", seller_id)
        return seller


class ListsInOrder:
    """The list methods of :class:`~leadqual.sources.CrmSource` over a source's streaming
    ``iter_leads``, ``iter_contacts`` and ``iter_accounts`` (same filters): the records they
    yield, by creation time then id."""

    if TYPE_CHECKING:
        # The streams each source implements.
        def iter_leads(
            self,
            *,
            owner_id: str | None = None,
            status: LeadStatus | None = None,
            modified_since: datetime | None = None,
        ) -> Iterator[Lead]: ...

        def iter_contacts(
            self, *, account_id: str | None = None, modified_since: datetime | None = None
        ) -> Iterator[Contact]: ...

        def iter_accounts(self, *, modified_since: datetime | None = None) -> Iterator[Account]: ...

    def leads(
        self,
        *,
        owner_id: str | None = None,
        status: LeadStatus | None = None,
        modified_since: datetime | None = None,
    ) -> Sequence[Lead]:
        """Leads, filtered by owner, status and last modification (``modified_at``, else
        ``created_at``), by creation time then id."""
        found = self.iter_leads(owner_id=owner_id, status=status, modified_since=modified_since)
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def contacts(
        self, *, account_id: str | None = None, modified_since: datetime | None = None
    ) -> Sequence[Contact]:
        """Contacts, optionally those of one account, by creation time then id."""
        found = self.iter_contacts(account_id=account_id, modified_since=modified_since)
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def accounts(self, *, modified_since: datetime | None = None) -> Sequence[Account]:
        """Accounts, by creation time then id."""
        found = self.iter_accounts(modified_since=modified_since)
        return sorted(found, key=lambda r: (r.created_at, r.id))


class InsertCreates:
    """The ``create_*`` methods of :class:`~leadqual.sources.CrmWriter` over a source's
    ``_insert`` (insert, raising :func:`id_taken` when the id is used). A source whose service
    stores a record differently from how it was given (stamps, a new id) overrides ``_create``
    to return the record as stored."""

    if TYPE_CHECKING:
        # The insert each source implements.
        def _insert(self, kind: str, record: Account | Contact | Opportunity) -> None: ...

    def _create(self, kind: str, record: Account | Contact | Opportunity) -> Any:
        """Insert ``record`` and return it as stored: here, as given."""
        self._insert(kind, record)
        return record

    def create_account(self, account: Account, /) -> Account:
        """Create an account (its id must be new) and return it as stored."""
        created: Account = self._create("account", account)
        return created

    def create_contact(self, contact: Contact, /) -> Contact:
        """Create a contact (its id must be new) and return it as stored."""
        created: Contact = self._create("contact", contact)
        return created

    def create_opportunity(self, opportunity: Opportunity, /) -> Opportunity:
        """Create an opportunity (its id must be new) and return it as stored."""
        created: Opportunity = self._create("opportunity", opportunity)
        return created


class WriterMethods(InsertCreates):
    """:class:`~leadqual.sources.CrmWriter` over a source's ``get_lead``, ``notes``, ``add``
    (insert or replace, in one write) and ``_insert`` (insert, raising :func:`id_taken` when the
    id is used)."""

    if TYPE_CHECKING:
        # The storage each source implements.
        def get_lead(self, lead_id: str, /) -> Lead: ...

        def notes(self, *, regarding: RecordRef | None = None) -> Sequence[Note]: ...

        def activities(
            self, *, regarding: RecordRef | None = None, since: datetime | None = None
        ) -> Sequence[Activity]: ...

        def add(self, *records: Any) -> None: ...

    def update_lead_status(
        self,
        lead_id: str,
        /,
        status: LeadStatus,
        *,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> Lead:
        """Set a lead's status; closing stamps ``closed_at``, reopening clears it."""
        updated = with_status(self.get_lead(lead_id), status, reason=reason, at=at)
        self.add(updated)
        return updated

    def update_lead(
        self, lead_id: str, changes: Mapping[str, Any], /, *, at: datetime | None = None
    ) -> Lead:
        """Change a lead's fields and links; the id, creation time and status stay."""
        updated = with_changes(self.get_lead(lead_id), changes, at=at)
        self.add(updated)
        return updated

    def move_activities(self, source: RecordRef, target: RecordRef, /) -> int:
        """Re-point every activity regarding ``source`` to ``target`` in one write."""
        moved = [a.replace(regarding=target) for a in self.activities(regarding=source)]
        self.add(*moved)
        return len(moved)

    def move_notes(self, source: RecordRef, target: RecordRef, /) -> int:
        """Re-point every note regarding ``source`` to ``target`` in one write (one transaction
        in a database)."""
        moved = [n.replace(regarding=target) for n in self.notes(regarding=source)]
        self.add(*moved)
        return len(moved)
