"""Train, evaluate and publish scorers straight from a CRM source.

Example:
    >>> from leadqual.sources import load_sample_data, MemorySource
    >>> data = load_sample_data()
    >>> trained = train_from_crm(MemorySource.from_snapshot(data.crm), now=data.as_of, months=24)
    >>> trained.report.rows == trained.report.qualified + trained.report.disqualified
    True
"""

from __future__ import annotations

import logging
from datetime import datetime

from pydantic import ConfigDict
from sklearn.base import clone

from leadqual._base import LeadqualModel
from leadqual._compat import renamed_kwarg
from leadqual.models import LeadStatus
from leadqual.scoring.records import leads_frame
from leadqual.scoring.report import ModelReport, evaluate
from leadqual.scoring.scorer import LeadScorer
from leadqual.scoring.training import (
    MIN_PER_CLASS,
    LeakageFinding,
    TrainingSet,
    build_training_set,
    find_leakage,
    resolve_now,
)
from leadqual.sources.base import CrmSource, build_context

__all__ = ["TrainedModel", "train_from_crm"]

logger = logging.getLogger(__name__)


class TrainedModel(LeadqualModel):
    """A scorer trained from the CRM, with the evidence to decide whether to publish it."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    scorer: LeadScorer
    report: ModelReport
    training: TrainingSet
    leakage: tuple[LeakageFinding, ...] = ()
    line_of_business: str | None = None
    as_of: datetime
    """When it was trained: the end of the training window."""


@renamed_kwarg("as_of", "now")
def train_from_crm(
    source: CrmSource,
    /,
    *,
    now: datetime | None = None,
    months: int = 12,
    line_of_business: str | None = None,
    scorer: LeadScorer | None = None,
    min_per_class: int = MIN_PER_CLASS,
    with_activities: bool = False,
    leakage_check: bool = True,
) -> TrainedModel:
    """Build the training set, check it for leakage, fit and evaluate a scorer.

    Args:
        source: the CRM.
        now: the window ends here (default: the current time; use ``SampleData.as_of`` with
            the sample data).
        months: training window, 3 to 24 months of closed leads.
        line_of_business: train on this segment only.
        scorer: the scorer settings to use; default ``LeadScorer(validation="time")`` (model
            choice and calibration validated on leads closed after those trained on).
        min_per_class: qualified and disqualified leads needed (default 40 each).
        with_activities: add activity counts to the attributes.
        leakage_check: compare closed with open leads and warn (:class:`LeakageWarning`) about
            columns that look filled only after the outcome.

    Raises:
        InsufficientTrainingData: too few closed leads of an outcome (the message says how to
            widen the window).
    """
    now = resolve_now(now)
    ts = build_training_set(
        source,
        now=now,
        months=months,
        line_of_business=line_of_business,
        min_per_class=min_per_class,
        with_activities=with_activities,
    )
    findings: list[LeakageFinding] = []
    if leakage_check:
        open_leads = [
            lead
            for lead in source.leads(status=LeadStatus.OPEN)
            if line_of_business is None
            or (lead.line_of_business or "").casefold() == line_of_business.casefold()
        ]
        contexts = (
            {lead.id: build_context(source, lead.id) for lead in open_leads}
            if with_activities
            else None
        )
        X_open = leads_frame(open_leads, contexts=contexts, now=now)
        findings = find_leakage(ts.X, ts.y, X_open=X_open)
    # CRM scores are always about leads newer than the training data: validate forward in time
    model = clone(scorer) if scorer is not None else LeadScorer(validation="time")
    report = evaluate(
        model,
        ts.X,
        ts.y,
        times=list(ts.closed_at),
        line_of_business=line_of_business,
        leakage=findings,
        trained_at=now,
    )
    logger.info("trained scorer for %s: %s", line_of_business or "all leads", report.headline)
    return TrainedModel(
        scorer=model,
        report=report,
        training=ts,
        leakage=tuple(findings),
        line_of_business=line_of_business,
        as_of=now,
    )
