"""Reading the cells of one column of a CRM export: text, numbers, dates, phone numbers, flags.

Each reader takes a pandas Series (a chunk of one column, of any dtype: exports read as text,
frames built in code hold numbers, datetimes, NaN or None) and returns the values as a list, with
``None`` for an empty cell, and a mapping position -> reason for the cells it could not read.
Work is vectorised where pandas can do it; what is left is read value by value.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC
from functools import lru_cache
from typing import Any, cast

import numpy as np
import pandas as pd
import phonenumbers

from leadqual._text import CONTROL_CHARACTERS, clean_cell

__all__ = [
    "DATE_FORMATS",
    "Column",
    "Read",
    "arrow_text",
    "longest_bytes",
    "date_column",
    "number_column",
    "phone_column",
    "read_bools",
    "read_dates",
    "read_numbers",
    "read_phones",
    "not_text",
    "per_distinct",
    "plain_international",
    "read_text",
    "str_series",
    "text_column",
]

Read = tuple[list[Any], dict[int, str]]
"""Values by position (``None`` when empty) and the reason for each cell that could not be read."""

Column = tuple[pd.Series, dict[int, str]]
"""A column read whole: values by position in a typed Series (missing when empty), and the
reason for each cell that could not be read. Each ``*_column`` reader gives, cell for cell, what
its ``read_*`` twin gives; the columns are read with pandas, and only the cells the twin would
treat specially are read value by value (by the twin itself)."""

_CONTROL = CONTROL_CHARACTERS
"""The control characters removed from text cells (the one list every source uses)."""
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")


def read_text(series: pd.Series, /) -> Read:
    """Cells as stripped text; control characters removed (C0 but tab and line breaks, DEL,
    and C1, U+0080-U+009F), blank cells ``None``.

    Text is kept as written: a formula such as ``=HYPERLINK(...)`` stays a plain string (nothing
    here evaluates it), and numbers in a text column (``00123``) keep their leading zeros.
    A bytes cell (text in an unknown encoding) and a string holding a lone surrogate (not
    Unicode) are not read: each is ``None`` with its reason.
    """
    if pd.api.types.is_float_dtype(series.dtype) or pd.api.types.is_integer_dtype(series.dtype):
        return [_number_text(v) for v in series.tolist()], {}
    if _plain_text(series):
        # The common case (a CSV read as text): pandas' string methods, no Python loop per cell.
        return [v if isinstance(v, str) and v else None for v in _cleaned(series).tolist()], {}
    values = series.tolist()
    out: list[Any] = []
    unread: dict[int, str] = {}
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
            out.append(None)
            continue
        why = not_text(v)
        if why is not None:
            out.append(None)
            unread[i] = why
            continue
        text = v if isinstance(v, str) else (_number_text(v) or "") if _is_number(v) else str(v)
        out.append(clean_cell(text) or None)
    return out, unread


def _plain_text(series: pd.Series) -> bool:
    """Whether a column holds only text (or nothing) that pandas' string methods can clean."""
    return (
        pd.api.types.is_string_dtype(series.dtype)
        and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")
        and _all_unicode(series)
    )


def _cleaned(series: pd.Series) -> pd.Series:
    """Text cells with control characters removed and stripped (missing stays missing)."""
    cells = series
    if (
        _may_hold_controls(cells)
        and cells.str.contains(_CONTROL.pattern, regex=True, na=False).any()
    ):
        cells = cells.str.replace(_CONTROL.pattern, "", regex=True)
    return cells.str.strip()


def _may_hold_controls(series: pd.Series) -> bool:
    """Whether an Arrow-backed text column may hold a control character, from its UTF-8 bytes
    (numpy, no regex): C0 controls and DEL are single bytes no other character uses, and a C1
    control is ``0xC2`` then ``0x80``-``0x9F``. ``True`` (ask the regex) when the bytes are not
    at hand."""
    return _controls_in(getattr(series.array, "_pa_array", None))


