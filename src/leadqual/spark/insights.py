"""The agent's batch path as one Spark job: email check, ICP fit, hand-raiser segment, rating and
predictive score per lead, written as a table of insights.

Each lead goes through the same stages, in the same order and with the same components as
:class:`~leadqual.QualificationAgent` runs them for a lead without related records (research,
duplicates and drafts need the CRM and the network, and stay with the agent). As in the agent, a
stage that fails is recorded (in ``error``) and the others go on.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from leadqual.config import AgentConfig
from leadqual.email import EmailValidator
from leadqual.errors import ConfigurationError, NotScorable
from leadqual.icp import IcpMatcher
from leadqual.models import Lead, LeadContext
from leadqual.prioritize import HandraiserEvaluator, rate_lead
from leadqual.scoring import LeadScorer
from leadqual.scoring.training import resolve_now
from leadqual.spark._common import (
    ERROR_COLUMN,
    Fitted,
    SchemaMismatch,
    check_columns,
    check_executor_versions,
    ddl,
    is_id,
    map_batches,
)
from leadqual.spark.apply import validator_recipe

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import DataFrame

__all__ = ["INSIGHT_FIELDS", "qualify_leads", "write_insights"]

INSIGHT_FIELDS: tuple[tuple[str, str], ...] = (
    ("lead_id", "string"),
    ("email_status", "string"),
    ("email_type", "string"),
    ("email_is_valid", "boolean"),
    ("email_reasons", "string"),
    ("icp_score", "double"),
    ("icp_tier", "string"),
    ("is_handraiser", "boolean"),
    ("handraiser_segment", "string"),
    ("handraiser_reason", "string"),
    ("rating", "string"),
    ("rating_points", "int"),
    ("rating_summary", "string"),
    ("score", "int"),
    ("grade", "string"),
    ("not_scored", "string"),
    ("processed_at", "timestamp"),
    (ERROR_COLUMN, "string"),
)
"""The insight table's columns and Spark types (declared, never inferred)."""

_LEAD_FIELDS = frozenset(Lead.model_fields)


@dataclass(frozen=True)
class _Stages:
    """What the executors build the stages from (each built once per partition)."""

    config: AgentConfig
    validator: Callable[[], EmailValidator]
    scorer: LeadScorer | None
    now: datetime


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return value is pd.NaT


def _lead(row: Mapping[str, Any]) -> Lead:
    data: dict[str, Any] = {}
    for name, value in row.items():
        if name not in _LEAD_FIELDS:
            continue
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if _missing(value):
            continue
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        if name == "phones" and isinstance(value, list):
            value = [{"number": v} if isinstance(v, str) else v for v in value]
        if isinstance(value, np.generic):
            value = value.item()
        data[name] = value
    return Lead.model_validate(data)


