"""``leadqual process FILE --config agent.yaml``: the agent over a CRM export, and the ranked list.

The export's leads are read (every row that cannot be read is reported), the agent concludes on
each lead its configuration selects (open leads by default), and the prioritised list is written:
a table on screen, ``--csv`` and ``--json`` for files and machines. Research runs through the
providers the configuration's ``providers:`` section names (none by default; web research only
with ``consent.web_research``), and email addresses are checked offline unless
``--deliverability`` asks DNS.

The command reads the whole export as an administrator would (every lead, owned or not); each
owner the export names is a seller with the configuration's first seller role, so ``--seller``
gives that owner's own list, ranked among their leads only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadqual.cli.inputs import (
    JsonFlag,
    KeyFile,
    Now,
    Quiet,
    TableRead,
    load_config,
    load_model,
    one_stdout,
    open_store,
    parse_now,
    problem_rows,
    read_leads,
    reads_table,
)
from leadqual.cli.output import Screen, open_output, write_csv
from leadqual.errors import ConfigurationError, ValidationFailed

if TYPE_CHECKING:
    from leadqual.agent import PrioritizedEntry
    from leadqual.config import AgentConfig
    from leadqual.models import Lead
    from leadqual.sources import MemorySource

__all__ = ["COLUMNS", "process"]

COLUMNS = (
    "rank",
    "lead_id",
    "owner_id",
    "name",
    "company",
    "rating",
    "handraiser",
    "icp_fit",
    "icp_tier",
    "score",
    "next_action",
    "call_to_action",
    "why",
    "duplicates",
    "refreshed_at",
)
"""The columns of ``--csv`` and the keys of each ``--json`` entry, in order."""

ADMIN_ID = "leadqual-cli"
"""The seller id the command reads the export as (suffixed with ``_`` if an owner has it)."""


def _row(entry: PrioritizedEntry) -> dict[str, Any]:
    card = entry.card
    fit = entry.detail.fit
    return {
        "rank": entry.rank,
        "lead_id": entry.lead_id,
        "owner_id": entry.owner_id,
        "name": card.name if card else None,
        "company": card.company if card else None,
        "rating": entry.rating,
        "handraiser": entry.detail.handraiser.segment,
        "icp_fit": round(fit.score, 1) if fit is not None else None,
        "icp_tier": fit.tier if fit is not None else None,
        "score": entry.detail.predictive_score,
        "next_action": card.next_action if card else None,
        "call_to_action": card.call_to_action if card else None,
        "why": entry.why,
        "duplicates": list(entry.duplicates),
        "refreshed_at": entry.refreshed_at,
    }


def _show(screen: Screen, rows: list[dict[str, Any]], *, limit: int = 50) -> None:
    """Each entry as a short block: rank, who and the figures, then next action and why."""
    for row in rows[:limit]:
        who = row["name"] or row["lead_id"]
        company = f" ({row['company']})" if row["company"] else ""
        figures = [str(row["rating"])]
        if row["handraiser"]:
            figures.append(f"hand-raiser: {row['handraiser']}")
        if row["icp_fit"] is not None:
            figures.append(f"fit {row['icp_fit']:.0f}")
        if row["score"] is not None:
            figures.append(f"score {row['score']:.0f}")
        screen.line("")
        screen.line(f"#{row['rank']} {who}{company} [{row['lead_id']}]: {', '.join(figures)}")
        if row["next_action"]:
            screen.line(f"   next: {row['next_action']}")
        screen.line(f"   why:  {row['why']}")
        if row["duplicates"]:
            screen.line(f"   same person as: {', '.join(row['duplicates'])}")
    if len(rows) > limit:
        screen.line(f"... and {len(rows) - limit} more (--csv or --json writes them all)")


def crm_of(leads: tuple[Lead, ...], config: AgentConfig) -> tuple[MemorySource, str]:
    """An in-memory CRM over an export's leads: its owners as sellers, and an administrator
    (returned with it) who sees every lead.

    Raises:
        ConfigurationError: the configuration names no admin role.
    """
    from leadqual.models import Seller
    from leadqual.sources import MemorySource

    access = config.team_access
    if not access.admin_roles:
        raise ConfigurationError(
            "team_access.admin_roles is empty: the command lists an export's leads as an "
            "administrator; name an admin role (the default is 'System Administrator')"
        )
    higher = {r.casefold() for r in (*access.manager_roles, *access.admin_roles)}
    role = next((r for r in access.roles if r.casefold() not in higher), None)
    if role is None and access.roles:
        role = access.roles[0]
    owners = sorted({lead.owner_id for lead in leads if lead.owner_id})
    admin = ADMIN_ID
    while admin in owners:
        admin += "_"
    sellers = [Seller(id=o, name=o, roles=(role,) if role else ()) for o in owners]
    sellers.append(Seller(id=admin, name="leadqual command line", roles=(access.admin_roles[0],)))
    return MemorySource(leads=leads, sellers=sellers), admin


@reads_table()
def process(
    file: Annotated[Path, typer.Argument(help="The CRM export: a CSV or Parquet file of leads.")],
    config: Annotated[
        Path, typer.Option("--config", "-c", help="The agent configuration (YAML or JSON).")
    ],
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Keep insights in this store: an SQLAlchemy URL (sqlite:///insights.db, "
            "postgresql+psycopg://...) or an SQLite file path. Default: in memory.",
        ),
    ] = None,
    seller: Annotated[
        str | None,
        typer.Option(
            "--seller", help="Only this owner's leads (the owner as the export names it)."
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="List at most this many leads.")
    ] = None,
    csv: Annotated[
        str | None,
        typer.Option("--csv", help="Write the list as CSV to this file ('-' for stdout)."),
    ] = None,
    json: JsonFlag = False,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model", help="A model file from 'leadqual score train': leads get a score."
        ),
    ] = None,
    key_file: KeyFile = None,
    deliverability: Annotated[
        bool,
        typer.Option(
            "--deliverability",
            help="Ask DNS whether each email domain accepts mail (default: offline checks).",
        ),
    ] = False,
    now: Now = None,
    quiet: Quiet = False,
    *,
    read: TableRead,
) -> None:
    """Run the agent over a CRM export and write the prioritised list.

    Rows that cannot be read are reported on stderr (row, column, reason); the others are
    processed. The list is the one an administrator sees (every lead the configuration
    selects), or with --seller one owner's own list.
    """
    screen = Screen(quiet=quiet, json=json)
    one_stdout(json=json, csv=csv)
    when = parse_now(now)
    from leadqual.agent import QualificationAgent
    from leadqual.email import EmailValidator

    with screen.warnings_shown():
        agent_config = load_config(config)
        loaded = read_leads(screen, file, read, now=when)
        source, admin = crm_of(loaded.records, agent_config)
        if seller is not None and not source.leads(owner_id=seller):
            owners = sorted({s.id for s in source.sellers()} - {admin})
            raise ValidationFailed(
                f"no lead in {file.name} is owned by {seller!r}; owners: "
                + (", ".join(repr(o) for o in owners[:10]) or "none (no owner column)"),
                field="seller",
            )
        scorer = None
        if model is not None:
            scorer = load_model(model, key_file, screen=screen)
        insight_store = open_store(store)
        try:
            agent = QualificationAgent(
                agent_config,
                source,
                store=insight_store,
                scorer=scorer,
                email_validator=EmailValidator(check_deliverability=deliverability, now=when),
            )
            viewer = seller if seller is not None else admin
            # every selected lead, those a stored insight folds into another included
            todo = agent.prioritized(viewer, now=when, include_duplicates=True).lead_ids
            with screen.progress("Qualifying leads", total=len(todo)) as advance:
                report = agent.run_batch(todo, now=when, progress=advance)
            view = agent.prioritized(viewer, now=when, limit=limit)
        finally:
            insight_store.close()
    rows = [_row(e) for e in view.entries]
    if csv is not None:
        with open_output(csv) as target:
            write_csv(rows, COLUMNS, target)
    summary = {
        "file": str(file),
        "rows": loaded.rows,
        "leads": len(loaded.records),
        "skipped_rows": len(loaded.skipped_rows),
        "processed": report.processed,
        "unchanged": report.unchanged,
        "listed": len(rows),
        "seller": seller,
        "seconds": report.seconds,
    }
    if json:
        screen.print_json({"leads": rows, "problems": problem_rows(loaded), "summary": summary})
    elif csv != "-":
        who = f"{seller}'s" if seller is not None else "The"
        screen.line(f"{who} prioritised list: {len(rows)} leads")
        _show(screen, rows)
    screen.note(
        f"{report.processed} leads processed ({report.unchanged} unchanged) in "
        f"{report.seconds:.1f} s; {len(rows)} listed"
        + (f"; written to {csv}" if csv not in (None, "-") else "")
    )