def _controls_in(arrow: Any) -> bool:
    """:func:`_may_hold_controls` of Arrow strings."""
    if arrow is None or not hasattr(arrow, "chunks"):
        return True
    for chunk in arrow.chunks:
        if len(chunk) == 0:
            continue
        buffers = chunk.buffers()
        if len(buffers) < 3 or buffers[1] is None or buffers[2] is None:
            return True
        width = np.int64 if "large" in str(chunk.type) else np.int32
        offsets = np.frombuffer(buffers[1], dtype=width)
        data = np.frombuffer(buffers[2], dtype=np.uint8)
        data = data[int(offsets[chunk.offset]) : int(offsets[chunk.offset + len(chunk)])]
        c0 = (data < 0x20) & (data != 0x09) & (data != 0x0A) & (data != 0x0D)
        if c0.any() or (data == 0x7F).any():
            return True
        lead = np.flatnonzero(data[:-1] == 0xC2)
        if len(lead) and ((data[lead + 1] >= 0x80) & (data[lead + 1] <= 0x9F)).any():
            return True
    return False


def text_column(series: pd.Series, /) -> Column:
    """:func:`read_text` as a column of dtype ``str`` (``NaN`` when empty)."""
    arrow = arrow_text(series)
    if arrow is not None:
        return str_series(_cleaned_arrow(arrow)), {}
    if _plain_text(series):
        cells = _cleaned(series)
        out = cells.where(cells != "").astype("str")
        return out.reset_index(drop=True), {}
    values, unread = read_text(series)
    return pd.Series(values, dtype="str"), unread


_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def arrow_text(series: pd.Series, /) -> Any:
    """The Arrow strings (a ``pyarrow.ChunkedArray``) behind a column of dtype ``str``, or
    ``None`` for any other column."""
    if series.dtype != _STR:
        return None
    return getattr(series.array, "_pa_array", None)


def str_series(cells: Any, /) -> pd.Series:
    """A column of dtype ``str`` over Arrow strings (no copy)."""
    return pd.Series(cast(Any, _STR).__from_arrow__(cells))


def _cleaned_arrow(cells: Any) -> Any:
    """:func:`_cleaned` on Arrow strings, empty cells made missing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if _controls_in(cells):
        cells = pc.replace_substring_regex(cells, _CONTROL.pattern, "")
    padded, empty = _edges(cells)
    if padded:
        cells = pc.utf8_trim_whitespace(cells)
    if padded or empty:
        cells = pc.if_else(pc.equal(cells, ""), pa.scalar(None, cells.type), cells)
    return cells


_EDGE_BYTES = np.zeros(256, dtype=bool)
_EDGE_BYTES[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = True
_EDGE_BYTES[0x80:] = True  # a multi-byte character may be Unicode whitespace: look closer
"""Bytes a cell stripped of whitespace may not start or end with."""


def _edges(cells: Any) -> tuple[bool, bool]:
    """Whether some Arrow string may have whitespace around it (from its first and last bytes),
    and whether some is empty; ``(True, True)`` when the bytes are not at hand."""
    padded = empty = False
    for chunk in getattr(cells, "chunks", [None]):
        if chunk is None:
            return True, True
        if len(chunk) == 0:
            continue
        buffers = chunk.buffers()
        if len(buffers) < 3 or buffers[1] is None:
            return True, True
        width = np.int64 if "large" in str(chunk.type) else np.int32
        offsets = np.frombuffer(buffers[1], dtype=width)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ]
        starts: np.ndarray[Any, Any] = offsets[:-1]
        ends: np.ndarray[Any, Any] = offsets[1:]
        full: np.ndarray[Any, Any] = ends > starts
        if chunk.null_count:
            full &= np.asarray(chunk.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        empty = empty or bool((~full).any())
        if buffers[2] is None or not full.any():
            continue
        data = np.frombuffer(buffers[2], dtype=np.uint8)
        if _EDGE_BYTES[data[starts[full]]].any() or _EDGE_BYTES[data[ends[full] - 1]].any():
            padded = True
        if padded and empty:
            break
    return padded, empty


def longest_bytes(series: pd.Series, /) -> int:
    """An upper bound of the longest cell's length in characters: its length in UTF-8 bytes
    for Arrow strings (from their offsets), else the longest cell's length."""
    arrow = arrow_text(series)
    if arrow is None or not hasattr(arrow, "chunks"):
        lengths = series.str.len()
        return int(lengths.max()) if lengths.notna().any() else 0
    longest = 0
    for chunk in arrow.chunks:
        if len(chunk) == 0:
            continue
        width = np.int64 if "large" in str(chunk.type) else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)
        offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
        longest = max(longest, int(np.diff(offsets).max()))
    return longest


