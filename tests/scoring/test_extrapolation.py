"""The extrapolation guard and the one-standard-error model choice (DeLong)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from leadqual.errors import ConfigurationError
from leadqual.scoring import LeadScorer, check_drift
from leadqual.scoring.drift import EXTRAPOLATED_RETRAIN_SHARE
from leadqual.scoring.scorer import delong


def _trend(n: int, lo: float, hi: float, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Qualification rises with ``spend`` along one logistic trend; ``region`` adds a step."""
    rng = np.random.default_rng(seed)
    spend = rng.uniform(lo, hi, n)
    region = rng.choice(["north", "south"], n)
    logit = 0.8 * (spend - 5.0) + 0.7 * (region == "north")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"spend": spend, "region": region}), y


@pytest.fixture(scope="module")
def trained() -> dict[str, LeadScorer]:
    X, y = _trend(3000, 0.0, 5.0, seed=1)
    return {
        mode: LeadScorer(model="boosting", extrapolation=mode, cv=3).fit(X, y)
        for mode in ("linear", "trees")
    }


def test_leads_beyond_the_training_range_follow_the_linear_trend(
    trained: dict[str, LeadScorer],
) -> None:
    # every lead spends more than any lead in training
    X, y = _trend(2000, 5.5, 9.0, seed=2)
    guarded = trained["linear"].score_frame(X)
    flat = trained["trees"].score_frame(X)
    assert guarded["extrapolated"].all()
    assert not flat["extrapolated"].any()
    # trees repeat the edge: spend no longer ranks these leads; the guard keeps the trend
    spend_rank = roc_auc_score((X["spend"] > 7.25).astype(int), guarded["probability"])
    assert spend_rank > 0.9
    assert roc_auc_score(y, guarded["probability"]) > roc_auc_score(y, flat["probability"]) + 0.05


def test_leads_inside_the_range_are_scored_by_the_trees(trained: dict[str, LeadScorer]) -> None:
    X, _ = _trend(500, 0.5, 4.5, seed=3)
    guarded = trained["linear"].score_frame(X)
    flat = trained["trees"].score_frame(X)
    assert not guarded["extrapolated"].any()
    scorer = trained["linear"]
    Z = scorer._matrix(X)
    # inside the range the guard leaves the trees' log-odds untouched...
    np.testing.assert_array_equal(scorer.model_.raw(Z), scorer.model_._raw(Z))
    # ...so the ranking is the unguarded model's (calibration may differ slightly: its
    # out-of-fold scores include validation leads past their fold's range)
    assert np.array_equal(
        np.argsort(guarded["probability"].to_numpy(), kind="stable"),
        np.argsort(flat["probability"].to_numpy(), kind="stable"),
    )


def test_scores_are_continuous_across_the_edge(trained: dict[str, LeadScorer]) -> None:
    scorer = trained["linear"]
    guard = scorer.model_.guard
    assert guard is not None
    col = scorer.guarded_columns_.index("spend")
    plan = scorer.featurizer_.plans_[scorer.featurizer_.block_columns_.index("spend")]
    edge = guard.hi[col] * plan.scale + plan.center  # type: ignore[attr-defined]
    at = scorer.score_record({"spend": edge, "region": "north"}, explain=False)
    just_past = scorer.score_record({"spend": edge + 1e-3, "region": "north"}, explain=False)
    far_past = scorer.score_record({"spend": edge + 3.0, "region": "north"}, explain=False)
    assert abs(just_past.probability - at.probability) < 1e-3  # no jump at the edge
    assert not just_past.extrapolated and far_past.extrapolated
    assert far_past.probability > at.probability + 0.05  # the trend continues
    # nor where the lead starts to count as extrapolated
    cross = edge + 0.1 / guard.weight[col] * plan.scale  # type: ignore[attr-defined]
    below = scorer.score_record({"spend": cross - 1e-3, "region": "north"}, explain=False)
    above = scorer.score_record({"spend": cross + 1e-3, "region": "north"}, explain=False)
    assert not below.extrapolated and above.extrapolated
    assert abs(above.probability - below.probability) < 1e-3


def test_single_lead_path_reports_extrapolation(trained: dict[str, LeadScorer]) -> None:
    scorer = trained["linear"]
    far = scorer.score_record({"spend": 12.0, "region": "south"})
    near = scorer.score_record({"spend": 3.0, "region": "south"})
    edge = scorer.score_record({"spend": 5.0, "region": "south"})
    assert far.extrapolated and not near.extrapolated
    assert far.score > edge.score  # trees alone would give both the edge's score
    # batch and single-lead paths agree
    frame = scorer.score_frame(pd.DataFrame([{"spend": 12.0, "region": "south"}]))
    assert frame["score"].iloc[0] == far.score
    assert bool(frame["extrapolated"].iloc[0])


def test_guard_ignores_attributes_the_linear_model_does_not_weigh() -> None:
    rng = np.random.default_rng(4)
    X, y = _trend(2000, 0.0, 10.0, seed=4)
    X["noise"] = rng.normal(0, 1, len(X))
    scorer = LeadScorer(model="boosting", cv=3).fit(X, y)
    assert scorer.guarded_columns_ == ("spend", "noise")
    lead = {"spend": 5.0, "region": "north", "noise": 1.05 * float(X["noise"].max())}
    assert not scorer.score_record(lead).extrapolated


