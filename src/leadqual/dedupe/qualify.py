"""The qualification check: before a lead becomes an account and a contact, which existing
accounts and contacts it may duplicate, ranked, with the fields that tell them apart.

The seller then links an existing record or creates a new one; nothing is written here.

Examples:
    >>> from leadqual.sources import load_sample_data
    >>> crm = load_sample_data().crm
    >>> checker = QualificationChecker(accounts=crm.accounts, contacts=crm.contacts)
    >>> lead = next(lead for lead in crm.leads if lead.id == "L-0251")  # Bill Smith, no company
    >>> result = checker.find(lead)
    >>> result.accounts[0].name, result.accounts[0].rules, result.suggestion
    ('Aurora Ledger GmbH', ('same_domain',), 'link_existing')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from leadqual._base import LeadqualModel
from leadqual._compat import warn_deprecated
from leadqual.dedupe.detector import (
    DuplicateDetector,
    DuplicatePair,
    accounts_frame,
    contacts_frame,
)
from leadqual.dedupe.normalize import Normalizer, fold_text
from leadqual.dedupe.settings import DedupeSettings, account_settings, contact_settings
from leadqual.errors import ValidationFailed
from leadqual.models import Account, Contact, Lead

__all__ = [
    "FieldDifference",
    "QualificationCheck",
    "QualificationChecker",
    "RecordMatch",
    "check_qualification",
]


class FieldDifference(LeadqualModel):
    """One field of the lead beside the same field of a matching record."""

    model_config = ConfigDict(frozen=True)

    field: str
    lead_value: str | None
    record_value: str | None
    same: bool
    """Whether the values agree after normalisation (case, accents, legal form, phone format);
    false when either is missing."""


class RecordMatch(LeadqualModel):
    """An existing account or contact the lead may duplicate."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["account", "contact"]
    record_id: str
    name: str
    score: Annotated[float, Field(ge=0, le=1)]
    """Ranking score: exact keys (email, domain, phone) rank above fuzzy name matches."""
    rules: tuple[str, ...]
    explanation: str
    fields: tuple[FieldDifference, ...]
    """The fields a seller needs to tell the records apart, agreeing and differing ones."""

    @property
    def differing(self) -> tuple[FieldDifference, ...]:
        """Only the fields whose values differ."""
        return tuple(f for f in self.fields if not f.same and (f.lead_value or f.record_value))


class QualificationCheck(LeadqualModel):
    """Matching accounts and contacts for one lead, best first, and what to do."""

    model_config = ConfigDict(frozen=True)

    lead_id: str
    accounts: tuple[RecordMatch, ...]
    contacts: tuple[RecordMatch, ...]

    @property
    def suggestion(self) -> Literal["link_existing", "review", "create_new"]:
        """``link_existing`` when an exact key matched, ``review`` when only fuzzy rules did,
        ``create_new`` when nothing matched."""
        best = max((m.score for m in (*self.accounts, *self.contacts)), default=0.0)
        if best >= 0.95:
            return "link_existing"
        return "review" if best > 0 else "create_new"


_RULE_STRENGTH = {
    "same_email": 1.0,
    "same_domain": 0.95,
    "same_phone": 0.95,
    "similar_name_company": 0.85,
    "similar_name_domain": 0.85,
    "similar_company_name": 0.8,
}


def _score(pair: DuplicatePair) -> float:
    strengths = sorted((_RULE_STRENGTH.get(r, 0.8) for r in pair.rules), reverse=True)
    if not strengths:
        return float(pair.probability or 0.0)
    # Each further rule that agrees adds a little confidence, never past 1.
    return min(1.0, strengths[0] + 0.02 * (len(strengths) - 1))


