"""How the command writes: tables on screen, CSV and JSON out, notes, warnings and progress.

Results go to standard output (a table for people, ``--json`` for machines, ``--csv -``); notes,
warnings, row problems and progress bars go to standard error, so a pipe gets only the results.

Every cell shown on a terminal comes from someone's CRM, so none is trusted: control characters
(ANSI escape sequences, carriage returns, bidirectional overrides) are shown escaped, never sent
raw, and text is never read as rich markup. CSV cells that a spreadsheet would run as a formula
(``=cmd|' /C calc'!A0``, ``@SUM(...)``, ``+1+1``) are written with a leading apostrophe, the
OWASP guidance for CSV injection.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import typer

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "Advance",
    "ProgressCallback",
    "Screen",
    "json_errors",
    "json_text",
    "neutralize_cell",
    "sanitize",
    "to_jsonable",
    "write_csv",
]

json_errors: ContextVar[bool] = ContextVar("leadqual_cli_json_errors", default=False)
"""Set while a command runs with ``--json``: its failure is then printed as a JSON object."""

ProgressCallback = Callable[[int, int, str], None]
"""``(done, total, item)``, the shape of the agent's ``progress=`` callback."""


class Advance(Protocol):
    """Moves a progress bar: ``(done, total, item="")``; usable as the agent's ``progress=``
    callback. A ``total`` of ``None`` or 0 means not known yet."""

    def __call__(self, done: int, total: int | None, item: str = "", /) -> None: ...


# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional controls that
# reorder what a terminal shows ("Trojan Source").
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"[\t\n]+")
# In CSV and JSON, line breaks and tabs are data (a multi-line address) and stay; the rest of
# the controls would act on the terminal of whoever prints the file.
_FILE_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# A number or phone number written as text ("-5", "+49 30 1234567") runs nothing in a
# spreadsheet, so it keeps its sign.
_PLAIN_NUMBER = re.compile(r"[+-]?\d[\d ().,/-]*")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def sanitize(value: object, *, one_line: bool = True) -> str:
    """``value`` as text safe to print on a terminal: control characters are shown escaped
    (``\\x1b``), and with ``one_line`` tabs and line breaks become spaces.

    Examples:
        >>> sanitize("Ada\\x1b[31m Lovelace\\nCTO")
        'Ada\\\\x1b[31m Lovelace CTO'
    """
    text = "" if value is None else str(value)
    text = _CONTROL.sub(_escape, text)
    return _BREAKS.sub(" ", text) if one_line else text


def neutralize_cell(value: object) -> object:
    """``value`` as a CSV cell a spreadsheet will not run: text starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return (or their full-width forms) gets a leading ``'``,
    unless it is a plain number. Other values are returned as they are.

    Examples:
        >>> neutralize_cell("=cmd|' /C calc'!A0")
        "'=cmd|' /C calc'!A0"
        >>> neutralize_cell("+49 30 1234567"), neutralize_cell(-3)
        ('+49 30 1234567', -3)
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def to_jsonable(value: Any) -> Any:
    """``value`` with dates as ISO 8601 text, enums as their values, tuples as lists and
    ``NaN`` as ``null``, ready for :func:`json.dumps`."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "item"):  # a numpy scalar
        return to_jsonable(value.item())
    return str(value)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(data: Any) -> str:
    """``data`` as indented JSON. Letters stay as they are (UTF-8); every control character,
    including the C1 ones (``\\u009b`` starts an escape sequence on some terminals) and
    the bidirectional overrides, is written as a ``\\u`` escape, so printing the JSON on a
    terminal cannot act on it.

    Examples:
        >>> json_text({"name": "Eve\\x1b[31m\\u202eRed"})
        '{\\n  "name": "Eve\\\\u001b[31m\\\\u202eRed"\\n}'
    """
    # json.dumps escapes C0 controls itself; the others can only occur inside strings, where
    # a \\u escape means the same character.
    return _FILE_CONTROL.sub(
        _json_escape, json.dumps(to_jsonable(data), indent=2, ensure_ascii=False)
    )


def _csv_text(value: object) -> object:
    if isinstance(value, str):
        return _FILE_CONTROL.sub(_escape, value)
    if isinstance(value, list | tuple):
        return _FILE_CONTROL.sub(_escape, ";".join(str(v) for v in value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float) and value != value:
        return ""
    return value


def write_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], target: TextIO, /) -> None:
    """Write ``rows`` as CSV with a header of ``columns``: lists joined with ``;``, control
    characters but line breaks and tabs shown escaped (``\\x1b``), formulas neutralised
    (:func:`neutralize_cell`)."""
    # CRLF rows, as RFC 4180 has them: the writer then quotes a cell holding a lone CR too
    writer = csv.writer(target, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralize_cell(_csv_text(row.get(c))) for c in columns])


