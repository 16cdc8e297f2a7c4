"""Batch mode's compact path: candidate pair codes, agreement patterns, comparisons once per
distinct pair of values, normalising in workers, vectorised placeholder checks, and no fork
from a process running other threads."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.dedupe import (
    BlockingKey,
    DuplicateDetector,
    FellegiSunter,
    Normalizer,
    _workers,
    lead_settings,
    person_record_settings,
)
from leadqual.dedupe.fellegi_sunter import levels_of
from leadqual.dedupe.pipeline import (
    Blocker,
    Comparer,
    Prepared,
    Preparer,
    is_placeholder,
    placeholder_mask,
)
from leadqual.dedupe.synthetic import synthetic_leads, synthetic_person_records
from leadqual.errors import ValidationFailed

# Characters that make placeholders, break them, or leave ASCII: digits, separators, white space
# of every kind str.strip knows, letters of the placeholder words in both cases, and a few
# characters whose case folding or digit-ness differs from ASCII's.
_ALPHABET = "0123456789 +().-/?_\t\n\x0b\x1c\x1f\x00naNAoOeEuUlLkKwWtTbBdDxXpPcCvViIzq\u00a0\u2003٣²\u017f\u00df\u212a"
_WORDS = ["n/a", "N.A.", " none ", "NULL", "Unknown", "not known", "tbd", "TBA", "--", "...", "?"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=_ALPHABET, max_size=14),
            st.sampled_from(_WORDS).map(lambda w: f"  {w}\t"),
            st.text(max_size=6),
            st.none(),
            st.integers(),
            st.floats(allow_nan=True),
        ),
        max_size=60,
    )
)
def test_placeholder_mask_agrees_with_the_scalar_check_on_any_values(values: list[object]) -> None:
    expected = [is_placeholder(v) if isinstance(v, str) else True for v in values]
    assert placeholder_mask(values).tolist() == expected


def test_placeholder_mask_over_more_values_than_one_batch() -> None:
    values = [f"{i:07d}" for i in range(70_000)] + ["1111111", "n/a", "Nash"]
    got = placeholder_mask(values)
    assert got.tolist() == [is_placeholder(v) for v in values]
    assert got[0] and got[-3] and got[-2] and not got[-1]  # 0000000, 1111111, n/a; not Nash


def _naive_pairs(blocker: Blocker, prepared: Prepared) -> set[tuple[int, int]]:
    """Every key's pairs, the slow way, as a set of (lo, hi) row pairs."""
    out: set[tuple[int, int]] = set()
    for key in blocker.keys:
        rows, values = blocker.key_values(prepared, key)
        rows_l, values_l = rows.tolist(), values.tolist()
        if key.window is not None:
            order = sorted(range(len(rows_l)), key=lambda i: str(values_l[i]))
            for a, b in itertools.combinations(range(len(order)), 2):
                if b - a < key.window:
                    out.add(
                        (
                            min(rows_l[order[a]], rows_l[order[b]]),
                            max(rows_l[order[a]], rows_l[order[b]]),
                        )
                    )
            continue
        groups: dict[object, list[int]] = {}
        for r, v in zip(rows_l, values_l, strict=True):
            groups.setdefault(v, []).append(r)
        for members in groups.values():
            for a, b in itertools.combinations(members, 2):
                out.add((min(a, b), max(a, b)))
    return {p for p in out if p[0] != p[1]}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ana", "bo", "cy", None]),
            st.sampled_from(["x", "y", None]),
            st.lists(st.sampled_from(["+15125550100", "+15125550101", "+15125550102"]), max_size=3),
        ),
        min_size=2,
        max_size=30,
    )
)
def test_pair_codes_are_the_sorted_union_of_every_keys_pairs(
    rows: list[tuple[str | None, str | None, list[str]]],
) -> None:
    prepared = Prepared(
        ids=np.array([str(i) for i in range(len(rows))], dtype=object),
        columns={
            "name": np.array([r[0] for r in rows], dtype=object),
            "city": np.array([r[1] for r in rows], dtype=object),
            "phone": _cells([tuple(r[2]) for r in rows]),
        },
        multi=frozenset({"phone"}),
    )
    blocker = Blocker(
        (
            BlockingKey(name="name", fields=("name",)),
            BlockingKey(name="name_city", fields=("name", "city")),
            BlockingKey(name="phone", fields=("phone",)),
            BlockingKey(name="city_sn", fields=("city",), window=3),
        ),
        max_block_size=1000,
    )
    codes, report = blocker.pair_codes(prepared)
    n = len(rows)
    assert codes.dtype == np.int64
    assert (np.diff(codes) > 0).all()  # sorted, each pair once
    got = {(int(c) // n, int(c) % n) for c in codes}
    assert got == _naive_pairs(blocker, prepared)
    assert report.candidates == len(codes)
    left, right, _ = blocker.pairs(prepared)
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == sorted(got)


def _cells(values: list[tuple[str, ...]]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


def test_comparing_once_per_distinct_values_gives_each_pairs_own_similarities() -> None:
    records, _ = synthetic_person_records(400, seed=9, profile="household")
    settings_ = person_record_settings()
    prepared = Preparer(settings_, Normalizer()).prepare(records)
    comparer = Comparer(settings_.comparisons, Normalizer())
    rng = np.random.default_rng(1)
    n = len(prepared)
    # pairs that repeat values (same record twice over, both orders) and random ones
    left = np.concatenate([rng.integers(0, n, 3000), np.arange(50), np.arange(50)])
    right = np.concatenate([rng.integers(0, n, 3000), np.arange(50), np.arange(50)[::-1]])
    got = comparer.compare(prepared, left, right)
    for j, comp in enumerate(settings_.comparisons):
        # a fresh copy of the records: nothing cached from the batched call
        fresh = Prepared(ids=prepared.ids, columns=prepared.columns, multi=prepared.multi)
        one_by_one = comparer.similarity(comp, fresh, fresh, left, right)
        np.testing.assert_array_equal(got[:, j], one_by_one)
    assert np.isnan(got).any() and (got == 1.0).any() and ((got > 0) & (got < 1)).any()


def test_pattern_codes_fit_and_predict_as_levels_do() -> None:
    records, _ = synthetic_person_records(500, seed=5)
    det = DuplicateDetector(person_record_settings(), workers=1)
    prepared = det.prepare(records)
    left, right, _ = det._blocker.pairs(prepared)
    sims = det._comparer.compare(prepared, left, right)
    comps = det.settings.comparisons
    levels = levels_of(comps, sims)
    by_levels = FellegiSunter(comps, identifying=det.settings.identifying).fit_levels(levels)
    by_codes = FellegiSunter(comps, identifying=det.settings.identifying)
    codes = by_codes.pattern_codes(levels)
    assert codes.dtype == np.int32
    by_codes.fit_pattern_codes(codes)
    assert by_codes.weights() == by_levels.weights()
    assert by_codes.lambda_ == by_levels.lambda_
    np.testing.assert_array_equal(
        by_codes.predict_proba_codes(codes), by_levels.predict_proba_levels(levels)
    )


def test_normalising_in_workers_gives_the_same_records() -> None:
    records, _ = synthetic_person_records(12_000, seed=2, profile="household")
    assert len(records) >= 20_000  # enough records for workers to be used
    preparer = Preparer(person_record_settings(), Normalizer())
    one = preparer.prepare(records, workers=1)
    two = preparer.prepare(records, workers=2)
    assert one.multi == two.multi
    for name in one.columns:
        assert one.columns[name].tolist() == two.columns[name].tolist(), name


def test_normalising_in_workers_keeps_lists_found_late_and_refuses_bad_cells() -> None:
    frame, _, _ = synthetic_leads(25_000, seed=1)
    frame = frame.copy()
    # single values for the first rows, a list far down: still multi-valued, all values kept
    frame["phones"] = [None] * (len(frame) - 1) + [["512-555-0100", "512-555-0199"]]
    preparer = Preparer(lead_settings(), Normalizer())
    one = preparer.prepare(frame, workers=1)
    two = preparer.prepare(frame, workers=2)
    assert "phone" in two.multi
    assert two.columns["phone"][-1] == one.columns["phone"][-1]
    assert len(two.columns["phone"][-1]) == 2
    companies = frame["company_name"].tolist()
    companies[-1] = {"not": "text"}
    frame["company_name"] = pd.Series(companies, index=frame.index, dtype=object)
    with pytest.raises(ValidationFailed, match="company_name"):
        preparer.prepare(frame, workers=2)


def test_no_fork_while_other_threads_run_and_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records, _ = synthetic_person_records(1500, seed=4)
    expected = DuplicateDetector(person_record_settings(), workers=1, chunk_size=997).find_frame(
        records
    )
    forks: list[str] = []
    real = _workers.mp.get_context

    def watched(method: str | None = None) -> object:
        forks.append(str(method))
        return real(method)

    monkeypatch.setattr(_workers.mp, "get_context", watched)
    stop = threading.Event()
    server = threading.Thread(target=stop.wait, daemon=True)  # a server's request thread
    server.start()
    try:
        assert not _workers.fork_safe()
        got = DuplicateDetector(person_record_settings(), workers=2, chunk_size=997).find_frame(
            records
        )
    finally:
        stop.set()
        server.join()
    assert forks == []
    pd.testing.assert_frame_equal(got, expected)
    # and from a thread of its own (the detector run by a server's worker thread)
    box: list[pd.DataFrame] = []
    caller = threading.Thread(
        target=lambda: box.append(
            DuplicateDetector(person_record_settings(), workers=2, chunk_size=997).find_frame(
                records
            )
        )
    )
    caller.start()
    caller.join()
    assert forks == []
    pd.testing.assert_frame_equal(box[0], expected)


def test_workers_fork_when_nothing_else_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    if threading.active_count() != 1:
        pytest.skip("the test runner runs threads of its own")
    records, _ = synthetic_person_records(1500, seed=4)
    forks: list[str] = []
    real = _workers.mp.get_context

    def watched(method: str | None = None) -> object:
        forks.append(str(method))
        return real(method)

    monkeypatch.setattr(_workers.mp, "get_context", watched)
    one = DuplicateDetector(person_record_settings(), workers=1, chunk_size=997).find_frame(records)
    assert forks == []
    two = DuplicateDetector(person_record_settings(), workers=2, chunk_size=997).find_frame(records)
    assert forks == ["fork"]
    pd.testing.assert_frame_equal(one, two)


def test_blocking_in_workers_gives_the_same_pairs_and_report() -> None:
    records, _ = synthetic_person_records(12_000, seed=6, profile="household")
    # blocks over 40 records are dropped and paired by exact keys: the report must agree too
    det = DuplicateDetector(person_record_settings(max_block_size=40), workers=1)
    prepared = det.prepare(records)
    assert len(prepared) >= 20_000
    one, report_one = det._blocker.pair_codes(prepared, workers=1)
    two, report_two = det._blocker.pair_codes(prepared, workers=2)
    np.testing.assert_array_equal(one, two)
    assert report_one.dropped, "the test needs blocks too common to pair in full"
    assert report_one == report_two
