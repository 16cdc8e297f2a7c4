"""Opportunity scoring on the same machinery: won (1) against lost (0).

Example:
    >>> from datetime import datetime, UTC
    >>> from leadqual.models import Opportunity
    >>> opp = Opportunity(id="O-1", name="Acme - Cloud", estimated_value=50_000,
    ...                   created_at=datetime(2026, 1, 1, tzinfo=UTC))
    >>> opportunity_features(opp)["estimated_value"]
    50000.0
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Unpack

import numpy as np
import pandas as pd

from leadqual._compat import renamed_kwarg
from leadqual.errors import InsufficientTrainingData, NotScorable, RecordNotFound
from leadqual.models import Account, Opportunity, OpportunityStatus
from leadqual.scoring.grading import LeadScore
from leadqual.scoring.records import country_feature
from leadqual.scoring.scorer import LeadScorer, ScoreOptions
from leadqual.scoring.training import MIN_PER_CLASS, TrainingSet, _window, resolve_now
from leadqual.sources.base import CrmSource

__all__ = [
    "OpportunityScorer",
    "build_opportunity_training_set",
    "opportunities_frame",
    "opportunity_features",
]


def opportunity_features(
    opportunity: Opportunity, /, *, account: Account | None = None
) -> dict[str, Any]:
    """The scoring attributes of an opportunity and its account.

    Left out on purpose: status, actual value and close date (written at the outcome), and the
    sales stage (a closed opportunity's stage is its last one, e.g. "close", which says nothing
    about an open opportunity's chances).
    """
    rec: dict[str, Any] = {
        "estimated_value": opportunity.estimated_value,
        "line_of_business": opportunity.line_of_business,
        "owner_id": opportunity.owner_id,
        "has_contact": opportunity.contact_id is not None,
        "from_lead": opportunity.originating_lead_id is not None,
        "account_industry": account.industry if account else None,
        "account_employees": account.employee_count if account else None,
        "account_revenue": account.annual_revenue if account else None,
        "account_country": country_feature(
            account.address.country if account and account.address else None
        ),
    }
    for key, value in sorted(opportunity.custom_fields.items()):
        rec[f"custom.{key}"] = value
    return rec


def _account(source: CrmSource, opportunity: Opportunity) -> Account | None:
    if not opportunity.account_id:
        return None
    try:
        return source.get_account(opportunity.account_id)
    except RecordNotFound:
        return None


def opportunities_frame(
    opportunities: Sequence[Opportunity], /, *, source: CrmSource
) -> pd.DataFrame:
    """A DataFrame of :func:`opportunity_features` rows (with each one's account from
    ``source``), indexed by opportunity id."""
    rows = [opportunity_features(o, account=_account(source, o)) for o in opportunities]
    return pd.DataFrame(rows, index=pd.Index([o.id for o in opportunities], name="opportunity_id"))


@renamed_kwarg("as_of", "now")
def build_opportunity_training_set(
    source: CrmSource,
    /,
    *,
    now: datetime | None = None,
    months: int = 12,
    line_of_business: str | None = None,
    min_per_class: int = MIN_PER_CLASS,
) -> TrainingSet:
    """Won and lost opportunities closed in the ``months`` before ``now`` (default: the current
    time), as a training table (1 won, 0 lost).

    Raises:
        InsufficientTrainingData: fewer than ``min_per_class`` won or lost opportunities.
    """
    start, end = _window(now, months)
    chosen: list[Opportunity] = []
    for status in (OpportunityStatus.WON, OpportunityStatus.LOST):
        for opp in source.opportunities(status=status):
            if opp.close_date is None or not start <= opp.close_date <= end:
                continue
            if line_of_business is not None and (opp.line_of_business or "").casefold() != (
                line_of_business.casefold()
            ):
                continue
            chosen.append(opp)
    won = sum(1 for o in chosen if o.status is OpportunityStatus.WON)
    lost = len(chosen) - won
    if won < min_per_class or lost < min_per_class:
        seg = f" in line of business {line_of_business!r}" if line_of_business else ""
        raise InsufficientTrainingData(
            f"found {won} won and {lost} lost opportunities closed between {start:%Y-%m-%d} and "
            f"{end:%Y-%m-%d}{seg}; {min_per_class} of each are needed: widen the window "
            "(up to 24 months) or train one model for every line of business",
            qualified=won,
            disqualified=lost,
            needed=min_per_class,
        )
    chosen.sort(key=lambda o: (o.close_date or o.created_at, o.id))
    X = opportunities_frame(chosen, source=source)
    y = np.array([1 if o.status is OpportunityStatus.WON else 0 for o in chosen])
    closed = tuple(o.close_date for o in chosen if o.close_date is not None)
    return TrainingSet(
        X=X, y=y, closed_at=closed, start=start, end=end, line_of_business=line_of_business
    )


class OpportunityScorer(LeadScorer):
    """A :class:`~leadqual.scoring.LeadScorer` for opportunities: ``y`` is 1 won, 0 lost.

    Everything the lead scorer does applies (model choice, calibration, grades, factors, trend);
    :meth:`score_opportunity` adds the opportunity rules: only open opportunities are scored.

    Example:
        >>> import pandas as pd
        >>> X = pd.DataFrame({"estimated_value": [10_000, 90_000] * 30,
        ...                   "account_industry": ["Retail", "Fintech"] * 30})
        >>> scorer = OpportunityScorer().fit(X, [0, 1] * 30)
        >>> scorer.score_record({"estimated_value": 80_000, "account_industry": "Fintech"}).score > 50
        True
    """

    @renamed_kwarg("as_of", "now")
    def score_opportunity(
        self,
        opportunity: Opportunity,
        /,
        *,
        now: datetime | None = None,
        account: Account | None = None,
        **options: Unpack[ScoreOptions],
    ) -> LeadScore:
        """Score an open opportunity at ``now`` (default: the current time); ``lead_id`` of the
        result holds the opportunity id, ``options`` are :meth:`~LeadScorer.score_record`'s.

        Raises:
            NotScorable: ``reason="closed"`` for a won or lost opportunity, ``"not_created_yet"``
                for one created after ``now``.
        """
        if opportunity.status is not OpportunityStatus.OPEN:
            raise NotScorable(
                f"opportunity {opportunity.id} is {opportunity.status.value}: only open "
                "opportunities are scored",
                lead_id=opportunity.id,
                reason="closed",
            )
        if opportunity.created_at > resolve_now(now):
            raise NotScorable(
                f"opportunity {opportunity.id} is created after the reference time",
                lead_id=opportunity.id,
                reason="not_created_yet",
            )
        return self.score_record(
            opportunity_features(opportunity, account=account), lead_id=opportunity.id, **options
        )

    def score_opportunities(
        self, opportunities: Sequence[Opportunity], /, *, source: CrmSource
    ) -> pd.DataFrame:
        """Batch scores (probability, score, grade) of open opportunities, indexed by id."""
        open_opps = [o for o in opportunities if o.status is OpportunityStatus.OPEN]
        return self.score_table(opportunities_frame(open_opps, source=source))
