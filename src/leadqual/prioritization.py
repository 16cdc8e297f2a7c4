"""Hand-raiser segments, lead rating (Hot / Warm / Cold) and the `Prioritizer`, each with reasons.

A hand-raiser is a lead who showed interest on their own: came through a campaign or a web form, or
called, emailed or chatted in. Segments are declarative filters an admin writes in the config file;
:class:`HandraiserEvaluator` says which segment matched and why. :class:`Prioritizer` ranks a
seller's open leads by a configurable order of factors (hand-raiser, ICP fit, predictive score,
engagement, account association, recency) and says, for each entry, which factors decided its
place.

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
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, Self, runtime_checkable

from pydantic import ConfigDict, Field, model_validator

from leadqual._base import LeadqualModel, UtcDatetime, to_utc
from leadqual._fields import check_path, get_path, is_empty
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.icp.matcher import IcpFit, IcpMatcher
from leadqual.icp.profile import IcpProfile
from leadqual.models import (
    Appointment,
    ChatMessage,
    CustomValue,
    EmailMessage,
    LeadContext,
    OpportunityStatus,
    PhoneCall,
)

if TYPE_CHECKING:
    import pandas as pd

    from leadqual.config import AgentConfig

__all__ = [
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
]

logger = logging.getLogger(__name__)

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
    replies: bool = False
    """Count emails that answer the seller's own messages (``in_reply_to`` set or "RE:"). Off by
    default: answering outreach is engagement, not a raised hand. Automatic replies and delivery
    failures never count."""


SegmentCondition = Annotated[FieldCondition | ActivityCondition, Field(discriminator="type")]


class HandraiserSegment(LeadqualModel):
    """A named filter that marks a lead as a hand-raiser."""

    model_config = ConfigDict(frozen=True)

    name: Annotated[str, Field(min_length=1)]
    match: Literal["all", "any"] = "all"
    conditions: tuple[SegmentCondition, ...] = Field(min_length=1)
    description: str | None = None


# == hand-raiser segments: evaluation ==========================================================


# Result parts built inside this module (ConditionResult, RatingPart, FactorValue) use
# model_construct: their values are valid by construction, and validating some twenty small models
# per lead would dominate the cost of ranking.


class ConditionResult(LeadqualModel):
    """Whether one condition of a segment held, and what was seen."""

    model_config = ConfigDict(frozen=True)

    condition: str
    """The condition in words: ``lead.lead_source in [Web form, Campaign]``."""
    passed: bool
    detail: str
    """What was seen: ``lead.lead_source is 'Web form'``, ``inbound chat 2 days ago``."""


class SegmentResult(LeadqualModel):
    """One segment's verdict on a lead."""

    model_config = ConfigDict(frozen=True)

    segment: str
    matched: bool
    conditions: tuple[ConditionResult, ...]

    @property
    def reason(self) -> str:
        """The conditions that decided, in words."""
        decisive = [c for c in self.conditions if c.passed == self.matched] or list(self.conditions)
        return "; ".join(c.detail for c in decisive)


class HandraiserResult(LeadqualModel):
    """Whether a lead is a hand-raiser, which segment says so, and why.

    Examples:
        >>> HandraiserResult(lead_id="L-1", segments=()).is_handraiser
        False
    """

    model_config = ConfigDict(frozen=True)

    lead_id: str
    segments: tuple[SegmentResult, ...]
    """Every configured segment's verdict, in configuration order."""

    @property
    def is_handraiser(self) -> bool:
        """Whether any segment matched."""
        return any(s.matched for s in self.segments)

    @property
    def segment(self) -> str | None:
        """The first matching segment (in configuration order), or ``None``."""
        return next((s.segment for s in self.segments if s.matched), None)

    @property
    def matched_segments(self) -> tuple[str, ...]:
        """Every matching segment."""
        return tuple(s.segment for s in self.segments if s.matched)

    @property
    def reason(self) -> str:
        """Why: ``Direct inquiries: inbound chat 2 days ago``, or why no segment matched."""
        hit = next((s for s in self.segments if s.matched), None)
        if hit is not None:
            return f"{hit.segment}: {hit.reason}"
        if not self.segments:
            return "no hand-raiser segments are configured"
        return "no hand-raiser segment matched"


