"""Sellers' overrides win over the automatic verdict until the address changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadqual.email import (
    EmailOverride,
    EmailOverrides,
    EmailValidator,
)
from leadqual.errors import ValidationFailed
from leadqual.testing.dns import StaticResolver

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def offline() -> EmailValidator:
    return EmailValidator(check_deliverability=False, now=T0)


def test_override_wins_over_automatic_check_and_keeps_who_and_when() -> None:
    overrides = EmailOverrides()
    overrides.set("Kim@Gone.com", is_valid=True, by="S-01", now=T0, note="confirmed by phone")
    resolver = StaticResolver({"gone.com": {"nxdomain": True}})
    validator = EmailValidator(resolver=resolver, overrides=overrides)
    check = validator.validate("kim@gone.com")
    assert check.is_valid
    assert check.status == "valid"
    assert check.override is not None
    assert check.override.by == "S-01"
    assert check.override.at == T0
    assert check.has("domain_not_found")  # the automatic finding stays visible
    assert check.reasons[-1].code == "override"
    assert "S-01" in check.reasons[-1].message
    assert "2026-11-01" in check.reasons[-1].message


def test_override_stops_applying_when_the_address_changes() -> None:
    overrides = EmailOverrides(
        [EmailOverride(address="kim@gone.com", is_valid=True, by="S", at=T0)]
    )
    validator = EmailValidator(
        resolver=StaticResolver({"gone.com": {"nxdomain": True}}), overrides=overrides
    )
    assert validator.validate("kim.ode@gone.com").status == "invalid"
    assert validator.validate("kim.ode@gone.com").override is None


def test_type_override_and_invalid_override(offline: EmailValidator) -> None:
    overrides = EmailOverrides()
    overrides.set("founder@gmail.com", email_type="work", by="S-02", now=T0)
    overrides.set("ceo@contoso.com", is_valid=False, by="S-02", now=T0)
    validator = EmailValidator(check_deliverability=False, overrides=overrides)
    work = validator.validate("founder@gmail.com")
    assert work.email_type == "work"
    assert work.status == "valid"
    dead = validator.validate("ceo@contoso.com")
    assert not dead.is_valid
    assert dead.status == "invalid"


def test_overrides_round_trip_and_remove() -> None:
    overrides = EmailOverrides()
    overrides.set("kim@contoso.com", is_valid=False, by="S-01", now=T0)
    again = EmailOverrides.from_list(overrides.to_list())
    assert list(again) == list(overrides)
    assert "KIM@contoso.com" in again
    assert again.remove("kim@contoso.com")
    assert len(again) == 0


def test_an_override_must_decide_something() -> None:
    with pytest.raises(ValidationFailed):
        EmailOverride(address="kim@contoso.com", by="S-01", at=T0)
