"""Deprecated: the prioritisation API lives in :mod:`leadqual.prioritize` now.

Every name this module exported still resolves, with a :class:`DeprecationWarning` that says to
import it from ``leadqual.prioritize``.
"""

from leadqual._compat import moved_names

_NAMES = (
    "DEFAULT_PRIORITY_ORDER",
    "ActivityCondition",
    "ConditionResult",
    "Engagement",
    "EngagementLevel",
    "FactorValue",
    "FieldCondition",
    "HandraiserEvaluator",
    "HandraiserResult",
    "HandraiserSegment",
    "LeadRating",
    "PrioritizedLead",
    "PrioritizedList",
    "Prioritizer",
    "PriorityFactor",
    "RankBand",
    "Rating",
    "RatingFactor",
    "RatingPart",
    "RatingPolicy",
    "ScoreInput",
    "SegmentResult",
    "SupportsScore",
    "measure_engagement",
    "rate_lead",
)

__all__: list[str] = []

__getattr__ = moved_names(__name__, dict.fromkeys(_NAMES, "leadqual.prioritize"))