def _norm(value: object) -> object:
    """A value as equality sees it: text case-folded, numbers (also written as text, "1,000") as
    floats, and booleans kept apart from 1 and 0."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if _NUMERIC_TEXT.fullmatch(text):
            return float(text.replace(",", ""))
        return text.casefold()
    return value


_NUMERIC_TEXT = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+-]?\d+(?:\.\d+)?")


def _show(value: object) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", ""))
        except ValueError:
            return None
    return None


def _as_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, str):
        try:
            return to_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def _compare(op: str, seen: object, wanted: object) -> bool | None:
    """Ordered comparison of numbers or times; ``None`` when the two are not comparable."""
    a: float | datetime | None
    b: float | datetime | None
    if isinstance(seen, datetime) or (_as_time(wanted) is not None and _as_number(wanted) is None):
        a, b = _as_time(seen), _as_time(wanted)
    else:
        a, b = _as_number(seen), _as_number(wanted)
    if a is None or b is None:
        return None
    if op == "gt":
        return a > b  # type: ignore[operator]
    if op == "ge":
        return a >= b  # type: ignore[operator]
    if op == "lt":
        return a < b  # type: ignore[operator]
    return a <= b  # type: ignore[operator]


def _field_result(cond: FieldCondition, context: LeadContext) -> ConditionResult:
    raw = get_path(context, cond.field)
    if isinstance(raw, LeadqualModel):
        raw = str(raw)
    words = (
        f"{cond.field} {cond.op}"
        if cond.op in ("exists", "missing")
        else f"{cond.field} {cond.op} {_show(cond.value)}"
    )
    empty = is_empty(raw)
    if cond.op == "exists":
        return ConditionResult.model_construct(
            condition=words,
            passed=not empty,
            detail=f"{cond.field} is {_show(raw)}" if not empty else f"{cond.field} is empty",
        )
    if cond.op == "missing":
        return ConditionResult.model_construct(
            condition=words,
            passed=empty,
            detail=f"{cond.field} is empty" if empty else f"{cond.field} is {_show(raw)}",
        )
    if empty:
        # "not X" holds for an empty field; every other test needs a value
        return ConditionResult.model_construct(
            condition=words, passed=cond.op in ("ne", "not_in"), detail=f"{cond.field} is empty"
        )
    seen = f"{cond.field} is {_show(raw)}"
    passed: bool
    if cond.op in ("eq", "ne"):
        same = _norm(raw) == _norm(cond.value)
        passed = same if cond.op == "eq" else not same
    elif cond.op in ("in", "not_in"):
        assert isinstance(cond.value, list)
        inside = _norm(raw) in {_norm(v) for v in cond.value}
        passed = inside if cond.op == "in" else not inside
    elif cond.op == "contains":
        passed = str(_norm(cond.value)) in str(_norm(raw))
    else:
        outcome = _compare(cond.op, raw, cond.value)
        if outcome is None:
            return ConditionResult.model_construct(
                condition=words,
                passed=False,
                detail=f"{seen}, which cannot be compared with {_show(cond.value)}",
            )
        passed = outcome
    return ConditionResult.model_construct(condition=words, passed=passed, detail=seen)


_KIND_WORDS = {
    "email": "email",
    "phone_call": "phone call",
    "chat": "chat",
    "appointment": "meeting",
}


def _ago(now: datetime, then: datetime) -> str:
    days = (now - then).days
    if days <= 0:
        return "today"
    return "1 day ago" if days == 1 else f"{days} days ago"


_REPLY_PREFIX = re.compile(
    r"^\s*(re|aw|sv|antw|vs|r|wg)\s*:|^\s*(automatic reply|auto[- ]?reply|out of (the )?office)",
    re.IGNORECASE,
)


def _is_reply(email: EmailMessage) -> bool:
    """Whether an inbound email answers an earlier message (a reply or an automatic reply)."""
    return bool(email.in_reply_to) or bool(_REPLY_PREFIX.match(email.subject or ""))


_AUTOMATIC_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|out of (the )?office|undeliverable|"
    r"delivery status notification|mail delivery (failed|failure)|returned mail)",
    re.IGNORECASE,
)
_NO_ENGAGEMENT = frozenset({"not_interested", "out_of_office", "bounce"})


def _is_automatic(email: EmailMessage) -> bool:
    """An out-of-office answer or a delivery failure: written by a machine, not the lead."""
    sender = email.from_address.casefold()
    return bool(_AUTOMATIC_SUBJECT.match(email.subject or "")) or sender.startswith(
        ("mailer-daemon@", "postmaster@", "no-reply@", "noreply@")
    )


def _activity_result(
    cond: ActivityCondition, context: LeadContext, now: datetime
) -> ConditionResult:
    kinds = ", ".join(_KIND_WORDS[k] for k in cond.kinds)
    direction = "" if cond.direction == "any" else f"{cond.direction} "
    window = f" in the last {cond.within_days} days" if cond.within_days else ""
    words = f"{cond.min_count}+ {direction}{kinds}{window}"
    since = now - timedelta(days=cond.within_days) if cond.within_days else None
    hits = []
    for a in context.activities:
        if a.kind not in cond.kinds:
            continue
        # appointments carry no direction: they count whatever the condition's direction
        if (
            cond.direction != "any"
            and not isinstance(a, Appointment)
            and getattr(a, "direction", None) != cond.direction
        ):
            continue
        at = a.occurred_at
        if at > now or (since is not None and at < since):
            continue
        if isinstance(a, EmailMessage) and (
            # a bounce or an automatic reply is written by a machine: never a raised hand
            _is_automatic(a) or (not cond.replies and _is_reply(a))
        ):
            continue
        hits.append(a)
    passed = len(hits) >= cond.min_count
    if hits:
        last = max(hits, key=lambda a: (a.occurred_at, a.id))
        more = f" ({len(hits)} in all)" if len(hits) > 1 else ""
        detail = f"{direction}{_KIND_WORDS[last.kind]} {_ago(now, last.occurred_at)}{more}"
        if not passed:
            detail += f", fewer than {cond.min_count}"
    else:
        detail = f"no {direction}{kinds}{window}"
    return ConditionResult.model_construct(condition=words, passed=passed, detail=detail)


class HandraiserEvaluator:
    """Evaluates hand-raiser segments on leads, saying which segment matched and why.

    Args:
        segments: the segments, in the order they are reported (usually ``AgentConfig.handraisers``).

    Raises:
        ConfigurationError: a condition names a field that cannot exist.

    Examples:
        >>> from leadqual.sources import load_sample_config, load_sample_data, build_context, load_sample
        >>> data, cfg = load_sample_data(), load_sample_config()
        >>> first = data.truth["handraisers"][0]
        >>> ctx = build_context(load_sample(), first)
        >>> HandraiserEvaluator(cfg.handraisers).evaluate(ctx, now=data.as_of).is_handraiser
        True
    """

    def __init__(self, segments: Sequence[HandraiserSegment], /) -> None:
        self.segments = tuple(segments)
        for seg in self.segments:
            for cond in seg.conditions:
                if isinstance(cond, FieldCondition):
                    check_path(cond.field, where=f"hand-raiser segment {seg.name!r}")

    def evaluate(self, context: LeadContext, /, *, now: datetime) -> HandraiserResult:
        """Evaluate every segment on one lead, ``now`` being the reference time."""
        if not isinstance(context, LeadContext):
            raise ValidationFailed(
                f"evaluate needs a LeadContext, got {type(context).__name__}", field="context"
            )
        now = to_utc(now)
        results = []
        for seg in self.segments:
            conds = tuple(
                _field_result(c, context)
                if isinstance(c, FieldCondition)
                else _activity_result(c, context, now)
                for c in seg.conditions
            )
            passed = [c.passed for c in conds]
            matched = all(passed) if seg.match == "all" else any(passed)
            results.append(SegmentResult(segment=seg.name, matched=matched, conditions=conds))
        return HandraiserResult(lead_id=context.lead.id, segments=tuple(results))


# == engagement ==================================================================================

EngagementLevel = Literal["High", "Medium", "Low", "None"]
"""Engagement level: High from 50 points, Medium from 20, Low above 0, None."""


class Engagement(LeadqualModel):
    """How much the lead has interacted recently (activities of the last ``window_days``).

    Points: an inbound call 20, an inbound email 15, an inbound chat 12, a held or upcoming
    meeting 25, an answered outbound call 10, an unanswered inbound call 8; capped at 100.
    Outbound emails and unanswered outbound calls are counted (``outbound``) but earn nothing:
    a seller writing more does not make the lead more engaged. Levels: High from 50, Medium
    from 20, Low above 0.
    """

    model_config = ConfigDict(frozen=True)

    score: Annotated[float, Field(ge=0, le=100)]
    level: EngagementLevel
    inbound: int = 0
    """Inbound emails, calls and chats in the window."""
    outbound: int = 0
    meetings: int = 0
    """Meetings held in the window or scheduled ahead."""
    last_inbound_at: UtcDatetime | None = None
    last_touch_at: UtcDatetime
    """The lead's latest sign of life: its last inbound message or held meeting, else its creation."""
    window_days: int = 60
    declined: int = 0
    """Inbound replies classified "not interested" (with a reply classifier), which earn nothing."""

    def describe(self) -> str:
        """``Medium (35): 2 inbound, 1 meeting in 60 days``."""
        bits = []
        if self.inbound:
            bits.append(f"{self.inbound} inbound")
        if self.meetings:
            bits.append(f"{self.meetings} meeting{'s' if self.meetings > 1 else ''}")
        if self.outbound:
            bits.append(f"{self.outbound} outbound")
        what = ", ".join(bits) if bits else "no activity"
        return f"{self.level} ({self.score:.0f}): {what} in {self.window_days} days"


