"""Clustering duplicate pairs into groups of one entity, with union-find."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["UnionFind", "cluster_labels", "union_find_clusters"]

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
