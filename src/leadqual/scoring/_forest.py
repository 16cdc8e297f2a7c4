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

Large batches take a third path, :meth:`CompiledForest.raw_batch`, that walks no tree at all (the
bit-vector idea of Lucchese et al., "QuickScorer", SIGIR 2015, arranged for numpy). Each tree's
leaves are numbered left to right, one bit each. A split rules out the leaves of the side a row
does not take, and which side that is depends only on the row's value of the split's attribute,
so for each tree and each attribute it splits on, one small table gives, per *bin* of the
attribute, the leaves still possible after all of that attribute's splits in the tree. The bins are
the intervals between the thresholds the trees use on the attribute (a value at or below the k-th
threshold lies in a bin at or below k), one per category for a categorical attribute, and one for
missing values. A row's leaf is the one bit left after AND-ing its tables: a few array lookups per
tree and attribute over the whole batch, where scikit-learn walks every row down every tree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CompiledForest"]

_CATEGORIES = 256
"""Categories a native categorical split can name (scikit-learn's bitsets hold 8 x 32 bits)."""
_BATCH_ROWS = 16_384
"""Rows whose bins and leaf masks :meth:`CompiledForest.raw_batch` holds at once: few enough
that the bins of a part (about 20 attributes, 8 bytes each) stay in a core's cache while every
tree reads them (65,536 rows were over twice as slow on 93 trees)."""
_MAX_LEAVES = 16
"""Trees with more leaves than this are left to scikit-learn for large batches (a tree's leaves
are the bits of one ``uint16``)."""
_DE_BRUIJN = np.uint16(0x09AF)
"""A de Bruijn sequence of 16 bits (0000 1001 1010 1111: every 4-bit pattern once, starting with
0000). A ``uint16`` with one bit set, times it, has in its top 4 bits a number that differs for
each position of the bit: the leaf's *code*, found with a multiplication and a shift where a
lookup in a 65,536-entry table missed the cache."""
_LEAF_OF_CODE = np.zeros(_MAX_LEAVES, dtype=np.intp)
_LEAF_OF_CODE[((np.uint16(1) << np.arange(_MAX_LEAVES, dtype=np.uint16)) * _DE_BRUIJN) >> 12] = (
    np.arange(_MAX_LEAVES)
)
"""The leaf (its place from the left) of each code (read only)."""
_LEAF_OF_CODE.setflags(write=False)
_FEW_EDGES = 24
"""An attribute with at most this many thresholds is binned by counting the thresholds below each
value (a pass per threshold); with more, by binary search, whose unpredictable branches cost
about twenty passes on random input."""


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


def _leaf_bits(
    root: int, left: NDArray[np.int64], right: NDArray[np.int64]
) -> tuple[dict[int, int], list[int]]:
    """For each node of the tree at ``root``, the bits of the leaves under it (a leaf's bit is
    its place from the left), and the leaves from left to right."""
    below: dict[int, int] = {}
    leaves: list[int] = []
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        a, b = int(left[node]), int(right[node])
        if a == node:  # a leaf points to itself
            below[node] = 1 << len(leaves)
            leaves.append(node)
        elif children_done:
            below[node] = below[a] | below[b]
        else:
            # the left subtree is numbered first: it is popped first
            stack += [(node, True), (b, False), (a, False)]
    return below, leaves