def per_distinct(
    series: pd.Series,
    read: Callable[[pd.Series, np.ndarray[Any, Any]], Column],
    /,
    *,
    also: np.ndarray[Any, Any] | None = None,
) -> Column:
    """``read(cells, rows)`` of a column called once per distinct cell (and distinct ``also``
    code, when given: a row's region for its phone number), its values and reasons spread back
    to every row. ``rows`` are the positions the distinct cells were taken from. A reader whose
    values depend on nothing but the cell (and ``also``) gives what it gives on the whole column;
    exports repeat their amounts, counts and phone numbers, so this reads far fewer cells."""
    n = len(series)
    if n < 64:
        return read(series.reset_index(drop=True), np.arange(n))
    codes, _ = pd.factorize(series, use_na_sentinel=True)
    keys = codes.astype(np.int64)
    if also is not None:
        keys = keys * (int(also.max(initial=0)) + 2) + also + 1
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    if 2 * len(first) > n:
        return read(series.reset_index(drop=True), np.arange(n))
    values, errors = read(series.iloc[first].reset_index(drop=True), first)
    out = values.take(inverse).reset_index(drop=True)
    if not errors:
        return out, {}
    bad = np.fromiter(errors, dtype=np.int64, count=len(errors))
    reasons = [errors[int(j)] for j in inverse[np.isin(inverse, bad)].tolist()]
    at = np.flatnonzero(np.isin(inverse, bad)).tolist()
    return out, dict(zip(at, reasons, strict=True))


def _all_unicode(series: pd.Series) -> bool:
    """Whether a column of strings encodes as UTF-8: one pass in C; only a column of Python
    strings (object dtype) can hold a lone surrogate."""
    if series.dtype != object:
        return True
    try:
        "".join(series.dropna().tolist()).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def not_text(value: Any) -> str | None:
    """Why a cell cannot be read as text, or ``None`` when it can."""
    if isinstance(value, bytes | bytearray):
        return f"bytes ({bytes(value)!r:.40}), not text: decode the column before loading it"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text that is not valid Unicode (a lone surrogate)"
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _number_text(value: Any) -> str | None:
    """A number held in a text field (an id or postal code a frame holds as a number)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


# -- numbers --------------------------------------------------------------------------------------

_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
_SCALE = {"k": 1e3, "tsd": 1e3, "m": 1e6, "mm": 1e6, "mio": 1e6, "bn": 1e9, "b": 1e9, "mrd": 1e9}
_NUMBER = re.compile(
    r"^(?P<sign>[-+])?(?P<num>[\d.,' \u00a0\u202f]*\d[\d.,' \u00a0\u202f]*)\s*(?P<scale>[a-z]+)?$"
)
_CURRENCY = re.compile(
    r"^(?:[$€£¥]|usd|eur|gbp|chf|cad|aud)\s*|\s*(?:[$€£¥]|usd|eur|gbp|chf|cad|aud)$"
)


def _parse_number(text: str) -> float | None:
    """One number as people and spreadsheets write it: ``1,200``, ``1.200``, ``1.2E+05``,
    ``$1.5M``, ``12,5``, ``1'200``; ``None`` when it is not a number."""
    t = _CURRENCY.sub("", text.strip().lower()).strip()
    m = _NUMBER.match(t)
    if not m:
        return None
    scale = 1.0
    if m["scale"]:
        if m["scale"] not in _SCALE:
            return None
        scale = _SCALE[m["scale"]]
    num = re.sub(r"[' \u00a0\u202f]", "", m["num"])
    if "," in num and "." in num:
        decimal = "," if num.rfind(",") > num.rfind(".") else "."
        num = num.replace("." if decimal == "," else ",", "").replace(",", ".")
    elif "," in num:
        num = (
            num.replace(",", "")
            if re.fullmatch(r"\d{1,3}(,\d{3})+", num)
            else num.replace(",", ".")
        )
    elif re.fullmatch(r"\d{1,3}(\.\d{3}){2,}", num):
        num = num.replace(".", "")  # 1.200.000: only thousands separators
    try:
        value = float(num) * scale
    except ValueError:
        return None
    return -value if m["sign"] == "-" else value


