"""Ranking a table of signals: what it refuses, what it reads, and missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadqual.errors import ValidationFailed
from leadqual.prioritize import Prioritizer


@pytest.mark.parametrize(
    ("column", "values", "field"),
    [
        ("predictive_score", [50, 200], "predictive_score"),
        ("predictive_score", [50, -1], "predictive_score"),
        ("icp_tier", ["High", "Excellent"], "icp_tier"),
        ("days_since_touch", [3, "last week"], "days_since_touch"),
        ("engagement_score", ["high", 10], "engagement_score"),
    ],
)
def test_rank_frame_refuses_values_rank_would_refuse(
    column: str, values: list[object], field: str
) -> None:
    frame = pd.DataFrame({"lead_id": ["a", "b"], column: values})
    with pytest.raises(ValidationFailed) as info:
        Prioritizer().rank_frame(frame)
    assert info.value.field == field


def test_rank_frame_accepts_missing_values() -> None:
    frame = pd.DataFrame(
        {
            "lead_id": ["a", "b"],
            "predictive_score": [np.nan, 40],
            "icp_tier": [None, "High"],
            "days_since_touch": [None, 2],
        }
    )
    assert list(Prioritizer().rank_frame(frame)["lead_id"]) == ["b", "a"]


def test_rank_frame_reads_handraiser_text_as_booleans() -> None:
    frame = pd.DataFrame({"lead_id": ["a", "b", "c"], "handraiser": ["no", "yes", "False"]})
    ranked = Prioritizer().rank_frame(frame)
    assert ranked["lead_id"].iloc[0] == "b"
    assert ranked["deciding_factor"].iloc[0] == "handraiser"
    with pytest.raises(ValidationFailed):
        Prioritizer().rank_frame(pd.DataFrame({"lead_id": ["a"], "handraiser": ["maybe"]}))


def test_rank_frame_ranks_more_matching_segments_higher_among_hand_raisers() -> None:
    frame = pd.DataFrame(
        {
            "lead_id": ["a", "b", "c"],
            "handraiser": [True, True, False],
            "handraiser_segments": [1, 2, 0],
        }
    )
    ranked = Prioritizer().rank_frame(frame)
    assert ranked["lead_id"].tolist() == ["b", "a", "c"]
    assert ranked["deciding_factor"].tolist()[:2] == ["handraiser", "handraiser"]


def test_rank_frame_reads_fractional_days_as_whole_days_for_the_recency_band() -> None:
    # 7.9 days is 7 whole days: still recent, so it beats 8.0 days on the band, not the value
    frame = pd.DataFrame({"lead_id": ["old", "new"], "days_since_touch": [8.0, 7.9]})
    ranked = Prioritizer(order=["recency"]).rank_frame(frame)
    assert ranked["lead_id"].tolist() == ["new", "old"]
    bands = (
        Prioritizer(order=["recency"])
        .factors[0]
        .rule({"days_since_touch": np.array([7.9, 8.0])})[0]
    )
    assert bands.tolist() == [2.0, 1.0]


def test_rank_frame_counts_a_never_touched_lead_as_oldest() -> None:
    frame = pd.DataFrame({"lead_id": ["a", "b"], "days_since_touch": [np.nan, 400.0]})
    assert Prioritizer(order=["recency"]).rank_frame(frame)["lead_id"].tolist() == ["b", "a"]
