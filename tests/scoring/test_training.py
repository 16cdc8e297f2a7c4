"""Training from the CRM: the window, the 40/40 minimum, scorability and the leakage guard."""

from __future__ import annotations

import warnings
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from leadqual.errors import ConfigurationError, InsufficientTrainingData, NotScorable
from leadqual.models import Lead, LeadStatus
from leadqual.scoring import (
    LeakageWarning,
    build_training_set,
    check_scorable,
    closed_leads,
    find_leakage,
    lead_record,
    train_from_crm,
)
from leadqual.sources import MemorySource, load_sample_data
from leadqual.sources.sample import SampleData


@pytest.fixture(scope="module")
def sample() -> SampleData:
    return load_sample_data()


@pytest.fixture
def source(sample: SampleData) -> MemorySource:
    return MemorySource.from_snapshot(sample.crm)


def test_training_set_holds_only_closed_leads_of_the_window(
    sample: SampleData, source: MemorySource
) -> None:
    ts = build_training_set(source, now=sample.as_of, months=24)
    start = sample.as_of - timedelta(days=24 * 30.4375)
    leads = {lead.id: lead for lead in sample.crm.leads}
    assert len(ts.X) == ts.qualified + ts.disqualified
    for lead_id in ts.X.index:
        lead = leads[lead_id]
        assert not lead.is_open
        assert lead.closed_on is not None and start <= lead.closed_on <= sample.as_of
    assert ts.qualified >= 40 and ts.disqualified >= 40


def test_training_columns_leave_out_what_is_filled_after_the_outcome(
    sample: SampleData, source: MemorySource
) -> None:
    ts = build_training_set(source, now=sample.as_of, months=24)
    for leaky in ("status", "status_reason", "closed_at", "modified_at", "account_id"):
        assert leaky not in ts.X.columns


def test_segment_filter_keeps_one_line_of_business(
    sample: SampleData, source: MemorySource
) -> None:
    leads = closed_leads(source, now=sample.as_of, months=24, line_of_business="enterprise")
    assert leads and all(lead.line_of_business == "Enterprise" for lead in leads)


def test_too_few_leads_says_how_many_and_how_to_widen(
    sample: SampleData, source: MemorySource
) -> None:
    with pytest.raises(InsufficientTrainingData) as info:
        build_training_set(source, now=sample.as_of, months=6)
    err = info.value
    assert err.needed == 40
    assert err.qualified < 40 or err.disqualified < 40
    assert f"found {err.qualified} qualified and {err.disqualified} disqualified" in str(err)
    assert "widen the window to" in str(err)


def test_too_few_leads_in_a_segment_suggests_one_model_for_all(
    sample: SampleData, source: MemorySource
) -> None:
    with pytest.raises(InsufficientTrainingData, match="every line of business"):
        build_training_set(source, now=sample.as_of, months=24, line_of_business="Enterprise")


@pytest.mark.parametrize("months", [2, 25])
def test_window_must_be_three_to_twenty_four_months(
    sample: SampleData, source: MemorySource, months: int
) -> None:
    with pytest.raises(ConfigurationError, match="between 3 and 24 months"):
        build_training_set(source, now=sample.as_of, months=months)


def test_closed_and_old_leads_are_not_scorable(sample: SampleData) -> None:
    closed = next(lead for lead in sample.crm.leads if not lead.is_open)
    with pytest.raises(NotScorable) as info:
        check_scorable(closed, now=sample.as_of)
    assert info.value.reason == "closed" and info.value.lead_id == closed.id
    old = Lead(id="L-old", created_at=sample.as_of - timedelta(days=800))
    with pytest.raises(NotScorable) as info:
        check_scorable(old, now=sample.as_of)
    assert info.value.reason == "too_old"
    future = Lead(id="L-new", created_at=sample.as_of + timedelta(days=1))
    with pytest.raises(NotScorable) as info:
        check_scorable(future, now=sample.as_of)
    assert info.value.reason == "not_created_yet"
    check_scorable(Lead(id="L-ok", created_at=sample.as_of - timedelta(days=3)), now=sample.as_of)


def test_leakage_guard_flags_a_near_perfect_column_and_one_empty_for_open_leads() -> None:
    rng = np.random.default_rng(0)
    y = np.array([1] * 60 + [0] * 60)
    X = pd.DataFrame(
        {
            "honest": rng.normal(size=120) + 0.5 * y,
            "reason": np.where(y == 1, "Qualified", rng.choice(["Lost", "No budget"], 120)),
            "won_amount": np.where(rng.random(120) < 0.8, rng.normal(5, 1, 120), np.nan),
        }
    )
    X_open = pd.DataFrame(
        {"honest": [0.1, 0.2], "reason": [None, None], "won_amount": [None, None]}
    )
    with pytest.warns(LeakageWarning) as caught:
        findings = find_leakage(X, y, X_open=X_open)
    assert len(caught) == 2 and "exclude=['reason']" in str(caught[0].message)
    flagged = {f.column: f.reason for f in findings}
    assert set(flagged) == {"reason", "won_amount"}
    assert "almost perfectly" in flagged["reason"]
    assert "empty for all 2 open leads" in flagged["won_amount"]


def test_leakage_guard_stays_quiet_on_honest_data(sample: SampleData, source: MemorySource) -> None:
    ts = build_training_set(source, now=sample.as_of, months=24)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert find_leakage(ts.X, ts.y) == []


def test_train_from_crm_fits_reports_and_scores_open_leads(
    sample: SampleData, source: MemorySource
) -> None:
    trained = train_from_crm(source, now=sample.as_of, months=24)
    report = trained.report
    assert report.rows == len(trained.training.X)
    assert 0.6 < report.cv.roc_auc <= 1.0
    assert report.time_ordered is not None
    assert sum(g.leads for g in report.grades) == report.rows
    young_open = [
        lead
        for lead in sample.crm.leads
        if lead.status is LeadStatus.OPEN and (sample.as_of - lead.created_at).days < 700
    ]
    result = trained.scorer.score_lead(young_open[0], now=sample.as_of)
    assert result.lead_id == young_open[0].id
    assert 0 <= result.score <= 100


def test_lead_record_counts_only_activities_before_closing(sample: SampleData) -> None:
    from leadqual.sources import build_context

    source = MemorySource.from_snapshot(sample.crm)
    closed = [lead for lead in sample.crm.leads if not lead.is_open]
    for lead in closed[:20]:
        ctx = build_context(source, lead.id)
        rec = lead_record(lead, context=ctx)
        before = [a for a in ctx.activities if lead.closed_on and a.occurred_at <= lead.closed_on]
        assert rec["emails_in"] + rec["emails_out"] <= len(before)


def test_score_leads_scores_open_leads_and_says_why_others_were_not(
    sample: SampleData, source: MemorySource
) -> None:
    trained = train_from_crm(source, now=sample.as_of, months=24)
    leads = list(sample.crm.leads)
    frame = trained.scorer.score_leads(leads, now=sample.as_of)
    assert list(frame.index) == [lead.id for lead in leads]
    by_id = {lead.id: lead for lead in leads}
    for lead_id, row in frame.iterrows():
        lead = by_id[str(lead_id)]
        if not lead.is_open:
            assert row["not_scored"] == "closed" and pd.isna(row["score"])
        elif pd.isna(row["not_scored"]):
            single = trained.scorer.score_lead(lead, now=sample.as_of, explain=False)
            assert row["score"] == single.score
        else:
            assert row["not_scored"] == "too_old"
