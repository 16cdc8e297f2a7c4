"""``leadqual emails FILE``: check the email addresses of an export.

By default the checks are offline: syntax, normalisation, type (work or personal), disposable and
role accounts, typo suggestions. ``--deliverability`` also asks DNS whether each domain accepts
mail (one lookup per domain, however many addresses share it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from leadqual.cli.inputs import (
    JsonFlag,
    Quiet,
    TableRead,
    one_stdout,
    parse_now,
    problem_rows,
    read_leads,
    reads_table,
)
from leadqual.cli.output import Screen, open_output, write_csv
from leadqual.errors import ConfigurationError

if TYPE_CHECKING:
    from leadqual.email import EmailCheck
    from leadqual.models import Lead
    from leadqual.sources.tabular import LoadResult

__all__ = ["COLUMNS", "emails"]

COLUMNS = (
    "lead_id",
    "email",
    "normalized",
    "is_valid",
    "status",
    "type",
    "reasons",
    "suggestion",
    "is_disposable",
    "is_role_account",
    "is_free_provider",
    "summary",
)
"""The columns of ``--csv`` and the keys of each ``--json`` entry, in order."""

_SCREEN = (
    ("lead_id", "Lead"),
    ("email", "Email"),
    ("status", "Status"),
    ("type", "Type"),
    ("summary", "Why"),
)

# The identifying columns the guessed mapping may give besides the address: an id to join the
# results back, and the names, so that a row with no address still loads (and is listed as
# having none) rather than being refused as a row that identifies nobody.
_KEPT = ("id", "first_name", "last_name", "full_name", "company_name")


def _row(lead_id: str, address: str | None, check: EmailCheck | None) -> dict[str, Any]:
    if check is None:
        return {
            "lead_id": lead_id,
            "email": address,
            "normalized": None,
            "is_valid": False,
            "status": "invalid",
            "type": "unknown",
            "reasons": ["empty"],
            "suggestion": None,
            "is_disposable": False,
            "is_role_account": False,
            "is_free_provider": False,
            "summary": "invalid: no address",
        }
    return {
        "lead_id": lead_id,
        "email": address,
        "normalized": check.normalized,
        "is_valid": check.is_valid,
        "status": check.status,
        "type": check.email_type,
        "reasons": list(check.reason_codes),
        "suggestion": check.suggestion,
        "is_disposable": check.is_disposable,
        "is_role_account": check.is_role_account,
        "is_free_provider": check.is_free_provider,
        "summary": check.summary,
    }


@reads_table(mapping=False)
def emails(
    file: Annotated[Path, typer.Argument(help="A CSV or Parquet file with an email column.")],
    column: Annotated[
        str | None,
        typer.Option("--column", help="The column holding addresses (default: guessed)."),
    ] = None,
    deliverability: Annotated[
        bool,
        typer.Option("--deliverability", help="Also ask DNS whether each domain accepts mail."),
    ] = False,
    csv: Annotated[
        str | None,
        typer.Option("--csv", help="Write the results as CSV to this file ('-' for stdout)."),
    ] = None,
    json: JsonFlag = False,
    now: Annotated[
        str | None,
        typer.Option("--now", help="The time the checks are stamped with (ISO 8601)."),
    ] = None,
    quiet: Quiet = False,
    *,
    read: TableRead,
) -> None:
    """Check the email addresses of a file: validity, type, flags, typo suggestions."""
    screen = Screen(quiet=quiet, json=json)
    one_stdout(json=json, csv=csv)
    when = parse_now(now)
    from leadqual.email import EmailValidator
    from leadqual.sources.tabular import LeadMapping, iter_lead_batches

    with screen.warnings_shown():
        # The header's guess says which columns identify a row; only those and the address are
        # read, so a column this command does not need (a status it does not know) cannot make
        # a row fail.
        batches = iter_lead_batches(
            file, delimiter=read.delimiter, encoding=read.encoding, chunk_rows=100
        )
        with contextlib.closing(cast("Generator[LoadResult[Lead], None, None]", batches)):
            first = next(batches, None)
        guessed = dict(first.mapping.columns) if first is not None and first.mapping else {}
        address_column = column if column is not None else guessed.get("email")
        if address_column is None:
            raise ConfigurationError(
                f"{file.name} has no column the command recognises as email addresses; name it "
                "with --column"
            )
        columns = {
            target: source
            for target, source in guessed.items()
            if target in _KEPT and source != address_column
        }
        columns["email"] = address_column
        loaded = read_leads(screen, file, read, now=when, mapping=LeadMapping(columns=columns))
        validator = EmailValidator(check_deliverability=deliverability, now=when)
        # the lead table's id and email columns: no Lead is made for this command
        pairs = _ids_and_emails(loaded)
        addresses = sorted({email for _, email in pairs if email})
        checks: dict[str, EmailCheck] = {}
        step = 500
        with screen.progress("Checking addresses", total=len(addresses)) as advance:
            for start in range(0, len(addresses), step):
                part = addresses[start : start + step]
                checks.update(zip(part, validator.validate_many(part), strict=True))
                advance(len(checks), len(addresses))
    rows = [_row(lead_id, email, checks.get(email) if email else None) for lead_id, email in pairs]
    if csv is not None:
        with open_output(csv) as target:
            write_csv(rows, COLUMNS, target)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    summary = {
        "file": str(file),
        "column": address_column,
        "rows": loaded.rows,
        "addresses": len(rows),
        "skipped_rows": len(loaded.skipped_rows),
        "deliverability_checked": deliverability,
        "status": counts,
    }
    if json:
        screen.print_json({"emails": rows, "problems": problem_rows(loaded), "summary": summary})
    elif csv != "-":
        screen.table(_SCREEN, rows, title=f"Email addresses in {file.name}")
    screen.note(
        f"{len(rows)} addresses: "
        + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        + ("" if deliverability else " (deliverability not checked: --deliverability asks DNS)")
    )


def _ids_and_emails(loaded: LoadResult[Lead]) -> list[tuple[str, str | None]]:
    """Each loaded row's id and address, from the lead table when the read made one."""
    from leadqual.sources.lead_table import python_values

    table = loaded.table
    if table is None:
        return [(lead.id, lead.email) for lead in loaded.records]
    return list(zip(python_values(table["id"]), python_values(table["email"]), strict=True))
