"""Deliverability through DNS: the resolver protocol, the dnspython resolver, the RFC 5321 lookup
(MX, then the implicit A/AAAA fallback, RFC 7505 null MX), the per-domain TTL cache, and the
resolver check that keeps a broken or captive resolver from condemning every address."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, Protocol, runtime_checkable

from leadqual._compat import is_coroutine_function, warn_deprecated
from leadqual.email._reasons import Finding, finding
from leadqual.errors import ConfigurationError

__all__ = [
    "CANARY_DOMAINS",
    "DnsAnswer",
    "DnsPythonResolver",
    "DomainCache",
    "DomainVerdict",
    "MxRecord",
    "Resolver",
    "ResolverCheck",
    "adopt_resolver",
    "distrust_nxdomain",
    "lookup_domain",
    "probe_resolver",
]

logger = logging.getLogger("leadqual.email")

DnsOutcome = Literal["answer", "no_answer", "nxdomain", "servfail", "timeout"]

ResolverCheck = Literal["not_run", "passed", "failed", "inconclusive"]
"""What the resolver check found: ``passed`` (a well-known mail domain exists), ``failed`` (the
resolver denies they exist: broken or captive), ``inconclusive`` (it failed or timed out)."""

CANARY_DOMAINS: tuple[str, ...] = ("gmail.com", "outlook.com", "yahoo.com")
"""Mail domains that exist as surely as anything on the internet: a resolver answering NXDOMAIN
for all of them is broken or captive (a hotel or guest network), not telling the truth."""


@dataclass(frozen=True, slots=True)
class MxRecord:
    """One MX record: lower ``preference`` is tried first; ``exchange`` ``"."`` is a null MX."""

    preference: int
    exchange: str


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """What a :class:`Resolver` found for one query.

    Attributes:
        outcome: ``answer`` (records found), ``no_answer`` (the name exists without records of
            that type), ``nxdomain`` (the name does not exist), ``servfail`` (the servers failed)
            or ``timeout``.
        mx: the MX records (for an MX query).
        addresses: the IPv4/IPv6 addresses (for an address query).
        ttl: seconds the answer may be cached, when the server said.
    """

    outcome: DnsOutcome
    mx: tuple[MxRecord, ...] = ()
    addresses: tuple[str, ...] = ()
    ttl: float | None = None


@runtime_checkable
class Resolver(Protocol):
    """Answers the two DNS questions deliverability needs. Implement it to plug in another DNS
    client; :class:`leadqual.testing.dns.StaticResolver` answers from a mapping for tests.

    A resolver reports failures as an outcome rather than raising; an exception it raises is
    treated as ``servfail``. One written before the methods were renamed (``resolve_mx`` /
    ``resolve_address``) is adapted with a deprecation warning (:func:`adopt_resolver`).
    """

    async def aresolve_mx(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        """The MX records of ``domain`` (an ASCII, IDNA-encoded name)."""
        ...

    async def aresolve_address(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        """The A and AAAA records of ``domain``."""
        ...


_METHODS = ("resolve_mx", "resolve_address")
"""The protocol's methods before they were named ``aresolve_mx`` / ``aresolve_address``."""


