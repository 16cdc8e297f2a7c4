"""Wikipedia page summary (REST ``page/summary``), by the title Wikidata or the website gives.

The page is looked up only by a known title (``query.ids["wikipedia"]``), never by searching the
company name, which avoids disambiguation mistakes; a disambiguation page is refused, and when
the Wikidata item is known the summary must belong to it. The text is CC BY-SA 4.0: shown with
attribution and a link. Anyone can edit Wikipedia, so the extract is untrusted text (cleaned and
capped).

Examples:
    >>> WikipediaProvider.name
    'wikipedia'
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from leadqual.research.http import HttpStatusError, SafeFetcher
from leadqual.research.providers import CompanyOverview, CompanyQuery, Provenance, ResearchResult
from leadqual.research.website import clean_text

__all__ = ["WikipediaProvider"]

LICENCE = "CC BY-SA 4.0 (Wikipedia text)"


class WikipediaProvider:
    """The English (or other language) Wikipedia summary of a company.

    Args:
        fetcher: the shared :class:`~leadqual.research.http.SafeFetcher`.
        language: the Wikipedia language edition (``en``).

    Examples:
        >>> from leadqual.research.http import SafeFetcher
        >>> WikipediaProvider(SafeFetcher(user_agent="docs")).depends_on
        ('wikidata', 'website')
    """

    name = "wikipedia"
    external = True
    max_concurrency = 2
    """Calls in flight at once (the Researcher honours it)."""
    depends_on = ("wikidata", "website")

    def __init__(self, fetcher: SafeFetcher, *, language: str = "en") -> None:
        self.fetcher = fetcher
        self.language = language
        fetcher.limit(f"{language}.wikipedia.org", 5.0)

    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        """Read the summary of the company's Wikipedia page, when its title is known."""
        title = company.ids.get("wikipedia")
        if not title:
            return ResearchResult(
                provider=self.name,
                notes=("no Wikipedia title known (Wikidata or the website supplies it)",),
            )
        url = (
            f"https://{self.language}.wikipedia.org/api/rest_v1/page/summary/"
            f"{quote(title.replace(' ', '_'), safe='')}"
        )
        try:
            data = await self.fetcher.get_json(url, provider=self.name)
        except HttpStatusError as err:
            if err.status_code == 404:
                return ResearchResult(provider=self.name, notes=(f"no page {title!r}",), requests=1)
            raise
        if data.get("type") == "disambiguation":
            return ResearchResult(
                provider=self.name, notes=(f"{title!r} is a disambiguation page",), requests=1
            )
        qid = company.ids.get("wikidata")
        item = data.get("wikibase_item")
        if qid and item and item != qid:
            return ResearchResult(
                provider=self.name,
                notes=(f"page {title!r} is about {item}, not {qid}: skipped",),
                requests=1,
            )
        page = ((data.get("content_urls") or {}).get("desktop") or {}).get("page") or (
            f"https://{self.language}.wikipedia.org/wiki/{quote(title.replace(' ', '_'))}"
        )
        prov = Provenance(
            source=self.name,
            url=page,
            retrieved_at=datetime.now(UTC),
            licence=LICENCE,
            attribution=f"From Wikipedia ({page}), text under CC BY-SA 4.0",
            match_confidence=1.0 if qid and item == qid else 0.8,
        )
        overview = CompanyOverview(
            provenance=prov,
            name=clean_text(data.get("title"), limit=200),
            description=clean_text(data.get("extract"), limit=800),
            identifiers={"wikipedia": title, **({"wikidata": str(item)} if item else {})},
            raw={"short_description": clean_text(data.get("description"), limit=200)},
        )
        return ResearchResult(provider=self.name, overviews=(overview,), requests=1)
