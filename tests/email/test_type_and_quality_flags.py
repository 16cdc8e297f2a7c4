"""Type and quality flags: free, disposable, relay, role accounts, typos, domain mismatch; the verdict's summary, clock and JSON form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadqual.email import (
    EmailCheck,
    EmailValidator,
)
from leadqual.testing.dns import StaticResolver

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def offline() -> EmailValidator:
    return EmailValidator(check_deliverability=False, now=T0)


@pytest.mark.parametrize(
    ("address", "email_type", "free", "disposable", "relay", "status"),
    [
        ("kim@gmail.com", "personal", True, False, False, "valid"),
        ("kim@gmx.de", "personal", True, False, False, "valid"),
        ("kim@contoso.com", "work", False, False, False, "valid"),
        ("kim@mailinator.com", "personal", False, True, False, "risky"),
        ("x7k2@privaterelay.appleid.com", "personal", False, False, True, "risky"),
        ("kim@duck.com", "personal", True, False, True, "risky"),
        ("kim.x@sl.simplelogin.com", "personal", False, False, True, "risky"),
    ],
)
def test_type_and_provider_flags(
    offline: EmailValidator,
    address: str,
    email_type: str,
    free: bool,
    disposable: bool,
    relay: bool,
    status: str,
) -> None:
    check = offline.validate(address)
    assert check.email_type == email_type
    assert check.is_free_provider is free
    assert check.is_disposable is disposable
    assert check.is_privacy_relay is relay
    assert check.status == status
    assert check.is_valid


@pytest.mark.parametrize(
    "local", ["info", "sales", "noreply", "no-reply", "No_Reply", "support+eu", "postmaster"]
)
def test_role_accounts_are_risky(offline: EmailValidator, local: str) -> None:
    check = offline.validate(f"{local}@contoso.com")
    assert check.is_role_account
    assert check.status == "risky"
    assert check.email_type == "work"


@pytest.mark.parametrize(
    "local", ["kim", "information.systems.lead", "salesforce.admin.jo", "ar", "pr"]
)
def test_people_are_not_role_accounts(offline: EmailValidator, local: str) -> None:
    assert not offline.validate(f"{local}@contoso.com").is_role_account


@pytest.mark.parametrize(
    ("address", "suggestion"),
    [
        ("sam@gmial.com", "sam@gmail.com"),
        ("sam@gmail.con", "sam@gmail.com"),
        ("sam@hotmial.com", "sam@hotmail.com"),
        ("sam@outlok.com", "sam@outlook.com"),
        ("sam@yahooo.com", "sam@yahoo.com"),
        ("sam@contoso.con", "sam@contoso.com"),
    ],
)
def test_typo_suggestions(offline: EmailValidator, address: str, suggestion: str) -> None:
    check = offline.validate(address)
    assert check.suggestion == suggestion
    assert check.has("possible_typo")
    assert check.status == "risky"
    assert not check.is_disposable  # typo-squatting domains on the disposable list are typos


@pytest.mark.parametrize(
    "address",
    [
        "sam@aon.com",
        "sam@lime.com",
        "sam@gmx.at",
        "sam@gmail.com",
        "sam@contoso.com",
        "sam@mail.com",
    ],
)
def test_no_typo_suggestion_for_real_domains(offline: EmailValidator, address: str) -> None:
    assert offline.validate(address).suggestion is None


def test_typo_of_a_free_domain_is_typed_personal(offline: EmailValidator) -> None:
    assert offline.validate("sam@gmial.com").email_type == "personal"


def test_typo_of_the_company_domain_is_suggested(offline: EmailValidator) -> None:
    check = offline.validate(
        "ngozi@harborindustires.com", company_websites=["https://www.harborindustries.com"]
    )
    assert check.suggestion == "ngozi@harborindustries.com"
    assert not check.has("domain_mismatch")


@pytest.mark.parametrize(
    ("address", "websites", "name", "mismatch"),
    [
        ("kim@contoso.com", ["https://www.contoso.com/about"], None, False),
        ("kim@uk.contoso.com", ["contoso.com"], None, False),
        ("kim@contoso.co.uk", ["www.contoso.com"], None, False),
        ("kim@fabrikam.com", ["https://contoso.com"], None, True),
        ("kim@fabrikam.com", ["https://contoso.com"], "Fabrikam Inc.", False),
        ("ngozi@harborindustries.com", [], "Ember Apps SA", True),
        ("robert@yarrowcounty.com", [], "Yarrow County Services Inc.", False),
        ("a@meridianwealth.mx", [], "Meridian Wealth S.A. de C.V.", False),
        ("a@ibm.com", [], "International Business Machines", False),
        ("jo@müller.de", [], "Müller GmbH", False),
        ("kim@gmail.com", ["https://contoso.com"], "Contoso", False),
        ("kim@fabrikam.com", [], None, False),
    ],
)
def test_domain_mismatch_against_company(
    offline: EmailValidator, address: str, websites: list[str], name: str | None, mismatch: bool
) -> None:
    check = offline.validate(address, company_websites=websites, company_name=name)
    assert check.has("domain_mismatch") is mismatch
    if mismatch:
        assert check.status == "risky"


def test_checked_at_comes_from_the_given_clock(offline: EmailValidator) -> None:
    assert offline.validate("kim@contoso.com").checked_at == T0


def test_check_round_trips_through_json(offline: EmailValidator) -> None:

    check = offline.validate("info@gmial.com")
    assert EmailCheck.model_validate_json(check.model_dump_json()) == check


def test_validator_repr_names_its_settings() -> None:
    text = repr(EmailValidator(resolver=StaticResolver(), timeout=2))
    assert text == (
        "EmailValidator(check_deliverability=True, resolver=StaticResolver, timeout=2, "
        "max_concurrency=50)"
    )


def test_summary_gives_the_verdict_and_the_most_serious_reason() -> None:
    resolver = StaticResolver(
        {"contoso.com": {"mx": ["mx1.contoso.com"]}, "gone.com": {"nxdomain": True}}
    )
    validator = EmailValidator(resolver=resolver)
    assert validator.validate("kim@contoso.com").summary == (
        "valid: a work address served by mx1.contoso.com"
    )
    assert validator.validate("info@gone.com").summary == (
        "invalid: The domain gone.com does not exist (NXDOMAIN)."
    )


def test_a_linkedin_company_page_as_website_is_no_evidence_of_a_mismatch(
    offline: EmailValidator,
) -> None:
    check = offline.validate(
        "kim@contoso.com", company_websites=["https://www.linkedin.com/company/contoso"]
    )
    assert not check.has("domain_mismatch")
