"""The email validator: is an address valid (well formed and deliverable) and what type is it
(work or personal), with the flags commercial verifiers report.

Offline first: syntax, type, disposable, role, relay and typo checks need no network; the
deliverability check asks DNS (MX, then the RFC 5321 A/AAAA fallback, RFC 7505 null MX) through an
injectable :class:`~leadqual.email.Resolver`. No SMTP mailbox probe is ever made (see
``docs/email.md``). :class:`EmailValidator` has one verb, ``validate``, in its sync, async and
batch shapes; records, contexts and DataFrames are checked by functions beside it
(:mod:`leadqual.email.records`, :mod:`leadqual.email.frame`).

Examples:
    >>> from leadqual.email import EmailValidator
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from leadqual._base import to_utc
from leadqual._compat import warn_deprecated
from leadqual._domains import (
    ascii_domain,
    company_website_domain,
    is_free_provider_domain,
    registrable_domain,
)
from leadqual._progress import Progress, Steps, check_progress
from leadqual._sync import PerLoop, run_sync
from leadqual.email import _domains as domains
from leadqual.email import frame as _frame
from leadqual.email import records as _records
from leadqual.email._dns import (
    CANARY_DOMAINS,
    DnsPythonResolver,
    DomainCache,
    DomainVerdict,
    Resolver,
    ResolverCheck,
    adopt_resolver,
    distrust_nxdomain,
    lookup_domain,
    probe_resolver,
)
from leadqual.email._domains import _suggest_popular as suggest_popular
from leadqual.email._domains import domain_facts
from leadqual.email._history import BounceEvidence, bounce_findings
from leadqual.email._reasons import Finding, finding, status_of
from leadqual.email._syntax import SyntaxOutcome, _domain_name, check_syntax
from leadqual.email.checks import EmailCacheInfo, EmailCheck, EmailReason, EmailStatus, EmailType
from leadqual.email.overrides import EmailOverride, EmailOverrides
from leadqual.errors import ConfigurationError, EmailInputError

if TYPE_CHECKING:
    import pandas as pd

    from leadqual.email.checks import RecordEmailReport
    from leadqual.models import Account, Contact, EmailMessage, Lead, LeadContext

__all__ = ["EmailValidator", "cache_info", "clear_cache", "forget_domain"]

logger = logging.getLogger("leadqual.email")


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
    canary: asyncio.Task[ResolverCheck] | None = None


@lru_cache(maxsize=4096)
def _reason(found: Finding) -> EmailReason:
    # Reasons are frozen and most repeat (same domain, same rule): build each one once.
    return EmailReason.model_construct(
        code=found.code, message=found.message, severity=found.severity
    )


def _slice(n: int) -> int:
    """Addresses checked between two progress reports: about a hundredth of the batch, and
    enough that the slicing itself costs nothing measurable."""
    return max(500, -(-n // 100))


def _require_str(value: object, field: str) -> str:
    if isinstance(value, str):
        return value
    what = "None" if value is None else type(value).__name__
    raise EmailInputError(
        f"{field} must be a string, got {what}; to check a record whose email may be missing "
        "use leadqual.email.validate_record",
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
        canary_domains: well-known mail domains asked about once, the first time the resolver
            says a domain does not exist: when it denies all of them too, it is broken or
            captive, a WARNING is logged once, and its NXDOMAIN answers give ``unknown``
            (``dns_unreliable``) instead of ``invalid``. ``()`` turns the check off.
        now: the time every check is stamped with (``checked_at``); the current time when
            ``None``. Pass the sample's ``as_of`` for reproducible output.

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
        canary_domains: Sequence[str] = CANARY_DOMAINS,
        now: datetime | None = None,
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
        if resolver is not None:
            resolver = adopt_resolver(resolver)
        self.check_deliverability = check_deliverability
        self.resolver: Resolver = resolver if resolver is not None else DnsPythonResolver()
        self.timeout = float(timeout)
        self.max_concurrency = max_concurrency
        self.allow_reserved_domains = allow_reserved_domains
        if isinstance(canary_domains, str):
            raise ConfigurationError(
                f"canary_domains must be a sequence of domains, not one string: ({canary_domains!r},)"
            )
        self.overrides = overrides
        self.canary_domains = tuple(d.strip().lower() for d in canary_domains)
        self._now, self._clock = _time_source(now)
        self._cache = DomainCache(
            ttl=float(cache_ttl),
            negative_ttl=float(negative_cache_ttl),
            failure_ttl=float(failure_cache_ttl),
            max_entries=cache_size,
            clock=time.monotonic,
        )
        self._lookups = 0
        self._resolver_check: ResolverCheck = "not_run"
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

    def validate_many(
        self, addresses: Iterable[str], /, *, progress: Progress | None = None
    ) -> list[EmailCheck]:
        """Check many addresses concurrently; results keep the input order.

        Each domain is looked up once however many addresses share it.

        Args:
            addresses: the addresses as found in the CRM.
            progress: called as ``progress(done, total, stage)`` with ``done`` of ``total``
                addresses checked: a few hundred times at most, as syntax is checked and as
                each mail domain is answered (see :func:`leadqual.notebook_progress`). A
                callback that raises stops the call; lookups it started are cancelled.

        Raises:
            EmailInputError: an item is not a string (the error names its index).
        """
        check_progress(progress)
        return self._check([(a, None) for a in self._items(addresses)], progress)

    async def avalidate_many(
        self, addresses: Iterable[str], /, *, progress: Progress | None = None
    ) -> list[EmailCheck]:
        """Check many addresses concurrently without blocking the event loop (see
        :meth:`validate_many`)."""
        check_progress(progress)
        return await self._amany([(a, None) for a in self._items(addresses)], progress)

    # -- deprecated aliases: the functions beside the class replace them -------------------

    def validate_record(
        self,
        record: Lead | Contact,
        /,
        *,
        account: Account | None = None,
        messages: Iterable[EmailMessage] = (),
    ) -> RecordEmailReport:
        """Deprecated: use :func:`leadqual.email.validate_record`."""
        _moved("validate_record", "validate_record(validator, record, ...)")
        return _records.validate_record(self, record, account=account, messages=messages)

    async def avalidate_record(
        self,
        record: Lead | Contact,
        /,
        *,
        account: Account | None = None,
        messages: Iterable[EmailMessage] = (),
    ) -> RecordEmailReport:
        """Deprecated: use :func:`leadqual.email.avalidate_record`."""
        _moved("avalidate_record", "avalidate_record(validator, record, ...)")
        return await _records.avalidate_record(self, record, account=account, messages=messages)

    def validate_records(
        self,
        records: Iterable[Lead | Contact],
        /,
        *,
        accounts: Iterable[Account] = (),
        messages: Iterable[EmailMessage] = (),
    ) -> list[RecordEmailReport]:
        """Deprecated: use :func:`leadqual.email.validate_records`."""
        _moved("validate_records", "validate_records(validator, records, ...)")
        return _records.validate_records(self, records, accounts=accounts, messages=messages)

    async def avalidate_records(
        self,
        records: Iterable[Lead | Contact],
        /,
        *,
        accounts: Iterable[Account] = (),
        messages: Iterable[EmailMessage] = (),
    ) -> list[RecordEmailReport]:
        """Deprecated: use :func:`leadqual.email.avalidate_records`."""
        _moved("avalidate_records", "avalidate_records(validator, records, ...)")
        return await _records.avalidate_records(self, records, accounts=accounts, messages=messages)

    def validate_context(
        self, context: LeadContext, /, *, read_emails: bool = False
    ) -> RecordEmailReport:
        """Deprecated: use :func:`leadqual.email.validate_context`."""
        _moved("validate_context", "validate_context(validator, context, ...)")
        return _records.validate_context(self, context, read_emails=read_emails)

    async def avalidate_context(
        self, context: LeadContext, /, *, read_emails: bool = False
    ) -> RecordEmailReport:
        """Deprecated: use :func:`leadqual.email.avalidate_context`."""
        _moved("avalidate_context", "avalidate_context(validator, context, ...)")
        return await _records.avalidate_context(self, context, read_emails=read_emails)

    def validate_frame(
        self, frame: pd.DataFrame, /, *, column: str = "email", prefix: str | None = None
    ) -> pd.DataFrame:
        """Deprecated: use :func:`leadqual.email.validate_frame`."""
        _moved("validate_frame", "validate_frame(validator, frame, ...)")
        return _frame.validate_frame(self, frame, column=column, prefix=prefix)

    def cache_info(self) -> EmailCacheInfo:
        """Deprecated: use :func:`leadqual.email.cache_info`."""
        _moved("cache_info", "cache_info(validator)")
        return cache_info(self)

    def clear_cache(self) -> None:
        """Deprecated: use :func:`leadqual.email.clear_cache`."""
        _moved("clear_cache", "clear_cache(validator)")
        clear_cache(self)

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
        if not isinstance(addresses, Iterable):
            raise EmailInputError(
                f"addresses must be an iterable of strings, got {type(addresses).__name__}",
                field="addresses",
            )
        return [_require_str(a, f"addresses[{i}]") for i, a in enumerate(addresses)]

    def _check(
        self, items: Sequence[tuple[str, _Company | None]], progress: Progress | None = None
    ) -> list[EmailCheck]:
        """Check addresses with their company context, order kept (the batch seam the record
        helpers use too)."""
        if not self.check_deliverability:
            at = self._stamp()
            if progress is not None:
                return self._check_offline(items, at, progress)
            return [
                self._finish(
                    a, check_syntax(a, allow_reserved=self.allow_reserved_domains), c, None, at
                )
                for a, c in items
            ]
        return run_sync(lambda: self._amany(items, progress))

    def _check_offline(
        self, items: Sequence[tuple[str, _Company | None]], at: datetime, progress: Progress
    ) -> list[EmailCheck]:
        """:meth:`_check` without DNS, in slices, reporting after each."""
        steps = Steps(progress, len(items), "checking syntax")
        out: list[EmailCheck] = []
        for start in range(0, len(items), _slice(len(items))):
            stop = start + _slice(len(items))
            out.extend(
                self._finish(
                    a, check_syntax(a, allow_reserved=self.allow_reserved_domains), c, None, at
                )
                for a, c in items[start:stop]
            )
            steps.to(stop, "checking syntax")
        steps.finish(f"checked {len(items):,} address(es)")
        return out

    async def _avalidate_one(self, address: str, company: _Company | None) -> EmailCheck:
        return (await self._amany([(address, company)]))[0]

    async def _amany(
        self, items: Sequence[tuple[str, _Company | None]], progress: Progress | None = None
    ) -> list[EmailCheck]:
        if progress is not None:
            return await self._amany_reporting(items, progress)
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

    async def _amany_reporting(
        self, items: Sequence[tuple[str, _Company | None]], progress: Progress
    ) -> list[EmailCheck]:
        """:meth:`_amany` reporting to ``progress``: syntax in slices, then each domain as it is
        answered (counting the addresses waiting for it). Reports are made here, between awaits,
        never from inside a lookup, so a callback that raises cancels the lookups still running
        and nothing reports after it."""
        steps = Steps(progress, len(items), "checking syntax")
        outcomes: list[SyntaxOutcome] = []
        for start in range(0, len(items), _slice(len(items))):
            part = items[start : start + _slice(len(items))]
            found = [check_syntax(a, allow_reserved=self.allow_reserved_domains) for a, _ in part]
            outcomes.extend(found)
            steps.advance(sum(o.ascii_domain is None for o in found), "checking syntax")
        waiting: dict[str, int] = {}
        for o in outcomes:
            if o.ascii_domain is not None:
                waiting[o.ascii_domain] = waiting.get(o.ascii_domain, 0) + 1
        verdicts: dict[str, DomainVerdict] = {}
        tasks = {asyncio.ensure_future(self._domain(d)): d for d in sorted(waiting)}
        try:
            pending = set(tasks)
            while pending:
                finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    domain = tasks[task]
                    verdicts[domain] = task.result()
                    steps.advance(
                        waiting[domain],
                        f"looking up mail domains ({len(verdicts):,} of {len(tasks):,})",
                    )
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        at = self._stamp()
        out = [
            self._finish(a, o, c, verdicts.get(o.ascii_domain) if o.ascii_domain else None, at)
            for (a, c), o in zip(items, outcomes, strict=True)
        ]
        steps.finish(f"checked {len(items):,} address(es)")
        return out

    def _stamp(self) -> datetime:
        if self._clock is not None:
            return to_utc(self._clock(), "now")
        return self._now if self._now is not None else datetime.now(UTC)

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
            if verdict.kind == "undeliverable" and await self._resolver_lies():
                verdict = distrust_nxdomain(verdict, domain, self.canary_domains)
        except BaseException:
            future.cancel()
            raise
        finally:
            state.inflight.pop(domain, None)
        self._cache.put(domain, verdict)
        future.set_result(verdict)
        return verdict

    async def _resolver_lies(self) -> bool:
        """Whether the resolver denies the well-known canary domains exist: asked the first time
        it says a domain does not exist, and remembered for the validator's life once the answer
        is clear (an inconclusive probe is asked again next time)."""
        if not self.canary_domains:
            return False
        if self._resolver_check in ("passed", "failed"):
            return self._resolver_check == "failed"
        state = self._loops.get()
        if state.canary is None:
            # one probe per loop at a time: domains denied together wait for the same one
            state.canary = asyncio.ensure_future(
                probe_resolver(self.resolver, self.canary_domains, timeout=self.timeout)
            )
        task = state.canary
        result = await asyncio.shield(task)
        if state.canary is task:
            state.canary = None
        with self._state_lock:
            settled = self._resolver_check in ("passed", "failed")
            if not settled:
                self._resolver_check = result
        if result == "failed" and not settled:
            # once per validator, naming no address or lead domain: those are personal data
            logger.warning(
                "the DNS resolver says the well-known mail domains %s do not exist: it is "
                "broken or captive, so deliverability is reported as unknown "
                "(dns_unreliable) for the domains it denies, not as invalid",
                ", ".join(self.canary_domains),
            )
        return self._resolver_check == "failed"

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
            if is_free_provider_domain(suggested):
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


def cache_info(validator: EmailValidator, /) -> EmailCacheInfo:
    """How many domains ``validator`` looked up, served from its cache and holds now, and what
    its resolver check found.

    Examples:
        >>> from leadqual.testing.dns import StaticResolver
        >>> validator = EmailValidator(resolver=StaticResolver({"contoso.com": {"mx": ["mx"]}}))
        >>> _ = validator.validate_many(["kim@contoso.com", "bo@contoso.com"])
        >>> info = cache_info(validator)
        >>> info.lookups, info.size, info.resolver_check
        (1, 1, 'not_run')
    """
    return EmailCacheInfo(
        lookups=validator._lookups,
        hits=validator._cache.hits,
        size=len(validator._cache),
        resolver_check=validator._resolver_check,
    )


def clear_cache(validator: EmailValidator, /) -> None:
    """Forget ``validator``'s cached DNS verdicts and its resolver check (counters are kept)."""
    validator._cache.clear()
    with validator._state_lock:
        validator._resolver_check = "not_run"


