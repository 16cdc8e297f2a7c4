"""GDELT provider over the real recorded answers: an article list, a plain-text 429 and a
plain-text error served with HTTP 200."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from leadqual.errors import RateLimited
from leadqual.research.gdelt import GdeltProvider, parse_seendate
from leadqual.research.http import FetchPolicy
from leadqual.research.providers import CompanyQuery
from leadqual.testing.research import RecordingSleep, mock_fetcher

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "research" / "gdelt"
ARTICLES = (FIX / "overwatch_vizhinjam_2024.json").read_bytes()
RATE_LIMITED = (FIX / "overwatch_rate_limited.txt").read_text(encoding="utf-8")
KEYWORD_ERROR = (FIX / "overwatch_keyword_error.txt").read_text(encoding="utf-8")
QUERY = CompanyQuery(name="Vizhinjam International Seaport Ltd", domain="vizhinjamport.in")


def test_articles_are_parsed_into_news_with_provenance() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, content=ARTICLES, headers={"Content-Type": "application/json; charset=utf-8"}
        )

    result = asyncio.run(GdeltProvider(mock_fetcher(handler)).aresearch(QUERY))
    assert len(result.news) >= 3
    first = result.news[0]
    assert first.title == "Customs grants approval to Vizhinjam International Seaport"
    assert (
        first.published_at is not None
        and first.published_at.isoformat() == "2024-06-15T17:00:00+00:00"
    )
    assert first.publisher == "thehindu.com"
    assert first.provenance.attribution and "GDELT" in first.provenance.attribution
    assert first.provenance.match_confidence == 0.8  # the company is named in the title
    malayalam = [n for n in result.news if n.language == "Malayalam"]
    assert malayalam and malayalam[0].provenance.match_confidence == 0.6
    params = seen[0].url.params
    assert (
        params["query"]
        == '"Vizhinjam International Seaport" -domainis:vizhinjamport.in sourcelang:english'
    )
    assert params["mode"] == "ArtList" and params["format"] == "json"


def test_plain_text_429_is_rate_limited_after_one_retry_without_parsing_json() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(429, text=RATE_LIMITED, headers={"Content-Type": "text/plain"})

    sleep = RecordingSleep()
    with pytest.raises(RateLimited):
        asyncio.run(GdeltProvider(mock_fetcher(handler, sleep=sleep)).aresearch(QUERY))
    assert calls == 2  # one retry at most


def test_plain_text_error_with_status_200_is_an_empty_result() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, text=KEYWORD_ERROR, headers={"Content-Type": "text/html; charset=utf-8"}
        )

    result = asyncio.run(GdeltProvider(mock_fetcher(handler)).aresearch(QUERY))
    assert result.is_empty
    assert "too short, too long or too common" in result.notes[0]


@pytest.mark.parametrize("body", [b"", b"{}", b'{"articles": []}'])
def test_no_results_is_an_empty_result(body: bytes) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    result = asyncio.run(GdeltProvider(mock_fetcher(handler)).aresearch(QUERY))
    assert result.is_empty and result.notes == ("no recent news",)


def test_gdelt_is_limited_to_one_request_every_five_seconds() -> None:
    fetcher = mock_fetcher(lambda r: httpx.Response(200, json={}), policy=FetchPolicy())
    GdeltProvider(fetcher)
    assert fetcher._limiter._intervals["api.gdeltproject.org"] == 5.0


def test_a_query_without_a_name_asks_nothing() -> None:
    result = asyncio.run(
        GdeltProvider(mock_fetcher(lambda r: httpx.Response(500))).aresearch(
            CompanyQuery(domain="x.com")
        )
    )
    assert result.is_empty and result.requests == 0


def test_parse_seendate_rejects_other_formats() -> None:
    assert parse_seendate("2024-06-15") is None
