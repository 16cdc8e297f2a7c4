"""Reading a table of ranking signals into the float columns the factor rules take.

Kept apart from the rest of the package so that numpy and pandas load only when a table is ranked.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from leadqual.errors import ValidationFailed
from leadqual.prioritize._bands import TIER_BAND

__all__ = ["FrameColumns"]

_TRUE_TEXT = frozenset({"true", "yes", "y", "1", "t"})
_FALSE_TEXT = frozenset({"false", "no", "n", "0", "f", ""})


class FrameColumns:
    """The columns of a signals table as float arrays, checked as :meth:`Prioritizer.rank
    <leadqual.prioritize.Prioritizer.rank>` checks its inputs; a missing column or value reads as
    its neutral value.

    Raises:
        ValidationFailed: a ``predictive_score`` lies outside 0-100 or an ``icp_tier`` is not a
            tier (on construction); a numeric column holds text (when it is read).
    """

    def __init__(self, frame: pd.DataFrame, /) -> None:
        self.frame = frame
        self.rows = len(frame)
        if "lead_id" in frame.columns:
            _check_lead_ids(frame["lead_id"])
        self._numbers: dict[str, NDArray[np.float64]] = {}
        scores = self._read("predictive_score")
        if scores is not None:
            outside = ~np.isnan(scores) & ((scores < 0) | (scores > 100))
            if outside.any():
                raise ValidationFailed(
                    f"predictive_score must be a number from 0 to 100, got {scores[outside][0]:g}",
                    field="predictive_score",
                )
        if "icp_tier" in frame.columns:
            # a tier is one of the tier names; anything else (a number, a date, bytes) is named
            # as it is rather than turned into text that might happen to spell a tier
            unknown = sorted(
                {
                    v if isinstance(v, str) else repr(v)
                    for v in frame["icp_tier"].dropna().tolist()
                    if not (isinstance(v, str) and v in TIER_BAND)
                }
            )
            if unknown:
                raise ValidationFailed(
                    f"icp_tier must be one of {', '.join(TIER_BAND)}, got {unknown}",
                    field="icp_tier",
                )

    def lead_order(self) -> NDArray[np.int64]:
        """Each row's position among the lead ids sorted as text (the last tie-break)."""
        # the ids were checked on construction: text and whole numbers only
        ids = self.frame["lead_id"].astype(str).to_numpy()
        _, position = np.unique(ids, return_inverse=True)
        return np.asarray(position, dtype=np.int64)

    def full(self, values: Any, /) -> NDArray[np.float64]:
        """``values`` (an array, or one number for every row) as a float array of the rows."""
        return np.broadcast_to(np.asarray(values, dtype=float), (self.rows,))

    def _read(self, name: str) -> NDArray[np.float64] | None:
        if name not in self.frame.columns:
            return None
        if name not in self._numbers:
            raw = self.frame[name]
            values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            unreadable = np.isnan(values) & raw.notna().to_numpy()
            if unreadable.any():
                bad = raw[unreadable].iloc[0]
                raise ValidationFailed(f"{name} must hold numbers, got {bad!r}", field=name)
            self._numbers[name] = values
        return self._numbers[name]

    def number(self, name: str, /, *, missing: float | NDArray[Any]) -> NDArray[np.float64]:
        """A numeric column; an absent column or a missing value reads as ``missing`` (one
        number, or an array giving each row's)."""
        values = self._read(name)
        fill = self.full(missing)
        if values is None:
            return fill
        return np.nan_to_num(np.where(np.isnan(values), fill, values))

    def present(self, name: str, /) -> NDArray[np.float64]:
        """1.0 where the column holds a number, 0.0 where it is missing or the column is absent."""
        values = self._read(name)
        if values is None:
            return np.zeros(self.rows)
        return (~np.isnan(values)).astype(float)

    def flag(self, name: str, /) -> NDArray[np.float64]:
        """A column of booleans as written in a CSV ("yes", "False", 1, None) as 1.0 / 0.0;
        "no" is not true, and a missing value is false."""
        if name not in self.frame.columns:
            return np.zeros(self.rows)
        column = self.frame[name]
        if pd.api.types.is_bool_dtype(column) and not column.hasnans:
            return np.asarray(column, dtype=np.float64)
        if pd.api.types.is_numeric_dtype(column):
            return np.asarray(column.fillna(0).to_numpy(dtype=float) != 0, dtype=np.float64)
        out: NDArray[np.float64] = np.zeros(self.rows)
        for i, value in enumerate(column.tolist()):
            if _is_missing(value):
                continue
            if isinstance(value, str):
                text = value.strip().casefold()
                if text not in _TRUE_TEXT | _FALSE_TEXT:
                    raise ValidationFailed(
                        f"{name} must be true or false, got {value!r}", field=name
                    )
                out[i] = text in _TRUE_TEXT
            elif isinstance(value, bool | np.bool_ | numbers.Number):
                out[i] = bool(value)
            else:  # a date, a list, an object: not a flag, though Python calls each "true"
                raise ValidationFailed(
                    f"{name} must be true or false, got {type(value).__name__} {value!r:.60}",
                    field=name,
                )
        return out

    def tier_band(self, name: str, /) -> NDArray[np.float64]:
        """ICP tiers as bands (:data:`TIER_BAND`); a missing tier is Unknown, and an absent
        column (no ICP) is 0 for every row."""
        if name not in self.frame.columns:
            return np.zeros(self.rows)
        tier = self.frame[name].astype("string").fillna("Unknown")
        return np.asarray(tier.map(dict(TIER_BAND)).fillna(1), dtype=np.float64)


def _is_missing(value: Any) -> bool:
    """``None``, NaN, ``pd.NA`` or ``NaT``: a missing cell, whichever way the frame holds it."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating | np.datetime64 | np.timedelta64):
        return bool(pd.isna(value))
    return False


def _check_lead_ids(ids: pd.Series) -> None:
    """A lead id is text or a whole number, and every row has one: a row without one could not
    be told apart from the others in the ranking."""
    if pd.api.types.is_integer_dtype(ids.dtype):
        return
    missing = ids.isna().to_numpy()
    if missing.any():
        row = ids.index[int(np.argmax(missing))]
        raise ValidationFailed(f"lead_id is missing in row {row!r}", field="lead_id")
    if pd.api.types.infer_dtype(ids, skipna=True) in ("string", "integer", "empty"):
        return
    for row, value in ids.items():
        if isinstance(value, bool | np.bool_) or not isinstance(value, str | int | np.integer):
            raise ValidationFailed(
                f"lead_id must be text or a whole number, got {type(value).__name__} "
                f"{value!r:.60} in row {row!r}",
                field="lead_id",
            )
