"""Fitted components over a Spark DataFrame: scores, ICP fit and email verdicts per row.

Each function checks the DataFrame's columns on the driver, sends what the executors need once
(a broadcast), and runs the component's own batch API (``score_frame``, ``explain``,
``match_frame``, ``validate_frame``) on each Arrow batch through ``mapInPandas``, with the
output schema declared. A row that fails is returned with its reason in ``error``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from leadqual.config import AgentConfig
from leadqual.email import EmailValidator, validate_frame
from leadqual.errors import ConfigurationError
from leadqual.icp import IcpMatcher, IcpProfile
from leadqual.scoring import LeadScorer
from leadqual.spark._common import (
    ERROR_COLUMN,
    Fitted,
    SchemaMismatch,
    check_columns,
    check_executor_versions,
    column_type,
    ddl,
    is_id,
    is_text,
    map_batches,
    rows_or_errors,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["FACTOR_TYPE", "match_icp", "score_leads", "validate_emails"]

FACTOR_TYPE = "array<struct<column:string,effect:double,points:double>>"
"""Spark type of ``factors_up`` / ``factors_down``: the attributes moving a score most, each
with its effect (log-odds against the typical value) and points (0-100 scale), strongest first,
as :meth:`LeadScorer.score_record <leadqual.scoring.LeadScorer.score_record>` lists them."""

EMAIL_FIELDS = (
    ("normalized", "string"),
    ("is_valid", "boolean"),
    ("status", "string"),
    ("type", "string"),
    ("reasons", "string"),
    ("suggestion", "string"),
    ("is_disposable", "boolean"),
    ("is_role_account", "boolean"),
    ("is_free_provider", "boolean"),
    ("is_privacy_relay", "boolean"),
)
"""The verdict columns of :func:`~leadqual.email.validate_frame`, with their Spark types."""


# -- scoring ----------------------------------------------------------------------------------


def _factors(
    effects: np.ndarray[Any, Any], logit: float, columns: list[str], top: int, sign: int
) -> list[dict[str, Any]]:
    order = np.argsort(-np.abs(effects), kind="stable")
    out: list[dict[str, Any]] = []
    p = 1.0 / (1.0 + math.exp(-logit))
    for j in order:
        eff = float(effects[j])
        if abs(eff) < 1e-9 or (eff > 0) != (sign > 0):
            continue
        p_typical = 1.0 / (1.0 + math.exp(-(logit - eff)))
        out.append(
            {
                "column": columns[j],
                "effect": round(eff, 4),
                "points": round(100 * (p - p_typical), 1),
            }
        )
        if len(out) == top:
            break
    return out


def _score_batch(fitted: Fitted, id_column: str, top: int, batch: pd.DataFrame) -> pd.DataFrame:
    scorer: LeadScorer = fitted.checked()
    X = batch.reindex(columns=list(scorer.featurizer_.input_columns_))
    scored = scorer.score_frame(X)
    out = pd.DataFrame(
        {
            id_column: batch[id_column].to_numpy(),
            "probability": scored["probability"].to_numpy(dtype=float),
            "score": scored["score"].to_numpy(dtype=np.int64),
            "grade": scored["grade"].astype(object).to_numpy(),
            "extrapolated": scored["extrapolated"].to_numpy(dtype=bool),
        }
    )
    if top > 0:
        effects = scorer.explain(X).to_numpy(dtype=float)
        columns = [str(c) for c in scorer.featurizer_.block_columns_]
        p = np.clip(out["probability"].to_numpy(dtype=float), 1e-300, 1 - 1e-16)
        logits = np.log(p) - np.log1p(-p)
        for name, sign in (("factors_up", +1), ("factors_down", -1)):
            out[name] = pd.Series(
                [
                    _factors(effects[i], float(logits[i]), columns, top, sign)
                    for i in range(len(out))
                ],
                index=out.index,
                dtype=object,
            )
    out[ERROR_COLUMN] = None
    return out


def score_leads(
    df: DataFrame,
    scorer: LeadScorer,
    /,
    *,
    id_column: str = "id",
    top_factors: int = 3,
    allow_missing: bool = False,
    check_versions: bool = True,
) -> DataFrame:
    """Score every row of ``df`` with a fitted :class:`~leadqual.LeadScorer`.

    The columns the scorer was trained on are read by name (others are ignored). The result has
    one row per input row: ``id_column``, ``probability``, ``score`` (0-100), ``grade``,
    ``extrapolated``, ``factors_up`` and ``factors_down`` (:data:`FACTOR_TYPE`, ``top_factors``
    each; none with ``top_factors=0``) and ``error`` (why a row could not be scored; its score
    is then null). Scores equal :meth:`LeadScorer.score_frame
    <leadqual.scoring.LeadScorer.score_frame>` on the same rows.

    Args:
        df: the leads.
        scorer: a fitted scorer; pickled once and broadcast.
        id_column: the column copied into the result to join it back.
        top_factors: factors listed each way per lead.
        allow_missing: score with training columns absent from ``df`` (read as missing values)
            instead of refusing the job.
        check_versions: ask the executors for their library versions first.

    Raises:
        NotFittedError: the scorer is not fitted.
        SchemaMismatch: ``id_column`` is missing, or training columns are (unless
            ``allow_missing``).
        ExecutorVersionMismatch: the executors run other library versions than the driver.
    """
    if not isinstance(scorer, LeadScorer):
        raise ConfigurationError(
            f"score_leads needs a fitted LeadScorer, got {type(scorer).__name__}"
        )
    scorer.decisions  # noqa: B018 - raises NotFittedError before any job
    columns = [str(c) for c in scorer.featurizer_.input_columns_]
    required: dict[str, Any] = {id_column: is_id}
    if not allow_missing:
        required.update(dict.fromkeys(columns))
    check_columns(df, required, what="the scorer")
    fitted = Fitted(scorer)
    spark = df.sparkSession
    if check_versions:
        check_executor_versions(spark, fitted.versions)
    shared = spark.sparkContext.broadcast(fitted)
    top = max(0, int(top_factors))
    fields = [
        (id_column, column_type(df, id_column)),
        ("probability", "double"),
        ("score", "int"),
        ("grade", "string"),
        ("extrapolated", "boolean"),
    ]
    if top:
        fields += [("factors_up", FACTOR_TYPE), ("factors_down", FACTOR_TYPE)]
    fields.append((ERROR_COLUMN, "string"))
    wanted = [id_column, *(c for c in columns if c in df.columns and c != id_column)]

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        fitted_here = shared.value
        fn = partial(_score_batch, fitted_here, id_column, top)

        def safe(batch: pd.DataFrame) -> pd.DataFrame:
            empty = {name: None for name, _ in fields}
            out = rows_or_errors(batch, fn, empty)
            out[id_column] = batch[id_column].to_numpy()
            return out

        return map_batches(batches, safe)

    return df.select(*[_col(c) for c in wanted]).mapInPandas(run, ddl(fields))


def _col(name: str) -> Any:
    from pyspark.sql.functions import col

    return col(f"`{name.replace('`', '``')}`")


# -- ICP --------------------------------------------------------------------------------------


def _matcher_recipe(
    icp: IcpProfile | AgentConfig | Callable[[], IcpMatcher],
) -> Callable[[], IcpMatcher]:
    if isinstance(icp, AgentConfig):
        if icp.icp is None:
            raise ConfigurationError(
                "the configuration has no ICP: add an `icp:` section with its characteristics"
            )
        return partial(IcpMatcher, icp.icp)
    if isinstance(icp, IcpProfile):
        return partial(IcpMatcher, icp)
    if isinstance(icp, IcpMatcher):
        raise ConfigurationError(
            "match_icp needs the IcpProfile (or a function that builds the matcher), not an "
            "IcpMatcher: a matcher holds caches that are built where it runs, once per "
            "partition; pass matcher.profile, or functools.partial(IcpMatcher, profile, ...) "
            "for a custom taxonomy or matchers"
        )
    if callable(icp):
        return icp
    raise ConfigurationError(
        f"match_icp needs an IcpProfile, an AgentConfig or a matcher factory, got {type(icp).__name__}"
    )


def _icp_batch(
    matcher: IcpMatcher, id_column: str, reasons: bool, batch: pd.DataFrame
) -> pd.DataFrame:
    found = matcher.match_frame(batch, reasons=reasons)
    names = [c.name for c in matcher.profile.characteristics]
    status = {n: found[f"{n}: status"].astype(str).tolist() for n in names}
    out = pd.DataFrame(
        {
            id_column: batch[id_column].to_numpy(),
            "icp_score": found["icp_score"].to_numpy(dtype=float),
            "icp_tier": found["icp_tier"].astype(str).to_numpy(),
            "icp_coverage": found["icp_coverage"].to_numpy(dtype=float),
            "icp_status": [{n: status[n][i] for n in names} for i in range(len(batch))],
        }
    )
    if reasons:
        why = {n: found[f"{n}: reason"].tolist() for n in names}
        out["icp_reasons"] = pd.Series(
            [
                {n: (None if why[n][i] is None else str(why[n][i])) for n in names}
                for i in range(len(batch))
            ],
            index=out.index,
            dtype=object,
        )
    out[ERROR_COLUMN] = None
    return out


def icp_fields(id_column: str, id_type: str, *, reasons: bool) -> list[tuple[str, str]]:
    """The declared output columns of :func:`match_icp`."""
    fields = [
        (id_column, id_type),
        ("icp_score", "double"),
        ("icp_tier", "string"),
        ("icp_coverage", "double"),
        ("icp_status", "map<string,string>"),
    ]
    if reasons:
        fields.append(("icp_reasons", "map<string,string>"))
    fields.append((ERROR_COLUMN, "string"))
    return fields


def check_icp_columns(df: DataFrame, profile: IcpProfile, id_column: str) -> None:
    """Every characteristic has at least one of its columns in ``df`` (checked on the driver).

    Raises:
        SchemaMismatch: a characteristic has none of its columns, or the id column is missing.
    """
    check_columns(df, {id_column: is_id}, what="the ICP matcher")
    problems = [
        f"characteristic {c.name!r} has none of its columns ({', '.join(c.fields)})"
        for c in profile.characteristics
        if not any(p in df.columns for p in c.fields)
    ]
    if problems:
        raise SchemaMismatch(
            "the DataFrame does not match the ICP profile: "
            + "; ".join(problems)
            + ". Columns are named by field path (account.industry, lead.employee_count); "
            "rename them, or map the profile's fields to your columns.",
            problems=problems,
            field=profile.characteristics[0].fields[0] if profile.characteristics else None,
        )


def match_icp(
    df: DataFrame,
    icp: IcpProfile | AgentConfig | Callable[[], IcpMatcher],
    /,
    *,
    id_column: str = "lead_id",
    reasons: bool = False,
) -> DataFrame:
    """ICP fit for every row of ``df``, with :meth:`IcpMatcher.match_frame
    <leadqual.icp.IcpMatcher.match_frame>` on each batch.

    Columns of ``df`` are named by field path, as for ``match_frame``. The result: ``id_column``,
    ``icp_score``, ``icp_tier``, ``icp_coverage``, ``icp_status`` (characteristic to
    ``matched`` / ``partial`` / ``not_matched`` / ``unknown``), ``icp_reasons`` (with
    ``reasons``) and ``error``.

    Args:
        df: the leads.
        icp: the profile (or a configuration holding one), or a picklable function that builds
            the matcher (for a custom taxonomy); the matcher is built once per partition.
        id_column: copied into the result.
        reasons: add each characteristic's reason.

    Raises:
        SchemaMismatch: a characteristic has none of its columns.
    """
    recipe = _matcher_recipe(icp)
    probe = recipe()
    check_icp_columns(df, probe.profile, id_column)
    fields = icp_fields(id_column, column_type(df, id_column), reasons=reasons)
    wanted = [id_column, *(c for c in probe.columns() if c in df.columns and c != id_column)]
    shared = df.sparkSession.sparkContext.broadcast(Fitted(recipe))

    # dotted names (account.industry) travel under plain ones: Spark reads a dot as a field
    safe = {f"_lq_{i}": name for i, name in enumerate(wanted)}

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        matcher = shared.value.checked()()
        fn = partial(_icp_batch, matcher, id_column, reasons)
        empty = {name: None for name, _ in fields}
        return map_batches(batches, lambda b: rows_or_errors(b.rename(columns=safe), fn, empty))

    selected = df.select(*[_col(name).alias(alias) for alias, name in safe.items()])
    return selected.mapInPandas(run, ddl(fields))


# -- email ------------------------------------------------------------------------------------


def email_fields(prefix: str) -> list[tuple[str, str]]:
    """The declared verdict columns of :func:`validate_emails`."""
    return [(f"{prefix}{name}", kind) for name, kind in EMAIL_FIELDS]


def validator_recipe(
    validator: Callable[[], EmailValidator] | None,
) -> Callable[[], EmailValidator]:
    """What builds the validator on each executor (syntax and type only when ``None``)."""
    if validator is None:
        return partial(EmailValidator, check_deliverability=False)
    if isinstance(validator, EmailValidator):
        raise ConfigurationError(
            "validate_emails needs a function that builds the validator, not an EmailValidator: "
            "a validator holds DNS state and locks that belong to the process it runs in. "
            "Pass e.g. functools.partial(EmailValidator, check_deliverability=True, timeout=3); "
            "it is built once per partition, so each partition keeps its own DNS cache"
        )
    if not callable(validator):
        raise ConfigurationError(
            f"validator must be a function returning an EmailValidator, got {type(validator).__name__}"
        )
    return validator


class PartitionEmailCache:
    """The verdicts of one partition, by address: each distinct address is checked once per
    partition (and each domain looked up once, by the validator's own DNS cache)."""

    def __init__(self, validator: EmailValidator, column: str, prefix: str) -> None:
        self.validator = validator
        self.column = column
        self.prefix = prefix
        self.names = [name for name, _ in email_fields(prefix)]
        self.known: dict[Any, tuple[Any, ...]] = {}

    def verdicts(self, batch: pd.DataFrame) -> pd.DataFrame:
        """The verdict columns of ``batch[column]``, on the batch's index."""
        values = batch[self.column].tolist()
        todo = list(dict.fromkeys(v for v in values if _hashable(v) and v not in self.known))
        if todo:
            fresh = validate_frame(
                self.validator,
                pd.DataFrame({self.column: todo}),
                column=self.column,
                prefix=self.prefix,
            )
            for v, row in zip(todo, fresh[self.names].itertuples(index=False), strict=True):
                self.known[v] = tuple(row)
        rows = [self.known[v] if _hashable(v) else self._one(v) for v in values]
        return pd.DataFrame(rows, columns=self.names, index=batch.index)

    def _one(self, value: Any) -> tuple[Any, ...]:
        frame = pd.DataFrame({self.column: [value]})
        return tuple(
            validate_frame(self.validator, frame, column=self.column, prefix=self.prefix)[
                self.names
            ].iloc[0]
        )


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def validate_emails(
    df: DataFrame,
    /,
    validator: Callable[[], EmailValidator] | None = None,
    *,
    column: str = "email",
    id_column: str = "lead_id",
    prefix: str | None = None,
) -> DataFrame:
    """Email verdicts for ``df[column]``, as :func:`~leadqual.email.validate_frame` gives them.

    The result: ``id_column``, the verdict columns (``<column>_normalized``, ``_is_valid``,
    ``_status``, ``_type``, ``_reasons``, ``_suggestion``, ``_is_disposable``,
    ``_is_role_account``, ``_is_free_provider``, ``_is_privacy_relay``) and ``error``.

    Args:
        df: the leads.
        validator: a picklable function building the validator once per partition (default:
            syntax and type only, no DNS). With deliverability, each partition keeps its own
            cache: an address is checked, and a domain looked up, once per partition.
        column: the column holding addresses.
        id_column: copied into the result.
        prefix: prefix of the verdict columns (default ``"<column>_"``).

    Raises:
        SchemaMismatch: ``column`` is missing or not text.
        ConfigurationError: ``validator`` is an EmailValidator instance, not a factory.
    """
    recipe = validator_recipe(validator)
    check_columns(df, {id_column: is_id, column: is_text}, what="the email validator")
    pre = f"{column}_" if prefix is None else prefix
    fields = [(id_column, column_type(df, id_column)), *email_fields(pre), (ERROR_COLUMN, "string")]
    shared = df.sparkSession.sparkContext.broadcast(Fitted(recipe))

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        cache = PartitionEmailCache(shared.value.checked()(), column, pre)

        def one(batch: pd.DataFrame) -> pd.DataFrame:
            out = cache.verdicts(batch)
            out.insert(0, id_column, batch[id_column].to_numpy())
            out[ERROR_COLUMN] = None
            return out

        empty = {name: None for name, _ in fields}
        return map_batches(batches, lambda b: rows_or_errors(b, one, empty))

    cols = [id_column] if id_column == column else [id_column, column]
    return df.select(*[_col(c) for c in cols]).mapInPandas(run, ddl(fields))
