"""Every email field of a lead or contact, checked with what the CRM knows around it: the company's
websites and name (for the domain mismatch check) and, with consent, the email history (hard
bounces prove an address dead).

These functions take the validator as their first argument; it does the checking.

Examples:
    >>> from datetime import datetime, UTC
    >>> from leadqual.email import EmailValidator, validate_record
    >>> from leadqual.models import Lead
    >>> lead = Lead(id="L-1", email="kim@contoso.com", other_emails=("kim@gmial.com",),
    ...             created_at=datetime(2020, 1, 1, tzinfo=UTC))
    >>> report = validate_record(EmailValidator(check_deliverability=False), lead)
    >>> [(f.field, f.check.status) for f in report.checks]
    [('email', 'valid'), ('other_emails[0]', 'risky')]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from leadqual.email._history import collect
from leadqual.email.checks import EmailCheck, FieldEmailCheck, RecordEmailReport
from leadqual.errors import EmailInputError
from leadqual.models import Account, Contact, EmailMessage, Lead, LeadContext

if TYPE_CHECKING:
    # type-only: the validator module imports this one for its deprecated method aliases
    from leadqual.email.validator import EmailValidator, _Company

__all__ = [
    "avalidate_context",
    "avalidate_record",
    "avalidate_records",
    "validate_context",
    "validate_record",
    "validate_records",
]


def validate_record(
    validator: EmailValidator,
    record: Lead | Contact,
    /,
    *,
    account: Account | None = None,
    messages: Iterable[EmailMessage] = (),
) -> RecordEmailReport:
    """Check every email field of a lead or contact, whatever the record's age.

    The lead's website, the account's website and the company name feed the domain mismatch
    check; ``messages`` (the CRM's email history) can prove an address dead (see
    :func:`validate_records`).
    """
    accounts = [account] if account else []
    return validate_records(validator, [record], accounts=accounts, messages=messages)[0]


async def avalidate_record(
    validator: EmailValidator,
    record: Lead | Contact,
    /,
    *,
    account: Account | None = None,
    messages: Iterable[EmailMessage] = (),
) -> RecordEmailReport:
    """Check every email field of a record without blocking the event loop."""
    accounts = [account] if account else []
    reports = await avalidate_records(validator, [record], accounts=accounts, messages=messages)
    return reports[0]


def validate_context(
    validator: EmailValidator, context: LeadContext, /, *, read_emails: bool = False
) -> RecordEmailReport:
    """Check every email field of the lead in ``context``, with its account's website.

    Args:
        validator: the validator to check with.
        context: the lead with its related records.
        read_emails: also read the lead's email messages for hard bounces; pass
            ``config.consent.read_emails``, the consent to read them.
    """
    messages = context.emails if read_emails else ()
    return validate_record(validator, context.lead, account=context.account, messages=messages)


async def avalidate_context(
    validator: EmailValidator, context: LeadContext, /, *, read_emails: bool = False
) -> RecordEmailReport:
    """Check the lead in ``context`` without blocking the event loop."""
    messages = context.emails if read_emails else ()
    return await avalidate_record(
        validator, context.lead, account=context.account, messages=messages
    )


def validate_records(
    validator: EmailValidator,
    records: Iterable[Lead | Contact],
    /,
    *,
    accounts: Iterable[Account] = (),
    messages: Iterable[EmailMessage] = (),
) -> list[RecordEmailReport]:
    """Check every email field of many leads and contacts, concurrently, order kept.

    Args:
        validator: the validator to check with.
        records: leads and contacts.
        accounts: accounts the records link to (by ``account_id``), for their websites.
        messages: email messages from the CRM (any record's). A hard bounce (a delivery status
            notification with a permanent 5.x.x failure) for an address makes it invalid
            (``hard_bounce``) unless the person wrote from it afterwards. Read them only with
            the organisation's consent to read emails.

    Raises:
        EmailInputError: an item of ``records`` is neither a lead nor a contact.
    """
    plan = _plan(validator, records, accounts, messages)
    return plan.reports(validator._check(plan.addresses()))


async def avalidate_records(
    validator: EmailValidator,
    records: Iterable[Lead | Contact],
    /,
    *,
    accounts: Iterable[Account] = (),
    messages: Iterable[EmailMessage] = (),
) -> list[RecordEmailReport]:
    """Check every email field of many records without blocking the event loop."""
    plan = _plan(validator, records, accounts, messages)
    return plan.reports(await validator._amany(plan.addresses()))


@dataclass(slots=True)
class _RecordPlan:
    records: list[tuple[Literal["lead", "contact"], str, bool]] = field(default_factory=list)
    items: list[tuple[int, str, str, _Company | None]] = field(default_factory=list)

    def addresses(self) -> list[tuple[str, _Company | None]]:
        return [(address, company) for _, _, address, company in self.items]

    def reports(self, checks: Sequence[EmailCheck]) -> list[RecordEmailReport]:
        grouped: list[list[FieldEmailCheck]] = [[] for _ in self.records]
        for (index, field_name, _, _), check in zip(self.items, checks, strict=True):
            grouped[index].append(FieldEmailCheck(field=field_name, check=check))
        return [
            RecordEmailReport(
                record_kind=kind, record_id=rid, checks=tuple(g), primary_missing=missing
            )
            for (kind, rid, missing), g in zip(self.records, grouped, strict=True)
        ]


def _plan(
    validator: EmailValidator,
    records: Iterable[Lead | Contact],
    accounts: Iterable[Account],
    messages: Iterable[EmailMessage],
) -> _RecordPlan:
    by_id = {a.id: a for a in accounts if a is not None}
    history = collect(messages)
    evidence = history if history.bounces else None
    plan = _RecordPlan()
    for i, record in enumerate(records):
        if not isinstance(record, Lead | Contact):
            raise EmailInputError(
                f"records[{i}] must be a Lead or a Contact, got {type(record).__name__}",
                field=f"records[{i}]",
            )
        account = by_id.get(record.account_id) if record.account_id else None
        websites: list[str] = []
        name: str | None = None
        if isinstance(record, Lead):
            kind: Literal["lead", "contact"] = "lead"
            if record.website:
                websites.append(record.website)
            name = record.company_name
        else:
            kind = "contact"
        if account is not None:
            if account.website:
                websites.append(account.website)
            name = name or account.name
        company = validator._company(websites, name, evidence)
        plan.records.append((kind, record.id, not record.email))
        for value in record.all_emails:  # primary first, repeats dropped
            field_name = (
                "email"
                if value == record.email
                else f"other_emails[{record.other_emails.index(value)}]"
            )
            plan.items.append((i, field_name, value, company))
    return plan
