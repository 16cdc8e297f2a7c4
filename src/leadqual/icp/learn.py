"""Learning from history: `suggest_icp` proposes characteristics and weights from won and lost
leads, and `backtest` reports what a profile (or a prioritisation order) would have done on them.

Won means a lead that was qualified, lost one that was disqualified; open leads are skipped.

Examples:
    >>> from leadqual.sources import load_sample, load_sample_config, build_context
    >>> from leadqual.models import LeadStatus
    >>> src = load_sample()
    >>> closed = [build_context(src, l.id) for l in src.leads() if l.status is not LeadStatus.OPEN]
    >>> report = backtest(load_sample_config().icp, closed)
    >>> report.tier("High").lift > 1 > report.tier("Low").lift
    True
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Protocol

from pydantic import ConfigDict, Field

from leadqual._base import LeadqualModel
from leadqual._fields import check_path, get_path, is_empty
from leadqual.config import IcpCharacteristic, IcpProfile
from leadqual.errors import ConfigurationError, InsufficientTrainingData, ValidationFailed
from leadqual.icp.industries import IndustryTaxonomy
from leadqual.icp.locations import REGIONS, Geography
from leadqual.icp.matcher import FitTier, IcpMatcher
from leadqual.icp.matchers import TextSimilarity, TokenSimilarity
from leadqual.icp.titles import SENIORITY_LABELS, parse_title
from leadqual.models import Address, Lead, LeadContext, LeadStatus

__all__ = [
    "BacktestReport",
    "DecileOutcome",
    "IcpSuggestion",
    "SuggestedCharacteristic",
    "TierOutcome",
    "backtest",
    "suggest_icp",
]

_SIZE_EDGES = (50, 100, 200, 500, 1000, 2000, 5000, 10000)
_REVENUE_EDGES = (1e6, 1e7, 5e7, 1e8, 5e8, 1e9)
# disjoint sales regions for learning (North America keeps Mexico, as in REGIONS)
_SALES_REGIONS = ("North America", "Europe", "LATAM", "APAC", "Middle East", "Africa")
_SENIORITY_TARGETS = {2: "Manager", 3: "Director", 4: "VP", 5: "C-level"}


class SuggestedCharacteristic(LeadqualModel):
    """A proposed characteristic with the evidence for it."""

    model_config = ConfigDict(frozen=True)

    characteristic: IcpCharacteristic
    leads_with_value: int
    """Closed leads with a value for it."""
    support: Annotated[float, Field(ge=0, le=1)]
    """Share of those leads that fall in the proposed targets."""
    win_rate: Annotated[float, Field(ge=0, le=1)]
    """Share of the leads in the targets that were won."""
    base_rate: Annotated[float, Field(ge=0, le=1)]
    """Share won among all leads with a value."""
    lift: float
    """``win_rate / base_rate``: above 1, the targets convert better than average."""
    information_value: float
    """Strength of the split (weight of evidence); the weights are proportional to it."""
    reason: str


class IcpSuggestion(LeadqualModel):
    """A proposed profile learned from history, with per-characteristic support and lift."""

    model_config = ConfigDict(frozen=True)

    profile: IcpProfile
    suggestions: tuple[SuggestedCharacteristic, ...]
    closed: int
    won: int
    base_rate: float

    def lines(self) -> list[str]:
        """Printable lines, strongest characteristic first."""
        out = [f"{self.closed} closed leads, {self.won} won ({self.base_rate:.0%})"]
        out += [f"- {s.reason}" for s in self.suggestions]
        return out


def _closed(contexts: Iterable[LeadContext | Lead]) -> tuple[list[LeadContext], list[int]]:
    pairs: list[LeadContext] = []
    labels: list[int] = []
    seen: set[str] = set()
    for item in contexts:
        ctx = LeadContext(lead=item) if isinstance(item, Lead) else item
        if not isinstance(ctx, LeadContext):
            raise ValidationFailed(
                f"closed_leads must hold LeadContext or Lead items, got {type(item).__name__}",
                field="closed_leads",
            )
        if ctx.lead.id in seen:
            raise ValidationFailed(f"lead {ctx.lead.id!r} appears twice", field="closed_leads")
        seen.add(ctx.lead.id)
        if ctx.lead.status is LeadStatus.OPEN:
            continue
        pairs.append(ctx)
        labels.append(1 if ctx.lead.status is LeadStatus.QUALIFIED else 0)
    return pairs, labels


def _first(ctx: LeadContext, paths: Sequence[str]) -> object:
    for p in paths:
        v = get_path(ctx, p)
        if isinstance(v, Address):
            v = v.country
        if not is_empty(v):
            return v
    return None


class _Split:
    """Win counts inside and outside a group, among leads with a value."""

    def __init__(self, inside: Sequence[int], outside: Sequence[int]) -> None:
        self.n_in, self.w_in = len(inside), sum(inside)
        self.n_out, self.w_out = len(outside), sum(outside)

    @property
    def n(self) -> int:
        return self.n_in + self.n_out

    @property
    def base(self) -> float:
        return (self.w_in + self.w_out) / self.n if self.n else 0.0

    @property
    def rate_in(self) -> float:
        return self.w_in / self.n_in if self.n_in else 0.0

    @property
    def lift(self) -> float:
        return self.rate_in / self.base if self.base else 0.0

    def information_value(self) -> float:
        won = self.w_in + self.w_out
        lost = self.n - won
        if not won or not lost:
            return 0.0
        iv = 0.0
        for w, n in ((self.w_in, self.n_in), (self.w_out, self.n_out)):
            pw = (w + 0.5) / (won + 1)
            pl = (n - w + 0.5) / (lost + 1)
            iv += (pw - pl) * math.log(pw / pl)
        return iv

    def z(self) -> float:
        """A two-proportion z statistic (how surely the group converts better)."""
        if not self.n_in or not self.n_out:
            return 0.0
        p = self.base
        se = math.sqrt(p * (1 - p) * (1 / self.n_in + 1 / self.n_out)) or 1.0
        return (self.rate_in - self.w_out / self.n_out) / se


def _select_groups(
    keys: Sequence[Hashable | None],
    labels: Sequence[int],
    *,
    min_count: int,
    min_lift: float,
    eligible: Callable[[Hashable], bool] = lambda k: True,
) -> tuple[list[Hashable], _Split] | None:
    """Groups (category values) whose win rate beats the base by ``min_lift``."""
    by: dict[Hashable, list[int]] = defaultdict(list)
    known: list[tuple[Hashable, int]] = [
        (k, y) for k, y in zip(keys, labels, strict=True) if k is not None
    ]
    for k, y in known:
        by[k].append(y)
    if not known:
        return None
    base = sum(y for _, y in known) / len(known)
    chosen = [
        k
        for k, ys in by.items()
        if eligible(k)
        and len(ys) >= min_count
        and base > 0
        and (sum(ys) / len(ys)) / base >= min_lift
    ]
    if not chosen:
        return None
    chosen.sort(key=lambda k: (-sum(by[k]) / len(by[k]), str(k)))
    inside = [y for k, y in known if k in chosen]
    outside = [y for k, y in known if k not in chosen]
    if not outside:
        return None
    return chosen, _Split(inside, outside)


def _best_threshold(
    values: Sequence[float | None],
    labels: Sequence[int],
    edges: Sequence[float],
    *,
    min_count: int,
    min_lift: float,
) -> tuple[float, _Split] | None:
    known = [(v, y) for v, y in zip(values, labels, strict=True) if v is not None]
    best: tuple[float, _Split] | None = None
    for t in edges:
        inside = [y for v, y in known if v >= t]
        outside = [y for v, y in known if v < t]
        if len(inside) < min_count or len(outside) < min_count:
            continue
        split = _Split(inside, outside)
        if split.lift < min_lift:
            continue
        if best is None or split.z() > best[1].z():
            best = (t, split)
    return best


def _fmt(x: float) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if x >= div and (x / div).is_integer():
            return f"{int(x / div)}{suffix}"
    return f"{int(x)}" if float(x).is_integer() else f"{x:g}"


def suggest_icp(
    closed_leads: Iterable[LeadContext | Lead],
    /,
    *,
    pain_points: Sequence[str] = (),
    extra_fields: Sequence[str] = (),
    min_support: float = 0.05,
    min_lift: float = 1.15,
    min_leads: int = 10,
    taxonomy: IndustryTaxonomy | None = None,
    geography: Geography | None = None,
    text_similarity: TextSimilarity | None = None,
) -> IcpSuggestion:
    """Propose ICP characteristics and weights from won and lost history.

    Looks at industry (by sector), company size and revenue (the best "N+" threshold), location
    (by sales region), seniority (the best minimum level), the given ``pain_points`` (against the
    lead's need, topic and description), and any ``extra_fields`` (as categories: "other
    suggested criteria"). A characteristic is proposed when its targets convert at least
    ``min_lift`` times the base rate with at least ``min_support`` of the leads (and 3) in each
    group; weights (1-5) are proportional to the information value of the split.

    Raises:
        InsufficientTrainingData: fewer than ``min_leads`` won or lost leads.
        ConfigurationError: an extra field path cannot exist.
    """
    contexts, labels = _closed(closed_leads)
    won = sum(labels)
    lost = len(labels) - won
    if won < min_leads or lost < min_leads:
        raise InsufficientTrainingData(
            f"found {won} won and {lost} lost leads; {min_leads} of each are needed to suggest an "
            "ICP: include more closed history",
            qualified=won,
            disqualified=lost,
            needed=min_leads,
        )
    for path in extra_fields:
        check_path(path, where="suggest_icp extra_fields")
    taxonomy = taxonomy or IndustryTaxonomy()
    geography = geography or Geography()
    min_count = max(3, math.ceil(min_support * len(contexts)))
    found: list[tuple[IcpCharacteristic, _Split, str]] = []

    def categorical(
        name: str,
        kind: Literal["categorical", "location"],
        fields: tuple[str, ...],
        key: Callable[[object], Hashable | None],
        noun: str,
        eligible: Callable[[Hashable], bool] = lambda k: True,
    ) -> None:
        keys = [key(_first(c, fields)) for c in contexts]
        picked = _select_groups(
            keys, labels, min_count=min_count, min_lift=min_lift, eligible=eligible
        )
        if picked is None:
            return
        groups, split = picked
        names = [str(g) for g in groups]
        char = IcpCharacteristic(name=name, kind=kind, targets=tuple(names), fields=fields)
        found.append((char, split, f"{noun} {', '.join(names)}"))

    def sector(v: object) -> Hashable | None:
        if v is None:
            return None
        hit = taxonomy.resolve(str(v))
        return hit.sector if hit else str(v)

    categorical(
        "Industry", "categorical", ("account.industry", "lead.industry"), sector, "industry in"
    )

    for name, fields, edges, noun in (
        (
            "Company size",
            ("account.employee_count", "lead.employee_count"),
            _SIZE_EDGES,
            "employees",
        ),
        (
            "Annual revenue",
            ("account.annual_revenue", "lead.annual_revenue"),
            _REVENUE_EDGES,
            "revenue",
        ),
    ):
        values: list[float | None] = []
        for c in contexts:
            v = _first(c, fields)
            values.append(
                float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
            )
        best = _best_threshold(values, labels, edges, min_count=min_count, min_lift=min_lift)
        if best is not None:
            t, split = best
            target = f"{_fmt(t)}+"
            char = IcpCharacteristic(
                name=name, kind="numeric_range", targets=(target,), fields=fields
            )
            found.append((char, split, f"{noun} {target}"))

    def region(v: object) -> Hashable | None:
        if v is None:
            return None
        code = geography.country(str(v))
        if code is None:
            return None
        return next((r for r in _SALES_REGIONS if code in REGIONS[r]), "Other")

    # "Other" (no sales region) cannot be a target, so it is never a group to pick
    categorical(
        "Location",
        "location",
        ("account.address.country", "lead.address.country"),
        region,
        "located in",
        eligible=lambda k: k != "Other",
    )

    levels: list[float | None] = []
    for c in contexts:
        v = _first(c, ("lead.job_title", "contact.job_title"))
        info = parse_title(str(v)) if v is not None else None
        levels.append(
            float(info.seniority) if info is not None and info.seniority is not None else None
        )
    best = _best_threshold(
        levels, labels, tuple(_SENIORITY_TARGETS), min_count=min_count, min_lift=min_lift
    )
    if best is not None:
        t, split = best
        target = _SENIORITY_TARGETS[int(t)]
        char = IcpCharacteristic(
            name="Seniority",
            kind="job_title",
            targets=(target,),
            fields=("lead.job_title", "contact.job_title"),
            description=f"{SENIORITY_LABELS[int(t)]} or above",
        )
        found.append((char, split, f"seniority {target} or above"))

    if pain_points:
        sim = text_similarity or TokenSimilarity()
        texts = [
            [str(t) for t in (c.lead.need, c.lead.topic, c.lead.description) if not is_empty(t)]
            for c in contexts
        ]
        chosen: list[str] = []
        for pp in pain_points:
            inside = [
                y
                for ts, y in zip(texts, labels, strict=True)
                if any(sim.similarity(t, pp) >= 0.75 for t in ts)
            ]
            outside = [
                y
                for ts, y in zip(texts, labels, strict=True)
                if ts and not any(sim.similarity(t, pp) >= 0.75 for t in ts)
            ]
            if len(inside) >= min_count and outside and _Split(inside, outside).lift >= min_lift:
                chosen.append(pp)
        if chosen:
            inside = [
                y
                for ts, y in zip(texts, labels, strict=True)
                if any(sim.similarity(t, pp) >= 0.75 for t in ts for pp in chosen)
            ]
            outside = [
                y
                for ts, y in zip(texts, labels, strict=True)
                if ts and not any(sim.similarity(t, pp) >= 0.75 for t in ts for pp in chosen)
            ]
            if inside and outside:
                char = IcpCharacteristic(
                    name="Pain points",
                    kind="need",
                    targets=tuple(chosen),
                    fields=("lead.need", "lead.topic", "lead.description"),
                    field_mode="any",
                )
                found.append((char, _Split(inside, outside), f"needs {', '.join(chosen)}"))

    for path in extra_fields:
        label = path.rsplit(".", 1)[-1].replace("_", " ").capitalize()
        categorical(
            label,
            "categorical",
            (path,),
            lambda v: None if is_empty(v) else str(v),
            f"{label.lower()} in",
        )

    if not found:
        raise ConfigurationError(
            f"no characteristic converts {min_lift}x better than average with enough support in "
            f"{len(contexts)} closed leads; lower min_lift or min_support"
        )
    top_iv = max(s.information_value() for _, s, _ in found) or 1.0
    suggestions = []
    for char, split, words in found:
        iv = split.information_value()
        weight = max(0.5, round(5 * iv / top_iv, 1))
        char = char.model_copy(update={"weight": weight})
        suggestions.append(
            SuggestedCharacteristic(
                characteristic=char,
                leads_with_value=split.n,
                support=split.n_in / split.n,
                win_rate=split.rate_in,
                base_rate=split.base,
                lift=round(split.lift, 3),
                information_value=round(iv, 4),
                reason=(
                    f"{char.name}: {words} — {split.n_in} of {split.n} leads "
                    f"({split.n_in / split.n:.0%}), won {split.rate_in:.0%} vs {split.base:.0%} "
                    f"overall (lift {split.lift:.2f}); weight {weight:g}"
                ),
            )
        )
    suggestions.sort(key=lambda s: (-s.information_value, s.characteristic.name))
    profile = IcpProfile(
        name="Suggested from closed history",
        characteristics=tuple(s.characteristic for s in suggestions),
    )
    return IcpSuggestion(
        profile=profile,
        suggestions=tuple(suggestions),
        closed=len(contexts),
        won=won,
        base_rate=won / len(contexts),
    )


# == backtest ===================================================================================


class TierOutcome(LeadqualModel):
    """Conversion of the closed leads a profile puts in one tier."""

    model_config = ConfigDict(frozen=True)

    tier: FitTier
    leads: int
    won: int
    win_rate: float
    lift: float
    """``win_rate`` over the overall rate (1 is no better than random)."""


class DecileOutcome(LeadqualModel):
    """Conversion of one tenth of the ranked leads (decile 1 is the top)."""

    model_config = ConfigDict(frozen=True)

    decile: Annotated[int, Field(ge=1, le=10)]
    leads: int
    won: int
    win_rate: float
    lift: float
    cumulative_capture: float
    """Share of all won leads found in this and the higher deciles."""


class BacktestReport(LeadqualModel):
    """What a profile, or an ordering, would have done on closed history.

    Compare two reports (two profiles, or two orders) before switching: higher ``auc`` and
    ``top_decile_lift`` rank the leads that were won higher.
    """

    model_config = ConfigDict(frozen=True)

    label: str
    leads: int
    won: int
    base_rate: float
    ranked_by: tuple[str, ...]
    """``("icp_fit",)`` for a profile alone, or the prioritisation order."""
    tiers: tuple[TierOutcome, ...]
    deciles: tuple[DecileOutcome, ...]
    top_decile_lift: float
    top_quintile_lift: float
    auc: Annotated[float, Field(ge=0, le=1)]
    """Chance that a won lead ranks above a lost one (0.5 is random; leads that tie on every
    factor count half)."""

    def tier(self, tier: FitTier, /) -> TierOutcome:
        """The outcome of one tier (zero leads when the tier is empty)."""
        for t in self.tiers:
            if t.tier == tier:
                return t
        return TierOutcome(tier=tier, leads=0, won=0, win_rate=0.0, lift=0.0)

    def compare(self, other: BacktestReport, /) -> list[str]:
        """Lines setting this report against ``other`` (another profile or order) on the same
        history: AUC, top-decile and top-quintile lift, and which one ranks won leads higher."""
        if (self.leads, self.won) != (other.leads, other.won):
            raise ValidationFailed(
                f"the reports cover different histories ({self.leads} vs {other.leads} leads); "
                "backtest both on the same closed leads",
                field="other",
            )
        rows = [
            ("AUC", self.auc, other.auc),
            ("top-decile lift", self.top_decile_lift, other.top_decile_lift),
            ("top-quintile lift", self.top_quintile_lift, other.top_quintile_lift),
        ]
        width = max(len(self.label), len(other.label), 8)
        out = [f"{'':<18}{self.label:>{width}}  {other.label:>{width}}"]
        out += [f"{name:<18}{a:>{width}.3f}  {b:>{width}.3f}" for name, a, b in rows]
        if self.auc == other.auc:
            out.append("Both rank won leads equally well on this history.")
        else:
            better = self if self.auc > other.auc else other
            out.append(
                f"{better.label} ranks won leads higher (AUC {abs(self.auc - other.auc):.3f} better)."
            )
        return out

    def lines(self) -> list[str]:
        """Printable summary lines."""
        out = [
            f"{self.label}: {self.leads} closed leads, {self.won} won ({self.base_rate:.0%}); "
            f"ranked by {', '.join(self.ranked_by)}; AUC {self.auc:.3f}, top-decile lift "
            f"{self.top_decile_lift:.2f}, top-quintile lift {self.top_quintile_lift:.2f}"
        ]
        for t in self.tiers:
            out.append(
                f"  tier {t.tier:<8} {t.leads:>4} leads  won {t.win_rate:>4.0%}  lift {t.lift:.2f}"
            )
        for d in self.deciles:
            out.append(
                f"  decile {d.decile:>2} {d.leads:>4} leads  won {d.win_rate:>4.0%}  lift {d.lift:.2f}"
                f"  capture {d.cumulative_capture:.0%}"
            )
        return out


def _auc(groups: Sequence[Sequence[int]]) -> float:
    """Chance that a won lead ranks above a lost one; ``groups`` are the outcomes of leads that
    tie on every factor, best group first (a tie counts half, whatever the lead ids say)."""
    won = sum(sum(g) for g in groups)
    lost = sum(len(g) for g in groups) - won
    if not won or not lost:
        return 0.5
    lost_below = 0
    pairs = 0.0
    for g in reversed(groups):
        w = sum(g)
        lost_here = len(g) - w
        pairs += w * lost_below + 0.5 * w * lost_here
        lost_below += lost_here
    return pairs / (won * lost)


def _as_open(ctx: LeadContext, at: datetime) -> LeadContext:
    """The lead as it looked at ``at``: open, with only the activities that had happened."""
    lead = ctx.lead.model_copy(
        update={"status": LeadStatus.OPEN, "closed_at": None, "status_reason": None}
    )
    return ctx.model_copy(
        update={
            "lead": lead,
            "activities": tuple(a for a in ctx.activities if a.occurred_at <= at),
        }
    )


class RanksLeads(Protocol):
    """What :func:`backtest` needs of a prioritisation order: a
    :class:`leadqual.prioritize.Prioritizer` (the ICP package does not import prioritisation,
    which builds on it)."""

    @property
    def order(self) -> Sequence[str]:
        """The factors, most important first."""
        ...

    def explain(
        self,
        context: LeadContext,
        /,
        *,
        now: datetime | None = ...,
        score: float | None = ...,
        have_model: bool | None = ...,
    ) -> Sequence[Any]:
        """One lead's standing on each factor."""
        ...

    def sort_key(
        self, lead_id: str, factors: Sequence[Any], /
    ) -> tuple[tuple[int, ...], tuple[float, ...], str]:
        """The key leads sort by, ascending."""
        ...


def backtest(
    profile: IcpProfile | IcpMatcher,
    closed_leads: Iterable[LeadContext | Lead],
    /,
    *,
    prioritizer: RanksLeads | None = None,
    scores: dict[str, float] | None = None,
    horizon_days: int = 7,
    label: str | None = None,
) -> BacktestReport:
    """Report what a profile (and optionally a prioritisation order) would have done on history.

    The profile's tiers are checked against the outcome (conversion rate and lift per tier).
    The ranking is by ICP fit (tier, then score), or, with a ``prioritizer``, by its order with
    each lead seen as it was ``horizon_days`` after it came in (activities after that are
    ignored, the lead counted as open), so an order is judged on what a seller would have known.

    Raises:
        InsufficientTrainingData: no won or no lost lead among ``closed_leads``.
    """
    matcher = profile if isinstance(profile, IcpMatcher) else IcpMatcher(profile)
    contexts, labels = _closed(closed_leads)
    won = sum(labels)
    if not won or won == len(labels):
        raise InsufficientTrainingData(
            f"a backtest needs won and lost leads; found {won} won and {len(labels) - won} lost",
            qualified=won,
            disqualified=len(labels) - won,
            needed=1,
        )
    base = won / len(labels)
    fits = [matcher.match(c) for c in contexts]
    tiers = []
    for tier in ("High", "Moderate", "Low", "Unknown"):
        ys = [y for f, y in zip(fits, labels, strict=True) if f.tier == tier]
        if ys:
            rate = sum(ys) / len(ys)
            tiers.append(
                TierOutcome(
                    tier=tier,
                    leads=len(ys),
                    won=sum(ys),
                    win_rate=round(rate, 4),
                    lift=round(rate / base, 3),
                )
            )
    band = {"High": 3, "Moderate": 2, "Unknown": 1, "Low": 0}
    keys: list[tuple[tuple[int, ...], tuple[float, ...], str]]
    if prioritizer is None:
        keys = [
            ((-band[f.tier],), (-f.score,), c.lead.id) for f, c in zip(fits, contexts, strict=True)
        ]
        ranked_by: tuple[str, ...] = ("icp_fit",)
    else:
        keys = []
        for c in contexts:
            at = c.lead.created_at + timedelta(days=horizon_days)
            factors = prioritizer.explain(
                _as_open(c, at),
                now=at,
                score=(scores or {}).get(c.lead.id),
                have_model=scores is not None,
            )
            keys.append(prioritizer.sort_key(c.lead.id, factors))
        ranked_by = tuple(prioritizer.order)
    order = sorted(range(len(contexts)), key=lambda i: keys[i])
    ordered = [labels[i] for i in order]
    groups: list[list[int]] = []
    for pos, i in enumerate(order):
        if pos and keys[i][:2] == keys[order[pos - 1]][:2]:
            groups[-1].append(labels[i])
        else:
            groups.append([labels[i]])
    n = len(ordered)
    deciles = []
    captured = 0
    for d in range(10):
        lo, hi = (d * n) // 10, ((d + 1) * n) // 10
        chunk = ordered[lo:hi]
        if not chunk:
            continue
        captured += sum(chunk)
        rate = sum(chunk) / len(chunk)
        deciles.append(
            DecileOutcome(
                decile=d + 1,
                leads=len(chunk),
                won=sum(chunk),
                win_rate=round(rate, 4),
                lift=round(rate / base, 3),
                cumulative_capture=round(captured / won, 4),
            )
        )

    def top_lift(share: float) -> float:
        k = max(1, round(n * share))
        return round((sum(ordered[:k]) / k) / base, 3)

    return BacktestReport(
        label=label or (matcher.profile.name if prioritizer is None else "prioritisation order"),
        leads=n,
        won=won,
        base_rate=round(base, 4),
        ranked_by=ranked_by,
        tiers=tuple(tiers),
        deciles=tuple(deciles),
        top_decile_lift=top_lift(0.1),
        top_quintile_lift=top_lift(0.2),
        auc=round(_auc(groups), 4),
    )
