"""``leadqual serve``: the seller's web view (``pip install 'leadqual[web]'``), on the bundled
sample CRM by default or on a configured CRM source and insight store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from leadqual.errors import ConfigurationError

__all__ = ["serve"]


def _options(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for text in pairs:
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise typer.BadParameter(
                f"expected KEY=VALUE, got {text!r}", param_hint="--source-option"
            )
        out[key] = value
    return out


def serve(
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The port.")] = 8000,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="The agent's configuration (YAML or JSON); settings saved in the web view are "
            "written back to it. Default: the sample's, kept in memory.",
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help="A CRM source by name: sqlite, or an installed plugin."),
    ] = None,
    source_option: Annotated[
        list[str] | None,
        typer.Option(
            "--source-option", metavar="KEY=VALUE", help="An option for the source (repeatable)."
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", help="An insight store URL, e.g. sqlite:///insights.db."),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option("--now", help="The reference time of every page (ISO 8601)."),
    ] = None,
    activate: Annotated[
        bool | None,
        typer.Option(
            "--activate/--no-activate",
            help="Process the newest open leads first (default: for the sample only).",
        ),
    ] = None,
    train: Annotated[
        bool,
        typer.Option("--train/--no-train", help="Sample: train a scoring model on its history."),
    ] = True,
    check_deliverability: Annotated[
        bool,
        typer.Option(
            "--check-deliverability/--no-check-deliverability",
            help="Look up the mail servers of leads' addresses over DNS.",
        ),
    ] = True,
) -> None:
    """Serve the seller's web view: the prioritised leads, each lead's insight and draft,
    qualification, the review list and the admin settings. Ctrl-C stops it."""
    when = None
    if now is not None:
        try:
            when = datetime.fromisoformat(now)
        except ValueError:
            raise typer.BadParameter(f"not an ISO 8601 time: {now!r}", param_hint="--now") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    try:
        from leadqual.web import serve as run
    except ImportError as err:
        raise ConfigurationError(
            f"the web view needs its extra: pip install 'leadqual[web]' ({err})"
        ) from None
    typer.echo(f"leadqual: serving the web view on http://{host}:{port}/", err=True)
    run(
        host=host,
        port=port,
        config=config,
        store=store,
        source=source,
        source_options=_options(source_option or []),
        now=when,
        train=train,
        activate=activate,
        check_deliverability=check_deliverability,
    )
