"""The seller's web view (``pip install 'leadqual[web]'``, ``leadqual serve``): server-rendered
pages over the agent's public API: sign-in (a stand-in), the prioritised carousel, the lead
insight with its draft, qualification, feedback, the supervisor's review list and the admin
settings with the backtest of a change.

Examples:
    >>> from starlette.testclient import TestClient
    >>> agent, now, rebuild = build_agent(train=False)
    >>> client = TestClient(create_app(agent, rebuild=rebuild, now=now))
    >>> client.get("/signin").status_code
    200
"""

from leadqual.web.app import PAGE_SIZE, Rebuild, WebState, create_app
from leadqual.web.server import SAMPLE_ADMIN, build_agent, serve

__all__ = ["PAGE_SIZE", "SAMPLE_ADMIN", "Rebuild", "WebState", "build_agent", "create_app", "serve"]
