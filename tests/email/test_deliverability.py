"""Deliverability: MX, implicit MX, null MX, NXDOMAIN, failures, caching, concurrency, and the
sync API inside a running event loop. Every test injects a resolver: no network."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.email import (
    CANARY_DOMAINS,
    DnsAnswer,
    EmailValidator,
    MxRecord,
    Resolver,
    cache_info,
    clear_cache,
)
from leadqual.errors import ConfigurationError
from leadqual.testing.dns import StaticResolver

RECORDS: dict[str, dict[str, Any]] = {
    "contoso.com": {"mx": [[20, "mx2.contoso.com"], [10, "MX1.contoso.com"]]},
    "fabrikam.com": {"a": ["192.0.2.10"]},
    "parked.com": {"null_mx": True},
    "gone.com": {"nxdomain": True},
    "broken.com": {"servfail": True},
    "slow.com": {"timeout": True},
    "bare.com": {},
}


def make(**options: Any) -> tuple[EmailValidator, StaticResolver]:
    resolver = StaticResolver(RECORDS)
    return EmailValidator(resolver=resolver, **options), resolver


@pytest.mark.parametrize(
    ("address", "status", "codes"),
    [
        ("kim@contoso.com", "valid", ()),
        ("kim@fabrikam.com", "valid", ("implicit_mx",)),
        ("kim@parked.com", "invalid", ("null_mx",)),
        ("kim@gone.com", "invalid", ("domain_not_found",)),
        ("kim@unknown-to-the-resolver.com", "invalid", ("domain_not_found",)),
        ("kim@bare.com", "invalid", ("no_mail_server",)),
        ("kim@broken.com", "unknown", ("dns_failure",)),
    ],
)
def test_deliverability_verdicts(address: str, status: str, codes: tuple[str, ...]) -> None:
    validator, _ = make()
    check = validator.validate(address)
    assert check.status == status
    assert check.reason_codes == codes
    assert check.deliverability_checked
    assert check.is_valid == (status != "invalid")


def test_mx_hosts_are_ordered_by_preference_and_lower_case() -> None:
    validator, _ = make()
    assert validator.validate("kim@contoso.com").mx_hosts == ("mx1.contoso.com", "mx2.contoso.com")


def test_implicit_mx_names_the_domain_as_its_mail_host() -> None:
    validator, _ = make()
    assert validator.validate("kim@fabrikam.com").mx_hosts == ("fabrikam.com",)


def test_timeout_gives_unknown_within_the_timeout() -> None:
    validator, _ = make(timeout=0.05)
    started = time.perf_counter()
    check = validator.validate("kim@slow.com")
    assert time.perf_counter() - started < 2.0
    assert check.status == "unknown"
    assert check.is_valid
    assert check.reason_codes == ("dns_timeout",)


class HangingResolver:
    async def aresolve_mx(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def aresolve_address(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        raise AssertionError("unreachable")


class ExplodingResolver:
    async def aresolve_mx(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        raise OSError("network unreachable")

    async def aresolve_address(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        raise OSError("network unreachable")


def test_a_resolver_that_ignores_its_timeout_cannot_hang_the_validator() -> None:
    validator = EmailValidator(resolver=HangingResolver(), timeout=0.05)
    assert validator.validate("kim@contoso.com").reason_codes == ("dns_timeout",)


def test_a_resolver_that_raises_gives_unknown_not_an_exception() -> None:
    check = EmailValidator(resolver=ExplodingResolver()).validate("kim@contoso.com")
    assert check.status == "unknown"
    assert check.reason_codes == ("dns_failure",)
    assert "OSError" in check.reasons[0].message


def test_static_and_dnspython_resolvers_satisfy_the_protocol() -> None:
    from leadqual.email import DnsPythonResolver

    assert isinstance(StaticResolver(), Resolver)
    assert isinstance(DnsPythonResolver(), Resolver)


def test_many_addresses_over_few_domains_cost_one_lookup_per_domain() -> None:
    validator, resolver = make()
    addresses = [f"user{i}@{d}" for i in range(300) for d in ("contoso.com", "gone.com")]
    checks = validator.validate_many(addresses)
    assert [c.address for c in checks] == addresses
    # gone.com's NXDOMAIN made the validator check its resolver once, on the well-known domains
    assert resolver.lookups == {"contoso.com": 1, "gone.com": 1} | dict.fromkeys(CANARY_DOMAINS, 1)
    assert cache_info(validator).lookups == 2
    assert cache_info(validator).resolver_check == "passed"


def test_results_keep_input_order_with_mixed_domains_and_bad_syntax() -> None:
    validator, _ = make()
    addresses = ["a@gone.com", "not an address", "b@contoso.com", "c@fabrikam.com", "a@gone.com"]
    checks = validator.validate_many(addresses)
    assert [c.address for c in checks] == addresses
    assert [c.status for c in checks] == ["invalid", "invalid", "valid", "valid", "invalid"]


def test_concurrent_avalidate_calls_share_one_lookup() -> None:
    resolver = StaticResolver(RECORDS, latency=0.02)
    validator = EmailValidator(resolver=resolver)

    async def main() -> list[str]:
        checks = await asyncio.gather(
            *(validator.avalidate(f"u{i}@contoso.com") for i in range(50))
        )
        return [c.status for c in checks]

    assert asyncio.run(main()) == ["valid"] * 50
    assert resolver.lookups["contoso.com"] == 1


def test_cache_serves_repeat_checks_and_expires_after_its_ttl() -> None:
    validator, resolver = make(cache_ttl=120)
    now = [1000.0]
    validator._cache.clock = lambda: now[0]
    validator.validate("a@contoso.com")
    validator.validate("b@contoso.com")
    assert resolver.lookups["contoso.com"] == 1
    assert cache_info(validator).hits == 1
    now[0] += 121
    validator.validate("c@contoso.com")
    assert resolver.lookups["contoso.com"] == 2


def test_record_ttl_shortens_the_cache_lifetime() -> None:
    resolver = StaticResolver({"contoso.com": {"mx": ["mx.contoso.com"], "ttl": 300}})
    validator = EmailValidator(resolver=resolver, cache_ttl=3600)
    now = [0.0]
    validator._cache.clock = lambda: now[0]
    validator.validate("a@contoso.com")
    now[0] += 301
    validator.validate("a@contoso.com")
    assert resolver.lookups["contoso.com"] == 2


def test_failures_are_not_cached_when_failure_ttl_is_zero() -> None:
    validator, resolver = make(failure_cache_ttl=0)
    validator.validate("a@broken.com")
    validator.validate("a@broken.com")
    assert resolver.lookups["broken.com"] == 2


def test_clear_cache_forces_a_new_lookup() -> None:
    validator, resolver = make()
    validator.validate("a@contoso.com")
    clear_cache(validator)
    validator.validate("a@contoso.com")
    assert resolver.lookups["contoso.com"] == 2


class CountingResolver(StaticResolver):
    def __init__(self) -> None:
        super().__init__({f"d{i}.com": {"mx": [f"mx.d{i}.com"]} for i in range(40)}, latency=0.01)
        self.active = 0
        self.peak = 0

    async def aresolve_mx(self, domain: str, /, *, timeout: float) -> DnsAnswer:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            return await super().aresolve_mx(domain, timeout=timeout)
        finally:
            self.active -= 1


def test_lookups_run_concurrently_but_within_the_bound() -> None:
    resolver = CountingResolver()
    validator = EmailValidator(resolver=resolver, max_concurrency=4)
    checks = validator.validate_many([f"kim@d{i}.com" for i in range(40)])
    assert all(c.status == "valid" for c in checks)
    assert 1 < resolver.peak <= 4


def test_sync_api_works_inside_a_running_event_loop() -> None:
    validator, _ = make()

    async def notebook_cell() -> tuple[str, list[str]]:
        one = validator.validate("kim@contoso.com")
        many = validator.validate_many(["a@gone.com", "b@contoso.com"])
        return one.status, [c.status for c in many]

    assert asyncio.run(notebook_cell()) == ("valid", ["invalid", "valid"])


def test_no_lookup_when_deliverability_is_off() -> None:
    resolver = StaticResolver(RECORDS)
    validator = EmailValidator(check_deliverability=False, resolver=resolver)
    check = validator.validate("kim@gone.com")
    assert check.is_valid
    assert check.has("deliverability_not_checked")
    assert not resolver.lookups


def test_no_lookup_for_an_address_refused_by_syntax() -> None:
    validator, resolver = make()
    check = validator.validate("kim@@contoso.com")
    assert not check.deliverability_checked
    assert not resolver.lookups


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": 0},
        {"timeout": float("nan")},
        {"max_concurrency": 0},
        {"cache_ttl": -1},
        {"cache_size": -5},
        {"resolver": object()},
    ],
)
def test_bad_configuration_raises_configuration_error(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        EmailValidator(**options)


def test_static_resolver_refuses_unknown_keys() -> None:
    with pytest.raises(ConfigurationError, match="unknown keys"):
        StaticResolver({"contoso.com": {"mxx": ["mx.contoso.com"]}})


def test_null_mx_record_shape() -> None:
    async def main() -> DnsAnswer:
        return await StaticResolver({"p.com": {"null_mx": True}}).aresolve_mx("p.com", timeout=1)

    assert asyncio.run(main()).mx == (MxRecord(0, "."),)


def test_waiters_survive_the_cancellation_of_the_task_doing_the_lookup() -> None:
    resolver = StaticResolver(RECORDS, latency=0.05)
    validator = EmailValidator(resolver=resolver)

    async def main() -> str:
        owner = asyncio.create_task(validator.avalidate("a@contoso.com"))
        await asyncio.sleep(0.01)
        waiter = asyncio.create_task(validator.avalidate("b@contoso.com"))
        await asyncio.sleep(0.01)
        owner.cancel()
        check = await waiter
        with pytest.raises(asyncio.CancelledError):
            await owner
        return check.status

    assert asyncio.run(main()) == "valid"
    assert resolver.lookups["contoso.com"] == 2


_addresses = st.lists(
    st.one_of(
        st.sampled_from(
            ["kim@contoso.com", "a@gone.com", "b@fabrikam.com", "c@parked.com", "x@broken.com"]
        ),
        st.text(max_size=40),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(_addresses)
def test_validate_many_equals_validating_one_by_one(addresses: list[str]) -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    many = EmailValidator(resolver=StaticResolver(RECORDS), now=at)
    one = EmailValidator(resolver=StaticResolver(RECORDS), now=at)
    assert many.validate_many(addresses) == [one.validate(a) for a in addresses]


def test_nothing_about_the_address_is_logged_at_info(caplog: pytest.LogCaptureFixture) -> None:
    # a vanity domain (jane-roe.com) identifies its owner as much as the address does
    validator = EmailValidator(
        resolver=StaticResolver({"jane-roe.com": {"mx": ["mx.jane-roe.com"]}})
    )
    with caplog.at_level("INFO", logger="leadqual"):
        validator.validate("jane@jane-roe.com")
    assert not [r for r in caplog.records if r.levelno >= 20 and "jane" in r.getMessage()]


def test_sync_validate_answers_a_cached_domain_without_an_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # validate() in a notebook loop over many addresses: a cached domain needs no new loop
    import leadqual.email.validator as email_module

    validator, resolver = make()
    first = validator.validate("kim@contoso.com")

    def no_loop(make: object) -> object:
        raise AssertionError("an event loop was started for a cached domain")

    monkeypatch.setattr(email_module, "run_sync", no_loop)
    again = validator.validate("bo@contoso.com")
    assert again.status == first.status == "valid" and again.mx_hosts == first.mx_hosts
    assert validator.validate("not an address").status == "invalid"
    assert resolver.lookups["contoso.com"] == 1
