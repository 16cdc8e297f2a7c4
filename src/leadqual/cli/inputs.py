"""What the commands read: an export's leads (with the report of rows not read), a configuration,
a column mapping, an insight store, a model and its signing key.

The library is imported inside each function, so building the command line (and running
``leadqual version``) loads none of pandas, scikit-learn or SQLAlchemy.
"""

from __future__ import annotations

import codecs
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadqual.cli.output import Screen, open_output, write_csv
from leadqual.errors import ConfigurationError, ValidationFailed

if TYPE_CHECKING:
    from leadqual.config import AgentConfig
    from leadqual.models import Lead
    from leadqual.sources.tabular import LeadMapping, LoadResult
    from leadqual.store import InsightStore

__all__ = [
    "KEY_ENV",
    "Delimiter",
    "Encoding",
    "JsonFlag",
    "KeyFile",
    "MappingFile",
    "Now",
    "Preset",
    "ProblemsFile",
    "Quiet",
    "Strict",
    "TableRead",
    "load_config",
    "load_model",
    "open_store",
    "parse_now",
    "read_leads",
    "signing_key",
]

KEY_ENV = "LEADQUAL_MODEL_KEY"
"""The environment variable that may hold a model signing key (read when a command runs)."""

_SHOWN_PROBLEMS = 20

# -- options shared by the commands -------------------------------------------------------------

Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bars and no notes on stderr.")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
Strict = Annotated[
    bool,
    typer.Option("--strict", help="Exit with code 1 when any row of the file cannot be read."),
]
Preset = Annotated[
    str | None,
    typer.Option(
        "--preset",
        help="Read the file as a known export: dynamics365, salesforce, salesforce_report, "
        "hubspot (default: guessed from the header).",
    ),
]
MappingFile = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help="A YAML or JSON file holding a LeadMapping (columns, status values, date formats).",
    ),
]
Delimiter = Annotated[
    str | None,
    typer.Option("--delimiter", help="The CSV delimiter (default: detected)."),
]
Encoding = Annotated[
    str | None,
    typer.Option("--encoding", help="The CSV encoding, e.g. cp1252 (default: detected)."),
]
Now = Annotated[
    str | None,
    typer.Option(
        "--now",
        help="The reference time, ISO 8601 (2025-06-30 or 2025-06-30T09:00:00+02:00; UTC when "
        "no offset is given). Default: the current time.",
    ),
]
ProblemsFile = Annotated[
    str | None,
    typer.Option(
        "--problems",
        help="Write every row problem (row, column, value, reason, skipped) to this CSV file.",
    ),
]
KeyFile = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help=f"The file holding the model signing key (default: the {KEY_ENV} environment "
        "variable).",
    ),
]


@dataclass(frozen=True)
class TableRead:
    """How to read an export: the options the table-reading commands share.

    Raises:
        typer.BadParameter: a delimiter that is not one character, or an encoding Python does
            not know or that does not decode to text (usage errors, found before the file is
            opened).
    """

    preset: str | None = None
    mapping: Path | None = None
    delimiter: str | None = None
    encoding: str | None = None
    problems: str | None = None
    strict: bool = False

    def __post_init__(self) -> None:
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise typer.BadParameter(
                f"a delimiter is one character, not {self.delimiter!r} (for a tab, pass "
                "$'\\t' in bash)",
                param_hint="'--delimiter'",
            )
        if self.encoding is not None:
            try:
                text = getattr(codecs.lookup(self.encoding), "_is_text_encoding", True)
                problem = "" if text else f"{self.encoding[:60]!r} is not a text encoding"
            except (LookupError, ValueError):  # ValueError: a NUL in the name
                problem = f"unknown encoding {self.encoding[:60]!r}"
            if problem:
                raise typer.BadParameter(
                    f"{problem}; try utf-8, cp1252, latin-1 or utf-16", param_hint="'--encoding'"
                )


# -- parsing ------------------------------------------------------------------------------------


def parse_now(value: str | None) -> datetime | None:
    """``--now`` as a UTC datetime (``None`` when not given).

    Raises:
        typer.BadParameter: not an ISO 8601 date or time (a usage error).
    """
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 date or time (e.g. 2025-06-30T09:00:00Z)",
            param_hint="'--now'",
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def load_config(path: Path) -> AgentConfig:
    """The :class:`~leadqual.config.AgentConfig` in a YAML or JSON file.

    Raises:
        ConfigurationError: the file cannot be read or parsed.
        ValidationFailed: it does not validate; ``errors`` holds each bad field.
    """
    from leadqual.config import AgentConfig, load_mapping

    data = load_mapping(path)
    try:
        return AgentConfig.model_validate(data)
    except ValidationFailed as err:
        raise _invalid(path, "AgentConfig", err) from None


def _invalid(path: Path, what: str, err: ValidationFailed) -> ValidationFailed:
    # The library's message lists the problems too; here the file is named and the problems
    # are left to the per-field lines the command prints.
    count = f"{len(err.errors)} field{'s' if len(err.errors) != 1 else ''}"
    return ValidationFailed(
        f"{path} is not a valid {what}: {count} to fix", field=err.field, errors=err.errors
    )


