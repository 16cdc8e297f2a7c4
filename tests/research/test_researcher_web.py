"""End to end: the Researcher with the real built-in providers over mocked HTTP (no network).

Wikidata finds the item and its ids; SEC EDGAR (real recorded NVIDIA submissions) and Wikipedia
use them; GDELT sheds load with 429s; the website's robots.txt fails. The research must carry on,
report each source, and never send the lead's personal data.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from leadqual.config import AgentConfig, CompanyKnowledge, Consent, ProductKnowledge
from leadqual.models import Lead, LeadContext
from leadqual.research.defaults import default_providers
from leadqual.research.researcher import Researcher
from leadqual.testing.research import RecordingSleep, mock_fetcher

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "research"
SUBMISSIONS = (FIX / "sec" / "fairvalue_submissions_CIK0001045810_NVDA.json").read_bytes()
RATE_LIMITED = (FIX / "gdelt" / "overwatch_rate_limited.txt").read_text(encoding="utf-8")


def snak(prop: str, datatype: str, value: Any) -> dict[str, Any]:
    vtype = {"wikibase-item": "wikibase-entityid"}.get(datatype, "string")
    return {
        "mainsnak": {
            "snaktype": "value",
            "property": prop,
            "datatype": datatype,
            "datavalue": {"value": value, "type": vtype},
        },
        "rank": "normal",
    }


# hand-built in the real claim shape: an item whose CIK is NVIDIA's
ENTITY = {
    "id": "Q182477",
    "labels": {"en": {"value": "Nvidia"}},
    "descriptions": {"en": {"value": "American technology company"}},
    "claims": {
        "P31": [snak("P31", "wikibase-item", {"id": "Q891723"})],
        "P856": [snak("P856", "url", "https://www.nvidia.com/")],
        "P5531": [snak("P5531", "external-id", "1045810")],
    },
    "sitelinks": {"enwiki": {"title": "Nvidia"}},
}


def web(requests: list[httpx.Request]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        host, path = request.url.host, request.url.path
        if host == "www.wikidata.org":
            if request.url.params["action"] == "wbsearchentities":
                return httpx.Response(200, json={"search": [{"id": "Q182477"}]})
            return httpx.Response(200, json={"entities": {"Q182477": ENTITY}})
        if host == "data.sec.gov" and path.startswith("/submissions/"):
            return httpx.Response(
                200, content=SUBMISSIONS, headers={"Content-Type": "application/json"}
            )
        if host == "data.sec.gov":
            return httpx.Response(404)
        if host == "en.wikipedia.org":
            return httpx.Response(
                200,
                json={
                    "type": "standard",
                    "title": "Nvidia",
                    "extract": "Nvidia designs GPUs.",
                    "wikibase_item": "Q182477",
                },
            )
        if host == "api.gleif.org":
            return httpx.Response(200, json={"data": []})
        if host == "api.gdeltproject.org":
            return httpx.Response(429, text=RATE_LIMITED, headers={"Content-Type": "text/plain"})
        if path == "/robots.txt":
            return httpx.Response(503)
        return httpx.Response(404)

    return handler


def test_web_research_end_to_end_over_recorded_and_failing_sources() -> None:
    requests: list[httpx.Request] = []
    fetcher = mock_fetcher(web(requests), sleep=RecordingSleep())
    config = AgentConfig(
        company=CompanyKnowledge(name="Tailspin"),
        products=(ProductKnowledge(name="Revenue Cloud", description="forecasting"),),
        consent=Consent(web_research=True),
    )
    lead = Lead(
        id="L-1", first_name="Jensen", last_name="Example", email="jensen.example@nvidia.com",
        company_name="NVIDIA Corporation", created_at=datetime(2024, 11, 1, tzinfo=UTC),
    )  # fmt: skip
    researcher = Researcher(
        config=config,
        providers=default_providers(fetcher, sec_user_agent="Leadqual Tests tests@example.org"),
    )
    res = researcher.research(LeadContext(lead=lead))

    states = {s.provider: s.state for s in res.sources}
    assert states == {
        "website": "empty",  # robots.txt failing: the site is not read
        "wikidata": "ok",
        "wikipedia": "ok",
        "gleif": "empty",
        "sec_edgar": "ok",
        "gdelt": "failed",  # 429 storm
    }
    # SEC used the CIK Wikidata found (no ticker-list search) and Wikipedia the sitelink title
    assert not any(r.url.path == "/files/company_tickers.json" for r in requests)
    assert any(r.url.path == "/submissions/CIK0001045810.json" for r in requests)
    assert any(r.url.path == "/api/rest_v1/page/summary/Nvidia" for r in requests)
    # facts merged across sources, each with its provenance
    industry = res.field("industry")
    assert industry is not None and industry.value == "Semiconductors & Related Devices"
    description = res.field("description")
    assert description is not None and {s.provider for s in description.sources} == {
        "wikidata",
        "wikipedia",
    }
    assert res.company is not None and res.company.domain == "nvidia.com"
    # nothing personal left the library
    for r in requests:
        text = str(r.url) + json.dumps(dict(r.headers))
        assert "jensen" not in text.lower() and "example@" not in text
    assert any("failed" in reason for reason in res.signal.reasons)
