"""Fitting never nests thread pools: folds run in parallel, the models' native code on one thread."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info, threadpool_limits

from leadqual.errors import ConfigurationError
from leadqual.scoring import LeadScorer
from leadqual.scoring import scorer as scorer_module


def _data(n: int = 700) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(5)
    size = rng.normal(size=n)
    source = rng.choice(["web", "event"], n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(size + (source == "event"))))).astype(int)
    return pd.DataFrame({"size": size, "source": source}), y


def _threads() -> dict[str, int]:
    return {i["user_api"]: i["num_threads"] for i in threadpool_info()}


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, dict[str, int]]]:
    """Each model fit's thread and the native thread pools' sizes it ran with."""
    out: list[tuple[int, dict[str, int]]] = []
    for cls in (HistGradientBoostingClassifier, LogisticRegression):

        def fit(self: Any, *args: Any, _orig: Any = cls.fit, **kwargs: Any) -> Any:
            out.append((threading.get_ident(), _threads()))
            return _orig(self, *args, **kwargs)

        monkeypatch.setattr(cls, "fit", fit)
    return out


def test_every_model_fit_runs_its_native_code_on_one_thread(
    seen: list[tuple[int, dict[str, int]]],
) -> None:
    before = _threads()
    X, y = _data()
    LeadScorer(model="blend", n_jobs=2).fit(X, y)
    assert len(seen) > 10
    assert all(n == 1 for _, pools in seen for n in pools.values()), seen
    # the folds ran side by side, in threads of their own
    assert len({ident for ident, _ in seen}) >= 2
    # and the caller's thread pools are as they were
    assert _threads() == before


def test_folds_one_after_another_or_in_parallel_give_the_same_model() -> None:
    X, y = _data()
    one = LeadScorer(model="blend", n_jobs=1).fit(X, y)
    two = LeadScorer(model="blend", n_jobs=2).fit(X, y)
    assert one.validation_auc_ == two.validation_auc_
    assert np.array_equal(one.predict_proba(X), two.predict_proba(X))


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2", True])
def test_n_jobs_must_be_a_nonzero_integer(n_jobs: object) -> None:
    X, y = _data(60)
    with pytest.raises(ConfigurationError, match="n_jobs"):
        LeadScorer(n_jobs=n_jobs).fit(X, y)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["linear", "blend"])
def test_a_batch_is_scored_on_one_blas_thread_and_the_pools_are_left_as_they_were(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = _data()
    scorer = LeadScorer(model=kind, cv=3, n_jobs=1).fit(X, y)
    during: list[dict[str, int]] = []
    inner = scorer_module._Model._raw_flagged

    def spy(self: Any, Z: np.ndarray) -> Any:
        during.append(_threads())
        return inner(self, Z)

    monkeypatch.setattr(scorer_module._Model, "_raw_flagged", spy)
    before = _threads()
    with threadpool_limits(limits=2, user_api="blas"):
        outside = _threads()
        big = scorer.predict_proba(X)
        assert _threads() == outside  # restored, whatever it was
        scorer.score_record(X.iloc[0].to_dict(), explain=False)
    assert _threads() == before
    assert during[0].get("blas") == 1  # the batch (700 rows)
    assert during[-1] == outside  # one lead: no pool touched
    # the same scores as the single-lead path, which touches no pool
    one = [scorer.score_record(r, explain=False).probability for r in X.iloc[:5].to_dict("records")]
    np.testing.assert_allclose(big[:5, 1], one, rtol=1e-9)
