"""Model report rendering, grade schemes, and choosing a model by line of business."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual.errors import NotScorable, ValidationFailed
from leadqual.models import Lead
from leadqual.scoring import (
    GradeScheme,
    LeadScorer,
    ModelRegistry,
    evaluate,
)

KEY = b"k" * 32


def _data(n: int = 160) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    source = rng.choice(["web", "event", "cold"], n)
    y = (rng.random(n) < np.where(source == "event", 0.75, 0.3)).astype(int)
    created = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 300, n), "D")
    return pd.DataFrame({"source": source, "size": rng.normal(size=n), "created": created}), y


@pytest.fixture(scope="module")
def scorer() -> LeadScorer:
    X, y = _data()
    return LeadScorer().fit(X, y)


def test_report_measures_held_out_and_time_ordered_performance() -> None:
    X, y = _data()
    report = evaluate(LeadScorer(), X, y, times=X["created"], line_of_business="SMB")
    assert report.cv.folds == 5 and report.cv.roc_auc_std is not None
    assert report.time_ordered is not None and report.time_ordered.rows == 32
    assert 0 <= report.cv.brier <= 1
    assert [g.grade for g in report.grades] == ["A", "B", "C", "D"]
    assert report.importances[0].column == "source"
    assert report.roc_points[0] == (0.0, 0.0) and report.roc_points[-1] == (1.0, 1.0)
    assert "CV ROC-AUC" in report.headline


def test_report_renders_markdown_and_self_contained_html() -> None:
    X, y = _data()
    report = evaluate(LeadScorer(), X, y, times=X["created"])
    md = report.to_markdown()
    assert "| grade | from score | leads | share | qualified |" in md
    assert "## What drives scores" in md
    page = report.to_html()
    assert page.startswith("<!doctype html>") and page.count("<svg") == 4
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org", "")


def test_grade_scheme_validates_its_cutoffs() -> None:
    with pytest.raises(ValidationFailed, match="strictly decreasing"):
        GradeScheme(cutoffs=(50, 75, 25))
    with pytest.raises(ValidationFailed, match="need 3 cutoffs"):
        GradeScheme(cutoffs=(50, 25))


@given(st.lists(st.floats(min_value=0, max_value=100), min_size=2, max_size=50))
def test_grades_never_improve_as_the_score_falls(scores: list[float]) -> None:
    scheme = GradeScheme()
    ordered = sorted(scores, reverse=True)
    ranks = [scheme.labels.index(scheme.grade(s)) for s in ordered]
    assert ranks == sorted(ranks)
    assert scheme.grade_many(ordered) == [scheme.grade(s) for s in ordered]


def test_grade_scheme_from_quantiles_splits_evenly() -> None:
    scores = np.arange(100)
    scheme = GradeScheme.from_quantiles(scores)
    counts = pd.Series(scheme.grade_many(scores)).value_counts()
    assert counts.min() >= 20


def test_registry_selects_by_line_of_business_with_a_default(scorer: LeadScorer) -> None:
    other = LeadScorer(model="linear", min_frequency=1).fit(*_data(120))
    registry = ModelRegistry()
    registry.publish(scorer, line_of_business="Enterprise")
    with pytest.raises(NotScorable) as info:
        registry.select("Commercial")
    assert info.value.reason == "no_model"
    registry.publish(other)
    assert registry.select("ENTERPRISE") is scorer
    assert registry.select("Commercial") is other
    lead = Lead(
        id="L-1", line_of_business="Enterprise", created_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert registry.select(lead) is scorer
    assert registry.lines_of_business == ("Enterprise",) and len(registry) == 2
    registry.unpublish("enterprise")
    assert registry.select(lead) is other


def test_registry_scores_a_lead_with_the_model_of_its_line(scorer: LeadScorer) -> None:
    registry = ModelRegistry()
    registry.publish(scorer, line_of_business="Enterprise")
    lead = Lead(
        id="L-9",
        line_of_business="Enterprise",
        lead_source="web",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    result = registry.score_lead(lead, now=datetime(2026, 3, 1, tzinfo=UTC))
    assert result.model.endswith("(Enterprise)")