class CompiledForest:
    """Flat-array copy of a binary ``HistGradientBoostingClassifier``'s trees.

    Args:
        model: the fitted model.
        check: rows to compare the compiled paths' predictions with scikit-learn's on.
        leaf_tables: also build the leaf tables of :meth:`raw_batch` (a forest that only ever
            scores a few rows at a time does without).
    """

    def __init__(
        self, model: Any, check: NDArray[np.float64] | None = None, *, leaf_tables: bool = True
    ) -> None:
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
        self.tables_built = False
        if leaf_tables:
            self._build_tables()
        if check is not None and len(check):
            theirs = np.ravel(model._raw_predict(check))
            both = (self.raw(check), self.raw_batch(check)) if self.has_tables else ()
            for ours in both or (self.raw(check),):
                if not np.allclose(ours, theirs, rtol=1e-7, atol=1e-9):
                    raise ValueError(
                        "compiled forest disagrees with scikit-learn; internals changed"
                    )

    def _build_tables(self) -> None:
        """The per-tree, per-attribute leaf tables of :meth:`raw_batch` (see the module docs)."""
        n_nodes = len(self.feature)
        ends = np.r_[self.roots[1:], n_nodes] if len(self.roots) else self.roots
        is_leaf = self.left == np.arange(n_nodes)
        split_cat = self.category_row > 0
        internal = ~is_leaf
        used = np.unique(self.feature[internal])
        categorical_feature = {int(f) for f in np.unique(self.feature[internal & split_cat])}
        # each numeric attribute's bins: the thresholds the trees use on it, in order; bin k
        # holds the values above the (k-1)-th threshold and at or below the k-th
        edges: dict[int, NDArray[np.float64]] = {}
        for f in used.tolist():
            if f not in categorical_feature:
                edges[f] = np.unique(self.threshold[internal & (self.feature == f)])
        self.bin_features: NDArray[np.int64] = used.astype(np.int64)
        """The attributes the trees split on."""
        self.bin_categorical: NDArray[np.bool_] = np.isin(
            self.bin_features, sorted(categorical_feature)
        )
        starts = [0]
        for f in self.bin_features.tolist():
            starts.append(starts[-1] + (len(edges[f]) if f in edges else 0))
        self.bin_edges: NDArray[np.float64] = (
            np.concatenate([edges[f] for f in self.bin_features.tolist() if f in edges])
            if edges
            else np.zeros(0)
        )
        self.bin_edge_start: NDArray[np.int64] = np.asarray(starts, dtype=np.int64)
        slot = {f: i for i, f in enumerate(self.bin_features.tolist())}
        leaves_most = max(
            (int(is_leaf[r:e].sum()) for r, e in zip(self.roots, ends, strict=True)), default=0
        )
        self.table_tree: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        """The tree of each table, in tree order."""
        self.table_slot = np.zeros(0, dtype=np.int64)
        self.table_start = np.zeros(1, dtype=np.int64)
        self.tables = np.zeros(0, dtype=np.uint16)
        self.leaf_value = np.zeros((len(self.roots), _MAX_LEAVES))
        self.tables_built = leaves_most <= _MAX_LEAVES
        if not self.tables_built:
            return
        trees: list[int] = []
        slots: list[int] = []
        tables: list[NDArray[np.uint16]] = []
        for t, (root, end) in enumerate(zip(self.roots.tolist(), ends.tolist(), strict=True)):
            below, leaves = _leaf_bits(root, self.left, self.right)
            self.leaf_value[t, : len(leaves)] = self.value[leaves]
            every = below[root]
            by_slot: dict[int, NDArray[np.uint16]] = {}
            for node in range(root, end):
                if is_leaf[node]:
                    continue
                f = int(self.feature[node])
                i = slot[f]
                if self.bin_categorical[i]:
                    go_left = np.r_[
                        self.category_left[self.category_row[node]], self.missing_left[node]
                    ]
                else:
                    e = self.bin_edges[self.bin_edge_start[i] : self.bin_edge_start[i + 1]]
                    k = int(np.searchsorted(e, self.threshold[node]))
                    go_left = np.r_[np.arange(len(e) + 1) <= k, self.missing_left[node]]
                keep_left = np.uint16(every & ~below[int(self.right[node])])
                keep_right = np.uint16(every & ~below[int(self.left[node])])
                rule = np.where(go_left, keep_left, keep_right).astype(np.uint16)
                if i in by_slot:
                    by_slot[i] &= rule
                else:
                    by_slot[i] = rule
            for i, rule in sorted(by_slot.items()):
                trees.append(t)
                slots.append(i)
                tables.append(rule)
        self.table_tree = np.asarray(trees, dtype=np.int64)
        self.table_slot = np.asarray(slots, dtype=np.int64)
        self.table_start = np.r_[0, np.cumsum([len(r) for r in tables])].astype(np.int64)
        self.tables = np.concatenate(tables) if tables else np.zeros(0, dtype=np.uint16)

    @property
    def has_tables(self) -> bool:
        """Whether :meth:`raw_batch` is available (not for trees of more than 16 leaves, nor
        for a forest read from a model file written before it existed)."""
        return bool(getattr(self, "tables_built", False))

    def _bins(self, columns: list[NDArray[np.float64]]) -> NDArray[np.intp]:
        """Each row's bin of each attribute the trees split on (one row per attribute), from
        those attributes' columns."""
        out = np.empty((len(self.bin_features), len(columns[0]) if columns else 0), dtype=np.intp)
        for i, x in enumerate(columns):
            if self.bin_categorical[i]:
                bad = ~((x >= 0) & (x < _CATEGORIES))  # NaN too
                # a fractional code reads as its whole part, as in :meth:`raw`
                out[i] = np.where(bad, _CATEGORIES, x).astype(np.intp)
            else:
                e = self.bin_edges[self.bin_edge_start[i] : self.bin_edge_start[i + 1]]
                row = out[i]
                if not len(e):  # pragma: no cover - an attribute split on has a threshold
                    row[:] = 0
                elif len(e) <= _FEW_EDGES:
                    # the thresholds below each value (NaN is below none), as searchsorted
                    np.greater(x, e[0], out=row, casting="unsafe")
                    for edge in e[1:].tolist():
                        row += x > edge
                else:
                    row[:] = np.searchsorted(e, x)
                row[np.isnan(x)] = len(e) + 1
        return out

    def _pair_values(self) -> NDArray[np.float64]:
        """For each pair of trees (2t, 2t+1), the sum of their leaf values by the two leaves'
        codes, ``16 * code(2t) + code(2t+1)`` (an odd last tree pairs with a tree of zeros)."""
        values = self.leaf_value[:, _LEAF_OF_CODE]  # each tree's leaf values by code
        if len(values) % 2:
            values = np.vstack([values, np.zeros((1, _MAX_LEAVES))])
        pairs: NDArray[np.float64] = values[0::2, :, None] + values[1::2, None, :]
        return pairs.reshape(len(pairs), _MAX_LEAVES * _MAX_LEAVES)

    def raw_batch(
        self,
        Z: NDArray[np.float64],
        column: Callable[[NDArray[np.float64], int], NDArray[np.float64]] | None = None,
    ) -> NDArray[np.float64]:
        """Raw log-odds for each row of ``Z``, by leaf tables (the same values as :meth:`raw`,
        faster from a few dozen rows).

        Args:
            Z: the trees' input, or a matrix that ``column`` reads it from.
            column: ``column(Z, j)`` is column ``j`` of the trees' input (default: ``Z[:, j]``).
        """
        n = Z.shape[0]
        out = np.full(n, self.baseline)
        if not len(self.roots):
            return out
        if not self.has_tables:
            raise ValueError("no leaf tables: a tree has too many leaves, or an older model file")
        # a bounded working set whatever the batch's size
        for lo in range(0, n, _BATCH_ROWS):
            part = Z[lo : lo + _BATCH_ROWS]
            features = self.bin_features.tolist()
            if column is None:
                columns = [part[:, f] for f in features]
            else:
                columns = [column(part, f) for f in features]
            self._add_leaves(self._bins(columns), out[lo : lo + _BATCH_ROWS])
        return out

    def _add_leaves(self, bins: NDArray[np.intp], out: NDArray[np.float64]) -> None:
        """Add to ``out`` the value of the leaf each row reaches in each tree."""
        n = len(out)
        tables, start, trees = self.tables, self.table_start.tolist(), self.table_tree.tolist()
        slots = self.table_slot.tolist()
        pairs = self._pair_values()
        alive = np.empty(n, dtype=np.uint16)
        scratch = np.empty(n, dtype=np.uint16)
        key = np.empty(n, dtype=np.intp)
        j, m = 0, len(trees)
        for t in range(len(self.roots)):
            if j < m and trees[j] == t:
                tables[start[j] : start[j + 1]].take(bins[slots[j]], out=alive, mode="clip")
                j += 1
            else:  # a tree that is one leaf
                alive.fill(1)
            while j < m and trees[j] == t:
                tables[start[j] : start[j + 1]].take(bins[slots[j]], out=scratch, mode="clip")
                alive &= scratch
                j += 1
            # one bit is left, the leaf the row reaches: its code is the top 4 bits of the
            # product with the de Bruijn sequence (uint16 arithmetic wraps, as it should)
            alive *= _DE_BRUIJN
            alive >>= 12
            if t % 2 == 0:
                np.left_shift(alive, 4, out=key, casting="unsafe")
                if t + 1 == len(self.roots):
                    out += pairs[t // 2].take(key, mode="clip")
            else:
                key += alive
                # two trees' leaves looked up at once ("clip" only spares a bounds check)
                out += pairs[t // 2].take(key, mode="clip")

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
