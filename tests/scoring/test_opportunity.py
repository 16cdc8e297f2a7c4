"""Opportunity scoring: won against lost, open opportunities only."""

from __future__ import annotations

import pytest

from leadqual.errors import InsufficientTrainingData, NotScorable
from leadqual.models import OpportunityStatus
from leadqual.scoring import OpportunityScorer, build_opportunity_training_set
from leadqual.sources import MemorySource, load_sample_data


def test_opportunity_training_needs_forty_won_and_forty_lost() -> None:
    data = load_sample_data()
    source = MemorySource.from_snapshot(data.crm)
    with pytest.raises(InsufficientTrainingData) as info:
        build_opportunity_training_set(source, now=data.as_of, months=24)
    assert "won" in str(info.value) and info.value.needed == 40


def test_opportunity_scorer_scores_open_opportunities_and_refuses_closed_ones() -> None:
    data = load_sample_data()
    source = MemorySource.from_snapshot(data.crm)
    ts = build_opportunity_training_set(source, now=data.as_of, months=24, min_per_class=20)
    assert set(ts.y.tolist()) == {0, 1}
    assert "stage" not in ts.X.columns and "actual_value" not in ts.X.columns
    scorer = OpportunityScorer().fit(ts.X, ts.y)
    open_opps = [o for o in data.crm.opportunities if o.status is OpportunityStatus.OPEN]
    result = scorer.score_opportunity(open_opps[0], now=data.as_of)
    assert result.lead_id == open_opps[0].id and 0 <= result.score <= 100
    batch = scorer.score_opportunities(open_opps, source=source)
    assert list(batch.index) == [o.id for o in open_opps]
    won = next(o for o in data.crm.opportunities if o.status is OpportunityStatus.WON)
    with pytest.raises(NotScorable) as info:
        scorer.score_opportunity(won, now=data.as_of)
    assert info.value.reason == "closed"
