"""suggest_icp and backtest on the sample's closed history."""

from __future__ import annotations

from typing import Any

import pytest

from leadqual.config import AgentConfig
from leadqual.errors import ConfigurationError, InsufficientTrainingData
from leadqual.icp import IcpMatcher, IcpProfile, backtest, suggest_icp
from leadqual.models import LeadContext
from leadqual.prioritize import Prioritizer


def test_backtest_of_the_sample_icp_separates_won_from_lost(
    sample_config: AgentConfig, closed_contexts: list[LeadContext]
) -> None:
    assert sample_config.icp is not None
    report = backtest(sample_config.icp, closed_contexts)
    assert report.leads == len(closed_contexts) == 168
    assert report.won == sum(1 for c in closed_contexts if c.lead.status.value == "qualified")
    assert sum(t.leads for t in report.tiers) == report.leads
    assert sum(d.leads for d in report.deciles) == report.leads
    assert report.deciles[-1].cumulative_capture == 1.0
    # the profile is informative on this history: better than random, High/Moderate beat Low
    assert report.auc > 0.6
    assert report.tier("High").lift > 1 > report.tier("Low").lift
    assert report.tier("Moderate").lift > 1
    assert report.ranked_by == ("icp_fit",)
    assert report.lines()[0].startswith(sample_config.icp.name)


def test_backtest_of_an_ordering_uses_what_was_known_then(
    sample_config: AgentConfig, closed_contexts: list[LeadContext]
) -> None:
    assert sample_config.icp is not None
    order = backtest(
        sample_config.icp, closed_contexts, prioritizer=Prioritizer.from_config(sample_config)
    )
    assert order.ranked_by[0] == "handraiser"
    assert 0.5 < order.auc <= 1
    fit_first = backtest(
        sample_config.icp,
        closed_contexts,
        prioritizer=Prioritizer.from_config(sample_config, order=["icp_fit", "handraiser"]),
        label="fit first",
    )
    assert fit_first.label == "fit first"
    assert fit_first.auc != order.auc  # the two orders really are compared


def test_backtest_of_a_useless_profile_is_no_better_than_random(
    closed_contexts: list[LeadContext],
) -> None:
    from leadqual.icp import IcpCharacteristic

    useless = IcpProfile(
        characteristics=[
            IcpCharacteristic(
                name="Any", kind="categorical", targets=["any"], fields=["lead.topic"]
            )
        ]
    )
    report = backtest(IcpMatcher(useless), closed_contexts)
    assert len(report.tiers) == 1
    assert report.tiers[0].lift == 1.0
    assert report.auc == 0.5  # every lead ties: no better than random, exactly


def test_backtest_needs_both_outcomes(
    sample_config: AgentConfig, closed_contexts: list[LeadContext]
) -> None:
    assert sample_config.icp is not None
    won_only = [c for c in closed_contexts if c.lead.status.value == "qualified"]
    with pytest.raises(InsufficientTrainingData):
        backtest(sample_config.icp, won_only)


def test_suggest_icp_learns_from_closed_history(
    sample_config: AgentConfig, sample_contexts: list[LeadContext]
) -> None:
    suggestion = suggest_icp(
        sample_contexts,  # open leads are skipped
        pain_points=sample_config.products[0].pain_points,
        extra_fields=["lead.lead_source"],
    )
    assert suggestion.closed == 168
    names = [s.characteristic.name for s in suggestion.suggestions]
    assert "Industry" in names
    for s in suggestion.suggestions:
        assert s.lift >= 1.15
        assert 0 < s.support < 1
        assert 0.5 <= s.characteristic.weight <= 5
        assert f"lift {s.lift:.2f}" in s.reason
    industry = next(s for s in suggestion.suggestions if s.characteristic.name == "Industry")
    assert "Financial Services" in industry.characteristic.targets
    assert "Manufacturing" not in industry.characteristic.targets
    # the suggestion is a working profile and beats random on the history it came from
    report = backtest(suggestion.profile, sample_contexts)
    assert report.auc > 0.6
    assert sample_config.icp is not None
    lines = report.compare(backtest(sample_config.icp, sample_contexts))
    assert lines[1].startswith("AUC")
    assert "ranks won leads higher" in lines[-1] or "equally" in lines[-1]


def test_compare_refuses_reports_on_different_histories(
    sample_config: AgentConfig, closed_contexts: list[LeadContext]
) -> None:
    from leadqual.errors import ValidationFailed

    assert sample_config.icp is not None
    a = backtest(sample_config.icp, closed_contexts)
    b = backtest(sample_config.icp, closed_contexts[:100])
    with pytest.raises(ValidationFailed, match="different histories"):
        a.compare(b)


def test_suggest_icp_needs_enough_history(closed_contexts: list[LeadContext]) -> None:
    with pytest.raises(InsufficientTrainingData) as info:
        suggest_icp(closed_contexts[:12])
    assert info.value.needed == 10


def test_suggest_icp_checks_extra_fields(closed_contexts: list[LeadContext]) -> None:
    with pytest.raises(ConfigurationError, match="nope"):
        suggest_icp(closed_contexts, extra_fields=["lead.nope"])


def test_suggest_icp_accepts_plain_leads(closed_contexts: list[LeadContext]) -> None:
    leads: list[Any] = [c.lead for c in closed_contexts]
    suggestion = suggest_icp(leads, min_lift=1.05)
    assert suggestion.profile.characteristics
