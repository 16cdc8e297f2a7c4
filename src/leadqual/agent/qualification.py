"""Qualifying a lead: the duplicate check against accounts and contacts first, then the records
the seller links or creates, the lead linked to them, and its notes and activities moved.

Writes go through :class:`~leadqual.sources.CrmWriter`, one at a time, in an order that leaves the
CRM usable if one fails: records are created before the lead points at them, and the lead is
marked qualified last. A failure raises :class:`~leadqual.errors.CrmWriteError` naming what was
already written, so the caller can finish or undo it; nothing is rolled back behind their back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeVar

from leadqual.agent.views import QualificationOutcome
from leadqual.dedupe import QualificationCheck, QualificationChecker
from leadqual.errors import CrmWriteError, LeadqualError, RecordNotFound, ValidationFailed
from leadqual.models import Account, Contact, Lead, LeadStatus, Opportunity, RecordRef
from leadqual.sources import CrmSource, CrmWriter

__all__ = ["CreateKind", "Qualifier"]

CreateKind = Literal["account", "contact", "opportunity"]

_T = TypeVar("_T")


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass
class Qualifier:
    """Qualifies and disqualifies leads over a CRM source and writer."""

    source: CrmSource
    writer: CrmWriter
    checker: QualificationChecker | None = None

    def check(self, lead: Lead, /) -> QualificationCheck:
        """The accounts and contacts the lead may duplicate (the index is built on first use)."""
        if self.checker is None:
            self.checker = QualificationChecker(
                accounts=self.source.accounts(), contacts=self.source.contacts()
            )
        return self.checker.find(lead)

    def forget_index(self) -> None:
        """Build the account and contact index again on the next check (after CRM changes)."""
        self.checker = None

    def qualify(
        self,
        lead: Lead,
        /,
        *,
        now: datetime,
        account_id: str | None,
        contact_id: str | None,
        create: Collection[CreateKind],
        opportunity_name: str | None,
        allow_duplicates: bool,
        duplicate_leads: Sequence[str],
    ) -> QualificationOutcome:
        """Qualify ``lead`` (see :meth:`~leadqual.QualificationAgent.qualify`)."""
        if lead.status is not LeadStatus.OPEN:
            raise ValidationFailed(
                f"lead {lead.id} is {lead.status.value}; reactivate it before qualifying",
                field="lead.status",
            )
        account = self._existing(self.source.get_account, "account", account_id)
        contact = self._existing(self.source.get_contact, "contact", contact_id)
        if (
            contact is not None
            and account is not None
            and contact.account_id not in (None, account.id)
        ):
            raise ValidationFailed(
                f"contact {contact.id} belongs to account {contact.account_id}, not {account.id}",
                field="contact_id",
            )
        check = self.check(lead)
        if not allow_duplicates:
            blocking = []
            if account is None and check.accounts:
                blocking += [f"account {m.record_id} ({m.name})" for m in check.accounts]
            if contact is None and check.contacts:
                blocking += [f"contact {m.record_id} ({m.name})" for m in check.contacts]
            blocking += [f"lead {other}" for other in duplicate_leads]
            if blocking:
                return QualificationOutcome(
                    lead_id=lead.id,
                    qualified=False,
                    lead=lead,
                    duplicates=check,
                    blocked_reason=(
                        "possible duplicates: "
                        + "; ".join(blocking)
                        + ". Link an existing record (account_id=, contact_id=), merge the "
                        "duplicate leads, or qualify with allow_duplicates=True"
                    ),
                )
        done: list[str] = []

        def write(label: str, action: Callable[[], _T]) -> _T:
            try:
                result = action()
            except (LeadqualError, OSError, RuntimeError, ValueError) as err:
                raise CrmWriteError(
                    f"qualifying lead {lead.id} failed at {label}: {err}. Already written: "
                    f"{', '.join(done) or 'nothing'}; qualify again with the created records "
                    "linked (account_id=, contact_id=) to finish",
                    done=done,
                ) from err
            done.append(label)
            return result

        wanted = set(create)
        created: list[str] = []
        if account is None and "account" in wanted and (lead.company_name or "").strip():
            new_account = Account(
                id=_new_id("A"),
                name=(lead.company_name or "").strip(),
                website=lead.website,
                industry=lead.industry,
                employee_count=lead.employee_count,
                annual_revenue=lead.annual_revenue,
                phones=lead.phones,
                address=lead.address,
                owner_id=lead.owner_id,
                originating_lead_id=lead.id,
                created_at=now,
            )
            account = write(
                f"account:{new_account.id}", lambda: self.writer.create_account(new_account)
            )
            created.append(f"account:{account.id}")
        if contact is None and "contact" in wanted:
            new_contact = Contact(
                id=_new_id("C"),
                first_name=lead.first_name,
                last_name=lead.last_name,
                job_title=lead.job_title,
                email=lead.email,
                other_emails=lead.other_emails,
                phones=lead.phones,
                address=lead.address,
                account_id=account.id if account else None,
                owner_id=lead.owner_id,
                originating_lead_id=lead.id,
                created_at=now,
            )
            contact = write(
                f"contact:{new_contact.id}", lambda: self.writer.create_contact(new_contact)
            )
            created.append(f"contact:{contact.id}")
        opportunity = None
        if "opportunity" in wanted:
            company = lead.company_name or (account.name if account else None) or lead.full_name
            new_opportunity = Opportunity(
                id=_new_id("O"),
                name=opportunity_name or f"{company}: {lead.topic or 'new opportunity'}",
                account_id=account.id if account else None,
                contact_id=contact.id if contact else None,
                originating_lead_id=lead.id,
                owner_id=lead.owner_id,
                line_of_business=lead.line_of_business,
                created_at=now,
            )
            opportunity = write(
                f"opportunity:{new_opportunity.id}",
                lambda: self.writer.create_opportunity(new_opportunity),
            )
            created.append(f"opportunity:{opportunity.id}")
        links = {
            "account_id": account.id if account else lead.account_id,
            "contact_id": contact.id if contact else lead.contact_id,
        }
        write("lead links", lambda: self.writer.update_lead(lead.id, links, at=now))
        target = (
            RecordRef(kind="opportunity", id=opportunity.id)
            if opportunity
            else RecordRef(kind="contact", id=contact.id)
            if contact
            else None
        )
        notes = activities = 0
        if target is not None:
            here = RecordRef(kind="lead", id=lead.id)
            notes = write("notes", lambda: self.writer.move_notes(here, target))
            activities = write("activities", lambda: self.writer.move_activities(here, target))
        final = write(
            "lead status",
            lambda: self.writer.update_lead_status(lead.id, LeadStatus.QUALIFIED, at=now),
        )
        if self.checker is not None:
            self.forget_index()  # the new account and contact are candidates for the next lead
        return QualificationOutcome(
            lead_id=lead.id,
            qualified=True,
            lead=final,
            duplicates=check,
            account_id=links["account_id"],
            contact_id=links["contact_id"],
            opportunity_id=opportunity.id if opportunity else None,
            created=tuple(created),
            notes_moved=notes,
            activities_moved=activities,
        )

    @staticmethod
    def _existing(get: Callable[[str], _T], kind: str, record_id: str | None) -> _T | None:
        if record_id is None:
            return None
        try:
            return get(record_id)
        except RecordNotFound:
            raise RecordNotFound(kind, record_id) from None
