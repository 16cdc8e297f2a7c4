"""Engagement and the Hot / Warm / Cold rating, each part shown.

Examples:
    >>> from datetime import datetime, UTC
    >>> from leadqual.models import Lead, LeadContext
    >>> now = datetime(2026, 11, 1, tzinfo=UTC)
    >>> ctx = LeadContext(lead=Lead(id="L-1", created_at=now))
    >>> measure_engagement(ctx, now=now).describe()
    'None (0): no activity in 60 days'
    >>> rate_lead(ctx, now=now).summary()
    'Cold (2/8): fit n/a 0, intent none 0, recency 0 days 2, engagement None 0'
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field

from leadqual._base import FrozenModel, UtcDatetime
from leadqual.config.prioritize import RatingPolicy
from leadqual.icp import IcpFit
from leadqual.models import Appointment, ChatMessage, EmailMessage, LeadContext, PhoneCall
from leadqual.prioritize._bands import (
    ENGAGEMENT_LEVELS,
    EngagementLevel,
    engagement_band,
    recency_band,
)
from leadqual.prioritize._common import ago, is_automatic, reference_time, whole_days
from leadqual.prioritize.handraisers import HandraiserResult

__all__ = [
    "Engagement",
    "EngagementLevel",
    "LeadRating",
    "Rating",
    "RatingFactor",
    "RatingPart",
    "RatingPolicy",
    "measure_engagement",
    "rate_lead",
]

_NO_ENGAGEMENT = frozenset({"not_interested", "out_of_office", "bounce"})


class Engagement(FrozenModel):
    """How much the lead has interacted recently (activities of the last ``window_days``).

    Points: an inbound call 20, an inbound email 15, an inbound chat 12, a held or upcoming
    meeting 25, an answered outbound call 10, an unanswered inbound call 8; capped at 100.
    Outbound emails and unanswered outbound calls are counted (``outbound``) but earn nothing:
    a seller writing more does not make the lead more engaged. Levels: High from 50, Medium
    from 20, Low above 0.
    """

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
    now: datetime | None = None,
    window_days: int = 60,
    reply_classifier: Callable[[str], str] | None = None,
) -> Engagement:
    """Measure a lead's engagement over the last ``window_days`` before ``now``.

    Automatic replies (out of office, delivery failures) are not engagement. With a
    ``reply_classifier`` (text -> intent name, e.g. ``lambda t: classify_reply(t).intent`` from
    ``leadqual.drafting``), inbound emails classified ``not_interested``, ``out_of_office`` or
    ``bounce`` earn nothing either; ``not_interested`` is recorded in ``declined``.
    """
    now = reference_time(now)
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
                if is_automatic(a):
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
    level = ENGAGEMENT_LEVELS[int(engagement_band(score))]
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


Rating = Literal["Hot", "Warm", "Cold"]
"""A lead's rating."""
RatingFactor = Literal["fit", "intent", "recency", "engagement"]
"""The four parts of a Hot / Warm / Cold rating."""


class RatingPart(FrozenModel):
    """One part of a rating, with its points and reason."""

    factor: RatingFactor
    points: Annotated[int, Field(ge=0, le=2)]
    label: str
    """``High``, ``hand-raiser``, ``3 days``, ``Medium``..."""
    reason: str


class LeadRating(FrozenModel):
    """Hot / Warm / Cold, from fit, intent, recency and engagement, each part shown.

    Examples:
        >>> LeadRating(lead_id="L-1", rating="Cold", points=0, parts=()).summary()
        'Cold (0/8)'
    """

    lead_id: str
    rating: Rating
    points: Annotated[int, Field(ge=0, le=8)]
    parts: tuple[RatingPart, ...]

    def summary(self) -> str:
        """``Hot (7/8): fit High 2, intent hand-raiser 2, recency 3 days 2, engagement Low 1``."""
        bits = ", ".join(f"{p.factor} {p.label} {p.points}" for p in self.parts)
        return f"{self.rating} ({self.points}/8)" + (f": {bits}" if bits else "")


def rate_lead(
    context: LeadContext,
    /,
    *,
    now: datetime | None = None,
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
    now = reference_time(now)
    eng = engagement or measure_engagement(
        context, now=now, window_days=policy.window_days, reply_classifier=reply_classifier
    )
    # (points, label, reason) of each part, in the order a rating shows them
    fit_part = (
        (0, "n/a", "no ICP configured")
        if fit is None
        else ({"High": 2, "Moderate": 1}.get(fit.tier, 0), fit.tier, fit.summary())
    )
    if handraiser is not None and handraiser.is_handraiser:
        intent_part = (2, "hand-raiser", handraiser.reason)
    elif eng.meetings:
        intent_part = (2, "meeting", f"{eng.meetings} meeting(s) held or booked")
    elif eng.inbound:
        reason = f"{eng.inbound} inbound message(s) in {policy.window_days} days"
        intent_part = (1, "inbound", reason)
    else:
        intent_part = (0, "none", "no sign of interest yet")
    days = whole_days(now, eng.last_touch_at)
    recency_part = (
        int(recency_band(float(days), recent_days=policy.recent_days, warm_days=policy.warm_days)),
        f"{days} days",
        f"last sign of life {ago(now, eng.last_touch_at)}",
    )
    engagement_part = ({"High": 2, "Medium": 1}.get(eng.level, 0), eng.level, eng.describe())
    factors: tuple[RatingFactor, ...] = ("fit", "intent", "recency", "engagement")
    parts = [
        RatingPart(factor=factor, points=points, label=label, reason=reason)
        for factor, (points, label, reason) in zip(
            factors, (fit_part, intent_part, recency_part, engagement_part), strict=True
        )
    ]
    total = sum(p.points for p in parts)
    rating: Rating = (
        "Hot" if total >= policy.hot_at else "Warm" if total >= policy.warm_at else "Cold"
    )
    return LeadRating(lead_id=context.lead.id, rating=rating, points=total, parts=tuple(parts))
