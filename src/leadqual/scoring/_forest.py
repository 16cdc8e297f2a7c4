"""A fitted HistGradientBoosting model compiled to flat arrays for fast small-batch prediction.

scikit-learn's own predict spins up its thread pool on every call (about 1 ms even for one row);
scoring one lead, or one lead and its 20 "what if this attribute were typical" variants, needs a few
dozen tree walks that numpy does in tens of microseconds. Large batches still go through
scikit-learn, which is faster there. The compiled arrays are checked against scikit-learn's own
predictions when built, so a change in scikit-learn's internals fails loudly, not silently.

A categorical split (scikit-learn's native categorical support) becomes one row of a lookup table:
for each category 0-255, whether a row of it goes left. Categories the split's bitset names go left,
other categories seen in training go right, and unseen ones (or missing, or negative) go where
missing values go, as scikit-learn's own predictor decides.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CompiledForest"]

_CATEGORIES = 256
"""Categories a native categorical split can name (scikit-learn's bitsets hold 8 x 32 bits)."""


def _category_codes(model: Any) -> NDArray[np.int64]:
    """For each feature and each input category 0-255, the category as the trees number it
    (-1: unseen in training; non-categorical features: all -1).

    scikit-learn passes categorical input through an ordinal encoder that renumbers the categories
    seen in training and moves the categorical columns first; the compiled path reads its input
    as given, so it accepts only a model whose categorical columns already come first.
    """
    n_features = int(model.n_features_in_)
    out = np.full((n_features, _CATEGORIES), -1, dtype=np.int64)
    pre = getattr(model, "_preprocessor", None)
    is_cat = np.asarray(model.is_categorical_, dtype=bool)
    if pre is None:
        out[is_cat] = np.arange(_CATEGORIES)
        return out
    first = np.flatnonzero(is_cat)
    if not np.array_equal(first, np.arange(len(first))):
        raise ValueError("the categorical columns must come first for the compiled path")
    encoder = pre.named_transformers_["encoder"]
    for f, seen in enumerate(encoder.categories_):
        for j, value in enumerate(np.asarray(seen, dtype=np.float64)):
            if np.isfinite(value) and 0 <= value < _CATEGORIES and value == int(value):
                out[f, int(value)] = j
    return out


class CompiledForest:
    """Flat-array copy of a binary ``HistGradientBoostingClassifier``'s trees."""

    def __init__(self, model: Any, check: NDArray[np.float64] | None = None) -> None:
        predictors = [it[0] for it in model._predictors]
        feats: list[NDArray[np.int64]] = []
        thr: list[NDArray[np.float64]] = []
        left: list[NDArray[np.int64]] = []
        right: list[NDArray[np.int64]] = []
        miss_left: list[NDArray[np.bool_]] = []
        value: list[NDArray[np.float64]] = []
        roots: list[int] = []
        cat_row: list[NDArray[np.int64]] = []
        # row 0 of the table is never read: numeric nodes point there
        tables: list[NDArray[np.bool_]] = [np.zeros((1, _CATEGORIES), dtype=bool)]
        n_tables = 1
        known = f_idx = None
        code_of: NDArray[np.int64] | None = None
        if any(np.any(p.nodes["is_categorical"]) for p in predictors):
            known, f_idx = model._bin_mapper.make_known_categories_bitsets()
            code_of = _category_codes(model)
        offset = 0
        depth = 0
        for p in predictors:
            nodes = p.nodes
            n = len(nodes)
            idx = np.arange(n, dtype=np.int64) + offset
            leaf = nodes["is_leaf"].astype(bool)
            cat = nodes["is_categorical"].astype(bool) & ~leaf
            rows = np.zeros(n, dtype=np.int64)
            if cat.any():
                assert known is not None and f_idx is not None and code_of is not None
                feature = nodes["feature_idx"][cat].astype(np.int64)
                # each row's category as the trees see it (scikit-learn renumbers the ones seen
                # in training); -1: never seen, which goes where missing values go
                code = code_of[feature]
                valid = code >= 0
                c = np.where(valid, code, 0)
                rows_of = np.arange(len(feature))[:, None]
                word, bit = c // 32, (c % 32).astype(np.uint32)
                left_bits = p.raw_left_cat_bitsets[nodes["bitset_idx"][cat]]
                go_left = ((left_bits[rows_of, word] >> bit) & 1).astype(bool)
                known_bits = known[f_idx[feature]]
                seen = ((known_bits[rows_of, word] >> bit) & 1).astype(bool)
                missing_left = nodes["missing_go_to_left"][cat].astype(bool)[:, None]
                by_code = go_left | (~seen & missing_left)
                tables.append(np.where(valid, by_code, missing_left))
                rows[cat] = np.arange(int(cat.sum())) + n_tables
                n_tables += int(cat.sum())
            cat_row.append(rows)
            lft = np.where(leaf, idx, nodes["left"].astype(np.int64) + offset)
            rgt = np.where(leaf, idx, nodes["right"].astype(np.int64) + offset)
            feats.append(np.where(leaf, 0, nodes["feature_idx"]).astype(np.int64))
            thr.append(np.where(leaf, np.inf, nodes["num_threshold"]).astype(np.float64))
            miss_left.append(np.where(leaf, True, nodes["missing_go_to_left"].astype(bool)))
            left.append(lft)
            right.append(rgt)
            value.append(np.where(leaf, nodes["value"], 0.0).astype(np.float64))
            roots.append(offset)
            depth = max(depth, int(nodes["depth"].max()))
            offset += n
        self.feature = np.concatenate(feats) if feats else np.zeros(1, np.int64)
        self.threshold = np.concatenate(thr) if thr else np.full(1, np.inf)
        self.left = np.concatenate(left) if left else np.zeros(1, np.int64)
        self.right = np.concatenate(right) if right else np.zeros(1, np.int64)
        self.missing_left = np.concatenate(miss_left) if miss_left else np.ones(1, bool)
        self.value = np.concatenate(value) if value else np.zeros(1)
        self.category_row = np.concatenate(cat_row) if cat_row else np.zeros(1, np.int64)
        self.category_left = np.concatenate(tables)
        self.categorical = bool(n_tables > 1)
        self.roots = np.asarray(roots, dtype=np.int64)
        self.depth = depth
        self.baseline = float(np.ravel(model._baseline_prediction)[0])
        if check is not None and len(check):
            ours = self.raw(check)
            theirs = np.ravel(model._raw_predict(check))
            if not np.allclose(ours, theirs, rtol=1e-7, atol=1e-9):
                raise ValueError("compiled forest disagrees with scikit-learn; internals changed")

    def raw(self, Z: NDArray[np.float64]) -> NDArray[np.float64]:
        """Raw log-odds for each row of ``Z``."""
        n = Z.shape[0]
        if not len(self.roots):
            return np.full(n, self.baseline)
        idx = np.broadcast_to(self.roots, (n, len(self.roots))).copy()
        rows = np.arange(n)[:, None]
        for _ in range(self.depth):
            x = Z[rows, self.feature[idx]]
            go_left = np.where(np.isnan(x), self.missing_left[idx], x <= self.threshold[idx])
            if getattr(self, "categorical", False):  # files written before categorical splits
                table = self.category_row[idx]
                split = table > 0
                if split.any():
                    bad = np.isnan(x) | (x < 0) | (x >= _CATEGORIES)
                    code = np.where(bad, 0, x).astype(np.int64)
                    by_table = np.where(
                        bad, self.missing_left[idx], self.category_left[table, code]
                    )
                    go_left = np.where(split, by_table, go_left)
            idx = np.where(go_left, self.left[idx], self.right[idx])
        out: NDArray[np.float64] = self.value[idx].sum(axis=1) + self.baseline
        return out
