"""The banding rules the ranking factors and the rating share, each written once for both shapes.

Every rule is plain arithmetic on comparisons, each comparison turned into a number before it is
added (numpy adds two boolean arrays as a logical "or"), so the same function takes one lead's
float or a whole column as a numpy array: ``engagement_band(35.0) == 2.0`` and
``engagement_band(np.array([0.0, 35.0, 80.0]))`` is ``[0., 2., 3.]``. A missing value (NaN) fails
every comparison and so falls in the lowest band.

Examples:
    >>> engagement_band(35.0), recency_band(8.0, recent_days=7, warm_days=21)
    (2.0, 1.0)
    >>> grade_band(80.0, 1.0, (75.0, 50.0, 25.0)), grade_letter(4, (75.0, 50.0, 25.0))
    (4.0, 'A')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "ENGAGEMENT_CUTOFFS",
    "ENGAGEMENT_LEVELS",
    "TIER_BAND",
    "EngagementLevel",
    "Num",
    "engagement_band",
    "grade_band",
    "grade_letter",
    "recency_band",
]

Num = TypeVar("Num", float, "NDArray[Any]")
"""One lead's value, or a column of them."""

EngagementLevel = Literal["High", "Medium", "Low", "None"]
"""Engagement level: High from 50 points, Medium from 20, Low above 0, None."""

ENGAGEMENT_LEVELS: tuple[EngagementLevel, ...] = ("None", "Low", "Medium", "High")
"""The levels by :func:`engagement_band`."""

ENGAGEMENT_CUTOFFS = (20.0, 50.0)
"""Engagement scores from which the level is Medium, then High."""

TIER_BAND: Mapping[str, int] = {"High": 3, "Moderate": 2, "Unknown": 1, "Low": 0}
"""ICP fit tiers as ranking bands: Unknown above Low, since missing data is not a mismatch."""


def engagement_band(score: Num) -> Num:
    """0 (None) at 0 points, 1 (Low) above 0, 2 (Medium) from 20, 3 (High) from 50."""
    band = 1.0 * (score > 0)
    for cut in ENGAGEMENT_CUTOFFS:
        band = band + 1.0 * (score >= cut)
    return band


def recency_band(days: Num, *, recent_days: int, warm_days: int) -> Num:
    """2 when the last sign of life is at most ``recent_days`` whole days old, 1 up to
    ``warm_days``, else 0. ``days`` may hold fractions: 7.9 days is 7 whole days."""
    return 1.0 * (days < warm_days + 1) + 1.0 * (days < recent_days + 1)


def grade_band(score: Num, scored: Num, cutoffs: Sequence[float]) -> Num:
    """0 unscored (``scored`` 0); else 1 plus the number of grade cut-offs the score reaches,
    so the top grade has the most bands."""
    band = 1.0 * scored
    for cut in cutoffs:
        band = band + scored * (score >= cut)
    return band


def grade_letter(band: int, cutoffs: Sequence[float]) -> str:
    """The grade of a scored band: A for the top band, then B, C, ..."""
    return chr(ord("A") + len(cutoffs) + 1 - band)
