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
import warnings
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from leadqual._base import to_utc
from leadqual.agent import QualificationAgent
from leadqual.config import AgentConfig
from leadqual.email import EmailValidator, StaticResolver
from leadqual.errors import ConfigurationError, LeadqualError
from leadqual.mcp.server import seller_tokens, serve
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.scoring.crm import train_from_crm
from leadqual.sources import CrmSource, MemorySource
from leadqual.sources.registry import crm_source_registry
from leadqual.sources.sample import load_sample_config, load_sample_data
from leadqual.store import InsightStore, SqlInsightStore

__all__ = ["build_agent", "main", "read_tokens"]


def build_agent(
    *,
    config: str | Path | None = None,
    source: str | None = None,
    source_options: dict[str, str] | None = None,
    store: str | None = None,
    now: datetime | None = None,
    train: bool = True,
    activate: bool | None = None,
    check_deliverability: bool = True,
) -> tuple[QualificationAgent, datetime | None]:
    """The agent the command serves, and the reference time of its calls.

    Without ``source``, the bundled sample CRM (offline research, DNS answers and its fixed
    reference time), with a scoring model trained on its closed leads when ``train``. Otherwise
    the CRM source registered under ``source`` (``sqlite`` with ``path=``, or an installed
    plugin) built with ``source_options``, and the configuration file ``config`` (required).

    Args:
        config: an ``AgentConfig`` file (YAML or JSON); the sample's configuration by default.
        source: a CRM source by name (``leadqual.crm_sources`` entry points).
        source_options: keyword arguments for the source (``{"path": "crm.db"}``).
        store: an insight store URL (``sqlite:///insights.db``, ``postgresql+psycopg://...``);
            in memory by default.
        now: the reference time of every call (the sample's own by default; else the clock).
        train: train a scoring model on the sample's closed leads (sample only).
        activate: process the newest open leads before serving (default: for the sample only).
        check_deliverability: look up the mail servers of leads' addresses (DNS; not for the
            sample, which ships its DNS answers).

    Raises:
        ConfigurationError: a source without a configuration file, or a bad store URL.
        PluginError: an unknown source, or one that cannot be built with the options.
    """
    kept: InsightStore | None = SqlInsightStore(store) if store else None
    agent_config = AgentConfig.from_file(config) if config is not None else None
    if source is None or source == "sample":
        data = load_sample_data()
        crm = MemorySource.from_snapshot(data.crm)
        when = now or data.as_of
        scorer = None
        if train:
            with warnings.catch_warnings():
                # A small sample: convergence and calibration notes are expected, not news.
                warnings.simplefilter("ignore")
                scorer = train_from_crm(crm, now=when, months=24).scorer
        agent = QualificationAgent(
            agent_config or load_sample_config(),
            crm,
            providers=[SampleResearchProvider(data)],
            email_validator=EmailValidator(resolver=StaticResolver.from_sample(data), now=when),
            scorer=scorer,
            store=kept,
        )
        if activate is None or activate:
            agent.activate(now=when)
        return agent, when
    if agent_config is None:
        raise ConfigurationError(
            f"--config is required with --source {source}: the agent's settings"
        )
    built: CrmSource = crm_source_registry().create(source, **(source_options or {}))
    agent = QualificationAgent(
        agent_config,
        built,
        store=kept,
        email_validator=EmailValidator(check_deliverability=check_deliverability),
    )
    if activate:
        agent.activate(now=now)
    return agent, now


def read_tokens(path: str | Path, /) -> dict[str, str]:
    """Bearer tokens from a file: one ``TOKEN SELLER_ID`` pair a line; ``#`` starts a comment.

    Raises:
        ConfigurationError: a line that is not a pair, or a token given twice.
    """
    tokens: dict[str, str] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
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


def _option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


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
        type=_option,
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
        now = to_utc(datetime.fromisoformat(args.now), "--now") if args.now else None
        if args.transport == "stdio" and not args.seller:
            raise ConfigurationError(
                "--seller is required with stdio: the seller every call acts for"
            )
        verifier = seller_tokens(read_tokens(args.tokens)) if args.tokens else None
        agent, when = build_agent(
            config=args.config,
            source=args.source,
            source_options=dict(args.source_option),
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