def measure_engagement(
    context: LeadContext,
    /,
    *,
    now: datetime,
    window_days: int = 60,
    reply_classifier: Callable[[str], str] | None = None,
) -> Engagement:
    """Measure a lead's engagement over the last ``window_days`` before ``now``.

    Automatic replies (out of office, delivery failures) are not engagement. With a
    ``reply_classifier`` (text -> intent name, e.g. ``lambda t: classify_reply(t).intent`` from
    ``leadqual.drafting``), inbound emails classified ``not_interested``, ``out_of_office`` or
    ``bounce`` earn nothing either; ``not_interested`` is recorded in ``declined``.
    """
    now = to_utc(now)
    declined = 0
    since = now - timedelta(days=window_days)
    points = 0.0
    inbound = outbound = meetings = 0
    last_in: datetime | None = None
    touch = context.lead.created_at
    for a in context.activities:
        at = a.occurred_at
        if isinstance(a, Appointment):
            if a.status == "canceled" or at < since:
                continue
            meetings += 1
            points += 25
            if at <= now:
                touch = max(touch, at)
            continue
        if at > now or at < since:
            continue
        if isinstance(a, EmailMessage | ChatMessage | PhoneCall):
            if isinstance(a, EmailMessage) and a.direction == "inbound":
                if _is_automatic(a):
                    continue
                if reply_classifier is not None:
                    intent = reply_classifier(a.body or a.subject or "")
                    if intent in _NO_ENGAGEMENT:
                        declined += intent == "not_interested"
                        continue
            if a.direction == "inbound":
                inbound += 1
                if isinstance(a, PhoneCall):
                    points += 20 if a.answered else 8
                else:
                    points += 15 if isinstance(a, EmailMessage) else 12
                last_in = at if last_in is None else max(last_in, at)
                touch = max(touch, at)
            else:
                outbound += 1
                if isinstance(a, PhoneCall) and a.answered:
                    points += 10
                    touch = max(touch, at)
    score = min(100.0, points)
    level: EngagementLevel = (
        "High" if score >= 50 else "Medium" if score >= 20 else "Low" if score > 0 else "None"
    )
    return Engagement(
        score=score,
        level=level,
        inbound=inbound,
        outbound=outbound,
        meetings=meetings,
        last_inbound_at=last_in,
        last_touch_at=min(touch, now) if touch <= now else touch,
        window_days=window_days,
        declined=declined,
    )


# == rating ======================================================================================

Rating = Literal["Hot", "Warm", "Cold"]
"""A lead's rating."""
RatingFactor = Literal["fit", "intent", "recency", "engagement"]
"""The four parts of a Hot / Warm / Cold rating."""


class RatingPolicy(LeadqualModel):
    """Cut-offs of the Hot / Warm / Cold rating.

    Each of fit, intent, recency and engagement earns 0-2 points; Hot from ``hot_at`` points,
    Warm from ``warm_at``. Recency bands: ``recent_days`` or less (2), up to ``warm_days`` (1),
    older (0); activities of the last ``window_days`` count.

    Examples:
        >>> RatingPolicy().hot_at
        6
    """

    model_config = ConfigDict(frozen=True)

    hot_at: Annotated[int, Field(ge=1, le=8)] = 6
    warm_at: Annotated[int, Field(ge=0, le=8)] = 3
    recent_days: Annotated[int, Field(ge=0)] = 7
    warm_days: Annotated[int, Field(ge=0)] = 21
    window_days: Annotated[int, Field(ge=1)] = 60

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.warm_at > self.hot_at:
            raise ValueError("warm_at is above hot_at")
        if self.recent_days > self.warm_days:
            raise ValueError("recent_days is above warm_days")
        return self


class RatingPart(LeadqualModel):
    """One part of a rating, with its points and reason."""

    model_config = ConfigDict(frozen=True)

    factor: RatingFactor
    points: Annotated[int, Field(ge=0, le=2)]
    label: str
    """``High``, ``hand-raiser``, ``3 days``, ``Medium``..."""
    reason: str


class LeadRating(LeadqualModel):
    """Hot / Warm / Cold, from fit, intent, recency and engagement, each part shown.

    Examples:
        >>> LeadRating(lead_id="L-1", rating="Cold", points=0, parts=()).summary()
        'Cold (0/8)'
    """

    model_config = ConfigDict(frozen=True)

    lead_id: str
    rating: Rating
    points: Annotated[int, Field(ge=0, le=8)]
    parts: tuple[RatingPart, ...]

    def summary(self) -> str:
        """``Hot (7/8): fit High 2, intent hand-raiser 2, recency 3 days 2, engagement Low 1``."""
        bits = ", ".join(f"{p.factor} {p.label} {p.points}" for p in self.parts)
        return f"{self.rating} ({self.points}/8)" + (f": {bits}" if bits else "")


def _days(now: datetime, then: datetime) -> int:
    return max(0, (now - then).days)


