"""Process-parallel comparison: the result is the same for any number of workers."""

from __future__ import annotations

import pandas as pd
import pytest

from leadqual.dedupe import DuplicateDetector, lead_settings, person_record_settings
from leadqual.dedupe.synthetic import synthetic_leads, synthetic_person_records
from leadqual.errors import ConfigurationError


@pytest.mark.parametrize("profile", ["febrl", "household"])
def test_one_or_two_workers_find_the_same_pairs_clusters_and_cuts(profile: str) -> None:
    records, _ = synthetic_person_records(1200, seed=4, profile=profile)  # type: ignore[arg-type]
    assert len(records) > 2000
    results = []
    for workers in (1, 2):
        # small chunks, so the pairs are spread over many chunks and both workers
        det = DuplicateDetector(person_record_settings(), workers=workers, chunk_size=997)
        frame = det.find_frame(records, transitive=True)
        results.append((frame, frame.attrs["cut_links"], det.model.weights()))  # type: ignore[union-attr]
    (one, cuts_one, weights_one), (two, cuts_two, weights_two) = results
    pd.testing.assert_frame_equal(one, two)
    assert cuts_one == cuts_two
    assert weights_one == weights_two
    assert len(one) > 500


def test_rules_are_the_same_with_workers_too() -> None:
    frame, _, _ = synthetic_leads(3000, seed=3)
    one = DuplicateDetector(lead_settings(), workers=1, chunk_size=1000).find_frame(frame)
    two = DuplicateDetector(lead_settings(), workers=2, chunk_size=1000).find_frame(frame)
    pd.testing.assert_frame_equal(one, two)
    assert len(one) > 100


@pytest.mark.parametrize("workers", [0, -2])
def test_workers_must_be_all_cores_or_a_count(workers: int) -> None:
    with pytest.raises(ConfigurationError, match="workers"):
        DuplicateDetector(workers=workers)


def test_all_cores_is_the_default() -> None:
    assert DuplicateDetector().workers == -1
