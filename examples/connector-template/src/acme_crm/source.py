"""A leadqual ``CrmSource`` over Acme CRM's records.

Acme's API returns each record as a JSON object with Acme's field names (``Id``, ``FirstName``,
``Company``, ``Stage``...). Here those objects are held in a dict (a real connector fetches them
page by page over HTTP: keep the conversion functions and replace ``self._records`` with calls to
the API). The conversion functions are the part to rewrite for your CRM.

Examples:
    >>> crm = AcmeCrmSource({"leads": [{"Id": "L1", "LastName": "Ng",
    ...                                 "CreatedDate": "2026-01-05T09:00:00Z"}]})
    >>> crm.get_lead("L1").last_name
    'Ng'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from leadqual.errors import RecordNotFound, RowConversionError
from leadqual.models import (
    Account,
    Activity,
    Contact,
    Lead,
    LeadStatus,
    Note,
    Opportunity,
    OpportunityStatus,
    Phone,
    RecordRef,
    Seller,
)
from pydantic import TypeAdapter

__all__ = ["AcmeCrmSource"]

Row = Mapping[str, Any]
_R = TypeVar("_R", Lead, Contact, Account, Opportunity, Seller, Note)
_ACTIVITY: TypeAdapter[Activity] = TypeAdapter(Activity)

# Acme's lead statuses -> leadqual's. An unknown status makes the row unreadable (see _read).
_LEAD_STATUS = {"Open": LeadStatus.OPEN, "Working": LeadStatus.OPEN,
                "Converted": LeadStatus.QUALIFIED, "Junk": LeadStatus.DISQUALIFIED}  # fmt: skip
_OPPORTUNITY_STATUS = {"Open": OpportunityStatus.OPEN, "Won": OpportunityStatus.WON,
                       "Lost": OpportunityStatus.LOST}  # fmt: skip


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- Acme's fields -> leadqual's models: rewrite these for your CRM ------------------------------


def lead_from_acme(row: Row) -> Lead:
    """A lead from Acme's ``Lead`` object."""
    phone = row.get("Phone")
    return Lead(
        id=row["Id"],
        first_name=row.get("FirstName"),
        last_name=row.get("LastName"),
        email=row.get("Email"),
        job_title=row.get("Title"),
        company_name=row.get("Company"),
        industry=row.get("Industry"),
        lead_source=row.get("Source"),
        employee_count=row.get("Employees"),
        phones=(Phone(number=phone),) if phone else (),
        status=_LEAD_STATUS[row.get("Status") or "Open"],
        status_reason=row.get("StatusReason"),
        owner_id=row.get("OwnerId"),
        account_id=row.get("AccountId"),
        contact_id=row.get("ContactId"),
        created_at=_time(row["CreatedDate"]),
        modified_at=_time(row.get("LastModifiedDate")),
        closed_at=_time(row.get("ClosedDate")),
    )


def contact_from_acme(row: Row) -> Contact:
    """A contact from Acme's ``Contact`` object."""
    return Contact(
        id=row["Id"],
        first_name=row.get("FirstName"),
        last_name=row.get("LastName"),
        email=row.get("Email"),
        account_id=row.get("AccountId"),
        owner_id=row.get("OwnerId"),
        created_at=_time(row["CreatedDate"]),
        modified_at=_time(row.get("LastModifiedDate")),
    )


def account_from_acme(row: Row) -> Account:
    """An account from Acme's ``Account`` object."""
    return Account(
        id=row["Id"],
        name=row["Name"],
        industry=row.get("Industry"),
        employee_count=row.get("Employees"),
        parent_account_id=row.get("ParentId"),
        owner_id=row.get("OwnerId"),
        created_at=_time(row["CreatedDate"]),
        modified_at=_time(row.get("LastModifiedDate")),
    )


def opportunity_from_acme(row: Row) -> Opportunity:
    """An opportunity from Acme's ``Deal`` object."""
    return Opportunity(
        id=row["Id"],
        name=row["Name"],
        status=_OPPORTUNITY_STATUS[row.get("Stage") or "Open"],
        estimated_value=row.get("Amount"),
        account_id=row.get("AccountId"),
        contact_id=row.get("ContactId"),
        originating_lead_id=row.get("LeadId"),
        owner_id=row.get("OwnerId"),
        created_at=_time(row["CreatedDate"]),
    )


def seller_from_acme(row: Row) -> Seller:
    """A seller from Acme's ``User`` object."""
    return Seller(
        id=row["Id"],
        name=row["Name"],
        email=row.get("Email"),
        roles=tuple(row.get("Roles", ())),
        is_active=row.get("Active", True),
    )


def activity_from_acme(row: Row) -> Activity:
    """An activity: Acme's ``Activity`` objects already use leadqual's field names, with the
    record they regard as ``WhatType`` and ``WhatId``."""
    data = {k: v for k, v in row.items() if k not in ("WhatType", "WhatId")}
    data["regarding"] = {"kind": row["WhatType"], "id": row["WhatId"]}
    return _ACTIVITY.validate_python(data)


def note_from_acme(row: Row) -> Note:
    """A note from Acme's ``Note`` object."""
    return Note(
        id=row["Id"],
        regarding=RecordRef(kind=row["WhatType"], id=row["WhatId"]),
        title=row.get("Title"),
        text=row.get("Body") or "",
        author_id=row.get("CreatedById"),
        created_at=_time(row["CreatedDate"]),
    )