def rate_lead(
    context: LeadContext,
    /,
    *,
    now: datetime,
    fit: IcpFit | None = None,
    handraiser: HandraiserResult | None = None,
    engagement: Engagement | None = None,
    policy: RatingPolicy | None = None,
    reply_classifier: Callable[[str], str] | None = None,
) -> LeadRating:
    """Rate a lead Hot, Warm or Cold; each part (fit, intent, recency, engagement) is shown.

    Intent is 2 for a hand-raiser or a meeting held or booked in the window, 1 for an inbound
    message in the window, else 0. Fit is 2 for High, 1 for Moderate, 0 otherwise (Unknown
    included: a rating is about what is known).
    """
    policy = policy or RatingPolicy()
    now = to_utc(now)
    eng = engagement or measure_engagement(
        context, now=now, window_days=policy.window_days, reply_classifier=reply_classifier
    )
    parts: list[RatingPart] = []
    if fit is None:
        parts.append(
            RatingPart.model_construct(
                factor="fit", points=0, label="n/a", reason="no ICP configured"
            )
        )
    else:
        pts = {"High": 2, "Moderate": 1}.get(fit.tier, 0)
        parts.append(
            RatingPart.model_construct(
                factor="fit", points=pts, label=fit.tier, reason=fit.summary()
            )
        )
    if handraiser is not None and handraiser.is_handraiser:
        parts.append(
            RatingPart.model_construct(
                factor="intent", points=2, label="hand-raiser", reason=handraiser.reason
            )
        )
    elif eng.meetings:
        parts.append(
            RatingPart.model_construct(
                factor="intent",
                points=2,
                label="meeting",
                reason=f"{eng.meetings} meeting(s) held or booked",
            )
        )
    elif eng.inbound:
        parts.append(
            RatingPart.model_construct(
                factor="intent",
                points=1,
                label="inbound",
                reason=f"{eng.inbound} inbound message(s) in {policy.window_days} days",
            )
        )
    else:
        parts.append(
            RatingPart.model_construct(
                factor="intent", points=0, label="none", reason="no sign of interest yet"
            )
        )
    days = _days(now, eng.last_touch_at)
    rpts = 2 if days <= policy.recent_days else 1 if days <= policy.warm_days else 0
    parts.append(
        RatingPart.model_construct(
            factor="recency",
            points=rpts,
            label=f"{days} days",
            reason=f"last sign of life {_ago(now, eng.last_touch_at)}",
        )
    )
    epts = {"High": 2, "Medium": 1}.get(eng.level, 0)
    parts.append(
        RatingPart.model_construct(
            factor="engagement", points=epts, label=eng.level, reason=eng.describe()
        )
    )
    total = sum(p.points for p in parts)
    rating: Rating = (
        "Hot" if total >= policy.hot_at else "Warm" if total >= policy.warm_at else "Cold"
    )
    return LeadRating(lead_id=context.lead.id, rating=rating, points=total, parts=tuple(parts))


# == prioritisation ==============================================================================

RankBand = Literal["top", "high", "medium", "low"]
"""Quarter of a ranked list an entry sits in, from the top."""
_TIER_BAND: Mapping[str, int] = {"High": 3, "Moderate": 2, "Unknown": 1, "Low": 0}
_FACTOR_WORDS: Mapping[str, str] = {
    "handraiser": "hand-raiser",
    "icp_fit": "ICP fit",
    "predictive_score": "predictive score",
    "engagement": "engagement",
    "account_association": "account association",
    "recency": "recency",
}


class FactorValue(LeadqualModel):
    """A lead's standing on one prioritisation factor: a band (compared first), a finer value
    (compared when every band ties) and a label a seller can read."""

    model_config = ConfigDict(frozen=True)

    factor: PriorityFactor
    band: int
    """Higher is better: 1 hand-raiser; ICP High 3, Moderate 2, Unknown 1, Low 0; ..."""
    value: float
    """Finer value inside the band (higher is better)."""
    label: str


class PrioritizedLead(LeadqualModel):
    """One entry of a prioritised list, with why it has its rank."""

    model_config = ConfigDict(frozen=True)

    rank: Annotated[int, Field(ge=1)]
    lead_id: str
    owner_id: str | None = None
    rank_band: RankBand
    """Quarter of the list the entry sits in."""
    rating: LeadRating
    handraiser: HandraiserResult
    fit: IcpFit | None = None
    predictive_score: Annotated[float, Field(ge=0, le=100)] | None = None
    engagement: Engagement
    factors: tuple[FactorValue, ...]
    """The lead's standing on each factor, in the prioritisation order."""
    ahead_because: PriorityFactor | None = None
    """The factor that put it ahead of the next entry (``None`` for the last, or a pure tie)."""
    behind_because: PriorityFactor | None = None
    """The factor that put the previous entry ahead of it (``None`` for the first, or a tie)."""
    why: str
    """Why this rank, in one paragraph naming the deciding factors."""


class PrioritizedList(LeadqualModel):
    """A ranked list of leads (a seller's own, or everyone's), each with its reasons."""

    model_config = ConfigDict(frozen=True)

    as_of: UtcDatetime
    seller_id: str | None = None
    order: tuple[PriorityFactor, ...]
    total: int
    """Leads ranked before filters were applied."""
    entries: tuple[PrioritizedLead, ...]

    def __len__(self) -> int:
        return len(self.entries)

    def lead_ids(self) -> list[str]:
        """The lead ids in rank order."""
        return [e.lead_id for e in self.entries]

    def lines(self, *, limit: int | None = None) -> list[str]:
        """Printable lines: rank, lead, rating, and why this rank."""
        out = []
        for e in self.entries[:limit]:
            out.append(f"#{e.rank:<3} {e.lead_id}  {e.rating.rating:<4}  {e.why}")
        return out


@runtime_checkable
class SupportsScore(Protocol):
    """Anything with a 0-100 ``score`` (such as the scorer's ``LeadScore``)."""

    @property
    def score(self) -> float:
        """The predictive score, 0-100."""
        ...


ScoreInput = float | int | SupportsScore
"""A predictive score: a number 0-100, or an object with a ``score`` attribute."""


