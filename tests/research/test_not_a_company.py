"""A real-looking record about something that is not a company is never taken for the company.

Evidence rules, not name lists: an SEC filer is an organisation when EDGAR shows an entity type,
an SIC code, tickers, an EIN, a state of incorporation, a legal form or issuer reports, and a
person when it only files insider ownership reports; a Wikipedia page is an organisation when
its description or opening names one (or its title carries a legal form), and something else
when they name a person, place, work or idea.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual.config import AgentConfig, Consent
from leadqual.models import Lead, LeadContext
from leadqual.research.providers import CompanyQuery, ResearchResult
from leadqual.research.researcher import Researcher
from leadqual.research.sec import SecEdgarProvider, filer_kind
from leadqual.research.wikipedia import WikipediaPage, WikipediaProvider, page_kind
from leadqual.testing.research import FakeResearchProvider, mock_fetcher

FUND = Path(__file__).resolve().parents[1] / "fixtures" / "research" / "recorded" / "sec"
FUND_FILE = FUND / "edgartools_submissions_CIK0001800903_formD_fund.json"
UA = "Leadqual Tests tests@example.org"


def submissions(**changes: Any) -> dict[str, Any]:
    """The recorded fund's submissions file with some fields changed."""
    data: dict[str, Any] = json.loads(FUND_FILE.read_text(encoding="utf-8"))
    data.update(changes)
    return data


# An individual: EDGAR's shape for an officer who files Form 4 (invented name and address)
PERSON = submissions(
    cik="0001999001",
    name="ROE JANE Q",
    ein=None,
    stateOfIncorporation="",
    stateOfIncorporationDescription="",
    fiscalYearEnd=None,
    insiderTransactionForOwnerExists=1,
    insiderTransactionForIssuerExists=0,
    addresses={"business": {"street1": "1 ELM ST", "city": "SPRINGFIELD", "stateOrCountry": "IL"}},
    filings={"recent": {"form": ["4", "4", "3", "144"], "filingDate": ["2026-01-02"] * 4}},
)


def sec_result(data: dict[str, Any], calls: list[str] | None = None) -> ResearchResult:
    def handler(request: httpx.Request) -> httpx.Response:
        if calls is not None:
            calls.append(request.url.path)
        if request.url.path.startswith("/submissions/"):
            return httpx.Response(200, json=data)
        return httpx.Response(404)

    provider = SecEdgarProvider(mock_fetcher(handler), user_agent=UA)
    result: ResearchResult = asyncio.run(
        provider.aresearch(CompanyQuery(name="Roe Consulting", ids={"sec_cik": "1999001"}))
    )
    return result


def test_an_individual_sec_filer_is_not_a_company_and_nothing_about_them_is_kept() -> None:
    calls: list[str] = []
    result = sec_result(PERSON, calls)
    assert result.is_empty and result.no_match == "not_a_company"
    dumped = result.model_dump_json()
    assert "ROE" not in dumped and "ELM" not in dumped  # a person's name and address stay out
    assert not any("companyfacts" in c for c in calls)  # and nothing more is fetched about them


def test_a_filer_with_no_sign_either_way_is_a_candidate_below_the_fact_threshold() -> None:
    unknown = submissions(
        name="ROE HOLDINGS TRUST ACCOUNT 7",  # no legal form cleanco knows
        ein=None,
        stateOfIncorporation="",
        insiderTransactionForOwnerExists=0,
    )
    result = sec_result(unknown)
    ov = result.overviews[0]
    assert ov.provenance.match_confidence < 0.6 and result.identifiers == {}
    assert any("no sign" in n for n in result.notes)


@pytest.mark.parametrize(
    "changes",
    [
        {"entityType": "operating"},
        {"sic": "7372"},
        {"tickers": ["ROE"]},
        {"ein": "123456789"},
        {"stateOfIncorporation": "DE"},
        {"name": "ROE JANE Q LLC"},
        {"insiderTransactionForIssuerExists": 1},
    ],
)
def test_any_organisation_evidence_outweighs_insider_filings(changes: dict[str, Any]) -> None:
    kind, why = filer_kind({**PERSON, **changes})
    assert kind == "organisation" and why


