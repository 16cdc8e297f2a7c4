"""Hand-raiser segments at work: which segment says a lead raised their hand, and why.

A hand-raiser is a lead who showed interest on their own: came through a campaign or a web form, or
called, emailed or chatted in. Segments are declarative filters an admin writes in the config file
(:class:`~leadqual.config.HandraiserSegment`); :class:`HandraiserEvaluator` says which segment
matched and why.

Examples:
    >>> from datetime import datetime, UTC
    >>> from leadqual.models import Lead, LeadContext
    >>> web = HandraiserSegment(name="Web", conditions=[
    ...     FieldCondition(field="lead.lead_source", op="eq", value="Web form")])
    >>> now = datetime(2026, 11, 1, tzinfo=UTC)
    >>> ctx = LeadContext(lead=Lead(id="L-1", lead_source="web form", created_at=now))
    >>> HandraiserEvaluator([web]).evaluate(ctx, now=now).reason
    "Web: lead.lead_source is 'web form'"
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Self

from leadqual._base import FrozenModel, LeadqualModel, to_utc
from leadqual._fields import check_path, get_path, is_empty
from leadqual.config import AgentConfig
from leadqual.config.prioritize import ActivityCondition, FieldCondition, HandraiserSegment
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.models import Appointment, EmailMessage, LeadContext
from leadqual.prioritize._common import ago, is_automatic, is_reply, reference_time

__all__ = [
    "ActivityCondition",
    "ConditionResult",
    "FieldCondition",
    "HandraiserEvaluator",
    "HandraiserResult",
    "HandraiserSegment",
    "SegmentResult",
]


class ConditionResult(FrozenModel):
    """Whether one condition of a segment held, and what was seen."""

    condition: str
    """The condition in words: ``lead.lead_source in [Web form, Campaign]``."""
    passed: bool
    detail: str
    """What was seen: ``lead.lead_source is 'Web form'``, ``inbound chat 2 days ago``."""


class SegmentResult(FrozenModel):
    """One segment's verdict on a lead."""

    segment: str
    matched: bool
    conditions: tuple[ConditionResult, ...]

    @property
    def reason(self) -> str:
        """The conditions that decided, in words."""
        decisive = [c for c in self.conditions if c.passed == self.matched] or list(self.conditions)
        return "; ".join(c.detail for c in decisive)


class HandraiserResult(FrozenModel):
    """Whether a lead is a hand-raiser, which segment says so, and why.

    Examples:
        >>> HandraiserResult(lead_id="L-1", segments=()).is_handraiser
        False
    """

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


def _field_words(cond: FieldCondition) -> str:
    """The condition in words: ``lead.lead_source in [Web form, Campaign]``."""
    if cond.op in ("exists", "missing"):
        return f"{cond.field} {cond.op}"
    return f"{cond.field} {cond.op} {_show(cond.value)}"


def _field_result(cond: FieldCondition, words: str, context: LeadContext) -> ConditionResult:
    raw = get_path(context, cond.field)
    if isinstance(raw, LeadqualModel):
        raw = str(raw)
    empty = is_empty(raw)
    if cond.op == "exists":
        return ConditionResult(
            condition=words,
            passed=not empty,
            detail=f"{cond.field} is {_show(raw)}" if not empty else f"{cond.field} is empty",
        )
    if cond.op == "missing":
        return ConditionResult(
            condition=words,
            passed=empty,
            detail=f"{cond.field} is empty" if empty else f"{cond.field} is {_show(raw)}",
        )
    if empty:
        # "not X" holds for an empty field; every other test needs a value
        return ConditionResult(
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
            return ConditionResult(
                condition=words,
                passed=False,
                detail=f"{seen}, which cannot be compared with {_show(cond.value)}",
            )
        passed = outcome
    return ConditionResult(condition=words, passed=passed, detail=seen)


_KIND_WORDS = {
    "email": "email",
    "phone_call": "phone call",
    "chat": "chat",
    "appointment": "meeting",
}


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
            is_automatic(a) or (not cond.replies and is_reply(a))
        ):
            continue
        hits.append(a)
    passed = len(hits) >= cond.min_count
    if hits:
        last = max(hits, key=lambda a: (a.occurred_at, a.id))
        more = f" ({len(hits)} in all)" if len(hits) > 1 else ""
        detail = f"{direction}{_KIND_WORDS[last.kind]} {ago(now, last.occurred_at)}{more}"
        if not passed:
            detail += f", fewer than {cond.min_count}"
    else:
        detail = f"no {direction}{kinds}{window}"
    return ConditionResult(condition=words, passed=passed, detail=detail)


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

    def __init__(self, segments: Sequence[HandraiserSegment]) -> None:
        self.segments = tuple(segments)
        # a field condition's words depend on the condition only: written once, not per lead
        self._words: dict[int, str] = {}
        for seg in self.segments:
            for cond in seg.conditions:
                if isinstance(cond, FieldCondition):
                    check_path(cond.field, where=f"hand-raiser segment {seg.name!r}")
                    self._words[id(cond)] = _field_words(cond)

    @classmethod
    def from_config(cls, config: AgentConfig, /, **overrides: Any) -> Self:
        """An evaluator of the hand-raiser segments of ``config``; ``overrides`` are constructor
        keywords (``segments=`` replaces the configuration's segments)."""
        if not isinstance(config, AgentConfig):
            raise ConfigurationError(
                f"HandraiserEvaluator.from_config needs an AgentConfig (AgentConfig.from_file(path) loads one), "
                f"got {type(config).__name__}"
            )
        kwargs: dict[str, Any] = {"segments": config.handraisers}
        kwargs.update(overrides)
        return cls(**kwargs)

    def evaluate(self, context: LeadContext, /, *, now: datetime | None = None) -> HandraiserResult:
        """Evaluate every segment on one lead, ``now`` being the reference time (default: the
        current time)."""
        if not isinstance(context, LeadContext):
            raise ValidationFailed(
                f"evaluate needs a LeadContext, got {type(context).__name__}", field="context"
            )
        now = reference_time(now)
        results = []
        for seg in self.segments:
            conds = tuple(
                _field_result(c, self._words[id(c)], context)
                if isinstance(c, FieldCondition)
                else _activity_result(c, context, now)
                for c in seg.conditions
            )
            passed = [c.passed for c in conds]
            matched = all(passed) if seg.match == "all" else any(passed)
            results.append(SegmentResult(segment=seg.name, matched=matched, conditions=conds))
        return HandraiserResult(lead_id=context.lead.id, segments=tuple(results))