class AcmeCrmSource:
    """Acme CRM's leads, contacts, accounts, deals, activities, notes and users as a leadqual
    :class:`~leadqual.sources.CrmSource`.

    Args:
        records: Acme object name (``leads``, ``contacts``, ``accounts``, ``deals``,
            ``activities``, ``notes``, ``users``) -> its records as the API returns them.
    """

    def __init__(self, records: Mapping[str, Iterable[Row]], /) -> None:
        self._records = {name: list(rows) for name, rows in records.items()}
        self.row_errors: list[RowConversionError] = []

    # A row Acme returns that cannot be read (a status this connector does not know, a missing
    # creation date) is skipped in a listing and kept in row_errors, never the end of it.
    def _read(self, name: str, convert: Callable[[Row], Any]) -> list[Any]:
        out = []
        for row in self._records.get(name, ()):
            try:
                out.append(convert(row))
            except (KeyError, ValueError, TypeError) as err:
                self.row_errors.append(
                    RowConversionError(
                        f"{name} row {row.get('Id')!r}: {err}", table=name, row_id=row.get("Id")
                    )
                )
        return out

    def _get(self, name: str, kind: str, convert: Callable[[Row], _R], record_id: str) -> _R:
        for row in self._records.get(name, ()):
            if row.get("Id") == record_id:
                try:
                    return convert(row)
                except (KeyError, ValueError, TypeError) as err:
                    raise RowConversionError(
                        f"{name} row {record_id!r}: {err}", table=name, row_id=record_id
                    ) from err
        raise RecordNotFound(kind, record_id)

    def get_lead(self, lead_id: str, /) -> Lead:
        """The lead with this id."""
        return self._get("leads", "lead", lead_from_acme, lead_id)

    def get_contact(self, contact_id: str, /) -> Contact:
        """The contact with this id."""
        return self._get("contacts", "contact", contact_from_acme, contact_id)

    def get_account(self, account_id: str, /) -> Account:
        """The account with this id."""
        return self._get("accounts", "account", account_from_acme, account_id)

    def get_opportunity(self, opportunity_id: str, /) -> Opportunity:
        """The opportunity (deal) with this id."""
        return self._get("deals", "opportunity", opportunity_from_acme, opportunity_id)

    def get_seller(self, seller_id: str, /) -> Seller:
        """The seller (user) with this id."""
        return self._get("users", "seller", seller_from_acme, seller_id)

    def leads(
        self,
        *,
        owner_id: str | None = None,
        status: LeadStatus | None = None,
        modified_since: datetime | None = None,
    ) -> Sequence[Lead]:
        """Leads by creation time then id, filtered by owner, status and last modification."""
        found = [
            lead
            for lead in self._read("leads", lead_from_acme)
            if (owner_id is None or lead.owner_id == owner_id)
            and (status is None or lead.status == status)
            and (modified_since is None or (lead.modified_at or lead.created_at) >= modified_since)
        ]
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def contacts(
        self, *, account_id: str | None = None, modified_since: datetime | None = None
    ) -> Sequence[Contact]:
        """Contacts by creation time then id, optionally those of one account."""
        found = [
            c
            for c in self._read("contacts", contact_from_acme)
            if (account_id is None or c.account_id == account_id)
            and (modified_since is None or (c.modified_at or c.created_at) >= modified_since)
        ]
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def accounts(self, *, modified_since: datetime | None = None) -> Sequence[Account]:
        """Accounts by creation time then id."""
        found = [
            a
            for a in self._read("accounts", account_from_acme)
            if modified_since is None or (a.modified_at or a.created_at) >= modified_since
        ]
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def opportunities(
        self,
        *,
        account_id: str | None = None,
        contact_id: str | None = None,
        lead_id: str | None = None,
        status: OpportunityStatus | None = None,
    ) -> Sequence[Opportunity]:
        """Deals of an account, a contact, or from a lead, by creation time then id."""
        found = [
            o
            for o in self._read("deals", opportunity_from_acme)
            if (account_id is None or o.account_id == account_id)
            and (contact_id is None or o.contact_id == contact_id)
            and (lead_id is None or o.originating_lead_id == lead_id)
            and (status is None or o.status == status)
        ]
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def activities(
        self, *, regarding: RecordRef | None = None, since: datetime | None = None
    ) -> Sequence[Activity]:
        """Activities regarding a record, oldest first."""
        found = [
            a
            for a in self._read("activities", activity_from_acme)
            if (regarding is None or a.regarding == regarding)
            and (since is None or a.occurred_at >= since)
        ]
        return sorted(found, key=lambda a: (a.occurred_at, a.id))

    def notes(self, *, regarding: RecordRef | None = None) -> Sequence[Note]:
        """Notes regarding a record, oldest first."""
        found = [
            n
            for n in self._read("notes", note_from_acme)
            if regarding is None or n.regarding == regarding
        ]
        return sorted(found, key=lambda n: (n.created_at, n.id))

    def sellers(self) -> Sequence[Seller]:
        """Every seller, by id."""
        return sorted(self._read("users", seller_from_acme), key=lambda s: s.id)