def _str(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


class QualificationChecker:
    """Indexes accounts and contacts once; checks leads against them in milliseconds.

    Args:
        accounts: existing accounts.
        contacts: existing contacts (their account names count as their company).
        normalizer: shared normalisers (default phone region, free-mail list).
        account_rules: settings for accounts; default :func:`~leadqual.dedupe.account_settings`.
        contact_rules: settings for contacts; default :func:`~leadqual.dedupe.contact_settings`.

    Examples:
        >>> from leadqual.sources import load_sample_data
        >>> crm = load_sample_data().crm
        >>> checker = QualificationChecker(accounts=crm.accounts, contacts=crm.contacts)
        >>> checker.find(crm.leads[0]).suggestion in ("link_existing", "review", "create_new")
        True
    """

    def __init__(
        self,
        *,
        accounts: Iterable[Account] = (),
        contacts: Iterable[Contact] = (),
        normalizer: Normalizer | None = None,
        account_rules: DedupeSettings | None = None,
        contact_rules: DedupeSettings | None = None,
    ) -> None:
        self.normalizer = normalizer or Normalizer()
        self._accounts = {a.id: a for a in accounts}
        self._contacts = {c.id: c for c in contacts}
        acc_det = DuplicateDetector(account_rules or account_settings(), normalizer=self.normalizer)
        con_det = DuplicateDetector(contact_rules or contact_settings(), normalizer=self.normalizer)
        self._account_index = acc_det.index(
            accounts_frame(self._accounts.values(), contacts=self._contacts.values())
        )
        self._contact_index = con_det.index(
            contacts_frame(self._contacts.values(), accounts=self._accounts.values())
        )

    def find(self, lead: Lead, /, *, limit: int = 5) -> QualificationCheck:
        """The accounts and contacts ``lead`` may duplicate, best first (at most ``limit``).

        Raises:
            ValidationFailed: ``lead`` is not a :class:`~leadqual.models.Lead`.
        """
        if not isinstance(lead, Lead):
            raise ValidationFailed(
                f"find needs a Lead, got {type(lead).__name__}: build one with Lead(...) or read "
                "it from a CrmSource",
                field="lead",
            )
        lead_as_account = {
            "id": f"lead:{lead.id}",
            "company_name": lead.company_name,
            "domains": tuple(x for x in (lead.website, *lead.all_emails) if x),
            "phones": tuple(p.number for p in lead.phones),
            "country": lead.address.country if lead.address else None,
        }
        account_pairs = (
            self._account_index.find(lead_as_account)
            if lead.company_name or lead.all_emails or lead.website
            else []
        )
        contact_pairs = self._contact_index.find(lead)
        accounts = sorted(
            (self._account_match(lead, p) for p in account_pairs),
            key=lambda m: (-m.score, m.record_id),
        )
        contacts = sorted(
            (self._contact_match(lead, p) for p in contact_pairs),
            key=lambda m: (-m.score, m.record_id),
        )
        return QualificationCheck(
            lead_id=lead.id, accounts=tuple(accounts[:limit]), contacts=tuple(contacts[:limit])
        )

    def check(self, lead: Lead, /, *, limit: int = 5) -> QualificationCheck:
        """Deprecated: :meth:`find` (``check`` named four different actions)."""
        warn_deprecated(
            "QualificationChecker.check() is deprecated: use QualificationChecker.find()"
        )
        return self.find(lead, limit=limit)

    # -- presentation -------------------------------------------------------------------------

    def _diff(self, field: str, a: object, b: object, key: str = "text") -> FieldDifference:
        n = self.normalizer
        va, vb = _str(a), _str(b)
        normalise = {
            "company": n.company,
            "phone": n.phone_key,
            "email": n.email,
            "domain": n.domain,
        }.get(key, fold_text)
        na, nb = normalise(va), normalise(vb)
        # Two missing (or unreadable) values are no agreement: "same" needs a value.
        same = na is not None and na == nb
        return FieldDifference(field=field, lead_value=va, record_value=vb, same=same)

    def _account_match(self, lead: Lead, pair: DuplicatePair) -> RecordMatch:
        acc = self._accounts[pair.left_id]
        lead_phone = lead.phones[0].number if lead.phones else None
        acc_phone = acc.phones[0].number if acc.phones else None
        fields = (
            self._diff("name", lead.company_name, acc.name, "company"),
            self._diff("website", lead.website, acc.website, "domain"),
            self._diff("phone", lead_phone, acc_phone, "phone"),
            self._diff("industry", lead.industry, acc.industry),
            self._diff(
                "city",
                lead.address.city if lead.address else None,
                acc.address.city if acc.address else None,
            ),
            self._diff(
                "country",
                lead.address.country if lead.address else None,
                acc.address.country if acc.address else None,
            ),
            self._diff("employee_count", lead.employee_count, acc.employee_count),
            self._diff("owner", lead.owner_id, acc.owner_id),
        )
        return RecordMatch(
            kind="account",
            record_id=acc.id,
            name=acc.name,
            score=_score(pair),
            rules=pair.rules,
            explanation=pair.explanation,
            fields=fields,
        )

    def _contact_match(self, lead: Lead, pair: DuplicatePair) -> RecordMatch:
        con = self._contacts[pair.left_id]
        account = self._accounts.get(con.account_id or "")
        lead_phone = lead.phones[0].number if lead.phones else None
        con_phone = con.phones[0].number if con.phones else None
        fields = (
            self._diff("name", lead.full_name, con.full_name),
            self._diff("email", lead.email, con.email, "email"),
            self._diff("phone", lead_phone, con_phone, "phone"),
            self._diff("job_title", lead.job_title, con.job_title),
            self._diff("company", lead.company_name, account.name if account else None, "company"),
            self._diff(
                "city",
                lead.address.city if lead.address else None,
                con.address.city if con.address else None,
            ),
            self._diff("owner", lead.owner_id, con.owner_id),
        )
        return RecordMatch(
            kind="contact",
            record_id=con.id,
            name=con.full_name or con.id,
            score=_score(pair),
            rules=pair.rules,
            explanation=pair.explanation,
            fields=fields,
        )


def check_qualification(
    lead: Lead,
    /,
    *,
    accounts: Sequence[Account],
    contacts: Sequence[Contact],
    normalizer: Normalizer | None = None,
    limit: int = 5,
) -> QualificationCheck:
    """One-off qualification check (build a :class:`QualificationChecker` to check many leads)."""
    checker = QualificationChecker(accounts=accounts, contacts=contacts, normalizer=normalizer)
    return checker.find(lead, limit=limit)
