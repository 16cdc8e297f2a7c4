"""Before switching configurations: what changed field by field, and what the change would have
done to historical leads (their rank, ICP fit, hand-raiser status, rating, hand-off and next
action, and, where the outcome is known, how many won leads the top of the list held).

Each lead is seen as a seller would have seen it: a closed lead as it stood ``horizon_days``
after it came in (open, with only the activities that had happened by then), as
:func:`leadqual.icp.backtest` judges an order; an open lead as it stands at ``now``. Nothing is
fetched: research, email deliverability and drafting do not run, and no predictive score
counts unless ``scores`` are given.

Examples:
    >>> from leadqual.sources import load_sample, load_sample_config, SAMPLE_AS_OF
    >>> old = load_sample_config()
    >>> new = old.replace(handraisers=old.handraisers[1:])      # drop the first segment
    >>> report = diff_configs(old, new, load_sample(), now=SAMPLE_AS_OF)
    >>> [c.path for c in report.changes]
    ['handraisers[Marketing campaign and web form]']
    >>> report.backtest.handraisers_after < report.backtest.handraisers_before
    True
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field

from leadqual._base import FrozenModel, to_utc
from leadqual.config import (
    AgentConfig,
    FieldChange,
    HandraiserSegment,
    config_changes,
    require_config,
)
from leadqual.drafting import ActionAdvisor, ActionKind, NextAction
from leadqual.errors import InsufficientTrainingData, ValidationFailed
from leadqual.icp import BacktestReport, FitTier, IcpFit, IcpMatcher, backtest
from leadqual.models import Lead, LeadContext, LeadStatus
from leadqual.prioritize import (
    HandraiserEvaluator,
    HandraiserResult,
    Prioritizer,
    Rating,
    rate_lead,
)
from leadqual.sources import CrmSource, build_context

__all__ = [
    "Aspect",
    "ConfigBacktest",
    "ConfigDiff",
    "Handoff",
    "LeadChange",
    "LeadStanding",
    "TopConversion",
    "diff_configs",
]

logger = logging.getLogger(__name__)

Aspect = Literal["rank", "selected", "icp_fit", "handraiser", "rating", "handoff", "action"]
"""What a configuration decides about a lead, as a backtest compares it."""
ASPECTS: tuple[Aspect, ...] = (
    "rank",
    "selected",
    "icp_fit",
    "handraiser",
    "rating",
    "handoff",
    "action",
)

Handoff = Literal["owner", "round_robin", "review", "unassigned"]
"""Where a lead goes, as the agent hands it off: a Hot lead to its owner (an unowned one to the
``team_access.unowned_team`` in turn, else unassigned), a lead the agent would disqualify to a
supervisor's review."""


class LeadStanding(FrozenModel):
    """What one configuration made of one lead."""

    rank: Annotated[int, Field(ge=1)]
    """Its place among the history's leads (1 is first), by the prioritisation order."""
    selected: bool
    """Whether the configuration's ``selection`` lets the agent work on it."""
    icp_tier: FitTier | None
    """``None`` when the configuration has no ICP."""
    icp_score: float | None
    is_handraiser: bool
    segment: str | None
    """The hand-raiser segment that says so."""
    rating: Rating
    handoff: Handoff | None
    """Where the agent would hand it (``None``: it stays with the list)."""
    action: ActionKind
    """The next best action's kind."""
    suggest_disqualify: bool


class LeadChange(FrozenModel):
    """A lead the new configuration treats differently."""

    lead_id: str
    outcome: Literal["won", "lost"] | None
    """How the lead ended (qualified is won, disqualified lost), ``None`` while open."""
    as_of: datetime
    """The time the lead is seen at."""
    before: LeadStanding
    after: LeadStanding
    changed: tuple[Aspect, ...]
    """What differs, in the order of :data:`Aspect`."""

    def line(self) -> str:
        """The change in one line: ``L-0042 (won) rank 12 -> 3, rating Warm -> Hot, ...``."""
        bits = []
        for aspect in self.changed:
            if aspect == "rank":
                bits.append(f"rank {self.before.rank} -> {self.after.rank}")
            elif aspect == "icp_fit":
                bits.append(f"ICP {self.before.icp_tier} -> {self.after.icp_tier}")
            elif aspect == "handraiser":
                was, now = self.before.segment or "no", self.after.segment or "no"
                bits.append(f"hand-raiser {was} -> {now}")
            else:
                was_value = getattr(self.before, aspect)
                now_value = getattr(self.after, aspect)
                bits.append(f"{aspect} {was_value} -> {now_value}")
        outcome = f" ({self.outcome})" if self.outcome else ""
        return f"{self.lead_id}{outcome} " + ", ".join(bits)