def test_linear_models_and_dates_are_never_guarded() -> None:
    X, y = _trend(600, 0.0, 5.0, seed=5)
    X["created"] = pd.date_range("2026-01-01", periods=len(X), freq="h", tz="UTC")
    scorer = LeadScorer(model="linear").fit(X, y)
    assert scorer.guarded_columns_ == ("spend",)
    assert scorer.model_.guard is None
    assert not scorer.score_record({"spend": 50.0, "region": "north"}).extrapolated


def test_extrapolation_must_be_a_known_mode() -> None:
    X, y = _trend(100, 0.0, 5.0, seed=6)
    with pytest.raises(ConfigurationError, match="extrapolation"):
        LeadScorer(extrapolation="quadratic").fit(X, y)


def test_score_leads_marks_unscored_leads_as_unknown_extrapolation() -> None:
    frame = pd.DataFrame({"extrapolated": [True, None]}).astype("boolean")
    assert frame["extrapolated"].isna().tolist() == [False, True]


# -- DeLong and the one-standard-error rule ------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=5, max_value=200),
    st.booleans(),
)
def test_delong_auc_equals_scikit_learn(seed: int, n: int, ties: bool) -> None:
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(n // 2 + 1), np.zeros(n - n // 2 + 1)].astype(np.int64)
    a = rng.normal(size=len(y)) + y
    b = np.round(a * 2) / 2 if ties else rng.normal(size=len(y))
    aucs, cov = delong(y, [a, b])
    assert aucs[0] == pytest.approx(roc_auc_score(y, a))
    assert aucs[1] == pytest.approx(roc_auc_score(y, b))
    assert cov.shape == (2, 2)
    assert np.all(np.diag(cov) >= -1e-12)
    assert cov[0, 1] == pytest.approx(cov[1, 0])


def test_delong_standard_error_matches_the_bootstrap() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 600)
    a = y + rng.normal(0, 1, 600)
    b = a + rng.normal(0, 1, 600)
    _, cov = delong(y, [a, b])
    se = float(np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]))
    boot = []
    for _ in range(800):
        i = rng.integers(0, 600, 600)
        boot.append(roc_auc_score(y[i], a[i]) - roc_auc_score(y[i], b[i]))
    assert se == pytest.approx(float(np.std(boot)), rel=0.15)


def test_choice_prefers_the_simpler_model_within_one_standard_error() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400).astype(np.int64)
    signal = y + rng.normal(0, 1.2, 400)
    tests = [np.arange(400)]
    oofs = {
        "linear": signal,
        "boosting": signal + rng.normal(0, 0.05, 400),  # a hair better or worse: noise
        "blend": signal + rng.normal(0, 0.05, 400),
    }
    chosen, auc = LeadScorer._choose(["linear", "boosting", "blend"], oofs, y, tests)
    assert chosen == "linear"
    assert auc == {k: pytest.approx(roc_auc_score(y, v)) for k, v in oofs.items()}
    # a clearly better model wins even though it is more complex
    oofs["boosting"] = y + rng.normal(0, 0.6, 400)
    assert LeadScorer._choose(["linear", "boosting", "blend"], oofs, y, tests)[0] == "boosting"


def test_a_lead_far_beyond_the_range_is_scored_not_crashed(
    trained: dict[str, LeadScorer],
) -> None:
    # the guard hands such a lead to the linear trend, whose log-odds (about -800 here) once
    # overflowed math.exp in the explanation
    scorer = trained["linear"]
    low = scorer.score_record({"spend": -1000.0, "region": "south"})
    high = scorer.score_record({"spend": 1000.0, "region": "north"}, what_if=True)
    assert low.extrapolated and high.extrapolated
    assert (low.score, high.score) == (0, 100)
    frame = scorer.score_frame(pd.DataFrame({"spend": [-1000.0, 1000.0], "region": "south"}))
    assert frame["score"].tolist() == [0, 100]


def test_drift_check_recommends_retraining_when_leads_outgrow_the_training_range(
    trained: dict[str, LeadScorer],
) -> None:
    scorer = trained["linear"]
    X_train, _ = _trend(600, 0.0, 5.0, seed=7)
    inside, _ = _trend(400, 0.0, 5.0, seed=8)
    calm = check_drift(scorer, X_train, inside)
    assert calm.extrapolated_share == 0.0
    # a fifth of today's leads spend more than any lead in training: the spend PSI alone stays
    # moderate, the extrapolation share is what calls for a retrain
    grown = inside.copy()
    grown.loc[grown.index[:80], "spend"] = 7.5
    report = check_drift(scorer, X_train, grown)
    assert report.extrapolated_share == pytest.approx(0.2)
    assert report.retrain is True
    assert "beyond the training range" in report.reason
    assert report.extrapolated_share >= EXTRAPOLATED_RETRAIN_SHARE
