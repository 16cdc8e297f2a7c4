"""Large batches are scored by leaf tables instead of walking the trees: the same log-odds as
scikit-learn's own prediction for every input a tree can meet (values on a threshold, missing,
infinite, unseen or out-of-range categories), and a fall back where no tables exist."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier

from leadqual.scoring import LeadScorer
from leadqual.scoring import _forest as forest_module
from leadqual.scoring._forest import CompiledForest
from leadqual.scoring.scorer import _COMPILED_MAX_ROWS


def _model(seed: int, **params: Any) -> tuple[HistGradientBoostingClassifier, np.ndarray]:
    """Boosting on two categorical columns (first, as the scorer lays them out) and three
    numeric ones, with missing values in training so that they have a side of their own."""
    rng = np.random.default_rng(seed)
    n = 3000
    X = np.column_stack(
        [
            rng.integers(0, 6, n).astype(float),
            rng.integers(0, 3, n).astype(float),
            rng.normal(size=n),
            rng.integers(0, 40, n).astype(float),
            rng.exponential(size=n),
        ]
    )
    X[rng.random((n, 5)) < 0.05] = np.nan
    logit = (X[:, 0] == 2) * 1.0 - (X[:, 1] == 1) + np.nan_to_num(X[:, 2]) + (X[:, 3] > 20) * 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    options: dict[str, Any] = {
        "max_iter": 60,
        "max_leaf_nodes": 15,
        "learning_rate": 0.2,
        "categorical_features": np.array([True, True, False, False, False]),
        "random_state": seed,
    }
    options.update(params)
    return HistGradientBoostingClassifier(**options).fit(X, y), X


@cache
def _fitted() -> list[tuple[HistGradientBoostingClassifier, np.ndarray, CompiledForest]]:
    return [(m, X, CompiledForest(m, check=X[:50])) for m, X in map(_model, (0, 1))]


def _sklearn(model: HistGradientBoostingClassifier, Z: np.ndarray) -> np.ndarray:
    return np.ravel(model._raw_predict(Z, n_threads=1))


def _thresholds(forest: CompiledForest, column: int) -> list[float]:
    inner = (forest.left != np.arange(len(forest.left))) & (forest.feature == column)
    return sorted(set(forest.threshold[inner].tolist()))


def _cells(forest: CompiledForest, column: int) -> st.SearchStrategy[float]:
    """Values worth trying in a column: exactly on a threshold the trees use, anything, and
    the edge cases (missing, infinite, negative or unseen categories)."""
    if column < 2:
        # scikit-learn refuses an infinite category; missing, negative, unseen and beyond 255
        # all go where missing values go
        edge = st.sampled_from([np.nan, -1.0, 6.0, 7.0, 255.0, 256.0, 1e9])
        return st.one_of(st.integers(0, 5).map(float), edge)
    on = _thresholds(forest, column)
    return st.one_of(
        st.sampled_from(on) if on else st.just(0.0),
        st.floats(-50, 50, allow_nan=False),
        st.sampled_from([np.nan, np.inf, -np.inf, 1e300, -1e300]),
    )


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_leaf_tables_give_scikit_learns_log_odds_for_any_input(data: st.DataObject) -> None:
    model, _, forest = data.draw(st.sampled_from(_fitted()))
    rows = data.draw(st.integers(1, 40))
    Z = np.array(
        [[data.draw(_cells(forest, j)) for j in range(5)] for _ in range(rows)], dtype=np.float64
    )
    ours = forest.raw_batch(Z)
    np.testing.assert_allclose(ours, _sklearn(model, Z), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours, forest.raw(Z), rtol=1e-9, atol=1e-12)


def test_a_value_on_a_threshold_goes_left_and_just_above_goes_right() -> None:
    model, X, forest = _fitted()[0]
    for column in (2, 3, 4):
        for t in _thresholds(forest, column)[:10]:
            Z = np.repeat(X[:1], 2, axis=0)
            Z[:, column] = [t, np.nextafter(t, np.inf)]
            np.testing.assert_allclose(forest.raw_batch(Z), _sklearn(model, Z), rtol=1e-9)


def test_a_fractional_category_reads_as_its_whole_part_on_both_fast_paths() -> None:
    _, X, forest = _fitted()[1]
    Z = np.tile(X[:3], (2, 1))
    Z[:3, 0] = [0.5, 2.7, 4.2]
    Z[3:, 0] = [0.0, 2.0, 4.0]
    np.testing.assert_allclose(forest.raw_batch(Z), forest.raw(Z))
    np.testing.assert_allclose(forest.raw_batch(Z[:3]), forest.raw_batch(Z[3:]))


def test_a_batch_larger_than_one_working_set_is_scored_in_parts_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model, X, forest = _fitted()[0]
    whole = forest.raw_batch(X[:500])
    monkeypatch.setattr(forest_module, "_BATCH_ROWS", 7)  # 500 rows: 72 parts, the last of 3
    np.testing.assert_allclose(forest.raw_batch(X[:500]), whole, rtol=1e-12)
    np.testing.assert_allclose(whole, _sklearn(model, X[:500]), rtol=1e-9)


def test_trees_that_are_one_leaf_add_their_value() -> None:
    # no split can keep 40,000 rows on each side of 3,000: every tree is its root
    model, X = _model(2, min_samples_leaf=40_000, max_iter=5, early_stopping=False)
    forest = CompiledForest(model, check=X[:50])
    assert all(len(p[0].nodes) == 1 for p in model._predictors)
    np.testing.assert_allclose(forest.raw_batch(X), _sklearn(model, X), rtol=1e-9)


def test_trees_of_more_than_sixteen_leaves_have_no_tables() -> None:
    model, X = _model(3, max_leaf_nodes=40, max_iter=5)
    forest = CompiledForest(model, check=X[:50])
    assert max(len(p[0].nodes) for p in model._predictors) > 31
    assert not forest.has_tables
    with pytest.raises(ValueError, match="no leaf tables"):
        forest.raw_batch(X)
    np.testing.assert_allclose(forest.raw(X[:30]), _sklearn(model, X[:30]), rtol=1e-9)


def _leads(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    size = rng.lognormal(3, 1, n)
    source = rng.choice(["web", "event", "ad", "partner", "referral"], n)
    region = rng.choice(["north", "south", "east", "west"], n)
    score = rng.normal(size=n)
    logit = 0.5 * np.log(size) - 1.5 + (source == "event") - (region == "east") + score
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame({"size": size, "source": source, "region": region, "score": score})
    X.loc[rng.random(n) < 0.05, "size"] = np.nan
    return X, y


@pytest.fixture(scope="module")
def scorers() -> dict[str, LeadScorer]:
    X, y = _leads(3000, 8)
    return {kind: LeadScorer(model=kind, n_jobs=1).fit(X, y) for kind in ("boosting", "blend")}


def _hostile_batch(n: int) -> pd.DataFrame:
    X, _ = _leads(n, 99)
    X.loc[::7, "source"] = "never seen"
    X.loc[::11, "region"] = None
    X.loc[::13, "size"] = 1e7  # far past the training range: the linear guard takes over
    X.loc[::17, "score"] = np.nan
    return X


@pytest.mark.parametrize("kind", ["boosting", "blend"])
def test_a_batch_scores_as_its_rows_do_one_by_one(
    scorers: dict[str, LeadScorer], kind: str
) -> None:
    scorer = scorers[kind]
    X = _hostile_batch(500)
    assert len(X) > _COMPILED_MAX_ROWS  # the leaf tables score this batch
    batch = scorer.predict_proba(X)[:, 1]
    one_by_one = np.concatenate([scorer.predict_proba(X.iloc[[i]])[:, 1] for i in range(len(X))])
    np.testing.assert_allclose(batch, one_by_one, rtol=1e-9, atol=1e-12)
    frame = scorer.score_frame(X)
    records = [scorer.score_record(r, explain=False) for r in X.to_dict(orient="records")]
    assert frame["score"].tolist() == [r.score for r in records]
    assert frame["extrapolated"].tolist() == [r.extrapolated for r in records]


@pytest.mark.parametrize("kind", ["boosting", "blend"])
def test_a_model_without_leaf_tables_scores_batches_through_scikit_learn(
    scorers: dict[str, LeadScorer], kind: str
) -> None:
    # a forest read from a file written before the tables existed has none of their arrays
    scorer = scorers[kind]
    X = _hostile_batch(400)
    expected = scorer.predict_proba(X)
    forest = next(c for c in scorer.model_.compiled if isinstance(c, CompiledForest))
    added = [k for k in vars(forest) if k.startswith(("bin_", "table", "leaf_value"))]
    assert len(added) == 10
    saved = {k: getattr(forest, k) for k in added}
    try:
        for k in saved:
            delattr(forest, k)
        assert not forest.has_tables
        np.testing.assert_allclose(scorer.predict_proba(X), expected, rtol=1e-9, atol=1e-12)
    finally:
        for k, v in saved.items():
            setattr(forest, k, v)


def test_only_the_model_that_scores_batches_carries_leaf_tables(
    scorers: dict[str, LeadScorer],
) -> None:
    scorer = scorers["boosting"]
    final = [c for c in scorer.model_.compiled if isinstance(c, CompiledForest)]
    folds = [c for m in scorer.fold_models_ for c in m.compiled if isinstance(c, CompiledForest)]
    assert final and all(f.has_tables for f in final)
    assert folds and not any(f.has_tables for f in folds)
    # the folds' forests still give each lead its band
    lead = _hostile_batch(3).to_dict(orient="records")[0]
    band = scorer.score_record(lead, band=True).band
    assert band is not None and band[0] <= band[1]


@pytest.mark.parametrize("few_edges", [0, 10**6])
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_both_ways_of_binning_and_an_odd_tree_of_sixteen_leaves_give_scikit_learns_log_odds(
    few_edges: int, seed: int
) -> None:
    # an odd number of trees (the last has no partner to be looked up with), trees of 16 leaves
    # (every leaf code used), and every attribute binned by counting (10**6) or by binary search
    model, X = _sixteen_leaves()
    forest = CompiledForest(model)
    rng = np.random.default_rng(seed)
    Z = X[rng.choice(len(X), 300)]
    # values exactly on the thresholds, just above them, and missing or infinite
    for column in (2, 3, 4):
        on = np.asarray(_thresholds(forest, column))
        if len(on):
            Z[:100, column] = rng.choice(on, 100)
            Z[100:150, column] = np.nextafter(rng.choice(on, 50), np.inf)
        Z[150:160, column] = rng.choice([np.nan, np.inf, -np.inf], 10)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(forest_module, "_FEW_EDGES", few_edges)
        np.testing.assert_allclose(forest.raw_batch(Z), _sklearn(model, Z), rtol=1e-9, atol=1e-12)


@cache
def _sixteen_leaves() -> tuple[HistGradientBoostingClassifier, np.ndarray]:
    model, X = _model(4, max_leaf_nodes=16, max_iter=41, early_stopping=False, min_samples_leaf=5)
    assert model.n_iter_ == 41
    assert max(int(p[0].nodes["is_leaf"].sum()) for p in model._predictors) == 16
    return model, X
