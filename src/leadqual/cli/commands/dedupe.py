"""``leadqual dedupe FILE``: the duplicate leads of an export, as pairs with why and as clusters.

The detector's default rules apply (the same email; the same phone; a similar name and company
name; a similar name at the same company email domain), after each value is normalised
(nicknames, legal suffixes, E.164 phone numbers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from leadqual.cli.inputs import (
    JsonFlag,
    Quiet,
    TableRead,
    problem_rows,
    read_leads,
    reads_table,
)
from leadqual.cli.output import Screen, open_output, write_csv

__all__ = ["CLUSTER_COLUMNS", "PAIR_COLUMNS", "dedupe"]

PAIR_COLUMNS = (
    "left_id",
    "right_id",
    "left_name",
    "right_name",
    "rule",
    "rules",
    "probability",
    "explanation",
)
"""The columns of ``--csv`` (one row per pair) and the keys of each ``--json`` pair."""

CLUSTER_COLUMNS = ("cluster", "lead_id", "name", "company")
"""The columns of ``--clusters`` (one row per lead in a cluster of duplicates)."""

_SCREEN = (
    ("left_id", "Lead"),
    ("left_name", "Name"),
    ("right_id", "Same as"),
    ("right_name", "Name"),
    ("rule", "Rule"),
    ("explanation", "Why"),
)


@reads_table()
def dedupe(
    file: Annotated[Path, typer.Argument(help="The CRM export: a CSV or Parquet file of leads.")],
    csv: Annotated[
        str | None,
        typer.Option("--csv", help="Write the pairs as CSV to this file ('-' for stdout)."),
    ] = None,
    clusters: Annotated[
        str | None,
        typer.Option("--clusters", help="Write the clusters as CSV to this file ('-' for stdout)."),
    ] = None,
    json: JsonFlag = False,
    quiet: Quiet = False,
    *,
    read: TableRead,
) -> None:
    """Find the duplicate leads of an export: pairs with the rule that matched, and clusters."""
    screen = Screen(quiet=quiet, json=json)
    if [json, csv == "-", clusters == "-"].count(True) > 1:
        raise typer.BadParameter("only one of --json, --csv - and --clusters - can use stdout")
    from leadqual.dedupe import DuplicateDetector

    with screen.warnings_shown():
        loaded = read_leads(screen, file, read)
        leads = {lead.id: lead for lead in loaded.records}
        with screen.progress("Finding duplicates") as advance:
            report = DuplicateDetector().find(loaded.records)
            advance(len(leads), len(leads))

    def name(lead_id: str) -> str:
        lead = leads[lead_id]
        return lead.full_name or lead.email or lead.company_name or ""

    pairs: list[dict[str, Any]] = [
        {
            "left_id": p.left_id,
            "right_id": p.right_id,
            "left_name": name(p.left_id),
            "right_name": name(p.right_id),
            "rule": p.rule,
            "rules": list(p.rules),
            "probability": p.probability,
            "explanation": p.explanation,
        }
        for p in report.pairs
    ]
    members = [
        {
            "cluster": k,
            "lead_id": lead_id,
            "name": name(lead_id),
            "company": leads[lead_id].company_name,
        }
        for k, cluster in enumerate(report.clusters, start=1)
        for lead_id in cluster
    ]
    if csv is not None:
        with open_output(csv) as target:
            write_csv(pairs, PAIR_COLUMNS, target)
    if clusters is not None:
        with open_output(clusters) as target:
            write_csv(members, CLUSTER_COLUMNS, target)
    summary = {
        "file": str(file),
        "rows": loaded.rows,
        "leads": len(leads),
        "skipped_rows": len(loaded.skipped_rows),
        "pairs": len(pairs),
        "clusters": len(report.clusters),
        "candidates": report.blocking.candidates,
        "seconds": round(report.seconds, 3),
    }
    if json:
        screen.print_json(
            {
                "pairs": pairs,
                "clusters": [list(c) for c in report.clusters],
                "problems": problem_rows(loaded),
                "summary": summary,
            }
        )
    elif "-" not in (csv, clusters):
        screen.table(_SCREEN, pairs, title=f"Duplicate pairs in {file.name}")
    for sentence in report.blocking.too_common:
        screen.note(sentence)
    screen.note(
        f"{len(pairs)} duplicate pairs in {len(report.clusters)} clusters among {len(leads)} "
        f"leads ({report.blocking.candidates} candidate pairs compared in {report.seconds:.2f} s)"
    )