def read_numbers(series: pd.Series, /, *, integer: bool) -> Read:
    """Cells as numbers (``int`` when ``integer``); negative values and, for ``integer``,
    fractions are refused. Excel's scientific notation (``1.2E+05``) is read as the number."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        floats = series.astype("float64").to_numpy()
        raw: list[Any] = list(floats)
    else:
        raw = series.tolist()
        try:
            coerced = pd.to_numeric(series, errors="coerce")
        except OverflowError:  # an integer no float holds: read as its text, then refused
            coerced = pd.to_numeric(
                series.map(lambda v: str(v) if isinstance(v, int) else v), errors="coerce"
            )
        floats = coerced.astype("float64").to_numpy()
    values: list[Any] = []
    errors: dict[int, str] = {}
    for i, number in enumerate(floats):
        if math.isnan(number):
            cell = raw[i]
            if cell is None or (isinstance(cell, float) and math.isnan(cell)) or cell is pd.NA:
                values.append(None)
                continue
            text = str(cell).strip()
            if not text:
                values.append(None)
                continue
            parsed = _parse_number(text)
            if parsed is None:
                values.append(None)
                errors[i] = "not a number"
                continue
            number = np.float64(parsed)
        if not math.isfinite(number) or number < 0:
            values.append(None)
            errors[i] = "not a count or amount (negative or infinite)"
        elif (
            integer and not float(number).is_integer() and _THOUSANDS.fullmatch(str(raw[i]).strip())
        ):
            whole = int(str(raw[i]).strip().replace(".", ""))  # 1.200: German thousands
            _whole(whole, i, values, errors)
        elif integer and not float(number).is_integer():
            values.append(None)
            errors[i] = "not a whole number"
        elif integer:
            _whole(int(number), i, values, errors)
        else:
            values.append(float(number))
    return values, errors


_MAX_WHOLE = 2**63 - 1


def _whole(value: int, i: int, values: list[Any], errors: dict[int, str]) -> None:
    if value > _MAX_WHOLE:
        values.append(None)
        errors[i] = "a whole number too large to store (above 2**63 - 1)"
    else:
        values.append(value)


def number_column(series: pd.Series, /, *, integer: bool) -> Column:
    """:func:`read_numbers` as a column: ``Int64`` when ``integer``, else ``float64``.

    Cells pandas reads as a plain number (``12``, ``00123``, ``1.2E+05``) are taken as it reads
    them; the others (``1,200``, ``$1.5M``, negative, fractional counts, words) are read by
    :func:`read_numbers`.
    """
    n = len(series)
    odd: np.ndarray[Any, Any]
    floats: np.ndarray[Any, Any]
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        floats, odd = np.full(n, np.nan), np.ones(n, dtype=bool)
    else:
        try:
            coerced = pd.to_numeric(series, errors="coerce")
        except (OverflowError, TypeError, ValueError):
            coerced = pd.Series(np.full(n, np.nan))
        floats = coerced.astype("float64").to_numpy(na_value=np.nan)
        with np.errstate(invalid="ignore"):
            odd = (
                np.isnan(floats)
                | ~np.isfinite(floats)
                | (floats < 0)
                | (integer & ((floats != np.floor(floats)) | (floats > 2.0**62)))
            )
        odd &= series.notna().to_numpy()
    at = np.flatnonzero(odd)
    values, errors = read_numbers(series.iloc[at].reset_index(drop=True), integer=integer)
    if integer:
        whole = np.where(odd | np.isnan(floats), 0, floats).astype(np.int64)
        mask = np.isnan(floats) | odd
        for j, v in enumerate(values):
            if v is not None:
                whole[at[j]] = v
                mask[at[j]] = False
        out = pd.Series(pd.arrays.IntegerArray(whole, mask))
    else:
        floats = np.where(odd, np.nan, floats)
        for j, v in enumerate(values):
            if v is not None:
                floats[at[j]] = v
        out = pd.Series(floats)
    return out, {int(at[j]): reason for j, reason in errors.items()}


# -- dates ----------------------------------------------------------------------------------------

DATE_FORMATS: tuple[str, ...] = (
    "%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    "%m/%d/%y %H:%M", "%m/%d/%y", "%m-%d-%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%d.%m.%y", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d", "%Y.%m.%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y",
    "%B %d, %Y", "%d-%b-%Y", "%Y%m%d",
)  # fmt: skip
"""Formats tried after ISO 8601 and the mapping's own, in order. Slash and dash dates are read
month first (US, as Salesforce and HubSpot write them in the US); ``dayfirst`` swaps them."""

_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2}|\b(?:UTC|GMT))$", re.IGNORECASE)
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _dayfirst(fmt: str) -> str:
    return fmt.replace("%m/%d", "%d/%m").replace("%m-%d", "%d-%m")


def read_dates(
    series: pd.Series, /, *, formats: Sequence[str], dayfirst: bool, timezone: str
) -> Read:
    """Cells as aware UTC datetimes. A cell without an offset is read in ``timezone``.

    Tried in order, each on the cells still unread: ``formats``; ISO 8601; Excel serial day
    numbers (``45352``); :data:`DATE_FORMATS`; then pandas' per-value parser. A column may mix
    formats: each cell is read by the first that fits.
    """
    stamps, errors = date_column(series, formats=formats, dayfirst=dayfirst, timezone=timezone)
    return _as_datetimes(stamps), errors


def date_column(
    series: pd.Series, /, *, formats: Sequence[str], dayfirst: bool, timezone: str
) -> Column:
    """:func:`read_dates` as a column of dtype ``datetime64[us, UTC]`` (``NaT`` when empty)."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return _in_calendar(series.dt.tz_convert("UTC").reset_index(drop=True), {})
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return _in_calendar(_localize(series.reset_index(drop=True), timezone), {})
    text, _ = text_column(series)
    present = text.notna()
    # microseconds, as pandas parses: years 1 to 9999 (a "9999-12-31" placeholder) fit, where
    # nanoseconds end in 2262 and pandas fails while it assigns a later date
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    todo = present.copy()
    if not todo.any():
        return _in_calendar(parsed, {})
    if not formats:
        done = _common_dates(text, parsed, dayfirst=dayfirst, timezone=timezone)
        todo &= ~done
        if not todo.any():
            return _in_calendar(parsed, {})
    has_offset = text.where(todo, "").str.contains(_OFFSET)

    def attempt(fmt: str | None, mask: pd.Series, *, mixed: bool = False) -> None:
        # cells with an offset and cells without go apart: one call cannot hold both, and
        # offset cells are read in UTC (several offsets in one call are refused otherwise)
        for part in (mask & has_offset, mask & ~has_offset):
            if not part.any():
                continue
            cells = text[part]
            utc = bool(has_offset[part].iloc[0])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pandas warns about formats it guesses
                if mixed:
                    got = pd.to_datetime(
                        cells, format="mixed", dayfirst=dayfirst, errors="coerce", utc=utc
                    )
                else:
                    got = pd.to_datetime(cells, format=fmt, errors="coerce", utc=utc)
            if getattr(got.dtype, "tz", None) is None:
                got = _localize(got, timezone)
            else:
                got = got.dt.tz_convert("UTC")
            ok = got.notna()
            parsed.loc[ok[ok].index] = _microseconds(got[ok])
            todo.loc[ok[ok].index] = False

    own = [_dayfirst(f) if dayfirst else f for f in formats]
    for fmt in own:
        attempt(fmt, todo)
    # ISO strings with and without offsets apart: one call cannot hold both.
    attempt("ISO8601", todo & has_offset)
    attempt("ISO8601", todo & ~has_offset)
    serial = todo & text.where(present, "").str.match(_SERIAL)
    if serial.any():
        days = pd.to_numeric(text[serial], errors="coerce")
        stamps = _localize(_EXCEL_EPOCH + pd.to_timedelta(days, unit="D"), timezone)
        parsed.loc[serial[serial].index] = _microseconds(stamps)
        todo &= ~serial
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        attempt(_dayfirst(fmt) if dayfirst else fmt, todo & ~has_offset)
    attempt(None, todo, mixed=True)
    errors = {int(i): "not a date" for i in todo[todo].index}
    return _in_calendar(parsed, errors)


