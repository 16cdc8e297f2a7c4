"""What every Spark job of leadqual shares: errors, input checks, the versions check, and
running a batch function so that a failing row is kept with its error instead of lost."""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

import pandas as pd

from leadqual.errors import ConfigurationError, ValidationFailed

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType

__all__ = [
    "ERROR_COLUMN",
    "ExecutorVersionMismatch",
    "Fitted",
    "SchemaMismatch",
    "check_columns",
    "check_executor_versions",
    "library_versions",
    "plain",
    "rows_or_errors",
]

ERROR_COLUMN = "error"
"""Every output table has this column: ``None``, or why the row could not be processed."""

_LIBRARIES = ("leadqual", "scikit-learn", "numpy", "pandas", "scipy", "pyarrow", "rapidfuzz")
"""The libraries whose versions decide how a fitted object behaves once unpickled."""


class SchemaMismatch(ValidationFailed):
    """The Spark DataFrame does not have the columns (or column types) the job reads.

    Raised on the driver, before any job runs. ``problems`` lists one sentence per column.
    """

    def __init__(self, message: str, /, *, problems: Sequence[str], field: str | None = None):
        super().__init__(message, field=field)
        self.problems = tuple(problems)


class ExecutorVersionMismatch(ConfigurationError):
    """The executors run other versions of the libraries a fitted object was made with.

    A scikit-learn model unpickled by another minor version may load and still score
    differently, so the job is refused before it runs. ``differences`` maps each library to
    ``(driver version, executor versions)``.
    """

    def __init__(self, message: str, /, *, differences: Mapping[str, tuple[str, tuple[str, ...]]]):
        super().__init__(message)
        self.differences = dict(differences)


def library_versions() -> dict[str, str]:
    """The installed versions of the libraries fitted objects depend on, plus Python's."""
    out: dict[str, str] = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def _minor(text: str) -> str:
    return ".".join(text.split(".")[:2])


