"""Clustering duplicate pairs into groups of one entity, with union-find."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["UnionFind", "cluster_labels", "conflict_cuts", "union_find_clusters", "weak_links"]

_T = TypeVar("_T", bound=Hashable)


class UnionFind:
    """Disjoint sets over ``0..n-1`` with path halving and union by size.

    Examples:
        >>> uf = UnionFind(4)
        >>> uf.union(0, 1); uf.union(2, 3); uf.union(1, 3)
        >>> uf.find(0) == uf.find(2)
        True
    """

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x: int) -> int:
        """The representative of ``x``'s set."""
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        """Join the sets of ``a`` and ``b``."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]

    def add(self) -> int:
        """A new singleton; returns its number."""
        self.parent.append(len(self.parent))
        self.size.append(1)
        return len(self.parent) - 1


def cluster_labels(
    n: int, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """A cluster label per record ``0..n-1`` (the smallest member's position), given the pairs.

    Connected components of the pair graph, computed with scipy's sparse graph routines (the
    union-find over Python objects below is for small inputs and incremental use).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if n == 0:
        return np.empty(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n)).tocsr()
    _, roots = connected_components(graph, directed=False)
    roots = roots.astype(np.int64)
    # Relabel each cluster by its smallest member so labels do not depend on the algorithm.
    smallest = np.full(int(roots.max()) + 1, n, dtype=np.int64)
    np.minimum.at(smallest, roots, np.arange(n, dtype=np.int64))
    labels: npt.NDArray[np.int64] = smallest[roots]
    return labels


def _components(nodes: list[int], edges: list[tuple[int, int]]) -> list[list[int]]:
    """The connected components of a small graph (node numbers as given)."""
    position = {x: i for i, x in enumerate(nodes)}
    uf = UnionFind(len(nodes))
    for a, b in edges:
        uf.union(position[a], position[b])
    groups: dict[int, list[int]] = {}
    for x in nodes:
        groups.setdefault(uf.find(position[x]), []).append(x)
    return list(groups.values())


def _split(
    nodes: list[int],
    edges: list[int],
    left: list[int],
    right: list[int],
    weight: list[float],
    margin: float,
    cut: list[int],
) -> None:
    """Cut, in one cluster, its weakest bridge far below the cluster's median link; then the
    same in each part, until no such link is left. Appends the cut edges' numbers to ``cut``."""
    stack = [(nodes, edges)]
    while stack:
        nodes, edges = stack.pop()
        if len(nodes) < 3:
            continue
        median = float(np.median([weight[e] for e in edges]))
        weak = sorted(
            (e for e in edges if weight[e] < median - margin),
            key=lambda e: (weight[e], left[e], right[e]),
        )
        for e in weak:
            rest = [f for f in edges if f != e]
            parts = _components(nodes, [(left[f], right[f]) for f in rest])
            if len(parts) == 1:
                continue  # linked through others as well: not the only thing holding it
            cut.append(e)
            for part in parts:
                members = set(part)
                stack.append((part, [f for f in rest if left[f] in members]))
            break


def weak_links(
    n: int,
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    weight: npt.NDArray[np.float64],
    *,
    margin: float,
) -> npt.NDArray[np.bool_]:
    """Which links to cut so that one weak link cannot merge two otherwise unrelated groups.

    In each cluster (connected component of the links over records ``0..n-1``) of three or
    more records, a link is cut when removing it splits the cluster (no other path joins its
    two records) and its ``weight`` (match weight in bits) is more than ``margin`` below the
    median weight of the cluster's links; the weakest such link goes first, and the parts are
    examined again on their own. The result depends only on the links and weights, not on
    their order.

    Examples:
        >>> import numpy as np
        >>> left, right = np.array([0, 1, 3, 4, 2]), np.array([1, 2, 4, 5, 3])
        >>> weight = np.array([30.0, 31.0, 29.0, 30.0, 2.0])  # 2-3 is one weak link
        >>> weak_links(6, left, right, weight, margin=10.0).tolist()
        [False, False, False, False, True]
    """
    out = np.zeros(len(left), dtype=bool)
    if len(left) == 0:
        return out
    labels = cluster_labels(n, left, right)
    edge_label = labels[left]
    links = np.bincount(edge_label, minlength=n)
    # Only clusters holding a link far below their median link need a closer look.
    median = pd.Series(weight).groupby(edge_label).transform("median").to_numpy()
    suspect = np.unique(edge_label[(weight < median - margin) & (links[edge_label] >= 2)])
    if len(suspect) == 0:
        return out
    inside = np.flatnonzero(np.isin(edge_label, suspect))
    inside = inside[np.argsort(edge_label[inside], kind="stable")]
    bounds = np.flatnonzero(np.diff(edge_label[inside])) + 1
    lw, rw, ww = left.tolist(), right.tolist(), weight.tolist()
    cut: list[int] = []
    for group in np.split(inside, bounds):
        edges = sorted(group.tolist())
        nodes = sorted({lw[e] for e in edges} | {rw[e] for e in edges})
        _split(nodes, edges, lw, rw, ww, margin, cut)
    out[cut] = True
    return out


def _reach(tree: dict[int, dict[int, int]], start: int) -> set[int]:
    """The nodes joined to ``start`` in a forest."""
    seen = {start}
    frontier = [start]
    while frontier:
        frontier = [y for x in frontier for y in tree[x] if y not in seen]
        seen.update(frontier)
    return seen


