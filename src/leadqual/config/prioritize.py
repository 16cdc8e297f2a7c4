"""Prioritisation as data: hand-raiser segments and their conditions, the Hot / Warm / Cold rating
cut-offs, and the order of factors the :class:`~leadqual.prioritize.Prioritizer` ranks by.

:mod:`leadqual.prioritize` gives these behaviour and re-exports them.

Examples:
    >>> seg = HandraiserSegment(
    ...     name="Direct inquiries",
    ...     match="any",
    ...     conditions=[
    ...         FieldCondition(field="lead.lead_source", op="in", value=["Phone inquiry", "Chat"]),
    ...         ActivityCondition(kinds=["email", "phone_call", "chat"], within_days=30),
    ...     ],
    ... )
    >>> seg.name
    'Direct inquiries'
    >>> PrioritizationOrder().order[0]
    'handraiser'
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated, Literal, Self, get_args

from pydantic import Field, model_validator

from leadqual.config._shared import ConfigPart, FieldPath
from leadqual.models import CustomValue

__all__ = [
    "DEFAULT_PRIORITY_ORDER",
    "ActivityCondition",
    "FieldCondition",
    "HandraiserSegment",
    "Operator",
    "PrioritizationOrder",
    "PriorityFactor",
    "RatingPolicy",
    "SegmentCondition",
]

Operator = Literal[
    "eq", "ne", "in", "not_in", "contains", "exists", "missing", "gt", "ge", "lt", "le"
]
"""How a :class:`FieldCondition` compares the field with its value."""

PriorityFactor = Literal[
    "handraiser",
    "icp_fit",
    "predictive_score",
    "engagement",
    "account_association",
    "recency",
]
"""A factor the Prioritizer sorts by."""

DEFAULT_PRIORITY_ORDER: tuple[PriorityFactor, ...] = get_args(PriorityFactor)
"""The commercial agent's documented order, as :data:`PriorityFactor` lists them: hand-raisers
first, then ICP fit, then the predictive score, engagement, account association and recency."""


class FieldCondition(ConfigPart):
    """A test on one field of the lead context (``lead.lead_source in [...]``)."""

    type: Literal["field"] = "field"
    """Marks a field condition."""
    field: FieldPath
    """The field tested: ``lead.lead_source``, ``account.industry``."""
    op: Operator = "eq"
    """How the field is compared with ``value``."""
    value: CustomValue | list[CustomValue] = None
    """The value compared with (a list for ``in`` and ``not_in``; none for ``exists`` and ``missing``)."""

    @model_validator(mode="after")
    def _value_fits_op(self) -> Self:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} needs a list value")
        if self.op not in ("in", "not_in", "exists", "missing") and isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} needs a single value, not a list")
        if self.op not in ("exists", "missing") and self.value is None:
            raise ValueError(f"operator {self.op!r} needs a value")
        values = self.value if isinstance(self.value, list) else [self.value]
        if any(isinstance(v, float) and math.isnan(v) for v in values):
            raise ValueError("a condition on NaN never holds (NaN equals nothing): give a value")
        # JSON has no infinity (it would be written as null and read back as "no value"), and
        # no lead field holds one, so an infinite value is refused like NaN.
        if any(isinstance(v, float) and math.isinf(v) for v in values):
            raise ValueError(
                "a condition on an infinite number cannot be saved or met: give a finite value"
            )
        return self


class ActivityCondition(ConfigPart):
    """A test on the lead's activities: "an inbound email, call or chat in the last 30 days"."""

    type: Literal["activity"] = "activity"
    """Marks an activity condition."""
    kinds: tuple[Literal["email", "phone_call", "chat", "appointment"], ...] = Field(min_length=1)
    """Which activities count."""
    direction: Literal["inbound", "outbound", "any"] = "inbound"
    """Which way they went: from the lead (inbound), to it, or either."""
    within_days: Annotated[int, Field(gt=0)] | None = 30
    """Only activities of the last so many days count (none: any time)."""
    min_count: Annotated[int, Field(ge=1)] = 1
    """How many such activities are needed."""
    replies: bool = False
    """Count emails that answer the seller's own messages (``in_reply_to`` set or "RE:"). Off by
    default: answering outreach is engagement, not a raised hand. Automatic replies and delivery
    failures never count."""


SegmentCondition = Annotated[FieldCondition | ActivityCondition, Field(discriminator="type")]
"""A condition of a hand-raiser segment, told apart by its ``type``."""


class HandraiserSegment(ConfigPart):
    """A named filter that marks a lead as a hand-raiser."""

    name: Annotated[str, Field(min_length=1)]
    """The segment's name, shown as the reason a lead is a hand-raiser."""
    match: Literal["all", "any"] = "all"
    """Whether every condition must hold, or any one."""
    conditions: tuple[SegmentCondition, ...] = Field(min_length=1)
    """The tests on the lead's fields and activities."""
    description: str | None = None
    """What the segment is for."""


class RatingPolicy(ConfigPart):
    """Cut-offs of the Hot / Warm / Cold rating.

    Each of fit, intent, recency and engagement earns 0-2 points; Hot from ``hot_at`` points,
    Warm from ``warm_at``. Recency bands: ``recent_days`` or less (2), up to ``warm_days`` (1),
    older (0); activities of the last ``window_days`` count.

    Examples:
        >>> RatingPolicy().hot_at
        6
    """

    hot_at: Annotated[int, Field(ge=1, le=8)] = 6
    """Points (of 8) from which a lead is Hot."""
    warm_at: Annotated[int, Field(ge=0, le=8)] = 3
    """Points from which a lead is Warm (below: Cold)."""
    recent_days: Annotated[int, Field(ge=0)] = 7
    """A last sign of life at most this many days ago earns 2 recency points."""
    warm_days: Annotated[int, Field(ge=0)] = 21
    """At most this many days ago earns 1."""
    window_days: Annotated[int, Field(ge=1)] = 60
    """Activities of the last so many days count toward engagement and intent."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.warm_at > self.hot_at:
            raise ValueError("warm_at is above hot_at")
        if self.recent_days > self.warm_days:
            raise ValueError("recent_days is above warm_days")
        return self


class PrioritizationOrder(ConfigPart):
    """The order of factors the Prioritizer sorts by (hand-raisers first unless changed), the
    Hot/Warm/Cold rating cut-offs, and the predictive-score grade cut-offs it ranks by."""

    order: tuple[PriorityFactor, ...] = DEFAULT_PRIORITY_ORDER
    """The factors, most important first; each at most once."""
    rating: RatingPolicy = RatingPolicy()
    """The Hot / Warm / Cold cut-offs."""
    score_cutoffs: tuple[Annotated[float, Field(ge=0, le=100)], ...] = (75.0, 50.0, 25.0)
    """Lowest predictive score of grades A, B, C, ...; strictly decreasing."""

    @model_validator(mode="after")
    def _no_repeats(self) -> Self:
        if len(set(self.order)) != len(self.order):
            raise ValueError("a factor appears twice in the prioritisation order")
        if not self.order:
            raise ValueError("the prioritisation order needs at least one factor")
        cuts = self.score_cutoffs
        if not cuts or any(a <= b for a, b in itertools.pairwise(cuts)):
            raise ValueError("score_cutoffs must be strictly decreasing, e.g. [75, 50, 25]")
        return self