def forget_domain(validator: EmailValidator, domain: str, /) -> int:
    """Forget what ``validator`` keeps about one domain (a data subject's erasure request: a
    sole trader's domain names a person): its cached DNS verdict, and the process-wide cache of
    reason texts, which may quote it. Returns how many domain verdicts went (0 or 1)."""
    if not isinstance(domain, str):
        raise EmailInputError(
            f"domain must be a string, got {type(domain).__name__}", field="domain"
        )
    plain = domain.strip().lower().rstrip(".")
    # The cache is keyed by the domain's ASCII form, as validation reads it.
    key = check_syntax(f"x@{plain}", allow_reserved=True).ascii_domain or plain
    gone = validator._cache.forget(key) + (validator._cache.forget(plain) if key != plain else 0)
    # Process-wide caches keyed by domains or addresses: speed only, so emptied whole.
    for cached in (
        _reason,
        _domain_name,
        domain_facts,
        suggest_popular,
        registrable_domain,
        ascii_domain,
    ):
        cached.cache_clear()
    return gone


def _time_source(now: object) -> tuple[datetime | None, Callable[[], datetime] | None]:
    """A fixed time, or (deprecated) the clock callable earlier releases took."""
    if now is None:
        return None, None
    if isinstance(now, datetime):
        return to_utc(now, "now"), None
    if callable(now):
        warn_deprecated(
            "EmailValidator(now=<callable>) is deprecated: pass the datetime itself "
            "(now=data.as_of), or nothing for the current time"
        )
        return None, now
    raise ConfigurationError(f"now must be a datetime or None, got {type(now).__name__}")


def _moved(method: str, call: str) -> None:
    warn_deprecated(f"EmailValidator.{method}() is deprecated: call leadqual.email.{call} instead")
