"""Clustering that does not let one weak link merge two otherwise unrelated groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.dedupe import CutLink, DuplicateDetector, person_record_settings
from leadqual.dedupe.cluster import cluster_labels, conflict_cuts, weak_links
from leadqual.dedupe.synthetic import synthetic_person_records, true_pairs


def _two_groups(bridge_weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Records 0-3 all linked strongly, 4-7 too, and one link 3-4 between the groups."""
    pairs = [(a, b) for g in (range(4), range(4, 8)) for a in g for b in g if a < b]
    pairs.append((3, 4))
    left = np.array([p[0] for p in pairs], dtype=np.int64)
    right = np.array([p[1] for p in pairs], dtype=np.int64)
    weight = np.full(len(pairs), 35.0)
    weight[-1] = bridge_weight
    return left, right, weight


def test_a_lone_weak_link_between_two_groups_is_cut() -> None:
    left, right, weight = _two_groups(2.0)
    cut = weak_links(8, left, right, weight, margin=20.0)
    assert cut.tolist() == [False] * (len(left) - 1) + [True]


def test_a_lone_link_that_is_not_far_weaker_is_kept() -> None:
    left, right, weight = _two_groups(20.0)
    assert not weak_links(8, left, right, weight, margin=20.0).any()


def test_a_weak_link_in_a_cycle_is_kept() -> None:
    """A weak link is only cut when nothing else joins its two records."""
    left, right, weight = _two_groups(2.0)
    left = np.r_[left, 2]
    right = np.r_[right, 5]
    weight = np.r_[weight, 34.0]
    assert not weak_links(8, left, right, weight, margin=20.0).any()


graphs = st.integers(min_value=2, max_value=12).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                st.sampled_from([1.0, 5.0, 15.0, 30.0, 35.0, 40.0]),
            ),
            min_size=1,
            max_size=30,
        ),
    )
)


def _edges(n: int, raw: list[tuple[int, int, float]]) -> tuple[np.ndarray, ...]:
    seen: dict[tuple[int, int], float] = {}
    for a, b, w in raw:
        if a != b:
            seen.setdefault((min(a, b), max(a, b)), w)
    items = sorted(seen.items())
    left = np.array([k[0] for k, _ in items], dtype=np.int64)
    right = np.array([k[1] for k, _ in items], dtype=np.int64)
    weight = np.array([w for _, w in items], dtype=float)
    return left, right, weight


@settings(max_examples=150, deadline=None)
@given(graph=graphs, seed=st.integers(0, 2**16))
def test_weak_links_are_weak_bridges_and_do_not_depend_on_input_order(
    graph: tuple[int, list[tuple[int, int, float]]], seed: int
) -> None:
    n, raw = graph
    left, right, weight = _edges(n, raw)
    if len(left) == 0:
        return
    cut = weak_links(n, left, right, weight, margin=10.0)
    # Order independence: the same links shuffled cut the same links.
    order = np.random.default_rng(seed).permutation(len(left))
    again = weak_links(n, right[order], left[order], weight[order], margin=10.0)
    assert again.tolist() == cut[order].tolist()
    labels = cluster_labels(n, left, right)
    for e in np.flatnonzero(cut):
        # far weaker than the median link of the cluster it was in
        # (below the median of the part it was in when cut, so below its strongest link)
        same = labels[left] == labels[left[e]]
        assert weight[e] < weight[same].max() - 10.0
        # the only thing joining its records once the cut links are gone
        keep = ~cut
        keep[e] = False
        after = cluster_labels(n, left[keep], right[keep])
        assert after[left[e]] != after[right[e]]
    # Cutting never joins anything: every final cluster is inside an original one.
    final = cluster_labels(n, left[~cut], right[~cut])
    for x in range(n):
        assert labels[final[x]] == labels[x]


