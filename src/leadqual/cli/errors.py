"""What the ``leadqual`` command's exit codes mean, and the one line each expected failure prints.

| code | meaning |
|---|---|
| 0 | done (rows that could not be read were reported, unless ``--strict`` was given) |
| 1 | bad input or data: a missing or unreadable file, a wrong delimiter or encoding, a mapping to a column the table does not have, a configuration that does not validate, a model file that is damaged or signed with another key, too little history to train on, a lead or audit record that does not exist, rows not read under ``--strict`` |
| 2 | usage: an unknown command or option, a missing argument, options that exclude each other |
| 70 | an internal error: a bug in leadqual (rerun with ``--traceback`` and report it) |
| 130 | interrupted (Ctrl-C) |

Every error leadqual raises on purpose (:class:`~leadqual.errors.LeadqualError`) is bad input or
data; so are the validation errors of a configuration or mapping file and the operating system's
refusals to read or write a file. They print as one line, ``leadqual: <Kind>: <message>`` (for a
file that does not validate, one more line per bad field), never as a traceback.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadqual import errors as lq

__all__ = ["ExitCode", "Failure", "describe", "field_errors", "field_path"]


class ExitCode(enum.IntEnum):
    """The exit codes of the ``leadqual`` command (see the module docs)."""

    OK = 0
    BAD_INPUT = 1
    USAGE = 2
    INTERNAL = 70
    INTERRUPTED = 130


@dataclass(frozen=True)
class Failure:
    """An expected failure as the command reports it: its exit code, a kind (the error's type
    name, stable for scripts), one line of message, and per-field details when there are any."""

    code: ExitCode
    kind: str
    message: str
    details: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The failure as the JSON object ``--json`` prints on stderr."""
        return {
            "error": self.kind,
            "message": self.message,
            "details": list(self.details),
            "exit_code": int(self.code),
        }


def field_path(loc: Sequence[Any]) -> str:
    """A pydantic error location as a path a person can find in a YAML file:
    ``("handraisers", 0, "conditions", 1, "op")`` -> ``handraisers[0].conditions[1].op``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(path, message) of each validation problem; the offending values are left out, since a
    value may be a secret or a person's data and the path already says where to look."""
    return [(field_path(e.get("loc", ())), str(e.get("msg", "invalid"))) for e in errors]


def _one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return " ".join(lines) if lines else "(no message)"


def describe(err: BaseException) -> Failure | None:
    """The failure ``err`` stands for, or ``None`` when it is unexpected (a bug).

    Examples:
        >>> describe(lq.ConfigurationError("no such file: 'x.csv'")).code
        <ExitCode.BAD_INPUT: 1>
        >>> describe(ZeroDivisionError()) is None
        True
    """
    if isinstance(err, KeyboardInterrupt):
        return Failure(ExitCode.INTERRUPTED, "Interrupted", "interrupted")
    if isinstance(err, lq.ValidationFailed) and err.errors:
        found = field_errors(err.errors)
        # The first line is the summary; the library lists the fields after it, as the details
        # below do one by one.
        return Failure(
            ExitCode.BAD_INPUT,
            type(err).__name__,
            _one_line(str(err).strip().splitlines()[0] if str(err).strip() else ""),
            tuple(f"{path}: {msg}" for path, msg in found),
        )
    if isinstance(err, lq.LeadqualError):
        return Failure(ExitCode.BAD_INPUT, type(err).__name__, _one_line(str(err)))
    # pydantic is imported here only when an error is described, so `leadqual version` does
    # not load it.
    from pydantic import ValidationError

    if isinstance(err, ValidationError):
        found = field_errors(err.errors(include_url=False, include_input=False))
        count = f"{len(found)} field{'s' if len(found) != 1 else ''}"
        return Failure(
            ExitCode.BAD_INPUT,
            "ValidationError",
            f"{err.title}: {count} not valid",
            tuple(f"{path}: {msg}" for path, msg in found),
        )
    if isinstance(err, UnicodeError):
        return Failure(
            ExitCode.BAD_INPUT,
            type(err).__name__,
            f"{_one_line(str(err))}; pass --encoding (for example cp1252 or utf-16)",
        )
    if isinstance(err, OSError):
        where = f" {err.filename!r}" if err.filename else ""
        why = err.strerror or _one_line(str(err))
        return Failure(ExitCode.BAD_INPUT, type(err).__name__, f"cannot use{where}: {why}")
    return None