@given(
    entity_type=st.sampled_from(["operating", "other", "", None]),
    sic=st.sampled_from(["", "3674", None]),
    owner=st.sampled_from([0, 1]),
    forms=st.lists(st.sampled_from(["4", "3", "10-K", "8-K", "D", "SC 13G"]), max_size=5),
)
def test_filer_kind_never_calls_an_operating_or_sic_coded_filer_a_person(
    entity_type: str | None, sic: str | None, owner: int, forms: list[str]
) -> None:
    data = {**PERSON, "entityType": entity_type, "sic": sic,
            "insiderTransactionForOwnerExists": owner, "filings": {"recent": {"form": forms}}}  # fmt: skip
    kind, _ = filer_kind(data)
    if entity_type == "operating" or sic:
        assert kind == "organisation"
    if kind == "person":
        assert owner == 1 and set(forms) <= {"4", "3", "SC 13G"}


# -- Wikipedia ------------------------------------------------------------------------------------


def summary(**fields: Any) -> dict[str, Any]:
    return {"type": "standard", "title": "Contoso", "extract": "Contoso.", **fields}


def wiki(answer: dict[str, Any], **ids: str) -> ResearchResult:
    provider = WikipediaProvider(mock_fetcher(lambda r: httpx.Response(200, json=answer)))
    query = CompanyQuery(name="Contoso", ids={"wikipedia": "Contoso", **ids})
    result: ResearchResult = asyncio.run(provider.aresearch(query))
    return result


@pytest.mark.parametrize(
    "answer",
    [
        summary(title="Fermat's Last Theorem", description="Theorem in number theory",
                extract="In number theory, Fermat's Last Theorem states that no three positive "
                "integers a, b, and c satisfy the equation."),
        summary(title="Jane Roe", description=None,
                extract="Jane Roe (born 4 May 1970) is a Mexican entrepreneur."),
        summary(title="Springfield", description="City in Illinois, United States"),
        summary(title="Contoso River", description=None, extract="The Contoso is a river in Peru."),
    ],
)  # fmt: skip
def test_a_page_about_a_theorem_person_or_place_is_not_a_company(answer: dict[str, Any]) -> None:
    result = wiki(answer)
    assert result.is_empty and result.no_match == "not_a_company"


def test_the_wikidata_item_does_not_vouch_for_a_page_that_describes_a_city() -> None:
    city = summary(title="Moscow", description="Capital and largest city of Russia",
                   wikibase_item="Q649")  # fmt: skip
    assert wiki(city, wikidata="Q649").no_match == "not_a_company"


@pytest.mark.parametrize(
    ("answer", "ids", "confidence"),
    [
        (summary(description="British bakery chain", wikibase_item="Q7"), {"wikidata": "Q7"}, 1.0),
        (summary(description="British bakery chain"), {}, 0.8),
        (summary(title="Contoso plc", description=None), {}, 0.8),
        (
            summary(description="Spanish bank", extract="Contoso (born of a merger) is a bank."),
            {},
            0.0,
        ),
        (summary(description=None), {}, 0.5),
        (summary(description=None, wikibase_item="Q7"), {"wikidata": "Q7"}, 1.0),
    ],
)
def test_organisation_evidence_sets_the_confidence(
    answer: dict[str, Any], ids: dict[str, str], confidence: float
) -> None:
    result = wiki(answer, **ids)
    if confidence == 0.0:  # "(born" reads as a person's life dates: the rule errs towards refusing
        assert result.no_match == "not_a_company"
        return
    assert result.overviews[0].provenance.match_confidence == confidence


def test_a_page_with_no_sign_of_an_organisation_is_not_shown_as_fact(
    sample_config: AgentConfig,
) -> None:
    consented = sample_config.replace(consent=Consent(web_research=True, granted_by="admin"))
    answer = summary(description=None, extract="Contoso is a word of uncertain origin.")
    titles = FakeResearchProvider(
        "wikidata",
        results=lambda q: ResearchResult(provider="wikidata", identifiers={"wikipedia": "Contoso"}),
    )
    wikipedia = WikipediaProvider(mock_fetcher(lambda req: httpx.Response(200, json=answer)))
    r = Researcher(config=consented, providers=[titles, wikipedia])
    lead = Lead(id="L-1", company_name="Contoso", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    research = r.research(LeadContext(lead=lead))
    assert research.status("wikipedia").state == "ok"  # type: ignore[union-attr]
    description = research.field("description")
    assert description is not None and description.value is None and description.unconfirmed


@given(st.text(max_size=60))
def test_page_kind_is_total(text: str) -> None:
    kind, why = page_kind(WikipediaPage(text or None, text, text, None, None))
    assert kind in ("organisation", "other", "unknown") and why