class TopConversion(FrozenModel):
    """How many of the top ``n`` closed leads were won, ranked by each configuration."""

    n: Annotated[int, Field(ge=1)]
    """Leads looked at (the top ``top_n``, or every closed lead when there are fewer)."""
    base_rate: float
    """Share of all closed leads that were won."""
    won_before: int
    won_after: int
    rate_before: float
    rate_after: float


class ConfigBacktest(FrozenModel):
    """What the new configuration would have done to a history of leads."""

    leads: int
    closed: int
    won: int
    changed: Mapping[Aspect, int]
    """How many leads changed, per aspect."""
    moved_up: int
    moved_down: int
    handraisers_before: int
    handraisers_after: int
    handoffs_before: Mapping[Handoff, int]
    """Leads per hand-off kind under the old configuration."""
    handoffs_after: Mapping[Handoff, int]
    top: TopConversion | None
    """Conversion among the top-ranked closed leads (``None`` without closed leads)."""
    icp_before: BacktestReport | None
    """:func:`leadqual.icp.backtest` of the old ICP on the closed leads (``None`` without an ICP,
    or without both won and lost leads)."""
    icp_after: BacktestReport | None
    order_before: BacktestReport | None
    """The backtest of the old prioritisation order (ICP included) on the closed leads."""
    order_after: BacktestReport | None
    lead_changes: tuple[LeadChange, ...]
    """Every lead treated differently, most moved first."""
    notes: tuple[str, ...] = ()
    """What could not be compared, and why."""

    def lines(self, *, limit: int = 10) -> list[str]:
        """Printable summary lines, with the first ``limit`` changed leads."""
        out = [
            f"{self.leads} leads ({self.closed} closed, {self.won} won): "
            + ", ".join(f"{a} {self.changed.get(a, 0)}" for a in ASPECTS)
            + f" changed; {self.moved_up} moved up, {self.moved_down} down",
            f"hand-raisers {self.handraisers_before} -> {self.handraisers_after}; hand-offs "
            f"{dict(self.handoffs_before)} -> {dict(self.handoffs_after)}",
        ]
        if self.top is not None:
            t = self.top
            out.append(
                f"top {t.n} closed leads: {t.won_before} won ({t.rate_before:.0%}) -> "
                f"{t.won_after} won ({t.rate_after:.0%}); all closed {t.base_rate:.0%}"
            )
        if self.order_before is not None and self.order_after is not None:
            out += self.order_before.compare(self.order_after)
        out += [c.line() for c in self.lead_changes[:limit]]
        if len(self.lead_changes) > limit:
            out.append(f"... and {len(self.lead_changes) - limit} more leads")
        out += [f"note: {n}" for n in self.notes]
        return out


class ConfigDiff(FrozenModel):
    """Two configurations compared: the fields that changed and, with a history, a backtest."""

    changes: tuple[FieldChange, ...]
    backtest: ConfigBacktest | None = None

    @property
    def same(self) -> bool:
        """Whether the configurations are equal."""
        return not self.changes

    def lines(self, *, limit: int = 10) -> list[str]:
        """Printable lines: each changed field, then the backtest summary."""
        out = [c.line() for c in self.changes] or ["the configurations are the same"]
        if self.backtest is not None:
            out += self.backtest.lines(limit=limit)
        return out


# -- the backtest --------------------------------------------------------------------------------


def _history(history: CrmSource | Iterable[LeadContext | Lead]) -> list[LeadContext]:
    if isinstance(history, CrmSource):
        return [build_context(history, lead.id) for lead in history.leads()]
    if isinstance(history, str | bytes | Mapping) or not isinstance(history, Iterable):
        raise ValidationFailed(
            "history must be a CrmSource or an iterable of LeadContext or Lead, got "
            f"{type(history).__name__}",
            field="history",
        )
    out: list[LeadContext] = []
    seen: set[str] = set()
    for i, item in enumerate(history):
        ctx = LeadContext(lead=item) if isinstance(item, Lead) else item
        if not isinstance(ctx, LeadContext):
            raise ValidationFailed(
                f"history[{i}] must be a LeadContext or a Lead, got {type(item).__name__}",
                field=f"history.{i}",
            )
        if ctx.lead.id in seen:
            raise ValidationFailed(
                f"lead {ctx.lead.id!r} appears twice in the history", field=f"history.{i}"
            )
        seen.add(ctx.lead.id)
        out.append(ctx)
    return out


