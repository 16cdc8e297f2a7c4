"""Model choice over validation folds: each fold's models judged on that fold's rows only.

With time-ordered folds the base rate moves from one period to the next. Pooling the folds'
out-of-fold scores into one ROC-AUC also ranks one period's leads against another's, so a model
whose score level happens to follow the base rate reads better than one that ranks the leads of
each period better, and is chosen although it loses on the next period.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from leadqual.scoring import LeadScorer
from leadqual.scoring.scorer import _fold_aucs, delong

KINDS = ["linear", "boosting", "blend"]
RATES = (0.05, 0.1, 0.2, 0.3, 0.45)


def _periods(
    seed: int, size: int = 400
) -> tuple[NDArray[np.int64], list[NDArray[np.int64]], dict[str, NDArray[np.float64]]]:
    """Five periods of rising base rate; ``linear`` ranks within a period better, ``boosting``
    ranks worse within each but its level follows the period's base rate."""
    rng = np.random.default_rng(seed)
    y = np.concatenate([(rng.random(size) < r).astype(np.int64) for r in RATES])
    tests = [np.arange(i * size, (i + 1) * size, dtype=np.int64) for i in range(len(RATES))]
    signal = y + rng.normal(0.0, 1.2, len(y))
    level = np.repeat([math.log(r / (1 - r)) for r in RATES], size)
    linear = signal
    boosting = signal + rng.normal(0.0, 1.5, len(y)) + 2.0 * level
    return y, tests, {"linear": linear, "boosting": boosting, "blend": (linear + boosting) / 2}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_model_that_only_follows_the_base_rate_is_not_chosen(seed: int) -> None:
    y, tests, oofs = _periods(seed)
    # the trap: pooled over the folds, the worse ranker leads by far more than its noise
    pooled, cov = delong(y, [oofs["linear"], oofs["boosting"]])
    se = math.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    assert pooled[1] > pooled[0] + 3 * se
    chosen, validation = LeadScorer._choose(KINDS, oofs, y, tests)
    assert chosen == "linear"
    assert validation["linear"] > validation["boosting"]
    per_fold = [roc_auc_score(y[te], oofs["linear"][te]) for te in tests]
    assert validation["linear"] == pytest.approx(float(np.mean(per_fold)))


def test_a_clear_lead_within_every_fold_still_wins() -> None:
    y, tests, oofs = _periods(3)
    rng = np.random.default_rng(3)
    oofs["boosting"] = y + rng.normal(0.0, 0.5, len(y))  # far better in every period
    chosen, _ = LeadScorer._choose(KINDS, oofs, y, tests)
    assert chosen == "boosting"


def test_a_lead_that_moves_from_fold_to_fold_is_noise() -> None:
    # boosting leads on average, but only through one fold: the spread between folds, not the
    # sampling error within them, is the noise that counts
    rng = np.random.default_rng(4)
    size = 2000
    y = rng.integers(0, 2, 5 * size).astype(np.int64)
    tests = [np.arange(i * size, (i + 1) * size, dtype=np.int64) for i in range(5)]
    linear = y + rng.normal(0.0, 1.2, len(y))
    boosting = linear.copy()
    boosting[tests[4]] = y[tests[4]] + rng.normal(0.0, 0.7, size)  # better in one period only
    boosting[tests[0]] = y[tests[0]] + rng.normal(0.0, 1.35, size)  # worse in another
    oofs = {"linear": linear, "boosting": boosting}
    aucs, se = _fold_aucs(y, [linear, boosting], tests)
    assert aucs[1] > aucs[0]
    chosen, _ = LeadScorer._choose(["linear", "boosting"], oofs, y, tests)
    assert chosen == "linear"
    # within-fold sampling error alone would have called the lead real
    within = []
    for te in tests:
        _, cov = delong(y[te], [linear[te], boosting[te]])
        within.append(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    assert aucs[1] - aucs[0] > math.sqrt(sum(within)) / len(tests)
    assert se[0, 1] >= aucs[1] - aucs[0]


@settings(max_examples=30, deadline=None)
@given(
    st.integers(min_value=0, max_value=10_000),
    st.lists(st.floats(min_value=-50, max_value=50), min_size=5, max_size=5),
)
def test_a_shift_of_one_folds_scores_changes_nothing(seed: int, shifts: list[float]) -> None:
    # a fold's models are fitted on other rows than another fold's: their score levels say
    # nothing about ranking, so moving one fold's scores up or down must not move the figures
    y, tests, oofs = _periods(seed, size=60)
    aucs, se = _fold_aucs(y, list(oofs.values()), tests)
    moved = oofs["boosting"].copy()
    for te, s in zip(tests, shifts, strict=True):
        moved[te] += s
    shifted = {**oofs, "boosting": moved}
    aucs2, se2 = _fold_aucs(y, list(shifted.values()), tests)
    np.testing.assert_allclose(aucs2, aucs, atol=1e-12)
    np.testing.assert_allclose(se2, se, atol=1e-12)
    assert (
        LeadScorer._choose(KINDS, shifted, y, tests)[0]
        == LeadScorer._choose(KINDS, oofs, y, tests)[0]
    )


def test_folds_with_one_outcome_or_one_lead_of_it_are_handled() -> None:
    rng = np.random.default_rng(5)
    y = np.r_[np.zeros(50), np.ones(1), np.zeros(49), rng.integers(0, 2, 100)].astype(np.int64)
    tests = [np.arange(0, 50), np.arange(50, 100), np.arange(100, 200)]
    a = y + rng.normal(0.0, 1.0, 200)
    b = y + rng.normal(0.0, 1.0, 200)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aucs, se = _fold_aucs(y, [a, b], tests)
    # the first fold (no qualified lead) is left out; the second has a single one
    expected = np.mean([roc_auc_score(y[te], a[te]) for te in tests[1:]])
    assert aucs[0] == pytest.approx(expected)
    assert np.all(np.isfinite(se)) and np.all(se >= 0)


def test_time_validation_reports_the_mean_of_the_folds() -> None:
    # end to end: validation_auc_ is the mean over the time-ordered folds of each fold's AUC
    rng = np.random.default_rng(6)
    n = 900
    x = rng.normal(size=n)
    region = rng.choice(["north", "south", "east"], n)
    rate = np.linspace(-2.5, 0.0, n)  # the base rate rises with time
    y = (rng.random(n) < 1 / (1 + np.exp(-(rate + 1.2 * x)))).astype(int)
    X = pd.DataFrame(
        {
            "x": x,
            "region": region,
            "created": pd.date_range("2024-01-01", periods=n, freq="D").astype(str),
        }
    )
    scorer = LeadScorer(validation="time", time_column="created", model="linear", cv=3)
    scorer.fit(X, y)
    folds = scorer._folds(y, X)[0]
    assert len(folds) >= 2
    per_fold = [
        roc_auc_score(y[te], scorer.fold_models_[i].raw(scorer._matrix(X.iloc[te])))
        for i, (_, te) in enumerate(folds)
    ]
    assert scorer.validation_auc_["linear"] == pytest.approx(float(np.mean(per_fold)))