def _lead_mapping(read: TableRead) -> LeadMapping | str | None:
    if read.preset is not None and read.mapping is not None:
        raise typer.BadParameter("give --preset or --mapping, not both", param_hint="'--mapping'")
    if read.mapping is None:
        return read.preset
    from leadqual.config import load_mapping
    from leadqual.sources.tabular import LeadMapping

    data = load_mapping(read.mapping)
    try:
        return LeadMapping.model_validate(data)
    except ValidationFailed as err:
        raise _invalid(read.mapping, "LeadMapping", err) from None


def read_leads(
    screen: Screen,
    path: Path,
    read: TableRead,
    /,
    *,
    now: datetime | None = None,
    mapping: LeadMapping | None = None,
) -> LoadResult[Lead]:
    """The leads of a CSV or Parquet export, streamed batch by batch with a progress count, and
    every row that could not be read reported on stderr (and to ``--problems``).

    Raises:
        ConfigurationError: no such file, a mapping naming a missing column, a bad preset.
        ValidationFailed: an empty or binary file, a wrong delimiter; with ``--strict``, rows
            that could not be read.
    """
    from leadqual.sources.tabular import LoadResult, iter_lead_batches

    how = mapping if mapping is not None else _lead_mapping(read)
    parts = []
    rows = 0
    with screen.progress(f"Reading {path.name}") as advance:
        for part in iter_lead_batches(
            path, mapping=how, delimiter=read.delimiter, encoding=read.encoding, now=now
        ):
            parts.append(part)
            rows += part.rows
            advance(rows, None)
    result: LoadResult[Lead] = LoadResult.combine(parts)
    report_rows(screen, result, path.name, read)
    return result


def report_rows(screen: Screen, result: LoadResult[Any], what: str, read: TableRead) -> None:
    """Say what reading a table guessed and which rows it could not read: the notes with
    ``--quiet`` off, the problems always (the first 20 on stderr, all with ``--problems``)."""
    for note in result.notes:
        screen.note(f"{what}: {note}")
    problems = result.problems
    if read.problems is not None:
        with open_output(read.problems) as target:
            write_csv(
                [p.model_dump() for p in problems],
                ["row", "column", "value", "reason", "skipped"],
                target,
            )
    if problems:
        skipped = result.skipped_rows
        left_out = sum(1 for p in problems if not p.skipped)
        screen.problem(
            f"{what}: {len(result.records)} of {result.rows} rows read; "
            f"{len(skipped)} row{'s' if len(skipped) != 1 else ''} skipped, "
            f"{left_out} value{'s' if left_out != 1 else ''} left out"
        )
        for p in problems[:_SHOWN_PROBLEMS]:
            where = f"row {p.row}" + (f", column {p.column!r}" if p.column is not None else "")
            outcome = "row skipped" if p.skipped else "value left out"
            screen.problem(f"  {where}: {p.reason} ({outcome})")
        if len(problems) > _SHOWN_PROBLEMS and read.problems is None:
            screen.problem(
                f"  ... and {len(problems) - _SHOWN_PROBLEMS} more: --problems FILE writes them all"
            )
    if read.strict and result.skipped_rows:
        raise ValidationFailed(
            f"{len(result.skipped_rows)} rows of {what} could not be read (--strict)",
            field="rows",
        )


def problem_rows(result: LoadResult[Any]) -> list[dict[str, Any]]:
    """The problems of a read as plain rows (for ``--json``)."""
    return [p.model_dump() for p in result.problems]


# -- stores and models --------------------------------------------------------------------------


def open_store(dsn: str | None) -> InsightStore:
    """The insight store ``--store`` names: an SQLAlchemy URL (``sqlite:///insights.db``,
    ``postgresql+psycopg://...``) or the path of an SQLite file; in memory when not given."""
    from leadqual.store import MemoryInsightStore, SqlInsightStore

    if dsn is None:
        return MemoryInsightStore()
    if "://" in dsn:
        return SqlInsightStore(dsn)
    return SqlInsightStore.sqlite(dsn)


def signing_key(key_file: Path | None, *, create: bool = False, screen: Screen) -> bytes:
    """The model signing key: the content of ``key_file``, else the ``LEADQUAL_MODEL_KEY``
    environment variable. With ``create``, a missing key file is made (32 random bytes, hex,
    readable by its owner only) and a note says so.

    Raises:
        ConfigurationError: no key given, or the file cannot be read.
    """
    if key_file is not None:
        if create and not key_file.exists():
            key_file.touch(mode=0o600)
            key_file.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
            screen.note(f"wrote a new signing key to {key_file}; keep it apart from the models")
        try:
            key = key_file.read_bytes().strip()
        except OSError as err:
            raise ConfigurationError(
                f"cannot read the key file {str(key_file)!r}: {err.strerror or err}"
            ) from None
    else:
        key = os.environ.get(KEY_ENV, "").strip().encode("utf-8")
    if not key:
        raise ConfigurationError(
            f"model files are signed: pass --key-file (a file holding the key) or set {KEY_ENV}"
        )
    return key


def load_model(path: Path, key: bytes) -> Any:
    """A scorer or registry from a model file, its signature and types checked before anything
    in it is built (:func:`leadqual.scoring.load_model`)."""
    from leadqual.scoring import load_model as load

    return load(path, key=key)