def _seen_at(ctx: LeadContext, now: datetime, horizon: timedelta) -> tuple[LeadContext, datetime]:
    """The lead as a seller saw it: a closed one open, ``horizon`` after it came in, with only
    the activities that had happened (never later than ``now``); an open one as it is now."""
    if ctx.lead.status is LeadStatus.OPEN:
        return ctx, now
    at = min(ctx.lead.created_at + horizon, now)
    lead = ctx.lead.model_copy(
        update={"status": LeadStatus.OPEN, "closed_at": None, "status_reason": None}
    )
    view = ctx.model_copy(
        update={"lead": lead, "activities": tuple(a for a in ctx.activities if a.occurred_at <= at)}
    )
    return view, at


class _Judge:
    """One configuration's components, judging leads as the agent would."""

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.matcher = IcpMatcher(config.icp) if config.icp is not None else None
        self.evaluator = HandraiserEvaluator(config.handraisers)
        self.selection = (
            HandraiserEvaluator([HandraiserSegment(name="selection", conditions=config.selection)])
            if config.selection
            else None
        )
        self.prioritizer = Prioritizer.from_config(config, icp=self.matcher)
        self.advisor = ActionAdvisor.from_config(config)

    def standing(
        self,
        view: LeadContext,
        at: datetime,
        *,
        score: float | None,
        have_model: bool,
        fit: IcpFit | None,
        handraiser: HandraiserResult,
        action: NextAction,
    ) -> tuple[tuple[tuple[int, ...], tuple[float, ...], str], dict[str, object]]:
        """The lead's sort key and what the configuration concludes about it (rank aside)."""
        factors = self.prioritizer.explain(view, now=at, score=score, have_model=have_model)
        key = self.prioritizer.sort_key(view.lead.id, factors)
        rating = rate_lead(
            view, now=at, fit=fit, handraiser=handraiser, policy=self.config.prioritization.rating
        )
        handoff: Handoff | None = None
        if action.suggest_disqualify:
            handoff = "review"
        elif rating.rating == "Hot":
            if view.lead.owner_id:
                handoff = "owner"
            elif self.config.team_access.unowned_team:
                handoff = "round_robin"
            else:
                handoff = "unassigned"
        selected = self.selection is None or self.selection.evaluate(view, now=at).is_handraiser
        return key, {
            "selected": selected,
            "icp_tier": fit.tier if fit is not None else None,
            "icp_score": fit.score if fit is not None else None,
            "is_handraiser": handraiser.is_handraiser,
            "segment": handraiser.segment,
            "rating": rating.rating,
            "handoff": handoff,
            "action": action.kind,
            "suggest_disqualify": action.suggest_disqualify,
        }


def _aspects(before: LeadStanding, after: LeadStanding) -> tuple[Aspect, ...]:
    differs = {
        "rank": before.rank != after.rank,
        "selected": before.selected != after.selected,
        "icp_fit": (before.icp_tier, before.icp_score) != (after.icp_tier, after.icp_score),
        "handraiser": (before.is_handraiser, before.segment)
        != (after.is_handraiser, after.segment),
        "rating": before.rating != after.rating,
        "handoff": before.handoff != after.handoff,
        "action": (before.action, before.suggest_disqualify)
        != (after.action, after.suggest_disqualify),
    }
    return tuple(a for a in ASPECTS if differs[a])


def _reports(
    config: AgentConfig,
    closed: Sequence[LeadContext],
    *,
    scores: Mapping[str, float] | None,
    horizon_days: int,
    label: str,
    notes: list[str],
) -> tuple[BacktestReport | None, BacktestReport | None]:
    """The ICP backtest and the order backtest of one configuration (both ``None`` without an
    ICP or without both outcomes)."""
    if config.icp is None:
        notes.append(f"the {label} configuration has no ICP: no ICP or order backtest for it")
        return None, None
    try:
        icp = backtest(config.icp, closed, label=f"{label} ICP")
        order = backtest(
            config.icp,
            closed,
            prioritizer=Prioritizer.from_config(config),
            scores=dict(scores) if scores is not None else None,
            horizon_days=horizon_days,
            label=f"{label} order",
        )
    except InsufficientTrainingData as err:
        notes.append(f"no ICP or order backtest for the {label} configuration: {err}")
        return None, None
    return icp, order


