"""SEC EDGAR provider over the real recorded NVIDIA submissions file."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadqual.errors import ConfigurationError
from leadqual.research.providers import CompanyQuery, Provenance
from leadqual.research.sec import (
    SecEdgarProvider,
    annual_series,
    financials_from_facts,
    news_from_submissions,
    overview_from_submissions,
)
from leadqual.testing.research import mock_fetcher

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "research" / "sec"
SUBMISSIONS: dict[str, Any] = json.loads(
    (FIX / "fairvalue_submissions_CIK0001045810_NVDA.json").read_text(encoding="utf-8")
)
UA = "Leadqual Tests tests@example.org"
PROV = Provenance(source="sec_edgar", retrieved_at=datetime(2024, 12, 1, tzinfo=UTC))


def usd(tag_values: list[tuple[str, str, float, str, str]]) -> dict[str, Any]:
    return {
        "units": {
            "USD": [
                {
                    "start": s,
                    "end": e,
                    "val": v,
                    "form": f,
                    "fp": "FY",
                    "filed": filed,
                    "fy": int(e[:4]),
                }
                for s, e, v, f, filed in tag_values
            ]
        }
    }


# companyfacts in the documented shape; values are invented (no small real file is available)
FACTS: dict[str, Any] = {
    "cik": 1045810,
    "entityName": "NVIDIA CORP",
    "facts": {
        "us-gaap": {
            "RevenueFromContractWithCustomerExcludingAssessedTax": usd([
                ("2022-01-31", "2023-01-29", 100.0, "10-K", "2023-02-24"),
                ("2023-01-30", "2024-01-28", 150.0, "10-K", "2024-02-21"),
                ("2023-10-30", "2024-01-28", 40.0, "10-K", "2024-02-21"),  # a quarter inside
                ("2023-01-30", "2024-01-28", 151.0, "10-K/A", "2024-05-01"),  # restated
            ]),
            "NetIncomeLoss": usd([("2023-01-30", "2024-01-28", 30.0, "10-K", "2024-02-21")]),
            "NetCashProvidedByUsedInOperatingActivities": usd([("2023-01-30", "2024-01-28", 20.0, "10-K", "2024-02-21")]),
        }
    },
}  # fmt: skip


def test_overview_from_the_real_submissions_file() -> None:
    ov = overview_from_submissions(SUBMISSIONS, provenance=PROV)
    assert ov.name == "NVIDIA CORP"
    assert ov.industry == "Semiconductors & Related Devices"
    assert ov.country == "United States"
    assert ov.headquarters and ov.headquarters.startswith("Santa Clara")
    assert ov.identifiers == {"sec_cik": "0001045810", "ticker": "NVDA"}
    assert ov.website is None and ov.description is None  # empty strings in the real file
    assert ov.raw["former_names"] == ["NVIDIA CORP/CA"]


def test_8k_items_become_news_with_topics() -> None:
    news = news_from_submissions(
        SUBMISSIONS, provenance=PROV, since=datetime(2024, 10, 1, tzinfo=UTC)
    )
    by_date = {n.published_at.date().isoformat(): n for n in news if n.published_at}
    assert by_date["2024-11-20"].topic == "financial_results"  # items 2.02,9.01
    assert by_date["2024-11-07"].topic == "leadership_change"  # item 5.02
    assert "8-K item 5.02" in by_date["2024-11-07"].title
    assert by_date["2024-11-07"].url.startswith("https://www.sec.gov/Archives/edgar/data/1045810/")
    assert all(n.published_at and n.published_at >= datetime(2024, 10, 1, tzinfo=UTC) for n in news)


def test_annual_series_prefers_restatements_and_skips_quarters() -> None:
    series = annual_series(
        FACTS, ("Revenues", "RevenueFromContractWithCustomerExcludingAssessedTax")
    )
    assert [(m.fiscal_year, m.value) for m in series] == [(2023, 100.0), (2024, 151.0)]


def test_financial_health_is_judged_with_reasons() -> None:
    fin = financials_from_facts(FACTS, provenance=PROV)
    assert fin is not None
    assert fin.revenue == 151.0 and fin.net_income == 30.0 and fin.fiscal_year == 2024
    assert fin.health == "strong"
    assert any("grew 51%" in r for r in fin.health_reasons)
    flagged = financials_from_facts(FACTS, provenance=PROV, red_flags=["4.02"])
    assert flagged is not None and flagged.health != "strong"
    assert financials_from_facts({"facts": {}}, provenance=PROV) is None


def handler_for(calls: list[httpx.Request], *, facts_status: int = 200) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        path = request.url.path
        if path == "/files/company_tickers.json":
            return httpx.Response(
                200, json={"0": {"cik_str": 1045810, "ticker": "NVDA", "title": "NVIDIA CORP"}}
            )
        if path.startswith("/submissions/"):
            return httpx.Response(200, json=SUBMISSIONS)
        if path.startswith("/api/xbrl/companyfacts/"):
            return httpx.Response(facts_status, json=FACTS)
        return httpx.Response(404)

    return handler


def test_provider_by_name_sends_the_contact_user_agent_and_shares_a_rate_limit() -> None:
    calls: list[httpx.Request] = []
    fetcher = mock_fetcher(handler_for(calls))
    provider = SecEdgarProvider(fetcher, user_agent=UA)
    result = asyncio.run(provider.aresearch(CompanyQuery(name="Nvidia Corp", domain="nvidia.com")))
    assert [r.url.host for r in calls] == ["www.sec.gov", "data.sec.gov", "data.sec.gov"]
    assert {r.headers["user-agent"] for r in calls} == {UA}
    assert (
        result.overviews[0].provenance.match_confidence == 0.7
    )  # a name match, unconfirmed by website
    assert result.financials[0].listed and result.financials[0].tickers == ("NVDA",)
    assert (
        fetcher._limiter.key_for("data.sec.gov")
        == fetcher._limiter.key_for("www.sec.gov")
        == "sec.gov"
    )


def test_provider_by_cik_skips_the_ticker_list() -> None:
    calls: list[httpx.Request] = []
    provider = SecEdgarProvider(mock_fetcher(handler_for(calls)), user_agent=UA)
    result = asyncio.run(
        provider.aresearch(CompanyQuery(name="NVIDIA", ids={"sec_cik": "1045810"}))
    )
    assert calls[0].url.path == "/submissions/CIK0001045810.json"
    assert result.overviews[0].provenance.match_confidence == 1.0


def test_missing_company_facts_still_give_profile_and_news() -> None:
    calls: list[httpx.Request] = []
    provider = SecEdgarProvider(mock_fetcher(handler_for(calls, facts_status=404)), user_agent=UA)
    result = asyncio.run(provider.aresearch(CompanyQuery(name="x", ids={"sec_cik": "1045810"})))
    assert result.overviews and not result.financials
    assert any("no XBRL" in n for n in result.notes)


def test_unknown_company_is_an_empty_result() -> None:
    calls: list[httpx.Request] = []
    provider = SecEdgarProvider(mock_fetcher(handler_for(calls)), user_agent=UA)
    result = asyncio.run(provider.aresearch(CompanyQuery(name="Tiny Local Bakery")))
    assert result.is_empty and "not US-listed" in result.notes[0]


@pytest.mark.parametrize("ua", ["", "leadqual", "python-httpx/0.28", "ops@acme.com"])
def test_a_contact_user_agent_is_required(ua: str) -> None:
    with pytest.raises(ConfigurationError, match="contact"):
        SecEdgarProvider(mock_fetcher(lambda r: httpx.Response(200)), user_agent=ua)


def test_request_rate_is_capped_at_the_sec_limit() -> None:
    with pytest.raises(ConfigurationError, match="at most 10"):
        SecEdgarProvider(
            mock_fetcher(lambda r: httpx.Response(200)), user_agent=UA, requests_per_second=20
        )


def test_concurrent_first_lookups_download_the_ticker_list_once() -> None:
    # the list is ~1 MB and the SEC counts every request against its limit
    calls: list[httpx.Request] = []
    answer = handler_for(calls)

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)  # a real download takes time: the other lookups start meanwhile
        response: httpx.Response = answer(request)
        return response

    provider = SecEdgarProvider(mock_fetcher(slow), user_agent=UA)  # type: ignore[arg-type]

    async def four() -> None:
        names = ["Nvidia Corp", "Acme", "Contoso", "Fabrikam"]
        await asyncio.gather(*(provider.aresearch(CompanyQuery(name=n)) for n in names))

    asyncio.run(four())
    assert sum(1 for r in calls if r.url.path == "/files/company_tickers.json") == 1
