"""Build the agent the web view serves (the bundled sample CRM by default, or a configured CRM
source and insight store) and run the app with uvicorn."""

from __future__ import annotations

import os
import warnings
from datetime import datetime
from pathlib import Path

from leadqual.agent import QualificationAgent
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
from leadqual.web.app import Rebuild, create_app

__all__ = ["SAMPLE_ADMIN", "build_agent", "serve"]

SAMPLE_ADMIN = Seller(
    id="S-ADMIN",
    name="Sample Admin",
    roles=("System Administrator",),
    title="CRM administrator",
)
"""The admin the web view adds to the sample CRM, so its settings page can be tried (the sample's
own sellers are salespeople and one sales manager)."""


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
) -> tuple[QualificationAgent, datetime | None, Rebuild]:
    """The agent the web view serves, the reference time of its pages, and how to build it
    anew for a saved configuration (same source, store and components).

    Without ``source``, the bundled sample CRM (offline research and DNS answers, its fixed
    reference time, and :data:`SAMPLE_ADMIN` added), with a scoring model trained on its closed
    leads when ``train``; it is activated unless ``activate=False``. Otherwise the CRM source
    registered under ``source`` (``sqlite`` with ``path=``, or an installed plugin) built with
    ``source_options``, and the configuration file ``config`` (required).

    Raises:
        ConfigurationError: a source without a configuration file, or a bad store URL.
        PluginError: an unknown source, or one that cannot be built with the options.
    """
    kept: InsightStore | None = SqlInsightStore(store) if store else None
    agent_config = AgentConfig.from_file(Path(config)) if config is not None else None
    if source is None or source == "sample":
        data = load_sample_data()
        crm = MemorySource.from_snapshot(data.crm)
        crm.add(SAMPLE_ADMIN)
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
                cfg,
                crm,
                providers=providers,
                email_validator=validator,
                scorer=scorer,
                store=kept,
            )

        agent = sample_agent(agent_config or load_sample_config(), kept)
        if activate is None or activate:
            agent.activate(now=when)
        return agent, when, lambda cfg: sample_agent(cfg, agent.store)
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
    return agent, now, lambda cfg: configured(cfg, agent.store)


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    config: str | os.PathLike[str] | None = None,
    store: str | None = None,
    source: str | None = None,
    source_options: dict[str, str] | None = None,
    now: datetime | None = None,
    train: bool = True,
    activate: bool | None = None,
    check_deliverability: bool = True,
    secret: bytes | None = None,
    secure_cookie: bool = False,
    log_level: str = "info",
) -> None:
    """Run the web view with uvicorn until interrupted (see :func:`build_agent` for the agent,
    :func:`~leadqual.web.create_app` for the app).

    Settings an admin saves are written to ``config`` when one is given; on the sample without
    one they last until the process ends.

    Raises:
        ConfigurationError: see :func:`build_agent`.
    """
    import uvicorn

    agent, when, rebuild = build_agent(
        config=config,
        source=source,
        source_options=source_options,
        store=store,
        now=now,
        train=train,
        activate=activate,
        check_deliverability=check_deliverability,
    )
    app = create_app(
        agent,
        rebuild=rebuild,
        config_path=Path(config) if config is not None else None,
        now=when,
        secret=secret,
        secure_cookie=secure_cookie,
    )
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False)
