"""``python -m leadqual.mcp``: serve the agent's tools over MCP, on the bundled sample CRM by
default or on a configured CRM source and insight store.

Examples:
    >>> agent, now = build_agent(train=False, activate=False)
    >>> now.isoformat(), len(agent.source.sellers())
    ('2026-11-01T12:00:00+00:00', 5)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Unpack

from leadqual._base import parse_utc
from leadqual.agent import AgentSetup, QualificationAgent
from leadqual.agent import build_agent as build_served
from leadqual.errors import ConfigurationError, LeadqualError
from leadqual.mcp.options import check_served
from leadqual.mcp.server import seller_tokens, serve
from leadqual.plugins import plugin_options

__all__ = ["build_agent", "main", "read_tokens"]


def build_agent(**setup: Unpack[AgentSetup]) -> tuple[QualificationAgent, datetime | None]:
    """The agent the command serves, and the reference time of its calls: the agent
    :func:`leadqual.agent.build_agent` builds with the same keyword arguments.

    Raises:
        ConfigurationError: a source without a configuration file, or a bad store URL.
        PluginError: an unknown source, or one that cannot be built with the options.
    """
    built = build_served(**setup)
    return built.agent, built.now


def read_tokens(path: str | Path, /) -> dict[str, str]:
    """Bearer tokens from a file: one ``TOKEN SELLER_ID`` pair a line; ``#`` starts a comment.

    Raises:
        ConfigurationError: the file cannot be read or is not UTF-8 text, a line that is not a
            pair, or a token given twice.
    """
    try:
        body = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigurationError(
            f"cannot read the tokens file {str(path)!r}: {err.strerror or err}"
        ) from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"the tokens file {str(path)!r} is not UTF-8 text") from None
    tokens: dict[str, str] = {}
    for number, line in enumerate(body.splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split()
        if len(parts) != 2:
            raise ConfigurationError(f"{path} line {number}: expected 'TOKEN SELLER_ID'")
        if parts[0] in tokens:
            raise ConfigurationError(f"{path} line {number}: the token is given twice")
        tokens[parts[0]] = parts[1]
    return tokens


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m leadqual.mcp",
        description="Serve leadqual's tools over MCP (the sample CRM unless --source is given).",
    )
    parser.add_argument("--seller", help="the seller every call acts for (stdio: required)")
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP: address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP: port (default 8000)")
    parser.add_argument("--path", default="/mcp", help="HTTP: endpoint path (default /mcp)")
    parser.add_argument(
        "--tokens", help="HTTP: a file of 'TOKEN SELLER_ID' lines; each caller acts as its seller"
    )
    parser.add_argument(
        "--allow-writes", action="store_true", help="offer qualify_lead (writes to the CRM)"
    )
    parser.add_argument("--config", help="an AgentConfig file (default: the sample's)")
    parser.add_argument("--source", help="a CRM source by name: sqlite, or an installed plugin")
    parser.add_argument(
        "--source-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option for the source, e.g. path=crm.db (repeatable)",
    )
    parser.add_argument("--store", help="an insight store URL, e.g. sqlite:///insights.db")
    parser.add_argument("--now", help="the reference time of every call (ISO 8601)")
    parser.add_argument(
        "--activate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="process the newest open leads first (default: for the sample only)",
    )
    parser.add_argument(
        "--check-deliverability",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="look up the mail servers of leads' addresses over DNS (default: yes)",
    )
    parser.add_argument(
        "--train",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="sample: train a scoring model on its closed leads (default: yes)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m leadqual.mcp``; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        check_served(
            transport=args.transport,
            seller=args.seller,
            tokens=args.tokens,
            source=args.source,
            source_options=args.source_option,
            port=args.port,
        )
        source_options = plugin_options(args.source_option, field="--source-option")
        now = parse_utc(args.now, "--now") if args.now is not None else None
        verifier = seller_tokens(read_tokens(args.tokens)) if args.tokens else None
        agent, when = build_agent(
            config=args.config,
            source=args.source,
            source_options=source_options,
            store=args.store,
            now=now,
            train=args.train,
            activate=args.activate,
            check_deliverability=args.check_deliverability,
        )
        serve(
            agent,
            transport=args.transport,
            allow_writes=args.allow_writes,
            seller=args.seller,
            token_verifier=verifier,
            host=args.host,
            port=args.port,
            path=args.path,
            now=when,
        )
    except (LeadqualError, OSError, ValueError) as err:
        print(f"leadqual mcp: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
