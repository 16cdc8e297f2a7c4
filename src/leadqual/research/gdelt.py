"""GDELT DOC 2.0 news search, best effort.

GDELT is free and open with a citation to the GDELT Project. It asks for at most one request
every five seconds and sheds load with HTTP 429 (a plain-text body, not JSON); a query it dislikes
gets HTTP 200 with a plain-text error. This provider rate limits itself, retries at most once, and
turns "no results" and query errors into an empty result rather than a failure. Articles carry
only a title, URL, date, domain, language and country: no snippet.

Examples:
    >>> parse_seendate("20240615T170000Z").isoformat()
    '2024-06-15T17:00:00+00:00'
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from leadqual._text import normalize_company_name, strip_legal_suffixes
from leadqual.research._payloads import reads_payloads
from leadqual.research.http import JSON_TYPES, TEXT_TYPES, SafeFetcher
from leadqual.research.providers import (
    CompanyQuery,
    NewsItem,
    Provenance,
    ResearchResult,
    classify_news_topic,
)
from leadqual.research.website import clean_text

__all__ = ["GdeltProvider", "parse_articles", "parse_seendate"]

logger = logging.getLogger(__name__)

API = "https://api.gdeltproject.org/api/v2/doc/doc"
LICENCE = "GDELT Project terms (free and open, citation required)"
ATTRIBUTION = "News search by the GDELT Project (https://www.gdeltproject.org/)"


def parse_seendate(value: str, /) -> datetime | None:
    """GDELT's compact ``YYYYMMDDTHHMMSSZ`` timestamp as an aware datetime."""
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def parse_articles(
    data: Mapping[str, Any], /, *, company: str | None, provenance: Provenance
) -> tuple[NewsItem, ...]:
    """News items from an ``ArtList`` JSON answer. Titles naming the company get a higher match
    confidence than articles that only mention it in the body."""
    name = normalize_company_name(company) if company else ""
    out = []
    for art in data.get("articles") or ():
        if not isinstance(art, Mapping):
            continue
        title = clean_text(art.get("title"), limit=500) or ""
        url = str(art.get("url") or "")
        if not title or not url.lower().startswith(("http://", "https://")):
            continue
        in_title = bool(name) and name in normalize_company_name(title)
        out.append(
            NewsItem(
                provenance=provenance.replace(match_confidence=0.8 if in_title else 0.6),
                title=title,
                url=url,
                published_at=parse_seendate(str(art.get("seendate") or "")),
                topic=classify_news_topic(title),
                publisher=art.get("domain") or None,
                language=art.get("language") or None,
            )
        )
    return tuple(out)


class GdeltProvider:
    """Company news from the GDELT DOC 2.0 API (keyless, best effort).

    Args:
        fetcher: the shared :class:`~leadqual.research.http.SafeFetcher`.
        timespan: search window (``"3m"`` is GDELT's maximum; ``"30d"``, ``"1w"``).
        max_records: articles asked for (GDELT allows up to 250).
        english_only: add ``sourcelang:english`` to the query.

    Examples:
        >>> from leadqual.research.http import SafeFetcher
        >>> GdeltProvider(SafeFetcher(user_agent="docs")).query_for(
        ...     CompanyQuery(name="Contoso Ltd", domain="contoso.com"))
        '"Contoso" -domainis:contoso.com sourcelang:english'
    """

    name = "gdelt"
    external = True
    max_concurrency = 1
    """Calls in flight at once (the Researcher honours it)."""

    def __init__(
        self,
        fetcher: SafeFetcher,
        *,
        timespan: str = "3m",
        max_records: int = 50,
        english_only: bool = True,
    ) -> None:
        self.fetcher = fetcher
        self.timespan = timespan
        self.max_records = max(1, min(max_records, 250))
        self.english_only = english_only
        fetcher.limit("api.gdeltproject.org", 0.2)  # one request every 5 seconds

    def query_for(self, company: CompanyQuery, /) -> str | None:
        """The GDELT query for a company: its name as a phrase, its own site excluded."""
        if not company.name:
            return None
        # the phrase as people write it: legal forms dropped, capitalisation kept
        phrase = strip_legal_suffixes(company.name).replace('"', "")
        parts = [f'"{phrase}"']
        if company.domain:
            parts.append(f"-domainis:{company.domain}")
        if self.english_only:
            parts.append("sourcelang:english")
        return " ".join(parts)

    @reads_payloads
    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        """Search recent news about the company."""
        query = self.query_for(company)
        if query is None:
            return ResearchResult(provider=self.name, notes=("no company name to search",))
        params: dict[str, str | int] = {
            "query": query,
            "mode": "ArtList",
            "format": "json",
            "maxrecords": self.max_records,
            "timespan": self.timespan,
            "sort": "DateDesc",
        }
        response = await self.fetcher.fetch(
            API,
            params=params,
            accept=(*JSON_TYPES, *TEXT_TYPES, "text/html"),
            provider=self.name,
            max_attempts=2,
        )
        body = response.text.strip()
        if not body or body == "{}":
            return ResearchResult(provider=self.name, notes=("no recent news",), requests=1)
        try:
            data = json.loads(body)
        except ValueError:
            # GDELT answers some bad queries with HTTP 200 and a plain-text message
            return ResearchResult(
                provider=self.name,
                notes=(f"GDELT refused the query: {body[:160]}",),
                requests=1,
            )
        if not isinstance(data, Mapping):
            return ResearchResult(
                provider=self.name, notes=("unexpected GDELT answer",), requests=1
            )
        prov = Provenance(
            source=self.name,
            url=str(httpx.URL(API, params=params)),
            retrieved_at=response.retrieved_at,
            licence=LICENCE,
            attribution=ATTRIBUTION,
            match_confidence=0.6,
        )
        news = parse_articles(data, company=company.name, provenance=prov)
        return ResearchResult(
            provider=self.name,
            news=news,
            notes=() if news else ("no recent news",),
            requests=1,
        )
