"""Training a scorer from the CRM: the training window, the 40/40 minimum, scorability and leakage.

Example:
    >>> from leadqual.sources import load_sample_data, MemorySource
    >>> data = load_sample_data()
    >>> source = MemorySource.from_snapshot(data.crm)
    >>> ts = build_training_set(source, now=data.as_of, months=24)
    >>> ts.qualified >= 40 and ts.disqualified >= 40
    True
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ConfigDict

from leadqual._base import LeadqualModel, to_utc
from leadqual._compat import renamed_kwarg
from leadqual.errors import ConfigurationError, InsufficientTrainingData, NotScorable
from leadqual.models import Lead, LeadStatus
from leadqual.scoring.records import leads_frame
from leadqual.sources.base import CrmSource, build_context

__all__ = [
    "MAX_LEAD_AGE_DAYS",
    "MIN_PER_CLASS",
    "LeakageFinding",
    "LeakageWarning",
    "TrainingSet",
    "build_training_set",
    "check_scorable",
    "closed_leads",
    "find_leakage",
]

logger = logging.getLogger(__name__)

MIN_PER_CLASS = 40
"""Closed leads of each outcome needed to train a scorer (the commercial scorers' minimum)."""
MAX_LEAD_AGE_DAYS = 730
"""Leads created longer ago than this (two years) are not scored."""
_MONTH = timedelta(days=30.4375)


class LeakageWarning(UserWarning):
    """A training column looks filled only after the outcome was known."""


class LeakageFinding(LeadqualModel):
    """A column suspected of leaking the outcome into the model."""

    model_config = ConfigDict(frozen=True)

    column: str
    reason: str
    auc: float | None = None
    """The column's ROC-AUC on its own (0.5: no signal, 1.0: predicts the outcome perfectly)."""


class TrainingSet(LeadqualModel):
    """Closed leads turned into a training table, oldest outcome first."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    X: pd.DataFrame
    y: Any
    """1 for qualified, 0 for disqualified (a numpy array aligned with ``X``)."""
    closed_at: tuple[datetime, ...]
    """When each lead was closed, for time-ordered evaluation."""
    start: datetime
    end: datetime
    line_of_business: str | None = None

    @property
    def qualified(self) -> int:
        """Qualified leads in the set."""
        return int(np.sum(self.y))

    @property
    def disqualified(self) -> int:
        """Disqualified leads in the set."""
        return len(self.y) - self.qualified


def resolve_now(now: datetime | None) -> datetime:
    """``now`` in UTC, or the current time when it is ``None`` (the package's time convention)."""
    return datetime.now(UTC) if now is None else to_utc(now)


def _window(now: datetime | None, months: int) -> tuple[datetime, datetime]:
    if not 3 <= months <= 24:
        raise ConfigurationError(
            f"the training window must be between 3 and 24 months, not {months}"
        )
    end = resolve_now(now)
    return end - months * _MONTH, end


@renamed_kwarg("as_of", "now")
def closed_leads(
    source: CrmSource,
    /,
    *,
    now: datetime | None = None,
    months: int = 12,
    line_of_business: str | None = None,
) -> list[Lead]:
    """Leads qualified or disqualified in the ``months`` before ``now`` (default: the current
    time), optionally of one line of business (compared case-insensitively)."""
    start, end = _window(now, months)
    out: list[Lead] = []
    for lead in source.leads():
        when = lead.closed_on
        if when is None or not start <= when <= end:
            continue
        if line_of_business is not None and (lead.line_of_business or "").casefold() != (
            line_of_business.casefold()
        ):
            continue
        out.append(lead)
    return out


def _counts(leads: Sequence[Lead]) -> tuple[int, int]:
    q = sum(1 for lead in leads if lead.status is LeadStatus.QUALIFIED)
    return q, len(leads) - q


def _advice(
    source: CrmSource, end: datetime, months: int, line_of_business: str | None, needed: int
) -> str:
    # the closed leads of the widest window, counted per window length, in one pass
    widest = closed_leads(source, now=end, months=24, line_of_business=line_of_business)
    for m in range(months + 1, 25):
        start = end - m * _MONTH
        q, d = _counts([lead for lead in widest if lead.closed_on and lead.closed_on >= start])
        if q >= needed and d >= needed:
            return f"widen the window to {m} months ({q} qualified, {d} disqualified)"
    if line_of_business is not None:
        everyone = closed_leads(source, now=end, months=months)
        q, d = _counts(everyone)
        if q >= needed and d >= needed:
            return (
                f"train one model for every line of business ({q} qualified, {d} disqualified "
                f"in {months} months)"
            )
    return (
        "even 24 months are not enough: use ColdStartScorer, which scores from the first closed "
        "lead, until more leads are closed"
    )


@renamed_kwarg("as_of", "now")
def build_training_set(
    source: CrmSource,
    /,
    *,
    now: datetime | None = None,
    months: int = 12,
    line_of_business: str | None = None,
    min_per_class: int = MIN_PER_CLASS,
    with_activities: bool = False,
) -> TrainingSet:
    """The closed leads of a window as a training table.

    Args:
        source: the CRM.
        now: the end of the window (default: the current time).
        months: the window length, 3 to 24 months.
        line_of_business: only leads of this segment.
        min_per_class: qualified and disqualified leads needed (default 40 each).
        with_activities: add activity counts (up to each lead's closing time).

    Raises:
        InsufficientTrainingData: fewer than ``min_per_class`` of either outcome; the message says
            how many were found and how to widen the data.
        ConfigurationError: a window outside 3-24 months.
    """
    start, end = _window(now, months)
    leads = closed_leads(source, now=end, months=months, line_of_business=line_of_business)
    q, d = _counts(leads)
    if q < min_per_class or d < min_per_class:
        seg = f" in line of business {line_of_business!r}" if line_of_business else ""
        advice = _advice(source, end, months, line_of_business, min_per_class)
        raise InsufficientTrainingData(
            f"found {q} qualified and {d} disqualified leads closed between {start:%Y-%m-%d} and "
            f"{end:%Y-%m-%d}{seg}; {min_per_class} of each are needed: {advice}",
            qualified=q,
            disqualified=d,
            needed=min_per_class,
        )
    # oldest outcome first: time-ordered validation (``LeadScorer(validation="time")``) relies on it
    leads.sort(key=lambda lead: (lead.closed_on or start, lead.id))
    contexts = (
        {lead.id: build_context(source, lead.id) for lead in leads} if with_activities else None
    )
    X = leads_frame(leads, contexts=contexts)
    y = np.array([1 if lead.status is LeadStatus.QUALIFIED else 0 for lead in leads])
    closed = tuple(lead.closed_on for lead in leads if lead.closed_on is not None)
    logger.info("training set: %d qualified, %d disqualified, %s to %s", q, d, start, end)
    return TrainingSet(
        X=X, y=y, closed_at=closed, start=start, end=end, line_of_business=line_of_business
    )


@renamed_kwarg("as_of", "now")
def check_scorable(
    lead: Lead, /, *, now: datetime | None = None, max_age_days: int = MAX_LEAD_AGE_DAYS
) -> None:
    """Raise :class:`~leadqual.errors.NotScorable` unless ``lead`` may be scored at ``now``
    (default: the current time).

    Reason codes: ``"closed"`` (only open leads are scored), ``"too_old"`` (created more than
    ``max_age_days`` before ``now``), ``"not_created_yet"`` (created after ``now``).
    """
    if not lead.is_open:
        raise NotScorable(
            f"lead {lead.id} is {lead.status.value}: only open leads are scored",
            lead_id=lead.id,
            reason="closed",
        )
    now = resolve_now(now)
    age = now - lead.created_at
    if age > timedelta(days=max_age_days):
        raise NotScorable(
            f"lead {lead.id} was created {age.days} days ago; leads older than {max_age_days} "
            "days are not scored",
            lead_id=lead.id,
            reason="too_old",
        )
    if age < timedelta(0):
        raise NotScorable(
            f"lead {lead.id} is created after the reference time {now:%Y-%m-%d %H:%M}",
            lead_id=lead.id,
            reason="not_created_yet",
        )


def _single_auc(values: pd.Series, yb: NDArray[np.int64]) -> float:
    """ROC-AUC of one column on its own, direction-free (0.5-1.0)."""
    from sklearn.metrics import roc_auc_score

    num = pd.to_numeric(values, errors="coerce") if values.dtype != bool else values.astype(float)
    if num.notna().mean() >= 0.9 and num.nunique() > 2:
        score = num.fillna(num.median()).to_numpy(dtype=np.float64)
    else:
        # out-of-fold outcome rate of the row's level (leave-one-out would leak: a row's own
        # outcome lowers its level's rate, which alone "predicts" the outcome perfectly)
        keys = values.astype(object).where(values.notna(), "(missing)").astype(str).to_numpy()
        if len(set(keys.tolist())) < 2:
            return 0.5
        folds = np.random.default_rng(0).permutation(len(yb)) % 5
        score = np.zeros(len(yb))
        prior = float(yb.mean())
        for k in range(5):
            test = folds == k
            frame = pd.DataFrame({"k": keys[~test], "y": yb[~test]})
            stats = frame.groupby("k")["y"].agg(["sum", "count"])
            rate = (stats["sum"] + prior) / (stats["count"] + 1)
            score[test] = pd.Series(keys[test]).map(rate).fillna(prior).to_numpy(dtype=np.float64)
    if np.unique(score).size < 2:
        return 0.5
    auc = float(roc_auc_score(yb, score))
    return max(auc, 1 - auc)


def find_leakage(
    X: pd.DataFrame,
    y: Any,
    /,
    *,
    X_open: pd.DataFrame | None = None,
    auc_threshold: float = 0.95,
    warn: bool = True,
) -> list[LeakageFinding]:
    """Columns that look filled only after the outcome was known.

    Two tests: a column that predicts the outcome almost perfectly on its own (single-column
    ROC-AUC at or above ``auc_threshold``; missingness counts as a value), and a column that is
    filled for most closed leads but empty for every open lead in ``X_open``.
    With ``warn=True`` each finding is also issued as a :class:`LeakageWarning`.
    """
    yb = np.asarray(y).astype(np.int64)
    findings: list[LeakageFinding] = []
    for col in X.columns:
        s = X[col]
        if s.notna().sum() == 0:
            continue
        auc = _single_auc(s, yb)
        if auc >= auc_threshold:
            findings.append(
                LeakageFinding(
                    column=str(col),
                    reason=f"predicts the outcome almost perfectly on its own (ROC-AUC {auc:.3f})",
                    auc=round(auc, 4),
                )
            )
            continue
        if X_open is not None and col in X_open.columns and len(X_open):
            filled = float(s.notna().mean())
            if filled >= 0.5 and X_open[col].isna().all():
                findings.append(
                    LeakageFinding(
                        column=str(col),
                        reason=(
                            f"filled for {filled:.0%} of closed leads but empty for all "
                            f"{len(X_open)} open leads"
                        ),
                        auc=round(auc, 4),
                    )
                )
    if warn:
        for f in findings:
            warnings.warn(
                f"column {f.column!r} may leak the outcome: {f.reason}; exclude it with "
                f"LeadScorer(exclude=[{f.column!r}]) unless it is known before the outcome",
                LeakageWarning,
                stacklevel=2,
            )
    return findings
