"""Fitting does each piece of work once: every model fitted once, early stopping that stops on rows
it has not trained on, and validation that never splits copies of a row."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from leadqual.scoring import LeadScorer
from leadqual.scoring import scorer as scorer_module
from leadqual.scoring._fitting import group_folds, row_groups
from leadqual.scoring.features import _map_distinct


def _leads(n: int, seed: int = 5) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)
    source = rng.choice(["web", "event", "ad", "partner"], n)
    region = rng.choice(["north", "south", "east"], n)
    logit = size + (source == "event") - 0.5 * (region == "east")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"size": size, "source": source, "region": region}), y


def _copies(distinct: int, rows: int, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """``rows`` rows drawn with replacement from ``distinct`` ones: most rows have copies."""
    X, y = _leads(distinct, seed)
    idx = np.random.default_rng(seed).choice(distinct, rows, replace=True)
    return X.iloc[idx].reset_index(drop=True), y[idx]


def _row_keys(Z: np.ndarray) -> set[bytes]:
    return {np.ascontiguousarray(r).tobytes() for r in Z}


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, Any]]]:
    """Each model fit, by class: the rows it trained on and the early-stopping rows it got."""
    out: dict[str, list[dict[str, Any]]] = {"boosting": [], "linear": []}
    for name, cls in (("boosting", HistGradientBoostingClassifier), ("linear", LogisticRegression)):

        def fit(
            self: Any, X: Any, y: Any, *a: Any, _o: Any = cls.fit, _n: str = name, **kw: Any
        ) -> Any:
            record = {"X": np.asarray(X), "X_val": kw.get("X_val"), "model": self}
            out[_n].append(record)
            fitted = _o(self, X, y, *a, **kw)
            # the whole validation curve, before the scorer cuts the trees back
            record["scores"] = np.array(getattr(fitted, "validation_score_", []), copy=True)
            return fitted

        monkeypatch.setattr(cls, "fit", fit)
    return out


def test_early_stopping_stops_on_rows_that_share_no_copy_with_training(
    fits: dict[str, list[dict[str, Any]]],
) -> None:
    X, y = _copies(300, 3000)
    scorer = LeadScorer(model="boosting", n_jobs=1).fit(X, y)
    assert fits["boosting"], "no boosting fit"
    for f in fits["boosting"]:
        assert f["X_val"] is not None, "early stopping split rows itself (copies on both sides)"
        assert not _row_keys(f["X"]) & _row_keys(np.asarray(f["X_val"]))
        # it stopped, and kept the fewest trees whose validation loss is near its best
        model = f["model"]
        assert len(f["scores"]) - 1 < model.max_iter
        _assert_fewest_trees_near_best(f["scores"], model.n_iter_)
    assert 0 < scorer.n_trees_ < 400


def _assert_fewest_trees_near_best(curve: np.ndarray, kept: int) -> None:
    top = float(np.max(curve[1:]))
    near = curve >= top - scorer_module.TREES_LOSS_TOLERANCE * abs(top)
    assert kept >= 1 and near[kept], "the trees kept are not near the best validation loss"
    assert not near[1:kept].any(), "fewer trees were as near the best"


def test_boosting_keeps_no_tree_that_barely_moves_the_validation_loss(
    fits: dict[str, list[dict[str, Any]]],
) -> None:
    X, y = _leads(4000, seed=11)
    scorer = LeadScorer(model="boosting", n_jobs=1).fit(X, y)
    for f in fits["boosting"]:
        curve, model = f["scores"], f["model"]
        _assert_fewest_trees_near_best(curve, model.n_iter_)
        # the cut is real: the best validation score came later than the trees kept
        assert model.n_iter_ <= int(np.argmax(curve))
        assert len(model.validation_score_) == model.n_iter_ + 1
    # the final model (trained on the most rows) is the one scoring, with the trees it kept
    final = max(
        fits["boosting"], key=lambda f: len(f["X"]) + (0 if f["X_val"] is None else len(f["X_val"]))
    )["model"]
    assert scorer.n_trees_ == final.n_iter_
    assert scorer.model_.parts[0] is final


def test_without_copies_early_stopping_still_stops(fits: dict[str, list[dict[str, Any]]]) -> None:
    X, y = _leads(3000)
    LeadScorer(model="boosting", n_jobs=1).fit(X, y)
    assert all(f["model"].n_iter_ < f["model"].max_iter for f in fits["boosting"])


def test_auto_on_folds_fits_each_model_once(fits: dict[str, list[dict[str, Any]]]) -> None:
    X, y = _leads(700)
    scorer = LeadScorer(n_jobs=1).fit(X, y)
    assert set(scorer.validation_auc_) == {"linear", "boosting", "blend"}
    # 4 regularisations x 5 folds, the final linear part, Platt scaling; the blend and the
    # extrapolation guard reuse the fold's linear model
    assert len(fits["linear"]) == 4 * 5 + 1 + 1
    # 5 folds and the final model, whichever of boosting or the blend wins
    assert len(fits["boosting"]) == 5 + 1


def test_auto_on_a_held_out_quarter_fits_each_model_once(
    fits: dict[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scorer_module, "_LARGE", 500)
    X, y = _leads(700)
    LeadScorer(n_jobs=2).fit(X, y)
    assert len(fits["linear"]) == 4 + 1 + 1
    assert len(fits["boosting"]) == 1 + 1


@pytest.mark.parametrize(("extrapolation", "linear_fits"), [("linear", 5 + 1 + 1), ("trees", 1)])
def test_boosting_alone_fits_a_linear_model_only_for_its_guard(
    fits: dict[str, list[dict[str, Any]]], extrapolation: str, linear_fits: int
) -> None:
    X, y = _leads(700)
    LeadScorer(model="boosting", extrapolation=extrapolation, n_jobs=1).fit(X, y)
    assert len(fits["linear"]) == linear_fits
    assert len(fits["boosting"]) == 5 + 1


@pytest.mark.parametrize("large", [False, True])
def test_validation_never_splits_copies_of_a_row(
    monkeypatch: pytest.MonkeyPatch, large: bool
) -> None:
    if large:
        monkeypatch.setattr(scorer_module, "_LARGE", 500)
    X, y = _copies(200, 1500)
    scorer = LeadScorer(n_jobs=1).fit(X, y)
    Z = scorer._matrix(X)
    groups = row_groups(Z)
    assert groups is not None
    folds, _ = scorer._folds(y.astype(np.int64), X, groups)
    assert len(folds) == (1 if large else 5)
    for tr, te in folds:
        assert not set(groups[tr]) & set(groups[te])
        assert len(np.unique(y[te])) == 2


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=40),
    k=st.integers(2, 6),
    seed=st.integers(0, 10),
)
def test_group_folds_put_each_group_in_one_fold_and_balance_rows(
    sizes: list[int], k: int, seed: int
) -> None:
    groups = np.repeat(np.arange(len(sizes)), sizes)
    y = (np.random.default_rng(seed).random(len(sizes)) < 0.4).astype(np.int64)[groups]
    fold = group_folds(y, groups, k, seed)
    assert fold.min() >= 0 and fold.max() < k
    for g in range(len(sizes)):
        assert len(set(fold[groups == g])) == 1
    # each fold holds about 1/k of each outcome's rows (to within one group)
    for outcome in (0, 1):
        rows = int((y == outcome).sum())
        for i in range(k):
            got = int(((fold == i) & (y == outcome)).sum())
            assert abs(got - rows / k) <= max(sizes) + 1


def test_row_groups_match_identical_rows_only() -> None:
    Z = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [np.nan, 0.0], [np.nan, 0.0]])
    groups = row_groups(Z)
    assert groups is not None
    assert groups[0] == groups[1] and groups[3] == groups[4]
    assert len({groups[0], groups[2], groups[3]}) == 3
    assert row_groups(np.eye(4)) is None


def test_single_leads_and_batches_agree_with_categorical_splits() -> None:
    X, y = _leads(3000)
    scorer = LeadScorer(model="boosting", n_jobs=1).fit(X, y)
    tree = scorer.model_.parts[0]
    assert tree.is_categorical_.any(), "the trees did not get categorical columns"
    probe = pd.DataFrame(
        {
            "size": [0.3, -1.0, 2.5, np.nan, 0.0, 1.0],
            # a level never seen in training, a missing one, and known ones
            "source": ["event", "newsletter", None, "web", "ad", "partner"],
            "region": ["east", "north", "west", None, "south", "east"],
        }
    )
    batch = scorer.decision_function(pd.concat([probe] * 20, ignore_index=True))[:6]
    single = [scorer.decision_function(probe.iloc[[i]])[0] for i in range(len(probe))]
    np.testing.assert_allclose(single, batch, rtol=1e-9, atol=1e-12)
    records = probe.to_dict(orient="records")
    scores = [scorer.score_record(r, explain=False).probability for r in records]
    np.testing.assert_allclose(scores, scorer.predict_proba(probe)[:, 1], rtol=1e-9)


_VALUES = st.one_of(
    st.sampled_from(["web", " web", "web ", "", "  ", "Event"]),
    st.integers(-2, 2),
    st.floats(allow_nan=True, allow_infinity=False, width=16),
    st.booleans(),
    st.none(),
)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(_VALUES, max_size=30))
def test_keying_distinct_values_once_matches_keying_every_row(values: list[Any]) -> None:
    s = pd.Series(values, dtype=object)

    def key(v: Any) -> str:
        return "(missing)" if v is None or v != v else str(v).strip()

    assert list(_map_distinct(s, key)) == [key(v) for v in values]
