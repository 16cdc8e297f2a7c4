"""Fitting and evaluating a scorer report progress, and a stop half way changes nothing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from leadqual.errors import ConfigurationError, NotFittedError
from leadqual.scoring import LeadScorer, evaluate


def leads(n: int, seed: int = 0) -> tuple[pd.DataFrame, NDArray[np.int64]]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "employees": rng.integers(1, 5000, n),
            "source": rng.choice(["web", "ad", "event", "referral"], n),
            "created": pd.date_range("2025-01-01", periods=n, freq="h"),
        }
    )
    y = ((X["employees"] / 5000 + rng.normal(0, 0.3, n) + (X["source"] == "event")) > 0.8).astype(
        int
    )
    return X, y.to_numpy()


SMALL = leads(120)
LARGE = leads(700, seed=1)

CASES = {
    "auto, small: linear only": ({"n_jobs": 1}, SMALL),
    "auto, large: linear, boosting and blend compared": ({"n_jobs": 1}, LARGE),
    "boosting": ({"model": "boosting", "n_jobs": 1}, SMALL),
    "blend": ({"model": "blend", "n_jobs": 1}, SMALL),
    "time-ordered validation": (
        {"validation": "time", "time_column": "created", "n_jobs": 1},
        SMALL,
    ),
    "a custom estimator": ({"estimator": LogisticRegression(max_iter=500)}, SMALL),
    "no usable attribute": (
        {"n_jobs": 1},
        (pd.DataFrame({"id": [f"L-{i}" for i in range(120)]}), SMALL[1]),
    ),
    "too few of an outcome to validate": ({}, (SMALL[0].iloc[:20], np.r_[1, [0] * 19])),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_reports_each_stage_and_ends_at_its_total(progress_log: Any, case: str) -> None:
    params, (X, y) = CASES[case]
    log = progress_log()
    reporting = LeadScorer(**params).fit(X, y, progress=log)
    total = log.check()
    assert total >= 3
    assert log.reports[0][2] == "preparing attributes"
    assert log.reports[-1][2] == f"ready: the {reporting.model_kind_} model"
    # the reports change nothing: the same model as without them
    silent = LeadScorer(**params).fit(X, y)
    assert silent.model_kind_ == reporting.model_kind_
    np.testing.assert_array_equal(silent.predict_proba(X), reporting.predict_proba(X))


def test_fit_reports_each_model_it_compares(progress_log: Any) -> None:
    log = progress_log()
    LeadScorer(n_jobs=1).fit(*LARGE, progress=log)
    labels = [label for _, _, label in log.reports]
    assert [x for x in labels if x.startswith("validated the linear")] == [
        f"validated the linear model (C={c:g})" for c in (0.03, 0.1, 0.3, 1.0)
    ]
    assert "validated the boosting model" in labels
    assert log.dones == list(range(len(labels)))  # one step each: nothing skipped


def _state(scorer: LeadScorer) -> dict[str, Any]:
    return dict(vars(scorer))


@pytest.mark.parametrize("stop_at", range(1, 9))
def test_a_fit_stopped_at_any_report_leaves_a_fitted_scorer_as_it_was(
    progress_log: Any, stop_reporting: type[Exception], stop_at: int
) -> None:
    X, y = SMALL
    scorer = LeadScorer(n_jobs=1).fit(X, y)
    before, proba = _state(scorer), scorer.predict_proba(X)
    other_X, other_y = leads(150, seed=7)
    other_X = other_X.assign(extra=np.arange(150))
    log = progress_log(stop_at=stop_at)
    with pytest.raises(stop_reporting):
        scorer.fit(other_X, other_y, progress=log)
    assert len(log.reports) == stop_at  # nothing reported after the stop
    after = _state(scorer)
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)  # the very same objects, none replaced
    np.testing.assert_array_equal(scorer.predict_proba(X), proba)


@pytest.mark.parametrize("stop_at", [1, 2, 5, 6, 7, 8, 9])
def test_a_fit_stopped_at_any_report_leaves_a_new_scorer_unfitted(
    progress_log: Any, stop_reporting: type[Exception], stop_at: int
) -> None:
    scorer = LeadScorer(n_jobs=1)
    before = _state(scorer)
    with pytest.raises(stop_reporting):
        scorer.fit(*LARGE, progress=progress_log(stop_at=stop_at))
    assert _state(scorer) == before
    with pytest.raises(NotFittedError):
        scorer.predict_proba(LARGE[0])


def test_a_fit_that_fails_half_way_leaves_no_half_fitted_scorer() -> None:
    class Exploding(LogisticRegression):  # type: ignore[misc]
        def fit(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the estimator failed")

    scorer = LeadScorer(estimator=Exploding())
    with pytest.raises(RuntimeError, match="estimator failed"):
        scorer.fit(*SMALL)
    assert not hasattr(scorer, "featurizer_")
    assert not hasattr(scorer, "classes_")


@pytest.mark.parametrize("progress", [True, "tqdm", 3])
def test_a_progress_that_cannot_be_called_is_refused_before_the_fit(progress: Any) -> None:
    scorer = LeadScorer()
    with pytest.raises(ConfigurationError, match="progress must be a callable"):
        scorer.fit(*SMALL, progress=progress)
    assert not hasattr(scorer, "classes_")


@pytest.mark.parametrize("with_times", [False, True])
def test_evaluate_reports_each_fold_and_ends_at_its_total(
    progress_log: Any, with_times: bool
) -> None:
    X, y = SMALL
    log = progress_log()
    report = evaluate(
        LeadScorer(n_jobs=1), X, y, cv=4, times=X["created"] if with_times else None, progress=log
    )
    assert log.check() == 4 + with_times + 1
    assert [label for _, _, label in log.reports[1:5]] == [f"fold {i} of 4" for i in range(1, 5)]
    silent = evaluate(LeadScorer(n_jobs=1), X, y, cv=4, times=X["created"] if with_times else None)
    assert report == silent


@pytest.mark.parametrize("stop_at", range(1, 8))
def test_evaluate_stopped_at_any_report_leaves_the_scorer_unfitted(
    progress_log: Any, stop_reporting: type[Exception], stop_at: int
) -> None:
    X, y = SMALL
    scorer = LeadScorer(n_jobs=1)
    with pytest.raises(stop_reporting):
        evaluate(scorer, X, y, times=X["created"], progress=progress_log(stop_at=stop_at))
    assert not hasattr(scorer, "model_")
