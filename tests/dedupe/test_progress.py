"""Deduplication reports progress per stage, field, blocking key and share of the candidate
pairs (never per row), and a stop half way keeps no weights learned on the way."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.dedupe import DuplicateDetector, lead_settings, person_record_settings
from leadqual.dedupe.synthetic import synthetic_leads, synthetic_person_records
from leadqual.errors import ConfigurationError

LEAD_STEPS = len(lead_settings().fields) + len(lead_settings().blocking)


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(20, 300),
    seed=st.integers(0, 10),
    chunk_size=st.sampled_from([5, 1000, 500_000]),
)
def test_find_keeps_the_contract_and_changes_no_result(
    progress_log: Any, n: int, seed: int, chunk_size: int
) -> None:
    frame, _, _ = synthetic_leads(n, seed=seed)
    detector = DuplicateDetector(chunk_size=chunk_size)
    log = progress_log()
    report = detector.find(frame, progress=log)
    assert log.check() == LEAD_STEPS + 20 + 1 + 10 + 1
    assert report.pairs == detector.find(frame).pairs
    assert report.clusters == detector.find(frame).clusters

    log = progress_log()
    table = detector.find_frame(frame, transitive=True, progress=log)
    assert log.check() == LEAD_STEPS + 20 + 1 + 1
    pd.testing.assert_frame_equal(table, detector.find_frame(frame, transitive=True))


def test_each_stage_is_named_in_order(progress_log: Any) -> None:
    frame, _, _ = synthetic_leads(2000, seed=3)
    log = progress_log()
    report = DuplicateDetector().find(frame, progress=log)
    labels = [label for _, _, label in log.reports]
    fields = [f.name for f in lead_settings().fields]
    keys = [k.name for k in lead_settings().blocking]
    assert labels[0] == "normalising records"
    assert labels[1 : 1 + len(fields)] == [f"normalised {f}" for f in fields]
    assert labels[1 + len(fields) : 1 + LEAD_STEPS] == [f"blocked on {k}" for k in keys]
    rest = labels[1 + LEAD_STEPS :]
    assert rest[0].startswith("compared ") and rest[0].endswith(" candidate pairs")
    assert f"classified: {len(report.pairs):,} duplicate pairs" in rest
    assert rest[-1] == (
        f"found {len(report.pairs):,} duplicate pairs in {len(report.clusters):,} clusters"
    )


def test_a_large_table_is_reported_per_stage_and_share_not_per_row(progress_log: Any) -> None:
    frame, _, _ = synthetic_leads(20_000, seed=1)
    log = progress_log()
    report = DuplicateDetector().find(frame, progress=log)
    total = log.check()
    assert report.blocking.candidates > 50_000
    assert len(log.reports) <= total + 1  # one report per step at most, however many rows
    compared = [label for _, _, label in log.reports if label.startswith("compared ")]
    assert len(compared) >= 5  # the comparing moves in steps, not in one jump


def test_no_record_still_ends_at_the_total(progress_log: Any) -> None:
    log = progress_log()
    report = DuplicateDetector().find([], progress=log)
    assert report.pairs == ()
    assert log.check() == LEAD_STEPS + 20 + 1 + 10 + 1


PERSONS, _ = synthetic_person_records(300, seed=2)
MODEL_TOTAL = (
    len(person_record_settings().fields) + len(person_record_settings().blocking) + 20 + 1 + 10 + 1
)


def _reports(detector: DuplicateDetector, progress_log: Any) -> list[tuple[int, int, str]]:
    log = progress_log()
    detector.find(PERSONS, progress=log)
    log.check()
    return list(log.reports)


@pytest.mark.parametrize(
    "stage", ["normalising", "blocked on", "compared", "classified", "explained", "found"]
)
def test_a_find_stopped_at_any_stage_keeps_no_weights_learned_on_the_way(
    progress_log: Any, stop_reporting: type[Exception], stage: str
) -> None:
    reports = _reports(DuplicateDetector(person_record_settings()), progress_log)
    stop_at = 1 + next(i for i, (_, _, label) in enumerate(reports) if label.startswith(stage))
    detector = DuplicateDetector(person_record_settings())
    log = progress_log(stop_at=stop_at)
    with pytest.raises(stop_reporting):
        detector.find(PERSONS, progress=log)
    assert detector.model is None
    assert len(log.reports) == stop_at  # nothing reported after the stop
    detector.find(PERSONS)  # a call that ends keeps them, as before
    assert detector.model is not None


@pytest.mark.parametrize("stop_at", [1, -2, -1])
def test_a_stopped_find_frame_leaves_weights_learned_before_as_they_were(
    progress_log: Any, stop_reporting: type[Exception], stop_at: int
) -> None:
    detector = DuplicateDetector(person_record_settings()).fit(PERSONS)
    learned = detector.model
    log = progress_log()
    detector.find_frame(PERSONS, progress=log)
    stop = stop_at if stop_at > 0 else len(log.reports) + 1 + stop_at
    with pytest.raises(stop_reporting):
        detector.find_frame(PERSONS, progress=progress_log(stop_at=stop))
    assert detector.model is learned


def test_the_model_steps_count_what_the_settings_hold(progress_log: Any) -> None:
    reports = _reports(DuplicateDetector(person_record_settings()), progress_log)
    assert reports[-1][1] == MODEL_TOTAL


@pytest.mark.parametrize("progress", [True, "yes", 1.0])
def test_a_progress_that_cannot_be_called_is_refused(progress: Any) -> None:
    frame, _, _ = synthetic_leads(10)
    with pytest.raises(ConfigurationError, match="progress must be a callable"):
        DuplicateDetector().find(frame, progress=progress)
    with pytest.raises(ConfigurationError, match="progress must be a callable"):
        DuplicateDetector().find_frame(frame, progress=progress)
