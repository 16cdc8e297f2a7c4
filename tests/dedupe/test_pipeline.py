"""Blocking, clustering and the pipeline's invariants."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.dedupe import (
    BlockingKey,
    Comparison,
    Condition,
    DedupeSettings,
    DuplicateDetector,
    FieldSpec,
    Normalizer,
    Rule,
    contact_settings,
    lead_settings,
    person_record_settings,
    union_find_clusters,
)
from leadqual.dedupe.cluster import cluster_labels
from leadqual.dedupe.pipeline import Blocker, Preparer, _pairs_in_groups
from leadqual.errors import ValidationFailed


def surname_settings(max_block_size: int = 1000, window: int | None = None) -> DedupeSettings:
    return DedupeSettings(
        fields=(FieldSpec(name="surname"), FieldSpec(name="city")),
        blocking=(BlockingKey(name="surname", fields=("surname",), window=window),),
        comparisons=(Comparison(name="city", fields=("city",), method="exact", levels=()),),
        rules=(Rule(name="same_city", all_of=(Condition(comparison="city"),)),),
        max_block_size=max_block_size,
    )


@given(st.lists(st.integers(min_value=0, max_value=6), min_size=0, max_size=40))
def test_block_pairs_are_exactly_the_pairs_within_each_group(codes: list[int]) -> None:
    arr = np.array(codes, dtype=np.int64)
    order = np.argsort(arr, kind="stable").astype(np.int64)
    sizes = np.bincount(arr).astype(np.int64) if len(arr) else np.zeros(0, dtype=np.int64)
    starts = (np.cumsum(sizes) - sizes).astype(np.int64)
    use = sizes >= 2
    left, right = _pairs_in_groups(order, starts[use], sizes[use])
    got = {frozenset(p) for p in zip(left.tolist(), right.tolist(), strict=True)}
    expected = {
        frozenset((i, j))
        for i, j in itertools.combinations(range(len(codes)), 2)
        if codes[i] == codes[j]
    }
    assert got == expected
    assert len(got) == len(left)  # no pair twice


def test_blocking_never_generates_all_pairs() -> None:
    frame = pd.DataFrame(
        {
            "id": [str(i) for i in range(6)],
            "surname": ["a", "a", "b", "b", "c", "d"],
            "city": ["x"] * 6,
        }
    )
    det = DuplicateDetector(surname_settings())
    prepared = det.prepare(frame)
    left, right, report = det._blocker.pairs(prepared)
    assert report.candidates == 2
    assert (left < right).all()


def test_too_common_key_values_are_reported_and_paired_by_exact_keys_only() -> None:
    frame = pd.DataFrame(
        {
            "id": [str(i) for i in range(9)],
            "surname": ["smith"] * 7 + ["ng", "ng"],
            "city": ["x"] * 6 + ["y"] + ["x"] * 2,
        }
    )
    report = DuplicateDetector(surname_settings(max_block_size=5)).find(frame)
    assert report.blocking.dropped_keys == (("surname", 7),)
    # The six identical smiths are still found (each paired with the first), the one in
    # another city is not compared with them.
    pairs = {(p.left_id, p.right_id) for p in report.pairs}
    assert pairs == {("0", str(i)) for i in range(1, 6)} | {("7", "8")}
    assert ("0", "1", "2", "3", "4", "5") in report.clusters
    (note,) = report.blocking.too_common
    assert "'surname'" in note and "7 records" in note and "5 pairs" in note


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (lead_settings(), (("email",), ("phone",), ("given", "family", "company"))),
        (contact_settings(), (("email",), ("phone",), ("given", "family", "company"))),
        (
            person_record_settings(),
            (tuple(f.name for f in person_record_settings().fields),),
        ),
        (surname_settings(), (("surname", "city"),)),
    ],
)
def test_exact_keys_are_the_exact_fields_the_settings_have_else_the_whole_record(
    settings: DedupeSettings, expected: tuple[tuple[str, ...], ...]
) -> None:
    keys = settings.exact_keys()
    assert tuple(k.fields for k in keys) == expected
    assert all(k.window is None and k.prefix is None for k in keys)
    assert len({k.name for k in keys}) == len(keys)
    assert all(set(k.fields) <= {f.name for f in settings.fields} for k in keys)


def test_sorted_neighbourhood_pairs_neighbours_despite_typos() -> None:
    frame = pd.DataFrame(
        {"id": ["1", "2", "3"], "surname": ["johnson", "jonhson", "zzz"], "city": ["x", "x", "y"]}
    )
    out = DuplicateDetector(surname_settings(window=2)).find_frame(frame)
    assert list(zip(out.left_id, out.right_id, strict=True)) == [("1", "2")]


def test_multi_valued_fields_block_and_match_on_any_shared_value() -> None:
    frame = pd.DataFrame(
        {
            "id": ["1", "2", "3"],
            "first_name": ["Ana", "Ana", "Ana"],
            "last_name": ["Lima", "Lima", "Lima"],
            "company_name": [None, None, None],
            "emails": [("ana@x.com",), ("a@y.com", "Ana@X.com"), ()],
            "phones": [(), (), ()],
            "country": [None] * 3,
            "website": [None] * 3,
        }
    )
    out = DuplicateDetector().find_frame(frame)
    assert out[["left_id", "right_id", "rule"]].values.tolist() == [["1", "2", "same_email"]]


def test_empty_input_gives_an_empty_report() -> None:
    report = DuplicateDetector().find([])
    assert report.pairs == () and report.blocking.records == 0


@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 15)), max_size=30))
def test_clusters_are_the_connected_components(edges: list[tuple[int, int]]) -> None:
    clusters = union_find_clusters(edges)
    # Brute force: grow each component by repeated relaxation.
    comp = {x: {x} for e in edges for x in e}
    changed = True
    while changed:
        changed = False
        for a, b in edges:
            merged = comp[a] | comp[b]
            for x in merged:
                if comp[x] != merged:
                    comp[x] = merged
                    changed = True
    expected = {frozenset(c) for c in comp.values() if len(c) > 1}
    assert {frozenset(c) for c in clusters} == expected


@settings(max_examples=50)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=20))
def test_cluster_labels_agree_with_union_find(edges: list[tuple[int, int]]) -> None:
    left = np.array([a for a, _ in edges], dtype=np.int64)
    right = np.array([b for _, b in edges], dtype=np.int64)
    labels = cluster_labels(10, left, right)
    for group in union_find_clusters(edges):
        assert len({labels[i] for i in group}) == 1
        assert labels[group[0]] == min(group)


def test_transitive_mode_lists_every_pair_within_a_cluster() -> None:
    frame = pd.DataFrame({"id": ["1", "2", "3"], "code": ["aaaa", "aaab", "aabb"], "g": ["k"] * 3})
    chain = DedupeSettings(
        fields=(FieldSpec(name="code"), FieldSpec(name="g")),
        blocking=(BlockingKey(name="g", fields=("g",)),),
        comparisons=(Comparison(name="code", fields=("code",), method="levenshtein"),),
        rules=(Rule(name="close_code", all_of=(Condition(comparison="code", at_least=0.75),)),),
    )
    direct = DuplicateDetector(chain).find_frame(frame)
    assert sorted(zip(direct.left_id, direct.right_id, strict=True)) == [("1", "2"), ("2", "3")]
    full = DuplicateDetector(chain).find_frame(frame, transitive=True)
    assert sorted(zip(full.left_id, full.right_id, full.rule, strict=True)) == [
        ("1", "2", "close_code"),
        ("1", "3", "cluster"),
        ("2", "3", "close_code"),
    ]
    assert set(full.cluster) == {"1"}
    capped = DuplicateDetector(chain).find_frame(frame, transitive=True, max_cluster_size=2)
    assert len(capped) == 2


def test_preparer_refuses_missing_ids() -> None:
    frame = pd.DataFrame({"id": ["1", None], "surname": ["a", "b"], "city": ["x", "y"]})
    with pytest.raises(ValidationFailed, match="no 'id'"):
        Preparer(surname_settings(), Normalizer()).prepare(frame)


def test_blocker_key_values_expand_multi_valued_cells() -> None:
    det = DuplicateDetector(lead_settings())
    frame = pd.DataFrame(
        {
            "id": ["1"],
            "first_name": ["A"],
            "last_name": ["B"],
            "company_name": [None],
            "emails": [("a@x.com", "b@y.com")],
            "phones": [()],
            "country": [None],
            "website": [None],
        }
    )
    rows, values = Blocker.key_values(det.prepare(frame), BlockingKey(name="e", fields=("email",)))
    assert rows.tolist() == [0, 0]
    assert values.tolist() == ["a@x.com", "b@y.com"]


def test_batch_mode_reports_the_keys_it_dropped_with_its_pairs() -> None:
    frame = pd.DataFrame(
        {
            "id": [str(i) for i in range(8)],
            "surname": ["smith"] * 6 + ["ng", "ng"],
            "city": ["x"] * 8,
        }
    )
    out = DuplicateDetector(surname_settings(max_block_size=5)).find_frame(frame)
    blocking = out.attrs["blocking"]
    assert blocking.dropped_keys == (("surname", 6),) and blocking.records == 8


def test_a_condition_that_can_never_hold_is_refused() -> None:
    from leadqual.dedupe import Condition

    with pytest.raises(ValidationFailed, match="below"):
        Condition(comparison="name", at_least=0.9, below=0.5)


@pytest.mark.parametrize(
    "options", [{"chunk_size": 0}, {"random_pairs": -1}, {"workers": 0}, {"workers": -2}]
)
def test_detector_options_that_cannot_work_are_refused(options: dict[str, int]) -> None:
    from leadqual.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=next(iter(options))):
        DuplicateDetector(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize("blank", ["", "   "])
def test_preparer_refuses_blank_ids_as_the_incremental_path_does(blank: str) -> None:
    frame = pd.DataFrame({"id": ["1", blank], "surname": ["a", "b"], "city": ["x", "y"]})
    with pytest.raises(ValidationFailed, match="no 'id'"):
        Preparer(surname_settings(), Normalizer()).prepare(frame)
    with pytest.raises(ValidationFailed, match="no 'id'"):
        Preparer(surname_settings(), Normalizer()).prepare_record(
            {"id": blank, "surname": "b", "city": "y"}
        )


def test_preparer_refuses_ids_that_collide_as_text() -> None:
    frame = pd.DataFrame({"id": [1, "1"], "surname": ["a", "b"], "city": ["x", "y"]})
    with pytest.raises(ValidationFailed, match="repeat"):
        Preparer(surname_settings(), Normalizer()).prepare(frame)


def test_a_cell_of_an_unusable_type_is_a_clear_error_naming_the_column() -> None:
    frame = pd.DataFrame({"id": ["1", "2"], "surname": [{"a": 1}, "b"], "city": ["x", "y"]})
    with pytest.raises(ValidationFailed, match="surname"):
        DuplicateDetector(surname_settings()).find_frame(frame)


@pytest.mark.parametrize("container", [tuple, list])
def test_list_cells_after_the_first_thousand_rows_are_still_read_as_lists(
    container: type,
) -> None:
    n = 1100
    emails: list[object] = [None] * n
    emails[1050] = container(["ana@acme.com", "ana.lima@gmail.com"])
    emails[1090] = container(["ana.lima@gmail.com"])
    frame = pd.DataFrame(
        {
            "id": [str(i) for i in range(n)],
            "first_name": [f"P{i}" for i in range(n)],
            "last_name": [f"Q{i}" for i in range(n)],
            "company_name": [None] * n,
            "emails": emails,
            "phones": [()] * n,
            "country": [None] * n,
        }
    )
    out = DuplicateDetector(lead_settings()).find_frame(frame)
    assert out[["left_id", "right_id", "rule"]].values.tolist() == [["1050", "1090", "same_email"]]


def test_concatenated_records_keep_whole_values_when_one_side_is_multi_valued() -> None:
    from leadqual.dedupe.pipeline import Prepared

    single = Prepared(ids=np.array(["1"], dtype=object), columns={"city": np.array(["berlin"])})
    cells = np.empty(1, dtype=object)
    cells[0] = ("berlin", "bonn")
    multi = Prepared(
        ids=np.array(["2"], dtype=object), columns={"city": cells}, multi=frozenset({"city"})
    )
    both = single.concat(multi)
    assert both.texts("city")[0].tolist() == ["berlin", "berlin"]
    assert both.columns["city"].tolist() == [("berlin",), ("berlin", "bonn")]


def test_a_flood_of_identical_web_form_leads_is_one_cluster_not_lost_with_its_block() -> None:
    flood = [
        {
            "id": f"W{i}",
            "first_name": "Ana",
            "last_name": "Lima",
            "company_name": "Lima SA",
            "emails": ("ana.lima@limasa.com.br",),
            "phones": ("+55 11 3456 7890",),
            "country": "BR",
            "website": None,
        }
        for i in range(1200)
    ]
    other = {**flood[0], "id": "X", "first_name": "Rui", "emails": ("rui@other.pt",), "phones": ()}
    report = DuplicateDetector().find(pd.DataFrame([*flood, other]))
    assert [set(c) for c in report.clusters] == [{f"W{i}" for i in range(1200)}]
    assert len(report.pairs) == 1199  # each paired once with the first, not 1200 * 1199 / 2
    assert {key for key, _ in report.blocking.dropped_keys} >= {"email", "phone"}
    assert all("too common" in note and "exact" in note for note in report.blocking.too_common)
