"""Type and quality flags, the record and DataFrame helpers, and sellers' overrides."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.models import Account, Contact, EmailMessage, Lead, LeadContext
from leadqual.research.email import EmailOverride, EmailOverrides, EmailValidator
from leadqual.testing.dns import StaticResolver

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def offline() -> EmailValidator:
    return EmailValidator(check_deliverability=False, now=lambda: T0)


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


def _lead(**fields: object) -> Lead:
    base: dict[str, object] = {"id": "L-1", "created_at": datetime(2020, 1, 1, tzinfo=UTC)}
    return Lead.model_validate({**base, **fields})


def test_record_helper_checks_every_email_field_whatever_the_age() -> None:
    resolver = StaticResolver({"contoso.com": {"mx": ["mx.contoso.com"]}})
    validator = EmailValidator(resolver=resolver)
    lead = _lead(
        email="kim@gone.com",
        other_emails=("kim@contoso.com", "kim@gmail.com", "kim@contoso.com"),
        website="https://contoso.com",
    )
    report = validator.validate_record(lead)
    assert report.record_kind == "lead"
    assert [f.field for f in report.checks] == ["email", "other_emails[0]", "other_emails[1]"]
    assert report.primary is not None
    assert report.primary.has("domain_not_found")
    assert report.best is not None
    assert report.best.address == "kim@contoso.com"
    assert report.is_contactable


def test_record_helper_reports_a_missing_primary() -> None:
    report = EmailValidator(check_deliverability=False).validate_record(_lead(email=None))
    assert report.primary_missing
    assert report.primary is None
    assert report.best is None
    assert not report.is_contactable


def test_contact_uses_its_account_website_for_the_mismatch_check() -> None:
    account = Account(
        id="A-1", name="Contoso Ltd", website="contoso.com", created_at=datetime(2020, 1, 1)
    )
    contact = Contact(
        id="C-1", account_id="A-1", email="kim@fabrikam.com", created_at=datetime(2020, 1, 1)
    )
    validator = EmailValidator(check_deliverability=False, now=lambda: T0)
    report = validator.validate_record(contact, account=account)
    assert report.record_kind == "contact"
    assert report.primary is not None
    assert report.primary.has("domain_mismatch")
    [batch] = validator.validate_records([contact], accounts=[account])
    assert batch == report


def test_records_helper_refuses_other_objects() -> None:
    with pytest.raises(ValidationFailed) as info:
        EmailValidator(check_deliverability=False).validate_records(["kim@contoso.com"])  # type: ignore[list-item]
    assert info.value.field == "records[0]"


def test_override_wins_over_automatic_check_and_keeps_who_and_when() -> None:
    overrides = EmailOverrides()
    overrides.set("Kim@Gone.com", is_valid=True, by="S-01", at=T0, note="confirmed by phone")
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
    overrides.set("founder@gmail.com", email_type="work", by="S-02", at=T0)
    overrides.set("ceo@contoso.com", is_valid=False, by="S-02", at=T0)
    validator = EmailValidator(check_deliverability=False, overrides=overrides)
    work = validator.validate("founder@gmail.com")
    assert work.email_type == "work"
    assert work.status == "valid"
    dead = validator.validate("ceo@contoso.com")
    assert not dead.is_valid
    assert dead.status == "invalid"


def test_overrides_round_trip_and_remove() -> None:
    overrides = EmailOverrides()
    overrides.set("kim@contoso.com", is_valid=False, by="S-01", at=T0)
    again = EmailOverrides.from_list(overrides.to_list())
    assert list(again) == list(overrides)
    assert "KIM@contoso.com" in again
    assert again.remove("kim@contoso.com")
    assert len(again) == 0


def test_an_override_must_decide_something() -> None:
    with pytest.raises(ValidationFailed):
        EmailOverride(address="kim@contoso.com", by="S-01", at=T0)


def test_frame_helper_adds_verdict_columns_and_handles_missing_values() -> None:
    frame = pd.DataFrame(
        {"id": [1, 2, 3, 4, 5], "email": ["kim@gmail.com", None, float("nan"), 7, "info@acme.io"]}
    )
    out = EmailValidator(check_deliverability=False).validate_frame(frame)
    assert list(out["id"]) == [1, 2, 3, 4, 5]
    assert list(out["email_is_valid"]) == [True, False, False, False, True]
    assert list(out["email_type"]) == ["personal", "unknown", "unknown", "unknown", "work"]
    assert list(out["email_reasons"])[1:4] == ["empty", "empty", "not_text"]
    assert bool(out["email_is_role_account"].iloc[4])
    assert "email_suggestion" in out.columns
    assert list(frame.columns) == ["id", "email"]  # the input is not modified


def test_frame_helper_reads_a_nullable_string_column_with_missing_values() -> None:
    # what read_csv(dtype="string") and convert_dtypes() give: missing values are pd.NA
    frame = pd.DataFrame({"email": pd.array(["kim@contoso.com", None], dtype="string")})
    out = EmailValidator(check_deliverability=False).validate_frame(frame)
    assert list(out["email_reasons"])[1] == "empty"
    assert list(out["email_is_valid"]) == [True, False]


def test_frame_helper_run_twice_replaces_its_columns() -> None:
    validator = EmailValidator(check_deliverability=False)
    once = validator.validate_frame(pd.DataFrame({"email": ["kim@contoso.com"]}))
    twice = validator.validate_frame(once.assign(email=["kim@gmial.com"]))
    assert list(twice.columns) == list(once.columns)
    assert twice["email_suggestion"].iloc[0] == "kim@gmail.com"


def test_frame_helper_looks_each_domain_up_once() -> None:
    resolver = StaticResolver({"contoso.com": {"mx": ["mx.contoso.com"]}})
    frame = pd.DataFrame({"mail": [f"u{i}@contoso.com" for i in range(100)]})
    out = EmailValidator(resolver=resolver).validate_frame(frame, column="mail", prefix="v_")
    assert set(out["v_status"]) == {"valid"}
    assert resolver.lookups["contoso.com"] == 1


def test_frame_helper_names_a_missing_column() -> None:
    with pytest.raises(ConfigurationError, match="'mail'"):
        EmailValidator(check_deliverability=False).validate_frame(
            pd.DataFrame({"email": []}), column="mail"
        )


def test_checked_at_comes_from_the_given_clock(offline: EmailValidator) -> None:
    assert offline.validate("kim@contoso.com").checked_at == T0


def test_check_round_trips_through_json(offline: EmailValidator) -> None:
    from leadqual.research.email import EmailCheck

    check = offline.validate("info@gmial.com")
    assert EmailCheck.model_validate_json(check.model_dump_json()) == check


@pytest.mark.parametrize(
    "module", ["leadqual.research.email", "leadqual.research._email_dns", "leadqual.testing.dns"]
)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0
    assert result.failed == 0


def _mail(
    sender: str,
    body: str,
    at: datetime,
    subject: str = "Re: your question",
    direction: str = "inbound",
) -> EmailMessage:
    return EmailMessage(
        id=f"E-{at:%H%M%S}-{sender}",
        regarding={"kind": "lead", "id": "L-1"},
        direction=direction,
        from_address=sender,
        subject=subject,
        body=body,
        sent_at=at,
    )


DSN = (
    "I'm sorry to have to inform you that your message could not be delivered.\n\n"
    "<kim@contoso.com>: host said: 550 5.1.1 User unknown"
)


def test_hard_bounce_in_the_history_makes_the_address_invalid(offline: EmailValidator) -> None:
    lead = _lead(email="Kim@contoso.com", other_emails=("kim.ode@contoso.com",))
    bounce = _mail("MAILER-DAEMON@mx1.contoso.com", DSN, T0, subject="Undelivered Mail")
    report = offline.validate_record(lead, messages=[bounce])
    assert report.primary is not None
    assert report.primary.status == "invalid"
    assert report.primary.has("hard_bounce")
    assert "550 5.1.1" in report.primary.reasons[-1].message
    assert report.best is not None
    assert report.best.address == "kim.ode@contoso.com"


def test_a_reply_after_the_bounce_clears_it(offline: EmailValidator) -> None:
    lead = _lead(email="kim@contoso.com")
    bounce = _mail("MAILER-DAEMON@mx1.contoso.com", DSN, T0, subject="Undelivered Mail")
    reply = _mail("kim@contoso.com", "Happy to talk.", T0.replace(day=2))
    report = offline.validate_record(lead, messages=[reply, bounce])
    assert report.primary is not None
    assert not report.primary.has("hard_bounce")


@pytest.mark.parametrize(
    ("sender", "subject", "body"),
    [
        (
            "MAILER-DAEMON@mx1.contoso.com",
            "Delayed Mail",
            "<kim@contoso.com>: 452 4.2.2 Mailbox full",
        ),
        ("bob@fabrikam.com", "Re: hi", "kim@contoso.com told me user unknown errors are common"),
    ],
)
def test_soft_bounces_and_ordinary_mail_are_not_hard_bounces(
    offline: EmailValidator, sender: str, subject: str, body: str
) -> None:
    message = _mail(sender, body, T0, subject=subject)
    report = offline.validate_record(_lead(email="kim@contoso.com"), messages=[message])
    assert report.primary is not None
    assert not report.primary.has("hard_bounce")


def test_context_reads_emails_only_with_consent(offline: EmailValidator) -> None:
    bounce = _mail("MAILER-DAEMON@mx1.contoso.com", DSN, T0, subject="Undelivered Mail")
    context = LeadContext(lead=_lead(email="kim@contoso.com"), activities=(bounce,))
    without = offline.validate_context(context)
    assert without.primary is not None
    assert not without.primary.has("hard_bounce")
    with_consent = offline.validate_context(context, read_emails=True)
    assert with_consent.primary is not None
    assert with_consent.primary.has("hard_bounce")


@pytest.mark.parametrize(
    "line",
    [
        # the quoted headers of the original message: 5.61.2.3 is an IPv4 address, not 5.x.x
        "Received: from relay.fabrikam.com ([5.61.2.3]) by mx1.contoso.com for <kim@contoso.com>",
        "Received: from [10.5.1.1] by mx1.contoso.com for <kim@contoso.com>",
    ],
)
def test_an_ip_address_in_a_bounce_is_not_a_permanent_failure_code(
    offline: EmailValidator, line: str
) -> None:
    body = "This is the mail system at host mx1.contoso.com.\n\n" + line
    bounce = _mail("MAILER-DAEMON@mx1.contoso.com", body, T0, subject="Undelivered Mail")
    report = offline.validate_record(_lead(email="kim@contoso.com"), messages=[bounce])
    assert report.primary is not None
    assert not report.primary.has("hard_bounce")


@pytest.mark.parametrize(
    "line",
    ["<kim@contoso.com>: 550 5.1.1 user unknown.", "kim@contoso.com failed: status 5.1.10."],
)
def test_a_permanent_failure_code_ending_a_sentence_is_read(
    offline: EmailValidator, line: str
) -> None:
    bounce = _mail("MAILER-DAEMON@mx1.contoso.com", line, T0, subject="Undelivered Mail")
    report = offline.validate_record(_lead(email="kim@contoso.com"), messages=[bounce])
    assert report.primary is not None
    assert report.primary.has("hard_bounce")


def test_a_message_from_the_address_itself_is_no_bounce_of_it(offline: EmailValidator) -> None:
    # the lead forwards an old bounce ("Fwd: Undeliverable"), quoting it: writing from the
    # address proves it works
    quoted = "Fwd: see below\n> <kim@contoso.com>: host said: 550 5.1.1 User unknown"
    message = _mail("kim@contoso.com", quoted, T0, subject="Fwd: Undeliverable: pricing")
    report = offline.validate_record(_lead(email="kim@contoso.com"), messages=[message])
    assert report.primary is not None
    assert not report.primary.has("hard_bounce")


def test_bounce_evidence_keeps_the_unchecked_deliverability_note(offline: EmailValidator) -> None:
    bounce = _mail("MAILER-DAEMON@mx1.contoso.com", DSN, T0, subject="Undelivered Mail")
    report = offline.validate_record(_lead(email="kim@contoso.com"), messages=[bounce])
    assert report.primary is not None
    assert report.primary.reason_codes == ("deliverability_not_checked", "hard_bounce")


def test_hostile_bounce_bodies_are_scanned_in_linear_time(offline: EmailValidator) -> None:
    import time

    body = "550 5.1.1 " + "a" * 200_000 + "\n" + ("550 " + "b" * 900 + "\n") * 20
    message = _mail("MAILER-DAEMON@mx.contoso.com", body, T0, subject="Undelivered Mail")
    started = time.perf_counter()
    report = offline.validate_record(_lead(email="kim@contoso.com"), messages=[message])
    assert time.perf_counter() - started < 2.0
    assert report.primary is not None
    assert not report.primary.has("hard_bounce")


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
