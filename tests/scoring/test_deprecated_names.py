"""Renamed scoring names keep working for one release, with a warning that names the new one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from leadqual.errors import NotScorable
from leadqual.models import Lead, LeadStatus, Opportunity
from leadqual.scoring import (
    LeadScore,
    LeadScorer,
    ModelRegistry,
    OpportunityScorer,
    build_training_set,
    check_scorable,
    closed_leads,
    due_for_scoring,
    lead_record,
    leads_frame,
    train_from_crm,
)
from leadqual.sources import MemorySource, load_sample_data

NOW = datetime(2026, 3, 1, tzinfo=UTC)
LEAD = Lead(
    id="L-1", line_of_business="Enterprise", lead_source="web", created_at=NOW - timedelta(days=9)
)


@pytest.fixture(scope="module")
def scorer() -> LeadScorer:
    rng = np.random.default_rng(0)
    source = rng.choice(["web", "event"], 120)
    return LeadScorer().fit(pd.DataFrame({"lead_source": source}), (source == "event").astype(int))


def test_registry_score_is_a_deprecated_alias_of_score_lead(scorer: LeadScorer) -> None:
    registry = ModelRegistry()
    registry.publish(scorer, line_of_business="Enterprise")
    expected = registry.score_lead(LEAD, now=NOW)
    with pytest.warns(DeprecationWarning, match=r"score\(\) is deprecated; use .*score_lead"):
        assert registry.score(LEAD, now=NOW) == expected
    with pytest.warns(DeprecationWarning, match="deprecated") as seen:
        assert registry.score(LEAD, as_of=NOW) == expected
    messages = [str(w.message) for w in seen]
    assert any("'as_of' is deprecated; use 'now'" in m for m in messages)
    assert any("use ModelRegistry.score_lead()" in m for m in messages)


def test_sklearn_score_stays_accuracy_and_lead_scores_stay_0_to_100(scorer: LeadScorer) -> None:
    X = pd.DataFrame({"lead_source": ["web", "event"] * 10})
    y = [0, 1] * 10
    assert scorer.score(X, y) == 1.0  # scikit-learn's contract: accuracy on X, y
    result = scorer.score_lead(LEAD, now=NOW)
    assert isinstance(result, LeadScore) and 0 <= result.score <= 100


def _calls(scorer: LeadScorer) -> list[tuple[str, Callable[..., Any]]]:
    data = load_sample_data()
    source = MemorySource.from_snapshot(data.crm)
    opp_scorer = OpportunityScorer().fit(
        pd.DataFrame({"estimated_value": [1.0, 9.0] * 30}), [0, 1] * 30
    )
    opp = Opportunity(id="O-1", name="x", estimated_value=5.0, created_at=NOW - timedelta(days=3))
    return [
        ("score_lead", lambda **kw: scorer.score_lead(LEAD, **kw)),
        ("score_leads", lambda **kw: scorer.score_leads([LEAD], **kw)),
        ("check_scorable", lambda **kw: check_scorable(LEAD, **kw)),
        ("lead_record", lambda **kw: lead_record(LEAD, **kw)),
        ("leads_frame", lambda **kw: leads_frame([LEAD], **kw)),
        ("due_for_scoring", lambda **kw: due_for_scoring([LEAD], {}, **kw)),
        ("score_opportunity", lambda **kw: opp_scorer.score_opportunity(opp, **kw)),
        ("closed_leads", lambda **kw: [x.id for x in closed_leads(source, months=24, **kw)]),
        (
            "build_training_set",
            lambda **kw: build_training_set(source, months=24, **kw).X.index.tolist(),
        ),
        (
            "train_from_crm",
            lambda **kw: train_from_crm(source, months=24, leakage_check=False, **kw).as_of,
        ),
    ]


def test_the_as_of_keyword_still_works_with_a_warning(scorer: LeadScorer) -> None:
    data = load_sample_data()
    for name, call in _calls(scorer):
        when = (
            data.as_of if name in ("closed_leads", "build_training_set", "train_from_crm") else NOW
        )
        new = call(now=when)
        with pytest.warns(DeprecationWarning, match=f"{name}.*'as_of' is deprecated; use 'now'"):
            old = call(as_of=when)
        if isinstance(new, pd.DataFrame):
            pd.testing.assert_frame_equal(old, new)
        else:
            assert old == new, name
        with pytest.raises(TypeError, match="pass only 'now'"):
            call(as_of=when, now=when)


def test_now_defaults_to_the_current_time() -> None:
    fresh = Lead(id="L-2", created_at=datetime.now(UTC) - timedelta(days=1))
    check_scorable(fresh)
    assert [lead.id for lead, why in due_for_scoring([fresh], {})] == ["L-2"]
    closed = fresh.model_copy(update={"status": LeadStatus.QUALIFIED})
    with pytest.raises(NotScorable, match="only open leads"):
        check_scorable(closed)
