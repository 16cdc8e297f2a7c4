"""What the email validator concludes: the verdict on one address (:class:`EmailCheck`), its
reasons, and the report on every email field of a record.

Examples:
    >>> from leadqual.email import EmailValidator
    >>> check = EmailValidator(check_deliverability=False).validate("info@contoso.com")
    >>> check.is_valid, check.status, check.is_role_account, check.reason_codes
    (True, 'risky', True, ('role_account', 'deliverability_not_checked'))
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from pydantic import ConfigDict

from leadqual._base import LeadqualModel, UtcDatetime
from leadqual.email._reasons import REASON_SEVERITY, Severity
from leadqual.email.overrides import EmailOverride

__all__ = [
    "EmailCacheInfo",
    "EmailCheck",
    "EmailReason",
    "EmailStatus",
    "EmailType",
    "FieldEmailCheck",
    "REASON_CODES",
    "RecordEmailReport",
]

EmailStatus = Literal["valid", "invalid", "risky", "unknown"]
"""The verdict: ``valid``; ``invalid`` (malformed, refused by policy, or known undeliverable);
``risky`` (deliverable as far as DNS tells, but disposable, a role account, a likely typo, a
privacy relay or another company's domain); ``unknown`` (DNS failed or timed out)."""

EmailType = Literal["work", "personal", "unknown"]
"""``personal`` for free-mail, disposable and relay addresses, ``work`` for any other well-formed
address, ``unknown`` when the address is malformed."""

REASON_CODES: Mapping[str, Severity] = MappingProxyType(dict(REASON_SEVERITY))
"""Every reason code the validator emits, with its severity (see ``docs/email.md``)."""


class EmailReason(LeadqualModel):
    """Why a verdict was reached: a stable machine code and one sentence for people."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=False)

    code: str
    """Stable machine code, e.g. ``domain_not_found``; listed in ``REASON_CODES``."""
    message: str
    """One sentence saying what was found."""
    severity: Literal["invalid", "risky", "unknown", "info"]
    """How the reason weighs: ``info`` never changes the verdict."""


class EmailCheck(LeadqualModel):
    """The verdict on one address.

    Examples:
        >>> from leadqual.email import EmailValidator
        >>> check = EmailValidator(check_deliverability=False).validate("info@contoso.com")
        >>> check.is_valid, check.status, check.is_role_account, check.reason_codes
        (True, 'risky', True, ('role_account', 'deliverability_not_checked'))
    """

    model_config = ConfigDict(frozen=True, str_strip_whitespace=False)

    address: str
    """The address exactly as given."""
    normalized: str | None
    """The normalised form (domain lower-cased and IDNA-normalised), or ``None`` if malformed."""
    is_valid: bool
    """Properly formatted and not known to be undeliverable (risky and unknown count as valid)."""
    status: EmailStatus
    reasons: tuple[EmailReason, ...] = ()
    """Every finding, in the order checked; ``info`` ones do not change the status."""
    email_type: EmailType
    is_disposable: bool = False
    is_role_account: bool = False
    is_free_provider: bool = False
    is_privacy_relay: bool = False
    suggestion: str | None = None
    """The probably intended address, for a likely typo (``gmial.com`` -> ``gmail.com``) or a
    display-name form (``Jane <jane@acme.com>`` -> ``jane@acme.com``)."""
    domain: str | None = None
    """The domain as DNS sees it (IDNA A-labels), lower case."""
    mx_hosts: tuple[str, ...] = ()
    """Mail servers by preference (the domain itself for an implicit MX)."""
    smtputf8: bool = False
    """The local part needs an SMTPUTF8-capable server (non-ASCII characters)."""
    deliverability_checked: bool = False
    """Whether DNS was asked (``False`` when off, or when syntax already refused the address)."""
    checked_at: UtcDatetime
    override: EmailOverride | None = None
    """The seller's decision applied to this verdict, if any."""

    @property
    def reason_codes(self) -> tuple[str, ...]:
        """The codes of :attr:`reasons`, in order."""
        return tuple(r.code for r in self.reasons)

    def has(self, code: str) -> bool:
        """Whether a reason with ``code`` was found."""
        return any(r.code == code for r in self.reasons)

    @property
    def summary(self) -> str:
        """One line for a seller: the verdict and its most serious reason.

        Examples:
            >>> from leadqual.email import EmailValidator
            >>> EmailValidator(check_deliverability=False).validate("sam@gmial.com").summary
            'risky: gmial.com looks like a typo of gmail.com: did the lead mean sam@gmail.com?'
        """
        order = {"invalid": 0, "risky": 1, "unknown": 2}
        worst = sorted(
            (r for r in self.reasons if r.severity in order), key=lambda r: order[r.severity]
        )
        if self.override is not None:
            worst = [r for r in self.reasons if r.code == "override"]
        if not worst:
            kind = {"work": "a work address", "personal": "a personal address"}.get(
                self.email_type, "an address"
            )
            return f"{self.status}: {kind}" + (
                f" served by {self.mx_hosts[0]}" if self.mx_hosts else ""
            )
        return f"{self.status}: {worst[0].message}"


class FieldEmailCheck(LeadqualModel):
    """The check of one email field of a record."""

    model_config = ConfigDict(frozen=True)

    field: str
    """``email`` for the primary address, ``other_emails[0]`` and so on for the others."""
    check: EmailCheck


class RecordEmailReport(LeadqualModel):
    """Every email field of a lead or contact, checked.

    Examples:
        >>> from datetime import datetime, UTC
        >>> from leadqual.models import Lead
        >>> lead = Lead(id="L-1", email=None, other_emails=("kim@contoso.com",),
        ...             created_at=datetime(2026, 1, 1, tzinfo=UTC))
        >>> from leadqual.email import EmailValidator, validate_record
        >>> report = validate_record(EmailValidator(check_deliverability=False), lead)
        >>> report.primary_missing, report.best.normalized
        (True, 'kim@contoso.com')
    """

    model_config = ConfigDict(frozen=True)

    record_kind: Literal["lead", "contact"]
    record_id: str
    checks: tuple[FieldEmailCheck, ...] = ()
    primary_missing: bool
    """The primary email field is empty."""

    @property
    def primary(self) -> EmailCheck | None:
        """The check of the primary address, if there is one."""
        return next((f.check for f in self.checks if f.field == "email"), None)

    @property
    def best(self) -> EmailCheck | None:
        """The address to write to: the first valid one, preferring ``valid`` over risky ones."""
        for wanted in ("valid", "unknown", "risky"):
            for f in self.checks:
                if f.check.is_valid and f.check.status == wanted:
                    return f.check
        return None

    @property
    def is_contactable(self) -> bool:
        """Whether at least one address is valid."""
        return any(f.check.is_valid for f in self.checks)


class EmailCacheInfo(LeadqualModel):
    """Counters of the validator's DNS work (:func:`leadqual.email.cache_info`); the resolver
    check's own lookups are not counted."""

    model_config = ConfigDict(frozen=True)

    lookups: int
    """Domains actually sent to the resolver."""
    hits: int
    """Domain verdicts served from the cache."""
    size: int
    """Domains cached now."""
    resolver_check: Literal["not_run", "passed", "failed", "inconclusive"] = "not_run"
    """What the resolver check found: it runs the first time the resolver says a domain does not
    exist; ``failed`` means the resolver also denies well-known mail domains (broken or captive)
    and its NXDOMAIN answers count as ``unknown``."""
