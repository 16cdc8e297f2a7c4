"""A broken or captive resolver (one that says gmail.com does not exist) makes deliverability
unknown instead of condemning every address; a resolver that tells the truth changes nothing."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from leadqual.email import (
    CANARY_DOMAINS,
    DnsAnswer,
    EmailValidator,
    cache_info,
    clear_cache,
)
from leadqual.errors import ConfigurationError
from leadqual.testing.dns import WELL_KNOWN_RECORDS, StaticResolver

LEAD_DOMAINS = ["contoso.com", "fabrikam.com", "gone.com", "parked.com", "gmail.com", "bare.com"]
TRUTH: dict[str, dict[str, Any]] = {
    "contoso.com": {"mx": ["mx1.contoso.com"]},
    "fabrikam.com": {"a": ["192.0.2.10"]},
    "gone.com": {"nxdomain": True},
    "parked.com": {"null_mx": True},
    "bare.com": {},
}
ADDRESSES = [f"kim@{d}" for d in LEAD_DOMAINS]


def _denies_everything() -> StaticResolver:
    return StaticResolver(well_known=False, missing="nxdomain")


def test_a_resolver_that_denies_everything_gives_unknown_not_invalid() -> None:
    validator = EmailValidator(resolver=_denies_everything())
    checks = validator.validate_many(ADDRESSES)
    assert [c.status for c in checks] == ["unknown"] * len(ADDRESSES)
    assert all(c.is_valid for c in checks)
    assert all(c.reason_codes[-1] == "dns_unreliable" for c in checks)
    assert not any(c.has("domain_not_found") for c in checks)
    assert "gmail.com" in checks[0].reasons[-1].message
    assert cache_info(validator).resolver_check == "failed"


def test_a_truthful_resolver_changes_no_verdict() -> None:
    checked = EmailValidator(resolver=StaticResolver(TRUTH)).validate_many(ADDRESSES)
    unchecked = EmailValidator(resolver=StaticResolver(TRUTH), canary_domains=()).validate_many(
        ADDRESSES
    )
    assert [c.model_dump(exclude={"checked_at"}) for c in checked] == [
        c.model_dump(exclude={"checked_at"}) for c in unchecked
    ]
    by_domain = {c.domain: c for c in checked}
    assert by_domain["gone.com"].status == "invalid"
    assert by_domain["gone.com"].reason_codes == ("domain_not_found",)
    assert by_domain["parked.com"].status == "invalid"


def test_the_check_runs_only_after_a_denial_and_then_only_once() -> None:
    resolver = StaticResolver(TRUTH)
    validator = EmailValidator(resolver=resolver)
    validator.validate_many(["kim@contoso.com", "jo@fabrikam.com"])
    assert not set(CANARY_DOMAINS) & set(resolver.lookups)
    assert cache_info(validator).resolver_check == "not_run"

    validator.validate("kim@gone.com")
    validator.validate_many(["a@nowhere-1.com", "b@nowhere-2.com"])
    assert asyncio.run(validator.avalidate("c@nowhere-3.com")).status == "invalid"
    assert {d: resolver.lookups[d] for d in CANARY_DOMAINS} == dict.fromkeys(CANARY_DOMAINS, 1)
    assert cache_info(validator).resolver_check == "passed"
    assert cache_info(validator).lookups == 6  # the check's own lookups are not counted


def test_concurrent_denials_share_one_check() -> None:
    resolver = StaticResolver(well_known=False, latency=0.01)
    validator = EmailValidator(resolver=resolver)

    async def main() -> list[str]:
        checks = await asyncio.gather(
            *(validator.avalidate(f"kim@nowhere-{i}.com") for i in range(30))
        )
        return [c.status for c in checks]

    assert asyncio.run(main()) == ["unknown"] * 30
    assert {d: resolver.lookups[d] for d in CANARY_DOMAINS} == dict.fromkeys(CANARY_DOMAINS, 1)


def test_one_known_well_known_domain_is_enough_to_trust_the_resolver() -> None:
    resolver = StaticResolver({"gmail.com": WELL_KNOWN_RECORDS["gmail.com"]}, well_known=False)
    check = EmailValidator(resolver=resolver).validate("kim@gone.com")
    assert check.status == "invalid"
    assert check.reason_codes == ("domain_not_found",)


def test_the_warning_is_logged_once_and_names_no_lead_domain(
    caplog: pytest.LogCaptureFixture,
) -> None:
    validator = EmailValidator(resolver=_denies_everything())
    with caplog.at_level(logging.WARNING, logger="leadqual"):
        validator.validate("jane@jane-roe.com")
        validator.validate_many(["kim@contoso.com", "bo@fabrikam.com"])
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert "gmail.com" in text
    assert "broken or captive" in text
    assert not any(lead in text for lead in ("jane", "contoso", "fabrikam"))


def test_an_inconclusive_check_trusts_the_answer_and_asks_again_later() -> None:
    # the well-known domains time out, the lead's domain is denied: nothing proves the resolver
    # wrong, so its answer stands, and the check runs again at the next denial
    resolver = StaticResolver(
        {"gone.com": {"nxdomain": True}}, well_known=False, missing="servfail"
    )
    validator = EmailValidator(resolver=resolver)
    assert validator.validate("kim@gone.com").status == "invalid"
    assert cache_info(validator).resolver_check == "inconclusive"
    clear_cache(validator)
    validator.validate("kim@gone.com")
    assert resolver.lookups["gmail.com"] == 2


def test_a_raising_resolver_check_is_inconclusive_not_fatal() -> None:
    class Flaky:
        async def aresolve_mx(self, domain: str, /, *, timeout: float) -> DnsAnswer:
            if domain in CANARY_DOMAINS:
                raise OSError("network unreachable")
            return DnsAnswer("nxdomain")

        async def aresolve_address(self, domain: str, /, *, timeout: float) -> DnsAnswer:
            return DnsAnswer("nxdomain")

    validator = EmailValidator(resolver=Flaky())
    assert validator.validate("kim@gone.com").reason_codes == ("domain_not_found",)
    assert cache_info(validator).resolver_check == "inconclusive"


def test_the_check_can_be_switched_off() -> None:
    validator = EmailValidator(resolver=_denies_everything(), canary_domains=())
    check = validator.validate("kim@contoso.com")
    assert check.status == "invalid"
    assert check.reason_codes == ("domain_not_found",)
    assert cache_info(validator).resolver_check == "not_run"


def test_a_distrusted_verdict_is_cached_as_unknown() -> None:
    resolver = _denies_everything()
    validator = EmailValidator(resolver=resolver)
    validator.validate("kim@contoso.com")
    again = validator.validate("bo@contoso.com")
    assert again.reason_codes == ("dns_unreliable",)
    assert resolver.lookups["contoso.com"] == 1


def test_canary_domains_must_be_a_sequence_of_domains() -> None:
    with pytest.raises(ConfigurationError, match="one string"):
        EmailValidator(canary_domains="gmail.com")


def test_the_test_resolver_knows_every_default_well_known_domain() -> None:
    assert set(CANARY_DOMAINS) <= set(WELL_KNOWN_RECORDS)
