"""Email validation for leads: is the address valid (well formed and deliverable) and what type
is it (work or personal), with the flags commercial verifiers report.

Offline first: syntax, type, disposable, role, relay and typo checks need no network; the
deliverability check asks DNS (MX, then the RFC 5321 A/AAAA fallback, RFC 7505 null MX) through an
injectable :class:`Resolver`. No SMTP mailbox probe is ever made (see ``docs/email.md``).

Examples:
    >>> from leadqual.research.email import EmailValidator
    >>> validator = EmailValidator(check_deliverability=False)
    >>> check = validator.validate("jane.doe@gmial.com")
    >>> check.status, check.email_type, check.suggestion
    ('risky', 'personal', 'jane.doe@gmail.com')
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from leadqual._base import LeadqualModel, UtcDatetime
from leadqual._domains import company_website_domain
from leadqual._sync import PerLoop, run_sync
from leadqual.errors import ConfigurationError, EmailInputError
from leadqual.models import Account, Contact, EmailMessage, Lead, LeadContext
from leadqual.research import _email_domains as domains
from leadqual.research._email_dns import (
    DnsAnswer,
    DnsPythonResolver,
    DomainCache,
    DomainVerdict,
    MxRecord,
    Resolver,
    lookup_domain,
)
from leadqual.research._email_history import BounceEvidence, bounce_findings, collect
from leadqual.research._email_reasons import REASON_SEVERITY, Finding, Severity, finding, status_of
from leadqual.research._email_syntax import SyntaxOutcome, check_syntax

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DnsAnswer",
    "DnsPythonResolver",
    "EmailCacheInfo",
    "EmailCheck",
    "EmailInputError",
    "EmailOverride",
    "EmailOverrides",
    "EmailReason",
    "EmailStatus",
    "EmailType",
    "EmailValidator",
    "FieldEmailCheck",
    "MxRecord",
    "REASON_CODES",
    "RecordEmailReport",
    "Resolver",
]

logger = logging.getLogger(__name__)

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


class EmailOverride(LeadqualModel):
    """A seller's decision about an address, which wins over later automatic checks.

    It is keyed by the address itself: when the record's address changes, the override no longer
    applies.

    Examples:
        >>> from datetime import datetime, UTC
        >>> EmailOverride(address="ceo@startup.io", is_valid=True, by="S-01",
        ...               at=datetime(2026, 10, 1, tzinfo=UTC)).is_valid
        True
    """

    model_config = ConfigDict(frozen=True)

    address: Annotated[str, Field(min_length=1)]
    """The address the decision is about (matched case-insensitively after normalisation)."""
    is_valid: bool | None = None
    """Marked valid (``True``) or invalid (``False``); ``None`` leaves the automatic verdict."""
    email_type: Literal["work", "personal"] | None = None
    """Marked a work or a personal address; ``None`` leaves the automatic type."""
    by: Annotated[str, Field(min_length=1)]
    """Who decided (a seller id)."""
    at: UtcDatetime
    """When they decided."""
    note: str | None = None

    @model_validator(mode="after")
    def _decides_something(self) -> Self:
        if self.is_valid is None and self.email_type is None:
            raise ValueError("an override sets is_valid, email_type or both")
        return self


class EmailCheck(LeadqualModel):
    """The verdict on one address.

    Examples:
        >>> from leadqual.research.email import EmailValidator
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
            >>> from leadqual.research.email import EmailValidator
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
        >>> report = EmailValidator(check_deliverability=False).validate_record(lead)
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
    """Counters of the validator's DNS work."""

    model_config = ConfigDict(frozen=True)

    lookups: int
    """Domains actually sent to the resolver."""
    hits: int
    """Domain verdicts served from the cache."""
    size: int
    """Domains cached now."""


def _override_key(address: str) -> str:
    outcome = check_syntax(address)
    return (outcome.normalized or address.strip()).casefold()


