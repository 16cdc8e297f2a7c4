"""``leadqual config validate FILE``, ``leadqual config diff OLD NEW [--backtest HISTORY]`` and
``leadqual config schema``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadqual.cli.errors import ExitCode, field_errors
from leadqual.cli.inputs import (
    JsonFlag,
    Now,
    Quiet,
    TableRead,
    load_config,
    parse_now,
    problem_rows,
    read_leads,
    reads_table,
)
from leadqual.cli.output import Screen
from leadqual.errors import ValidationFailed

__all__ = ["app", "diff", "schema", "validate"]

app = typer.Typer(
    help="Check an agent configuration, compare two (and backtest the change on historical "
    "leads), or print its JSON Schema.",
    rich_markup_mode=None,
    no_args_is_help=True,
)


@app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="The agent configuration (YAML or JSON).")],
    json: JsonFlag = False,
) -> None:
    """Check an agent configuration: exit 0 when it is valid, else 1 with each bad field's path
    and what is wrong with it."""
    screen = Screen(json=json)
    try:
        config = load_config(file)
    except ValidationFailed as err:
        problems = field_errors(err.errors)
        if json:
            screen.print_json(
                {
                    "file": str(file),
                    "valid": False,
                    "errors": [{"path": path, "message": msg} for path, msg in problems],
                }
            )
        else:
            screen.problem(f"{file}: not a valid agent configuration ({len(problems)} to fix)")
            for path, msg in problems:
                screen.problem(f"  {path}: {msg}")
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    summary = {
        "file": str(file),
        "valid": True,
        "company": config.company.name,
        "products": len(config.products),
        "icp_characteristics": len(config.icp.characteristics) if config.icp else 0,
        "handraiser_segments": len(config.handraisers),
    }
    if json:
        screen.print_json(summary)
    else:
        screen.line(
            f"{file}: valid ({config.company.name}; {summary['products']} products, "
            f"{summary['icp_characteristics']} ICP characteristics, "
            f"{summary['handraiser_segments']} hand-raiser segments)"
        )


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the agent configuration (for editors and CI checks)."""
    import json

    from leadqual.config import AgentConfig

    typer.echo(json.dumps(AgentConfig.model_json_schema(), indent=2, ensure_ascii=False))


@app.command("diff")
@reads_table()
def diff(
    old: Annotated[Path, typer.Argument(help="The configuration in use (YAML or JSON).")],
    new: Annotated[Path, typer.Argument(help="The configuration to switch to.")],
    backtest: Annotated[
        Path | None,
        typer.Option(
            "--backtest",
            help="A CSV or Parquet export of historical leads: show what the change would "
            "have done to their ranking, ratings and hand-offs.",
        ),
    ] = None,
    top: Annotated[
        int,
        typer.Option(
            "--top", min=1, help="Compare how many won leads the top N closed leads hold."
        ),
    ] = 20,
    horizon_days: Annotated[
        int,
        typer.Option(
            "--horizon-days",
            min=0,
            help="A closed lead is seen as it stood this many days after it came in.",
        ),
    ] = 7,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Show at most this many changed leads.")
    ] = 10,
    json: JsonFlag = False,
    now: Now = None,
    quiet: Quiet = False,
    *,
    read: TableRead,
) -> None:
    """Compare two agent configurations field by field and, with --backtest, what the change
    would have done to historical leads: their rank, ICP fit, hand-raiser segment, rating,
    hand-off and next action, and how many won leads the top of the list holds.

    Nothing is fetched: research, email deliverability and drafting do not run. Exits with 0
    whether or not the configurations differ (--json says "same").
    """
    screen = Screen(quiet=quiet, json=json)
    when = parse_now(now)
    from leadqual.agent import diff_configs

    with screen.warnings_shown():
        before = load_config(old)
        after = load_config(new)
        loaded = None
        if backtest is not None:
            loaded = read_leads(screen, backtest, read, now=when)
            with screen.progress("Backtesting", total=len(loaded.records)) as advance:
                report = diff_configs(
                    before,
                    after,
                    loaded.records,
                    now=when,
                    top_n=top,
                    horizon_days=horizon_days,
                    progress=advance,
                )
        else:
            report = diff_configs(before, after)
    if json:
        out = {
            "old": str(old),
            "new": str(new),
            "same": report.same,
            **report.model_dump(mode="json"),
        }
        if loaded is not None:
            out["history"] = {
                "file": str(backtest),
                "rows": loaded.rows,
                "leads": len(loaded.records),
                "skipped_rows": len(loaded.skipped_rows),
                "problems": problem_rows(loaded),
            }
        screen.print_json(out)
        return
    screen.line(f"{old} -> {new}: {len(report.changes)} field change(s)")
    for text in report.lines(limit=limit):
        screen.line(f"  {text}")