class _LegacyResolver:
    """A resolver written before ``aresolve_mx`` / ``aresolve_address``: its ``async def
    resolve_mx`` / ``resolve_address`` answer them, and every other attribute is its own."""

    def __init__(self, resolver: Any) -> None:
        self._resolver = resolver

    async def aresolve_mx(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        answer: DnsAnswer = await self._resolver.resolve_mx(domain, timeout=timeout)
        return answer

    async def aresolve_address(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        answer: DnsAnswer = await self._resolver.resolve_address(domain, timeout=timeout)
        return answer

    def __getattr__(self, attr: str) -> Any:
        # reached only for names the adapter lacks; a half-built copy has no resolver yet
        resolver = self.__dict__.get("_resolver")
        if resolver is None:
            raise AttributeError(attr)
        return getattr(resolver, attr)

    def __repr__(self) -> str:
        return repr(self._resolver)


def adopt_resolver(obj: object, /) -> Resolver:
    """``obj`` as a :class:`Resolver`.

    A resolver written before the protocol's methods were renamed (``async def resolve_mx`` and
    ``resolve_address``, neither ``aresolve_*``) keeps working for one release: it is wrapped in
    an adapter, with a :class:`DeprecationWarning` saying what to rename.

    Raises:
        ConfigurationError: ``obj`` is not a resolver (the message names the methods it needs).
    """
    if isinstance(obj, Resolver):
        return obj
    new = [f"a{m}" for m in _METHODS]
    if not any(hasattr(obj, n) for n in new) and all(
        is_coroutine_function(getattr(obj, m, None)) for m in _METHODS
    ):
        warn_deprecated(
            f"{type(obj).__name__}: a DNS resolver's async methods are now named `aresolve_mx` "
            "and `aresolve_address`; rename `async def resolve_mx` to `async def aresolve_mx` "
            "and `async def resolve_address` to `async def aresolve_address` (the old names are "
            "deprecated and will stop working in the next release)"
        )
        return _LegacyResolver(obj)
    missing = " and ".join(f"`{n}`" for n in new if not hasattr(obj, n)) or "`aresolve_*`"
    raise ConfigurationError(
        f"resolver must implement `async def aresolve_mx(self, domain, /, *, timeout)` and "
        f"`async def aresolve_address(self, domain, /, *, timeout)`; {type(obj)!r} lacks {missing}"
    )


class DnsPythonResolver:
    """The default :class:`Resolver`: dnspython's asyncio resolver with the system's servers.

    Args:
        nameservers: servers to ask instead of those in ``/etc/resolv.conf``.

    Examples:
        >>> resolver = DnsPythonResolver(nameservers=["9.9.9.9"])
        >>> isinstance(resolver, Resolver)
        True
    """

    def __init__(self, *, nameservers: Sequence[str] | None = None) -> None:
        self.nameservers = tuple(nameservers) if nameservers is not None else None
        self._resolver: object | None = None
        self._lock = threading.Lock()

    def _get(self) -> object:
        # Built lazily: reading resolv.conf at construction would fail on machines without one
        # even when deliverability is never checked.
        with self._lock:
            if self._resolver is None:
                import dns.asyncresolver

                if self.nameservers is None:
                    resolver = dns.asyncresolver.Resolver()
                else:
                    resolver = dns.asyncresolver.Resolver(configure=False)
                    resolver.nameservers = list(self.nameservers)
                self._resolver = resolver
            return self._resolver

    async def _query(self, domain: str, rdtype: str, timeout: float) -> tuple[DnsOutcome, object]:
        import dns.asyncresolver
        import dns.exception
        import dns.resolver

        try:
            resolver = self._get()
            assert isinstance(resolver, dns.asyncresolver.Resolver)
            answer = await resolver.resolve(
                domain, rdtype, lifetime=timeout, search=False, raise_on_no_answer=False
            )
        except dns.resolver.NXDOMAIN:
            return "nxdomain", None
        except dns.resolver.LifetimeTimeout:
            return "timeout", None
        except (dns.resolver.NoNameservers, dns.resolver.NoResolverConfiguration):
            return "servfail", None
        except dns.exception.DNSException:
            return "servfail", None
        if answer.rrset is None:
            return "no_answer", None
        return "answer", answer

    async def aresolve_mx(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        """The MX records of ``domain``."""
        import dns.name

        outcome, answer = await self._query(domain, "MX", timeout)
        if outcome != "answer":
            return DnsAnswer(outcome)
        rrset = answer.rrset  # type: ignore[attr-defined]
        records = tuple(
            MxRecord(
                int(r.preference),
                "." if r.exchange == dns.name.root else r.exchange.to_text(omit_final_dot=True),
            )
            for r in rrset
        )
        return DnsAnswer("answer", mx=records, ttl=float(rrset.ttl))

    async def aresolve_address(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        """The A and AAAA records of ``domain``, asked at the same time."""
        results = await asyncio.gather(
            self._query(domain, "A", timeout), self._query(domain, "AAAA", timeout)
        )
        addresses: list[str] = []
        ttls: list[float] = []
        outcomes = [outcome for outcome, _ in results]
        for outcome, answer in results:
            if outcome == "answer":
                rrset = answer.rrset  # type: ignore[attr-defined]
                addresses.extend(r.to_text() for r in rrset)
                ttls.append(float(rrset.ttl))
        if addresses:
            return DnsAnswer("answer", addresses=tuple(addresses), ttl=min(ttls))
        failures: tuple[DnsOutcome, ...] = ("nxdomain", "timeout", "servfail")
        for failure in failures:
            if failure in outcomes:
                return DnsAnswer(failure)
        return DnsAnswer("no_answer")


@dataclass(frozen=True, slots=True)
class DomainVerdict:
    """What DNS says about one mail domain, ready to be cached and shared by its addresses."""

    kind: Literal["ok", "undeliverable", "unknown"]
    findings: tuple[Finding, ...] = ()
    mx_hosts: tuple[str, ...] = ()
    ttl: float | None = None


async def _ask(
    call: Callable[[], object], timeout: float, what: str, domain: str
) -> DnsAnswer | Finding:
    try:
        async with asyncio.timeout(timeout):
            answer = await call()  # type: ignore[misc]
    except TimeoutError:
        return finding(
            "dns_timeout", f"The {what} lookup for {domain} timed out after {timeout:g} s."
        )
    except Exception as err:  # a plugged-in resolver failing must not fail the validation
        return finding(
            "dns_failure", f"The {what} lookup for {domain} failed ({type(err).__name__})."
        )
    if not isinstance(answer, DnsAnswer):
        return finding("dns_failure", f"The resolver returned no DNS answer for {domain}.")
    return answer


def _failed(answer: DnsAnswer, what: str, domain: str, timeout: float) -> DomainVerdict | None:
    """The verdict when ``answer`` is a failure (NXDOMAIN, SERVFAIL, timeout), else ``None``."""
    if answer.outcome == "nxdomain":
        return DomainVerdict(
            "undeliverable",
            (finding("domain_not_found", f"The domain {domain} does not exist (NXDOMAIN)."),),
        )
    if answer.outcome == "timeout":
        found = finding(
            "dns_timeout", f"The {what} lookup for {domain} timed out after {timeout:g} s."
        )
    elif answer.outcome == "servfail":
        found = finding(
            "dns_failure",
            f"The DNS servers for {domain} failed to answer the {what} lookup (SERVFAIL); "
            "deliverability is unknown, not refused.",
        )
    else:
        return None
    return DomainVerdict("unknown", (found,))


async def lookup_domain(resolver: Resolver, domain: str, *, timeout: float) -> DomainVerdict:
    """Decide whether ``domain`` accepts mail, following RFC 5321 section 5.1 and RFC 7505."""
    started = time.perf_counter()
    verdict = await _lookup(resolver, domain, timeout)
    # DEBUG, not INFO: a personal domain (jane-roe.com) is personal data
    logger.debug(
        "dns lookup domain=%s outcome=%s duration_ms=%.0f",
        domain,
        verdict.findings[0].code if verdict.findings else verdict.kind,
        (time.perf_counter() - started) * 1000,
    )
    return verdict


async def _lookup(resolver: Resolver, domain: str, timeout: float) -> DomainVerdict:
    mx = await _ask(lambda: resolver.aresolve_mx(domain, timeout=timeout), timeout, "MX", domain)
    if isinstance(mx, Finding):
        return DomainVerdict("unknown", (mx,))
    if mx.outcome == "answer" and mx.mx:
        hosts = [
            r for r in sorted(mx.mx, key=lambda r: r.preference) if r.exchange not in (".", "")
        ]
        if not hosts:
            return DomainVerdict(
                "undeliverable",
                (
                    finding(
                        "null_mx",
                        f"{domain} publishes a null MX record (RFC 7505): it accepts no mail.",
                    ),
                ),
                ttl=mx.ttl,
            )
        return DomainVerdict("ok", mx_hosts=tuple(r.exchange.lower() for r in hosts), ttl=mx.ttl)
    failed = _failed(mx, "MX", domain, timeout)
    if failed is not None:
        return failed
    # No MX records: RFC 5321 falls back to the domain's own address (the "implicit MX").
    addr = await _ask(
        lambda: resolver.aresolve_address(domain, timeout=timeout), timeout, "address", domain
    )
    if isinstance(addr, Finding):
        return DomainVerdict("unknown", (addr,))
    if addr.outcome == "answer" and addr.addresses:
        return DomainVerdict(
            "ok",
            (
                finding(
                    "implicit_mx",
                    f"{domain} has no MX record; mail goes to its A/AAAA address (RFC 5321 "
                    "implicit MX), which few real mail domains rely on.",
                ),
            ),
            mx_hosts=(domain,),
            ttl=addr.ttl,
        )
    failed = _failed(addr, "address", domain, timeout)
    if failed is not None:
        return failed
    return DomainVerdict(
        "undeliverable",
        (
            finding(
                "no_mail_server",
                f"{domain} exists but has neither an MX record nor an address: no server "
                "accepts its mail.",
            ),
        ),
    )


async def probe_resolver(
    resolver: Resolver, domains: Sequence[str], *, timeout: float
) -> ResolverCheck:
    """Ask ``resolver`` for the MX records of the well-known ``domains``, all at once.

    ``passed`` as soon as one of them exists (an answer, even an empty one); ``failed`` when none
    does and at least one is said not to exist (NXDOMAIN); ``inconclusive`` otherwise (timeouts,
    server failures, a resolver raising).
    """
    answers = await asyncio.gather(
        *(
            _ask(partial(resolver.aresolve_mx, d, timeout=timeout), timeout, "MX", d)
            for d in domains
        )
    )
    outcomes = {a.outcome for a in answers if isinstance(a, DnsAnswer)}
    if outcomes & {"answer", "no_answer"}:
        return "passed"
    return "failed" if "nxdomain" in outcomes else "inconclusive"


def distrust_nxdomain(
    verdict: DomainVerdict, domain: str, canaries: Sequence[str]
) -> DomainVerdict:
    """``verdict`` with its NXDOMAIN finding replaced by an ``unknown`` one, for a resolver that
    also denies the well-known ``canaries`` exist: its "no such domain" proves nothing."""
    if not any(f.code == "domain_not_found" for f in verdict.findings):
        return verdict
    denied = ", ".join(canaries)
    return DomainVerdict(
        "unknown",
        (
            finding(
                "dns_unreliable",
                f"The DNS resolver says {domain} does not exist, but it says the same of "
                f"{denied}: it is broken or captive, so deliverability is unknown.",
            ),
        ),
    )


@dataclass(slots=True)
class _Entry:
    verdict: DomainVerdict
    expires: float


@dataclass(slots=True)
class DomainCache:
    """A bounded, thread-safe LRU cache of domain verdicts, each kept for its TTL.

    Positive answers live for the DNS TTL clamped to ``[min_ttl, ttl]``; "no such domain" and "no
    mail server" for ``negative_ttl``; failures for ``failure_ttl`` (short, so a retry comes soon).
    """

    ttl: float
    negative_ttl: float
    failure_ttl: float
    max_entries: int
    clock: Callable[[], float] = time.monotonic
    min_ttl: float = 60.0
    hits: int = 0
    misses: int = 0
    _data: OrderedDict[str, _Entry] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, domain: str) -> DomainVerdict | None:
        """The cached verdict for ``domain``, or ``None`` when absent or expired."""
        with self._lock:
            entry = self._data.get(domain)
            if entry is None or entry.expires <= self.clock():
                if entry is not None:
                    del self._data[domain]
                self.misses += 1
                return None
            self._data.move_to_end(domain)
            self.hits += 1
            return entry.verdict

    def put(self, domain: str, verdict: DomainVerdict) -> None:
        """Cache ``verdict`` for as long as its kind allows."""
        if verdict.kind == "ok":
            ttl = self.ttl if verdict.ttl is None else min(max(verdict.ttl, self.min_ttl), self.ttl)
        elif verdict.kind == "undeliverable":
            ttl = self.negative_ttl
        else:
            ttl = self.failure_ttl
        if ttl <= 0:
            return
        with self._lock:
            self._data[domain] = _Entry(verdict, self.clock() + ttl)
            self._data.move_to_end(domain)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Forget every cached verdict."""
        with self._lock:
            self._data.clear()

    def forget(self, domain: str) -> int:
        """Forget one domain's verdict; how many went (0 or 1)."""
        with self._lock:
            return 0 if self._data.pop(domain, None) is None else 1

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)