_DAY = r"(?:0?[1-9]|1[0-9]|2[0-8])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"[1-9][0-9]{3}"
_CLOCK12 = r"(?:0?[1-9]|1[0-2]):[0-5][0-9]"
_CLOCK24 = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
_ISO_DAY = rf"{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
_COMMON_DATES: tuple[tuple[str, str, bool, bool], ...] = (
    # (cells matching this, read with this strptime format, in UTC (else in the mapping's
    # zone), a format whose day and month dayfirst swaps)
    (rf"^{_ISO_DAY}$", "%Y-%m-%d", False, False),
    (rf"^{_ISO_DAY}T{_CLOCK24}:[0-5][0-9]$", "%Y-%m-%dT%H:%M:%S", False, False),
    (rf"^{_ISO_DAY} {_CLOCK24}:[0-5][0-9]$", "%Y-%m-%d %H:%M:%S", False, False),
    (rf"^{_ISO_DAY}T{_CLOCK24}:[0-5][0-9]Z$", "%Y-%m-%dT%H:%M:%SZ", True, False),
    (rf"^{_ISO_DAY} {_CLOCK24}$", "%Y-%m-%d %H:%M", False, False),
    (rf"^{_MONTH}/{_DAY}/{_YEAR} {_CLOCK12} (?:AM|PM|am|pm)$", "%m/%d/%Y %I:%M %p", False, True),
    (
        rf"^{_MONTH}/{_DAY}/{_YEAR} {_CLOCK12}:[0-5][0-9] (?:AM|PM|am|pm)$",
        "%m/%d/%Y %I:%M:%S %p",
        False,
        True,
    ),
    (rf"^{_MONTH}/{_DAY}/{_YEAR} {_CLOCK24}$", "%m/%d/%Y %H:%M", False, True),
    (rf"^{_MONTH}/{_DAY}/{_YEAR}$", "%m/%d/%Y", False, True),
    (rf"^{_DAY}\.{_MONTH}\.{_YEAR}$", "%d.%m.%Y", False, False),
    (rf"^{_DAY}\.{_MONTH}\.{_YEAR} {_CLOCK24}$", "%d.%m.%Y %H:%M", False, False),
)
"""Shapes of dates most exports write, each read in C with Arrow's ``strptime``: a cell of
such a shape is read by the first step of :func:`date_column`'s chain that reads it (ISO 8601
or a :data:`DATE_FORMATS` entry) and to the same instant, so reading it here changes nothing.
Days above 28 are left to the chain: Arrow's ``strptime`` takes 30 February for 2 March."""


