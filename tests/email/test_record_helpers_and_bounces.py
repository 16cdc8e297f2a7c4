"""Every email field of a lead or contact, and hard bounces in the CRM's history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadqual.email import (
    EmailValidator,
    validate_context,
    validate_record,
    validate_records,
)
from leadqual.errors import ValidationFailed
from leadqual.models import Account, Contact, EmailMessage, Lead, LeadContext
from leadqual.testing.dns import StaticResolver

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def offline() -> EmailValidator:
    return EmailValidator(check_deliverability=False, now=T0)


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
    report = validate_record(validator, lead)
    assert report.record_kind == "lead"
    assert [f.field for f in report.checks] == ["email", "other_emails[0]", "other_emails[1]"]
    assert report.primary is not None
    assert report.primary.has("domain_not_found")
    assert report.best is not None
    assert report.best.address == "kim@contoso.com"
    assert report.is_contactable


def test_record_helper_reports_a_missing_primary() -> None:
    report = validate_record(EmailValidator(check_deliverability=False), _lead(email=None))
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
    validator = EmailValidator(check_deliverability=False, now=T0)
    report = validate_record(validator, contact, account=account)
    assert report.record_kind == "contact"
    assert report.primary is not None
    assert report.primary.has("domain_mismatch")
    [batch] = validate_records(validator, [contact], accounts=[account])
    assert batch == report


def test_records_helper_refuses_other_objects() -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_records(EmailValidator(check_deliverability=False), ["kim@contoso.com"])  # type: ignore[list-item]
    assert info.value.field == "records[0]"


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
    report = validate_record(offline, lead, messages=[bounce])
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
    report = validate_record(offline, lead, messages=[reply, bounce])
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
    report = validate_record(offline, _lead(email="kim@contoso.com"), messages=[message])
    assert report.primary is not None
    assert not report.primary.has("hard_bounce")


def test_context_reads_emails_only_with_consent(offline: EmailValidator) -> None:
    bounce = _mail("MAILER-DAEMON@mx1.contoso.com", DSN, T0, subject="Undelivered Mail")
    context = LeadContext(lead=_lead(email="kim@contoso.com"), activities=(bounce,))
    without = validate_context(offline, context)
    assert without.primary is not None
    assert not without.primary.has("hard_bounce")
    with_consent = validate_context(offline, context, read_emails=True)
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
    report = validate_record(offline, _lead(email="kim@contoso.com"), messages=[bounce])
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
    report = validate_record(offline, _lead(email="kim@contoso.com"), messages=[bounce])
    assert report.primary is not None
    assert report.primary.has("hard_bounce")


def test_a_message_from_the_address_itself_is_no_bounce_of_it(offline: EmailValidator) -> None:
    # the lead forwards an old bounce ("Fwd: Undeliverable"), quoting it: writing from the
    # address proves it works
    quoted = "Fwd: see below\n> <kim@contoso.com>: host said: 550 5.1.1 User unknown"
    message = _mail("kim@contoso.com", quoted, T0, subject="Fwd: Undeliverable: pricing")
    report = validate_record(offline, _lead(email="kim@contoso.com"), messages=[message])
    assert report.primary is not None
    assert not report.primary.has("hard_bounce")


def test_bounce_evidence_keeps_the_unchecked_deliverability_note(offline: EmailValidator) -> None:
    bounce = _mail("MAILER-DAEMON@mx1.contoso.com", DSN, T0, subject="Undelivered Mail")
    report = validate_record(offline, _lead(email="kim@contoso.com"), messages=[bounce])
    assert report.primary is not None
    assert report.primary.reason_codes == ("deliverability_not_checked", "hard_bounce")


def test_hostile_bounce_bodies_are_scanned_in_linear_time(offline: EmailValidator) -> None:
    import time

    body = "550 5.1.1 " + "a" * 200_000 + "\n" + ("550 " + "b" * 900 + "\n") * 20
    message = _mail("MAILER-DAEMON@mx.contoso.com", body, T0, subject="Undelivered Mail")
    started = time.perf_counter()
    report = validate_record(offline, _lead(email="kim@contoso.com"), messages=[message])
    assert time.perf_counter() - started < 2.0
    assert report.primary is not None
    assert not report.primary.has("hard_bounce")
