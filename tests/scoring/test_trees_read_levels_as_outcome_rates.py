"""The trees read each categorical attribute as one number per level: the level's smoothed outcome
rate in the rows those trees are fitted on, and in no other rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.scoring import LeadScorer
from leadqual.scoring._fitting import RATE_PRIOR_LEADS, TreeLayout, group_folds
from leadqual.scoring.features import LeadFeaturizer


def _layout(X: pd.DataFrame, y: np.ndarray) -> tuple[LeadFeaturizer, np.ndarray, TreeLayout]:
    fz = LeadFeaturizer(min_frequency=1).fit(X)
    Z = fz.transform(X)
    return fz, Z, TreeLayout(fz, Z, y)


def _value(fz: LeadFeaturizer, layout: TreeLayout, column: str, level: str) -> float:
    z = fz.transform_record({column: level})[None, :]
    j = fz.block_columns_.index(column)
    return float(layout.column(z, j)[0])


def test_levels_are_ordered_by_their_shrunk_rate_and_an_unseen_one_reads_as_the_overall_rate() -> (
    None
):
    # a: 500 leads, 90% qualified; b: 5 leads, all qualified; c: 300 leads, 10%; d: 200, 40%
    counts = {"a": (500, 450), "b": (5, 5), "c": (300, 30), "d": (200, 80)}
    levels, y = [], []
    for level, (n, pos) in counts.items():
        levels += [level] * n
        y += [1] * pos + [0] * (n - pos)
    X, yy = pd.DataFrame({"source": levels}), np.asarray(y)
    fz, _, layout = _layout(X, yy)
    v = {lvl: _value(fz, layout, "source", lvl) for lvl in counts}
    # five leads all qualified rank high, but below 450 of 500: shrunk towards the overall rate
    assert v["c"] < v["d"] < v["b"] < v["a"]
    prior = (yy.sum() + 0.5) / (len(yy) + 1)
    rate_b = (5 + RATE_PRIOR_LEADS * prior) / (5 + RATE_PRIOR_LEADS)
    expected = np.log(rate_b / (1 - rate_b)) - np.log(prior / (1 - prior))
    assert abs(v["b"] - expected) < 1e-9
    # a level no training row had (and no rare level to fall into): exactly the overall rate
    assert _value(fz, layout, "source", "never seen") == 0.0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["web", "ad", "event", None]), min_size=8, max_size=60),
    st.integers(0, 2**16),
)
def test_the_compact_matrix_and_its_columns_agree(sources: list[str | None], seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = len(sources)
    X = pd.DataFrame(
        {
            "source": sources,
            "size": rng.normal(size=n),
            "region": rng.choice(["n", "s"], n),
        }
    )
    y = (rng.random(n) < 0.5).astype(np.int64)
    _, Z, layout = _layout(X, y)
    full = layout.compact(Z)
    assert full.shape[1] == len(layout.blocks) + len(layout.passthrough)
    assert not layout.categorical.any()
    for j in range(full.shape[1]):
        np.testing.assert_array_equal(full[:, j], layout.column(Z, j))
    assert np.isfinite(full).all()


def test_a_validation_fold_is_not_judged_by_trees_that_saw_its_outcomes() -> None:
    # 60 campaigns of 20 leads each, outcomes a coin toss: the campaign says nothing. Rates
    # learnt from every row would let each fold's trees rank its own leads by their outcomes
    # (validation ROC-AUC about 0.6 with this data); learnt from the fold's training rows, the
    # trees have nothing to go on
    for seed in range(3):
        rng = np.random.default_rng(seed)
        X = pd.DataFrame({"campaign": np.repeat([f"c{i}" for i in range(60)], 20)})
        y = (rng.random(len(X)) < 0.5).astype(int)
        scorer = LeadScorer(model="boosting", cv=3).fit(X, y)
        assert scorer.validation_auc_["boosting"] < 0.56


def test_the_rates_come_from_the_rows_the_trees_fit_not_the_rows_that_stop_them() -> None:
    rng = np.random.default_rng(4)
    n = 2000
    X = pd.DataFrame({"source": rng.choice(["web", "ad", "event", "fair"], n)})
    y = (rng.random(n) < np.where(X["source"] == "event", 0.6, 0.3)).astype(np.int64)
    scorer = LeadScorer(model="boosting").fit(X, y)
    Z = scorer._matrix(X)
    rows = np.arange(0, n, 2)
    tree, layout = scorer._fit_trees(Z, y, rows, None)
    assert tree.n_iter_ >= 1
    # the early-stopping tenth, as the fit drew it, is left out of the rates
    val = group_folds(y[rows], np.arange(len(rows)), 10, scorer.random_state) == 0
    fitted_on = rows[~val]
    expected = TreeLayout(scorer.featurizer_, Z[fitted_on], y[fitted_on])
    np.testing.assert_array_equal(layout.level_values, expected.level_values)
    # and outcomes outside the fit's rows change nothing
    other = y.copy()
    other[1::2] = 1 - other[1::2]
    _, again = scorer._fit_trees(Z, other, rows, None)
    np.testing.assert_array_equal(again.level_values, layout.level_values)
