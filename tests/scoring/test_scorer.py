"""LeadScorer: model choice, calibration, explanations, the fast path and the lead-level API."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score

from leadqual.errors import ConfigurationError, NotFittedError
from leadqual.scoring import GradeScheme, LeadScorer

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "scoring" / "bank_sample.csv"


@pytest.fixture(scope="module")
def bank() -> tuple[pd.DataFrame, np.ndarray]:
    df = pd.read_csv(FIXTURE, sep=";")
    y = (df.pop("y") == "yes").astype(int).to_numpy()
    return df.drop(columns=["duration"]), y


def _synthetic(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    source = rng.choice(["web", "event", "cold"], n, p=[0.5, 0.25, 0.25])
    size = rng.lognormal(5, 1.5, n)
    senior = rng.random(n) < 0.4
    logit = 1.2 * (source == "event") - 1.0 * (source == "cold") + 0.5 * np.log(size) - 2.5 + senior
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame(
        {
            "source": source,
            "employees": np.where(rng.random(n) < 0.1, np.nan, size),
            "senior": senior,
            "noise": rng.normal(size=n),
        }
    )
    return X, y


@pytest.fixture(scope="module")
def by_kind(bank: tuple[pd.DataFrame, np.ndarray]) -> dict[str, LeadScorer]:
    X, y = bank
    return {
        kind: LeadScorer(model=kind, cv=3).fit(X, y) for kind in ("linear", "boosting", "blend")
    }


@pytest.fixture(scope="module")
def fitted() -> tuple[LeadScorer, pd.DataFrame, np.ndarray]:
    X, y = _synthetic()
    return LeadScorer().fit(X, y), X, y


def test_scorer_learns_signal_from_mixed_attributes(
    fitted: tuple[LeadScorer, pd.DataFrame, np.ndarray],
) -> None:
    scorer, _, _ = fitted
    X_test, y_test = _synthetic(400, seed=1)
    auc = roc_auc_score(y_test, scorer.predict_proba(X_test)[:, 1])
    assert auc > 0.7


def test_scorer_uses_the_linear_model_on_small_data(
    fitted: tuple[LeadScorer, pd.DataFrame, np.ndarray],
) -> None:
    scorer, _, _ = fitted
    assert scorer.model_kind_ == "linear"
    assert set(scorer.validation_auc_) == {"linear"}


def test_scorer_compares_models_on_larger_data(bank: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = bank
    big_X = pd.concat([X, X], ignore_index=True)  # 1,600 rows, ~180 positives: past the threshold
    big_y = np.concatenate([y, y])
    scorer = LeadScorer(cv=2).fit(big_X, big_y)
    assert set(scorer.validation_auc_) == {"linear", "boosting", "blend"}
    auc = scorer.validation_auc_
    best = max(auc, key=auc.__getitem__)
    # the simplest model within one standard error of the best: never a worse, more complex one
    order = ["linear", "boosting", "blend"]
    assert order.index(scorer.model_kind_) <= order.index(best)
    assert auc[scorer.model_kind_] >= auc[best] - 0.03


@pytest.mark.parametrize("kind", ["linear", "boosting", "blend"])
def test_fast_single_lead_path_matches_predict_proba(
    bank: tuple[pd.DataFrame, np.ndarray], by_kind: dict[str, LeadScorer], kind: str
) -> None:
    X, _ = bank
    scorer = by_kind[kind]
    batch = scorer.predict_proba(X.iloc[:20])[:, 1]
    for i, record in enumerate(X.iloc[:20].to_dict(orient="records")):
        result = scorer.score_record(record, explain=False)
        assert result.probability == pytest.approx(batch[i], abs=1e-9)


@pytest.mark.parametrize("kind", ["linear", "boosting"])
def test_factors_agree_with_the_batch_explanation(
    bank: tuple[pd.DataFrame, np.ndarray], by_kind: dict[str, LeadScorer], kind: str
) -> None:
    X, _ = bank
    scorer = by_kind[kind]
    effects = scorer.explain(X.iloc[:5])
    for i, record in enumerate(X.iloc[:5].to_dict(orient="records")):
        result = scorer.score_record(record, explain=100)
        for f in (*result.factors_up, *result.factors_down):
            assert f.effect == pytest.approx(effects.iloc[i][f.column], abs=1e-3)


def test_linear_effects_add_up_to_the_log_odds_against_the_typical_lead(
    fitted: tuple[LeadScorer, pd.DataFrame, np.ndarray],
) -> None:
    scorer, X, _ = fitted
    effects = scorer.explain(X.iloc[:30]).sum(axis=1).to_numpy()
    logits = scorer.decision_function(X.iloc[:30])
    typical = pd.DataFrame([scorer.featurizer_.typical_values()])
    typical_logit = scorer.decision_function(typical[X.columns])[0]
    assert np.allclose(effects, logits - typical_logit, atol=1e-9)


def test_factors_point_the_right_way(fitted: tuple[LeadScorer, pd.DataFrame, np.ndarray]) -> None:
    scorer, _, _ = fitted
    good = scorer.score_record({"source": "event", "employees": 5000, "senior": True})
    bad = scorer.score_record({"source": "cold", "employees": 3, "senior": False})
    assert good.score > bad.score
    assert "source" in [f.column for f in good.factors_up]
    assert "source" in [f.column for f in bad.factors_down]
    assert all(f.effect > 0 and f.points > 0 for f in good.factors_up)
    assert all(f.effect < 0 and f.points < 0 for f in bad.factors_down)
    assert len(good.factors_up) <= 5 and len(good.factors_down) <= 5


def test_what_if_suggests_a_value_that_raises_the_score(
    fitted: tuple[LeadScorer, pd.DataFrame, np.ndarray],
) -> None:
    scorer, _, _ = fitted
    record = {"source": "cold", "employees": 3, "senior": False}
    result = scorer.score_record(record, what_if=True)
    assert result.what_if
    best = result.what_if[0]
    changed = dict(record)
    changed[best.column] = {"event": "event", "web": "web", "True": True}.get(
        best.suggested,
        float(best.suggested.replace(",", "")) if best.column == "employees" else best.suggested,
    )
    assert scorer.score_record(changed, explain=False).score == best.new_score
    assert best.gain == best.new_score - result.score > 0


def test_band_brackets_the_score(fitted: tuple[LeadScorer, pd.DataFrame, np.ndarray]) -> None:
    scorer, X, _ = fitted
    for record in X.iloc[:10].to_dict(orient="records"):
        result = scorer.score_record(record, band=True)
        assert result.band is not None
        assert result.band[0] <= result.score <= result.band[1]


def test_trend_compares_with_the_previous_score(
    fitted: tuple[LeadScorer, pd.DataFrame, np.ndarray],
) -> None:
    scorer, _, _ = fitted
    record = {"source": "event", "employees": 800, "senior": True}
    first = scorer.score_record(record)
    assert first.trend == "new" and first.change is None
    up = scorer.score_record(record, previous_score=first.score - 10)
    assert (up.trend, up.change) == ("up", 10)
    steady = scorer.score_record(record, previous_score=first.score + 1)
    assert steady.trend == "steady"


def test_custom_grades_are_used(fitted: tuple[LeadScorer, pd.DataFrame, np.ndarray]) -> None:
    _, X, y = fitted
    scheme = GradeScheme(labels=("Hot", "Warm", "Cold"), cutoffs=(60, 30))
    scorer = LeadScorer(grades=scheme).fit(X, y)
    frame = scorer.score_frame(X.iloc[:50])
    assert set(frame["grade"]) <= {"Hot", "Warm", "Cold"}
    assert list(frame.columns) == ["probability", "score", "grade", "extrapolated"]
    assert (frame["score"] == np.rint(frame["probability"] * 100)).all()


def test_calibrated_probabilities_match_the_base_rate(
    bank: tuple[pd.DataFrame, np.ndarray],
) -> None:
    X, y = bank
    scorer = LeadScorer(model="linear").fit(X, y)
    assert scorer.predict_proba(X)[:, 1].mean() == pytest.approx(y.mean(), abs=0.03)


def test_bring_your_own_model_is_calibrated_and_explained(
    fitted: tuple[LeadScorer, pd.DataFrame, np.ndarray],
) -> None:
    _, X, y = fitted
    scorer = LeadScorer(
        estimator=RandomForestClassifier(n_estimators=30, min_samples_leaf=5, random_state=0)
    ).fit(X, y)
    assert scorer.model_kind_ == "custom"
    # Platt scaling on out-of-fold scores was fitted, and it changes the forest's own probabilities
    assert scorer.calibration_ != (1.0, 0.0) and scorer.calibration_[0] > 0
    raw = scorer.set_params(calibrate=False).fit(X, y)
    calibrated = LeadScorer(estimator=raw.estimator).fit(X, y)
    assert not np.allclose(calibrated.predict_proba(X), raw.predict_proba(X))
    result = calibrated.score_record({"source": "event", "employees": 5000, "senior": True})
    assert result.factors_up or result.factors_down


def test_clone_and_params_round_trip() -> None:
    scorer = LeadScorer(model="boosting", exclude=("noise",), min_frequency=3)
    twin = clone(scorer)
    assert twin.get_params() == scorer.get_params()
    twin.set_params(model="linear")
    assert twin.model == "linear" and scorer.model == "boosting"


def test_scorer_refuses_bad_settings_and_labels() -> None:
    X, y = _synthetic(60)
    with pytest.raises(ConfigurationError, match="model must be"):
        LeadScorer(model="magic").fit(X, y)
    with pytest.raises(ValueError, match="two classes"):
        LeadScorer().fit(X, np.ones(len(y)))


def test_scoring_before_fit_is_a_clear_error() -> None:
    with pytest.raises(NotFittedError):
        LeadScorer().score_record({"source": "web"})


def test_scorer_without_usable_attributes_predicts_the_base_rate() -> None:
    X = pd.DataFrame({"lead_id": [f"L{i}" for i in range(50)]})
    y = np.array([1] * 10 + [0] * 40)
    scorer = LeadScorer().fit(X, y)
    assert scorer.predict_proba(X)[:, 1] == pytest.approx(0.2, abs=0.05)
    assert scorer.score_record({"lead_id": "L-new"}).factors_up == ()


@settings(max_examples=30, deadline=None)
@given(
    source=st.sampled_from(["web", "event", "cold", "never seen", None]),
    employees=st.one_of(st.none(), st.floats(min_value=0, max_value=1e9, allow_nan=False)),
    senior=st.one_of(st.none(), st.booleans()),
)
def test_any_record_gets_a_valid_score(
    fitted: tuple[LeadScorer, pd.DataFrame, np.ndarray],
    source: str | None,
    employees: float | None,
    senior: bool | None,
) -> None:
    scorer, _, _ = fitted
    result = scorer.score_record({"source": source, "employees": employees, "senior": senior})
    assert 0 <= result.score <= 100
    assert math.isclose(result.score, round(result.probability * 100))
    assert result.grade == scorer.grade_scheme.grade(result.score)


def test_time_validation_always_tests_on_newer_rows() -> None:
    X, y = _synthetic(300)
    X = X.assign(created=pd.date_range("2025-01-01", periods=300, freq="D", tz="UTC")[::-1])
    scorer = LeadScorer(model="linear", validation="time", time_column="created")
    scorer.set_params()  # plain parameters: nothing is computed before fit
    scorer.fit(X, y)
    folds, covered = scorer._folds((y == 1).astype(np.int64), X)
    assert len(folds) >= 2
    created = X["created"].to_numpy()
    for train, test in folds:
        assert created[train].max() < created[test].min()
    assert not covered.all()  # the oldest rows are only ever trained on
    assert scorer.fold_models_ and set(scorer.validation_auc_) == {"linear"}


def test_time_validation_skips_early_folds_with_too_few_of_an_outcome(
    bank: tuple[pd.DataFrame, np.ndarray],
) -> None:
    X, y = bank
    order = np.argsort(y, kind="stable")  # every positive at the end: early prefixes have none
    scorer = LeadScorer(model="blend", validation="time", cv=3).fit(X.iloc[order], y[order])
    assert 0 < scorer.predict_proba(X.iloc[:5])[:, 1].max() < 1


def test_time_validation_needs_a_real_column() -> None:
    X, y = _synthetic(60)
    with pytest.raises(ConfigurationError, match="time_column 'when'"):
        LeadScorer(validation="time", time_column="when").fit(X, y)
    with pytest.raises(ConfigurationError, match="validation must be"):
        LeadScorer(validation="sometimes").fit(X, y)


@pytest.mark.parametrize("validation", ["random", "time"])
def test_large_tables_validate_on_one_held_out_quarter(
    monkeypatch: pytest.MonkeyPatch, validation: str
) -> None:
    import leadqual.scoring.scorer as scorer_module

    monkeypatch.setattr(scorer_module, "_LARGE", 200)
    X, y = _synthetic(400)
    scorer = LeadScorer(model="linear", validation=validation).fit(X, y)
    folds, covered = scorer._folds((y == 1).astype(np.int64), X)
    assert len(folds) == 1 and covered.sum() == 100
    train, test = folds[0]
    if validation == "time":
        assert train.max() < test.min()
    assert len(scorer.fold_models_) == 1
    assert scorer.calibration_ != (1.0, 0.0)


def test_scorer_ages_dates_per_row_with_as_of_column() -> None:
    # qualification depends on how old the lead was when it was decided, not on the calendar
    rng = np.random.default_rng(7)
    n = 600
    decided = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 600, n), "D")
    age = rng.integers(1, 120, n)
    created = decided - pd.to_timedelta(age, "D")
    y = (rng.random(n) < np.where(age < 30, 0.7, 0.2)).astype(int)
    X = pd.DataFrame({"created": created, "decided": decided})
    per_row = LeadScorer(model="linear", as_of_column="decided").fit(X, y)
    fixed = LeadScorer(model="linear", exclude=["decided"]).fit(X, y)
    assert "decided" not in per_row.featurizer_.block_columns_
    now = pd.Timestamp("2026-12-01", tz="UTC")
    fresh = {"created": now - pd.Timedelta(days=5), "decided": now}
    stale = {"created": now - pd.Timedelta(days=100), "decided": now}
    # per-row ages separate a fresh lead from a stale one scored today
    assert per_row.score_record(fresh).score > per_row.score_record(stale).score + 20
    assert roc_auc_score(y, per_row.predict_proba(X)[:, 1]) > roc_auc_score(
        y, fixed.predict_proba(X)[:, 1]
    )


def test_as_of_column_factors_show_the_typical_date_at_the_leads_own_as_of_time() -> None:
    # the effect compares the lead's age with the typical age at its own as-of time; the typical
    # date shown beside it must be that one, not the typical age at the training reference (which
    # could even fall after the lead was scored)
    rng = np.random.default_rng(7)
    n = 300
    decided = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 600, n), "D")
    age = rng.integers(1, 120, n)
    y = (rng.random(n) < np.where(age < 30, 0.7, 0.2)).astype(int)
    X = pd.DataFrame({"created": decided - pd.to_timedelta(age, "D"), "decided": decided})
    scorer = LeadScorer(model="linear", as_of_column="decided").fit(X, y)
    median_age = float(np.median(age))
    now = pd.Timestamp("2025-03-01", tz="UTC")  # long before the latest decision in training
    result = scorer.score_record({"created": now - pd.Timedelta(days=100), "decided": now})
    (factor,) = [f for f in result.factors_up + result.factors_down if f.column == "created"]
    expected = (now - pd.Timedelta(days=median_age)).date().isoformat()
    assert factor.typical == expected