class Prioritizer:
    """Ranks open leads by a configurable order of factors, each entry with "why this rank".

    Default order (the commercial agent's): hand-raiser, ICP fit, predictive score (when a model
    is published, i.e. when ``scores`` are given), engagement, association with an existing
    account (its open opportunities and their value, the account's other open leads), recency.
    Factors compare by band first (hand-raiser or not; ICP tier High > Moderate > Unknown > Low;
    score grade A >= 75 > B >= 50 > C >= 25 > D, scored above unscored; engagement level; account
    with open opportunities > existing customer or account with other open leads > linked > none;
    last sign of life within 7 / 21 days or older), then, when every band ties, by the finer
    values in the same order, then by lead id: the ranking is a pure function of its inputs.

    Args:
        icp: the profile (or a ready matcher); ``None`` leaves ICP fit out.
        handraisers: hand-raiser segments.
        order: the factors, most important first.
        rating: Hot/Warm/Cold cut-offs.
        score_cutoffs: lowest predictive score of grades A, B, C, ... (the scorer's default
            grades: A from 75, B from 50, C from 25, D below).
        reply_classifier: text -> reply intent, so "not interested" replies and automatic
            answers do not count as engagement (see :func:`measure_engagement`).

    Examples:
        >>> from leadqual.sources import load_sample, load_sample_config, load_sample_data
        >>> data = load_sample_data()
        >>> ranked = Prioritizer.from_config(load_sample_config()).rank_source(
        ...     load_sample(), now=data.as_of, seller_id="S-01")
        >>> ranked.entries[0].rank, ranked.entries[0].handraiser.is_handraiser
        (1, True)
    """

    def __init__(
        self,
        *,
        icp: IcpProfile | IcpMatcher | None = None,
        handraisers: Sequence[HandraiserSegment] = (),
        order: Sequence[PriorityFactor] = DEFAULT_PRIORITY_ORDER,
        rating: RatingPolicy | None = None,
        score_cutoffs: Sequence[float] = (75.0, 50.0, 25.0),
        reply_classifier: Callable[[str], str] | None = None,
    ) -> None:
        self.reply_classifier = reply_classifier
        cuts = tuple(float(c) for c in score_cutoffs)
        if (
            not cuts
            or any(not 0 <= c <= 100 for c in cuts)
            or any(a <= b for a, b in itertools.pairwise(cuts))
        ):
            raise ConfigurationError(
                f"score_cutoffs must be strictly decreasing numbers from 100 to 0, got {cuts}"
            )
        self.score_cutoffs = cuts
        order = tuple(order)
        if not order or len(set(order)) != len(order):
            raise ConfigurationError("order needs at least one factor and no repeats")
        unknown = [f for f in order if f not in DEFAULT_PRIORITY_ORDER]
        if unknown:
            raise ConfigurationError(
                f"unknown prioritisation factor(s) {unknown}; use {list(DEFAULT_PRIORITY_ORDER)}"
            )
        self.order: tuple[PriorityFactor, ...] = order
        self.matcher = IcpMatcher(icp) if isinstance(icp, IcpProfile) else icp
        self.evaluator = HandraiserEvaluator(handraisers)
        self.rating_policy = rating or RatingPolicy()

    @classmethod
    def from_config(cls, config: AgentConfig, /, **overrides: Any) -> Prioritizer:
        """A prioritizer with the ICP, hand-raiser segments and order of an ``AgentConfig``."""
        kwargs: dict[str, Any] = {
            "icp": config.icp,
            "handraisers": config.handraisers,
            "order": config.prioritization.order,
            "rating": config.prioritization.rating,
            "score_cutoffs": config.prioritization.score_cutoffs,
        }
        kwargs.update(overrides)
        return cls(**kwargs)

    # -- inputs -----------------------------------------------------------------------------

    def _grade(self, score: float) -> tuple[str, int]:
        """Grade letter and band (highest grade = most bands) of a score."""
        cuts = self.score_cutoffs
        for i, cut in enumerate(cuts):
            if score >= cut:
                return chr(ord("A") + i), len(cuts) + 1 - i
        return chr(ord("A") + len(cuts)), 1

    @staticmethod
    def _check_scores(scores: Mapping[str, ScoreInput] | None) -> dict[str, float] | None:
        if scores is None:
            return None
        if not isinstance(scores, Mapping):
            raise ValidationFailed(
                f"scores must map lead id -> score 0-100, got {type(scores).__name__}",
                field="scores",
            )
        checked: dict[str, float] = {}
        for lead_id, given in scores.items():
            if given is None:
                continue
            value = getattr(given, "score", given)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (0 <= float(value) <= 100)
                or math.isnan(float(value))
            ):
                raise ValidationFailed(
                    f"scores[{lead_id!r}] must be a number from 0 to 100, got {value!r}",
                    field=f"scores.{lead_id}",
                )
            checked[lead_id] = float(value)
        return checked

    def _factors(
        self,
        ctx: LeadContext,
        *,
        now: datetime,
        fit: IcpFit | None,
        hr: HandraiserResult,
        score: float | None,
        have_model: bool,
        eng: Engagement,
        other_open_leads: int,
    ) -> tuple[FactorValue, ...]:
        values: list[FactorValue] = []
        for f in self.order:
            if f == "handraiser":
                values.append(
                    FactorValue.model_construct(
                        factor=f,
                        band=int(hr.is_handraiser),
                        value=float(len(hr.matched_segments)),
                        label=f"hand-raiser ({hr.reason})"
                        if hr.is_handraiser
                        else "not a hand-raiser",
                    )
                )
            elif f == "icp_fit":
                if fit is None:
                    values.append(
                        FactorValue.model_construct(
                            factor=f, band=0, value=0.0, label="no ICP configured"
                        )
                    )
                else:
                    values.append(
                        FactorValue.model_construct(
                            factor=f,
                            band=_TIER_BAND[fit.tier],
                            value=fit.score,
                            label=f"ICP fit {fit.tier} ({fit.score:.0f})",
                        )
                    )
            elif f == "predictive_score":
                if not have_model:
                    values.append(
                        FactorValue.model_construct(
                            factor=f, band=0, value=0.0, label="no model published"
                        )
                    )
                elif score is None:
                    values.append(
                        FactorValue.model_construct(factor=f, band=0, value=0.0, label="not scored")
                    )
                else:
                    grade, band = self._grade(score)
                    values.append(
                        FactorValue.model_construct(
                            factor=f, band=band, value=score, label=f"score {score:.0f} ({grade})"
                        )
                    )
            elif f == "engagement":
                values.append(
                    FactorValue.model_construct(
                        factor=f,
                        band={"High": 3, "Medium": 2, "Low": 1}.get(eng.level, 0),
                        value=eng.score,
                        label=f"engagement {eng.describe()}",
                    )
                )
            elif f == "account_association":
                values.append(self._association(ctx, other_open_leads))
            else:
                days = _days(now, eng.last_touch_at)
                p = self.rating_policy
                band = 2 if days <= p.recent_days else 1 if days <= p.warm_days else 0
                values.append(
                    FactorValue.model_construct(
                        factor=f,
                        band=band,
                        value=eng.last_touch_at.timestamp(),
                        label=f"last sign of life {_ago(now, eng.last_touch_at)}",
                    )
                )
        return tuple(values)

    def explain(
        self,
        context: LeadContext,
        /,
        *,
        now: datetime,
        score: ScoreInput | None = None,
        have_model: bool | None = None,
        other_open_leads: int = 0,
    ) -> tuple[FactorValue, ...]:
        """One lead's standing on each factor of the order, as :meth:`rank` computes it.

        ``have_model`` defaults to whether a ``score`` is given; ``other_open_leads`` is the
        number of other open leads at the lead's account (``rank`` counts them over its input).
        """
        now = to_utc(now)
        checked = self._check_scores({context.lead.id: score} if score is not None else {})
        assert checked is not None
        fit = self.matcher.match(context) if self.matcher is not None else None
        hr = self.evaluator.evaluate(context, now=now)
        eng = measure_engagement(
            context,
            now=now,
            window_days=self.rating_policy.window_days,
            reply_classifier=self.reply_classifier,
        )
        return self._factors(
            context,
            now=now,
            fit=fit,
            hr=hr,
            score=checked.get(context.lead.id),
            have_model=score is not None if have_model is None else have_model,
            eng=eng,
            other_open_leads=other_open_leads,
        )

    @staticmethod
    def sort_key(
        lead_id: str, factors: Sequence[FactorValue], /
    ) -> tuple[tuple[int, ...], tuple[float, ...], str]:
        """The key :meth:`rank` sorts by (ascending): bands, then finer values, then lead id."""
        return (tuple(-f.band for f in factors), tuple(-f.value for f in factors), lead_id)

    @staticmethod
    def _association(ctx: LeadContext, other_open_leads: int) -> FactorValue:
        linked = ctx.account is not None or ctx.contact is not None
        account_id = ctx.account.id if ctx.account else None
        mine = [
            o
            for o in ctx.opportunities
            if o.originating_lead_id != ctx.lead.id
            and (account_id is None or o.account_id in (None, account_id))
        ]
        open_opps = [o for o in mine if o.status is OpportunityStatus.OPEN]
        won = [o for o in mine if o.status is OpportunityStatus.WON]
        value = sum(o.estimated_value or 0.0 for o in open_opps)
        if open_opps:
            band = 3
            label = f"account with {len(open_opps)} open opportunit{'y' if len(open_opps) == 1 else 'ies'} worth {value:,.0f}"
        elif won or other_open_leads:
            band = 2
            bits = []
            if won:
                bits.append("existing customer")
            if other_open_leads:
                bits.append(f"{other_open_leads} other open lead(s) at the account")
            label = "account: " + ", ".join(bits)
        elif linked:
            band = 1
            label = "linked to an existing account or contact"
        else:
            band = 0
            label = "no existing account"
        if other_open_leads and band == 3:
            label += f", {other_open_leads} other open lead(s)"
        return FactorValue.model_construct(
            factor="account_association", band=band, value=value + other_open_leads, label=label
        )

    # -- ranking ----------------------------------------------------------------------------

    def rank(
        self,
        contexts: Iterable[LeadContext],
        /,
        *,
        now: datetime | None = None,
        scores: Mapping[str, ScoreInput] | None = None,
        seller_id: str | None = None,
        ratings: Collection[Rating] | None = None,
        rank_bands: Collection[RankBand] | None = None,
        ranks: tuple[int, int] | None = None,
        include_closed: bool = False,
        fits: Mapping[str, IcpFit] | None = None,
    ) -> PrioritizedList:
        """Rank leads, most important first, each with why it has its rank.

        Args:
            contexts: the leads with their related records.
            now: the reference time (default: the current time; pass the sample's ``as_of``
                with sample data, and a fixed time for reproducible lists).
            scores: predictive scores 0-100 by lead id (numbers, or objects with a ``score``
                such as the scorer's ``LeadScore``), or ``None`` when no model is published;
                a lead missing from the mapping ranks below every scored lead on this factor.
            seller_id: rank only the leads this seller owns (a seller's view).
            ratings: keep only these ratings (after ranking: ranks stay those of the full list).
            rank_bands: keep only entries in these quarters of the list.
            ranks: keep only ranks from ``ranks[0]`` to ``ranks[1]`` inclusive.
            include_closed: rank qualified and disqualified leads too (default: open leads only).
            fits: ICP fits already computed (by lead id), used instead of matching again.

        Raises:
            ValidationFailed: two contexts share a lead id, or a score is not a number 0-100.
        """
        now = to_utc(now) if now is not None else datetime.now(UTC)
        checked = self._check_scores(scores)
        _check_filters(ratings, rank_bands, ranks)
        pool: list[LeadContext] = []
        seen_ids: set[str] = set()
        for ctx in contexts:
            if not isinstance(ctx, LeadContext):
                raise ValidationFailed(
                    f"Prioritizer.rank needs LeadContext items, got {type(ctx).__name__}",
                    field="contexts",
                )
            if ctx.lead.id in seen_ids:
                raise ValidationFailed(
                    f"lead {ctx.lead.id!r} appears twice in the input", field="contexts"
                )
            seen_ids.add(ctx.lead.id)
            if not include_closed and not ctx.lead.is_open:
                continue
            pool.append(ctx)
        open_by_account = Counter(
            c.lead.account_id for c in pool if c.lead.account_id and c.lead.is_open
        )
        if seller_id is not None:
            pool = [c for c in pool if c.lead.owner_id == seller_id]
        prepared = []
        for ctx in pool:
            fit = (fits or {}).get(ctx.lead.id)
            if fit is None and self.matcher is not None:
                fit = self.matcher.match(ctx)
            hr = self.evaluator.evaluate(ctx, now=now)
            eng = measure_engagement(
                ctx,
                now=now,
                window_days=self.rating_policy.window_days,
                reply_classifier=self.reply_classifier,
            )
            score = checked.get(ctx.lead.id) if checked is not None else None
            others = open_by_account.get(ctx.lead.account_id, 0) if ctx.lead.account_id else 0
            others -= 1 if ctx.lead.account_id and ctx.lead.is_open else 0
            factors = self._factors(
                ctx,
                now=now,
                fit=fit,
                hr=hr,
                score=score,
                have_model=checked is not None,
                eng=eng,
                other_open_leads=max(0, others),
            )
            rating = rate_lead(
                ctx, now=now, fit=fit, handraiser=hr, engagement=eng, policy=self.rating_policy
            )
            prepared.append((ctx, fit, hr, eng, score, factors, rating))
        prepared.sort(key=lambda p: self.sort_key(p[0].lead.id, p[5]))
        n = len(prepared)
        entries = []
        for i, (ctx, fit, hr, eng, score, factors, rating) in enumerate(prepared):
            above = prepared[i - 1][5] if i > 0 else None
            below = prepared[i + 1][5] if i + 1 < n else None
            ahead = _decider(factors, below) if below is not None else None
            behind = _decider(above, factors) if above is not None else None
            entries.append(
                PrioritizedLead(
                    rank=i + 1,
                    lead_id=ctx.lead.id,
                    owner_id=ctx.lead.owner_id,
                    rank_band=_band(i, n),
                    rating=rating,
                    handraiser=hr,
                    fit=fit,
                    predictive_score=score,
                    engagement=eng,
                    factors=factors,
                    ahead_because=ahead[0] if ahead else None,
                    behind_because=behind[0] if behind else None,
                    why=_why(i + 1, n, factors, ahead, behind),
                )
            )
        kept = [
            e
            for e in entries
            if (ratings is None or e.rating.rating in ratings)
            and (rank_bands is None or e.rank_band in rank_bands)
            and (ranks is None or ranks[0] <= e.rank <= ranks[1])
        ]
        logger.info("ranked %d leads (seller %s), kept %d", n, seller_id or "all", len(kept))
        return PrioritizedList(
            as_of=now, seller_id=seller_id, order=self.order, total=n, entries=tuple(kept)
        )

    def rank_source(
        self,
        source: Any,
        /,
        *,
        now: datetime | None = None,
        scores: Mapping[str, ScoreInput] | None = None,
        seller_id: str | None = None,
        **filters: Any,
    ) -> PrioritizedList:
        """Rank the open leads of a :class:`~leadqual.sources.CrmSource` (account association
        counts every open lead of the source, even in a seller's view)."""
        from leadqual.models import LeadStatus
        from leadqual.sources import build_context

        leads = source.leads(status=LeadStatus.OPEN)
        contexts = [build_context(source, lead.id) for lead in leads]
        return self.rank(contexts, now=now, scores=scores, seller_id=seller_id, **filters)

    # -- batch over a DataFrame -------------------------------------------------------------

    def signals_frame(
        self,
        contexts: Iterable[LeadContext],
        /,
        *,
        now: datetime | None = None,
        scores: Mapping[str, ScoreInput] | None = None,
        include_closed: bool = False,
    ) -> pd.DataFrame:
        """The table :meth:`rank_frame` reads, computed from lead contexts (ICP fit through the
        vectorised :meth:`IcpMatcher.match_frame <leadqual.icp.IcpMatcher.match_frame>`)."""
        import numpy as np
        import pandas as pd

        now = to_utc(now) if now is not None else datetime.now(UTC)
        checked = self._check_scores(scores) or {}
        pool = [c for c in contexts if include_closed or c.lead.is_open]
        ids = [c.lead.id for c in pool]
        if len(set(ids)) != len(ids):
            raise ValidationFailed("a lead appears twice in the input", field="contexts")
        open_by_account = Counter(
            c.lead.account_id for c in pool if c.lead.account_id and c.lead.is_open
        )
        rows = []
        for ctx in pool:
            eng = measure_engagement(
                ctx,
                now=now,
                window_days=self.rating_policy.window_days,
                reply_classifier=self.reply_classifier,
            )
            aid = ctx.lead.account_id
            others = (
                max(0, open_by_account.get(aid, 0) - (1 if ctx.lead.is_open else 0)) if aid else 0
            )
            assoc = self._association(ctx, others)
            rows.append(
                {
                    "lead_id": ctx.lead.id,
                    "owner_id": ctx.lead.owner_id,
                    "handraiser": self.evaluator.evaluate(ctx, now=now).is_handraiser,
                    "predictive_score": checked.get(ctx.lead.id, np.nan),
                    "engagement_score": eng.score,
                    "account_band": assoc.band,
                    "open_opportunity_value": assoc.value - others,
                    "other_open_leads": others,
                    "days_since_touch": (now - eng.last_touch_at).total_seconds() / 86400,
                }
            )
        frame = pd.DataFrame(rows)
        if self.matcher is not None and pool:
            fit = self.matcher.match_frame(self.matcher.to_frame(pool))
            frame["icp_tier"] = fit["icp_tier"].astype(str).to_numpy()
            frame["icp_score"] = fit["icp_score"].to_numpy()
        return frame

    def rank_frame(
        self,
        frame: pd.DataFrame,
        /,
        *,
        seller_id: str | None = None,
    ) -> pd.DataFrame:
        """Rank a table of precomputed signals at once (vectorised; for notebooks and bulk runs).

        Columns (missing optional ones count as their neutral value): ``lead_id``; ``owner_id``
        (needed for ``seller_id``); ``handraiser`` (bool); ``icp_tier`` and ``icp_score`` (as
        returned by :meth:`IcpMatcher.match_frame <leadqual.icp.IcpMatcher.match_frame>`);
        ``predictive_score`` (0-100 or NaN); ``engagement_score`` (0-100);
        ``open_opportunity_value``, ``other_open_leads``, ``account_band`` (0-3, see the class
        docs); ``days_since_touch`` (days since the last sign of life).

        Returns:
            The rows in rank order with ``rank`` and ``deciding_factor`` (the factor that puts
            each row ahead of the next one) added.

        Raises:
            ValidationFailed: a lead id appears twice, a numeric column holds text, a
                ``predictive_score`` lies outside 0-100, or an ``icp_tier`` is not a tier
                (missing values are fine), as :meth:`rank` refuses them too.
        """
        import numpy as np
        import pandas as pd

        if "lead_id" not in frame.columns:
            raise ConfigurationError("rank_frame needs a lead_id column")
        if frame["lead_id"].duplicated().any():
            dup = frame.loc[frame["lead_id"].duplicated(), "lead_id"].iloc[0]
            raise ValidationFailed(f"lead {dup!r} appears twice in the frame", field="lead_id")
        df = frame
        if seller_id is not None:
            if "owner_id" not in frame.columns:
                raise ConfigurationError("a seller's view needs an owner_id column")
            df = frame[frame["owner_id"] == seller_id]
        n = len(df)

        def col(name: str, default: float) -> Any:
            if name not in df.columns:
                return np.full(n, default)
            raw = df[name]
            values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            unreadable = np.isnan(values) & raw.notna().to_numpy()
            if unreadable.any():
                bad = raw[unreadable].iloc[0]
                raise ValidationFailed(f"{name} must hold numbers, got {bad!r}", field=name)
            return values

        scores = col("predictive_score", np.nan)
        outside = ~np.isnan(scores) & ((scores < 0) | (scores > 100))
        if outside.any():
            raise ValidationFailed(
                f"predictive_score must be a number from 0 to 100, got {scores[outside][0]:g}",
                field="predictive_score",
            )
        if "icp_tier" in df.columns:
            tiers = df["icp_tier"].dropna().astype(str)
            unknown = sorted(set(tiers) - set(_TIER_BAND))
            if unknown:
                raise ValidationFailed(
                    f"icp_tier must be one of {', '.join(_TIER_BAND)}, got {unknown}",
                    field="icp_tier",
                )

        keys: dict[str, Any] = {}
        p = self.rating_policy
        for f in self.order:
            if f == "handraiser":
                hr = (
                    _bool_column(df["handraiser"])
                    if "handraiser" in df.columns
                    else np.zeros(n, dtype=bool)
                )
                band, value = hr.astype(float), np.zeros(n)
            elif f == "icp_fit":
                if "icp_tier" in df.columns:
                    tier = df["icp_tier"].astype("string").fillna("Unknown")
                    band = tier.map(dict(_TIER_BAND)).fillna(1).to_numpy(dtype=float)
                else:
                    band = np.zeros(n)
                value = np.nan_to_num(col("icp_score", 0.0))
            elif f == "predictive_score":
                s = scores
                cuts = self.score_cutoffs
                band = np.select(
                    [s >= c for c in cuts] + [s >= 0],
                    [float(len(cuts) + 1 - i) for i in range(len(cuts))] + [1.0],
                    0.0,
                )
                value = np.nan_to_num(s)
            elif f == "engagement":
                e = np.nan_to_num(col("engagement_score", 0.0))
                band = np.select([e >= 50, e >= 20, e > 0], [3.0, 2.0, 1.0], 0.0)
                value = e
            elif f == "account_association":
                band = np.nan_to_num(col("account_band", 0.0))
                value = np.nan_to_num(col("open_opportunity_value", 0.0)) + np.nan_to_num(
                    col("other_open_leads", 0.0)
                )
            else:
                d = col("days_since_touch", np.inf)
                whole = np.floor(d)  # whole days, as rank() counts them
                band = np.select([whole <= p.recent_days, whole <= p.warm_days], [2.0, 1.0], 0.0)
                value = -np.nan_to_num(d, nan=1e9, posinf=1e9)
            keys[f"_band_{f}"] = band
            keys[f"_value_{f}"] = value
        # lead ids become their sorted positions, so one numeric lexsort orders everything
        _, id_rank = np.unique(df["lead_id"].astype(str).to_numpy(), return_inverse=True)
        columns = [keys[f"_band_{f}"] for f in self.order] + [
            keys[f"_value_{f}"] for f in self.order
        ]
        # np.lexsort sorts by its last key first: lead id last in importance, so first here
        order = np.lexsort([id_rank, *(-c for c in reversed(columns))])
        decider = np.full(n, None, dtype=object)
        undecided = np.ones(max(n - 1, 0), dtype=bool)
        for c, f in zip(columns, [*self.order, *self.order], strict=True):
            v = c[order]
            diff = v[:-1] != v[1:]
            decider[:-1][undecided & diff] = f
            undecided &= ~diff
        result = df.iloc[order].copy()
        result.insert(0, "rank", np.arange(1, n + 1))
        result["deciding_factor"] = decider
        return result.reset_index(drop=True)


