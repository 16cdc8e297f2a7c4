"""The ranking factors: one object per :data:`~leadqual.config.PriorityFactor`, each holding its
rule once for both shapes of input.

A factor turns what is known of a lead into a *standing*: a band (compared first) and a finer value
(compared when every band ties). Its :meth:`Factor.rule` is written once, as arithmetic that takes
either one lead's floats or whole columns as numpy arrays; :meth:`Factor.value` feeds it one lead
(:class:`LeadSignals`, for :meth:`Prioritizer.rank <leadqual.prioritize.Prioritizer.rank>`) and
:meth:`Factor.values` a table of signals (for :meth:`Prioritizer.rank_frame
<leadqual.prioritize.Prioritizer.rank_frame>`), so the two ranking paths cannot disagree.

Examples:
    >>> factor = EngagementFactor()
    >>> factor.rule({"engagement_score": 35.0})
    (2.0, 35.0)
    >>> import numpy as np
    >>> band, value = factor.rule({"engagement_score": np.array([0.0, 35.0, 80.0])})
    >>> band.tolist()
    [0.0, 2.0, 3.0]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from leadqual._base import FrozenModel
from leadqual.config.prioritize import PrioritizationOrder, PriorityFactor
from leadqual.icp import IcpFit
from leadqual.models import LeadContext, OpportunityStatus
from leadqual.prioritize._bands import (
    TIER_BAND,
    Num,
    engagement_band,
    grade_band,
    grade_letter,
    recency_band,
)
from leadqual.prioritize._common import ago
from leadqual.prioritize.handraisers import HandraiserResult
from leadqual.prioritize.rating import Engagement

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from leadqual.prioritize._frame import FrameColumns

__all__ = [
    "FACTORS",
    "AccountAssociation",
    "AccountAssociationFactor",
    "EngagementFactor",
    "Factor",
    "FactorValue",
    "HandraiserFactor",
    "IcpFitFactor",
    "LeadSignals",
    "PredictiveScoreFactor",
    "RecencyFactor",
    "account_association",
    "build_factors",
]

NEVER_TOUCHED_DAYS = 1e9
"""``days_since_touch`` of a row that gives none: older than any real lead."""


class FactorValue(FrozenModel):
    """A lead's standing on one prioritisation factor: a band (compared first), a finer value
    (compared when every band ties) and a label a seller can read."""

    factor: PriorityFactor
    band: int
    """Higher is better: 1 hand-raiser; ICP High 3, Moderate 2, Unknown 1, Low 0; ..."""
    value: float
    """Finer value inside the band (higher is better)."""
    label: str


class AccountAssociation(NamedTuple):
    """How a lead is tied to existing business: band 3 an account with open opportunities, 2 an
    existing customer or other open leads at the account, 1 linked to an account or contact, 0
    none."""

    band: int
    open_opportunity_value: float
    """Estimated value of the account's open opportunities (not the lead's own)."""
    other_open_leads: int
    label: str


def account_association(context: LeadContext, other_open_leads: int) -> AccountAssociation:
    """The lead's association with an existing account; ``other_open_leads`` counts the other
    open leads at its account (the ranking counts them over its input)."""
    linked = context.account is not None or context.contact is not None
    account_id = context.account.id if context.account else None
    mine = [
        o
        for o in context.opportunities
        if o.originating_lead_id != context.lead.id
        and (account_id is None or o.account_id in (None, account_id))
    ]
    open_opps = [o for o in mine if o.status is OpportunityStatus.OPEN]
    won = any(o.status is OpportunityStatus.WON for o in mine)
    value = sum(o.estimated_value or 0.0 for o in open_opps)
    if open_opps:
        band = 3
        many = "y" if len(open_opps) == 1 else "ies"
        label = f"account with {len(open_opps)} open opportunit{many} worth {value:,.0f}"
        if other_open_leads:
            label += f", {other_open_leads} other open lead(s)"
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
    return AccountAssociation(
        band=band, open_opportunity_value=value, other_open_leads=other_open_leads, label=label
    )


class LeadSignals(NamedTuple):
    """What the factors read of one lead, each worked out once per ranking."""

    lead_id: str
    now: datetime
    handraiser: HandraiserResult
    fit: IcpFit | None
    """``None`` when no ICP is configured."""
    score: float | None
    """The predictive score 0-100, ``None`` when the lead was not scored."""
    have_model: bool
    """Whether a predictive model is published (scores were given at all)."""
    engagement: Engagement
    association: AccountAssociation


class Factor(ABC):
    """One ranking factor: its inputs from a lead or from a table, one rule, and its words.

    Subclasses set :attr:`name` and :attr:`words` and write :meth:`inputs` (one lead's inputs),
    :meth:`read` (the same inputs as columns of a signals table), :meth:`rule` and
    :meth:`label`.
    """

    name: ClassVar[PriorityFactor]
    """The factor's name in a prioritisation order."""
    words: ClassVar[str]
    """The factor in a sentence: "Ahead of #2 on {words}"."""

    def __init__(self, settings: PrioritizationOrder | None = None, /) -> None:
        self.settings = settings or PrioritizationOrder()
        """The order, rating and score cut-offs the factor reads its settings from."""

    @abstractmethod
    def inputs(self, lead: LeadSignals, /) -> dict[str, float]:
        """One lead's inputs to :meth:`rule`."""

    @abstractmethod
    def read(self, columns: FrameColumns, /) -> dict[str, NDArray[Any]]:
        """The same inputs as :meth:`inputs`, read from a table of signals."""

    @abstractmethod
    def rule(self, inputs: Mapping[str, Num], /) -> tuple[Num, Num]:
        """The band and the finer value, from one lead's floats or from columns."""

    @abstractmethod
    def label(self, lead: LeadSignals, /) -> str:
        """The lead's standing in words a seller reads."""

    def short(self, value: FactorValue, /) -> str:
        """The standing in a comparison: "Ahead of #2 on {words} ({short} vs {short})"."""
        return value.label

    def value(self, lead: LeadSignals, /) -> FactorValue:
        """One lead's standing."""
        band, value = self.rule(self.inputs(lead))
        return FactorValue(
            factor=self.name, band=int(band), value=float(value), label=self.label(lead)
        )

    def values(self, columns: FrameColumns, /) -> tuple[NDArray[Any], NDArray[Any]]:
        """Every row's band and finer value, as float arrays."""
        band, value = self.rule(self.read(columns))
        return columns.full(band), columns.full(value)


class HandraiserFactor(Factor):
    """Hand-raisers first (band 1); more matching segments rank higher inside the band.

    Table columns: ``handraiser`` (bool, or text such as "yes"), ``handraiser_segments`` (the
    number of matching segments; without it a hand-raiser counts one).
    """

    name = "handraiser"
    words = "hand-raiser"

    def inputs(self, lead: LeadSignals, /) -> dict[str, float]:
        hr = lead.handraiser
        return {
            "handraiser": float(hr.is_handraiser),
            "handraiser_segments": float(len(hr.matched_segments)),
        }

    def read(self, columns: FrameColumns, /) -> dict[str, NDArray[Any]]:
        flag = columns.flag("handraiser")
        return {
            "handraiser": flag,
            "handraiser_segments": columns.number("handraiser_segments", missing=flag),
        }

    def rule(self, inputs: Mapping[str, Num], /) -> tuple[Num, Num]:
        return inputs["handraiser"], inputs["handraiser_segments"]

    def label(self, lead: LeadSignals, /) -> str:
        hr = lead.handraiser
        return f"hand-raiser ({hr.reason})" if hr.is_handraiser else "not a hand-raiser"

    def short(self, value: FactorValue, /) -> str:
        return "hand-raiser" if value.band else "not a hand-raiser"


class IcpFitFactor(Factor):
    """ICP tier High > Moderate > Unknown > Low (no ICP configured: 0 for everyone), then the fit
    score.

    Table columns: ``icp_tier`` (a missing tier is Unknown; without the column, no ICP),
    ``icp_score``.
    """

    name = "icp_fit"
    words = "ICP fit"

    def inputs(self, lead: LeadSignals, /) -> dict[str, float]:
        fit = lead.fit
        if fit is None:
            return {"icp_band": 0.0, "icp_score": 0.0}
        return {"icp_band": float(TIER_BAND[fit.tier]), "icp_score": fit.score}

    def read(self, columns: FrameColumns, /) -> dict[str, NDArray[Any]]:
        return {
            "icp_band": columns.tier_band("icp_tier"),
            "icp_score": columns.number("icp_score", missing=0.0),
        }

    def rule(self, inputs: Mapping[str, Num], /) -> tuple[Num, Num]:
        return inputs["icp_band"], inputs["icp_score"]

    def label(self, lead: LeadSignals, /) -> str:
        fit = lead.fit
        return "no ICP configured" if fit is None else f"ICP fit {fit.tier} ({fit.score:.0f})"

    def short(self, value: FactorValue, /) -> str:
        return value.label.removeprefix("ICP fit ")


class PredictiveScoreFactor(Factor):
    """Predictive score grade (A from 75, B from 50, C from 25, D below, by default), scored above
    unscored, then the score.

    Table column: ``predictive_score`` (0-100; missing: not scored).
    """

    name = "predictive_score"
    words = "predictive score"

    def __init__(self, settings: PrioritizationOrder | None = None, /) -> None:
        super().__init__(settings)
        self.cutoffs = self.settings.score_cutoffs

    def inputs(self, lead: LeadSignals, /) -> dict[str, float]:
        if not lead.have_model or lead.score is None:
            return {"scored": 0.0, "predictive_score": 0.0}
        return {"scored": 1.0, "predictive_score": lead.score}

    def read(self, columns: FrameColumns, /) -> dict[str, NDArray[Any]]:
        return {
            "scored": columns.present("predictive_score"),
            "predictive_score": columns.number("predictive_score", missing=0.0),
        }

    def rule(self, inputs: Mapping[str, Num], /) -> tuple[Num, Num]:
        score = inputs["predictive_score"]
        return grade_band(score, inputs["scored"], self.cutoffs), score

    def label(self, lead: LeadSignals, /) -> str:
        if not lead.have_model:
            return "no model published"
        if lead.score is None:
            return "not scored"
        band = int(grade_band(lead.score, 1.0, self.cutoffs))
        return f"score {lead.score:.0f} ({grade_letter(band, self.cutoffs)})"


class EngagementFactor(Factor):
    """Engagement level High > Medium > Low > None, then the engagement score.

    Table column: ``engagement_score`` (0-100; missing: 0).
    """

    name = "engagement"
    words = "engagement"

    def inputs(self, lead: LeadSignals, /) -> dict[str, float]:
        return {"engagement_score": lead.engagement.score}

    def read(self, columns: FrameColumns, /) -> dict[str, NDArray[Any]]:
        return {"engagement_score": columns.number("engagement_score", missing=0.0)}

    def rule(self, inputs: Mapping[str, Num], /) -> tuple[Num, Num]:
        score = inputs["engagement_score"]
        return engagement_band(score), score

    def label(self, lead: LeadSignals, /) -> str:
        return f"engagement {lead.engagement.describe()}"

    def short(self, value: FactorValue, /) -> str:
        return value.label.split(":")[0].removeprefix("engagement ")


class AccountAssociationFactor(Factor):
    """Association with existing business (see :class:`AccountAssociation`), then the value of
    the account's open opportunities plus its other open leads.

    Table columns: ``account_band`` (0-3), ``open_opportunity_value``, ``other_open_leads``.
    """

    name = "account_association"
    words = "account association"

    def inputs(self, lead: LeadSignals, /) -> dict[str, float]:
        a = lead.association
        return {
            "account_band": float(a.band),
            "open_opportunity_value": a.open_opportunity_value,
            "other_open_leads": float(a.other_open_leads),
        }

    def read(self, columns: FrameColumns, /) -> dict[str, NDArray[Any]]:
        return {
            name: columns.number(name, missing=0.0)
            for name in ("account_band", "open_opportunity_value", "other_open_leads")
        }

    def rule(self, inputs: Mapping[str, Num], /) -> tuple[Num, Num]:
        return inputs["account_band"], inputs["open_opportunity_value"] + inputs["other_open_leads"]

    def label(self, lead: LeadSignals, /) -> str:
        return lead.association.label


class RecencyFactor(Factor):
    """Last sign of life within ``recent_days`` (7) > within ``warm_days`` (21) > older, then the
    more recent first.

    Table column: ``days_since_touch`` (days since the last sign of life; missing: never).
    """

    name = "recency"
    words = "recency"

    def __init__(self, settings: PrioritizationOrder | None = None, /) -> None:
        super().__init__(settings)
        self.recent_days = self.settings.rating.recent_days
        self.warm_days = self.settings.rating.warm_days

    def inputs(self, lead: LeadSignals, /) -> dict[str, float]:
        since = lead.now - lead.engagement.last_touch_at
        return {"days_since_touch": since.total_seconds() / 86400}

    def read(self, columns: FrameColumns, /) -> dict[str, NDArray[Any]]:
        return {"days_since_touch": columns.number("days_since_touch", missing=NEVER_TOUCHED_DAYS)}

    def rule(self, inputs: Mapping[str, Num], /) -> tuple[Num, Num]:
        days = inputs["days_since_touch"]
        band = recency_band(days, recent_days=self.recent_days, warm_days=self.warm_days)
        return band, -days

    def label(self, lead: LeadSignals, /) -> str:
        return f"last sign of life {ago(lead.now, lead.engagement.last_touch_at)}"

    def short(self, value: FactorValue, /) -> str:
        return value.label.replace("last sign of life ", "")


FACTORS: Mapping[PriorityFactor, type[Factor]] = {
    f.name: f
    for f in (
        HandraiserFactor,
        IcpFitFactor,
        PredictiveScoreFactor,
        EngagementFactor,
        AccountAssociationFactor,
        RecencyFactor,
    )
}
"""Each factor's class by name."""


def build_factors(settings: PrioritizationOrder, /) -> tuple[Factor, ...]:
    """The factor objects of ``settings.order``, most important first."""
    return tuple(FACTORS[name](settings) for name in settings.order)
