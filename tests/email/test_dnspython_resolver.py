"""The dnspython-backed resolver, with dnspython's resolver replaced by a scripted one: no
network. Checks the mapping of DNS outcomes and the parsing of MX, null MX and address answers."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import dns.asyncresolver
import dns.resolver
import dns.rrset
import pytest

from leadqual.email import DnsAnswer, DnsPythonResolver, EmailValidator, MxRecord


class ScriptedResolver(dns.asyncresolver.Resolver):
    """Answers from a script: (name, rdtype) -> rrset text, or an exception to raise."""

    def __init__(self, script: dict[tuple[str, str], Any]) -> None:
        super().__init__(configure=False)
        self.script = script
        self.asked: list[tuple[str, str, float | None]] = []

    async def resolve(self, qname: Any, rdtype: Any = "A", *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.asked.append((str(qname), str(rdtype), kwargs.get("lifetime")))
        assert kwargs.get("search") is False
        assert kwargs.get("raise_on_no_answer") is False
        outcome = self.script.get((str(qname), str(rdtype)))
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome is None:
            return SimpleNamespace(rrset=None)
        return SimpleNamespace(
            rrset=dns.rrset.from_text(str(qname) + ".", 300, "IN", rdtype, *outcome)
        )


def resolver_for(script: dict[tuple[str, str], Any]) -> tuple[DnsPythonResolver, ScriptedResolver]:
    resolver = DnsPythonResolver(nameservers=["192.0.2.53"])
    scripted = ScriptedResolver(script)
    resolver._resolver = scripted
    return resolver, scripted


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_mx_answer_is_parsed_with_preferences_and_ttl() -> None:
    resolver, scripted = resolver_for(
        {("contoso.com", "MX"): ["20 mx2.contoso.com.", "10 mx1.contoso.com."]}
    )
    answer = run(resolver.aresolve_mx("contoso.com", timeout=1.5))
    assert answer.outcome == "answer"
    assert sorted(answer.mx, key=lambda r: r.preference) == [
        MxRecord(10, "mx1.contoso.com"),
        MxRecord(20, "mx2.contoso.com"),
    ]
    assert answer.ttl == 300
    assert scripted.asked == [("contoso.com", "MX", 1.5)]


def test_null_mx_exchange_is_a_dot() -> None:
    resolver, _ = resolver_for({("parked.com", "MX"): ["0 ."]})
    assert run(resolver.aresolve_mx("parked.com", timeout=1)).mx == (MxRecord(0, "."),)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (dns.resolver.NXDOMAIN(), "nxdomain"),
        (dns.resolver.LifetimeTimeout(timeout=1.0, errors={}), "timeout"),
        (dns.resolver.NoNameservers(), "servfail"),
        (dns.resolver.YXDOMAIN(), "servfail"),
    ],
)
def test_dnspython_errors_map_to_outcomes(error: BaseException, outcome: str) -> None:
    resolver, _ = resolver_for({("x.com", "MX"): error})
    assert run(resolver.aresolve_mx("x.com", timeout=1)) == DnsAnswer(outcome)  # type: ignore[arg-type]


def test_no_mx_records_is_no_answer() -> None:
    resolver, _ = resolver_for({})
    assert run(resolver.aresolve_mx("x.com", timeout=1)).outcome == "no_answer"


def test_address_lookup_merges_a_and_aaaa() -> None:
    resolver, scripted = resolver_for(
        {("x.com", "A"): ["192.0.2.1"], ("x.com", "AAAA"): ["2001:db8::1"]}
    )
    answer = run(resolver.aresolve_address("x.com", timeout=1))
    assert answer.outcome == "answer"
    assert set(answer.addresses) == {"192.0.2.1", "2001:db8::1"}
    assert {q[1] for q in scripted.asked} == {"A", "AAAA"}


def test_address_lookup_reports_nxdomain_when_nothing_answers() -> None:
    resolver, _ = resolver_for({("x.com", "A"): dns.resolver.NXDOMAIN()})
    assert run(resolver.aresolve_address("x.com", timeout=1)).outcome == "nxdomain"


def test_validator_over_dnspython_follows_the_implicit_mx_rule() -> None:
    resolver, _ = resolver_for({("fabrikam.com", "A"): ["192.0.2.10"]})
    check = EmailValidator(resolver=resolver).validate("kim@fabrikam.com")
    assert check.status == "valid"
    assert check.has("implicit_mx")