def _ranks_alike(a: AgentConfig, b: AgentConfig) -> bool:
    """Whether two configurations give the same ICP and order backtests."""
    return (a.icp, a.handraisers, a.prioritization) == (b.icp, b.handraisers, b.prioritization)


def _backtest(
    old: AgentConfig,
    new: AgentConfig,
    contexts: Sequence[LeadContext],
    *,
    now: datetime,
    top_n: int,
    horizon_days: int,
    scores: Mapping[str, float] | None,
    progress: Callable[[int, int, str], None] | None,
) -> ConfigBacktest:
    horizon = timedelta(days=horizon_days)
    views = [_seen_at(c, now, horizon) for c in contexts]
    judges = (_Judge(old), _Judge(new))
    have_model = scores is not None
    # Equal inputs give equal conclusions: a part the change leaves alone is judged once.
    same_icp = old.icp == new.icp
    same_segments = old.handraisers == new.handraisers
    # The next action's kind depends on the configuration only through the consent to read
    # emails (the ICP fit adds reasons, which the backtest does not compare; a test holds the
    # advisor to that), so it is worked out once when that consent is the same.
    same_reading = old.consent.read_emails == new.consent.read_emails
    keys: list[list[tuple[tuple[int, ...], tuple[float, ...], str]]] = [[], []]
    found: list[list[dict[str, object]]] = [[], []]
    for done, (view, at) in enumerate(views, start=1):
        score = scores.get(view.lead.id) if scores is not None else None
        fits: list[IcpFit | None] = []
        handraisers: list[HandraiserResult] = []
        actions: list[NextAction] = []
        for side, judge in enumerate(judges):
            reuse = side == 1
            fit = (
                fits[0]
                if reuse and same_icp
                else (judge.matcher.match(view) if judge.matcher is not None else None)
            )
            handraiser = (
                handraisers[0]
                if reuse and same_segments
                else judge.evaluator.evaluate(view, now=at)
            )
            action = (
                actions[0]
                if reuse and same_reading
                else judge.advisor.advise(view, now=at, icp_fit=None)
            )
            fits.append(fit)
            handraisers.append(handraiser)
            actions.append(action)
            key, standing = judge.standing(
                view,
                at,
                score=score,
                have_model=have_model,
                fit=fit,
                handraiser=handraiser,
                action=action,
            )
            keys[side].append(key)
            found[side].append(standing)
        if progress is not None:
            progress(done, len(views), view.lead.id)
    n = len(views)
    ranks: list[list[int]] = [[0] * n, [0] * n]
    for side in (0, 1):
        for rank, i in enumerate(sorted(range(n), key=lambda i: keys[side][i]), start=1):
            ranks[side][i] = rank
    changes: list[LeadChange] = []
    counts: dict[Aspect, int] = dict.fromkeys(ASPECTS, 0)
    handoffs: list[dict[Handoff, int]] = [{}, {}]
    handraiser_counts = [0, 0]
    for i, (view, at) in enumerate(views):
        standings = [
            LeadStanding.model_validate({"rank": ranks[side][i], **found[side][i]})
            for side in (0, 1)
        ]
        for side in (0, 1):
            s = standings[side]
            handraiser_counts[side] += s.is_handraiser
            if s.handoff is not None:
                handoffs[side][s.handoff] = handoffs[side].get(s.handoff, 0) + 1
        aspects = _aspects(*standings)
        for a in aspects:
            counts[a] += 1
        if aspects:
            status = contexts[i].lead.status
            changes.append(
                LeadChange(
                    lead_id=view.lead.id,
                    outcome=None
                    if status is LeadStatus.OPEN
                    else ("won" if status is LeadStatus.QUALIFIED else "lost"),
                    as_of=at,
                    before=standings[0],
                    after=standings[1],
                    changed=aspects,
                )
            )
    changes.sort(key=lambda c: (-abs(c.before.rank - c.after.rank), c.lead_id))
    closed_idx = [i for i, c in enumerate(contexts) if c.lead.status is not LeadStatus.OPEN]
    won_flags = {i: contexts[i].lead.status is LeadStatus.QUALIFIED for i in closed_idx}
    won = sum(won_flags.values())
    top: TopConversion | None = None
    if closed_idx:
        k = min(top_n, len(closed_idx))
        won_top = [
            sum(won_flags[i] for i in sorted(closed_idx, key=lambda i: keys[side][i])[:k])
            for side in (0, 1)
        ]
        top = TopConversion(
            n=k,
            base_rate=round(won / len(closed_idx), 4),
            won_before=won_top[0],
            won_after=won_top[1],
            rate_before=round(won_top[0] / k, 4),
            rate_after=round(won_top[1] / k, 4),
        )
    notes: list[str] = []
    if not closed_idx:
        notes.append("no closed lead in the history: no conversion to compare")
    closed = [contexts[i] for i in closed_idx]
    icp_before = order_before = icp_after = order_after = None
    if closed:
        icp_before, order_before = _reports(
            old, closed, scores=scores, horizon_days=horizon_days, label="old", notes=notes
        )
        if _ranks_alike(old, new):  # the same reports: only their labels differ
            icp_after, order_after = (
                r.model_copy(update={"label": r.label.replace("old", "new", 1)})
                if r is not None
                else None
                for r in (icp_before, order_before)
            )
        else:
            icp_after, order_after = _reports(
                new, closed, scores=scores, horizon_days=horizon_days, label="new", notes=notes
            )
    return ConfigBacktest(
        leads=n,
        closed=len(closed_idx),
        won=won,
        changed=counts,
        moved_up=sum(1 for c in changes if c.after.rank < c.before.rank),
        moved_down=sum(1 for c in changes if c.after.rank > c.before.rank),
        handraisers_before=handraiser_counts[0],
        handraisers_after=handraiser_counts[1],
        handoffs_before=handoffs[0],
        handoffs_after=handoffs[1],
        top=top,
        icp_before=icp_before,
        icp_after=icp_after,
        order_before=order_before,
        order_after=order_after,
        lead_changes=tuple(changes),
        notes=tuple(notes),
    )


