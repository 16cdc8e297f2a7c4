"""Dates and times written in replies: an out-of-office return date, preferred meeting days."""

from __future__ import annotations

import re
from datetime import date, timedelta

__all__ = ["parse_return_date", "preferred_days", "preferred_hours"]

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january", "januar", "janvier"),
            ("feb", "february", "februar", "février"),
            ("mar", "march", "märz", "mars"),
            ("apr", "april", "avril"),
            ("may", "mai"),
            ("jun", "june", "juni", "juin"),
            ("jul", "july", "juli", "juillet"),
            ("aug", "august", "août"),
            ("sep", "sept", "september", "septembre"),
            ("oct", "october", "oktober", "octobre"),
            ("nov", "november", "novembre"),
            ("dec", "december", "dezember", "décembre"),
        ]
    )
    for m in names
}
_WEEKDAYS = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_MONTH_RX = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_RX = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_ANCHOR = (
    r"(?:until|till|til|through|returning(?: on)?|return(?: on)?|back(?: in the office)?"
    r"(?: on| in)?|bis(?: zum)?|jusqu'au|from|after(?: the)?|on)\s+"
)
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?({_MONTH_RX})\b\.?(?:,?\s+(\d{{4}}))?", re.I
)
_MONTH_DAY = re.compile(
    rf"\b({_MONTH_RX})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I
)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\b")
_ORDINAL = re.compile(rf"{_ANCHOR}(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)\b", re.I)
_WEEKDAY = re.compile(rf"{_ANCHOR}(?:(next)\s+)?({_DAY_RX})\b", re.I)
_MONTH_ONLY = re.compile(rf"{_ANCHOR}(?:(early|mid|late|the end of)\s+)?({_MONTH_RX})\b", re.I)
_RELATIVE = re.compile(r"\b(?:until|back|returning)\s+(?:the\s+)?(next week|tomorrow)\b", re.I)
_NEW_YEAR = re.compile(r"\b(?:until|after) the new year\b|\bend of the year\b", re.I)


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _roll(found: date | None, reference: date, explicit_year: bool) -> date | None:
    """A date without a year that lies well before the reference is next year's."""
    if found is None:
        return None
    if not explicit_year and found < reference - timedelta(days=14):
        return _safe(found.year + 1, found.month, found.day)
    return found


def parse_return_date(text: str, /, *, reference: date) -> date | None:
    """The date an out-of-office reply says its writer is back, or ``None`` when none is found.

    Reads "until 12 May", "back on Monday 3 March 2026", "returning July 15", "until 18/08",
    "until 2026-11-09",
    "back on the 21st", "until next Tuesday", "back in January". ``reference`` is the day the reply
    was received; a date without a year is the next one on or after it.
    """
    year = reference.year
    for iso in _ISO.finditer(text):
        found = _safe(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if found is not None:
            return found
    for dm in _DAY_MONTH.finditer(text):
        y = int(dm.group(3)) if dm.group(3) else year
        found = _roll(
            _safe(y, _MONTHS[dm.group(2).lower()], int(dm.group(1))), reference, bool(dm.group(3))
        )
        if found is not None:
            return found
    for md in _MONTH_DAY.finditer(text):
        y = int(md.group(3)) if md.group(3) else year
        found = _roll(
            _safe(y, _MONTHS[md.group(1).lower()], int(md.group(2))), reference, bool(md.group(3))
        )
        if found is not None:
            return found
    for nm in _NUMERIC.finditer(text):
        a, b = int(nm.group(1)), int(nm.group(2))
        y = int(nm.group(3)) if nm.group(3) else year
        if y < 100:
            y += 2000
        # Day first unless that is impossible: the sample and most B2B mail is European.
        day, month = (b, a) if b > 12 and a <= 12 else (a, b)
        parsed = _roll(_safe(y, month, day), reference, bool(nm.group(3)))
        if parsed is not None:
            return parsed
    match = _ORDINAL.search(text)
    if match:
        day = int(match.group(1))
        candidate = _safe(year, reference.month, day)
        if candidate is None or candidate < reference:
            nxt = reference.replace(day=1) + timedelta(days=32)
            candidate = _safe(nxt.year, nxt.month, day)
        return candidate
    match = _WEEKDAY.search(text)
    if match:
        target = _WEEKDAYS[match.group(2).lower()]
        ahead = (target - reference.weekday()) % 7 or 7
        if match.group(1):
            ahead += 7 if ahead < 7 and reference.weekday() < target else 0
        return reference + timedelta(days=ahead)
    match = _RELATIVE.search(text)
    if match:
        days = 1 if match.group(1).lower() == "tomorrow" else 7 - reference.weekday()
        return reference + timedelta(days=days)
    match = _MONTH_ONLY.search(text)
    if match:
        month = _MONTHS[match.group(2).lower()]
        y = year + 1 if month < reference.month else year
        day = {"mid": 15, "late": 22, "the end of": 28}.get((match.group(1) or "").lower(), 1)
        return _safe(y, month, day)
    if _NEW_YEAR.search(text):
        return date(year + 1, 1, 2)
    return None


def preferred_days(text: str, /) -> list[int]:
    """Weekdays (0 = Monday) the writer proposes, in the order written, without repeats."""
    days: list[int] = []
    for match in re.finditer(rf"\b({_DAY_RX})\b", text, re.I):
        day = _WEEKDAYS[match.group(1).lower()]
        if day not in days:
            days.append(day)
    return days


def preferred_hours(text: str, /) -> list[int]:
    """Hours of day (24h) the writer proposes: "at 10am", "2pm", "10:30", "afternoon"."""
    hours: list[int] = []
    for match in re.finditer(
        r"\b(\d{1,2})(?::(\d\d))?\s?(am|pm)\b|\bat (\d{1,2})(?::\d\d)?\b", text, re.I
    ):
        if match.group(1):
            hour = int(match.group(1)) % 12 + (12 if match.group(3).lower() == "pm" else 0)
        else:
            hour = int(match.group(4))
            if hour < 8:
                hour += 12  # "at 3" in a business email means the afternoon
        if 6 <= hour <= 20 and hour not in hours:
            hours.append(hour)
    low = text.lower()
    if not hours and "afternoon" in low:
        hours.append(14)
    if not hours and "morning" in low:
        hours.append(9)
    if not hours and ("noon" in low or "lunch" in low):
        hours.append(12)
    return hours