class _Runner:
    def __init__(self, stages: _Stages) -> None:
        self.now = stages.now
        config = stages.config
        self.validator = stages.validator()
        self.matcher = IcpMatcher(config.icp) if config.icp is not None else None
        self.evaluator = HandraiserEvaluator.from_config(config)
        self.scorer = stages.scorer

    def one(self, row: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = dict.fromkeys(name for name, _ in INSIGHT_FIELDS)
        out["lead_id"] = None if _missing(row.get("id")) else str(row.get("id"))
        out["processed_at"] = self.now
        errors: list[str] = []
        try:
            lead = _lead(row)
        except Exception as err:
            out[ERROR_COLUMN] = f"lead: {type(err).__name__}: {err}"[:500]
            return out
        context = LeadContext(lead=lead)
        now = self.now

        def stage(name: str, fn: Callable[[], None]) -> None:
            try:
                fn()
            except Exception as err:
                errors.append(f"{name}: {type(err).__name__}: {err}"[:300])

        found: dict[str, Any] = {}

        def email() -> None:
            if not lead.email:
                return
            websites = [lead.website] if lead.website else []
            check = self.validator.validate(
                lead.email, company_websites=websites, company_name=lead.company_name
            )
            out.update(
                email_status=check.status,
                email_type=check.email_type,
                email_is_valid=check.is_valid,
                email_reasons=";".join(check.reason_codes),
            )

        def icp() -> None:
            if self.matcher is None:
                return
            fit = self.matcher.match(context)
            found["fit"] = fit
            out.update(icp_score=float(fit.score), icp_tier=str(fit.tier))

        def handraiser() -> None:
            result = self.evaluator.evaluate(context, now=now)
            found["handraiser"] = result
            out.update(
                is_handraiser=result.is_handraiser,
                handraiser_segment=result.segment,
                handraiser_reason=result.reason,
            )

        def rating() -> None:
            r = rate_lead(
                context, now=now, fit=found.get("fit"), handraiser=found.get("handraiser")
            )
            out.update(rating=str(r.rating), rating_points=r.points, rating_summary=r.summary())

        def score() -> None:
            if self.scorer is None:
                return
            try:
                s = self.scorer.score_lead(lead, now=now, context=context)
            except NotScorable as err:
                out["not_scored"] = err.reason
                return
            out.update(score=s.score, grade=s.grade)

        for name, fn in (
            ("email", email),
            ("icp", icp),
            ("handraiser", handraiser),
            ("rating", rating),
            ("score", score),
        ):
            stage(name, fn)
        out[ERROR_COLUMN] = "; ".join(errors) or None
        return out


def qualify_leads(
    df: DataFrame,
    config: AgentConfig,
    /,
    *,
    scorer: LeadScorer | None = None,
    validator: Callable[[], EmailValidator] | None = None,
    now: datetime | None = None,
    check_versions: bool = True,
) -> DataFrame:
    """One insight row per lead of ``df``: email, ICP fit, hand-raiser, rating and score.

    ``df`` has one row per lead, its columns named as :class:`~leadqual.models.Lead`'s fields
    (``id``, ``created_at`` required; ``email``, ``company_name``, ``industry``,
    ``employee_count``, ``lead_source``, ``campaign``, ``job_title``, ``phones`` as an array of
    strings, ``address`` as a struct ...); other columns are ignored. The result has
    :data:`INSIGHT_FIELDS`; a lead that cannot be read, or a stage that fails, is in it with
    the reason in ``error``.

    Args:
        df: the leads.
        config: the agent's configuration (ICP, hand-raiser segments).
        scorer: a fitted scorer for the ``score`` stage (skipped without one), broadcast once.
        validator: a picklable function building the email validator once per partition
            (default: syntax and type only, no DNS).
        now: the time the leads are rated and scored at (default: the current time), the same
            for every row.
        check_versions: ask the executors for their library versions first.

    Raises:
        SchemaMismatch: ``id`` or ``created_at`` is missing, or no column is a lead field.
        ConfigurationError: ``config`` is not an AgentConfig.
        ExecutorVersionMismatch: the executors run other library versions than the driver.
    """
    if not isinstance(config, AgentConfig):
        raise ConfigurationError(f"qualify_leads needs an AgentConfig, got {type(config).__name__}")
    if scorer is not None:
        scorer.decisions  # noqa: B018 - NotFittedError before the job
    check_columns(df, {"id": is_id, "created_at": None}, what="the batch job")
    used = [c for c in df.columns if c in _LEAD_FIELDS]
    stray = [c for c in df.columns if c not in _LEAD_FIELDS]
    if len(used) <= 2 and stray:
        raise SchemaMismatch(
            f"no column besides id and created_at is a Lead field (got {stray[:8]}): name the "
            "columns as the Lead model does (email, company_name, industry, ...)",
            problems=[f"column {c!r} is not a Lead field" for c in stray],
            field=stray[0],
        )
    stages = _Stages(
        config=config,
        validator=validator_recipe(validator),
        scorer=scorer,
        now=resolve_now(now),
    )
    fitted = Fitted(stages)
    spark = df.sparkSession
    if check_versions:
        check_executor_versions(spark, fitted.versions)
    shared = spark.sparkContext.broadcast(fitted)
    names = [name for name, _ in INSIGHT_FIELDS]

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        runner = _Runner(shared.value.checked())

        def one_batch(batch: pd.DataFrame) -> pd.DataFrame:
            rows = [runner.one({str(k): v for k, v in r.items()}) for r in batch.to_dict("records")]
            return pd.DataFrame(rows, columns=names)

        return map_batches(batches, one_batch)

    return df.select(*used).mapInPandas(run, ddl(INSIGHT_FIELDS))


def write_insights(
    insights: DataFrame, path: str, /, *, table_format: str = "parquet", mode: str = "overwrite"
) -> None:
    """Write the insight table (``table_format``: ``"parquet"``, or ``"delta"`` where Delta Lake is
    installed, as on Databricks and Fabric).

    Raises:
        ConfigurationError: another format.
    """
    if table_format not in ("parquet", "delta"):
        raise ConfigurationError(f"table_format must be 'parquet' or 'delta', not {table_format!r}")
    insights.write.format(table_format).mode(mode).save(path)