def compare_versions(
    driver: Mapping[str, str], executors: Iterable[Mapping[str, str]]
) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Libraries whose minor version differs between ``driver`` and any executor (patch
    releases may differ: they do not change a pickled model's format or results)."""
    seen: dict[str, set[str]] = {}
    for versions in executors:
        for name, v in versions.items():
            seen.setdefault(name, set()).add(v)
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for name, mine in driver.items():
        theirs = seen.get(name, set())
        if any(_minor(v) != _minor(mine) for v in theirs):
            out[name] = (mine, tuple(sorted(theirs)))
    return out


def _raise_mismatch(differences: Mapping[str, tuple[str, tuple[str, ...]]], what: str) -> None:
    if not differences:
        return
    parts = "; ".join(
        f"{name} {mine} on the driver, {', '.join(theirs)} on the executors"
        for name, (mine, theirs) in sorted(differences.items())
    )
    raise ExecutorVersionMismatch(
        f"{what} was made with other library versions than the executors have: {parts}. "
        "Install the same versions on the cluster (pin them in the cluster's library list or "
        "the job's environment), or refit the object where the job runs.",
        differences=differences,
    )


def check_executor_versions(spark: SparkSession, versions: Mapping[str, str], /) -> None:
    """Refuse to run when the executors' library versions differ from ``versions`` (the
    fitted object's, taken on the driver): one tiny task per default-parallelism slot asks.

    Raises:
        ExecutorVersionMismatch: a library's minor version differs.
    """
    sc = spark.sparkContext
    slots = max(1, int(sc.defaultParallelism))
    found = sc.parallelize(range(slots), slots).map(lambda _: library_versions()).collect()
    _raise_mismatch(compare_versions(versions, found), "the fitted object")


@dataclass(frozen=True)
class Fitted:
    """A fitted object with the library versions it was made with, as sent to the executors
    (broadcast once per job); each executor checks the versions again before using it."""

    obj: Any
    versions: Mapping[str, str] = field(default_factory=library_versions)

    def checked(self) -> Any:
        """The object, after checking this process's versions against those it was made with.

        Raises:
            ExecutorVersionMismatch: a library's minor version differs.
        """
        _raise_mismatch(compare_versions(self.versions, [library_versions()]), "the fitted object")
        return self.obj


# -- input schema -----------------------------------------------------------------------------


def _type_name(dtype: DataType) -> str:
    return str(dtype.simpleString())


def check_columns(
    df: DataFrame,
    required: Mapping[str, Callable[[DataType], bool] | None],
    /,
    *,
    optional: Mapping[str, Callable[[DataType], bool] | None] | None = None,
    what: str,
) -> None:
    """Check, on the driver, that ``df`` has every ``required`` column and that each column
    present (required or ``optional``) has an accepted type (``None``: any type).

    Raises:
        SchemaMismatch: one or more columns missing or of a type that cannot be read; every
            problem is listed, with the columns the frame has.
    """
    fields = {f.name: f.dataType for f in df.schema.fields}
    problems: list[str] = []
    for name, accepts in required.items():
        if name not in fields:
            problems.append(f"column {name!r} is missing")
        elif accepts is not None and not accepts(fields[name]):
            problems.append(
                f"column {name!r} is {_type_name(fields[name])}, which {what} cannot read"
            )
    for name, accepts in (optional or {}).items():
        if name in fields and accepts is not None and not accepts(fields[name]):
            problems.append(
                f"column {name!r} is {_type_name(fields[name])}, which {what} cannot read"
            )
    if problems:
        have = ", ".join(f"{n} {_type_name(t)}" for n, t in fields.items())
        raise SchemaMismatch(
            f"the DataFrame does not match what {what} reads: {'; '.join(problems)}. "
            f"Its columns are: {have}. Rename or cast the columns (df.withColumnRenamed, "
            "df.withColumn(name, col(name).cast(...))) before the call.",
            problems=problems,
            field=next(iter(required), None),
        )


def is_text(dtype: DataType) -> bool:
    """A string column."""
    return _type_name(dtype) == "string"


def is_number(dtype: DataType) -> bool:
    """A numeric column (integer, floating or decimal)."""
    name = _type_name(dtype)
    return name in ("tinyint", "smallint", "int", "bigint", "float", "double") or name.startswith(
        "decimal"
    )


def is_id(dtype: DataType) -> bool:
    """An id column: text or a whole number."""
    return _type_name(dtype) in ("string", "tinyint", "smallint", "int", "bigint")


def is_text_or_texts(dtype: DataType) -> bool:
    """A string column or an array of strings (several phones, several emails)."""
    return _type_name(dtype) in ("string", "array<string>")


def is_time(dtype: DataType) -> bool:
    """A timestamp or date column, or text holding ISO timestamps."""
    return _type_name(dtype) in ("timestamp", "timestamp_ntz", "date", "string")


# -- rows that fail ---------------------------------------------------------------------------


def _reason(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}"
    return text if len(text) <= 500 else text[:497] + "..."


def rows_or_errors(
    batch: pd.DataFrame,
    run: Callable[[pd.DataFrame], pd.DataFrame],
    empty_row: Mapping[str, Any],
) -> pd.DataFrame:
    """``run(batch)``; when it raises, the batch is split in halves until the rows that fail
    are alone, so each failing row comes back as ``empty_row`` with its reason in
    :data:`ERROR_COLUMN` and the other rows with their results. ``run`` returns one row per
    input row, in order, including an ``error`` column."""
    try:
        return run(batch)
    except Exception as err:
        if len(batch) == 1:
            row = dict(empty_row)
            row[ERROR_COLUMN] = _reason(err)
            return pd.DataFrame([row], columns=list(empty_row), index=batch.index)
    half = len(batch) // 2
    return pd.concat(
        [
            rows_or_errors(batch.iloc[:half], run, empty_row),
            rows_or_errors(batch.iloc[half:], run, empty_row),
        ]
    )


def map_batches(
    batches: Iterator[pd.DataFrame], fn: Callable[[pd.DataFrame], pd.DataFrame]
) -> Iterator[pd.DataFrame]:
    """``fn`` over each non-empty Arrow batch of a partition."""
    for batch in batches:
        if len(batch):
            yield plain(fn(batch.reset_index(drop=True)))


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text columns as Python objects: pandas 3's Arrow-backed strings reach
    Spark's Arrow writer as chunked arrays, which it cannot take."""
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.StringDtype) or str(frame[name].dtype) == "str":
            frame[name] = frame[name].astype(object)
    return frame.reset_index(drop=True)


def ddl(fields: Sequence[tuple[str, str]]) -> str:
    """A declared Spark schema (DDL) from ``(name, type)`` pairs: output schemas are never
    inferred."""
    return ", ".join(f"`{name.replace('`', '``')}` {kind}" for name, kind in fields)


def column_type(df: DataFrame, name: str, /) -> str:
    """The DDL type of one column of ``df``."""
    return str(df.schema[name].dataType.simpleString())