def _common_dates(
    text: pd.Series, parsed: pd.Series, *, dayfirst: bool, timezone: str
) -> np.ndarray[Any, Any]:
    """Read the cells of :data:`_COMMON_DATES`' shapes into ``parsed``; which were read."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.array(text.array, type=pa.string()) if len(text) else pa.array([], pa.string())
    done = np.zeros(len(text), dtype=bool)
    left = np.flatnonzero(text.notna().to_numpy())
    sample = text.iloc[left[:20]].tolist()
    shapes = sorted(  # the shapes the first cells have first: most columns have one
        _COMMON_DATES, key=lambda s: -sum(1 for v in sample if re.match(s[0], v))
    )
    for pattern, fmt, utc, swaps in shapes:
        if not len(left):
            break
        if dayfirst and swaps:
            pattern = pattern.replace(f"^{_MONTH}/{_DAY}/", f"^{_DAY}/{_MONTH}/")
            fmt = _dayfirst(fmt)
        part = cells.take(pa.array(left))
        match = pc.match_substring_regex(part, pattern).to_numpy(zero_copy_only=False)
        if not match.any():
            continue
        at = left[match]
        got = pc.strptime(part.filter(pa.array(match)), format=fmt, unit="us", error_is_null=True)
        ok = ~np.asarray(got.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        stamps = pd.Series(got.filter(pa.array(ok)).to_numpy(zero_copy_only=False))
        stamps = stamps.dt.tz_localize("UTC") if utc else _localize(stamps, timezone)
        parsed.iloc[at[ok]] = stamps.array
        done[at[ok]] = True
        left = left[~match]  # the shapes exclude each other: the others are the chain's
    return done


def _microseconds(stamps: pd.Series) -> pd.Series:
    """Stamps at microsecond resolution (a Python datetime's), nanoseconds rounded away:
    pandas refuses to put ``...06.364994394`` into a microsecond column as it is."""
    if stamps.dtype == "datetime64[ns, UTC]":
        rounded: pd.Series = stamps.dt.round("us").astype("datetime64[us, UTC]")
        return rounded
    return stamps


_FIRST = pd.Timestamp("0001-01-01", tz="UTC")
_LAST = pd.Timestamp("9999-12-31 23:59:59.999999", tz="UTC")


def _in_calendar(stamps: pd.Series, errors: dict[int, str]) -> Column:
    """The stamps in UTC at microseconds; one that leaves the years 1 to 9999 once in UTC (a
    ``9999-12-31`` placeholder written at -05:00) is reported, not read."""
    outside = stamps.notna() & ((stamps < _FIRST) | (stamps > _LAST))
    if outside.any():
        stamps = stamps.where(~outside)
        for i in np.flatnonzero(outside.to_numpy()).tolist():
            errors[i] = "a date outside the years 1 to 9999 once read in UTC"
    naive = stamps.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return pd.Series(naive).dt.tz_localize("UTC"), errors


def _localize(stamps: pd.Series, timezone: str) -> pd.Series:
    if stamps.dt.tz is not None:
        return stamps.dt.tz_convert("UTC")  # type: ignore[no-any-return]
    local = stamps.dt.tz_localize(
        timezone,
        # In the hour a clock goes back, read the earlier time; in the hour it skips, move on.
        ambiguous=np.ones(len(stamps), dtype=bool),
        nonexistent="shift_forward",
    )
    return local.dt.tz_convert("UTC")  # type: ignore[no-any-return]


def _as_datetimes(stamps: pd.Series) -> list[Any]:
    """Aware UTC datetimes with ``datetime.UTC`` as their zone (cheap for the model to check)."""
    naive = stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return [None if v is None else v.replace(tzinfo=UTC) for v in naive.astype(object).tolist()]


# -- phone numbers --------------------------------------------------------------------------------

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SEPARATORS = re.compile(r"[\s().\-/\u00a0]")


@lru_cache(maxsize=65536)
def _phone(text: str, region: str | None) -> str:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(number):
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def read_phones(series: pd.Series, /, *, regions: Sequence[str | None], normalize: bool) -> Read:
    """Phone numbers, in E.164 (``+493012345678``) when ``normalize`` and the number can be read
    with its row's region, as written otherwise (a CRM holds numbers no library can read).

    A number Excel turned into scientific notation (``4.93012E+11``) is refused when digits
    were lost, and restored when they were not.
    """
    values, _ = read_text(series)
    errors: dict[int, str] = {}
    for i, text in enumerate(values):
        if text is None:
            continue
        if _SCIENTIFIC.match(text):
            mantissa, _, exponent = text.upper().replace(",", ".").partition("E")
            fraction = mantissa.partition(".")[2]
            if int(exponent) > len(fraction):
                values[i] = None
                errors[i] = f"Excel turned this number into {text}: digits are lost"
                continue
            text = str(round(float(mantissa) * 10 ** int(exponent)))
            values[i] = text
        if not normalize:
            continue
        if text.startswith("+"):
            # Written in international form: only the separators go (no parsing needed).
            bare = "+" + _SEPARATORS.sub("", text[1:])
            if _E164.match(bare):
                values[i] = bare
                continue
        values[i] = _phone(text, regions[i])
    return values, errors


_PLAIN_INTERNATIONAL = "\\+[0-9 \t\n\r\f\v().\\-/\u00a0]+"
"""A number in international form: ``+``, ASCII digits and separators only (literal characters,
so pandas' regex engines agree on it)."""
_PLAIN_E164 = r"\+[1-9][0-9]{6,14}"
_PLAIN_INTERNATIONAL_CELL = "^[ \t]*\\+[1-9](?:[ \t().\\-/\u00a0]*[0-9]){6,14}[ \t().\\-/\u00a0]*$"
"""A raw cell :func:`phone_column` reads as ``+`` and its 7 to 15 digits without parsing it
(so without its row's region)."""


def plain_international(series: pd.Series, /) -> np.ndarray[Any, Any]:
    """Which cells of a raw column are phone numbers in plain international form (``+1 425
    555 0100``), read alike whatever the row's region; ``False`` for any other cell, and for
    every cell of a column not of Arrow strings."""
    arrow = arrow_text(series)
    if arrow is None:
        return np.zeros(len(series), dtype=bool)
    import pyarrow.compute as pc

    found = pc.match_substring_regex(arrow, _PLAIN_INTERNATIONAL_CELL)
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


_NOT_DIGITS = str.maketrans(dict.fromkeys(" \t\n\r\f\v().-/\u00a0"))
"""The separators a number in international form may hold (all but its digits and ``+``)."""


def phone_column(series: pd.Series, /, *, regions: Sequence[str | None], normalize: bool) -> Column:
    """:func:`read_phones` as a column of dtype ``str``: numbers written in international form
    with ASCII digits and separators are normalised with pandas; the others are read by
    :func:`read_phones` (each distinct number parsed once)."""
    text, _ = text_column(series)
    present = text.notna().to_numpy()
    out = text.copy()
    if normalize and present.any():
        plain = text.str.fullmatch(_PLAIN_INTERNATIONAL).fillna(False).to_numpy(dtype=bool)
        at_plain = np.flatnonzero(plain)
        # in such a cell every character but the digits is a separator
        bare = pd.Series(
            ["+" + v[1:].translate(_NOT_DIGITS) for v in text.iloc[at_plain].tolist()],
            dtype="str",
        )
        good = bare.str.fullmatch(_PLAIN_E164).fillna(False).to_numpy(dtype=bool)
        done = np.zeros(len(text), dtype=bool)
        done[at_plain[good]] = True
        out.iloc[at_plain[good]] = bare[good].to_numpy()
        rest = present & ~done
    else:
        rest = present & text.str.contains("[eE]").fillna(False).to_numpy(dtype=bool)
    at = np.flatnonzero(rest)
    if not len(at):
        return out, {}
    values, errors = read_phones(
        pd.Series(text.iloc[at].tolist(), dtype=object),
        regions=[regions[i] for i in at.tolist()],
        normalize=normalize,
    )
    out.iloc[at] = pd.Series(values, dtype="str").to_numpy()
    return out, {int(at[j]): reason for j, reason in errors.items()}


# -- flags ----------------------------------------------------------------------------------------

_TRUE = frozenset({"true", "yes", "y", "1", "x", "ja", "oui", "si", "sí", "wahr", "vrai"})
_FALSE = frozenset({"false", "no", "n", "0", "nein", "non", "falsch", "faux"})


def read_bools(series: pd.Series, /) -> Read:
    """Cells as booleans: true/false, yes/no, 1/0 and their German, French and Spanish words."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return [bool(v) for v in series.tolist()], {}
    values, _ = read_text(series)
    errors: dict[int, str] = {}
    for i, text in enumerate(values):
        if text is None:
            continue
        key = text.casefold()
        if key in _TRUE:
            values[i] = True
        elif key in _FALSE:
            values[i] = False
        else:
            values[i] = None
            errors[i] = "not yes or no"
    return values, errors
