"""Numeric bands as CRMs and admins write them."""

from __future__ import annotations

import pytest

from leadqual.errors import ConfigurationError
from leadqual.icp import NumericRange


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("500+", 500, None),
        ("500 or more", 500, None),
        (">= 500", 500, None),
        ("at least 500", 500, None),
        ("501-1000", 501, 1000),
        ("501\u20131000", 501, 1000),  # an en dash
        ("1,001 to 5,000", 1001, 5000),
        ("10k+", 10_000, None),
        ("1-5M", 1_000_000, 5_000_000),
        ("500-1M", 500, 1_000_000),
        ("$1M-$5M", 1_000_000, 5_000_000),
        ("up to 200", None, 200),
        ("<50", None, 50),
        ("250", 250, 250),
        ("1000+ employees", 1000, None),
    ],
)
def test_range_parses_bands_as_written(text: str, low: float | None, high: float | None) -> None:
    r = NumericRange.parse(text)
    assert (r.low, r.high) == (low, high)


def test_range_strict_bounds_exclude_the_end() -> None:
    assert 50 not in NumericRange.parse("<50")
    assert 49 in NumericRange.parse("<50")
    assert 500 not in NumericRange.parse("more than 500")
    assert 500 in NumericRange.parse("500+")


@pytest.mark.parametrize("text", ["", "lots", "abc-def", "1000-10"])
def test_range_refuses_unreadable_bands_with_a_hint(text: str) -> None:
    with pytest.raises(ConfigurationError, match="501-1000"):
        NumericRange.parse(text)


def test_range_covers_and_overlaps() -> None:
    big = NumericRange.parse("500+")
    assert big.covers(NumericRange.parse("501-1000"))
    assert not big.covers(NumericRange.parse("100-600"))
    assert big.overlaps(NumericRange.parse("100-600"))
    assert not big.overlaps(NumericRange.parse("<500"))
    assert big.overlaps(NumericRange.parse("<=500"))


def test_range_ignores_non_numbers() -> None:
    r = NumericRange.parse("500+")
    assert True not in r
    assert float("nan") not in r
    assert "900" not in r
