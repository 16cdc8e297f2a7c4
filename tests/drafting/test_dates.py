from __future__ import annotations

from datetime import date

import pytest

from leadqual.drafting._dates import parse_return_date, preferred_days, preferred_hours

REF = date(2026, 10, 20)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I am out of the office until Monday 12 May", date(2027, 5, 12)),
        ("out of office until 4 November 2026", date(2026, 11, 4)),
        ("Currently on vacation, returning November 15.", date(2026, 11, 15)),
        ("I'm on holiday until 28/10.", date(2026, 10, 28)),
        ("Currently OOO, back 11/24.", date(2026, 11, 24)),
        ("Back on the 27th.", date(2026, 10, 27)),
        ("Back on the 3rd.", date(2026, 11, 3)),
        ("I'm away until Friday.", date(2026, 10, 23)),
        ("I'm on leave until January.", date(2027, 1, 1)),
        ("I'm away, no idea when I'm back.", None),
    ],
)
def test_parse_return_date_reads_common_forms(text: str, expected: date | None) -> None:
    assert parse_return_date(text, reference=REF) == expected


def test_preferred_days_and_hours_follow_the_writer() -> None:
    text = "Could we meet Tuesday or Wednesday afternoon, or Thursday at 10am?"
    assert preferred_days(text) == [1, 2, 3]
    assert preferred_hours(text) == [10]
    assert preferred_hours("any afternoon") == [14]
    assert preferred_hours("at 3 if possible") == [15]
