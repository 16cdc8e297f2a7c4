"""Awkward inputs and settings: far-future dates, arrays for tables, the same lead twice, and batch
scores that must equal single ones."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.models import LeadStatus
from leadqual.scoring import (
    ColdStartScorer,
    LeadFeaturizer,
    LeadScorer,
    build_training_set,
    check_drift,
    evaluate,
    external_score,
    handover,
    population_stability,
    train_from_crm,
)
from leadqual.sources import MemorySource, build_context, load_sample_data


def _frame(n: int = 120) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "source": rng.choice(["web", "ad", "event"], n),
            "employees": rng.integers(1, 1000, n).astype(float),
            "created": pd.date_range("2025-01-01", periods=n, freq="D", tz="UTC"),
        }
    )
    y = ((X["source"] == "event").to_numpy() ^ (rng.random(n) < 0.2)).astype(int)
    return X, y


def test_placeholder_dates_beyond_2262_do_not_crash_fit_or_predict() -> None:
    X, y = _frame()
    created = X["created"].astype(str).tolist()
    created[0] = "9999-12-31"  # a CRM's "no date" placeholder
    Xp = X.assign(created=created)
    scorer = LeadScorer(features=["source", "created"]).fit(Xp, y)
    p = scorer.predict_proba(Xp.iloc[:3])[:, 1]
    assert np.isfinite(p).all()
    one = scorer.score_record(Xp.iloc[0].to_dict(), explain=False).probability
    assert one == pytest.approx(p[0], abs=1e-9)


def test_placeholder_dates_keep_month_and_weekday_in_both_paths() -> None:
    X = pd.DataFrame({"d": ["9999-12-31", "2025-03-05", "2025-06-11", None] * 10})
    f = LeadFeaturizer(date_parts=True).fit(X)
    batch = f.transform(X.iloc[:1])[0]
    assert np.allclose(batch, f.transform_record({"d": "9999-12-31"}))
    names = f.get_feature_names_out().tolist()
    assert batch[names.index("d: month=12")] == 1.0


def test_a_column_of_python_dates_is_a_datetime() -> None:
    X, _ = _frame()
    Xd = X.assign(created=[ts.date() for ts in X["created"]])
    f = LeadFeaturizer().fit(Xd)
    decision = next(d for d in f.decisions_ if d.column == "created")
    assert (decision.kind, decision.kept) == ("datetime", True)
    assert np.allclose(f.transform(Xd.iloc[:1])[0], f.transform_record({**Xd.iloc[0].to_dict()}))
    assert np.allclose(
        f.transform_record({"created": date(2025, 2, 1)}),
        f.transform_record({"created": datetime(2025, 2, 1, tzinfo=UTC)}),
    )


def test_refitting_on_an_array_forgets_the_old_feature_names() -> None:
    X, y = _frame()
    scorer = LeadScorer().fit(X, y)
    scorer.fit(X[["employees"]].to_numpy(), y)
    assert not hasattr(scorer, "feature_names_in_")


@pytest.mark.parametrize(
    "estimator", [LeadScorer(), LeadFeaturizer(), ColdStartScorer(group=None)], ids=type
)
def test_fitted_state_follows_the_scikit_learn_naming_contract(estimator: object) -> None:
    X, y = _frame()
    estimator.fit(X, y)  # type: ignore[attr-defined]
    params = set(estimator.get_params())  # type: ignore[attr-defined]
    odd = [k for k in vars(estimator) if k not in params and not k.endswith("_")]
    assert odd == []


def test_training_rows_are_ordered_oldest_outcome_first() -> None:
    sample = load_sample_data()
    ts = build_training_set(MemorySource.from_snapshot(sample.crm), now=sample.as_of, months=24)
    assert list(ts.closed_at) == sorted(ts.closed_at)
    assert len(ts.closed_at) == len(ts.X)


def test_a_record_that_is_not_a_mapping_is_a_clear_error() -> None:
    X, y = _frame()
    scorer = LeadScorer().fit(X, y)
    with pytest.raises(ValidationFailed, match="mapping") as info:
        scorer.score_record(["web", 10.0])  # type: ignore[arg-type]
    assert info.value.field == "record"


def test_cold_start_contributions_accept_an_array() -> None:
    X, y = _frame()
    arr = X[["source", "employees"]].to_numpy()
    model = ColdStartScorer(group=None).fit(arr, y)
    contrib = model.contributions(arr[:4])
    assert contrib.shape == (4, 2)


def test_drift_against_no_current_leads_is_an_error_not_a_major_shift() -> None:
    with pytest.raises(ValidationFailed, match="no values"):
        population_stability([1, 2, 3] * 10, [])
    X, y = _frame()
    scorer = LeadScorer().fit(X, y)
    with pytest.raises(ValidationFailed, match="X_current"):
        check_drift(scorer, X, X.iloc[:0])


@pytest.mark.parametrize(
    ("params", "name"),
    [({"grades": "ABCD"}, "grades"), ({"cv": "5"}, "cv"), ({"cv": 1}, "cv")],
)
def test_bad_scorer_settings_are_named_at_fit(params: dict[str, object], name: str) -> None:
    X, y = _frame()
    with pytest.raises(ConfigurationError, match=name):
        LeadScorer(**params).fit(X, y)  # type: ignore[arg-type]


def test_batch_lead_scores_use_activity_counts_like_single_scores() -> None:
    sample = load_sample_data()
    source = MemorySource.from_snapshot(sample.crm)
    trained = train_from_crm(
        source, now=sample.as_of, months=24, with_activities=True, leakage_check=False
    )
    open_leads = [
        lead
        for lead in source.leads(status=LeadStatus.OPEN)
        if (sample.as_of - lead.created_at).days < 700
    ][:15]
    contexts = {lead.id: build_context(source, lead.id) for lead in open_leads}
    batch = trained.scorer.score_leads(open_leads, now=sample.as_of, contexts=contexts)
    for lead in open_leads:
        one = trained.scorer.score_lead(lead, now=sample.as_of, context=contexts[lead.id])
        assert batch.loc[lead.id, "probability"] == pytest.approx(one.probability, abs=1e-9)


def test_the_same_lead_twice_in_a_batch_is_a_clear_error() -> None:
    sample = load_sample_data()
    source = MemorySource.from_snapshot(sample.crm)
    trained = train_from_crm(source, now=sample.as_of, months=24, leakage_check=False)
    lead = next(iter(source.leads(status=LeadStatus.OPEN)))
    with pytest.raises(ValidationFailed, match=lead.id) as info:
        trained.scorer.score_leads([lead, lead], now=sample.as_of)
    assert info.value.field == "leads"


def test_evaluate_and_handover_accept_arrays_like_the_estimators_do() -> None:
    X, y = _frame(80)
    arr = X[["source", "employees"]].to_numpy()
    assert evaluate(LeadScorer(), arr, y, cv=3).rows == 80
    assert handover(arr, y, cv=3).chosen in ("cold_start", "main")


def test_an_outside_probability_out_of_range_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed, match="probability"):
        external_score(float("nan"))


_ODD_VALUES = st.sampled_from(
    [None, pd.NA, float("nan"), "", "  web ", "web", "zzz", 3, 3.0, "7", True, np.int64(4)]
)
_ODD_DATES = st.sampled_from(
    [
        None,
        pd.NaT,
        "2025-02-01",
        "2025-02-01T23:30:00-05:00",
        date(2025, 3, 1),
        datetime(2025, 3, 1, 12),
        pd.Timestamp("2025-03-01 12:00", tz="Asia/Tokyo"),
        "9999-12-31",
        "not a date",
    ]
)


@settings(max_examples=30, deadline=None)
@given(source=_ODD_VALUES, employees=_ODD_VALUES, created=_ODD_DATES)
def test_single_lead_scores_equal_batch_scores_for_odd_values(
    boosted: LeadScorer, source: object, employees: object, created: object
) -> None:
    record = {"source": source, "employees": employees, "created": created}
    # 70 rows: past the compiled small-batch path, through scikit-learn's own predict
    batch = boosted.predict_proba(pd.DataFrame([record] * 70, dtype=object))[0, 1]
    assert boosted.score_record(record, explain=False).probability == pytest.approx(batch, abs=1e-9)


@pytest.fixture(scope="module")
def boosted() -> LeadScorer:
    X, y = _frame(300)
    return LeadScorer(model="boosting", cv=3).fit(X, y)


def test_an_excluded_column_does_not_move_the_reference_time() -> None:
    X, _ = _frame()
    X["closed"] = X["created"] + pd.Timedelta(days=400)
    f = LeadFeaturizer(exclude=["closed"]).fit(X)
    assert f.reference_time_ == X["created"].max().to_pydatetime()


def test_batch_scores_without_the_activity_counts_a_model_uses_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sample = load_sample_data()
    source = MemorySource.from_snapshot(sample.crm)
    ts = build_training_set(source, now=sample.as_of, months=24)
    X = ts.X.assign(emails_in=np.arange(len(ts.X)) % 7)
    scorer = LeadScorer(features=["industry", "emails_in"]).fit(X, ts.y)
    leads = list(source.leads(status=LeadStatus.OPEN))[:5]
    with caplog.at_level("WARNING", logger="leadqual.scoring.scorer"):
        scorer.score_leads(leads, now=sample.as_of)
    assert "scored as missing: ['emails_in']" in caplog.text