def diff_configs(
    old: AgentConfig,
    new: AgentConfig,
    /,
    history: CrmSource | Iterable[LeadContext | Lead] | None = None,
    *,
    now: datetime | None = None,
    top_n: int = 20,
    horizon_days: int = 7,
    scores: Mapping[str, float] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> ConfigDiff:
    """Compare two configurations field by field and, given a history of leads, backtest the
    change: which leads the new configuration ranks, fits, rates, hands off or advises
    differently, and how many won leads its top ``top_n`` holds against the old one's.

    Args:
        old: the configuration in use.
        new: the one to switch to.
        history: the leads to backtest on: a :class:`~leadqual.sources.CrmSource` (every lead,
            with its related records) or leads (:class:`~leadqual.models.LeadContext`, or a bare
            :class:`~leadqual.models.Lead`). Qualified leads count as won, disqualified as
            lost; open leads have no outcome but their changes are reported.
        now: the reference time (default: the current time): open leads are seen as they are
            at ``now``; closed ones never later than it.
        top_n: how many top-ranked closed leads the conversion comparison looks at.
        horizon_days: days after a closed lead came in that it is seen at.
        scores: predictive scores 0-100 by lead id, when a model was in use (both
            configurations rank with them).
        progress: called after each lead is judged by both configurations:
            ``(done, total, lead_id)``.

    Raises:
        ConfigurationError: ``old`` or ``new`` is not an :class:`~leadqual.config.AgentConfig`.
        ValidationFailed: the history is not leads (``field`` names the item), holds a lead
            twice, or ``top_n`` / ``horizon_days`` are out of range.
    """
    old = require_config(old, "diff_configs")
    new = require_config(new, "diff_configs")
    changes = config_changes(old, new)
    if history is None:
        return ConfigDiff(changes=changes)
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
        raise ValidationFailed(f"top_n must be a whole number from 1, got {top_n!r}", field="top_n")
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or horizon_days < 0:
        raise ValidationFailed(
            f"horizon_days must be a whole number of days from 0, got {horizon_days!r}",
            field="horizon_days",
        )
    reference = to_utc(now) if now is not None else datetime.now(UTC)
    if scores is not None and not isinstance(scores, Mapping):
        raise ValidationFailed(
            f"scores must map lead id -> score 0-100, got {type(scores).__name__}", field="scores"
        )
    contexts = _history(history)
    report = _backtest(
        old,
        new,
        contexts,
        now=reference,
        top_n=top_n,
        horizon_days=horizon_days,
        scores=scores,
        progress=progress,
    )
    logger.info(
        "config diff: %d field change(s), %d of %d leads treated differently",
        len(changes),
        len(report.lead_changes),
        report.leads,
    )
    return ConfigDiff(changes=changes, backtest=report)
