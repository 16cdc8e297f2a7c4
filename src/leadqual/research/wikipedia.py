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

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import quote

from leadqual._text import strip_legal_suffixes
from leadqual.research._payloads import reads_payloads
from leadqual.research.http import HttpStatusError, SafeFetcher
from leadqual.research.providers import CompanyOverview, CompanyQuery, Provenance, ResearchResult
from leadqual.research.website import clean_text

__all__ = ["WikipediaPage", "WikipediaProvider", "page_kind", "parse_page"]

LICENCE = "CC BY-SA 4.0 (Wikipedia text)"

# Words of a short description or an article's opening that say it is about an organisation
# ("American multinational technology company", "Spanish bank", "British broadcaster")...
_ORG_WORDS = frozenset({
    "agency", "airline", "association", "bank", "bancorp", "brand", "brewery", "broadcaster",
    "business", "carrier", "chain", "charity", "club", "college", "companies", "company",
    "conglomerate", "consultancy", "cooperative", "corporation", "developer", "distributor",
    "enterprise", "firm", "foundation", "franchise", "hospital", "insurer", "institute",
    "label", "maker", "manufacturer", "multinational", "nonprofit", "ngo", "operator",
    "organisation", "organization", "partnership", "producer", "provider", "publisher",
    "retailer", "startup", "studio", "subsidiary", "supplier", "university", "utility",
    "wholesaler",
})  # fmt: skip
# ...and words that say it is about something else: a person, a place, a work, an idea
_OTHER_WORDS = frozenset({
    "actor", "actress", "album", "athlete", "author", "battle", "book", "capital", "city",
    "composer", "concept", "conjecture", "continent", "country", "county", "disambiguation",
    "disease", "dramatist", "dynasty", "empire", "episode", "equation", "essayist", "film",
    "footballer", "genus", "humorist", "island", "journalist", "kingdom", "kings", "lake",
    "language", "lemma", "mathematician", "mountain", "municipality", "musician", "novel",
    "novelist", "painter", "philosopher", "physicist", "player", "poet", "politician",
    "province", "religion", "river", "scientist", "singer", "song", "species", "theorem",
    "theory", "town", "village", "war", "writer",
})  # fmt: skip
_WORD = re.compile(r"[a-z]+")
# "(born 4 May 1970", "(11 March 1952 - 11 May 2001)", "(February 24, 1955 - October 5, 2011)",
# the dash written as an en dash, an em dash or a hyphen
_LIFE_DATES = re.compile(
    r"\((?:born\b|b\.\s)|\(\s*(?:\d{1,2}\s+)?[A-Z][a-z]+\.?\s+(?:\d{1,2},\s+)?\d{3,4}\s*[\u2013\u2014-]"
)


