"""The web view in process: an agent over a fresh copy of the sample CRM (offline), a hostile
lead and a hostile research provider planted in it, and a visitor that signs in and posts the
page's own forms (or, in the attacks, other ones)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from leadqual.agent import QualificationAgent
from leadqual.config import AgentConfig
from leadqual.email import EmailValidator, StaticResolver
from leadqual.research.providers import (
    CompanyOverview,
    CompanyQuery,
    NewsItem,
    Provenance,
    ResearchResult,
)
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.sources import MemorySource, SampleData
from leadqual.testing import FakeResearchProvider
from leadqual.web import SAMPLE_ADMIN, create_app

HOSTILE_FIRST = "<script>alert('first')</script>"
HOSTILE_LAST = '"><img src=x onerror=alert(1)>'
HOSTILE_COMPANY = "Evil & <b>Sons</b> Ltd"
HOSTILE_NEED = "</textarea><script>alert('need')</script>"
HOSTILE_NEWS = "<script>alert('news')</script> Evil & Sons wins"
HOSTILE_NEWS_URL = 'https://news.example/a"><script>alert(1)</script>'
HOSTILE_ID = "L-9001"
OTHER_SELLERS_LEAD = "L-0202"  # S-04's
MANAGER = "S-05"


@dataclass
class Site:
    """One app over one agent, with the pieces a test looks at."""

    agent: QualificationAgent
    source: MemorySource
    now: datetime
    client: TestClient
    app: Any

    @property
    def current(self) -> QualificationAgent:
        """The agent the app uses now (saving settings replaces it)."""
        agent: QualificationAgent = self.app.state.leadqual.agent
        return agent


def _hostile_research(query: CompanyQuery) -> ResearchResult:
    prov = Provenance(
        source="scraper",
        url="https://news.example/",
        retrieved_at=datetime(2026, 10, 30, tzinfo=UTC),
    )
    return ResearchResult(
        provider="scraper",
        overviews=(
            CompanyOverview(
                provenance=prov,
                name=query.name,
                description="<iframe src=https://evil.example></iframe> scraped",
                industry="<svg onload=alert(1)>",
            ),
        ),
        news=(
            NewsItem(
                provenance=prov,
                title=HOSTILE_NEWS,
                url=HOSTILE_NEWS_URL,
                topic="contract_won",
                published_at=datetime(2026, 10, 30, tzinfo=UTC),
            ),
        ),
        requests=1,
    )


def build_site(
    sample_data: SampleData,
    sample_config: AgentConfig,
    *,
    process: tuple[str, ...] = (
        "L-0172",
        "L-0171",
        "L-0216",
        "L-0201",
        "L-0202",
        "L-0192",
        "L-0210",
        HOSTILE_ID,
    ),
    **app_options: Any,
) -> Site:
    source = MemorySource.from_snapshot(sample_data.crm)
    template = source.get_lead("L-0172")
    source.add(
        SAMPLE_ADMIN,
        template.replace(
            id=HOSTILE_ID,
            first_name=HOSTILE_FIRST,
            last_name=HOSTILE_LAST,
            company_name=HOSTILE_COMPANY,
            need=HOSTILE_NEED,
            email="evil.ceo@icloud.com",
            website=None,
            account_id=None,
            contact_id=None,
        ),
    )
    validator = EmailValidator(
        resolver=StaticResolver.from_sample(sample_data), now=sample_data.as_of
    )
    providers = [
        SampleResearchProvider(sample_data),
        FakeResearchProvider("scraper", results=_hostile_research, external=False),
    ]

    def make(config: AgentConfig, store: Any = None) -> QualificationAgent:
        return QualificationAgent(
            config, source, providers=providers, email_validator=validator, store=store
        )

    agent = make(sample_config)
    for lead_id in process:
        agent.process(lead_id, now=sample_data.as_of)
    app = create_app(
        agent,
        rebuild=lambda cfg: make(cfg, agent.store),
        now=sample_data.as_of,
        **app_options,
    )
    client = TestClient(app, base_url="http://testserver")
    return Site(agent=agent, source=source, now=sample_data.as_of, client=client, app=app)


@pytest.fixture
def site(sample_data: SampleData, sample_config: AgentConfig) -> Iterator[Site]:
    """A fresh app over a fresh sample CRM with a few leads processed (tests may write)."""
    built = build_site(sample_data, sample_config)
    with built.client:
        yield built


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: httpx.Response | str) -> str:
    text = page if isinstance(page, str) else page.text
    found = _CSRF.search(text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, seller: str) -> str:
    """Sign in through the sign-in page; returns the session's new CSRF token."""
    token = csrf_of(client.get("/signin"))
    response = client.post("/signin", data={"csrf": token, "seller": seller})
    assert response.status_code == 200, response.text
    return csrf_of(client.get("/leads"))


class Markup(HTMLParser):
    """Every element and attribute of a page, as a browser would parse them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.headings: list[str] = []
        self._heading: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("h1", "h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)

    def by_id(self, element_id: str) -> dict[str, str | None] | None:
        return next((a for _, a in self.tags if a.get("id") == element_id), None)

    @property
    def visible_text(self) -> str:
        return "".join(self.text)


def assert_inert(text: str) -> Markup:
    """The page holds no markup but its own: no script but the copy helper, no element a
    hostile value could have opened, no event handler, no javascript: link."""
    page = Markup(text)
    for tag, attrs in page.tags:
        assert tag not in ("img", "iframe", "svg", "object", "embed", "b"), (tag, attrs)
        if tag == "script":
            assert attrs == {"src": "/static/copy.js", "defer": None}, attrs
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action") and value:
                assert not value.strip().lower().startswith(("javascript:", "data:")), value
    return page
