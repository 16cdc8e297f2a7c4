"""IcpMatcher end to end: the seeds' example ICP, tiers, unknowns, field mapping, batch parity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from leadqual.config import AgentConfig
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.icp import IcpCharacteristic, IcpMatcher, IcpProfile, TierCutoffs, Verdict
from leadqual.models import LeadContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "icp"


def test_seeds_profile_loads_from_yaml_and_json_alike(seeds_profile: IcpProfile) -> None:
    assert IcpProfile.from_file(FIXTURES / "seeds_icp.json") == seeds_profile
    assert [c.name for c in seeds_profile.characteristics] == [
        "Industry",
        "Company size",
        "Location",
        "Decision maker",
        "Pain points",
    ]


def test_seeds_icp_end_to_end_ideal_lead_is_high(seeds_profile: IcpProfile, make: Any) -> None:
    ctx = make(
        job_title="Chief Information Officer",
        need="Our pipeline forecasts are unreliable",
        account={"industry": "Fintech", "employee_count": 2400, "country": "USA", "state": "IL"},
    )
    fit = IcpMatcher(seeds_profile).match(ctx)
    assert (fit.score, fit.tier, fit.coverage) == (100.0, "High", 1.0)
    industry = fit.result("industry")
    assert (industry.status, industry.field, industry.value, industry.weight) == (
        "matched",
        "account.industry",
        "Fintech",
        3.0,
    )
    assert "Financial Services" in industry.reason
    assert fit.result("Location").value == "IL, USA"
    assert fit.lead_id == "L-1"


def test_seeds_icp_end_to_end_poor_lead_is_low(seeds_profile: IcpProfile, make: Any) -> None:
    ctx = make(
        job_title="Student",
        need="Just researching for a university project",
        industry="Government Administration",
        employee_count=40,
        country="Brasil",
    )
    fit = IcpMatcher(seeds_profile).match(ctx)
    assert fit.score == 0
    assert fit.tier == "Low"
    assert all(r.status == "not_matched" for r in fit.results)
    assert "excluded" not in fit.result("Industry").reason  # the seeds' ICP has no exclusion


@pytest.mark.parametrize(
    ("matched_weight", "tier"),
    [(71, "High"), (70, "Moderate"), (50, "Moderate"), (49, "Low"), (0, "Low")],
)
def test_tier_cutoffs_are_the_documented_ones(matched_weight: int, tier: str, make: Any) -> None:
    profile = IcpProfile(
        characteristics=[
            IcpCharacteristic(
                name="A",
                kind="categorical",
                targets=["x"],
                fields=["lead.industry"],
                weight=max(matched_weight, 0.001) if matched_weight else 0.001,
            ),
            IcpCharacteristic(
                name="B",
                kind="categorical",
                targets=["x"],
                fields=["lead.topic"],
                weight=100 - matched_weight if matched_weight < 100 else 0.001,
            ),
        ]
    )
    fit = IcpMatcher(profile).match(make(industry="x", topic="y"))
    assert fit.tier == tier


def test_missing_data_lowers_coverage_not_the_score(seeds_profile: IcpProfile, make: Any) -> None:
    full = make(
        job_title="CTO",
        need="manual CRM data entry is killing us",
        industry="Technology",
        employee_count=900,
        country="Germany",
    )
    partial = make(job_title="CTO", industry="Technology", employee_count=900)
    a, b = IcpMatcher(seeds_profile).match(full), IcpMatcher(seeds_profile).match(partial)
    assert a.score == b.score == 100
    assert b.coverage < a.coverage
    assert b.result("Location").status == "unknown"
    assert b.result("Location").reason.startswith("no value in")
    assert set(b.unknown) == {"Location", "Pain points"}


def test_too_little_known_is_unknown_tier(seeds_profile: IcpProfile, make: Any) -> None:
    fit = IcpMatcher(seeds_profile).match(make(job_title="CTO"))  # 2 of 9 weight known
    assert fit.tier == "Unknown"
    assert fit.score == 100


def test_required_mismatch_caps_the_tier_at_low(make: Any) -> None:
    profile = IcpProfile(
        characteristics=[
            IcpCharacteristic(
                name="Industry",
                kind="categorical",
                targets=["Technology"],
                fields=["lead.industry"],
                weight=5,
            ),
            IcpCharacteristic(
                name="Region",
                kind="location",
                targets=["Europe"],
                fields=["lead.address.country"],
                required=True,
            ),
        ]
    )
    fit = IcpMatcher(profile).match(make(industry="Software", country="US"))
    assert fit.score > 80
    assert (fit.tier, fit.capped_by) == ("Low", ("Region",))
    assert "capped" in fit.summary()


def test_first_field_wins_unless_field_mode_is_any(make: Any) -> None:
    first = IcpCharacteristic(
        name="I",
        kind="categorical",
        targets=["Technology"],
        fields=["account.industry", "lead.industry"],
    )
    both = first.model_copy(update={"field_mode": "any"})
    ctx = make(industry="Technology", account={"industry": "Retail"})
    r1 = IcpMatcher(IcpProfile(characteristics=[first])).match(ctx).results[0]
    r2 = IcpMatcher(IcpProfile(characteristics=[both])).match(ctx).results[0]
    assert (r1.status, r1.field) == ("not_matched", "account.industry")
    assert (r2.status, r2.field) == ("matched", "lead.industry")


def test_empty_first_field_falls_through_to_the_next(seeds_profile: IcpProfile, make: Any) -> None:
    fit = IcpMatcher(seeds_profile).match(make(industry="Banking", account={"industry": None}))
    assert fit.result("Industry").field == "lead.industry"


def test_custom_fields_can_be_mapped(make: Any) -> None:
    profile = IcpProfile(
        characteristics=[
            IcpCharacteristic(
                name="Tier",
                kind="categorical",
                targets=["Strategic"],
                fields=["account.custom_fields.tier"],
            )
        ]
    )
    fit = IcpMatcher(profile).match(make(account={"custom_fields": {"tier": "strategic"}}))
    assert fit.results[0].status == "matched"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("lead.nonsense", "no field 'nonsense'"),
        ("lead.address.planet", "no field 'planet'"),
        ("lead.industry.x", "no sub-fields"),
    ],
)
def test_bad_field_paths_are_refused_when_the_matcher_is_built(path: str, words: str) -> None:
    profile = IcpProfile(
        characteristics=[
            IcpCharacteristic(name="X", kind="categorical", targets=["a"], fields=[path])
        ]
    )
    with pytest.raises(ConfigurationError, match=words):
        IcpMatcher(profile)


def test_profile_validation_names_the_problem() -> None:
    with pytest.raises(ValidationFailed, match="unique"):
        IcpProfile(
            characteristics=[
                IcpCharacteristic(
                    name="A", kind="categorical", targets=["x"], fields=["lead.industry"]
                ),
                IcpCharacteristic(
                    name="a", kind="categorical", targets=["y"], fields=["lead.industry"]
                ),
            ]
        )
    with pytest.raises(ValidationFailed, match="moderate"):
        TierCutoffs(high=40, moderate=60)


def test_match_refuses_a_non_context(seeds_profile: IcpProfile) -> None:
    with pytest.raises(ValidationFailed, match="LeadContext"):
        IcpMatcher(seeds_profile).match({"lead": "L-1"})  # type: ignore[arg-type]


def test_a_characteristic_matcher_can_be_plugged(make: Any) -> None:
    class Even:
        characteristic = IcpCharacteristic(
            name="N", kind="numeric_range", targets=["0+"], fields=["lead.employee_count"]
        )

        def compare(self, value: object, /) -> Verdict:
            ok = isinstance(value, int) and value % 2 == 0
            return Verdict("matched" if ok else "not_matched", float(ok), "even", "even or not")

    profile = IcpProfile(characteristics=[Even.characteristic])
    m = IcpMatcher(profile, matchers={"n": Even()})
    assert m.match(make(employee_count=4)).score == 100
    assert m.match(make(employee_count=5)).score == 0
    with pytest.raises(ConfigurationError):
        IcpMatcher(profile, matchers={"other": Even()})


def test_sample_config_profile_tiers_the_open_leads(
    sample_config: AgentConfig, open_contexts: list[LeadContext]
) -> None:
    assert sample_config.icp is not None
    fits = IcpMatcher(sample_config.icp).match_many(open_contexts)
    tiers = {f.tier for f in fits}
    assert {"High", "Moderate", "Low"} <= tiers
    assert all(len(f.results) == 5 for f in fits)


def test_batch_frame_equals_single_matches(
    sample_config: AgentConfig, sample_contexts: list[LeadContext]
) -> None:
    assert sample_config.icp is not None
    m = IcpMatcher(sample_config.icp)
    fits = m.match_many(sample_contexts)
    frame = m.to_frame(sample_contexts)
    for reasons in (False, True):
        out = m.match_frame(frame, reasons=reasons)
        np.testing.assert_allclose(out["icp_score"].to_numpy(), [f.score for f in fits])
        assert out["icp_tier"].astype(str).tolist() == [f.tier for f in fits]
        np.testing.assert_allclose(out["icp_coverage"].to_numpy(), [f.coverage for f in fits])
        for c in sample_config.icp.characteristics:
            assert out[f"{c.name}: status"].astype(str).tolist() == [
                f.result(c.name).status for f in fits
            ]
        if reasons:
            assert out["Industry: reason"].tolist() == [f.result("Industry").reason for f in fits]


def test_batch_frame_reads_bands_and_numbers_mixed(seeds_profile: IcpProfile) -> None:
    m = IcpMatcher(seeds_profile)
    frame = pd.DataFrame({c: [None, None, None] for c in m.columns()})
    frame["account.industry"] = ["Fintech", None, "Retail"]
    frame["account.employee_count"] = ["501-1000", None, 30]
    frame["lead.job_title"] = ["CIO", "Intern", None]
    out = m.match_frame(frame)
    assert out["Company size: status"].astype(str).tolist() == ["matched", "unknown", "not_matched"]
    assert out["Industry: status"].astype(str).tolist() == ["matched", "unknown", "not_matched"]


def test_batch_frame_without_any_column_of_a_characteristic_is_refused(
    seeds_profile: IcpProfile,
) -> None:
    with pytest.raises(ConfigurationError, match="Industry"):
        IcpMatcher(seeds_profile).match_frame(pd.DataFrame({"lead.job_title": ["CIO"]}))


def test_fit_round_trips_through_json(seeds_profile: IcpProfile, make: Any) -> None:
    from leadqual.icp import IcpFit

    fit = IcpMatcher(seeds_profile).match(make(job_title="CTO", industry="Banking"))
    assert IcpFit.model_validate(json.loads(fit.model_dump_json())) == fit


def test_required_but_unknown_does_not_cap(make: Any) -> None:
    profile = IcpProfile(
        characteristics=[
            IcpCharacteristic(
                name="Industry",
                kind="categorical",
                targets=["Technology"],
                fields=["lead.industry"],
                weight=5,
            ),
            IcpCharacteristic(
                name="Region",
                kind="location",
                targets=["Europe"],
                fields=["lead.address.country"],
                required=True,
            ),
        ]
    )
    fit = IcpMatcher(profile).match(make(industry="Software"))
    assert (fit.tier, fit.capped_by) == ("High", ())