class Screen:
    """What one command invocation writes, and where.

    Args:
        quiet: no progress bars and no notes (results, warnings and row problems still show).
        json: results go to standard output as JSON; no table is drawn.
    """

    def __init__(self, *, quiet: bool = False, json: bool = False) -> None:
        # rich is imported when a command runs, not when the command line is built.
        from rich.console import Console

        self.quiet = quiet
        self.json = json
        json_errors.set(json)
        # Text from the CRM is never read as markup or highlighted; the consoles are made per
        # invocation so they write to the streams in force now.
        self.out: Console = Console(highlight=False, markup=False, emoji=False, soft_wrap=False)
        self.err: Console = Console(stderr=True, highlight=False, markup=False, emoji=False)
        self._warned: set[str] = set()

    # -- standard error --------------------------------------------------------------------

    def note(self, message: str) -> None:
        """An informational line on standard error (not with ``--quiet``)."""
        if not self.quiet:
            self.err.print(sanitize(message), soft_wrap=True)

    def warn(self, message: str) -> None:
        """A warning on standard error (shown with ``--quiet`` too), each text once."""
        text = sanitize(message)
        if text not in self._warned:
            self._warned.add(text)
            self.err.print(f"warning: {text}", soft_wrap=True)

    def problem(self, message: str) -> None:
        """A line about the input on standard error, always shown."""
        self.err.print(sanitize(message), soft_wrap=True)

    @contextlib.contextmanager
    def warnings_shown(self) -> Iterator[None]:
        """Show the library's warnings (an encoding guessed, leakage in training data) as
        ``warning:`` lines instead of Python's warning format."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield
            finally:
                for w in caught:
                    self.warn(str(w.message))

    @contextlib.contextmanager
    def progress(self, description: str, total: int | None = None) -> Iterator[Advance]:
        """A progress bar on standard error while the block runs; yields a ``(done, total,
        item)`` callback (the agent's ``progress=`` shape). Nothing is drawn with ``--quiet``
        or when standard error is not a terminal."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        bar = Progress(
            *columns,
            console=self.err,
            transient=True,
            disable=self.quiet or not self.err.is_terminal,
        )
        task = bar.add_task(sanitize(description), total=total)

        def advance(done: int, total: int | None, _item: str = "") -> None:
            # a total of None (or 0) is unknown: the bar shows a count and a spinner
            bar.update(task, completed=done, total=total or None)

        with bar:
            yield advance

    # -- standard output -------------------------------------------------------------------

    def print_json(self, data: Any) -> None:
        """``data`` as indented JSON on standard output (see :func:`json_text`)."""
        typer.echo(json_text(data))

    def table(
        self,
        columns: Sequence[tuple[str, str]],
        rows: Sequence[Mapping[str, Any]],
        *,
        title: str | None = None,
        limit: int | None = 50,
    ) -> None:
        """Rows as a table on standard output. ``columns`` are (key, heading); at most
        ``limit`` rows are drawn, with a line saying how many more there are."""
        from rich.table import Table
        from rich.text import Text

        if not rows:
            self.line(f"{title or 'Result'}: none")
            return
        table = Table(title=sanitize(title) if title else None, title_justify="left")
        for _key, heading in columns:
            table.add_column(heading, overflow="fold")
        shown = rows if limit is None else rows[:limit]
        for row in shown:
            table.add_row(*(Text(sanitize(_shown(row.get(key)))) for key, _ in columns))
        self.out.print(table)
        if len(rows) > len(shown):
            self.out.print(
                f"... and {len(rows) - len(shown)} more (--csv or --json writes them all)"
            )

    def line(self, text: str) -> None:
        """One line of text on standard output, sanitised."""
        from rich.text import Text

        self.out.print(Text(sanitize(text)), soft_wrap=True)


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "" if value != value else f"{value:.3g}" if abs(value) < 1 else f"{value:.0f}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def open_output(path: str) -> contextlib.AbstractContextManager[TextIO]:
    """The stream a ``--csv`` option names: standard output for ``-``, else the file (UTF-8,
    created or replaced)."""
    if path == "-":
        return contextlib.nullcontext(sys.stdout)
    return Path(path).open("w", encoding="utf-8", newline="")


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """``rows`` as CSV text (see :func:`write_csv`)."""
    buffer = io.StringIO()
    write_csv(rows, columns, buffer)
    return buffer.getvalue()
