"""What the commands read: an export's leads (with the report of rows not read), a configuration,
a column mapping, an insight store, a model and its signing key.

The library is imported inside each function, so building the command line (and running
``leadqual version``) loads none of pandas, scikit-learn or SQLAlchemy.
"""

from __future__ import annotations

import codecs
import functools
import inspect
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
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
    "Activate",
    "AgentOptions",
    "CheckDeliverability",
    "Delimiter",
    "Encoding",
    "Host",
    "JsonFlag",
    "KeyFile",
    "MappingFile",
    "Now",
    "Port",
    "Preset",
    "ProblemsFile",
    "Quiet",
    "SourceName",
    "SourceOptions",
    "StoreUrl",
    "Strict",
    "TableRead",
    "Train",
    "load_config",
    "load_model",
    "one_stdout",
    "open_store",
    "parse_now",
    "read_leads",
    "reads_table",
    "serves_agent",
    "signing_key",
    "source_options",
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


# the options of the commands that serve the agent (``leadqual serve`` and ``leadqual mcp``)
SourceName = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="A CRM source by name: sqlite, sql, tabular, dataverse or an installed plugin "
        "(default: the bundled sample CRM).",
    ),
]
SourceOptions = Annotated[
    list[str] | None,
    typer.Option(
        "--source-option",
        metavar="KEY=VALUE",
        help="An option of the source, e.g. path=crm.db or leads=export.csv (repeatable).",
    ),
]
StoreUrl = Annotated[
    str | None,
    typer.Option(
        "--store", help="An insight store URL, e.g. sqlite:///insights.db (default: memory)."
    ),
]
Activate = Annotated[
    bool | None,
    typer.Option(
        "--activate/--no-activate",
        help="Process the newest open leads before serving (default: for the sample only).",
    ),
]
CheckDeliverability = Annotated[
    bool,
    typer.Option(
        "--check-deliverability/--no-check-deliverability",
        help="Look up the mail servers of leads' addresses over DNS.",
    ),
]
Train = Annotated[
    bool,
    typer.Option(
        "--train/--no-train", help="Sample CRM: train a scoring model on its closed leads."
    ),
]
Host = Annotated[str, typer.Option("--host", help="The address to listen on.")]
Port = Annotated[int, typer.Option("--port", min=1, max=65535, help="The port to listen on.")]


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


def _grouped(
    argument: str, options: dict[str, tuple[Any, Any]], make: Callable[..., Any]
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A decorator giving a command ``options`` (name: (annotated type, default)), handed to it
    together as the one argument ``argument``, ``make(**values)``; they are listed before
    ``--quiet`` (or last)."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != argument]
        at = next((i for i, p in enumerate(own) if p.name == "quiet"), len(own))
        added = [
            inspect.Parameter(
                name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=kind
            )
            for name, (kind, default) in options.items()
        ]
        parameters = [*own[:at], *added, *own[at:]]

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> None:
            values = {name: kwargs.pop(name, default) for name, (_, default) in options.items()}
            command(*args, **{argument: make(**values)}, **kwargs)

        # typer reads the options from the signature: the command's own, with the group's added
        run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in parameters}
        run.__annotations__["return"] = signature.return_annotation
        return run

    return decorate


def reads_table(*, mapping: bool = True) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the options that say how to read its export, handed to it together as
    one ``read: TableRead`` argument.

    The options are ``--preset`` and ``--mapping`` (unless ``mapping=False``), ``--delimiter``,
    ``--encoding``, ``--problems`` and ``--strict``; they are listed before ``--quiet`` (or
    last). The command declares ``read: TableRead`` and not the options themselves.
    """
    options: dict[str, tuple[Any, Any]] = {
        "preset": (Preset, None),
        "mapping": (MappingFile, None),
        "delimiter": (Delimiter, None),
        "encoding": (Encoding, None),
        "problems": (ProblemsFile, None),
        "strict": (Strict, False),
    }
    if not mapping:
        del options["preset"], options["mapping"]
    return _grouped("read", options, TableRead)


@dataclass(frozen=True)
class AgentOptions:
    """Where the agent a server command serves reads and keeps its data, and how it starts:
    the keyword arguments :func:`leadqual.web.serve` and
    :func:`leadqual.mcp.command.build_agent` share."""

    source: str | None = None
    source_options: dict[str, str] = field(default_factory=dict)
    store: str | None = None
    now: datetime | None = None
    activate: bool | None = None
    train: bool = True
    check_deliverability: bool = True

    @classmethod
    def parse(
        cls,
        *,
        source: str | None,
        source_option: list[str] | None,
        store: str | None,
        now: str | None,
        activate: bool | None,
        train: bool,
        check_deliverability: bool,
    ) -> AgentOptions:
        """The options as given on the command line, parsed.

        Raises:
            typer.BadParameter: a bad ``--source-option`` or ``--now`` (usage errors).
        """
        return cls(
            source=source,
            source_options=source_options(source_option),
            store=store,
            now=parse_now(now),
            activate=activate,
            train=train,
            check_deliverability=check_deliverability,
        )

    def kwargs(self) -> dict[str, Any]:
        """The options as keyword arguments."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def serves_agent(command: Callable[..., None]) -> Callable[..., None]:
    """Give a server command the options of the agent it serves (``--source``,
    ``--source-option``, ``--store``, ``--now``, ``--activate``, ``--train`` and
    ``--check-deliverability``), handed to it together as one ``agent: AgentOptions``."""
    options: dict[str, tuple[Any, Any]] = {
        "source": (SourceName, None),
        "source_option": (SourceOptions, None),
        "store": (StoreUrl, None),
        "now": (Now, None),
        "activate": (Activate, None),
        "train": (Train, True),
        "check_deliverability": (CheckDeliverability, True),
    }
    return _grouped("agent", options, AgentOptions.parse)(command)


# -- parsing ------------------------------------------------------------------------------------


def parse_now(value: str | None) -> datetime | None:
    """``--now`` as a UTC datetime (``None`` when not given).

    Raises:
        typer.BadParameter: not an ISO 8601 date or time (a usage error).
    """
    if value is None:
        return None
    from leadqual._base import parse_utc

    try:
        return parse_utc(value, "--now")
    except ValidationFailed as err:
        raise typer.BadParameter(str(err), param_hint="'--now'") from None


def source_options(values: list[str] | None) -> dict[str, str]:
    """``--source-option KEY=VALUE`` pairs as keyword arguments for the source
    (:func:`leadqual.plugins.plugin_options`).

    Raises:
        typer.BadParameter: a value that is not ``KEY=VALUE``, a key that is not a Python name,
            or a key given twice (usage errors).
    """
    from leadqual.plugins import plugin_options

    try:
        return plugin_options(values or (), field="--source-option")
    except ValidationFailed as err:
        raise typer.BadParameter(str(err), param_hint="'--source-option'") from None


def one_stdout(*, json: bool, csv: str | None) -> None:
    """Refuse ``--json`` with ``--csv -``: both would write to stdout.

    Raises:
        typer.BadParameter: both are given (a usage error).
    """
    if json and csv == "-":
        raise typer.BadParameter("--json and --csv - both write to stdout; choose one")


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


def load_model(path: Path, key_file: Path | None, *, screen: Screen) -> Any:
    """A scorer or registry from a model file, its signature (with the key :func:`signing_key`
    reads) and types checked before anything in it is built
    (:func:`leadqual.scoring.load_model`).

    Raises:
        ConfigurationError: no signing key given, or the key file cannot be read.
    """
    from leadqual.scoring import load_model as load

    return load(path, key=signing_key(key_file, screen=screen))
