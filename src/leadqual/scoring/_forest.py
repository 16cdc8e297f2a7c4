"""A fitted HistGradientBoosting model compiled to flat arrays for fast small-batch prediction.

scikit-learn's own predict spins up its thread pool on every call (about 1 ms even for one row);
scoring one lead, or one lead and its 20 "what if this attribute were typical" variants, needs a few
dozen tree walks that numpy does in tens of microseconds. Large batches still go through
scikit-learn, which is faster there. The compiled arrays are checked against scikit-learn's own
predictions when built, so a change in scikit-learn's internals fails loudly, not silently.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CompiledForest"]


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
        offset = 0
        depth = 0
        for p in predictors:
            nodes = p.nodes
            if np.any(nodes["is_categorical"][~nodes["is_leaf"].astype(bool)]):
                raise ValueError("categorical splits are not supported by the compiled path")
            n = len(nodes)
            idx = np.arange(n, dtype=np.int64) + offset
            leaf = nodes["is_leaf"].astype(bool)
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
            idx = np.where(go_left, self.left[idx], self.right[idx])
        out: NDArray[np.float64] = self.value[idx].sum(axis=1) + self.baseline
        return out
