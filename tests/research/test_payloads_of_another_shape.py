"""Real recorded answers with one node of another type, as a changed API, a proxy or a hostile
mirror sends them: a string where an object was, ``true`` where a list was. Each built-in
provider ends in MalformedResponse naming itself (the reading code's exception kept as the
cause), never in an AttributeError or a TypeError; and the Researcher keeps what its other
sources found."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadqual.config import AgentConfig, CompanyKnowledge, Consent, ProductKnowledge
from leadqual.errors import MalformedResponse
from leadqual.models import Lead, LeadContext
from leadqual.research import Researcher
from leadqual.research.companies_house import CompaniesHouseProvider
from leadqual.research.gleif import GleifProvider
from leadqual.research.providers import CompanyQuery, ResearchResult
from leadqual.research.sec import SecEdgarProvider
from leadqual.research.wikidata import WikidataProvider
from leadqual.testing.research import FakeResearchProvider, mock_fetcher

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "research"
RECORDED = FIXTURES / "recorded"
UA = "Leadqual Tests tests@example.org"

GLEIF_SHELL = RECORDED / "gleif" / "gleif-rs_lei-record_21380068P1DRHMJ8KU70_shell.json"
SEC_FUND = RECORDED / "sec" / "edgartools_submissions_CIK0001800903_formD_fund.json"
CH_JOJO = RECORDED / "companies_house" / "companies_house_hub_company_02200605_dissolved.json"
WIKIDATA_ROTH = FIXTURES / "wikidata" / "wikibase-sdk_Q328212_entity.json"


def gleif(edit: Callable[[Any], None]) -> tuple[Any, CompanyQuery, Any]:
    doc = json.loads(GLEIF_SHELL.read_text(encoding="utf-8"))
    edit(doc["data"]["attributes"]["entity"])
    return GleifProvider, CompanyQuery(ids={"lei": "21380068P1DRHMJ8KU70"}), doc


def sec(edit: Callable[[Any], None]) -> tuple[Any, CompanyQuery, Any]:
    doc = json.loads(SEC_FUND.read_text(encoding="utf-8"))
    edit(doc)
    return (
        lambda f: SecEdgarProvider(f, user_agent=UA),
        CompanyQuery(name="x", ids={"sec_cik": "1800903"}),
        doc,
    )


def companies_house(edit: Callable[[Any], None]) -> tuple[Any, CompanyQuery, Any]:
    doc = json.loads(CH_JOJO.read_text(encoding="utf-8"))
    edit(doc)
    return (
        lambda f: CompaniesHouseProvider(f, api_key="k"),
        CompanyQuery(name="x", ids={"companies_house": "02200605"}),
        doc,
    )


def wikidata(edit: Callable[[Any], None]) -> tuple[Any, CompanyQuery, Any]:
    entity = json.loads(WIKIDATA_ROTH.read_text(encoding="utf-8"))
    edit(entity)
    return (
        WikidataProvider,
        CompanyQuery(name="Roth", ids={"wikidata": "Q328212"}),
        {"entities": {"Q328212": entity}, "success": 1},
    )


CASES = {
    "gleif-legal-name-true": gleif(lambda e: e.update(legalName=True)),
    "gleif-address-a-string": gleif(lambda e: e.update(headquartersAddress="SHELL CENTRE")),
    "gleif-registered-at-a-list": gleif(lambda e: e.update(registeredAt=["RA000585"])),
    "sec-exchanges-true": sec(lambda d: d.update(exchanges=True)),
    "sec-tickers-a-number": sec(lambda d: d.update(tickers=7)),
    "companies-house-office-a-string": companies_house(
        lambda d: d.update(registered_office_address="Beds.")
    ),
    "companies-house-accounts-a-list": companies_house(lambda d: d.update(accounts=[1])),
    "wikidata-labels-a-string": wikidata(lambda e: e.update(labels="Veronica Roth")),
    "wikidata-claims-a-list": wikidata(lambda e: e.update(claims=[1])),
}


def served(doc: Any) -> Callable[[httpx.Request], httpx.Response]:
    body = json.dumps(doc).encode()
    return lambda request: httpx.Response(
        200, content=body, headers={"Content-Type": "application/json"}
    )


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_node_of_another_type_is_a_malformed_response_naming_the_provider(case: Any) -> None:
    make, query, doc = case
    provider = make(mock_fetcher(served(doc)))
    with pytest.raises(MalformedResponse, match="does not have the shape") as info:
        asyncio.run(provider.aresearch(query))
    assert info.value.provider == provider.name
    # the reading code's own exception is kept for whoever debugs the source
    assert isinstance(info.value.__cause__, AttributeError | TypeError)


def test_the_recorded_answers_themselves_still_give_facts() -> None:
    for make, query, _ in (gleif(lambda e: None), companies_house(lambda d: None)):
        path = GLEIF_SHELL if make is GleifProvider else CH_JOJO
        doc = json.loads(path.read_text(encoding="utf-8"))
        result: ResearchResult = asyncio.run(make(mock_fetcher(served(doc))).aresearch(query))
        assert result.overviews and result.overviews[0].name


@pytest.mark.parametrize(
    "link",
    ["javascript:alert(1)", "JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,x"],
)
def test_a_website_that_is_not_a_web_address_is_a_malformed_response(link: str) -> None:
    # the filer's own website field becomes the overview's website: a javascript: link there
    # used to be presented as the company's site
    make, query, doc = sec(lambda d: d.update(website=link))
    provider = make(mock_fetcher(served(doc)))
    with pytest.raises(MalformedResponse, match="website") as info:
        asyncio.run(provider.aresearch(query))
    assert info.value.provider == provider.name


@pytest.mark.parametrize(
    "site", ["https://www.vest.example", "vest.example", "http://vest.example/x"]
)
def test_a_website_that_is_a_web_address_or_a_domain_is_kept(site: str) -> None:
    make, query, doc = sec(lambda d: d.update(website=site))
    result = asyncio.run(make(mock_fetcher(served(doc))).aresearch(query))
    assert result.overviews[0].website == site


def test_the_researcher_keeps_the_other_sources_when_one_answers_in_another_shape() -> None:
    make, _, doc = gleif(lambda e: e.update(legalName=True))
    listed = {"data": [doc["data"]]}  # a search by name answers with a list of records
    config = AgentConfig(
        company=CompanyKnowledge(name="Tailspin"),
        products=(ProductKnowledge(name="Revenue Cloud", description="forecasting"),),
        consent=Consent(web_research=True),
    )
    lead = Lead(
        id="L-1", company_name="Shell plc", email="buyer@shell.com",
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    researcher = Researcher(
        config=config, providers=[make(mock_fetcher(served(listed))), FakeResearchProvider("news")]
    )
    res = researcher.research(LeadContext(lead=lead))
    states = {s.provider: s.state for s in res.sources}
    assert states == {"gleif": "failed", "news": "ok"}
    assert res.field("name") is not None or res.company is not None