def test_two_groups_that_contradict_each_other_are_split_at_their_weakest_link() -> None:
    left, right, weight = _two_groups(30.0)  # not even far weaker: the conflicts decide
    across = [(a, b) for a in range(4) for b in range(4, 8) if (a, b) != (3, 4)]
    cut = conflict_cuts(
        8,
        left,
        right,
        weight,
        np.array([a for a, _ in across]),
        np.array([b for _, b in across]),
    )
    assert cut.tolist() == [False] * (len(left) - 1) + [True]


def test_one_entity_with_a_single_contradiction_stays_whole() -> None:
    """Records of one person each corrupted differently may contradict once; the links
    outnumber it, so nothing is cut."""
    left, right, weight = _two_groups(30.0)
    cut = conflict_cuts(8, left, right, weight, np.array([0]), np.array([7]))
    assert not cut.any()


@settings(max_examples=100, deadline=None)
@given(graph=graphs, conflicts=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11))))
def test_conflict_cuts_only_split_and_do_not_depend_on_order(
    graph: tuple[int, list[tuple[int, int, float]]], conflicts: list[tuple[int, int]]
) -> None:
    n, raw = graph
    left, right, weight = _edges(n, raw)
    pairs = sorted({(min(a, b), max(a, b)) for a, b in conflicts if a != b and max(a, b) < n})
    cl = np.array([a for a, _ in pairs], dtype=np.int64)
    cr = np.array([b for _, b in pairs], dtype=np.int64)
    cut = conflict_cuts(n, left, right, weight, cl, cr)
    order = np.random.default_rng(len(pairs)).permutation(len(left))
    again = conflict_cuts(n, left[order], right[order], weight[order], cl[::-1], cr[::-1])
    assert again.tolist() == cut[order].tolist()
    labels = cluster_labels(n, left, right)
    final = cluster_labels(n, left[~cut], right[~cut])
    for x in range(n):
        assert labels[final[x]] == labels[x]
    # A cut link always ends with its records apart.
    for e in np.flatnonzero(cut):
        assert final[left[e]] != final[right[e]]


# -- end to end -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def households() -> tuple[pd.DataFrame, np.ndarray]:
    return synthetic_person_records(1500, seed=1, profile="household")


def test_cuts_remove_false_pairs_and_are_reported(
    households: tuple[pd.DataFrame, np.ndarray],
) -> None:
    records, entity = households
    truth = true_pairs(records["rec_id"], entity)
    report = DuplicateDetector(person_record_settings()).find(records)
    assert report.cut_links, "household data should hold weak links between groups"
    assert all(isinstance(c, CutLink) for c in report.cut_links)
    found = {frozenset((p.left_id, p.right_id)) for p in report.pairs}
    where = {x: i for i, c in enumerate(report.clusters) for x in c}
    for c in report.cut_links:
        assert frozenset((c.left_id, c.right_id)) not in found
        assert c.probability >= 0.5
        # its two records are not in one cluster any more
        assert where.get(c.left_id, -1) != where.get(c.right_id, -2)
    # Most cut links were false (people sharing a household), and cutting helps: fewer false
    # pairs among records linked through others than without cutting.
    cut = {frozenset((c.left_id, c.right_id)) for c in report.cut_links}
    assert len(cut - truth) > len(cut & truth)
    keep_all = person_record_settings().model_copy(update={"cut_margin": None})
    with_cuts = DuplicateDetector(person_record_settings()).find_frame(records, transitive=True)
    without = DuplicateDetector(keep_all).find_frame(records, transitive=True)
    assert without.attrs["cut_links"] == ()

    def false_pairs(frame: pd.DataFrame) -> int:
        got = {frozenset(p) for p in zip(frame.left_id, frame.right_id, strict=True)}
        return len(got - truth)

    assert false_pairs(with_cuts) < false_pairs(without)
    # find and find_frame cut the same links
    assert {frozenset((c.left_id, c.right_id)) for c in with_cuts.attrs["cut_links"]} == cut
