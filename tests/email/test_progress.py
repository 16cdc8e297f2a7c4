"""Validating many addresses reports progress in addresses checked, at a bounded rate, and a
callback that stops the call cancels the lookups it started."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.email import EmailValidator, StaticResolver
from leadqual.errors import ConfigurationError

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
RECORDS = {
    "contoso.com": {"mx": ["mx1.contoso.com"]},
    "fabrikam.com": {"a": ["192.0.2.10"]},
    "gone.com": {"nxdomain": True},
    "flaky.com": {"servfail": True},
    "nomail.com": {"null_mx": True},
}


def validator(*, deliverability: bool = True, latency: float = 0.0) -> EmailValidator:
    return EmailValidator(
        check_deliverability=deliverability,
        resolver=StaticResolver(RECORDS, latency=latency),
        now=NOW,
    )


address = st.one_of(
    st.builds(
        "{}@{}".format,
        st.sampled_from(["kim", "bo.li", "info", "x+tag", "ana"]),
        st.sampled_from([*RECORDS, "gmail.com", "unknown-domain.com", "Contoso.COM"]),
    ),
    st.sampled_from(["", "not an address", "a@@b.com", "@contoso.com", "kim@", "<x>@y.com"]),
    st.text(max_size=12),
)


@settings(max_examples=60, deadline=None)
@given(addresses=st.lists(address, max_size=60), deliverability=st.booleans())
def test_reports_count_addresses_keep_the_contract_and_change_no_result(
    progress_log: Any, addresses: list[str], deliverability: bool
) -> None:
    log = progress_log()
    reported = validator(deliverability=deliverability).validate_many(addresses, progress=log)
    assert log.check() == len(addresses)
    assert reported == validator(deliverability=deliverability).validate_many(addresses)


@settings(max_examples=20, deadline=None)
@given(addresses=st.lists(address, max_size=40))
def test_the_async_twin_reports_the_same_way(progress_log: Any, addresses: list[str]) -> None:
    log = progress_log()
    reported = asyncio.run(validator().avalidate_many(addresses, progress=log))
    assert log.check() == len(addresses)
    assert reported == validator().validate_many(addresses)


def test_an_address_counts_once_its_domain_is_answered(progress_log: Any) -> None:
    log = progress_log()
    addresses = ["a@contoso.com", "not an address", "b@contoso.com", "c@fabrikam.com", "@"]
    addresses.append("d@contoso.com")
    validator().validate_many(addresses, progress=log)
    assert log.reports[0] == (0, 6, "checking syntax")
    assert log.reports[1] == (2, 6, "checking syntax")  # the two with no domain to look up
    # contoso.com answers for 3 addresses, fabrikam.com for 1, in whichever order they come
    assert log.dones in ([0, 2, 5, 6], [0, 2, 3, 5, 6])
    assert all(label.startswith("looking up mail domains") for _, _, label in log.reports[2:-1])
    assert log.reports[-1] == (6, 6, "checked 6 address(es)")


@pytest.mark.parametrize("deliverability", [True, False])
def test_a_column_of_addresses_is_reported_a_few_hundred_times_not_once_each(
    progress_log: Any, deliverability: bool
) -> None:
    addresses = [f"lead{i}@d{i % 900}.example.org" for i in range(20_000)]
    log = progress_log()
    validator(deliverability=deliverability).validate_many(addresses, progress=log)
    assert log.check() == 20_000
    assert 10 <= len(log.reports) <= 202


def test_no_address_is_one_report_that_it_is_done(progress_log: Any) -> None:
    log = progress_log()
    assert validator().validate_many([], progress=log) == []
    assert log.reports == [(0, 0, "checked 0 address(es)")]


def test_a_callback_that_stops_the_call_cancels_the_lookups_still_running(
    progress_log: Any, stop_reporting: type[Exception]
) -> None:
    domains = [f"slow{i}.com" for i in range(30)]
    resolver = StaticResolver(
        {d: {"mx": [f"mx.{d}"]} for d in domains}, latency=0.02, well_known=False
    )
    checker = EmailValidator(resolver=resolver, max_concurrency=5, now=NOW)
    log = progress_log(stop_at=2)  # the first domain answered

    async def stop_then_look() -> list[asyncio.Task[Any]]:
        with pytest.raises(stop_reporting):
            await checker.avalidate_many([f"x@{d}" for d in domains], progress=log)
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert asyncio.run(stop_then_look()) == []  # nothing left running behind the error
    asked = sum(resolver.lookups.values())
    assert asked < 2 * len(domains)  # most lookups never started
    assert len(log.reports) == 2  # and nothing reported after the stop
    # the validator is whole: the same addresses check in full afterwards
    again = checker.validate_many([f"x@{d}" for d in domains])
    assert [c.status for c in again] == ["valid"] * len(domains)


def test_a_sync_call_stopped_by_its_callback_raises_the_callbacks_error(
    progress_log: Any, stop_reporting: type[Exception]
) -> None:
    with pytest.raises(stop_reporting):
        validator().validate_many(
            ["a@contoso.com", "b@fabrikam.com"], progress=progress_log(stop_at=1)
        )
    with pytest.raises(stop_reporting):
        validator(deliverability=False).validate_many(
            ["a@contoso.com"] * 3000, progress=progress_log(stop_at=2)
        )


@pytest.mark.parametrize("progress", [True, "bar", 0])
def test_a_progress_that_cannot_be_called_is_refused(progress: Any) -> None:
    with pytest.raises(ConfigurationError, match="progress must be a callable"):
        validator().validate_many(["a@contoso.com"], progress=progress)
    with pytest.raises(ConfigurationError, match="progress must be a callable"):
        asyncio.run(validator().avalidate_many(["a@contoso.com"], progress=progress))
