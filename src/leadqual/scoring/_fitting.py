"""Fitting helpers for the lead scorer: copies of a row kept together, and a compact tree input.

*Copies of a row.* A table of leads may hold the same row several times (a lead entered twice, a
resampled training set). A validation split that puts one copy in training and another in
validation rewards memorising rows: boosting's early stopping then never stops, and a held-out
ROC-AUC reads high. :func:`row_groups` gives identical featurized rows one group id, and
:func:`group_folds` splits by group, stratified by outcome, so that every copy of a row lands on
one side.

*Compact tree input.* The featurizer one-hot encodes a categorical attribute into one column per
level, which the linear model needs. A tree ensemble builds a histogram per column at every node,
so 12 levels cost 12 columns; :class:`TreeLayout` gives the trees one column per categorical
attribute instead (the level's index, split natively as a category), which costs about a third of
the time on the bank-marketing attributes. The layout is computed from the one-hot matrix, so every
path that edits a row in the one-hot layout (explanations, what-ifs) stays valid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from leadqual.scoring.features import LeadFeaturizer, _CategoricalPlan, _DatetimePlan

__all__ = ["TreeLayout", "group_folds", "row_groups"]

MAX_TREE_CATEGORIES = 250
"""A categorical attribute with more levels stays one-hot for the trees (scikit-learn's native
categorical splits take fewer than 255 categories)."""


def row_groups(Z: NDArray[np.float64]) -> NDArray[np.int64] | None:
    """A group id per row, equal for identical rows; ``None`` when every row is distinct."""
    if Z.shape[0] < 2 or Z.shape[1] == 0:
        return None
    key = np.zeros(Z.shape[0], dtype=np.uint64)
    for j in range(Z.shape[1]):
        # 64-bit hashes of each column, mixed: two distinct rows share a key with odds of 2**-64
        key = key * np.uint64(1_000_003) ^ pd.util.hash_array(np.ascontiguousarray(Z[:, j]))
    uniq, groups = np.unique(key, return_inverse=True)
    if len(uniq) == len(key):
        return None
    out: NDArray[np.int64] = groups.astype(np.int64)
    return out


def group_folds(
    y: NDArray[np.int64], groups: NDArray[np.int64], k: int, seed: int | None
) -> NDArray[np.int64]:
    """A fold number (0 to ``k - 1``) per row: each group in one fold, each fold holding about
    ``1/k`` of the rows of each outcome (a group counts as its majority outcome)."""
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    size = np.bincount(groups, minlength=n_groups)
    positives = np.bincount(groups, weights=y, minlength=n_groups)
    label = (2 * positives >= size).astype(np.int64)
    rng = np.random.default_rng(seed)
    fold_of_group = np.zeros(n_groups, dtype=np.int64)
    for outcome in (0, 1):
        members = np.flatnonzero((label == outcome) & (size > 0))
        members = members[rng.permutation(len(members))]
        if not len(members):
            continue
        # consecutive groups fill fold 0, then fold 1, ...: by rows, not by groups
        before = np.cumsum(size[members]) - size[members]
        fold_of_group[members] = np.minimum(before * k // int(size[members].sum()), k - 1)
    out: NDArray[np.int64] = fold_of_group[groups]
    return out


class TreeLayout:
    """Which one-hot blocks of the featurized matrix the trees see as one categorical column.

    Args:
        featurizer: the fitted featurizer whose matrix is mapped.
    """

    def __init__(self, featurizer: LeadFeaturizer) -> None:
        width = len(featurizer.feature_names_out_)
        blocks: list[tuple[int, int]] = []
        for plan, (start, _) in zip(featurizer.plans_, featurizer.blocks_, strict=True):
            if isinstance(plan, _CategoricalPlan):
                blocks.append((start, start + len(plan.outputs)))
            elif isinstance(plan, _DatetimePlan):
                at = start + len(plan.age.outputs)
                for part in (plan.month, plan.weekday):
                    if part is not None:
                        blocks.append((at, at + len(part.outputs)))
                        at += len(part.outputs)
        blocks = [(s, e) for s, e in blocks if 2 <= e - s <= MAX_TREE_CATEGORIES]
        one_hot = np.zeros(max(width, 1), dtype=bool)
        for s, e in blocks:
            one_hot[s:e] = True
        self.passthrough: NDArray[np.int64] = np.flatnonzero(~one_hot).astype(np.int64)
        self.blocks: NDArray[np.int64] = np.asarray(blocks, dtype=np.int64).reshape(-1, 2)
        """Each categorical attribute's one-hot columns, as (start, stop)."""

    @property
    def categorical(self) -> NDArray[np.bool_]:
        """Which columns of :meth:`compact`'s output are categorical (the first ones)."""
        k = len(self.blocks)
        out: NDArray[np.bool_] = np.r_[
            np.ones(k, dtype=bool), np.zeros(len(self.passthrough) if k else 0, dtype=bool)
        ]
        return out

    def compact(self, Z: NDArray[np.float64]) -> NDArray[np.float64]:
        """The trees' matrix: one level index per block, then the pass-through columns.

        The categorical columns come first because scikit-learn moves them there anyway: in this
        order its column numbers and ours agree (see :mod:`leadqual.scoring._forest`).
        """
        k = len(self.blocks)
        if not k:
            return Z
        out = np.empty((Z.shape[0], k + len(self.passthrough)), order="F")
        for j, (s, e) in enumerate(self.blocks):
            # the one-hot block times 0, 1, 2, ...: the index of the level that is set
            out[:, j] = Z[:, s:e] @ np.arange(e - s, dtype=np.float64)
        out[:, k:] = Z[:, self.passthrough]
        return out

    def column(self, Z: NDArray[np.float64], j: int) -> NDArray[np.float64]:
        """Column ``j`` of :meth:`compact`'s output, without building the rest of it."""
        k = len(self.blocks)
        if not k:
            return Z[:, j]
        if j < k:
            s, e = (int(v) for v in self.blocks[j])
            out: NDArray[np.float64] = Z[:, s:e] @ np.arange(e - s, dtype=np.float64)
            return out
        return Z[:, int(self.passthrough[j - k])]
