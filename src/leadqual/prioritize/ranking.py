"""The :class:`Prioritizer`: a seller's open leads in order, each entry with why it has its rank.

The order of factors is configurable (hand-raiser, ICP fit, predictive score, engagement, account
association, recency by default); each factor is one object of :mod:`leadqual.prioritize.factors`
whose rule serves both the ranking of lead contexts (:meth:`Prioritizer.rank`) and the vectorised
ranking of a table of signals (:meth:`Prioritizer.rank_frame`).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, Self, runtime_checkable

from pydantic import Field, model_validator

from leadqual._base import FrozenModel, UtcDatetime, check_frame
from leadqual._compat import warn_deprecated
from leadqual.config import AgentConfig
from leadqual.config.prioritize import (
    DEFAULT_PRIORITY_ORDER,
    HandraiserSegment,
    PrioritizationOrder,
    PriorityFactor,
    RatingPolicy,
)
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.icp import IcpFit, IcpMatcher, IcpProfile
from leadqual.models import LeadContext, LeadStatus
from leadqual.prioritize._common import reference_time
from leadqual.prioritize.factors import (
    Factor,
    FactorValue,
    LeadSignals,
    account_association,
    build_factors,
)
from leadqual.prioritize.handraisers import HandraiserEvaluator, HandraiserResult
from leadqual.prioritize.rating import (
    Engagement,
    LeadRating,
    Rating,
    measure_engagement,
    rate_lead,
)
from leadqual.sources import CrmSource, build_context

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PrioritizedLead",
    "PrioritizedList",
    "Prioritizer",
    "RankBand",
    "ScoreInput",
    "SupportsScore",
]

logger = logging.getLogger(__name__)

RankBand = Literal["top", "high", "medium", "low"]
"""Quarter of a ranked list an entry sits in, from the top."""

_Decided = tuple[PriorityFactor, FactorValue, FactorValue]
"""The factor that orders two neighbours, with the upper and the lower one's standing on it."""


class PrioritizedLead(FrozenModel):
    """One entry of a prioritised list, with why it has its rank."""

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


