"""Real-world CRM values: placeholders for missing data, picklist industries, free-text places and titles."""

from __future__ import annotations

import pandas as pd
import pytest

from leadqual.icp import (
    CategoricalMatcher,
    Geography,
    IcpCharacteristic,
    IcpMatcher,
    IcpProfile,
    IndustryTaxonomy,
    LocationMatcher,
)

from .conftest import make_context


def _profile() -> IcpProfile:
    return IcpProfile(
        characteristics=[
            IcpCharacteristic(
                name="Industry",
                kind="categorical",
                targets=["Financial Services"],
                fields=["lead.industry"],
            ),
            IcpCharacteristic(
                name="Size",
                kind="numeric_range",
                targets=["500+"],
                fields=["lead.custom_fields.size"],
            ),
        ]
    )


@pytest.mark.parametrize("placeholder", ["N/A", "n.a.", "Unknown", "-", "--", "?", "TBD", "null"])
def test_a_crm_placeholder_for_missing_data_is_unknown_not_a_mismatch(placeholder: str) -> None:
    matcher = IcpMatcher(_profile())
    context = make_context(industry=placeholder, custom_fields={"size": placeholder})
    fit = matcher.match(context)
    assert [r.status for r in fit.results] == ["unknown", "unknown"]
    assert fit.tier == "Unknown"
    frame = pd.DataFrame({"lead.industry": [placeholder], "lead.custom_fields.size": [placeholder]})
    batch = matcher.match_frame(frame)
    assert batch["icp_tier"].iloc[0] == "Unknown"
    assert str(batch["Industry: status"].iloc[0]) == "unknown"


@pytest.mark.parametrize(
    ("written", "sector"),
    [
        ("Finance", "Financial Services"),  # the Salesforce standard picklist value
        ("Not For Profit", "Nonprofit"),
        ("Communications", "Telecommunications"),
        ("Electronics", "Technology"),
    ],
)
def test_standard_crm_picklist_industries_resolve(written: str, sector: str) -> None:
    match = IndustryTaxonomy().resolve(written)
    assert match is not None and match.sector == sector


def test_finance_matches_a_financial_services_target() -> None:
    matcher = CategoricalMatcher(
        IcpCharacteristic(
            name="c", kind="categorical", targets=["Financial Services"], fields=["lead.industry"]
        ),
        taxonomy=IndustryTaxonomy(),
    )
    assert matcher.compare("Finance").status == "matched"


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("Toronto, Canada", "matched"),
        ("Austin, TX, USA", "matched"),
        ("Brooklyn, New York", "not_matched"),
        ("Berlin, Germany", "not_matched"),
        ("Somewhere, Atlantis", "unknown"),
    ],
)
def test_a_city_country_string_is_read_by_its_last_known_part(written: str, status: str) -> None:
    matcher = LocationMatcher(
        IcpCharacteristic(
            name="c",
            kind="location",
            targets=["North America"],
            exclude=["New York"],
            fields=["lead.industry"],
        ),
        geography=Geography(),
    )
    assert matcher.compare(written).status == status


def _titles(*targets: str) -> IcpMatcher:
    return IcpMatcher(
        IcpProfile(
            characteristics=[
                IcpCharacteristic(
                    name="Title", kind="job_title", targets=list(targets), fields=["lead.job_title"]
                )
            ]
        )
    )


@pytest.mark.parametrize("title", ["EA to the CEO", "PA to the CIO", "EA/PA to CTO"])
def test_an_assistant_abbreviated_ea_or_pa_is_not_the_executive(title: str) -> None:
    fit = _titles("CEO", "CIO", "CTO", "Head of Sales").match(make_context(job_title=title))
    assert fit.results[0].status == "not_matched"


@pytest.mark.parametrize("title", ["Former CTO", "Ex-CTO", "Retired CIO"])
def test_a_former_executive_is_not_a_current_decision_maker(title: str) -> None:
    fit = _titles("CIO", "CTO").match(make_context(job_title=title))
    assert fit.results[0].status != "matched"


def test_a_former_title_followed_by_the_current_one_reads_the_current_one() -> None:
    fit = _titles("Head of Sales").match(make_context(job_title="Former CTO, now VP of Sales"))
    assert fit.results[0].status == "matched"


@pytest.mark.parametrize("title", ["Deputy CIO", "Associate CIO"])
def test_a_deputy_of_a_c_level_officer_is_one_level_below(title: str) -> None:
    fit = _titles("CIO").match(make_context(job_title=title))
    assert fit.results[0].status == "partial"


def test_match_frame_reads_unhashable_cells_like_match_does() -> None:
    matcher = IcpMatcher(_profile())
    frame = pd.DataFrame(
        {
            "lead.industry": [["Banking"], "Fintech", None],
            "lead.custom_fields.size": [[1, 2], 900, {}],
        }
    )
    batch = matcher.match_frame(frame)
    contexts = [
        make_context(industry="Fintech", custom_fields={"size": 900}),
    ]
    assert batch["icp_tier"].iloc[1] == matcher.match(contexts[0]).tier
    assert list(batch.index) == [0, 1, 2]
