"""The company's own website: home and about pages, schema.org Organization JSON-LD, OpenGraph,
and the press feed (RSS/Atom) the home page announces, as the company's own news.

Everything on a website is written by whoever controls it, so everything read here is untrusted
data: text is normalised (NFKC), stripped of zero-width, bidi-control and Unicode tag characters,
hidden elements, scripts and comments are skipped, and every value is length-capped. Links are
followed only by fixed rules (an "about" page on the same registrable domain), never because the
page asks. ``robots.txt`` is fetched through the same guarded fetcher and respected (RFC 9309: a
4xx answer allows everything, a 5xx or unreachable one disallows everything).

Examples:
    >>> page = parse_html('<title>Contoso</title><meta name="description" content="We make widgets">')
    >>> page.title, page.meta["description"]
    ('Contoso', 'We make widgets')
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from urllib.robotparser import RobotFileParser
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree

from leadqual._domains import registrable_domain
from leadqual.errors import MalformedResponse, ProviderError, UnsafeUrlError
from leadqual.research.http import HTML_TYPES, TEXT_TYPES, HttpStatusError, SafeFetcher
from leadqual.research.providers import (
    CompanyOverview,
    CompanyQuery,
    NewsItem,
    Provenance,
    ResearchResult,
    classify_news_topic,
)

__all__ = ["PageFacts", "WebsiteProvider", "clean_text", "parse_feed", "parse_html"]

logger = logging.getLogger(__name__)

_INVISIBLE = re.compile(
    "[\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
_ORG_TYPES = {
    "organization", "corporation", "localbusiness", "ngo", "onlinebusiness", "educationalorganization",
    "medicalorganization", "governmentorganization", "store", "professionalservice",
}  # fmt: skip
_ABOUT = re.compile(r"/(about|about-us|company|who-we-are|our-story|mission)(/|$)", re.I)
_FEED_TYPES = ("application/rss+xml", "application/atom+xml")
_FEED_ACCEPT = (*_FEED_TYPES, "application/xml", "text/xml")
_ATOM = "{http://www.w3.org/2005/Atom}"
_SKIP_TAGS = {"script", "style", "template", "noscript", "svg", "head"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}


def clean_text(value: Any, /, *, limit: int = 500) -> str | None:
    """Untrusted text made safe to store and show: NFKC-normalised, invisible and control
    characters (zero-width, bidi, Unicode tags) removed, whitespace collapsed, capped.

    >>> clean_text("Acme\u200b Corp\U000e0041\\n\\n  rocks", limit=20)
    'Acme Corp rocks'
    """
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value))
    text = _INVISIBLE.sub("", text)
    text = "".join(c for c in text if c.isprintable() or c in "\n\t ")
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text or None


@dataclass
class PageFacts:
    """What :func:`parse_html` found on one page."""

    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    """``description`` and ``og:*`` values."""
    json_ld: list[Any] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    """``(href, anchor text)`` pairs."""
    paragraphs: list[str] = field(default_factory=list)
    """Visible paragraph texts."""
    feeds: list[str] = field(default_factory=list)
    """RSS/Atom feed URLs announced with ``<link rel="alternate">``."""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.facts = PageFacts()
        self._stack: list[tuple[str, bool]] = []  # (tag, hidden)
        self._buf: list[str] = []
        self._capture: str | None = None
        self._link: str | None = None
        self._link_text: list[str] = []

    @property
    def _hidden(self) -> bool:
        return any(h for _, h in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("name") or a.get("property") or "").lower()
            if key in ("description", "og:title", "og:description", "og:site_name", "og:url"):
                self.facts.meta.setdefault(key, a.get("content", ""))
            return
        if tag == "link":
            rel = a.get("rel", "").lower().split()
            kind = a.get("type", "").lower()
            if "alternate" in rel and kind in _FEED_TYPES and a.get("href"):
                self.facts.feeds.append(a["href"])
            return
        if tag in _VOID:
            return
        style = a.get("style", "").replace(" ", "").lower()
        hidden = (
            tag in _SKIP_TAGS
            or "hidden" in a
            or a.get("aria-hidden", "").lower() == "true"
            or "display:none" in style
            or "visibility:hidden" in style
        )
        if tag == "script" and a.get("type", "").lower() == "application/ld+json":
            self._capture = "ld"
            self._buf = []
        elif tag == "title" and not self.facts.title:
            self._capture = "title"
            self._buf = []
        elif tag == "p" and not self._hidden and not hidden:
            self._capture = "p"
            self._buf = []
        elif tag == "a" and not self._hidden and not hidden and a.get("href"):
            self._link = a["href"]
            self._link_text = []
        self._stack.append((tag, hidden and tag != "head"))

    def handle_endtag(self, tag: str) -> None:
        if self._capture == "ld" and tag == "script":
            # a broken block is skipped, the rest of the page still counts
            with contextlib.suppress(ValueError):
                self.facts.json_ld.append(json.loads("".join(self._buf)))
            self._capture = None
        elif self._capture == "title" and tag == "title":
            self.facts.title = clean_text("".join(self._buf), limit=200)
            self._capture = None
        elif self._capture == "p" and tag == "p":
            text = clean_text("".join(self._buf), limit=1000)
            if text:
                self.facts.paragraphs.append(text)
            self._capture = None
        elif tag == "a" and self._link is not None:
            self.facts.links.append(
                (self._link, clean_text("".join(self._link_text), limit=80) or "")
            )
            self._link = None
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if self._capture in ("ld", "title"):
            self._buf.append(data)
            return
        if self._hidden:
            return
        if self._capture == "p":
            self._buf.append(data)
        if self._link is not None:
            self._link_text.append(data)


def parse_html(html: str, /) -> PageFacts:
    """Title, meta/OpenGraph, JSON-LD blocks, links and visible paragraphs of a page.

    Hidden elements (``hidden``, ``aria-hidden``, ``display:none``), scripts, styles and comments
    are skipped, so text planted out of a visitor's sight is not read.
    """
    parser = _Parser()
    try:
        parser.feed(html[:2_000_000])
        parser.close()
    except Exception:  # html.parser is lenient; anything it still chokes on ends the page
        logger.debug("HTML parse stopped early", exc_info=True)
    return parser.facts


def parse_feed(
    body: bytes, /, *, base_url: str, provider: str = "website"
) -> list[tuple[str, str, datetime | None]]:
    """``(title, url, published)`` of the items of an RSS 2.0 or Atom feed.

    The feed is parsed with defusedxml: a document with a DTD, entity declarations or external
    references (billion laughs, XXE) is refused, and only http(s) links on the feed's own
    registrable domain are kept.

    Raises:
        MalformedResponse: the feed is not well-formed XML, or carries a DTD or entities.

    Examples:
        >>> parse_feed(b"<rss><channel><item><title>Launch</title><link>/n/1</link></item>"
        ...            b"</channel></rss>", base_url="https://contoso.com/feed")
        [('Launch', 'https://contoso.com/n/1', None)]
    """
    try:
        root = defusedxml.ElementTree.fromstring(body, forbid_dtd=True)
    except defusedxml.DefusedXmlException as err:
        raise MalformedResponse(
            f"{provider}: the feed was refused: it declares a DTD, entities or external "
            f"references ({type(err).__name__})",
            provider=provider,
        ) from err
    except ParseError as err:
        raise MalformedResponse(
            f"{provider}: the feed is not XML: {err}", provider=provider
        ) from err
    site = registrable_domain(base_url)
    out: list[tuple[str, str, datetime | None]] = []
    rss_items = root.iter("item")
    atom_items = root.iter(f"{_ATOM}entry")
    for node in [*rss_items, *atom_items]:
        title = clean_text(node.findtext("title") or node.findtext(f"{_ATOM}title"), limit=300)
        link = node.findtext("link")
        if not link:
            el = node.find(f"{_ATOM}link")
            link = el.get("href") if el is not None else None
        if not title or not link:
            continue
        link = urljoin(base_url, link.strip())
        parts = urlsplit(link)
        if (
            parts.scheme not in ("http", "https")
            or registrable_domain(parts.hostname or "") != site
        ):
            continue
        raw_date = (
            node.findtext("pubDate")
            or node.findtext(f"{_ATOM}published")
            or node.findtext(f"{_ATOM}updated")
        )
        out.append((title, link, _feed_date(raw_date)))
    return out


def _feed_date(value: str | None) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _org_nodes(block: Any) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    stack = [block]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, Mapping):
            types = node.get("@type")
            names = [types] if isinstance(types, str) else types if isinstance(types, list) else []
            if any(str(t).lower() in _ORG_TYPES for t in names):
                out.append(node)
            if "@graph" in node:
                stack.append(node["@graph"])
    return out


def _employees(value: Any) -> int | None:
    if isinstance(value, Mapping):
        value = value.get("value", value.get("maxValue", value.get("minValue")))
    try:
        n = int(float(str(value).replace(",", "")))
    except (TypeError, ValueError):
        return None
    return n if 0 <= n < 10_000_000 else None


def _address(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return clean_text(value, limit=200), None
    if not isinstance(value, Mapping):
        return None, None
    country = value.get("addressCountry")
    if isinstance(country, Mapping):
        country = country.get("name")
    city = value.get("addressLocality")
    hq = ", ".join(str(p) for p in (city, value.get("addressRegion"), country) if p)
    return clean_text(hq, limit=200), clean_text(country, limit=80)


class WebsiteProvider:
    """Company facts from its own website (home page plus one about page).

    Args:
        fetcher: the shared :class:`~leadqual.research.http.SafeFetcher`.
        robots_token: the product token matched against ``robots.txt`` rules.
        max_pages: pages fetched per company (robots.txt not counted).
        respect_robots: set ``False`` only for your own sites.
        read_feed: read the press feed the home page announces (RSS/Atom on the same domain)
            as the company's own news.
        max_feed_items: feed items kept.

    Examples:
        >>> from leadqual.research.http import SafeFetcher
        >>> WebsiteProvider(SafeFetcher(user_agent="docs")).max_pages
        2
    """

    name = "website"
    external = True

    def __init__(
        self,
        fetcher: SafeFetcher,
        *,
        robots_token: str = "leadqual",
        max_pages: int = 2,
        respect_robots: bool = True,
        read_feed: bool = True,
        max_feed_items: int = 20,
    ) -> None:
        self.fetcher = fetcher
        self.read_feed = read_feed
        self.max_feed_items = max_feed_items
        self.robots_token = robots_token
        self.max_pages = max(1, max_pages)
        self.respect_robots = respect_robots
        fetcher.limit("*", 1.0)  # one page a second per site unless the deployer set otherwise

    async def _robots(self, base: str) -> RobotFileParser | None:
        """The parsed robots.txt, or ``None`` when the site disallows everything (5xx/unreachable)."""
        parser = RobotFileParser()
        try:
            response = await self.fetcher.fetch(
                urljoin(base, "/robots.txt"),
                accept=(*TEXT_TYPES, "text/html", "application/octet-stream"),
                max_bytes=512_000,
                provider=self.name,
                max_attempts=1,
            )
        except HttpStatusError as err:
            if 400 <= err.status_code < 500:
                parser.parse([])  # RFC 9309: no robots.txt means everything is allowed
                return parser
            return None
        except ProviderError:
            return None
        parser.parse(response.text.splitlines())
        delay = parser.crawl_delay(self.robots_token)
        if delay:
            # the site asked for a pause between requests: slow this host down (capped: a huge
            # delay is treated as "read at most one page a minute")
            host = urlsplit(base).hostname or ""
            self.fetcher.limit(host, 1.0 / min(float(delay), 60.0))
        return parser

    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        """Read the company's home page and about page."""
        site = company.website or (f"https://{company.domain}/" if company.domain else None)
        if not site:
            return ResearchResult(provider=self.name, notes=("no website or domain",))
        if "://" not in site:
            site = "https://" + site
        base_domain = registrable_domain(site)
        requests = 0
        notes: list[str] = []
        robots = None
        if self.respect_robots:
            robots = await self._robots(site)
            requests += 1
            if robots is None:
                return ResearchResult(
                    provider=self.name,
                    notes=("robots.txt unreachable or failing: the site is not read (RFC 9309)",),
                    requests=requests,
                )
        pages: list[tuple[str, PageFacts]] = []
        queue = [site]
        while queue and len(pages) < self.max_pages:
            url = queue.pop(0)
            if robots is not None and not robots.can_fetch(self.robots_token, url):
                notes.append(f"robots.txt disallows {urlsplit(url).path or '/'}")
                continue
            try:
                response = await self.fetcher.fetch(
                    url, accept=HTML_TYPES, same_site=True, provider=self.name
                )
            except (ProviderError, UnsafeUrlError) as err:
                if not pages:
                    raise  # the home page itself failed: the source failed
                # a broken about page must not lose what the home page said
                requests += 1
                notes.append(f"{urlsplit(url).path} not read ({type(err).__name__})")
                continue
            requests += 1
            facts = parse_html(response.text)
            pages.append((response.final_url, facts))
            if len(pages) == 1:
                for href, _text in facts.links:
                    target = urljoin(response.final_url, href)
                    parts = urlsplit(target)
                    if (
                        parts.scheme in ("http", "https")
                        and registrable_domain(parts.hostname or "") == base_domain
                        and _ABOUT.search(parts.path)
                    ):
                        queue.append(target.split("#", 1)[0])
                        break
        if not pages:
            return ResearchResult(provider=self.name, notes=tuple(notes), requests=requests)
        home_url, home = pages[0]
        orgs = [n for p in pages for block in p[1].json_ld for n in _org_nodes(block)]
        org: Mapping[str, Any] = orgs[0] if orgs else {}
        hq, country = _address(org.get("address"))
        about = pages[1][1] if len(pages) > 1 else None
        mission = None
        for para in (about.paragraphs if about else []) + home.paragraphs:
            if re.search(r"\bmission\b|\bwe (exist|believe)\b", para, re.I):
                mission = clean_text(para, limit=300)
                break
        description = clean_text(
            org.get("description")
            or home.meta.get("og:description")
            or home.meta.get("description")
            or (about.paragraphs[0] if about and about.paragraphs else None),
            limit=500,
        )
        ids: dict[str, str] = {}
        same_as = org.get("sameAs") or []
        for link in [same_as] if isinstance(same_as, str) else same_as:
            link = str(link)
            if "wikidata.org/wiki/Q" in link:
                ids["wikidata"] = link.rsplit("/", 1)[-1]
            elif "en.wikipedia.org/wiki/" in link:
                title = unquote(link.rsplit("/wiki/", 1)[-1].split("#", 1)[0])
                ids["wikipedia"] = title.replace("_", " ")
        name = clean_text(org.get("name") or home.meta.get("og:site_name") or home.title, limit=200)
        overview = CompanyOverview(
            provenance=Provenance(
                source=self.name,
                url=home_url,
                retrieved_at=datetime.now(UTC),
                licence="the website's own terms (facts extracted, not republished)",
                match_confidence=0.9,
            ),
            name=name,
            legal_name=clean_text(org.get("legalName"), limit=200),
            description=description,
            employee_count=_employees(org.get("numberOfEmployees")),
            headquarters=hq,
            country=country,
            founded=clean_text(org.get("foundingDate"), limit=20),
            website=home_url,
            mission=mission,
            identifiers=ids,
        )
        news: tuple[NewsItem, ...] = ()
        if self.read_feed and home.feeds:
            news, fed = await self._feed(
                home_url, home.feeds[0], robots, overview.provenance, notes
            )
            requests += fed
        return ResearchResult(
            provider=self.name,
            overviews=(overview,),
            news=news,
            identifiers=ids,
            notes=tuple(notes),
            requests=requests,
        )

    async def _feed(
        self,
        home_url: str,
        href: str,
        robots: RobotFileParser | None,
        provenance: Provenance,
        notes: list[str],
    ) -> tuple[tuple[NewsItem, ...], int]:
        """The company's own press feed (RSS/Atom on its own domain) as news."""
        url = urljoin(home_url, href)
        if registrable_domain(urlsplit(url).hostname or "") != registrable_domain(home_url):
            notes.append("feed on another domain: not read")
            return (), 0
        if robots is not None and not robots.can_fetch(self.robots_token, url):
            notes.append("robots.txt disallows the feed")
            return (), 0
        try:
            response = await self.fetcher.fetch(
                url, accept=_FEED_ACCEPT, same_site=True, max_bytes=1_000_000, provider=self.name
            )
            entries = parse_feed(response.content, base_url=response.final_url, provider=self.name)
        except (ProviderError, ValueError) as err:
            notes.append(f"feed not read ({type(err).__name__})")
            return (), 1
        items = tuple(
            NewsItem(
                provenance=provenance.replace(url=response.final_url, match_confidence=1.0),
                title=title,
                url=link,
                published_at=published,
                topic=classify_news_topic(title),
                publisher=urlsplit(home_url).hostname,
            )
            for title, link, published in entries[: self.max_feed_items]
        )
        return items, 1
