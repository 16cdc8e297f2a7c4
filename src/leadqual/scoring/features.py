"""Automatic feature preparation for lead scoring: :class:`LeadFeaturizer`.

Any table of lead attributes goes in (numeric, categorical, boolean, datetime and free-text columns,
with missing values); a numeric matrix comes out, with one decision per input column saying what was
kept and why. Each input column maps to a contiguous *block* of output columns, which is what the
scorer's explanations group by.

Example:
    >>> import pandas as pd
    >>> X = pd.DataFrame({"industry": ["Retail", "Fintech", None] * 20,
    ...                   "employees": [10, 250, None] * 20})
    >>> f = LeadFeaturizer(min_frequency=5).fit(X)
    >>> for d in f.decisions_:
    ...     print(d.column, d.kind, d.kept)
    industry categorical True
    employees numeric True
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ConfigDict
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from leadqual._base import LeadqualModel
from leadqual.errors import ConfigurationError, NotFittedError, ValidationFailed

__all__ = [
    "DATE_PARTS_MIN_ROWS",
    "ColumnKind",
    "ModelNotFitted",
    "FeatureDecision",
    "LeadFeaturizer",
    "as_frame",
]

ColumnKind = Literal["numeric", "categorical", "boolean", "datetime", "text", "identifier", "empty"]
"""How a column was typed."""

RARE = "(other)"
"""The level that rare and unseen categories are grouped into."""
MISSING = "(missing)"
"""The level of a missing categorical value."""

_ID_NAME = re.compile(r"(^|[_\W])(id|uuid|guid|key)$|^id[_\W]|Id$", re.IGNORECASE)
DATE_PARTS_MIN_ROWS = 2000
"""From this many training rows ``date_parts="auto"`` adds month and weekday."""


class FeatureDecision(LeadqualModel):
    """What the featurizer did with one input column, and why."""

    model_config = ConfigDict(frozen=True)

    column: str
    kind: ColumnKind
    kept: bool
    reason: str
    """Plain-language reason, e.g. ``"12 levels kept, 3 rare levels grouped"``."""
    outputs: tuple[str, ...] = ()
    """Names of the output columns made from it."""


def _invalid(field: str, message: str) -> ValidationFailed:
    """Bad training or scoring input: a :class:`~leadqual.errors.ValidationFailed` (a
    ``ValueError``, so scikit-learn's contract holds) naming ``field``, the column or ``X``/``y``."""
    return ValidationFailed(message, field=field)


_MAX_FLOAT_INT = int(np.finfo(np.float64).max)
"""The largest integer a float holds; a larger one cannot be a numeric attribute."""

_SCALAR_COLUMN_KINDS = frozenset(
    {"string", "floating", "boolean", "datetime", "datetime64", "date", "timedelta", "empty"}
)
"""``pandas.api.types.infer_dtype`` kinds that cannot hide a container or an oversized integer."""


def bad_cell(value: Any) -> str | None:
    """Why one cell cannot be a lead attribute (a container, an integer no float holds, bytes,
    text that is not Unicode), or ``None`` when it can."""
    if isinstance(value, Mapping | list | tuple | set | frozenset | np.ndarray | pd.Series):
        return f"a {type(value).__name__} (a nested value)"
    if isinstance(value, int) and abs(value) > _MAX_FLOAT_INT:
        return "an integer too large for a number"
    if isinstance(value, bytes | bytearray):
        # read as text in an unknown encoding, b"web" would be a category apart from "web"
        return f"bytes ({bytes(value)!r:.40}, decode the column to text first)"
    if isinstance(value, str) and not _is_unicode(value):
        return f"text that is not valid Unicode ({value!r:.40}: a lone surrogate)"
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refusal(column: str, row: Any, why: str) -> ValidationFailed:
    where = "in the record" if row is None else f"in row {row!r}"
    return _invalid(
        column,
        f"column {column!r} holds {why} {where}: each cell must hold one value (text, a "
        "number, a date, a flag or missing); flatten nested data into columns "
        "(pandas.json_normalize), fix the value, or leave the column out",
    )


def check_cells(df: pd.DataFrame) -> None:
    """Refuse a frame with a cell no feature can be made from, naming its column and row.

    Only object columns can hold one, and the type inference that clears most of them is in C.
    """
    for i, dtype in enumerate(df.dtypes):
        if dtype is not np.dtype(object):
            continue
        column = df.iloc[:, i]
        kind = pd.api.types.infer_dtype(column, skipna=True)
        if kind == "string":
            # one pass in C for the common case; only Python strings can hold a lone surrogate
            if _is_unicode("".join(column.dropna().tolist())):
                continue
        elif kind in _SCALAR_COLUMN_KINDS:
            continue
        for row, value in column.items():
            why = bad_cell(value)
            if why is not None:
                raise _refusal(str(df.columns[i]), row, why)


def as_frame(X: Any) -> pd.DataFrame:
    """Return ``X`` as a DataFrame with string column names (arrays get ``x0``, ``x1``, ...).

    Raises:
        ValidationFailed: ``X`` is not a table, repeats a column name, or holds a cell that is
            not one value (a dict, a list, an integer too large for a float); the error names
            the column.
    """
    if isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise _invalid(
                dupes[0],
                f"X has duplicate column names: {', '.join(dupes)}; each attribute must be one "
                "column: rename or drop the repeats (e.g. X.loc[:, ~X.columns.duplicated()])",
            )
        check_cells(X)
        if all(isinstance(c, str) for c in X.columns):
            return X
        return X.rename(columns=str)
    if isinstance(X, pd.Series):
        raise _invalid(
            "X", "Expected 2D array, got a Series: pass a DataFrame (one column per attribute)"
        )
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise _invalid("X", "sparse input is not supported: pass a DataFrame or a dense array")
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise _invalid(
            "X",
            f"Expected 2D array, got {arr.ndim}D array instead: Reshape your data either using "
            "array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) if "
            "it contains a single sample, or pass a DataFrame",
        )
    if np.iscomplexobj(arr):
        raise _invalid("X", "Complex data not supported")
    df = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    check_cells(df)
    return df


def _as_fitted_frame(X: Any, estimator: Any) -> pd.DataFrame:
    """``X`` as a frame, refused (as scikit-learn words it) unless it has as many columns as
    ``estimator`` was fitted on."""
    df = as_frame(X)
    if df.shape[1] != estimator.n_features_in_:
        raise _invalid(
            "X",
            f"X has {df.shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input.",
        )
    return df


class ModelNotFitted(NotFittedError, SklearnNotFittedError):  # type: ignore[misc]
    """Used before ``fit``: both :class:`leadqual.errors.NotFittedError` and scikit-learn's."""


def ensure_fitted(estimator: Any, attribute: str) -> None:
    """Raise :class:`ModelNotFitted`, worded as scikit-learn's, unless ``attribute`` is set."""
    try:
        check_is_fitted(estimator, attribute)
    except SklearnNotFittedError as err:
        raise ModelNotFitted(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        ) from err


def sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Log-odds to probabilities, clipped so that no exp() overflows."""
    out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(x, -35, 35)))
    return out


def _label_kind(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    if isinstance(value, bool | np.bool_ | int | np.integer | float | np.floating):
        return "number"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _check_label_types(y: Any) -> None:
    """Refuse outcomes that mix numbers and text (``[1, "no"]``): numpy would turn them all into
    text and the classes would no longer mean what the caller meant."""
    if isinstance(y, np.ndarray | pd.Series | pd.Index) and y.dtype != object:
        return
    if isinstance(y, str | bytes | Mapping) or not isinstance(y, Sequence | np.ndarray | pd.Series):
        return  # np.asarray and column_or_1d word these refusals
    kinds = {_label_kind(v) for v in y}
    kinds.discard("missing")  # refused below as "contains NaN" or an unknown label type
    if len(kinds) > 1 or not kinds <= {"number", "text"}:
        raise _invalid(
            "y",
            f"y mixes {' and '.join(sorted(kinds))} outcomes; use one kind of label for every "
            "lead: 1 (qualified) and 0 (disqualified), or two words such as 'won' and 'lost'",
        )


def binary_target(y: Any, n_rows: int) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """The two classes of ``y`` and ``y`` as 1 (the second class) or 0, checked as scikit-learn's
    classifiers check it, in words about leads."""
    if y is None:
        raise _invalid("y", "requires y to be passed, but the target y is None")
    _check_label_types(y)
    y_arr = column_or_1d(np.asarray(y), warn=True)
    if y_arr.dtype.kind in "fc" and not np.all(np.isfinite(y_arr)):
        raise _invalid("y", "Input y contains NaN or infinity: every lead needs an outcome")
    if len(y_arr) != n_rows:
        raise _invalid("y", f"X has {n_rows} rows but y has {len(y_arr)} values")
    if n_rows == 0:
        raise _invalid("y", "Found array with 0 sample(s) while a minimum of 1 is required.")
    target = type_of_target(y_arr)
    if target not in ("binary", "multiclass"):
        raise _invalid("y", f"Unknown label type: {target}; y must hold two classes, 1 and 0")
    classes = np.unique(y_arr)
    if len(classes) > 2:
        raise _invalid(
            "y",
            f"Only binary classification is supported. y has {len(classes)} classes; a lead "
            "scorer needs two: 1 (qualified) and 0 (disqualified)",
        )
    if len(classes) != 2:
        raise _invalid(
            "y",
            f"y has {len(classes)} class(es); a lead scorer needs exactly two classes: "
            "1 (qualified) and 0 (disqualified)",
        )
    return classes, (y_arr == classes[1]).astype(np.int64)


class LeadClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """What the lead classifiers share: mixed-type input, probabilities from calibrated log-odds
    (:meth:`decision_function`), and the not-fitted error. ``_fitted_attribute`` names the
    attribute ``fit`` sets."""

    _fitted_attribute = "classes_"

    def decision_function(self, X: Any) -> NDArray[np.float64]:  # pragma: no cover - abstract
        """Calibrated log-odds of qualifying."""
        raise NotImplementedError

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Probabilities of ``classes_``: column 1 is the probability of qualifying."""
        p = sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> NDArray[Any]:
        """The more likely class of each row."""
        self._ensure_fitted()
        return np.asarray(self.classes_[(self.decision_function(X) > 0).astype(int)])

    def _ensure_fitted(self) -> None:
        ensure_fitted(self, self._fitted_attribute)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.classifier_tags.multi_class = False
        return tags


# -- per-column plans: each turns a Series (batch) or one value (fast path) into numbers ----------


@dataclass
class _Plan(ABC):
    column: str
    outputs: tuple[str, ...]

    @abstractmethod
    def batch(self, s: pd.Series) -> NDArray[np.float64]:
        """Numbers for a whole column."""

    def batch_into(self, s: pd.Series, out: NDArray[np.float64]) -> None:
        """:meth:`batch` written into ``out`` (a block of the featurized matrix)."""
        out[:] = self.batch(s)

    @abstractmethod
    def one(self, value: Any, out: NDArray[np.float64], start: int) -> None:
        """Write one value's numbers into ``out`` from ``start`` (the fast path)."""

    @abstractmethod
    def typical(self) -> Any:
        """The training set's typical raw value (median or most frequent level)."""

    def candidates(self) -> list[Any]:
        """Raw values worth trying in a what-if (levels, quantiles)."""
        return []


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


MAX_MAGNITUDE = 1e100
"""The largest absolute value a numeric attribute may take. Larger ones (``1e308``) are
placeholders or unit errors, and would overflow the scaling statistics to infinity."""


def _check_magnitude(column: str, v: NDArray[np.float64]) -> None:
    """Refuse finite values beyond :data:`MAX_MAGNITUDE`, naming the column (infinities are
    read as missing, as NaN is)."""
    big = np.isfinite(v) & (np.abs(v) > MAX_MAGNITUDE)
    if big.any():
        value = float(v[np.flatnonzero(big)[0]])
        raise _invalid(
            column,
            f"column {column!r} holds {value:g}, beyond the ±{MAX_MAGNITUDE:g} a numeric attribute "
            f"may take ({int(big.sum())} such value(s)): it looks like a placeholder or a unit "
            "error; fix those values or clear them (missing values are fine)",
        )


@dataclass
class _NumericPlan(_Plan):
    median: float
    center: float
    scale: float
    log: bool
    has_missing: bool
    quantiles: tuple[float, ...] = ()

    def _prep(self, v: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.log:
            v = np.sign(v) * np.log1p(np.abs(v))
        return (v - self.center) / self.scale

    def batch(self, s: pd.Series) -> NDArray[np.float64]:
        out = np.empty((len(s), 2 if self.has_missing else 1))
        self.batch_into(s, out)
        return out

    def batch_into(self, s: pd.Series, out: NDArray[np.float64]) -> None:
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        _check_magnitude(self.column, v)
        miss = ~np.isfinite(v)
        out[:, 0] = self._prep(np.where(miss, self.median, v))
        if self.has_missing:
            out[:, 1] = miss

    def one(self, value: Any, out: NDArray[np.float64], start: int) -> None:
        miss = _is_missing(value)
        x = self.median
        if not miss:
            try:
                x = float(value)
            except (TypeError, ValueError):
                miss = True
            else:
                if not math.isfinite(x):
                    miss, x = True, self.median
                else:
                    _check_magnitude(self.column, np.asarray([x]))
        if self.log:
            x = math.copysign(math.log1p(abs(x)), x)
        out[start] = (x - self.center) / self.scale
        if self.has_missing:
            out[start + 1] = 1.0 if miss else 0.0

    def typical(self) -> Any:
        return self.median

    def candidates(self) -> list[Any]:
        return list(self.quantiles)


@dataclass
class _CategoricalPlan(_Plan):
    levels: tuple[str, ...]
    index: dict[str, int] = field(default_factory=dict)
    mode: str = MISSING

    def __post_init__(self) -> None:
        self.index = {lvl: i for i, lvl in enumerate(self.levels)}

    def _key(self, value: Any) -> str:
        if _is_missing(value):
            return MISSING
        key = str(value).strip()
        return key if key else MISSING

    def batch(self, s: pd.Series) -> NDArray[np.float64]:
        out = np.empty((len(s), len(self.levels)), dtype=np.float64)
        self.batch_into(s, out)
        return out

    def batch_into(self, s: pd.Series, out: NDArray[np.float64]) -> None:
        codes = self.codes(s)
        # one comparison per level writes each column of the block whole (the block is a
        # column-major slice: a scatter of ones would write across it)
        for j in range(out.shape[1]):
            np.equal(codes, j, out=out[:, j], casting="unsafe")

    def codes(self, s: pd.Series) -> NDArray[np.int64]:
        """Each row's level (its index in ``levels``; -1: none, a rare value without a rare
        level)."""
        if len(s) == 0:
            return np.zeros(0, dtype=np.int64)
        # one hashing pass over the column; the (slow) str/strip treatment then runs once per
        # distinct value, not once per row
        seen, uniques = pd.factorize(s, use_na_sentinel=True)
        rare = self.index.get(RARE, -1)
        lut = np.fromiter(
            (self.index.get(self._key(u), rare) for u in uniques),
            dtype=np.int64,
            count=len(uniques),
        )
        # the missing sentinel -1 picks the last entry
        lut = np.append(lut, self.index.get(MISSING, rare))
        codes = lut[seen]
        if s.dtype == object:
            # factorize merges values that compare equal across types (1, 1.0 and True) though
            # their keys differ ("1", "1.0", "True"); a string only ever equals a string, so
            # only rows of a non-string value need keying one by one
            other = [i for i, u in enumerate(uniques) if not isinstance(u, str)]
            if other:
                rows = np.flatnonzero(np.isin(seen, other))
                values = s.to_numpy(dtype=object)[rows]
                codes[rows] = [self.index.get(self._key(v), rare) for v in values]
        out: NDArray[np.int64] = codes
        return out

    def one(self, value: Any, out: NDArray[np.float64], start: int) -> None:
        i = self.index.get(self._key(value), self.index.get(RARE, -1))
        if i >= 0:
            out[start + i] = 1.0

    def typical(self) -> Any:
        return None if self.mode == MISSING else self.mode

    def candidates(self) -> list[Any]:
        return [None if lvl == MISSING else lvl for lvl in self.levels if lvl != RARE]


@dataclass
class _BooleanPlan(_Plan):
    true_rate: float

    @staticmethod
    def _val(value: Any) -> float:
        if _is_missing(value):
            return 0.5  # unknown sits between no and yes
        if isinstance(value, str):
            return 1.0 if value.strip().lower() in ("1", "true", "yes", "y", "t") else 0.0
        return 1.0 if bool(value) else 0.0

    def batch(self, s: pd.Series) -> NDArray[np.float64]:
        if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
            return s.to_numpy(dtype=np.float64)[:, None]
        return np.fromiter((self._val(v) for v in s.tolist()), np.float64, len(s))[:, None]

    def one(self, value: Any, out: NDArray[np.float64], start: int) -> None:
        out[start] = self._val(value)

    def typical(self) -> Any:
        return self.true_rate >= 0.5

    def candidates(self) -> list[Any]:
        return [True, False]


def _to_utc_ns(s: pd.Series) -> NDArray[np.float64]:
    """Seconds since the epoch as floats (NaN when missing or unparseable).

    Microsecond resolution: a nanosecond one ends in 2262, and CRMs use 9999-12-31 as "no date".
    """
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        d = s.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_any_dtype(s.dtype):
        d = s  # naive datetimes are read as UTC
    else:
        d = pd.to_datetime(s, errors="coerce", utc=True, format="mixed").dt.tz_localize(None)
    out = np.asarray(d.to_numpy(), dtype="datetime64[us]")
    secs: NDArray[np.float64] = out.astype("int64").astype(np.float64) / 1e6
    secs[np.isnat(out)] = np.nan
    return secs


def _month_weekday(secs: NDArray[np.float64], timezone: str = "UTC") -> tuple[pd.Series, pd.Series]:
    """Month (1-12) and weekday (Monday 0) keys of epoch seconds in ``timezone``, as strings
    (None if NaN)."""
    ok = np.isfinite(secs)
    us = np.where(ok, secs * 1e6, 0).astype("int64").astype("datetime64[us]")
    if timezone != "UTC":
        # microseconds, as above: nanoseconds would end in 2262 (CRMs' 9999-12-31 "no date")
        local = pd.DatetimeIndex(us).tz_localize("UTC").tz_convert(timezone)
        month_l = np.asarray(local.month)
        wday_l = np.asarray(local.day_of_week)
        return (
            pd.Series([str(v) if k else None for v, k in zip(month_l.tolist(), ok, strict=True)]),
            pd.Series([str(v) if k else None for v, k in zip(wday_l.tolist(), ok, strict=True)]),
        )
    month = us.astype("datetime64[M]").astype("int64") % 12 + 1
    days = np.floor(np.where(ok, secs, 0) / 86400.0).astype("int64")
    wday = (days + 3) % 7  # 1970-01-01 was a Thursday
    m = pd.Series([str(v) if k else None for v, k in zip(month.tolist(), ok, strict=True)])
    w = pd.Series([str(v) if k else None for v, k in zip(wday.tolist(), ok, strict=True)])
    return m, w


def _one_ts(value: Any) -> float:
    if _is_missing(value):
        return math.nan
    if isinstance(value, datetime):
        v = value if value.tzinfo else value.replace(tzinfo=UTC)
        return v.timestamp()
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return math.nan
    if pd.isna(ts):
        return math.nan
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return float(ts.timestamp())


@dataclass
class _DatetimePlan(_Plan):
    reference: float
    """Seconds since the epoch that ages are measured from."""
    age: _NumericPlan
    month: _CategoricalPlan | None
    weekday: _CategoricalPlan | None
    median_ts: float
    timezone: str = "UTC"
    """Where month and weekday are read (a lead created Monday 01:00 in Tokyo is a Sunday in UTC)."""

    def batch(self, s: pd.Series) -> NDArray[np.float64]:
        return self.batch_at(s, None)

    def batch_at(self, s: pd.Series, refs: NDArray[np.float64] | None) -> NDArray[np.float64]:
        """As :meth:`batch`, each row aged from its own reference (NaN: the fitted one)."""
        secs = _to_utc_ns(s)
        ref = self.reference if refs is None else np.where(np.isfinite(refs), refs, self.reference)
        age = (ref - secs) / 86400.0
        parts = [self.age.batch(pd.Series(age))]
        if self.month is not None and self.weekday is not None:
            month, wday = _month_weekday(secs, self.timezone)
            parts.append(self.month.batch(month))
            parts.append(self.weekday.batch(wday))
        return np.hstack(parts)

    def one(self, value: Any, out: NDArray[np.float64], start: int) -> None:
        self.one_at(value, out, start, math.nan)

    def one_at(self, value: Any, out: NDArray[np.float64], start: int, ref: float) -> None:
        """As :meth:`one`, aged from ``ref`` (NaN: the fitted reference)."""
        ts = _one_ts(value)
        ref = self.reference if math.isnan(ref) else ref
        n_age = len(self.age.outputs)
        self.age.one(None if math.isnan(ts) else (ref - ts) / 86400.0, out, start)
        if self.month is None or self.weekday is None:
            return
        n_month = len(self.month.outputs)
        if math.isnan(ts):
            self.month.one(None, out, start + n_age)
            self.weekday.one(None, out, start + n_age + n_month)
            return
        try:
            d = datetime.fromtimestamp(
                ts, UTC if self.timezone == "UTC" else ZoneInfo(self.timezone)
            )
            month, wday = str(d.month), str(d.weekday())
        except (OverflowError, ValueError, OSError):
            # the local date falls outside Python's years 1-9999 (9999-12-31 23:00 UTC is
            # already the year 10000 in Tokyo): read it as the batch path does
            m, w = _month_weekday(np.array([ts]), self.timezone)
            month, wday = str(m.iloc[0]), str(w.iloc[0])
        self.month.one(month, out, start + n_age)
        self.weekday.one(wday, out, start + n_age + n_month)

    def typical(self) -> Any:
        return datetime.fromtimestamp(self.median_ts, UTC)


@dataclass
class _TextPlan(_Plan):
    buckets: int

    def _vec(self, text: str) -> NDArray[np.float64]:
        out = np.zeros(self.buckets, dtype=np.float64)
        words = re.findall(r"[a-z0-9]{2,}", text.lower())
        for w in words:
            out[_stable_hash(w) % self.buckets] += 1.0
        norm = float(np.linalg.norm(out))
        return out / norm if norm else out

    def batch(self, s: pd.Series) -> NDArray[np.float64]:
        rows = [self._vec("" if _is_missing(v) else str(v)) for v in s.tolist()]
        return np.vstack(rows) if rows else np.zeros((0, self.buckets))

    def one(self, value: Any, out: NDArray[np.float64], start: int) -> None:
        out[start : start + self.buckets] = self._vec("" if _is_missing(value) else str(value))

    def typical(self) -> Any:
        return None


def _stable_hash(word: str) -> int:
    # Python's hash() is salted per process; a model must hash the same way after loading
    h = 2166136261
    for ch in word.encode("utf-8"):
        h = ((h ^ ch) * 16777619) & 0xFFFFFFFF
    return h


# -- column typing ------------------------------------------------------------------------------


def _map_distinct(s: pd.Series, fn: Callable[[Any], str]) -> pd.Series:
    """``s.map(fn)``, with ``fn`` called once per distinct value rather than once per row.

    ``pandas.factorize`` merges values that compare equal across types (1, 1.0 and True), whose
    keys differ ("1", "1.0", "True"), so in an object column only strings share a key: the rows of
    any other value, and missing ones, are keyed one by one.
    """
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    out = np.empty(len(s), dtype=object)
    ok = codes >= 0
    if len(uniques):
        keyed = np.empty(len(uniques), dtype=object)
        keyed[:] = [fn(u) for u in uniques]
        out[ok] = keyed[codes[ok]]
    redo = ~ok
    if s.dtype == object:
        other = [i for i, u in enumerate(uniques) if not isinstance(u, str)]
        if other:
            redo |= np.isin(codes, other)
    if redo.any():
        out[redo] = [fn(v) for v in s.to_numpy(dtype=object)[redo]]
    return pd.Series(out, index=s.index, dtype=object)


def _non_null(s: pd.Series) -> pd.Series:
    return s[s.notna()]


def _looks_boolean(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values.dtype):
        return True
    if values.dtype == object and len(values):
        return all(isinstance(v, bool | np.bool_) for v in values.tolist())
    return False


def _as_numeric(values: pd.Series) -> pd.Series | None:
    if pd.api.types.is_bool_dtype(values.dtype):
        return None
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype(np.float64)
    if (
        values.dtype == object
        and len(values)
        and all(isinstance(v, int | float | np.integer | np.floating) for v in values.tolist())
    ):
        return values.astype(np.float64)
    return None


def _looks_datetime(values: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return True
    if not len(values):
        return False
    sample = values.iloc[:200].tolist()
    if all(isinstance(v, date) for v in sample):  # datetime is a date too
        return True
    if all(isinstance(v, str) for v in sample):
        # ISO dates only: free text such as "May 3" must not be read as a date
        if not all(re.match(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}.*)?$", v.strip()) for v in sample):
            return False
        parsed = pd.to_datetime(pd.Series(sample), errors="coerce", format="ISO8601", utc=True)
        return bool(parsed.notna().mean() >= 0.95)
    return False


class LeadFeaturizer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Turns a table of lead attributes into a numeric matrix, typing each column automatically.

    Numeric columns are median-imputed (with a missing indicator when values are missing),
    log-scaled when heavily skewed, and standardised. Categorical columns are one-hot encoded,
    with levels seen fewer than ``min_frequency`` times (or beyond ``max_levels``) grouped into
    ``"(other)"``, which also receives levels never seen in training. Booleans become 0/1 (0.5 when
    unknown). Datetimes become the age in days at ``reference_time`` plus month and weekday.
    Identifiers (id-like names or near-unique values) and constant or empty columns are dropped;
    free text is ignored, or hashed into ``text_buckets`` word buckets when ``text="hash"``.
    Every choice is recorded in ``decisions_``.

    Args:
        features: ``"auto"`` to use every usable column, or an explicit list of columns to use
            (the others are reported as excluded).
        exclude: columns never to use (e.g. ones known to be filled after the outcome).
        reference_time: the "now" ages are measured from; ``None`` uses the latest datetime seen
            in training in the columns used (not the excluded ones), so a fitted featurizer
            never depends on the wall clock.
        min_frequency: a level seen fewer times than this (an int) or than this share of the rows
            (a float below 1) is grouped into ``"(other)"``.
        max_levels: most levels kept per categorical column.
        text: ``"ignore"`` or ``"hash"`` for free-text columns.
        text_buckets: number of hashed word buckets per text column.
        unique_ratio: a text-like column whose share of distinct values exceeds this is an
            identifier (or free text when its values are long and contain spaces); an id-like
            name (``lead_id``, ``uuid``, ...) lowers the bar to 0.8.
        date_parts: add month and weekday for datetime columns; ``"auto"`` adds them only from
            :data:`DATE_PARTS_MIN_ROWS` training rows (seasonality is noise on small data).
        as_of_column: a column holding each row's own "now": its dates are aged from it rather
            than from one reference time. In training, the time the row's outcome was decided
            (or the snapshot was taken); when scoring, the time of scoring. A lead created a week
            before it was won then has an age of 7 days in training, as an open lead created a
            week ago has today. The column is not an attribute; a missing value falls back to
            ``reference_time`` (or the latest as-of time in training).
        timezone: the IANA time zone month and weekday are read in (the sellers' or the market's;
            default UTC).

    Example:
        >>> import pandas as pd
        >>> X = pd.DataFrame({"lead_id": [f"L{i}" for i in range(40)], "source": ["web", "ad"] * 20})
        >>> f = LeadFeaturizer().fit(X)
        >>> f.get_feature_names_out().tolist()
        ['source=ad', 'source=web', 'source=(other)']
        >>> f.decisions_[0].reason
        'identifier: 40 distinct values in 40 rows'
    """

    def __init__(
        self,
        *,
        features: str | Sequence[str] = "auto",
        exclude: Sequence[str] = (),
        reference_time: datetime | None = None,
        min_frequency: int | float = 5,
        max_levels: int = 50,
        text: str = "ignore",
        text_buckets: int = 32,
        unique_ratio: float = 0.9,
        date_parts: bool | str = "auto",
        as_of_column: str | None = None,
        timezone: str = "UTC",
    ) -> None:
        self.features = features
        self.exclude = exclude
        self.reference_time = reference_time
        self.min_frequency = min_frequency
        self.max_levels = max_levels
        self.text = text
        self.text_buckets = text_buckets
        self.unique_ratio = unique_ratio
        self.date_parts = date_parts
        self.as_of_column = as_of_column
        self.timezone = timezone

    # -- sklearn API ------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None) -> Self:
        """Type every column of ``X`` and learn its encoding."""
        self._check_params()
        df = as_frame(X)
        if df.shape[1] == 0:
            raise _invalid(
                "X",
                f"Found array with 0 feature(s) (shape={df.shape}) while a minimum of 1 is "
                "required.",
            )
        if df.shape[0] == 0:
            raise _invalid(
                "X",
                f"Found array with 0 sample(s) (shape={df.shape}) while a minimum of 1 is required.",
            )
        self.n_features_in_ = df.shape[1]
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(df.columns, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.input_columns_ = tuple(str(c) for c in df.columns)
        wanted = self._wanted(df)
        refs: NDArray[np.float64] | None = None
        if self.as_of_column is not None:
            if self.as_of_column not in self.input_columns_:
                raise ConfigurationError(f"as_of_column {self.as_of_column!r} is not a column of X")
            wanted.discard(self.as_of_column)
            refs = _to_utc_ns(df[self.as_of_column])
        # only used columns set the reference: an excluded (e.g. leaking) date must not move it
        reference = self._reference(df[[c for c in self.input_columns_ if c in wanted]])
        if refs is not None and self.reference_time is None and np.isfinite(refs).any():
            reference = float(np.nanmax(refs))
        plans: list[_Plan] = []
        decisions: list[FeatureDecision] = []
        for col in self.input_columns_:
            if col not in wanted:
                why = "excluded by the caller" if col in set(self.exclude) else "not in `features`"
                if col == self.as_of_column:
                    why = "the time each row's dates are aged from (as_of_column)"
                decisions.append(
                    FeatureDecision(
                        column=col, kind=self._quick_kind(df[col]), kept=False, reason=why
                    )
                )
                continue
            plan, decision = self._plan(col, df[col], reference, refs)
            decisions.append(decision)
            if plan is not None:
                plans.append(plan)
        self.plans_ = plans
        self.decisions_ = tuple(decisions)
        names: list[str] = []
        blocks: list[tuple[int, int]] = []
        for p in plans:
            blocks.append((len(names), len(names) + len(p.outputs)))
            names.extend(p.outputs)
        self.feature_names_out_ = np.asarray(names, dtype=object)
        self.blocks_ = tuple(blocks)
        self.block_columns_ = tuple(p.column for p in plans)
        self.reference_time_ = (
            datetime.fromtimestamp(reference, UTC) if reference is not None else None
        )
        return self

    def transform(self, X: Any) -> NDArray[np.float64]:
        """The numeric matrix for ``X`` (rows in the same order)."""
        self._ensure_fitted()
        df = self._align(X)
        # column-major: each block is written contiguously, and scikit-learn's tree predictors
        # walk a Fortran-ordered matrix about three times faster than a row-major one
        out = np.empty((df.shape[0], len(self.feature_names_out_)), dtype=np.float64, order="F")
        refs = _to_utc_ns(df[self.as_of_column]) if self.as_of_column is not None else None
        for plan, (start, stop) in zip(self.plans_, self.blocks_, strict=True):
            if refs is not None and isinstance(plan, _DatetimePlan):
                out[:, start:stop] = plan.batch_at(df[plan.column], refs)
            else:
                plan.batch_into(df[plan.column], out[:, start:stop])
        return out

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        """Output column names: ``"col"``, ``"col (missing)"``, ``"col=level"``, ``"col: age_days"``."""
        self._ensure_fitted()
        return self.feature_names_out_.copy()

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    # -- fast path --------------------------------------------------------------------------

    def transform_record(self, record: Mapping[str, Any], /) -> NDArray[np.float64]:
        """One row for one lead given as a mapping of column to value (absent keys are missing).

        The scorer's fast single-lead path: no DataFrame is built.
        """
        self._ensure_fitted()
        for column in self.block_columns_:
            why = bad_cell(record.get(column))
            if why is not None:
                raise _refusal(column, None, why)
        out = np.zeros(len(self.feature_names_out_), dtype=np.float64)
        ref = _one_ts(record.get(self.as_of_column)) if self.as_of_column is not None else math.nan
        for plan, (start, _) in zip(self.plans_, self.blocks_, strict=True):
            if isinstance(plan, _DatetimePlan):
                plan.one_at(record.get(plan.column), out, start, ref)
            else:
                plan.one(record.get(plan.column), out, start)
        return out

    def encode_value(self, column: str, value: Any, /) -> NDArray[np.float64]:
        """The output block of one column for one raw value (used by what-if explanations)."""
        self._ensure_fitted()
        i = self.block_columns_.index(column)
        start, stop = self.blocks_[i]
        out = np.zeros(stop - start, dtype=np.float64)
        self.plans_[i].one(value, out, 0)
        return out

    def typical_values(self) -> dict[str, Any]:
        """Each used column's typical training value (median, or most frequent level)."""
        self._ensure_fitted()
        return {p.column: p.typical() for p in self.plans_}

    def candidate_values(self, column: str, /) -> list[Any]:
        """Values of ``column`` worth trying in a what-if: its kept levels, or its quantiles."""
        self._ensure_fitted()
        return self.plans_[self.block_columns_.index(column)].candidates()

    # -- internals ----------------------------------------------------------------------------

    def _ensure_fitted(self) -> None:
        ensure_fitted(self, "plans_")

    def _check_params(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as err:
            raise ConfigurationError(
                f"timezone must be an IANA time zone such as 'Europe/Berlin', not {self.timezone!r}"
            ) from err
        if self.date_parts not in (True, False, "auto"):
            raise ConfigurationError(
                f"date_parts must be True, False or 'auto', not {self.date_parts!r}"
            )
        if self.text not in ("ignore", "hash"):
            raise ConfigurationError(f"text must be 'ignore' or 'hash', not {self.text!r}")
        if not (isinstance(self.features, str) and self.features == "auto") and isinstance(
            self.features, str
        ):
            raise ConfigurationError("features must be 'auto' or a list of column names")
        if self.min_frequency <= 0 or self.max_levels < 1 or self.text_buckets < 1:
            raise ConfigurationError(
                "min_frequency must be positive, max_levels and text_buckets at least 1"
            )

    def _wanted(self, df: pd.DataFrame) -> set[str]:
        cols = set(self.input_columns_)
        if isinstance(self.features, str):
            wanted = set(cols)
        else:
            wanted = {str(c) for c in self.features}
            missing = sorted(wanted - cols)
            if missing:
                raise ConfigurationError(
                    f"features names columns that X does not have: {', '.join(missing)}"
                )
        return wanted - {str(c) for c in self.exclude}

    def _reference(self, df: pd.DataFrame) -> float | None:
        if self.reference_time is not None:
            ref = self.reference_time
            return (ref if ref.tzinfo else ref.replace(tzinfo=UTC)).timestamp()
        latest: float | None = None
        for col in df.columns:
            nn = _non_null(df[col])
            if _looks_datetime(nn):
                secs = _to_utc_ns(nn)
                if np.isfinite(secs).any():
                    m = float(np.nanmax(secs))
                    latest = m if latest is None else max(latest, m)
        return latest

    def _quick_kind(self, s: pd.Series) -> ColumnKind:
        nn = _non_null(s)
        if not len(nn):
            return "empty"
        if _looks_boolean(nn):
            return "boolean"
        if _as_numeric(nn) is not None:
            return "numeric"
        if _looks_datetime(nn):
            return "datetime"
        return "categorical"

    def _min_count(self, n: int) -> int:
        mf = self.min_frequency
        if isinstance(mf, float) and mf < 1:
            return max(1, math.ceil(mf * n))
        return max(1, int(mf))

    def _plan(
        self,
        col: str,
        s: pd.Series,
        reference: float | None,
        refs: NDArray[np.float64] | None = None,
    ) -> tuple[_Plan | None, FeatureDecision]:
        n = len(s)
        nn = _non_null(s)
        if not len(nn):
            return None, FeatureDecision(column=col, kind="empty", kept=False, reason="no values")
        if _looks_boolean(nn):
            vals = nn.astype(bool)
            if vals.nunique() < 2 and len(nn) == n:
                return None, FeatureDecision(
                    column=col, kind="boolean", kept=False, reason="constant"
                )
            plan = _BooleanPlan(column=col, outputs=(col,), true_rate=float(vals.mean()))
            return plan, FeatureDecision(
                column=col,
                kind="boolean",
                kept=True,
                reason="0/1, missing as 0.5",
                outputs=plan.outputs,
            )
        num = _as_numeric(nn)
        if num is not None:
            return self._numeric(col, s, num, n)
        if _looks_datetime(nn):
            return self._datetime(col, s, reference, refs)
        counts = _map_distinct(nn, lambda v: str(v).strip()).value_counts()
        distinct = len(counts)
        ratio = distinct / max(1, len(nn))
        # mean length and spaces per row, from each distinct value once
        weight = counts.to_numpy(dtype=np.float64) / max(1, len(nn))
        lengths = float(np.dot(counts.index.str.len().to_numpy(dtype=np.float64), weight))
        spaces = float(np.dot(counts.index.str.count(" ").to_numpy(dtype=np.float64), weight))
        texty = lengths > 30 and spaces >= 3
        if texty and (ratio > 0.5 or distinct > 100):
            if self.text == "hash":
                outs = tuple(f"{col}: word bucket {i}" for i in range(self.text_buckets))
                plan_t = _TextPlan(column=col, outputs=outs, buckets=self.text_buckets)
                return plan_t, FeatureDecision(
                    column=col,
                    kind="text",
                    kept=True,
                    reason=f"free text hashed into {self.text_buckets} word buckets",
                    outputs=outs,
                )
            return None, FeatureDecision(
                column=col, kind="text", kept=False, reason="free text (use text='hash' to use it)"
            )
        if len(nn) >= 20 and (
            ratio > self.unique_ratio or (_ID_NAME.search(col) is not None and ratio > 0.8)
        ):
            return None, FeatureDecision(
                column=col,
                kind="identifier",
                kept=False,
                reason=f"identifier: {distinct} distinct values in {len(nn)} rows",
            )
        return self._categorical(col, s, n)

    def _numeric(
        self, col: str, s: pd.Series, num: pd.Series, n: int
    ) -> tuple[_Plan | None, FeatureDecision]:
        v = num.to_numpy(dtype=np.float64)
        _check_magnitude(col, v)
        v = v[np.isfinite(v)]
        if not len(v):
            return None, FeatureDecision(
                column=col, kind="empty", kept=False, reason="no finite values"
            )
        distinct = len(np.unique(v))
        if distinct < 2 and len(v) == n:
            return None, FeatureDecision(column=col, kind="numeric", kept=False, reason="constant")
        if (
            _ID_NAME.search(col) is not None
            and len(v) >= 20
            and distinct / len(v) > self.unique_ratio
            and bool(np.all(v == np.round(v)))
        ):
            return None, FeatureDecision(
                column=col,
                kind="identifier",
                kept=False,
                reason=f"identifier: {distinct} distinct integers in {len(v)} rows",
            )
        median = float(np.median(v))
        skew = 0.0
        sd = float(np.std(v))
        if sd > 0:
            skew = float(np.mean(((v - v.mean()) / sd) ** 3))
        log = bool(skew > 2.0 and distinct > 10)
        t = np.sign(v) * np.log1p(np.abs(v)) if log else v
        center = float(np.mean(t))
        scale = float(np.std(t)) or 1.0
        has_missing = len(v) < n
        outputs = (col, f"{col} (missing)") if has_missing else (col,)
        qs_raw = np.quantile(v, [0.1, 0.25, 0.5, 0.75, 0.9])
        if bool(np.all(v == np.round(v))):
            qs_raw = np.round(qs_raw)  # a what-if of "760.3 employees" reads oddly
        qs = tuple(sorted({float(q) for q in qs_raw}))
        plan = _NumericPlan(
            column=col,
            outputs=outputs,
            median=median,
            center=center,
            scale=scale,
            log=log,
            has_missing=has_missing,
            quantiles=qs,
        )
        parts = ["log-scaled" if log else "scaled"]
        if has_missing:
            parts.append(f"{n - len(v)} missing filled with the median {median:g} and flagged")
        return plan, FeatureDecision(
            column=col, kind="numeric", kept=True, reason=", ".join(parts), outputs=outputs
        )

    def _categorical(self, col: str, s: pd.Series, n: int) -> tuple[_Plan | None, FeatureDecision]:
        keys = _map_distinct(
            s, lambda v: MISSING if _is_missing(v) or not str(v).strip() else str(v).strip()
        )
        counts = keys.value_counts()
        if len(counts) < 2:
            return None, FeatureDecision(
                column=col, kind="categorical", kept=False, reason="constant"
            )
        min_count = self._min_count(n)
        frequent = [str(k) for k, c in counts.items() if c >= min_count][: self.max_levels]
        rare = len(counts) - len(frequent)
        # "(other)" always exists so that levels unseen in training have a home when scoring
        levels = [*sorted(frequent), RARE]
        if len(frequent) == 0:
            return None, FeatureDecision(
                column=col,
                kind="categorical",
                kept=False,
                reason=f"every level rarer than {min_count} rows",
            )
        outs = tuple(f"{col}={lvl}" for lvl in levels)
        plan = _CategoricalPlan(
            column=col, outputs=outs, levels=tuple(levels), mode=str(counts.index[0])
        )
        reason = f"{len(frequent)} levels kept"
        if rare:
            reason += f", {rare} rare levels (< {min_count} rows) grouped into {RARE!r}"
        return plan, FeatureDecision(
            column=col, kind="categorical", kept=True, reason=reason, outputs=outs
        )

    def _date_part(self, name: str, keys: pd.Series) -> _CategoricalPlan:
        plan = self._categorical(name, keys, len(keys))[0]
        if isinstance(plan, _CategoricalPlan):
            return plan
        # a constant month or weekday still gets a (constant) block so the layout is fixed
        return _CategoricalPlan(column=name, outputs=(f"{name}={RARE}",), levels=(RARE,))

    def _datetime(
        self,
        col: str,
        s: pd.Series,
        reference: float | None,
        refs: NDArray[np.float64] | None = None,
    ) -> tuple[_Plan | None, FeatureDecision]:
        secs = _to_utc_ns(s)
        finite = secs[np.isfinite(secs)]
        ref = reference if reference is not None else float(np.max(finite))
        row_ref = ref if refs is None else np.where(np.isfinite(refs), refs, ref)
        age = pd.Series((row_ref - secs) / 86400.0)
        age_plan, _ = self._numeric(f"{col}: age_days", age, age[age.notna()], len(s))
        if age_plan is None:
            return None, FeatureDecision(column=col, kind="datetime", kept=False, reason="constant")
        assert isinstance(age_plan, _NumericPlan)
        with_parts = self.date_parts is True or (
            self.date_parts == "auto" and len(s) >= DATE_PARTS_MIN_ROWS
        )
        month: _CategoricalPlan | None = None
        wday: _CategoricalPlan | None = None
        outs = age_plan.outputs
        if with_parts:
            month_keys, wday_keys = _month_weekday(secs, self.timezone)
            month = self._date_part(f"{col}: month", month_keys)
            wday = self._date_part(f"{col}: weekday", wday_keys)
            outs = outs + month.outputs + wday.outputs
        plan = _DatetimePlan(
            column=col,
            outputs=outs,
            reference=ref,
            age=age_plan,
            month=month,
            weekday=wday,
            # with per-row ages the typical date is the one of typical age at the reference,
            # so resetting the column to typical (the explanations' baseline) gives that age
            median_ts=(
                float(np.median(finite)) if refs is None else ref - age_plan.median * 86400.0
            ),
            timezone=self.timezone,
        )
        when = (
            f"each row's {self.as_of_column}"
            if refs is not None
            else datetime.fromtimestamp(ref, UTC).date().isoformat()
        )
        return plan, FeatureDecision(
            column=col,
            kind="datetime",
            kept=True,
            reason=f"age in days at {when}"
            + (f", month and weekday ({self.timezone})" if with_parts else ""),
            outputs=outs,
        )

    def _align(self, X: Any) -> pd.DataFrame:
        df = _as_fitted_frame(X, self)
        if isinstance(X, pd.DataFrame) and hasattr(self, "feature_names_in_"):
            got = [str(c) for c in df.columns]
            if got != list(self.input_columns_):
                if set(got) == set(self.input_columns_):
                    return df[list(self.input_columns_)]
                raise _invalid(
                    "X",
                    "The feature names should match those that were passed during fit; "
                    f"unexpected: {sorted(set(got) - set(self.input_columns_))[:5]}, "
                    f"missing: {sorted(set(self.input_columns_) - set(got))[:5]}",
                )
            return df
        return df.set_axis(list(self.input_columns_), axis=1)
