"""Numeric ranges and band strings: ``"500+"``, ``"501-1000"``, ``"10k+"``, ``"<50"``, ``"$1M-$5M"``.

Examples:
    >>> r = NumericRange.parse("501-1000")
    >>> (r.low, r.high, 750 in r)
    (501.0, 1000.0, True)
    >>> NumericRange.parse("10k+").low
    10000.0
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from pydantic import ConfigDict

from leadqual._base import LeadqualModel
from leadqual.errors import ConfigurationError

__all__ = ["NumericRange", "parse_number"]

_MULT = {"": 1.0, "k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}
_NUM = r"(?:[$€£¥]\s*)?(\d[\d,_ ]*(?:\.\d+)?|\.\d+)\s*(k|mm|mn|m|bn|b)?\b"
_NUMBER = re.compile(rf"^\s*{_NUM}\s*$", re.IGNORECASE)
_BETWEEN = re.compile(
    rf"^\s*(?:between\s+)?{_NUM}\s*(?:-|\u2013|\u2014|to|and|\.\.)\s*{_NUM}\s*$", re.IGNORECASE
)
_AT_LEAST = re.compile(
    rf"^\s*(?:(>=|≥|=>|at least|min(?:imum)?|from|over|more than|above|>)\s*{_NUM}"
    rf"|{_NUM}\s*(\+|or more|and (?:up|above|over)|plus|-|\u2013))\s*$",
    re.IGNORECASE,
)
_AT_MOST = re.compile(
    rf"^\s*(<=|≤|=<|at most|max(?:imum)?|up to|under|below|less than|fewer than|<)\s*{_NUM}\s*$",
    re.IGNORECASE,
)
_UNIT_WORDS = re.compile(
    r"\s*(employees?|people|staff|heads?|fte|usd|eur|gbp|dollars?|euros?|per year|/yr|a year)\s*$",
    re.IGNORECASE,
)


def _num(digits: str, suffix: str | None) -> float:
    value = float(digits.replace(",", "").replace("_", "").replace(" ", ""))
    return value * _MULT[(suffix or "").lower()]


def parse_number(text: str) -> float | None:
    """Read a single number written as in CRMs (``"1,200"``, ``"10k"``, ``"$2.5M"``), else ``None``."""
    m = _NUMBER.match(_UNIT_WORDS.sub("", text))
    return _num(m.group(1), m.group(2)) if m else None


def _below(high: float | None, high_inc: bool, low: float | None, low_inc: bool) -> bool:
    """Whether an interval ending at ``high`` can reach one starting at ``low``."""
    if high is None or low is None:
        return True
    return low < high or (low == high and high_inc and low_inc)


def _fmt(x: float) -> str:
    return str(int(x)) if x.is_integer() else f"{x:g}"


class NumericRange(LeadqualModel):
    """A closed or open-ended interval; ``None`` ends are open.

    ``low_inclusive``/``high_inclusive`` are ``False`` only for strict bounds written with ``>``,
    ``<``, "over", "more than", "under", "below", "less than".
    """

    model_config = ConfigDict(frozen=True)

    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    text: str = ""
    """The band as written, used in reasons."""

    @classmethod
    def parse(cls, text: str, /) -> NumericRange:
        """Parse a band or a number; raise :class:`~leadqual.errors.ConfigurationError` if unreadable.

        Accepted: ``"500+"``, ``"500 or more"``, ``">= 500"``, ``"at least 500"``, ``"501-1000"``,
        ``"1,001 to 5,000"``, ``"10k+"``, ``"$1M-$5M"``, ``"<50"``, ``"under 50"``, ``"up to 200"``,
        ``"250"`` (exactly 250), with an optional trailing unit word ("employees", "USD").
        """
        parsed = _parse_range(text)
        if parsed is None:
            raise ConfigurationError(
                f"cannot read {text!r} as a number or a band; write e.g. '500+', '501-1000', "
                "'10k+', '<50' or 'up to 200'"
            )
        return parsed

    @classmethod
    def try_parse(cls, text: str, /) -> NumericRange | None:
        """Like :meth:`parse` but return ``None`` for text that is not a band."""
        return _parse_range(text)

    @property
    def is_point(self) -> bool:
        """Whether the range holds exactly one number."""
        return self.low is not None and self.low == self.high

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
            return False
        x = float(value)
        if self.low is not None and (x < self.low or (x == self.low and not self.low_inclusive)):
            return False
        return not (
            self.high is not None
            and (x > self.high or (x == self.high and not self.high_inclusive))
        )

    def covers(self, other: NumericRange, /) -> bool:
        """Whether every number of ``other`` lies in this range."""
        lo_ok = self.low is None or (
            other.low is not None
            and (
                other.low > self.low
                or (other.low == self.low and (self.low_inclusive or not other.low_inclusive))
            )
        )
        hi_ok = self.high is None or (
            other.high is not None
            and (
                other.high < self.high
                or (other.high == self.high and (self.high_inclusive or not other.high_inclusive))
            )
        )
        return lo_ok and hi_ok

    def overlaps(self, other: NumericRange, /) -> bool:
        """Whether the two ranges share at least one number."""
        return _below(self.high, self.high_inclusive, other.low, other.low_inclusive) and _below(
            other.high, other.high_inclusive, self.low, self.low_inclusive
        )

    def __str__(self) -> str:
        if self.text:
            return self.text
        if self.is_point and self.low is not None:
            return _fmt(self.low)
        if self.high is None and self.low is not None:
            return f"{_fmt(self.low)}+" if self.low_inclusive else f">{_fmt(self.low)}"
        if self.low is None and self.high is not None:
            return f"<={_fmt(self.high)}" if self.high_inclusive else f"<{_fmt(self.high)}"
        if self.low is not None and self.high is not None:
            return f"{_fmt(self.low)}-{_fmt(self.high)}"
        return "any"


@lru_cache(maxsize=4096)
def _parse_range(raw: str) -> NumericRange | None:
    text = _UNIT_WORDS.sub("", raw.strip())
    if not text:
        return None
    m = _NUMBER.match(text)
    if m:
        x = _num(m.group(1), m.group(2))
        return NumericRange(low=x, high=x, text=raw.strip())
    m = _BETWEEN.match(text)
    if m:
        lo_suffix = m.group(2)
        if lo_suffix is None and m.group(4) and _num(m.group(1), None) < _num(m.group(3), None):
            lo_suffix = m.group(4)  # "1-5M" is 1M-5M, while "500-1M" stays 500-1,000,000
        lo = _num(m.group(1), lo_suffix)
        hi = _num(m.group(3), m.group(4))
        if lo > hi:
            return None
        return NumericRange(low=lo, high=hi, text=raw.strip())
    m = _AT_LEAST.match(text)
    if m:
        if m.group(1) is not None:
            strict = m.group(1).lower() in (">", "over", "more than", "above")
            return NumericRange(
                low=_num(m.group(2), m.group(3)), low_inclusive=not strict, text=raw.strip()
            )
        return NumericRange(low=_num(m.group(4), m.group(5)), text=raw.strip())
    m = _AT_MOST.match(text)
    if m:
        strict = m.group(1).lower() in ("<", "under", "below", "less than", "fewer than")
        return NumericRange(
            high=_num(m.group(2), m.group(3)), high_inclusive=not strict, text=raw.strip()
        )
    return None
