"""Prioritisation in three stages: hand-raiser segments, engagement and the Hot / Warm / Cold
rating, and the :class:`Prioritizer` that ranks a seller's open leads, each entry with "why this
rank".

- :mod:`~leadqual.prioritize.handraisers`: :class:`HandraiserEvaluator` says which
  :class:`HandraiserSegment` (a declarative filter from the config file) matched a lead and why.
- :mod:`~leadqual.prioritize.rating`: :func:`measure_engagement` and :func:`rate_lead`.
- :mod:`~leadqual.prioritize.factors`: one object per ranking factor, whose rule serves the
  ranking of lead contexts and of a table of signals alike.
- :mod:`~leadqual.prioritize.ranking`: the :class:`Prioritizer`.

The segments, rating cut-offs and the order of factors are configuration
(:mod:`leadqual.config`) and are re-exported here.

Examples:
    >>> seg = HandraiserSegment(
    ...     name="Direct inquiries",
    ...     match="any",
    ...     conditions=[
    ...         FieldCondition(field="lead.lead_source", op="in", value=["Phone inquiry", "Chat"]),
    ...         ActivityCondition(kinds=["email", "phone_call", "chat"], within_days=30),
    ...     ],
    ... )
    >>> Prioritizer(handraisers=[seg]).order[0]
    'handraiser'
"""

from leadqual.config.prioritize import (
    DEFAULT_PRIORITY_ORDER,
    ActivityCondition,
    FieldCondition,
    HandraiserSegment,
    PrioritizationOrder,
    PriorityFactor,
    RatingPolicy,
)
from leadqual.prioritize._bands import EngagementLevel
from leadqual.prioritize.factors import Factor, FactorValue
from leadqual.prioritize.handraisers import (
    ConditionResult,
    HandraiserEvaluator,
    HandraiserResult,
    SegmentResult,
)
from leadqual.prioritize.ranking import (
    PrioritizedLead,
    PrioritizedList,
    Prioritizer,
    RankBand,
    ScoreInput,
    SupportsScore,
)
from leadqual.prioritize.rating import (
    Engagement,
    LeadRating,
    Rating,
    RatingFactor,
    RatingPart,
    measure_engagement,
    rate_lead,
)

__all__ = [
    "DEFAULT_PRIORITY_ORDER",
    "ActivityCondition",
    "ConditionResult",
    "Engagement",
    "EngagementLevel",
    "Factor",
    "FactorValue",
    "FieldCondition",
    "HandraiserEvaluator",
    "HandraiserResult",
    "HandraiserSegment",
    "LeadRating",
    "PrioritizationOrder",
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
]
