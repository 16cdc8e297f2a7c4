"""``StaticResolver``: DNS answers from a mapping instead of the network, for tests, demos and
offline runs of :class:`leadqual.EmailValidator` (``leadqual.testing.dns`` re-exports it).

Examples:
    >>> from leadqual.email import EmailValidator
    >>> resolver = StaticResolver({"contoso.com": {"mx": ["mx1.contoso.com"]},
    ...                            "gone.example.net": {"nxdomain": True}})
    >>> EmailValidator(resolver=resolver).validate("kim@contoso.com").mx_hosts
    ('mx1.contoso.com',)
    >>> resolver.lookups["contoso.com"]
    1
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from leadqual.email._dns import DnsAnswer, MxRecord
from leadqual.errors import ConfigurationError

if TYPE_CHECKING:
    from leadqual.sources.sample import SampleData

__all__ = ["WELL_KNOWN_RECORDS", "StaticResolver"]

WELL_KNOWN_RECORDS: Mapping[str, Mapping[str, Any]] = {
    "gmail.com": {"mx": ["gmail-smtp-in.l.google.com", "alt1.gmail-smtp-in.l.google.com"]},
    "outlook.com": {"mx": ["outlook-com.olc.protection.outlook.com"]},
    "yahoo.com": {"mx": ["mta5.am0.yahoodns.net", "mta6.am0.yahoodns.net"]},
}
"""The mail domains every working resolver knows, as the internet answers them: the validator's
resolver check asks about them (``leadqual.email.CANARY_DOMAINS``)."""

_KEYS = frozenset({"mx", "a", "aaaa", "nxdomain", "null_mx", "servfail", "timeout", "ttl"})


def _entry(domain: str, spec: Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(spec, Mapping):
        raise ConfigurationError(f"DNS answer for {domain!r} must be a mapping, got {spec!r}")
    unknown = set(spec) - _KEYS
    if unknown:
        raise ConfigurationError(
            f"DNS answer for {domain!r} has unknown keys {sorted(unknown)}; use {sorted(_KEYS)}"
        )
    return spec


class StaticResolver:
    """Answers MX and address queries from a mapping, the shape of the sample's ``dns``.

    Each domain maps to one of ``{"mx": [host, ...]}`` (hosts in preference order, or
    ``[[preference, host], ...]``), ``{"a": [ip, ...]}`` and/or ``{"aaaa": [...]}`` (no MX: the
    RFC 5321 fallback), ``{"nxdomain": True}``, ``{"null_mx": True}``, ``{"servfail": True}`` or
    ``{"timeout": True}``; ``"ttl"`` sets the answer's TTL. A domain not in the mapping gets
    ``missing`` (NXDOMAIN unless told otherwise), except the well-known mail domains
    (:data:`WELL_KNOWN_RECORDS`: gmail.com, outlook.com, yahoo.com), answered as the internet
    answers them unless ``records`` says otherwise: a resolver that denies those is broken, and
    the validator treats it so.

    Args:
        records: the answers, by domain (matched case-insensitively).
        missing: the outcome for a domain not in ``records``.
        latency: seconds every query takes (``asyncio.sleep``), to model a real resolver.
        well_known: also answer the well-known mail domains; ``False`` with
            ``missing="nxdomain"`` models a broken or captive resolver that denies everything.

    Attributes:
        lookups: queries asked, by domain (MX and address queries both count).
    """

    def __init__(
        self,
        records: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        missing: Literal["nxdomain", "servfail", "timeout"] = "nxdomain",
        latency: float = 0.0,
        well_known: bool = True,
    ) -> None:
        if latency < 0:
            raise ConfigurationError(f"latency must be zero or more seconds, got {latency!r}")
        given = {d.lower().rstrip("."): _entry(d, s) for d, s in (records or {}).items()}
        self.records = {**WELL_KNOWN_RECORDS, **given} if well_known else given
        self.missing = missing
        self.latency = latency
        self.lookups: Counter[str] = Counter()
        self._lock = threading.Lock()

    @classmethod
    def from_sample(cls, data: SampleData, **options: Any) -> StaticResolver:
        """A resolver over the sample CRM's DNS answers (``load_sample_data().dns``)."""
        return cls(data.dns, **options)

    async def _wait(self, domain: str, timeout: float) -> Mapping[str, Any] | None:
        with self._lock:
            self.lookups[domain] += 1
        spec = self.records.get(domain.lower().rstrip("."))
        timed_out = (spec or {}).get("timeout") or (spec is None and self.missing == "timeout")
        if timed_out:
            await asyncio.sleep(timeout)
        elif self.latency:
            await asyncio.sleep(self.latency)
        return spec

    async def _spec(self, domain: str, timeout: float) -> Mapping[str, Any] | DnsAnswer:
        """The mapping's entry for ``domain``, or the failure it stands for."""
        spec = await self._wait(domain, timeout)
        failed = self._failure(spec)
        if failed is not None:
            return failed
        assert spec is not None
        return spec

    def _failure(self, spec: Mapping[str, Any] | None) -> DnsAnswer | None:
        if spec is None:
            return DnsAnswer(self.missing)
        if spec.get("nxdomain"):
            return DnsAnswer("nxdomain")
        if spec.get("servfail"):
            return DnsAnswer("servfail")
        if spec.get("timeout"):
            return DnsAnswer("timeout")
        return None

    async def aresolve_mx(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        """The MX records of ``domain`` from the mapping."""
        spec = await self._spec(domain, timeout)
        if isinstance(spec, DnsAnswer):
            return spec
        ttl = float(spec["ttl"]) if "ttl" in spec else None
        if spec.get("null_mx"):
            return DnsAnswer("answer", mx=(MxRecord(0, "."),), ttl=ttl)
        hosts = spec.get("mx") or []
        if not hosts:
            return DnsAnswer("no_answer")
        records = []
        for i, host in enumerate(hosts):
            if isinstance(host, list | tuple):
                records.append(MxRecord(int(host[0]), str(host[1])))
            else:
                records.append(MxRecord((i + 1) * 10, str(host)))
        return DnsAnswer("answer", mx=tuple(records), ttl=ttl)

    async def aresolve_address(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        """The A and AAAA records of ``domain`` from the mapping."""
        spec = await self._spec(domain, timeout)
        if isinstance(spec, DnsAnswer):
            return spec
        addresses = tuple(str(a) for a in (*spec.get("a", ()), *spec.get("aaaa", ())))
        if not addresses:
            return DnsAnswer("no_answer")
        return DnsAnswer(
            "answer", addresses=addresses, ttl=float(spec["ttl"]) if "ttl" in spec else None
        )