def _tree_path(tree: dict[int, dict[int, int]], a: int, b: int) -> list[int] | None:
    """The edges on the path from ``a`` to ``b`` in a forest (``tree[x][y]`` = edge number), or
    ``None`` when they are apart."""
    previous: dict[int, tuple[int, int]] = {a: (a, -1)}
    frontier = [a]
    while frontier and b not in previous:
        following = []
        for x in frontier:
            for y, e in tree[x].items():
                if y not in previous:
                    previous[y] = (x, e)
                    following.append(y)
        frontier = following
    if b not in previous:
        return None
    path = []
    while b != a:
        b, e = previous[b]
        path.append(e)
    return path


def conflict_cuts(
    n: int,
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    weight: npt.NDArray[np.float64],
    conflict_left: npt.NDArray[np.int64],
    conflict_right: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """Which links to cut so that no conflicting pair (two records known to be different
    entities) stays in one cluster.

    Per cluster, the links' maximum spanning tree (by ``weight``) is built; for each conflict
    still joined in it, the weakest tree link on the path between the two records would split
    the group in two: it is removed when more conflicts than links cross between the two
    parts (two groups of records that mostly contradict each other, held together by a few
    links), and kept otherwise (one entity whose records were each corrupted differently).
    Every link whose records end in different parts is cut. Deterministic: ties are broken by
    the records' positions, never by the order of the input.

    Examples:
        >>> import numpy as np
        >>> left, right = np.array([0, 1, 2]), np.array([1, 2, 3])
        >>> weight = np.array([30.0, 8.0, 25.0])   # 0-1 strong, 1-2 weaker, 2-3 strong
        >>> # {0, 1} and {2, 3}: three of the four pairs across contradict, one link joins
        >>> contra_left, contra_right = np.array([0, 0, 1]), np.array([2, 3, 3])
        >>> conflict_cuts(4, left, right, weight, contra_left, contra_right).tolist()
        [False, True, False]
        >>> # only 0 and 3 contradict: one conflict against one link, kept whole
        >>> conflict_cuts(4, left, right, weight, np.array([0]), np.array([3])).tolist()
        [False, False, False]
    """
    out = np.zeros(len(left), dtype=bool)
    if len(left) == 0 or len(conflict_left) == 0:
        return out
    labels = cluster_labels(n, left, right)
    conflict_label = labels[conflict_left]
    joined = conflict_label == labels[conflict_right]
    if not joined.any():
        return out
    edge_label = labels[left]
    suspect = np.unique(conflict_label[joined])
    inside = np.flatnonzero(np.isin(edge_label, suspect))
    inside = inside[np.lexsort((right[inside], left[inside], edge_label[inside]))]
    bounds = np.flatnonzero(np.diff(edge_label[inside])) + 1
    conf = np.flatnonzero(joined)
    conf = conf[np.lexsort((conflict_right[conf], conflict_left[conf], conflict_label[conf]))]
    conf_bounds = np.flatnonzero(np.diff(conflict_label[conf])) + 1
    lw, rw, ww = left.tolist(), right.tolist(), weight.tolist()
    cl, cr = conflict_left.tolist(), conflict_right.tolist()
    for group, conflicts in zip(np.split(inside, bounds), np.split(conf, conf_bounds), strict=True):
        edges = group.tolist()
        nodes = sorted({lw[e] for e in edges} | {rw[e] for e in edges})
        position = {x: i for i, x in enumerate(nodes)}
        uf = UnionFind(len(nodes))
        tree: dict[int, dict[int, int]] = {x: {} for x in nodes}
        for e in sorted(edges, key=lambda e: (-ww[e], lw[e], rw[e])):
            a, b = position[lw[e]], position[rw[e]]
            if uf.find(a) != uf.find(b):
                uf.union(a, b)
                tree[lw[e]][rw[e]] = e
                tree[rw[e]][lw[e]] = e
        conflict_pairs = [(cl[k], cr[k]) for k in conflicts.tolist()]
        for x, y in conflict_pairs:
            path = _tree_path(tree, x, y)
            if path is None:
                continue
            weakest = min(path, key=lambda e: (ww[e], lw[e], rw[e]))
            del tree[lw[weakest]][rw[weakest]]
            del tree[rw[weakest]][lw[weakest]]
            side = _reach(tree, x)
            other = _reach(tree, y)
            links = sum(
                1
                for e in edges
                if (lw[e] in side and rw[e] in other) or (lw[e] in other and rw[e] in side)
            )
            against = sum(
                1
                for p, q in conflict_pairs
                if (p in side and q in other) or (p in other and q in side)
            )
            if against <= links:
                # More links than conflicts across: one group after all; keep it whole.
                tree[lw[weakest]][rw[weakest]] = weakest
                tree[rw[weakest]][lw[weakest]] = weakest
        parts = _components(nodes, [(lw[e], rw[e]) for x in tree for e in tree[x].values()])
        part = {x: i for i, members in enumerate(parts) for x in members}
        for e in edges:
            if part[lw[e]] != part[rw[e]]:
                out[e] = True
    return out


def union_find_clusters(pairs: Iterable[tuple[_T, _T]]) -> list[tuple[_T, ...]]:
    """Groups of two or more ids linked (directly or through others) by ``pairs``.

    Examples:
        >>> union_find_clusters([("a", "b"), ("c", "d"), ("b", "e")])
        [('a', 'b', 'e'), ('c', 'd')]
    """
    position: dict[_T, int] = {}
    items: list[_T] = []
    uf = UnionFind(0)
    for a, b in pairs:
        for x in (a, b):
            if x not in position:
                position[x] = uf.add()
                items.append(x)
        uf.union(position[a], position[b])
    groups: dict[int, list[_T]] = {}
    for x, i in position.items():
        groups.setdefault(uf.find(i), []).append(x)
    out = [tuple(sorted(g, key=str)) for g in groups.values() if len(g) > 1]
    return sorted(out, key=lambda g: str(g[0]))
