"""The qualification check against accounts and contacts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadqual.dedupe import QualificationChecker, check_qualification
from leadqual.models import Account, Contact, Lead, Phone
from leadqual.sources import SampleData

NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def checker(sample_data: SampleData) -> QualificationChecker:
    return QualificationChecker(
        accounts=sample_data.crm.accounts, contacts=sample_data.crm.contacts
    )


def test_lead_with_the_accounts_email_domain_is_linked_to_it(
    checker: QualificationChecker, sample_data: SampleData
) -> None:
    lead = next(x for x in sample_data.crm.leads if x.id == "L-0251")  # no company name given
    check = checker.find(lead)
    assert check.accounts[0].record_id == "A-0015"
    assert check.accounts[0].rules == ("same_domain",)
    assert check.suggestion == "link_existing"


def test_matches_are_ranked_and_show_the_distinguishing_fields() -> None:
    accounts = [
        Account(
            id="A1",
            name="Pioneer Digital Inc.",
            website="https://pioneerdigital.com",
            created_at=NOW,
        ),
        Account(id="A2", name="Pioneer Digitals", created_at=NOW, industry="Retail"),
    ]
    contacts = [
        Contact(
            id="C1",
            first_name="Robert",
            last_name="Cohen",
            email="rcohen@pioneerdigital.com",
            account_id="A1",
            job_title="CTO",
            created_at=NOW,
        ),
        Contact(
            id="C2",
            first_name="Bob",
            last_name="Cohen",
            email="bob@pioneerdigital.com",
            account_id="A1",
            phones=(Phone(number="+1 512 555 0101"),),
            created_at=NOW,
        ),
    ]
    lead = Lead(
        id="L1",
        first_name="Bob",
        last_name="Cohen",
        company_name="Pioneer Digital",
        email="bob@pioneerdigital.com",
        job_title="VP Engineering",
        created_at=NOW,
    )
    check = check_qualification(lead, accounts=accounts, contacts=contacts)
    assert [m.record_id for m in check.accounts] == ["A1", "A2"]
    assert check.accounts[0].score > check.accounts[1].score
    assert [m.record_id for m in check.contacts] == ["C2", "C1"]  # same email ranks first
    assert check.contacts[0].rules[0] == "same_email"
    fields = {f.field: f for f in check.contacts[1].fields}
    assert fields["job_title"].lead_value == "VP Engineering" and not fields["job_title"].same
    assert fields["company"].same  # legal form ignored
    assert "email" in {f.field for f in check.contacts[1].differing}


def test_lead_matching_nothing_suggests_creating_new_records(checker: QualificationChecker) -> None:
    lead = Lead(
        id="L-new",
        first_name="Zed",
        last_name="Quux",
        company_name="Nothing Alike Ltd",
        email="zed@nothing-alike.example",
        created_at=NOW,
    )
    check = checker.find(lead)
    assert check.accounts == () and check.contacts == ()
    assert check.suggestion == "create_new"


def test_accounts_sharing_only_a_phone_number_are_not_duplicates(sample_data: SampleData) -> None:
    from leadqual.dedupe import DuplicateDetector, account_settings, accounts_frame

    crm = sample_data.crm
    report = DuplicateDetector(account_settings()).find(
        accounts_frame(crm.accounts, contacts=crm.contacts)
    )
    # The sample's fictional London numbers repeat across unrelated accounts.
    assert report.pair("A-0001", "A-0060") is None
    assert report.blocking.candidates > 0


def test_two_missing_values_are_not_reported_as_the_same() -> None:
    checker = QualificationChecker(
        contacts=[
            Contact(
                id="C1", first_name="Ana", last_name="Lima", email="ana@acme.com", created_at=NOW
            )
        ]
    )
    lead = Lead(id="L1", first_name="Ana", last_name="Lima", email="ana@acme.com", created_at=NOW)
    match = checker.find(lead).contacts[0]
    fields = {f.field: f for f in match.fields}
    assert fields["email"].same
    # Neither record has a job title, phone or company: nothing agrees, nothing differs.
    for name in ("job_title", "phone", "company", "city"):
        assert not fields[name].same, name
        assert fields[name] not in match.differing


def test_check_is_a_deprecated_alias_of_find() -> None:
    checker = QualificationChecker(
        contacts=[
            Contact(
                id="C1", first_name="Ana", last_name="Lima", email="ana@acme.com", created_at=NOW
            )
        ]
    )
    lead = Lead(id="L1", first_name="Ana", last_name="Lima", email="ana@acme.com", created_at=NOW)
    with pytest.warns(DeprecationWarning, match="find") as caught:
        old = checker.check(lead)
    assert caught[0].filename == __file__
    assert old == checker.find(lead)
