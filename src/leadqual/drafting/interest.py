"""Purchase interest across an email thread, and a BANT assessment, each with its evidence.

BANT follows the commercial qualification agent: need, then timeline, budget and authority, each
``none``/``low``/``medium``/``high`` with the evidence; a lead is *qualified* when at least two are
medium or above.

Examples:
    >>> from datetime import datetime, UTC
    >>> from leadqual.models import Lead, LeadContext
    >>> ctx = LeadContext(lead=Lead(id="L-1", job_title="VP Sales", need="unreliable forecasts",
    ...                             created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    >>> bant = assess_bant(ctx)
    >>> bant.authority.level, bant.need.level, bant.qualified
    ('high', 'medium', True)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from pydantic import ConfigDict

from leadqual._base import LeadqualModel, to_utc
from leadqual.drafting._text import clean_reply, split_sentences
from leadqual.drafting.intents import EmailClassifier, ReplyIntent, default_classifier
from leadqual.icp.titles import parse_title
from leadqual.models import Appointment, EmailMessage, LeadContext

__all__ = [
    "BantAssessment",
    "BantItem",
    "BantLevel",
    "PurchaseInterest",
    "assess_bant",
    "assess_interest",
    "classify_thread",
]

BantLevel = Literal["none", "low", "medium", "high"]
_RANK = {"none": 0, "low": 1, "medium": 2, "high": 3}


class PurchaseInterest(LeadqualModel):
    """How interested the lead is in buying, judged across the whole thread.

    ``direction`` is ``positive`` (level high, medium or low), ``negative`` (high or medium) or
    ``unknown`` when nothing in the thread says either way.

    Examples:
        >>> PurchaseInterest(direction="negative", level="high", reasons=("asked to unsubscribe",))
        ... # doctest: +ELLIPSIS
        PurchaseInterest(direction='negative', level='high', ...)
    """

    model_config = ConfigDict(frozen=True)

    direction: Literal["positive", "negative", "unknown"]
    level: Literal["high", "medium", "low"] | None = None
    reasons: tuple[str, ...] = ()


class BantItem(LeadqualModel):
    """One BANT dimension: its level and the evidence for it."""

    model_config = ConfigDict(frozen=True)

    level: BantLevel = "none"
    evidence: tuple[str, ...] = ()


class BantAssessment(LeadqualModel):
    """Need, timeline, budget and authority; qualified means medium or above on at least two."""

    model_config = ConfigDict(frozen=True)

    need: BantItem
    timeline: BantItem
    budget: BantItem
    authority: BantItem

    @property
    def qualified(self) -> bool:
        """Whether at least two dimensions are medium or high."""
        items = (self.need, self.timeline, self.budget, self.authority)
        return sum(_RANK[i.level] >= 2 for i in items) >= 2


def classify_thread(
    context: LeadContext, /, *, classifier: EmailClassifier | None = None
) -> list[tuple[EmailMessage, ReplyIntent]]:
    """Every inbound email of the lead with its classified intent, oldest first."""
    clf = classifier or default_classifier()
    return [(m, clf.classify_email(m)) for m in context.emails if m.direction == "inbound"]


_POSITIVE = {
    "meeting_request": ("high", "asked to meet"),
    "pricing_request": ("high", "asked about pricing"),
    "information_request": ("medium", "asked for more information"),
    "referral": ("low", "pointed to a colleague"),
    "other": ("low", "replied"),
}
_NEGATIVE = {
    "not_interested": ("high", "declined or asked to stop"),
    "objection": ("medium", "raised an objection"),
}


def assess_interest(
    context: LeadContext,
    /,
    *,
    now: datetime | None = None,
    thread: Sequence[tuple[EmailMessage, ReplyIntent]] | None = None,
) -> PurchaseInterest:
    """Purchase interest from the lead's replies, meetings and inbound calls or chats.

    The latest reply that says something weighs most: a lead who asked for pricing and then
    declined is negative. Meetings booked or held are a high positive signal. ``now`` (default:
    the current time) tells held meetings from upcoming ones.
    """
    now = to_utc(now) if now is not None else datetime.now(UTC)
    replies = list(thread) if thread is not None else classify_thread(context)
    reasons: list[str] = []
    for message, intent in reversed(replies):
        when = f"{message.sent_at:%Y-%m-%d}"
        if intent.intent in _NEGATIVE:
            level, why = _NEGATIVE[intent.intent]
            return PurchaseInterest(
                direction="negative",
                level=level,
                reasons=(f"{why} on {when}: \u201c{intent.evidence}\u201d",),
            )
        if intent.intent in _POSITIVE:
            level, why = _POSITIVE[intent.intent]
            reasons.append(f"{why} on {when}: \u201c{intent.evidence}\u201d")
            best = level
            break
    else:
        best = None
    meetings = [a for a in context.appointments if a.status != "canceled"]
    if meetings:
        held = [a for a in meetings if a.end <= now]
        upcoming = [a for a in meetings if a.start > now]
        if upcoming:
            reasons.append(f"a meeting is booked for {upcoming[0].start:%Y-%m-%d}")
        elif held:
            reasons.append(f"met on {held[-1].start:%Y-%m-%d}")
        best = "high"
    inbound_other = [
        a
        for a in context.activities
        if getattr(a, "direction", None) == "inbound" and not isinstance(a, EmailMessage)
    ]
    if inbound_other and best in (None, "low"):
        first = min(a.occurred_at for a in inbound_other)
        reasons.append(
            f"reached out by {inbound_other[0].kind.replace('_', ' ')} on {first:%Y-%m-%d}"
        )
        best = "medium"
    if best is None:
        return PurchaseInterest(direction="unknown", reasons=("no reply or meeting yet",))
    return PurchaseInterest(direction="positive", level=best, reasons=tuple(reasons))


_AUTH_LOW_TEXT = re.compile(
    r"\b(?:not the (?:right|best) (?:person|contact)|not involved in|I don'?t make|"
    r"need (?:approval|sign-?off) from|not the (?:buyer|budget owner)|intern)\b",
    re.I,
)
_AUTH_HIGH_TEXT = re.compile(
    r"\b(?:I (?:own|decide|sign off)|my (?:budget|decision)|I approve)\b", re.I
)
_TIME_HIGH = re.compile(
    r"\b(?:this (?:quarter|month|week)|next (?:week|month)|by (?:the )?end of (?:the )?"
    r"(?:month|quarter|year)|before (?:the )?(?:year end|end of)|year end|asap|urgent(?:ly)?|"
    r"within (?:\d+|a few|two|three) (?:weeks|days)|by friday|right away)\b",
    re.I,
)
_TIME_MED = re.compile(
    r"\b(?:next (?:quarter|year|fiscal)|q[1-4]|h[12]|within (?:\d+|a few|six) months|"
    r"this year|evaluating|shortlist(?:ed)?|reviewing tools)\b",
    re.I,
)
_TIME_LOW = re.compile(r"\b(?:revisit|later|not (?:a priority|now)|no timeline|someday)\b", re.I)
_BUDGET_HIGH = re.compile(
    r"\b(?:budget (?:of|is|for)|budgeted|approved budget|have (?:the )?budget|"
    r"[$€£]\s?\d|\d+\s?k\b|\d+(?:,\d{3})+)",
    re.I,
)
_BUDGET_NONE = re.compile(
    r"\b(?:no budget|budget (?:is |has been )?(?:frozen|cut|gone)|not in (?:this year'?s|"
    r"the|our) budget|can'?t justify the spend|don'?t have (?:the )?budget)\b",
    re.I,
)
_NEED_HIGH = re.compile(
    r"\b(?:we need|we are looking for|we'?re looking for|struggling|evaluating|pain|problem|"
    r"exactly what we|looking to replace|must have)\b",
    re.I,
)


def _sentences(replies: Sequence[tuple[EmailMessage, ReplyIntent]]) -> list[str]:
    out: list[str] = []
    for message, _intent in replies:
        out.extend(split_sentences(clean_reply(message.body)))
    return out


def _first(pattern: re.Pattern[str], sentences: Sequence[str]) -> str | None:
    return next((s for s in sentences if pattern.search(s)), None)


def assess_bant(
    context: LeadContext,
    /,
    *,
    thread: Sequence[tuple[EmailMessage, ReplyIntent]] | None = None,
) -> BantAssessment:
    """BANT from the lead's fields, job title and replies, each level with its evidence."""
    replies = list(thread) if thread is not None else classify_thread(context)
    sentences = _sentences(replies)
    lead = context.lead
    intents = {i.intent for _m, i in replies}

    need = BantItem()
    stated = [v for v in (lead.need, lead.topic) if v]
    if stated:
        need = BantItem(level="medium", evidence=tuple(f"stated need: {v}" for v in stated))
    hit = _first(_NEED_HIGH, sentences)
    if hit:
        need = BantItem(level="high", evidence=(*need.evidence, f"reply: \u201c{hit}\u201d"))
    elif intents & {"meeting_request", "pricing_request"} and need.level == "none":
        need = BantItem(level="medium", evidence=("asked for a meeting or pricing",))
    elif intents & {"information_request"} and need.level == "none":
        need = BantItem(level="low", evidence=("asked for more information",))
    elif "not_interested" in intents:
        need = BantItem(level="none", evidence=("declined",))

    timeline = BantItem()
    for pattern, level in ((_TIME_HIGH, "high"), (_TIME_MED, "medium"), (_TIME_LOW, "low")):
        hit = _first(pattern, sentences)
        if hit:
            timeline = BantItem(level=level, evidence=(f"reply: \u201c{hit}\u201d",))
            break
    if timeline.level == "none" and any(
        isinstance(a, Appointment) and a.status != "canceled" for a in context.activities
    ):
        timeline = BantItem(level="medium", evidence=("a meeting is booked or was held",))

    budget = BantItem()
    none_hit = _first(_BUDGET_NONE, sentences)
    hit = _first(_BUDGET_HIGH, sentences)
    if none_hit:
        budget = BantItem(level="none", evidence=(f"reply: \u201c{none_hit}\u201d",))
    elif hit:
        budget = BantItem(level="high", evidence=(f"reply: \u201c{hit}\u201d",))
    elif "pricing_request" in intents:
        budget = BantItem(level="medium", evidence=("asked for pricing",))
    elif lead.annual_revenue or (context.account and context.account.annual_revenue):
        budget = BantItem(level="low", evidence=("company revenue is known",))

    authority = BantItem()
    title = lead.job_title or (context.contact.job_title if context.contact else None)
    if title:
        # The ICP's title reader: "Executive Assistant to the CEO" is not the CEO.
        seniority = parse_title(title).seniority or 0
        level = "high" if seniority >= 3 else "medium" if seniority == 2 else "low"
        authority = BantItem(level=level, evidence=(f"job title: {title}",))
    low = _first(_AUTH_LOW_TEXT, sentences)
    high = _first(_AUTH_HIGH_TEXT, sentences)
    if low or "referral" in intents:
        why = low or next(i.evidence for _m, i in replies if i.intent == "referral")
        authority = BantItem(
            level="low", evidence=(*authority.evidence, f"reply: \u201c{why}\u201d")
        )
    elif high:
        authority = BantItem(
            level="high", evidence=(*authority.evidence, f"reply: \u201c{high}\u201d")
        )
    return BantAssessment(need=need, timeline=timeline, budget=budget, authority=authority)