_TRUE_TEXT = frozenset({"true", "yes", "y", "1", "t"})
_FALSE_TEXT = frozenset({"false", "no", "n", "0", "f", ""})


def _bool_column(column: pd.Series) -> Any:
    """A column of booleans as written in a CSV ("yes", "False", 1, None); "no" is not True."""
    import numpy as np
    import pandas as pd

    if pd.api.types.is_bool_dtype(column) and not column.hasnans:
        return column.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(column):
        return column.fillna(0).to_numpy(dtype=float) != 0
    out = np.zeros(len(column), dtype=bool)
    for i, value in enumerate(column.tolist()):
        if value is None or (isinstance(value, float) and value != value):
            continue
        if isinstance(value, str):
            text = value.strip().casefold()
            if text not in _TRUE_TEXT | _FALSE_TEXT:
                raise ValidationFailed(
                    f"handraiser must be true or false, got {value!r}", field="handraiser"
                )
            out[i] = text in _TRUE_TEXT
        else:
            out[i] = bool(value)
    return out


def _check_filters(
    ratings: Collection[str] | None,
    rank_bands: Collection[str] | None,
    ranks: tuple[int, int] | None,
) -> None:
    """Refuse filters that could only ever keep nothing (a typo, most likely)."""
    if ratings is not None and not set(ratings) <= {"Hot", "Warm", "Cold"}:
        bad = sorted(set(ratings) - {"Hot", "Warm", "Cold"})
        raise ValidationFailed(f"ratings: {bad} are not Hot, Warm or Cold", field="ratings")
    if rank_bands is not None and not set(rank_bands) <= {"top", "high", "medium", "low"}:
        bad = sorted(set(rank_bands) - {"top", "high", "medium", "low"})
        raise ValidationFailed(
            f"rank_bands: {bad} are not top, high, medium or low", field="rank_bands"
        )
    if ranks is not None and (len(ranks) != 2 or ranks[0] < 1 or ranks[0] > ranks[1]):
        raise ValidationFailed(
            f"ranks must be (first, last) with 1 <= first <= last, got {ranks!r}", field="ranks"
        )


