"""Every email problem planted in the sample CRM is classified correctly, offline (``data.dns``),
and no unplanted address is flagged with a planted problem."""

from __future__ import annotations

import pytest

from leadqual.email import (
    CANARY_DOMAINS,
    EmailCheck,
    EmailValidator,
    RecordEmailReport,
    validate_records,
)
from leadqual.models import EmailMessage
from leadqual.sources import SampleData
from leadqual.testing.dns import StaticResolver


@pytest.fixture(scope="module")
def reports(sample_data: SampleData) -> dict[str, RecordEmailReport]:
    validator = EmailValidator(
        resolver=StaticResolver.from_sample(sample_data), now=sample_data.as_of
    )
    found = validate_records(validator, sample_data.crm.leads, accounts=sample_data.crm.accounts)
    return {r.record_id: r for r in found}


@pytest.fixture(scope="module")
def planted(sample_data: SampleData) -> dict[str, list[str]]:
    emails: dict[str, list[str]] = sample_data.truth["emails"]
    # every test below loops over one category: an empty one would pass without checking anything
    assert all(emails.values()), {k: len(v) for k, v in emails.items()}
    return emails


def _primary(reports: dict[str, RecordEmailReport], lead_id: str) -> EmailCheck:
    check = reports[lead_id].primary
    assert check is not None, lead_id
    return check


def test_invalid_syntax_is_invalid(
    reports: dict[str, RecordEmailReport], planted: dict[str, list[str]]
) -> None:
    for lead_id in planted["invalid_syntax"]:
        check = _primary(reports, lead_id)
        assert check.status == "invalid", lead_id
        assert check.normalized is None
        assert not check.deliverability_checked


def test_disposable(reports: dict[str, RecordEmailReport], planted: dict[str, list[str]]) -> None:
    for lead_id in planted["disposable"]:
        check = _primary(reports, lead_id)
        assert check.is_disposable, lead_id
        assert check.status == "risky"
        assert check.is_valid


def test_personal(reports: dict[str, RecordEmailReport], planted: dict[str, list[str]]) -> None:
    for lead_id in planted["personal"]:
        check = _primary(reports, lead_id)
        assert check.email_type == "personal", lead_id
        assert check.is_free_provider
        assert check.status == "valid"


def test_typos_get_the_intended_address(
    reports: dict[str, RecordEmailReport], planted: dict[str, list[str]]
) -> None:
    expected = {"gmial.com": "gmail.com", "outlok.com": "outlook.com"}
    for lead_id in planted["typo"]:
        check = _primary(reports, lead_id)
        assert check.has("possible_typo"), lead_id
        assert check.domain is not None
        assert check.suggestion == check.address.replace(check.domain, expected[check.domain])
        assert check.status != "valid"


def test_role_accounts(
    reports: dict[str, RecordEmailReport], planted: dict[str, list[str]]
) -> None:
    for lead_id in planted["role"]:
        check = _primary(reports, lead_id)
        assert check.is_role_account, lead_id
        assert check.email_type == "work"
        assert check.status == "risky"


def test_privacy_relay(
    reports: dict[str, RecordEmailReport], planted: dict[str, list[str]]
) -> None:
    for lead_id in planted["privacy_relay"]:
        check = _primary(reports, lead_id)
        assert check.is_privacy_relay, lead_id
        assert check.email_type == "personal"


def test_domain_mismatch(
    reports: dict[str, RecordEmailReport], planted: dict[str, list[str]]
) -> None:
    for lead_id in planted["domain_mismatch"]:
        check = _primary(reports, lead_id)
        assert check.has("domain_mismatch"), lead_id
        assert check.status == "risky"


def test_domain_without_dns_is_invalid(
    reports: dict[str, RecordEmailReport], planted: dict[str, list[str]]
) -> None:
    for lead_id in planted["no_domain"]:
        assert _primary(reports, lead_id).has("domain_not_found"), lead_id
    for lead_id in planted["null_mx"]:
        assert _primary(reports, lead_id).has("null_mx"), lead_id
    for lead_id in planted["no_domain"] + planted["null_mx"]:
        assert not _primary(reports, lead_id).is_valid


def test_missing(reports: dict[str, RecordEmailReport], planted: dict[str, list[str]]) -> None:
    for lead_id in planted["missing"]:
        assert reports[lead_id].primary_missing, lead_id


def test_every_planted_category_is_covered(planted: dict[str, list[str]]) -> None:
    assert set(planted) == {
        "invalid_syntax", "disposable", "personal", "typo", "role", "privacy_relay",
        "domain_mismatch", "no_domain", "null_mx", "missing",
    }  # fmt: skip


def test_no_false_alarms_on_unplanted_leads(
    reports: dict[str, RecordEmailReport], planted: dict[str, list[str]]
) -> None:
    flagged_ids = {i for ids in planted.values() for i in ids}
    for lead_id, report in reports.items():
        if lead_id in flagged_ids or report.primary is None:
            continue
        check = report.primary
        assert check.is_valid, (lead_id, check.reason_codes)
        quiet = {"free_provider", "smtputf8"}
        assert set(check.reason_codes) <= quiet, (lead_id, check.reason_codes)


def test_each_sample_domain_is_looked_up_once(sample_data: SampleData) -> None:
    resolver = StaticResolver.from_sample(sample_data)
    validator = EmailValidator(resolver=resolver)
    validate_records(validator, sample_data.crm.leads, accounts=sample_data.crm.accounts)
    validate_records(validator, sample_data.crm.contacts, accounts=sample_data.crm.accounts)
    assert resolver.lookups
    mx_domains = [
        d for d, spec in sample_data.dns.items() if "mx" in spec and d in resolver.lookups
    ]
    # the resolver check asks the well-known domains once more, the first time a domain is
    # said not to exist
    assert all(resolver.lookups[d] == 1 + (d in CANARY_DOMAINS) for d in mx_domains)


def test_bounced_lead_is_invalid_when_emails_may_be_read(sample_data: SampleData) -> None:
    bounced = [i for i, intent in sample_data.truth["reply_intents"].items() if intent == "bounce"]
    assert bounced
    messages = [a for a in sample_data.crm.activities if isinstance(a, EmailMessage)]
    validator = EmailValidator(resolver=StaticResolver.from_sample(sample_data))
    leads = [lead for lead in sample_data.crm.leads if lead.id in bounced]
    for report in validate_records(validator, leads, messages=messages):
        assert report.primary is not None
        assert report.primary.reason_codes == ("hard_bounce",), report.record_id
    flagged = {
        r.record_id
        for r in validate_records(validator, sample_data.crm.leads, messages=messages)
        if r.primary is not None and r.primary.has("hard_bounce")
    }
    assert flagged == set(bounced)