class PrioritizedList(FrozenModel):
    """A ranked list of leads (a seller's own, or everyone's), each with its reasons."""

    now: UtcDatetime
    """The reference time the list was ranked at."""
    seller_id: str | None = None
    order: tuple[PriorityFactor, ...]
    total: int
    """Leads ranked before filters were applied."""
    entries: tuple[PrioritizedLead, ...]

    @model_validator(mode="before")
    @classmethod
    def _renamed_as_of(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "as_of" in data:
            warn_deprecated(
                "PrioritizedList: the field 'as_of' is deprecated; use 'now' instead",
                skip_modules=("pydantic",),
            )
            data = dict(data)
            if "now" in data:
                raise ValueError("give 'now' only; 'as_of' is its deprecated name")
            data["now"] = data.pop("as_of")
        return data

    @property
    def as_of(self) -> datetime:
        """Deprecated name of :attr:`now`."""
        warn_deprecated("PrioritizedList.as_of is deprecated; use PrioritizedList.now")
        return self.now

    def __len__(self) -> int:
        return len(self.entries)

    def lead_ids(self) -> list[str]:
        """The lead ids in rank order."""
        return [e.lead_id for e in self.entries]

    def lines(self, *, limit: int | None = None) -> list[str]:
        """Printable lines: rank, lead, rating, and why this rank."""
        return [
            f"#{e.rank:<3} {e.lead_id}  {e.rating.rating:<4}  {e.why}" for e in self.entries[:limit]
        ]


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
    Each factor is an object of :mod:`leadqual.prioritize.factors` (in :attr:`factors`).

    Args:
        icp: the profile (or a ready matcher); ``None`` leaves ICP fit out.
        handraisers: hand-raiser segments.
        order: the factors, most important first.
        rating: Hot/Warm/Cold cut-offs.
        score_cutoffs: lowest predictive score of grades A, B, C, ... (the scorer's default
            grades: A from 75, B from 50, C from 25, D below).
        reply_classifier: text -> reply intent, so "not interested" replies and automatic
            answers do not count as engagement (see :func:`measure_engagement`).

    Raises:
        ConfigurationError: the order repeats or names an unknown factor, or the score cut-offs
            are not strictly decreasing numbers from 100 to 0.

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
        try:
            settings = PrioritizationOrder(
                order=tuple(order),
                rating=rating or RatingPolicy(),
                score_cutoffs=tuple(score_cutoffs),
            )
        except ValidationFailed as err:
            raise ConfigurationError(f"Prioritizer: {err}") from None
        self.settings = settings
        """The order, rating and score cut-offs, as the configuration writes them."""
        self.order: tuple[PriorityFactor, ...] = settings.order
        self.rating_policy = settings.rating
        self.score_cutoffs = settings.score_cutoffs
        self.factors: tuple[Factor, ...] = build_factors(settings)
        """One object per factor of the order, most important first."""
        self.reply_classifier = reply_classifier
        self.matcher = IcpMatcher(icp) if isinstance(icp, IcpProfile) else icp
        self.evaluator = HandraiserEvaluator(handraisers)

    @classmethod
    def from_config(cls, config: AgentConfig, /, **overrides: Any) -> Self:
        """A prioritizer with the ICP, hand-raiser segments and order of an ``AgentConfig``."""
        if not isinstance(config, AgentConfig):
            raise ConfigurationError(
                f"Prioritizer.from_config needs an AgentConfig (AgentConfig.from_file(path) loads one), "
                f"got {type(config).__name__}"
            )
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

    @staticmethod
    def _check_scores(scores: Mapping[str, ScoreInput | None] | None) -> dict[str, float] | None:
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

    def _signals(
        self,
        context: LeadContext,
        *,
        now: datetime,
        fit: IcpFit | None,
        score: float | None,
        have_model: bool,
        other_open_leads: int,
    ) -> LeadSignals:
        engagement = measure_engagement(
            context,
            now=now,
            window_days=self.rating_policy.window_days,
            reply_classifier=self.reply_classifier,
        )
        return LeadSignals(
            lead_id=context.lead.id,
            now=now,
            handraiser=self.evaluator.evaluate(context, now=now),
            fit=fit,
            score=score,
            have_model=have_model,
            engagement=engagement,
            association=account_association(context, other_open_leads),
        )

    def explain(
        self,
        context: LeadContext,
        /,
        *,
        now: datetime | None = None,
        score: ScoreInput | None = None,
        have_model: bool | None = None,
        other_open_leads: int = 0,
    ) -> tuple[FactorValue, ...]:
        """One lead's standing on each factor of the order, as :meth:`rank` computes it.

        ``now`` defaults to the current time; ``have_model`` to whether a ``score`` is given;
        ``other_open_leads`` is the number of other open leads at the lead's account (``rank``
        counts them over its input).
        """
        now = reference_time(now)
        checked = self._check_scores({context.lead.id: score}) or {}
        lead = self._signals(
            context,
            now=now,
            fit=self.matcher.match(context) if self.matcher is not None else None,
            score=checked.get(context.lead.id),
            have_model=score is not None if have_model is None else have_model,
            other_open_leads=other_open_leads,
        )
        return tuple(f.value(lead) for f in self.factors)

    @staticmethod
    def sort_key(
        lead_id: str, factors: Sequence[FactorValue], /
    ) -> tuple[tuple[int, ...], tuple[float, ...], str]:
        """The key :meth:`rank` sorts by (ascending): bands, then finer values, then lead id."""
        return (tuple(-f.band for f in factors), tuple(-f.value for f in factors), lead_id)

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
        now = reference_time(now)
        checked = self._check_scores(scores)
        _check_filters(ratings, rank_bands, ranks)
        pool = _open_pool(contexts, include_closed=include_closed)
        open_by_account = _open_leads_by_account(pool)
        if seller_id is not None:
            pool = [c for c in pool if c.lead.owner_id == seller_id]
        prepared = []
        for ctx in pool:
            fit = (fits or {}).get(ctx.lead.id)
            if fit is None and self.matcher is not None:
                fit = self.matcher.match(ctx)
            lead = self._signals(
                ctx,
                now=now,
                fit=fit,
                score=checked.get(ctx.lead.id) if checked is not None else None,
                have_model=checked is not None,
                other_open_leads=_others(ctx, open_by_account),
            )
            factors = tuple(f.value(lead) for f in self.factors)
            rating = rate_lead(
                ctx,
                now=now,
                fit=fit,
                handraiser=lead.handraiser,
                engagement=lead.engagement,
                policy=self.rating_policy,
            )
            prepared.append((ctx, lead, factors, rating))
        prepared.sort(key=lambda p: self.sort_key(p[0].lead.id, p[2]))
        n = len(prepared)
        entries = []
        for i, (ctx, lead, factors, rating) in enumerate(prepared):
            ahead = _decider(factors, prepared[i + 1][2]) if i + 1 < n else None
            behind = _decider(prepared[i - 1][2], factors) if i > 0 else None
            entries.append(
                PrioritizedLead(
                    rank=i + 1,
                    lead_id=ctx.lead.id,
                    owner_id=ctx.lead.owner_id,
                    rank_band=_band(i, n),
                    rating=rating,
                    handraiser=lead.handraiser,
                    fit=lead.fit,
                    predictive_score=lead.score,
                    engagement=lead.engagement,
                    factors=factors,
                    ahead_because=ahead[0] if ahead else None,
                    behind_because=behind[0] if behind else None,
                    why=self._why(i + 1, n, factors, ahead, behind),
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
            now=now, seller_id=seller_id, order=self.order, total=n, entries=tuple(kept)
        )

    def rank_source(
        self,
        source: CrmSource,
        /,
        *,
        now: datetime | None = None,
        scores: Mapping[str, ScoreInput] | None = None,
        seller_id: str | None = None,
        **filters: Any,
    ) -> PrioritizedList:
        """Rank the open leads of a :class:`~leadqual.sources.CrmSource` (account association
        counts every open lead of the source, even in a seller's view)."""
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
        # pandas loads only when a table is built or ranked
        import pandas as pd

        now = reference_time(now)
        checked = self._check_scores(scores) or {}
        pool = _open_pool(contexts, include_closed=include_closed)
        open_by_account = _open_leads_by_account(pool)
        rows = []
        for ctx in pool:
            lead = self._signals(
                ctx,
                now=now,
                fit=None,
                score=checked.get(ctx.lead.id),
                have_model=True,
                other_open_leads=_others(ctx, open_by_account),
            )
            assoc = lead.association
            rows.append(
                {
                    "lead_id": ctx.lead.id,
                    "owner_id": ctx.lead.owner_id,
                    "handraiser": lead.handraiser.is_handraiser,
                    "handraiser_segments": len(lead.handraiser.matched_segments),
                    "predictive_score": math.nan if lead.score is None else lead.score,
                    "engagement_score": lead.engagement.score,
                    "account_band": assoc.band,
                    "open_opportunity_value": assoc.open_opportunity_value,
                    "other_open_leads": assoc.other_open_leads,
                    "days_since_touch": (now - lead.engagement.last_touch_at).total_seconds()
                    / 86400,
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
        (needed for ``seller_id``); ``handraiser`` (bool) and ``handraiser_segments`` (how many
        segments matched); ``icp_tier`` and ``icp_score`` (as returned by
        :meth:`IcpMatcher.match_frame <leadqual.icp.IcpMatcher.match_frame>`);
        ``predictive_score`` (0-100 or NaN); ``engagement_score`` (0-100);
        ``open_opportunity_value``, ``other_open_leads``, ``account_band`` (0-3, see the class
        docs); ``days_since_touch`` (days since the last sign of life). :meth:`signals_frame`
        computes them from lead contexts.

        Returns:
            The rows in rank order with ``rank`` and ``deciding_factor`` (the factor that puts
            each row ahead of the next one) added.

        Raises:
            ConfigurationError: the ``lead_id`` column is missing, or ``owner_id`` for a
                seller's view.
            ValidationFailed: a lead id appears twice, a numeric column holds text, a
                ``predictive_score`` lies outside 0-100, or an ``icp_tier`` is not a tier
                (missing values are fine), as :meth:`rank` refuses them too.
        """
        # numpy and pandas load only when a table is ranked
        import numpy as np

        from leadqual.prioritize._frame import FrameColumns

        check_frame(frame)
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
        columns = FrameColumns(df)
        standings = [f.values(columns) for f in self.factors]
        keys = [band for band, _ in standings] + [value for _, value in standings]
        # lead ids become their sorted positions, so one numeric lexsort orders everything
        id_rank = columns.lead_order()
        # np.lexsort sorts by its last key first: lead id last in importance, so first here
        order = np.lexsort([id_rank, *(-k for k in reversed(keys))])
        decider = np.full(n, None, dtype=object)
        undecided = np.ones(max(n - 1, 0), dtype=bool)
        for key, name in zip(keys, [*self.order, *self.order], strict=True):
            v = key[order]
            diff = v[:-1] != v[1:]
            decider[:-1][undecided & diff] = name
            undecided &= ~diff
        result = df.iloc[order].copy()
        result.insert(0, "rank", np.arange(1, n + 1))
        result["deciding_factor"] = decider
        return result.reset_index(drop=True)

    # -- reasons ----------------------------------------------------------------------------

    def _why(
        self,
        rank: int,
        n: int,
        factors: Sequence[FactorValue],
        ahead: _Decided | None,
        behind: _Decided | None,
    ) -> str:
        by_name = {f.name: f for f in self.factors}
        informative = [
            f for f in factors if f.label not in ("no model published", "no ICP configured")
        ]
        lead_bits = "; ".join(f.label for f in informative[:3])
        parts = [f"#{rank} of {n}: {lead_bits}."]
        if ahead is not None:
            name, mine, theirs = ahead
            f = by_name[name]
            parts.append(
                f"Ahead of #{rank + 1} on {f.words} ({f.short(mine)} vs {f.short(theirs)})."
            )
        elif rank < n:
            parts.append(f"Tied with #{rank + 1} on every factor; lead id breaks the tie.")
        if behind is not None:
            name, theirs, mine = behind
            f = by_name[name]
            parts.append(f"Behind #{rank - 1} on {f.words} ({f.short(theirs)} vs {f.short(mine)}).")
        return " ".join(parts)


def _open_pool(contexts: Iterable[LeadContext], *, include_closed: bool) -> list[LeadContext]:
    """The contexts to rank: checked, no lead twice, open leads only unless asked."""
    pool: list[LeadContext] = []
    seen: set[str] = set()
    for ctx in contexts:
        if not isinstance(ctx, LeadContext):
            raise ValidationFailed(
                f"Prioritizer needs LeadContext items, got {type(ctx).__name__}",
                field="contexts",
            )
        if ctx.lead.id in seen:
            raise ValidationFailed(
                f"lead {ctx.lead.id!r} appears twice in the input", field="contexts"
            )
        seen.add(ctx.lead.id)
        if include_closed or ctx.lead.is_open:
            pool.append(ctx)
    return pool


def _open_leads_by_account(pool: Iterable[LeadContext]) -> Counter[str]:
    return Counter(c.lead.account_id for c in pool if c.lead.account_id and c.lead.is_open)


def _others(context: LeadContext, open_by_account: Counter[str]) -> int:
    """Other open leads at the lead's account (the lead itself not counted)."""
    account_id = context.lead.account_id
    if not account_id:
        return 0
    return max(0, open_by_account.get(account_id, 0) - (1 if context.lead.is_open else 0))


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


def _decider(upper: Sequence[FactorValue], lower: Sequence[FactorValue]) -> _Decided | None:
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