@dataclass(frozen=True)
class WikipediaPage:
    """One Wikipedia page as :func:`parse_page` read it, whichever API shape it came in."""

    title: str | None
    extract: str | None
    """The opening text, plain (HTML extracts are reduced to their text)."""
    description: str | None
    """The short description (``Capital and largest city of Russia``)."""
    wikibase_item: str | None
    url: str | None
    disambiguation: bool = False
    missing: bool = False


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _plain(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = str(value)
    if "<" in text:  # an action-API extract without explaintext is HTML
        parser = _Text()
        parser.feed(text)
        parser.close()
        text = " ".join(parser.parts)
    return text


def _first_string(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return str(value) if isinstance(value, str) and value.strip() else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _action_page(query: Mapping[str, Any], title: str | None) -> Mapping[str, Any] | None:
    pages = query.get("pages")
    # formatversion 1 keys pages by page id (a string, "-1" for a missing page); 2 lists them
    found = list(pages.values()) if isinstance(pages, Mapping) else pages
    candidates = [p for p in found or () if isinstance(p, Mapping)]
    if not candidates:
        return None
    wanted = (title or "").replace("_", " ")
    for step in ("normalized", "redirects"):
        for hop in query.get(step) or ():
            if isinstance(hop, Mapping) and hop.get("from") == wanted and hop.get("to"):
                wanted = str(hop["to"])
    return next((p for p in candidates if p.get("title") == wanted), candidates[0])


def parse_page(data: Any, /, *, title: str | None = None) -> WikipediaPage | None:
    """A :class:`WikipediaPage` from a REST ``page/summary`` answer (the current layout or the
    2017 one without ``type``, ``titles`` and ``wikibase_item``) or an action-API ``query``
    answer (formatversion 1 or 2); ``None`` for a body that is neither. ``title`` picks the page
    when an action-API answer holds several.

    Examples:
        >>> parse_page({"title": "Contoso", "type": "standard", "wikibase_item": "Q1"}).title
        'Contoso'
        >>> parse_page({"query": {"pages": {"-1": {"title": "Nope", "missing": ""}}}}).missing
        True
    """
    if not isinstance(data, Mapping):
        return None
    query = data.get("query")
    if isinstance(query, Mapping):
        page = _action_page(query, title)
        if page is None:
            return None
        props = _mapping(page.get("pageprops"))
        terms = _mapping(page.get("terms"))
        # fv1 marks a flag with an empty string, fv2 with true
        return WikipediaPage(
            title=_first_string(page.get("title")),
            extract=_plain(page.get("extract")),
            description=_first_string(terms.get("description"))
            or _first_string(props.get("wikibase-shortdesc")),
            wikibase_item=_first_string(props.get("wikibase_item")),
            url=_first_string(page.get("canonicalurl")) or _first_string(page.get("fullurl")),
            disambiguation="disambiguation" in props,
            missing="missing" in page or "invalid" in page,
        )
    if not isinstance(data.get("title"), str) and not isinstance(data.get("extract"), str):
        return None
    desktop = (data.get("content_urls") or {}).get("desktop") or {}
    return WikipediaPage(
        title=_first_string(data.get("title")),
        extract=_plain(data.get("extract")),
        description=_first_string(data.get("description")),
        wikibase_item=_first_string(data.get("wikibase_item")),
        url=_first_string(desktop.get("page")) if isinstance(desktop, Mapping) else None,
        disambiguation=data.get("type") == "disambiguation",
    )


PageKind = Literal["organisation", "other", "unknown"]


def page_kind(page: WikipediaPage, /) -> tuple[PageKind, str]:
    """Whether a page is about an organisation, and the evidence.

    A person's life dates in the opening say ``other``; then words of the short description
    and the opening that name an organisation (``company``, ``bank``, ``manufacturer``...) or a
    legal form in the title say ``organisation``; words that name something else (``city``,
    ``writer``, ``theorem``...) say ``other``; with none of these the kind is ``unknown``.

    Examples:
        >>> page_kind(WikipediaPage("Contoso", None, "British bakery chain", None, None))
        ('organisation', "the description says 'chain'")
        >>> page_kind(WikipediaPage("Fermat's Last Theorem", None, "Theorem in number theory",
        ...                         None, None))[0]
        'other'
    """
    opening = " ".join((page.extract or "")[:250].split())
    if _LIFE_DATES.search(opening):
        return "other", "the opening gives a person's life dates"
    for source, text in (("description", page.description), ("opening", opening)):
        words = set(_WORD.findall((text or "").lower()))
        org = sorted(words & _ORG_WORDS)
        if org:
            return "organisation", f"the {source} says {org[0]!r}"
        other = sorted(words & _OTHER_WORDS)
        if other:
            return "other", f"the {source} says {other[0]!r}"
    if page.title and strip_legal_suffixes(page.title) != page.title:
        return "organisation", "the title carries a legal form"
    return "unknown", "no sign the page is about an organisation"


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

    @reads_payloads
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
                return ResearchResult(
                    provider=self.name,
                    notes=(f"no page {title!r}",),
                    requests=1,
                    no_match="not_found",
                )
            raise
        page = parse_page(data, title=title)
        if page is None or page.missing:
            return ResearchResult(
                provider=self.name,
                notes=(f"no page {title!r}",),
                requests=1,
                no_match="not_found",
            )
        if page.disambiguation:
            return ResearchResult(
                provider=self.name,
                notes=(f"{title!r} is a disambiguation page",),
                requests=1,
                no_match="not_found",
            )
        qid = company.ids.get("wikidata")
        item = page.wikibase_item
        if qid and item and item != qid:
            return ResearchResult(
                provider=self.name,
                notes=(f"page {title!r} is about {item}, not {qid}: skipped",),
                requests=1,
                no_match="not_found",
            )
        kind, evidence = page_kind(page)
        if kind == "other":
            return ResearchResult(
                provider=self.name,
                notes=(f"page {title!r} is not about a company: {evidence}",),
                requests=1,
                no_match="not_a_company",
            )
        notes: tuple[str, ...] = ()
        if qid and item == qid:
            confidence = 1.0  # the Wikidata item the match was made on: Wikidata vouched for it
        elif kind == "organisation":
            confidence = 0.8
        else:
            # nothing says this page is about an organisation: a candidate, not a fact
            confidence = 0.5
            notes = (f"page {title!r}: {evidence}",)
        page_url = page.url or (
            f"https://{self.language}.wikipedia.org/wiki/{quote(title.replace(' ', '_'))}"
        )
        prov = Provenance(
            source=self.name,
            url=page_url,
            retrieved_at=datetime.now(UTC),
            licence=LICENCE,
            attribution=f"From Wikipedia ({page_url}), text under CC BY-SA 4.0",
            match_confidence=confidence,
        )
        overview = CompanyOverview(
            provenance=prov,
            name=clean_text(page.title, limit=200),
            description=clean_text(page.extract, limit=800),
            identifiers={"wikipedia": title, **({"wikidata": item} if item else {})},
            raw={"short_description": clean_text(page.description, limit=200)},
        )
        return ResearchResult(provider=self.name, overviews=(overview,), notes=notes, requests=1)
