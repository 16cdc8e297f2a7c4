"""Reading a table of ranking signals into the float columns the factor rules take.

Kept apart from the rest of the package so that numpy and pandas load only when a table is ranked.
"""

from __future__ import annotations

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
            tiers = frame["icp_tier"].dropna().astype(str)
            unknown = sorted(set(tiers) - set(TIER_BAND))
            if unknown:
                raise ValidationFailed(
                    f"icp_tier must be one of {', '.join(TIER_BAND)}, got {unknown}",
                    field="icp_tier",
                )

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
            if value is None or (isinstance(value, float) and value != value):
                continue
            if isinstance(value, str):
                text = value.strip().casefold()
                if text not in _TRUE_TEXT | _FALSE_TEXT:
                    raise ValidationFailed(
                        f"{name} must be true or false, got {value!r}", field=name
                    )
                out[i] = text in _TRUE_TEXT
            else:
                out[i] = bool(value)
        return out

    def tier_band(self, name: str, /) -> NDArray[np.float64]:
        """ICP tiers as bands (:data:`TIER_BAND`); a missing tier is Unknown, and an absent
        column (no ICP) is 0 for every row."""
        if name not in self.frame.columns:
            return np.zeros(self.rows)
        tier = self.frame[name].astype("string").fillna("Unknown")
        return np.asarray(tier.map(dict(TIER_BAND)).fillna(1), dtype=np.float64)
