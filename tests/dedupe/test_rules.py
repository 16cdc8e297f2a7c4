"""The seeds' default rules on leads, and rules configured over any columns."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from leadqual.dedupe import (
    BlockingKey,
    Comparison,
    Condition,
    DedupeSettings,
    DuplicateDetector,
    FieldSpec,
    Rule,
    find_duplicates,
    lead_settings,
)
from leadqual.errors import ValidationFailed
from leadqual.models import Address, Lead, Phone
from leadqual.sources import SampleData

KIND_TO_RULE = {
    "same_email": "same_email",
    "same_phone": "same_phone",
    "similar_name_company": "similar_name_company",
    "similar_name_domain": "similar_name_domain",
}
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def lead(lead_id: str, first: str, last: str, **kw: object) -> Lead:
    return Lead(id=lead_id, first_name=first, last_name=last, created_at=NOW, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def report(sample_data: SampleData):  # type: ignore[no-untyped-def]
    return find_duplicates(sample_data.crm.leads)


def test_default_rules_find_every_planted_duplicate_with_its_rule(
    sample_data: SampleData, report
) -> None:  # type: ignore[no-untyped-def]
    planted = sample_data.truth["duplicates"]
    assert len(planted) == 12
    for dup in planted:
        pair = report.pair(*dup["lead_ids"])
        assert pair is not None, dup
        assert KIND_TO_RULE[dup["kind"]] in pair.rules, (dup, pair.rules)


def test_default_rules_flag_none_of_the_look_alikes(sample_data: SampleData, report) -> None:  # type: ignore[no-untyped-def]
    assert sample_data.truth["look_alikes"]
    for a, b in sample_data.truth["look_alikes"]:
        assert report.pair(a, b) is None


def test_every_extra_pair_shares_an_email_address(sample_data: SampleData, report) -> None:  # type: ignore[no-untyped-def]
    planted = {frozenset(d["lead_ids"]) for d in sample_data.truth["duplicates"]}
    extra = [p for p in report.pairs if frozenset((p.left_id, p.right_id)) not in planted]
    # The generator reused one address by chance: a true duplicate by the seeds' matchcode.
    assert all("same_email" in p.rules for p in extra)


def test_pairs_are_explained_with_rule_fields_and_values(report) -> None:  # type: ignore[no-untyped-def]
    pair = report.pair("L-0218", "L-0248")
    assert pair.rule == "similar_name_company"
    assert "robert cohen" in pair.explanation and "bob cohen" in pair.explanation
    assert pair.similarity("name") == 1.0
    assert pair.similarity("email") == 0.0  # different addresses: not why it matched


def test_clusters_group_linked_pairs(report) -> None:  # type: ignore[no-untyped-def]
    assert ("L-0165", "L-0241") in report.clusters
    assert all(len(c) >= 2 for c in report.clusters)


def test_free_mail_domain_never_makes_the_same_company() -> None:
    a = lead("1", "John", "Smith", email="john.smith@gmail.com")
    b = lead("2", "Jon", "Smith", email="jsmith77@gmail.com")
    assert find_duplicates([a, b]).pairs == ()


def test_shared_switchboard_number_is_not_a_duplicate_person() -> None:
    phone = (Phone(number="+44 20 7946 0106"),)
    a = lead("1", "Margaret", "Roberts", phones=phone)
    b = lead("2", "Dmitri", "Okafor", phones=phone)
    c = lead(
        "3",
        "Margaret",
        "Roberts",
        phones=(Phone(number="020 7946 0106"),),
        address=Address(country="United Kingdom"),
    )
    report = find_duplicates([a, b, c])
    assert report.pair("1", "2") is None
    assert report.pair("1", "3") is not None and report.pair("1", "3").rule == "same_phone"


def test_local_phone_is_read_in_the_leads_country() -> None:
    a = lead("1", "Ana", "Lima", phones=(Phone(number="+49 30 9478513"),))
    b = lead(
        "2",
        "Ana",
        "Lima",
        phones=(Phone(number="030 9478513"),),
        address=Address(country="Deutschland"),
    )
    assert find_duplicates([a, b]).pair("1", "2") is not None


def test_similar_name_at_a_different_company_is_not_a_duplicate() -> None:
    a = lead("1", "Robert", "Cohen", company_name="Pioneer Digital Inc.")
    b = lead("2", "Bob", "Cohen", company_name="Granite Pharma")
    assert find_duplicates([a, b]).pairs == ()


def test_stricter_thresholds_are_configurable() -> None:
    a = lead("1", "Katherine", "Nelson", company_name="Ember Financial")
    b = lead("2", "Katharine", "Nelsen", company_name="Ember Financial Corp")
    assert find_duplicates([a, b]).pairs
    strict = lead_settings(name_threshold=0.99)
    assert find_duplicates([a, b], settings=strict).pairs == ()


def test_rules_over_any_columns() -> None:
    frame = pd.DataFrame(
        {
            "vendor_no": ["V1", "V2", "V3"],
            "vat": ["DE 811 569 869", "DE811569869", "FR40303265045"],
            "name": ["Acme GmbH", "ACME", "Acme SARL"],
        }
    )
    settings = DedupeSettings(
        id_column="vendor_no",
        fields=(FieldSpec(name="vat", kind="text"), FieldSpec(name="name", kind="company")),
        blocking=(BlockingKey(name="name", fields=("name",)),),
        comparisons=(
            Comparison(name="vat", fields=("vat",), method="levenshtein"),
            Comparison(name="name", fields=("name",), method="token_set"),
        ),
        rules=(
            Rule(
                name="same_vat_similar_name",
                all_of=(
                    Condition(comparison="vat", at_least=0.75),
                    Condition(comparison="name", at_least=0.9),
                ),
            ),
        ),
    )
    out = DuplicateDetector(settings).find_frame(frame)
    # "de 811 569 869" vs "de811569869": only spaces differ (Levenshtein similarity 0.79).
    assert out[["left_id", "right_id", "rule"]].values.tolist() == [
        ["V1", "V2", "same_vat_similar_name"]
    ]


def test_rule_naming_an_unknown_comparison_is_refused() -> None:
    data = lead_settings().model_dump()
    data["rules"] = [{"name": "x", "all_of": [{"comparison": "nmae"}]}]
    with pytest.raises(ValidationFailed, match="unknown comparison 'nmae'"):
        DedupeSettings.model_validate(data)


def test_missing_column_is_reported_by_name() -> None:
    frame = pd.DataFrame({"id": ["1"], "first_name": ["Ana"]})
    with pytest.raises(ValidationFailed, match="last_name") as err:
        DuplicateDetector().find_frame(frame)
    assert err.value.field == "last_name"


def test_repeated_ids_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="repeat"):
        find_duplicates([lead("1", "A", "B"), lead("1", "C", "D")])


def test_models_other_than_leads_are_refused_with_a_hint() -> None:
    with pytest.raises(ValidationFailed, match="contacts_frame"):
        DuplicateDetector().find(["not a lead"])  # type: ignore[list-item]


def test_a_shared_generic_company_word_is_not_a_similar_company() -> None:
    a = lead("1", "Ana", "Lima", company_name="Acme Industries Inc.")
    b = lead("2", "Ana", "Lima", company_name="Apex Industries")
    c = lead("3", "Ana", "Lima", company_name="Acme Industries Group")
    report = find_duplicates([a, b, c])
    assert report.pair("1", "2") is None
    assert report.pair("1", "3") is not None


def test_initials_match_the_name_they_abbreviate() -> None:
    a = lead("1", "Kasey", "Maitland", company_name="Thosnys Systems plc")
    b = lead("2", "K.C.", "Maitland", company_name="Thosnys Systems")
    assert find_duplicates([a, b]).pair("1", "2") is not None


def test_two_extensions_of_one_switchboard_are_different_phones() -> None:
    import pandas as pd

    from leadqual.dedupe import DuplicateDetector

    frame = pd.DataFrame(
        {
            "id": ["1", "2", "3"],
            "first_name": ["John", "Jane", "Jon"],
            "last_name": ["Smith", "Smith", "Smith"],
            "company_name": [None, None, None],
            "emails": [(), (), ()],
            "phones": [("512-555-0100 x12",), ("512-555-0100 ext. 13",), ("+1 512 555 0100 #12",)],
            "country": ["US"] * 3,
        }
    )
    out = DuplicateDetector().find_frame(frame)
    # John and Jane are colleagues on two lines; John and Jon share line 12.
    assert out[["left_id", "right_id", "rule"]].values.tolist() == [["1", "3", "same_phone"]]
