"""Build the agent the web view serves (the bundled sample CRM by default, or a configured CRM
source and insight store) and run the app with uvicorn."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Unpack

from leadqual.agent import AgentSetup, QualificationAgent
from leadqual.agent import build_agent as build_served
from leadqual.models import Seller
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
    **setup: Unpack[AgentSetup],
) -> tuple[QualificationAgent, datetime | None, Rebuild]:
    """The agent the web view serves, the reference time of its pages, and how to build it
    anew for a saved configuration (same source, store and components): the agent
    :func:`leadqual.agent.build_agent` builds with the same keyword arguments, with
    :data:`SAMPLE_ADMIN` added to the sample CRM.

    Raises:
        ConfigurationError: a source without a configuration file, or a bad store URL.
        PluginError: an unknown source, or one that cannot be built with the options.
    """
    built = build_served(**setup, sample_sellers=(SAMPLE_ADMIN,))
    return built.agent, built.now, built.rebuild


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
