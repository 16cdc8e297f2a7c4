"""Characteristic matchers: one verdict per value, with exclusions and unknowns."""

from __future__ import annotations

import pytest

from leadqual.errors import ConfigurationError
from leadqual.icp import (
    CategoricalMatcher,
    Geography,
    IcpCharacteristic,
    IndustryTaxonomy,
    JobTitleMatcher,
    LocationMatcher,
    NeedMatcher,
    NumericRangeMatcher,
    TokenSimilarity,
)
from leadqual.models import Address


def char(kind: str, targets: list[str], exclude: list[str] | None = None) -> IcpCharacteristic:
    return IcpCharacteristic(
        name="c",
        kind=kind,
        targets=targets,
        exclude=exclude or [],
        fields=["lead.industry"],  # type: ignore[arg-type]
    )


@pytest.fixture
def industry() -> CategoricalMatcher:
    return CategoricalMatcher(
        char("categorical", ["Technology", "Financial Services", "Healthcare"], ["Government"]),
        taxonomy=IndustryTaxonomy(),
    )


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("Fintech", "matched"),
        ("Hospital & Health Care", "matched"),
        ("Computer Software", "matched"),
        ("financial services", "matched"),
        ("Manufacturing", "not_matched"),
        ("Government Administration", "not_matched"),
        ("Widgets Inc", "not_matched"),
        ("   ", "unknown"),
    ],
)
def test_industry_matcher_uses_sectors(
    industry: CategoricalMatcher, value: str, status: str
) -> None:
    assert industry.compare(value).status == status


def test_industry_reason_names_the_sector(industry: CategoricalMatcher) -> None:
    v = industry.compare("Fintech")
    assert v.target == "Financial Services"
    assert "Fintech" in v.reason
    assert "Financial Services" in v.reason


def test_any_industry_but_government() -> None:
    m = CategoricalMatcher(
        char("categorical", ["any"], ["Government"]), taxonomy=IndustryTaxonomy()
    )
    assert m.compare("Retail").status == "matched"
    assert m.compare("Widgets").status == "matched"
    gov = m.compare("Government Administration")
    assert gov.status == "not_matched"
    assert "excluded" in gov.reason


def test_sub_industry_target_gives_siblings_partial_credit() -> None:
    m = CategoricalMatcher(char("categorical", ["Fintech"]), taxonomy=IndustryTaxonomy())
    assert m.compare("Financial Technology").status == "matched"
    v = m.compare("Banking")
    assert (v.status, v.credit) == ("partial", 0.5)


def test_categorical_targets_outside_the_taxonomy_compare_as_text() -> None:
    c = IcpCharacteristic(
        name="Segment",
        kind="categorical",
        targets=["Enterprise"],
        aliases={"Enterprise": ["ENT", "Large accounts"]},
        fields=["lead.custom_fields.segment"],
    )
    m = CategoricalMatcher(c, taxonomy=IndustryTaxonomy())
    assert m.compare("enterprise").status == "matched"
    assert m.compare("Large Accounts").status == "matched"
    assert m.compare("Enterprize").status == "matched"  # fuzzy
    assert m.compare("SMB").status == "not_matched"


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (500, "matched"),
        (1141, "matched"),
        (499, "not_matched"),
        ("1,200", "matched"),
        ("501-1000", "matched"),
        ("10k+", "matched"),
        ("201-500", "partial"),
        ("51-200", "not_matched"),
        ("n/a", "unknown"),
        (True, "unknown"),
    ],
)
def test_numeric_matcher_reads_numbers_and_bands(value: object, status: str) -> None:
    assert NumericRangeMatcher(char("numeric_range", ["500+"])).compare(value).status == status


def test_numeric_exclusion_wins_over_target() -> None:
    m = NumericRangeMatcher(char("numeric_range", ["100+"], ["10k+"]))
    assert m.compare(5000).status == "matched"
    assert m.compare(20000).status == "not_matched"


def test_numeric_bad_band_names_the_characteristic() -> None:
    with pytest.raises(ConfigurationError, match="'c'"):
        NumericRangeMatcher(char("numeric_range", ["big"]))


