"""``leadqual mcp``: serve the agent's tools to assistants over MCP (stdio or streamable HTTP).

The same server as ``python -m leadqual.mcp`` (:func:`leadqual.mcp.command.build_agent` builds
the agent, :func:`leadqual.mcp.serve` runs it), with the command line's options and failures:
a mistake is one line on stderr and an exit code, and nothing but the protocol is written to
stdout (over stdio, stdout is the protocol). Needs the ``mcp`` extra.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from leadqual.cli.inputs import AgentOptions, Host, Port, serves_agent
from leadqual.errors import ConfigurationError, ValidationFailed

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["Transport", "mcp"]


class Transport(StrEnum):
    """How the server talks to its clients."""

    STDIO = "stdio"
    """A client starts the command and talks over its standard input and output."""
    HTTP = "http"
    """Streamable HTTP at ``http://HOST:PORT/PATH``."""


def _sdk() -> tuple[ModuleType, ModuleType]:
    """The MCP command and server modules, or a ConfigurationError saying how to install them."""
    import importlib

    from leadqual.mcp import EXTRA_MODULES

    try:
        command = importlib.import_module("leadqual.mcp.command")
        server = importlib.import_module("leadqual.mcp.server")
    except ModuleNotFoundError as err:
        if err.name is not None and err.name.split(".")[0] in EXTRA_MODULES:
            raise ConfigurationError(
                "leadqual mcp needs the MCP SDK: pip install 'leadqual[mcp]'"
            ) from None
        raise
    return command, server


@serves_agent
def mcp(
    seller: Annotated[
        str | None,
        typer.Option(
            "--seller",
            help="The seller every call acts for (required with stdio; over HTTP, a loopback "
            "address only).",
        ),
    ] = None,
    transport: Annotated[
        Transport,
        typer.Option(
            "--transport",
            help="stdio (an assistant starts this command) or http (streamable HTTP).",
        ),
    ] = Transport.STDIO,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    path: Annotated[str, typer.Option("--path", help="HTTP: the endpoint's path.")] = "/mcp",
    tokens: Annotated[
        Path | None,
        typer.Option(
            "--tokens",
            help="HTTP: a file of 'TOKEN SELLER_ID' lines; each caller acts as its token's seller.",
        ),
    ] = None,
    allow_writes: Annotated[
        bool,
        typer.Option("--allow-writes", help="Offer qualify_lead, which writes to the CRM."),
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="The agent configuration (YAML or JSON); the sample's by default, required "
            "with --source.",
        ),
    ] = None,
    *,
    agent: AgentOptions,
) -> None:
    """Serve the agent's tools to assistants over MCP: lead and account research, assessment,
    summary, outreach draft, duplicates, score and the prioritised list (and qualify_lead with
    --allow-writes), each call answered for one seller and never with another seller's lead.

    Over stdio an assistant starts the command and every call acts for --seller. Over HTTP each
    caller's bearer token (--tokens) names their seller. Stops when the client disconnects or
    on Ctrl-C. See docs/mcp.md.
    """
    kind: Literal["stdio", "http"] = "http" if transport is Transport.HTTP else "stdio"
    from leadqual.mcp.options import check_served

    try:
        check_served(
            transport=kind,
            seller=seller,
            tokens=tokens,
            source=agent.source,
            source_options=agent.source_options,
            port=port,
        )
    except ValidationFailed as err:
        raise typer.BadParameter(str(err), param_hint=f"'{err.field}'") from None
    command, server = _sdk()
    verifier: Any = None
    if tokens is not None:
        verifier = server.seller_tokens(command.read_tokens(tokens))
    served, reference = command.build_agent(config=config, **agent.kwargs())
    server.serve(
        served,
        transport=kind,
        allow_writes=allow_writes,
        seller=seller,
        token_verifier=verifier,
        host=host,
        port=port,
        path=path,
        now=reference,
    )
