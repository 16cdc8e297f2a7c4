"""Hand-raiser segments and the prioritisation order, as data.

A hand-raiser is a lead who showed interest on their own: came through a campaign or a web form, or
called, emailed or chatted in. Segments are declarative filters an admin writes in the config file.

Example:
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
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from leadqual._base import LeadqualModel
from leadqual.models import CustomValue

__all__ = [
    "DEFAULT_PRIORITY_ORDER",
    "ActivityCondition",
    "FieldCondition",
    "HandraiserSegment",
    "PriorityFactor",
]

Operator = Literal[
    "eq", "ne", "in", "not_in", "contains", "exists", "missing", "gt", "ge", "lt", "le"
]

PriorityFactor = Literal[
    "handraiser",
    "icp_fit",
    "predictive_score",
    "engagement",
    "account_association",
    "recency",
]
"""A factor the Prioritizer sorts by."""

DEFAULT_PRIORITY_ORDER: tuple[PriorityFactor, ...] = (
    "handraiser",
    "icp_fit",
    "predictive_score",
    "engagement",
    "account_association",
    "recency",
)
"""The commercial agent's documented order: hand-raisers first, then ICP fit, then the score."""


class FieldCondition(LeadqualModel):
    """A test on one field of the lead context (``lead.lead_source in [...]``)."""

    model_config = ConfigDict(frozen=True)

    type: Literal["field"] = "field"
    field: Annotated[str, Field(pattern=r"^(lead|account|contact)\.[A-Za-z_][\w.]*$")]
    op: Operator = "eq"
    value: CustomValue | list[CustomValue] = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> FieldCondition:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} needs a list value")
        if self.op not in ("in", "not_in", "exists", "missing") and isinstance(self.value, list):
            raise ValueError(f"operator {self.op!r} needs a single value, not a list")
        if self.op not in ("exists", "missing") and self.value is None:
            raise ValueError(f"operator {self.op!r} needs a value")
        return self


class ActivityCondition(LeadqualModel):
    """A test on the lead's activities: "an inbound email, call or chat in the last 30 days"."""

    model_config = ConfigDict(frozen=True)

    type: Literal["activity"] = "activity"
    kinds: tuple[Literal["email", "phone_call", "chat", "appointment"], ...] = Field(min_length=1)
    direction: Literal["inbound", "outbound", "any"] = "inbound"
    within_days: Annotated[int, Field(gt=0)] | None = 30
    min_count: Annotated[int, Field(ge=1)] = 1


SegmentCondition = Annotated[FieldCondition | ActivityCondition, Field(discriminator="type")]


class HandraiserSegment(LeadqualModel):
    """A named filter that marks a lead as a hand-raiser."""

    model_config = ConfigDict(frozen=True)

    name: Annotated[str, Field(min_length=1)]
    match: Literal["all", "any"] = "all"
    conditions: tuple[SegmentCondition, ...] = Field(min_length=1)
    description: str | None = None
