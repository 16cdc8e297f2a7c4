"""Build the agent a server serves (the MCP server, the web view): on the bundled sample CRM by
default, or on a CRM source registered by name, a configuration file and an insight store.

Examples:
    >>> built = build_agent(train=False, activate=False)
    >>> built.now.isoformat(), len(built.agent.source.sellers())
    ('2026-11-01T12:00:00+00:00', 5)
    >>> built.rebuild(built.agent.config).store is built.agent.store
    True
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypedDict

from leadqual.agent.agent import QualificationAgent
from leadqual.config import AgentConfig
from leadqual.email import EmailValidator, StaticResolver
from leadqual.errors import ConfigurationError
from leadqual.models import Seller
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.scoring import LeadScorer
from leadqual.scoring.crm import train_from_crm
from leadqual.sources import CrmSource, MemorySource
from leadqual.sources.registry import crm_source_registry
from leadqual.sources.sample import load_sample_config, load_sample_data
from leadqual.store import InsightStore, SqlInsightStore

__all__ = ["AgentSetup", "BuiltAgent", "build_agent"]


class AgentSetup(TypedDict, total=False):
    """The keyword arguments of :func:`build_agent` (each optional), for callers that pass them
    on unchanged."""

    config: str | os.PathLike[str] | None
    source: str | None
    source_options: dict[str, str] | None
    store: str | None
    now: datetime | None
    train: bool
    activate: bool | None
    check_deliverability: bool


@dataclass(frozen=True)
class BuiltAgent:
    """An agent built by :func:`build_agent`, the reference time of its calls, and how to build
    it anew for another configuration."""

    agent: QualificationAgent
    """The agent, activated when asked."""
    now: datetime | None
    """The reference time of its calls: the sample's own, the ``now`` given, or ``None`` (the
    clock)."""
    make: Callable[[AgentConfig, InsightStore | None], QualificationAgent]
    """Builds an agent over the same source and components for a configuration and a store."""

    def rebuild(self, config: AgentConfig) -> QualificationAgent:
        """The agent anew for ``config``: the same source, components and store (not activated)."""
        return self.make(config, self.agent.store)


def build_agent(
    *,
    config: str | os.PathLike[str] | None = None,
    source: str | None = None,
    source_options: dict[str, str] | None = None,
    store: str | None = None,
    now: datetime | None = None,
    train: bool = True,
    activate: bool | None = None,
    check_deliverability: bool = True,
    sample_sellers: Sequence[Seller] = (),
) -> BuiltAgent:
    """The agent a server serves, the reference time of its calls, and how to rebuild it.

    Without ``source`` (or with ``"sample"``), the bundled sample CRM: offline research, its
    shipped DNS answers, its fixed reference time, ``sample_sellers`` added to its sellers, and a
    scoring model trained on its closed leads when ``train``; it is activated unless
    ``activate=False``. Otherwise the CRM source registered under ``source`` (``sqlite`` with
    ``path=``, or an installed plugin) built with ``source_options``, and the configuration file
    ``config`` (required); it is activated only when ``activate=True``.

    Args:
        config: an ``AgentConfig`` file (YAML or JSON); the sample's configuration by default.
        source: a CRM source by name (``leadqual.crm_sources`` entry points).
        source_options: keyword arguments for the source (``{"path": "crm.db"}``).
        store: an insight store URL (``sqlite:///insights.db``, ``postgresql+psycopg://...``);
            in memory by default.
        now: the reference time of every call (the sample's own by default; else the clock).
        train: train a scoring model on the sample's closed leads (sample only).
        activate: process the newest open leads first (default: for the sample only).
        check_deliverability: look up the mail servers of leads' addresses (DNS; not for the
            sample, which ships its DNS answers).
        sample_sellers: sellers added to the sample CRM (not to a configured source).

    Raises:
        ConfigurationError: a source without a configuration file, or a bad store URL.
        PluginError: an unknown source, or one that cannot be built with the options.
    """
    kept: InsightStore | None = SqlInsightStore(store) if store else None
    agent_config = AgentConfig.from_file(Path(config)) if config is not None else None
    if source is None or source == "sample":
        data = load_sample_data()
        crm = MemorySource.from_snapshot(data.crm)
        for seller in sample_sellers:
            crm.add(seller)
        when = now or data.as_of
        scorer: LeadScorer | None = None
        if train:
            with warnings.catch_warnings():
                # A small sample: convergence and calibration notes are expected, not news.
                warnings.simplefilter("ignore")
                scorer = train_from_crm(crm, now=when, months=24).scorer
        validator = EmailValidator(resolver=StaticResolver.from_sample(data), now=when)
        providers = [SampleResearchProvider(data)]

        def sample_agent(cfg: AgentConfig, kept: InsightStore | None) -> QualificationAgent:
            return QualificationAgent(
                cfg, crm, providers=providers, email_validator=validator, scorer=scorer, store=kept
            )

        agent = sample_agent(agent_config or load_sample_config(), kept)
        if activate is None or activate:
            agent.activate(now=when)
        return BuiltAgent(agent, when, sample_agent)
    if agent_config is None:
        raise ConfigurationError(
            f"--config is required with --source {source}: the agent's settings"
        )
    built: CrmSource = crm_source_registry().create(source, **(source_options or {}))
    validator = EmailValidator(check_deliverability=check_deliverability)

    def configured(cfg: AgentConfig, kept: InsightStore | None) -> QualificationAgent:
        return QualificationAgent(cfg, built, store=kept, email_validator=validator)

    agent = configured(agent_config, kept)
    if activate:
        agent.activate(now=now)
    return BuiltAgent(agent, now, configured)