class EmailOverrides:
    """Sellers' overrides, keyed by address. Keep one per organisation and pass it to
    :class:`EmailValidator`; persist it with :meth:`to_list` and :meth:`from_list`.

    Examples:
        >>> overrides = EmailOverrides()
        >>> _ = overrides.set("Founder@Startup.io", is_valid=True, by="S-01")
        >>> overrides.get("founder@startup.io").by
        'S-01'
    """

    def __init__(self, overrides: Iterable[EmailOverride] = ()) -> None:
        self._items: dict[str, EmailOverride] = {}
        self._lock = threading.Lock()
        for item in overrides:
            self.add(item)

    def add(self, override: EmailOverride, /) -> None:
        """Store ``override``, replacing an earlier one for the same address."""
        with self._lock:
            self._items[_override_key(override.address)] = override

    def set(
        self,
        address: str,
        /,
        *,
        by: str,
        is_valid: bool | None = None,
        email_type: Literal["work", "personal"] | None = None,
        at: datetime | None = None,
        note: str | None = None,
    ) -> EmailOverride:
        """Record a seller's decision about ``address`` (``at`` defaults to now) and return it."""
        override = EmailOverride(
            address=address,
            is_valid=is_valid,
            email_type=email_type,
            by=by,
            at=at or datetime.now(UTC),
            note=note,
        )
        self.add(override)
        return override

    def get(self, address: str, /) -> EmailOverride | None:
        """The override for ``address``, if any."""
        with self._lock:
            return self._items.get(_override_key(address))

    def _get_key(self, key: str) -> EmailOverride | None:
        with self._lock:
            return self._items.get(key)

    def remove(self, address: str, /) -> bool:
        """Drop the override for ``address``; whether there was one."""
        with self._lock:
            return self._items.pop(_override_key(address), None) is not None

    def to_list(self) -> list[dict[str, Any]]:
        """The overrides as JSON-ready mappings."""
        with self._lock:
            return [o.model_dump(mode="json") for o in self._items.values()]

    @classmethod
    def from_list(cls, items: Iterable[Mapping[str, Any]]) -> EmailOverrides:
        """Overrides from :meth:`to_list` output."""
        return cls(EmailOverride.model_validate(dict(i)) for i in items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[EmailOverride]:
        with self._lock:
            return iter(list(self._items.values()))

    def __contains__(self, address: object) -> bool:
        return isinstance(address, str) and self.get(address) is not None


@dataclass(frozen=True, slots=True)
class _Company:
    """What is known around an address: its company, and the CRM's email history."""

    domains: tuple[str, ...] = ()
    name: str | None = None
    history: BounceEvidence | None = None


@dataclass(slots=True)
class _LoopState:
    semaphore: asyncio.Semaphore
    inflight: dict[str, asyncio.Future[DomainVerdict]]


@lru_cache(maxsize=4096)
def _reason(found: Finding) -> EmailReason:
    # Reasons are frozen and most repeat (same domain, same rule): build each one once.
    return EmailReason.model_construct(
        code=found.code, message=found.message, severity=found.severity
    )


def _require_str(value: object, field: str) -> str:
    if isinstance(value, str):
        return value
    what = "None" if value is None else type(value).__name__
    raise EmailInputError(
        f"{field} must be a string, got {what}; to check a record whose email may be missing "
        "use EmailValidator.validate_record",
        field=field,
        errors=[{"loc": (field,), "msg": f"expected str, got {what}", "type": "string_type"}],
    )


class EmailValidator:
    """Validates email addresses for sales use: syntax, deliverability (DNS) and type.

    Args:
        check_deliverability: ask DNS whether the domain accepts mail (on by default).
        resolver: the DNS client; :class:`DnsPythonResolver` (the system's servers) by default.
            Pass :class:`leadqual.testing.dns.StaticResolver` in tests.
        timeout: seconds allowed per DNS query (the MX query, then the A/AAAA fallback when there
            is no MX); a slower answer gives ``unknown``.
        max_concurrency: domains looked up at the same time, at most.
        cache_ttl: longest time (s) a positive DNS verdict is cached (the record's TTL if shorter).
        negative_cache_ttl: time (s) a "no such domain" or "no mail server" verdict is cached.
        failure_cache_ttl: time (s) a timeout or server failure is cached before asking again.
        cache_size: domains kept in the cache, at most (least recently used go first).
        allow_reserved_domains: accept RFC 2606 documentation domains (``example.com``,
            ``.example``), for test data; special-use names (``.test``, ``.localhost``,
            ``.invalid``) stay refused.
        overrides: sellers' decisions, applied over the automatic verdicts.
        now: the clock for ``checked_at`` (pass the sample's ``as_of`` for reproducible output).

    Examples:
        >>> from leadqual.testing.dns import StaticResolver
        >>> resolver = StaticResolver({"contoso.com": {"mx": ["mx1.contoso.com"]}})
        >>> validator = EmailValidator(resolver=resolver)
        >>> checks = validator.validate_many(["kim@contoso.com", "bo@nowhere.com"])
        >>> " ".join(c.status for c in checks)
        'valid invalid'
    """

    def __init__(
        self,
        *,
        check_deliverability: bool = True,
        resolver: Resolver | None = None,
        timeout: float = 5.0,
        max_concurrency: int = 50,
        cache_ttl: float = 3600.0,
        negative_cache_ttl: float = 900.0,
        failure_cache_ttl: float = 30.0,
        cache_size: int = 100_000,
        allow_reserved_domains: bool = False,
        overrides: EmailOverrides | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
            raise ConfigurationError(
                f"timeout must be a positive number of seconds, got {timeout!r}"
            )
        if not (isinstance(max_concurrency, int) and max_concurrency >= 1):
            raise ConfigurationError(
                f"max_concurrency must be an integer of at least 1, got {max_concurrency!r}"
            )
        for name, value in (
            ("cache_ttl", cache_ttl),
            ("negative_cache_ttl", negative_cache_ttl),
            ("failure_cache_ttl", failure_cache_ttl),
        ):
            if not (isinstance(value, int | float) and value >= 0):
                raise ConfigurationError(f"{name} must be zero or more seconds, got {value!r}")
        if not (isinstance(cache_size, int) and cache_size >= 0):
            raise ConfigurationError(f"cache_size must be zero or more, got {cache_size!r}")
        if resolver is not None and not isinstance(resolver, Resolver):
            raise ConfigurationError(
                f"resolver must implement resolve_mx and resolve_address, got {type(resolver)!r}"
            )
        self.check_deliverability = check_deliverability
        self.resolver: Resolver = resolver if resolver is not None else DnsPythonResolver()
        self.timeout = float(timeout)
        self.max_concurrency = max_concurrency
        self.allow_reserved_domains = allow_reserved_domains
        self.overrides = overrides
        self._now = now or (lambda: datetime.now(UTC))
        self._cache = DomainCache(
            ttl=float(cache_ttl),
            negative_ttl=float(negative_cache_ttl),
            failure_ttl=float(failure_cache_ttl),
            max_entries=cache_size,
            clock=time.monotonic,
        )
        self._lookups = 0
        self._state_lock = threading.Lock()
        self._loops: PerLoop[_LoopState] = PerLoop(
            lambda: _LoopState(asyncio.Semaphore(self.max_concurrency), {})
        )

    def __repr__(self) -> str:
        return (
            f"EmailValidator(check_deliverability={self.check_deliverability}, "
            f"resolver={type(self.resolver).__name__}, timeout={self.timeout:g}, "
            f"max_concurrency={self.max_concurrency})"
        )

    # -- public API --------------------------------------------------------------------------

    def validate(
        self,
        address: str,
        /,
        *,
        company_websites: Sequence[str] = (),
        company_name: str | None = None,
    ) -> EmailCheck:
        """Check one address.

        Args:
            address: the address as found in the CRM.
            company_websites: the lead's company website(s) (lead and account), for the domain
                mismatch check and company-domain typo suggestions.
            company_name: the lead's company name, compared with the domain when no website
                is known.

        Raises:
            EmailInputError: ``address`` is not a string.
        """
        address = _require_str(address, "address")
        company = self._company(company_websites, company_name)
        syntax = check_syntax(address, allow_reserved=self.allow_reserved_domains)
        domain = syntax.ascii_domain
        verdict = self._cache.get(domain) if self.check_deliverability and domain else None
        if verdict is not None or not self.check_deliverability or domain is None:
            # nothing to ask DNS: answer without starting an event loop (validate() called in a
            # loop over a column costs microseconds per address, not a loop each)
            return self._finish(address, syntax, company, verdict, self._stamp())
        return run_sync(lambda: self._avalidate_one(address, company))

    async def avalidate(
        self,
        address: str,
        /,
        *,
        company_websites: Sequence[str] = (),
        company_name: str | None = None,
    ) -> EmailCheck:
        """Check one address without blocking the event loop (see :meth:`validate`)."""
        address = _require_str(address, "address")
        return await self._avalidate_one(address, self._company(company_websites, company_name))

    def validate_many(self, addresses: Iterable[str], /) -> list[EmailCheck]:
        """Check many addresses concurrently; results keep the input order.

        Each domain is looked up once however many addresses share it.

        Raises:
            EmailInputError: an item is not a string (the error names its index).
        """
        items = self._items(addresses)
        if not self.check_deliverability:
            at = self._stamp()
            return [self._finish(a, s, None, None, at) for a, s in self._syntax(items)]
        return run_sync(lambda: self._amany([(a, None) for a in items]))

    async def avalidate_many(self, addresses: Iterable[str], /) -> list[EmailCheck]:
        """Check many addresses concurrently without blocking the event loop."""
        items = self._items(addresses)
        return await self._amany([(a, None) for a in items])

    def validate_record(
        self,
        record: Lead | Contact,
        /,
        *,
        account: Account | None = None,
        messages: Iterable[EmailMessage] = (),
    ) -> RecordEmailReport:
        """Check every email field of a lead or contact, whatever the record's age.

        The lead's website, the account's website and the company name feed the domain
        mismatch check; ``messages`` (the CRM's email history) can prove an address dead
        (see :meth:`validate_records`).
        """
        accounts = [account] if account else []
        return self.validate_records([record], accounts=accounts, messages=messages)[0]

    async def avalidate_record(
        self,
        record: Lead | Contact,
        /,
        *,
        account: Account | None = None,
        messages: Iterable[EmailMessage] = (),
    ) -> RecordEmailReport:
        """Check every email field of a record without blocking the event loop."""
        accounts = [account] if account else []
        return (await self.avalidate_records([record], accounts=accounts, messages=messages))[0]

    def validate_context(
        self, context: LeadContext, /, *, read_emails: bool = False
    ) -> RecordEmailReport:
        """Check every email field of the lead in ``context``, with its account's website.

        Args:
            context: the lead with its related records.
            read_emails: also read the lead's email messages for hard bounces; pass
                ``config.consent.read_emails``, the consent to read them.
        """
        messages = context.emails if read_emails else ()
        return self.validate_record(context.lead, account=context.account, messages=messages)

    async def avalidate_context(
        self, context: LeadContext, /, *, read_emails: bool = False
    ) -> RecordEmailReport:
        """Check the lead in ``context`` without blocking the event loop."""
        messages = context.emails if read_emails else ()
        return await self.avalidate_record(context.lead, account=context.account, messages=messages)

    def validate_records(
        self,
        records: Iterable[Lead | Contact],
        /,
        *,
        accounts: Iterable[Account] = (),
        messages: Iterable[EmailMessage] = (),
    ) -> list[RecordEmailReport]:
        """Check every email field of many leads and contacts, concurrently, order kept.

        Args:
            records: leads and contacts.
            accounts: accounts the records link to (by ``account_id``), for their websites.
            messages: email messages from the CRM (any record's). A hard bounce (a delivery
                status notification with a permanent 5.x.x failure) for an address makes it
                invalid (``hard_bounce``) unless the person wrote from it afterwards. Read them
                only with the organisation's consent to read emails.
        """
        plan = self._record_plan(records, accounts, messages)
        if not self.check_deliverability:
            at = self._stamp()
            flat = [
                self._finish(
                    a, check_syntax(a, allow_reserved=self.allow_reserved_domains), c, None, at
                )
                for _, _, a, c in plan.items
            ]
        else:
            flat = run_sync(lambda: self._amany([(a, c) for _, _, a, c in plan.items]))
        return plan.reports(flat)

    async def avalidate_records(
        self,
        records: Iterable[Lead | Contact],
        /,
        *,
        accounts: Iterable[Account] = (),
        messages: Iterable[EmailMessage] = (),
    ) -> list[RecordEmailReport]:
        """Check every email field of many records without blocking the event loop."""
        plan = self._record_plan(records, accounts, messages)
        flat = await self._amany([(a, c) for _, _, a, c in plan.items])
        return plan.reports(flat)

    def validate_frame(
        self, frame: pd.DataFrame, /, *, column: str = "email", prefix: str | None = None
    ) -> pd.DataFrame:
        """Add verdict columns for the addresses in ``frame[column]`` (for notebooks).

        Missing values (``None``, ``NaN``, empty) get an invalid verdict with reason
        ``empty``; other non-string values get ``not_text``. Each distinct address is
        checked once.

        Args:
            frame: any DataFrame.
            column: the column holding addresses.
            prefix: prefix of the new columns; ``"<column>_"`` by default.

        Returns:
            A copy of ``frame`` with columns ``<prefix>normalized``, ``is_valid``, ``status``,
            ``type``, ``reasons`` (codes joined with ``;``), ``suggestion``, ``is_disposable``,
            ``is_role_account``, ``is_free_provider`` and ``is_privacy_relay``.
        """
        import pandas as pd

        if column not in frame.columns:
            raise ConfigurationError(
                f"column {column!r} is not in the frame; columns are {list(frame.columns)!r}"
            )
        pre = f"{column}_" if prefix is None else prefix
        values = frame[column].tolist()
        texts = sorted({v for v in values if isinstance(v, str) and v})
        verdicts = dict(zip(texts, self.validate_many(texts), strict=True))
        rows: list[dict[str, object]] = []
        for v in values:
            check = verdicts.get(v) if isinstance(v, str) else None
            if check is not None:
                rows.append(
                    {
                        "normalized": check.normalized,
                        "is_valid": check.is_valid,
                        "status": check.status,
                        "type": check.email_type,
                        "reasons": ";".join(check.reason_codes),
                        "suggestion": check.suggestion,
                        "is_disposable": check.is_disposable,
                        "is_role_account": check.is_role_account,
                        "is_free_provider": check.is_free_provider,
                        "is_privacy_relay": check.is_privacy_relay,
                    }
                )
                continue
            # pd.isna covers None, NaN, NaT and pd.NA (nullable string columns); it is asked
            # only of scalars, so a list in a cell is "not_text", not an array of answers
            missing = (
                v == "" if isinstance(v, str) else bool(pd.api.types.is_scalar(v) and pd.isna(v))
            )
            rows.append(
                {
                    "normalized": None,
                    "is_valid": False,
                    "status": "invalid",
                    "type": "unknown",
                    "reasons": "empty" if missing else "not_text",
                    "suggestion": None,
                    "is_disposable": False,
                    "is_role_account": False,
                    "is_free_provider": False,
                    "is_privacy_relay": False,
                }
            )
        verdict_frame = pd.DataFrame(rows, index=frame.index)
        verdict_frame.columns = [f"{pre}{c}" for c in verdict_frame.columns]
        # a second run (after fixing some addresses) replaces its columns instead of adding
        # duplicates with the same names
        kept = frame.drop(columns=[c for c in verdict_frame.columns if c in frame.columns])
        return pd.concat([kept, verdict_frame], axis=1)

    def cache_info(self) -> EmailCacheInfo:
        """How many domains were looked up, served from the cache, and are cached now."""
        return EmailCacheInfo(lookups=self._lookups, hits=self._cache.hits, size=len(self._cache))

    def clear_cache(self) -> None:
        """Forget cached DNS verdicts (counters are kept)."""
        self._cache.clear()

    # -- internals ---------------------------------------------------------------------------

    def _company(
        self,
        websites: Sequence[str] | str,
        name: str | None,
        history: BounceEvidence | None = None,
    ) -> _Company | None:
        if isinstance(websites, str):
            websites = (websites,)
        found = tuple(
            d
            for d in (
                domains.website_domain(w)
                for w in websites
                # a page on a shared platform (linkedin.com/company/...) is not the company's
                if isinstance(w, str) and company_website_domain(w) is not None
            )
            if d
        )
        if not found and not name and history is None:
            return None
        return _Company(found, name, history)

    @staticmethod
    def _items(addresses: Iterable[str]) -> list[str]:
        if isinstance(addresses, str):
            raise EmailInputError(
                "addresses must be an iterable of strings, not one string; use validate()",
                field="addresses",
            )
        return [_require_str(a, f"addresses[{i}]") for i, a in enumerate(addresses)]

    def _syntax(self, items: Sequence[str]) -> list[tuple[str, SyntaxOutcome]]:
        return [(a, check_syntax(a, allow_reserved=self.allow_reserved_domains)) for a in items]

    async def _avalidate_one(self, address: str, company: _Company | None) -> EmailCheck:
        return (await self._amany([(address, company)]))[0]

    async def _amany(self, items: Sequence[tuple[str, _Company | None]]) -> list[EmailCheck]:
        outcomes = [check_syntax(a, allow_reserved=self.allow_reserved_domains) for a, _ in items]
        verdicts: dict[str, DomainVerdict] = {}
        if self.check_deliverability:
            wanted = sorted({o.ascii_domain for o in outcomes if o.ascii_domain is not None})
            if wanted:
                found = await asyncio.gather(*(self._domain(d) for d in wanted))
                verdicts = dict(zip(wanted, found, strict=True))
        at = self._stamp()
        return [
            self._finish(a, o, c, verdicts.get(o.ascii_domain) if o.ascii_domain else None, at)
            for (a, c), o in zip(items, outcomes, strict=True)
        ]

    def _stamp(self) -> datetime:
        return self._now().astimezone(UTC)

    async def _domain(self, domain: str) -> DomainVerdict:
        state = self._loops.get()
        while True:
            cached = self._cache.get(domain)
            if cached is not None:
                return cached
            pending = state.inflight.get(domain)
            if pending is None:
                break
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                # The task doing the lookup was cancelled, not this one: take it over.
        future: asyncio.Future[DomainVerdict] = asyncio.get_running_loop().create_future()
        state.inflight[domain] = future
        try:
            async with state.semaphore:
                with self._state_lock:
                    self._lookups += 1
                verdict = await lookup_domain(self.resolver, domain, timeout=self.timeout)
        except BaseException:
            future.cancel()
            raise
        finally:
            state.inflight.pop(domain, None)
        self._cache.put(domain, verdict)
        future.set_result(verdict)
        return verdict

    def _finish(
        self,
        address: str,
        syntax: SyntaxOutcome,
        company: _Company | None,
        verdict: DomainVerdict | None,
        checked_at: datetime,
    ) -> EmailCheck:
        found: list[Finding] = list(syntax.findings)
        suggestion = syntax.suggestion
        flags = {"disposable": False, "role": False, "free": False, "relay": False}
        email_type: EmailType = "unknown"
        domain = syntax.ascii_domain
        checked = False
        mx_hosts: tuple[str, ...] = ()
        if syntax.normalized is not None and domain is not None and syntax.local_part is not None:
            email_type, suggestion = self._classify(syntax, domain, company, found, flags)
            if verdict is not None:
                checked = True
                found.extend(verdict.findings)
                mx_hosts = verdict.mx_hosts
            elif not self.check_deliverability:
                found.append(
                    finding(
                        "deliverability_not_checked",
                        "Deliverability was not checked (check_deliverability=False).",
                    )
                )
            if company is not None and company.history is not None:
                found.extend(bounce_findings(address, syntax.normalized, company.history))
        reasons = tuple(_reason(f) for f in found)
        status = status_of({f.severity for f in found})
        is_valid = status != "invalid"
        override = None
        if self.overrides is not None and len(self.overrides):
            key = (syntax.normalized or address.strip()).casefold()
            override = self.overrides._get_key(key)
        if override is not None:
            reasons, status, is_valid, email_type = self._apply(
                override, reasons, status, is_valid, email_type
            )
        return EmailCheck.model_construct(
            address=address,
            normalized=syntax.normalized,
            is_valid=is_valid,
            status=status,
            reasons=reasons,
            email_type=email_type,
            is_disposable=flags["disposable"],
            is_role_account=flags["role"],
            is_free_provider=flags["free"],
            is_privacy_relay=flags["relay"],
            suggestion=suggestion,
            domain=domain,
            mx_hosts=mx_hosts,
            smtputf8=syntax.smtputf8,
            deliverability_checked=checked,
            checked_at=checked_at,
            override=override,
        )

    def _classify(
        self,
        syntax: SyntaxOutcome,
        domain: str,
        company: _Company | None,
        found: list[Finding],
        flags: dict[str, bool],
    ) -> tuple[EmailType, str | None]:
        local = syntax.local_part or ""
        suggestion: str | None = None
        email_type: EmailType = "work"
        company_domains = company.domains if company else ()
        facts = domains.domain_facts(domain)
        if company_domains:
            suggested = domains.suggest_domain(
                domain, [domains.registrable_domain(d) for d in company_domains]
            )
        else:
            suggested = facts.suggestion
        # Disposable lists carry typo-squatting domains (gmial.com) because mistyped mail lands
        # there; a typo of a known domain is reported as a typo, typed like the intended domain.
        typo_of_popular = suggested is not None and suggested in domains.POPULAR_DOMAINS
        relay = facts.relay
        if facts.disposable and not typo_of_popular:
            flags["disposable"] = True
            email_type = "personal"
            found.append(
                finding(
                    "disposable",
                    f"{domain} is a disposable (throw-away) mail domain: the inbox is not "
                    "watched for long.",
                )
            )
        if relay is not None:
            flags["relay"] = True
            email_type = "personal"
            found.append(
                finding(
                    "privacy_relay",
                    f"{domain} is {relay}, a privacy relay that forwards to a hidden inbox and "
                    "can be switched off by its owner at any time.",
                )
            )
        if facts.free:
            flags["free"] = True
            email_type = "personal"
            found.append(
                finding("free_provider", f"{domain} is a free email provider: a personal address.")
            )
        if domains.role_account(local):
            flags["role"] = True
            found.append(
                finding(
                    "role_account",
                    f"{local}@ is a role account: it reaches a team or a function, not a person.",
                )
            )
        if suggested is not None:
            suggestion = f"{local}@{suggested}"
            if domains.is_free_provider(suggested):
                email_type = "personal"
            found.append(
                finding(
                    "possible_typo",
                    f"{domain} looks like a typo of {suggested}: did the lead mean {suggestion}?",
                )
            )
        elif email_type == "work" and company is not None:
            match = domains.company_match(
                domain, company_domains=company_domains, company_name=company.name
            )
            if match is False:
                evidence = (
                    f"the company website ({', '.join(company_domains)})"
                    if company_domains
                    else f"the company name {company.name!r}"
                )
                found.append(
                    finding(
                        "domain_mismatch",
                        f"{domain} does not match {evidence}: the lead may have moved, or the "
                        "address belongs to someone else.",
                    )
                )
        return email_type, suggestion

    @staticmethod
    def _apply(
        override: EmailOverride,
        reasons: tuple[EmailReason, ...],
        status: EmailStatus,
        is_valid: bool,
        email_type: EmailType,
    ) -> tuple[tuple[EmailReason, ...], EmailStatus, bool, EmailType]:
        parts = []
        if override.is_valid is not None:
            parts.append("valid" if override.is_valid else "invalid")
            is_valid = override.is_valid
            status = "valid" if override.is_valid else "invalid"
        if override.email_type is not None:
            parts.append(f"a {override.email_type} address")
            email_type = override.email_type
        note = f" ({override.note})" if override.note else ""
        message = (
            f"Marked {' and '.join(parts)} by {override.by} on {override.at:%Y-%m-%d}{note}; "
            "this wins over the automatic checks until the address changes."
        )
        reason = EmailReason.model_construct(code="override", message=message, severity="info")
        return (*reasons, reason), status, is_valid, email_type

    def _record_plan(
        self,
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
            company = self._company(websites, name, evidence)
            plan.records.append((kind, record.id, not record.email))
            for value in record.all_emails:  # primary first, repeats dropped
                field_name = (
                    "email"
                    if value == record.email
                    else f"other_emails[{record.other_emails.index(value)}]"
                )
                plan.items.append((i, field_name, value, company))
        return plan


@dataclass(slots=True)
class _RecordPlan:
    records: list[tuple[Literal["lead", "contact"], str, bool]] = field(default_factory=list)
    items: list[tuple[int, str, str, _Company | None]] = field(default_factory=list)

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