@pytest.fixture
def na_but_ny() -> LocationMatcher:
    return LocationMatcher(char("location", ["North America"], ["New York"]), geography=Geography())


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (Address(country="USA", state="CA"), "matched"),
        (Address(country="United States", state="New York"), "not_matched"),
        (Address(country="US", state="NY"), "not_matched"),
        (Address(country="Canada", state="ON"), "matched"),
        (Address(country="Deutschland"), "not_matched"),
        ("México", "matched"),
        ("Atlantis", "unknown"),
    ],
)
def test_north_america_except_new_york(
    na_but_ny: LocationMatcher, value: object, status: str
) -> None:
    assert na_but_ny.compare(value).status == status


def test_exclusion_that_cannot_be_checked_is_said(na_but_ny: LocationMatcher) -> None:
    v = na_but_ny.compare(Address(country="USA"))
    assert v.status == "matched"
    assert "could not be checked" in v.reason


def test_state_target_with_only_the_country_known_is_unknown() -> None:
    m = LocationMatcher(char("location", ["California"]), geography=Geography())
    assert m.compare(Address(country="US")).status == "unknown"
    assert m.compare(Address(country="US", state="CA")).status == "matched"
    assert m.compare(Address(country="US", state="TX")).status == "not_matched"
    assert m.compare(Address(country="DE")).status == "not_matched"


def test_location_regions_match_normalised_countries() -> None:
    m = LocationMatcher(char("location", ["Europe", "APAC"]), geography=Geography())
    for written in ("UK", "Great Britain", "Deutschland", "España", "The Netherlands", "Japan"):
        assert m.compare(written).status == "matched", written
    assert m.compare("Brasil").status == "not_matched"


@pytest.fixture
def decision_maker() -> JobTitleMatcher:
    return JobTitleMatcher(char("job_title", ["CIO", "CTO", "Head of Sales"], ["Intern"]))


@pytest.mark.parametrize(
    ("title", "status"),
    [
        ("Chief Information Officer", "matched"),
        ("CIO", "matched"),
        ("Chief Technology Officer", "matched"),
        ("VP of Sales", "matched"),
        ("SVP Sales", "matched"),
        ("Chief Revenue Officer", "matched"),
        ("Head of Sales", "matched"),
        ("IT Director", "partial"),
        ("VP, Revenue Operations", "partial"),
        ("Sales Operations Manager", "not_matched"),
        ("Marketing Manager", "not_matched"),
        ("Sales Intern", "not_matched"),
        ("Sales", "not_matched"),
        ("Assistant to the Head of Sales", "not_matched"),
        ("Head of Sales Operations", "partial"),
        ("Head of Slaes", "matched"),
        ("", "unknown"),
    ],
)
def test_job_titles_match_by_seniority_and_function(
    decision_maker: JobTitleMatcher, title: str, status: str
) -> None:
    assert decision_maker.compare(title).status == status


def test_unreadable_title_target_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="Wizard"):
        JobTitleMatcher(char("job_title", ["Wizard"]))


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Our pipeline forecasts are unreliable and the board keeps asking why", "matched"),
        ("Sales reps spend too much time on manual data entry in the CRM", "matched"),
        ("We need a single view of the customer across sales and service", "matched"),
        ("Pipeline forecasting", "partial"),
        ("Need payroll software for a small team", "not_matched"),
    ],
)
def test_needs_match_pain_points(text: str, status: str) -> None:
    m = NeedMatcher(
        char(
            "need",
            [
                "unreliable pipeline forecasts",
                "manual CRM data entry",
                "no single view of the customer",
            ],
        )
    )
    assert m.compare(text).status == status


def test_token_similarity_forgives_typos() -> None:
    assert (
        TokenSimilarity().similarity(
            "unreliabel pipline forecasts", "unreliable pipeline forecasts"
        )
        == 1.0
    )


def test_need_matcher_accepts_a_plugged_similarity() -> None:
    class Always:
        def similarity(self, text: str, target: str, /) -> float:
            return 0.6

    m = NeedMatcher(char("need", ["anything"]), similarity=Always())
    assert m.compare("whatever").status == "partial"
