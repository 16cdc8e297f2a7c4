"""``leadqual serve``: the seller's web view (``pip install 'leadqual[web]'``), on the bundled
sample CRM by default or on a configured CRM source and insight store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadqual.cli.inputs import AgentOptions, Host, Port, serves_agent
from leadqual.errors import ConfigurationError

__all__ = ["serve"]


@serves_agent
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="The agent's configuration (YAML or JSON); settings saved in the web view are "
            "written back to it. Default: the sample's, kept in memory.",
        ),
    ] = None,
    *,
    agent: AgentOptions,
) -> None:
    """Serve the seller's web view: the prioritised leads, each lead's insight and draft,
    qualification, the review list and the admin settings. Ctrl-C stops it."""
    try:
        from leadqual.web import serve as run
    except ImportError as err:
        raise ConfigurationError(
            f"the web view needs its extra: pip install 'leadqual[web]' ({err})"
        ) from None
    typer.echo(f"leadqual: serving the web view on http://{host}:{port}/", err=True)
    run(host=host, port=port, config=config, **agent.kwargs())