def _decider(
    upper: Sequence[FactorValue], lower: Sequence[FactorValue]
) -> tuple[PriorityFactor, FactorValue, FactorValue] | None:
    """The first factor on which ``upper`` beats ``lower``: bands first, then finer values."""
    for a, b in zip(upper, lower, strict=True):
        if a.band != b.band:
            return a.factor, a, b
    for a, b in zip(upper, lower, strict=True):
        if a.value != b.value:
            return a.factor, a, b
    return None


def _band(i: int, n: int) -> RankBand:
    q = i / n if n else 0
    return "top" if q < 0.25 else "high" if q < 0.5 else "medium" if q < 0.75 else "low"


def _short(f: FactorValue) -> str:
    if f.factor == "handraiser":
        return "hand-raiser" if f.band else "not a hand-raiser"
    if f.factor == "engagement":
        return f.label.split(":")[0].removeprefix("engagement ")
    if f.factor == "icp_fit":
        return f.label.removeprefix("ICP fit ")
    if f.factor == "recency":
        return f.label.replace("last sign of life ", "")
    return f.label


def _why(
    rank: int,
    n: int,
    factors: Sequence[FactorValue],
    ahead: tuple[PriorityFactor, FactorValue, FactorValue] | None,
    behind: tuple[PriorityFactor, FactorValue, FactorValue] | None,
) -> str:
    informative = [f for f in factors if f.label not in ("no model published", "no ICP configured")]
    lead_bits = "; ".join(f.label for f in informative[:3])
    parts = [f"#{rank} of {n}: {lead_bits}."]
    if ahead is not None:
        f, mine, theirs = ahead
        parts.append(
            f"Ahead of #{rank + 1} on {_FACTOR_WORDS[f]} ({_short(mine)} vs {_short(theirs)})."
        )
    elif rank < n:
        parts.append(f"Tied with #{rank + 1} on every factor; lead id breaks the tie.")
    if behind is not None:
        f, theirs, mine = behind
        parts.append(
            f"Behind #{rank - 1} on {_FACTOR_WORDS[f]} ({_short(theirs)} vs {_short(mine)})."
        )
    return " ".join(parts)
