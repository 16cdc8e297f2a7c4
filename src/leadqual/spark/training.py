"""Training a :class:`~leadqual.LeadScorer` from a Spark DataFrame of closed leads.

The training window and the 40-per-outcome check run in Spark (a filter and one aggregation);
when there are more closed leads than the driver should hold, each outcome is sampled on the
cluster; the sample, oldest outcome first, is fitted on the driver.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from leadqual.errors import ConfigurationError, InsufficientTrainingData
from leadqual.scoring import LeadScorer
from leadqual.scoring.training import MIN_PER_CLASS, resolve_now
from leadqual.spark._common import check_columns, is_number, is_time

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["SparkTraining", "train_scorer"]

logger = logging.getLogger(__name__)

_MONTH = timedelta(days=30.4375)


@dataclass(frozen=True)
class SparkTraining:
    """A scorer trained from Spark, and what it was trained on."""

    scorer: LeadScorer
    qualified: int
    """Qualified leads closed in the window (before sampling)."""
    disqualified: int
    rows: int
    """Rows the scorer was fitted on (after sampling)."""
    start: datetime
    end: datetime


def _is_label(dtype: Any) -> bool:
    return is_number(dtype) or str(dtype.simpleString()) == "boolean"


def train_scorer(
    df: DataFrame,
    /,
    *,
    label_column: str,
    closed_column: str,
    id_column: str | None = None,
    now: datetime | None = None,
    months: int = 12,
    min_per_class: int = MIN_PER_CLASS,
    max_rows: int = 200_000,
    scorer: LeadScorer | None = None,
    seed: int = 0,
) -> SparkTraining:
    """Fit a scorer on the leads of ``df`` closed in the ``months`` before ``now``.

    ``df`` holds one row per closed lead: the attributes, the outcome (``label_column``: 1 or
    true for qualified, 0 or false for disqualified; rows without one are left out) and the
    closing time (``closed_column``, never used as an attribute: it leaks). The rows are
    ordered oldest outcome first (then by ``id_column``), as
    :func:`~leadqual.scoring.build_training_set` orders them, so ``validation="time"`` works.
    On the same rows the fit equals ``LeadScorer.fit`` on one machine.

    Args:
        df: the closed leads.
        label_column: the outcome.
        closed_column: when each lead was closed.
        id_column: breaks ties in the order, and is not an attribute.
        now: the end of the window (default: the current time).
        months: the window, 3 to 24 months.
        min_per_class: leads of each outcome needed (default 40).
        max_rows: the most rows brought to the driver; above, each outcome is sampled down to
            half of it on the cluster.
        scorer: the (unfitted) scorer to fit, with its options; default ``LeadScorer()``.
        seed: the sample's seed.

    Raises:
        SchemaMismatch: the label or closing column is missing or of the wrong type.
        InsufficientTrainingData: fewer than ``min_per_class`` leads of either outcome in the
            window; the message says how far the window would have to widen.
        ConfigurationError: a window outside 3-24 months.
    """
    from pyspark.sql import functions as sf

    if not 3 <= months <= 24:
        raise ConfigurationError(
            f"the training window must be between 3 and 24 months, not {months}"
        )
    required: dict[str, Any] = {label_column: _is_label, closed_column: is_time}
    if id_column is not None:
        required[id_column] = None
    check_columns(df, required, what="training")
    end = resolve_now(now)
    start = end - months * _MONTH
    closed = sf.col(closed_column).cast("timestamp")
    label = sf.col(label_column).cast("int")
    labelled = df.filter(sf.col(label_column).isNotNull() & closed.isNotNull())
    # one aggregation gives the counts of every window up to 24 months, for the advice
    by_age = (
        labelled.filter((closed <= sf.lit(end)) & (closed >= sf.lit(end - 24 * _MONTH)))
        .select(
            sf.ceil(
                (sf.lit(end).cast("double") - closed.cast("double")) / _MONTH.total_seconds()
            ).alias("age"),
            label.alias("y"),
        )
        .groupBy("age", "y")
        .count()
        .collect()
    )
    counts = np.zeros((26, 2), dtype=np.int64)
    for row in by_age:
        age = min(25, max(0, int(row["age"])))
        if row["y"] in (0, 1):
            counts[age, int(row["y"])] += int(row["count"])
    in_window = _window_counts(labelled, closed, label, start, end)
    q, d = in_window
    if q < min_per_class or d < min_per_class:
        raise InsufficientTrainingData(
            f"found {q} qualified and {d} disqualified leads closed between {start:%Y-%m-%d} and "
            f"{end:%Y-%m-%d}; {min_per_class} of each are needed: "
            f"{_advice(counts, months, min_per_class)}",
            qualified=q,
            disqualified=d,
            needed=min_per_class,
        )
    window = labelled.filter((closed >= sf.lit(start)) & (closed <= sf.lit(end)))
    half = max(1, max_rows // 2)
    if q + d > max_rows:
        fractions = {1: min(1.0, half / q), 0: min(1.0, half / d)}
        window = window.withColumn("_lq_y", label).sampleBy("_lq_y", fractions, seed).drop("_lq_y")
    order = [closed_column] if id_column is None else [closed_column, id_column]
    local = window.orderBy(*order).toPandas()
    y = local[label_column].astype(int).to_numpy()
    drop = [label_column, closed_column] + ([id_column] if id_column is not None else [])
    X = local.drop(columns=drop)
    model = scorer if scorer is not None else LeadScorer()
    model.fit(X, y)
    logger.info("spark training: %d qualified, %d disqualified, fitted on %d rows", q, d, len(X))
    return SparkTraining(
        scorer=model, qualified=q, disqualified=d, rows=len(X), start=start, end=end
    )


def _window_counts(
    labelled: DataFrame, closed: Any, label: Any, start: datetime, end: datetime
) -> tuple[int, int]:
    from pyspark.sql import functions as sf

    rows = (
        labelled.filter((closed >= sf.lit(start)) & (closed <= sf.lit(end)))
        .groupBy(label.alias("y"))
        .count()
        .collect()
    )
    found = {int(r["y"]): int(r["count"]) for r in rows if r["y"] is not None}
    return found.get(1, 0), found.get(0, 0)


def _advice(counts: np.ndarray[Any, Any], months: int, needed: int) -> str:
    """How far the window would have to widen, from the counts per month of age."""
    for m in range(months + 1, 25):
        q = int(counts[: m + 1, 1].sum())
        d = int(counts[: m + 1, 0].sum())
        if q >= needed and d >= needed:
            return f"widen the window to {m} months ({q} qualified, {d} disqualified)"
    return (
        "even 24 months are not enough: use ColdStartScorer, which scores from the first closed "
        "lead, until more leads are closed"
    )
