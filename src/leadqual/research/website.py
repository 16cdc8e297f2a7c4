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

import asyncio
import email.utils
import json
import logging
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape as html_unescape
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from urllib.robotparser import RobotFileParser
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree

from leadqual._domains import registrable_domain
from leadqual.errors import LeadqualError, MalformedResponse, ProviderError
from leadqual.research._payloads import reads_payloads
from leadqual.research.http import (
    HTML_TYPES,
    TEXT_TYPES,
    FetchedResponse,
    HttpStatusError,
    SafeFetcher,
)
from leadqual.research.providers import (
    CompanyOverview,
    CompanyQuery,
    NewsItem,
    Provenance,
    ResearchResult,
    classify_news_topic,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_HTML_CHARS",
    "PageFacts",
    "WebsiteProvider",
    "aparse_html",
    "clean_text",
    "parse_feed",
    "parse_html",
]

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


MAX_HTML_CHARS = 2_000_000
"""Characters of a page that are parsed (the fetcher's default size cap)."""
MAX_DEPTH = 512
"""Open elements tracked; text nested deeper is not read (browsers cap their trees at 512 too)."""
_MAX_LINKS, _MAX_PARAGRAPHS, _MAX_JSON_LD, _MAX_FEEDS = 2_000, 1_000, 50, 20
_MAX_JSON_DEPTH = 32
_DEADLINE_EVERY = 2_048  # tokens between looks at the clock


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
    incomplete: str | None = None
    """Why part of the page was not read (``"time limit"``, ``"nesting too deep"``), else
    ``None``; what was found before that point is kept."""


def _json_depth(value: Any) -> int:
    """The nesting depth of a parsed JSON value (iterative: no recursion on hostile input)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


class _Page:
    """Collects the facts of a page from the tokens :func:`_tokenize` hands it.

    Every step is O(1) amortised: the hidden state is a counter, not a walk of the open
    elements, and an end tag is matched only when an element of its name is open (what it
    scans, it pops), so a deeply nested page costs time in proportion to its size.
    """

    def __init__(self) -> None:
        self.facts = PageFacts()
        self._stack: list[tuple[str, bool]] = []  # (tag, hidden)
        self._open: dict[str, int] = {}  # open elements per tag name
        self._hidden_open = 0  # hidden elements among the open ones
        self._too_deep = False
        self._buf: list[str] = []
        self._capture: str | None = None
        self._link: str | None = None
        self._link_text: list[str] = []

    @property
    def _hidden(self) -> bool:
        return self._hidden_open > 0 or self._too_deep

    def start(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs} if attrs else {}
        if tag == "meta":
            key = (a.get("name") or a.get("property") or "").lower()
            if key in ("description", "og:title", "og:description", "og:site_name", "og:url"):
                self.facts.meta.setdefault(key, a.get("content", ""))
            return
        if tag == "link":
            rel = a.get("rel", "").lower().split()
            kind = a.get("type", "").lower()
            feed = "alternate" in rel and kind in _FEED_TYPES and a.get("href")
            if feed and len(self.facts.feeds) < _MAX_FEEDS:
                self.facts.feeds.append(a["href"])
            return
        if tag in _VOID:
            return
        if tag in _SIBLINGS and self._stack and self._stack[-1][0] == tag:
            self.end(tag)  # "<li>a<li>b", "<p>a<p>b": the open one ends where its sibling starts
        hidden = tag in _SKIP_TAGS
        if a and not hidden:
            style = a.get("style", "").replace(" ", "").lower()
            hidden = (
                "hidden" in a
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
        if len(self._stack) >= MAX_DEPTH:
            # past the cap nothing more is tracked, so nothing more can be known to be visible:
            # text from here on is not read (head facts and JSON-LD still are)
            self._too_deep = True
            self.facts.incomplete = self.facts.incomplete or "nesting too deep"
            return
        hidden = hidden and tag != "head"
        self._stack.append((tag, hidden))
        self._open[tag] = self._open.get(tag, 0) + 1
        self._hidden_open += hidden

    def end(self, tag: str) -> None:
        if self._capture == "ld" and tag == "script":
            self._json_ld("".join(self._buf))
            self._capture = None
        elif self._capture == "title" and tag == "title":
            self.facts.title = clean_text("".join(self._buf), limit=200)
            self._capture = None
        elif self._capture == "p" and tag == "p":
            # the cap is checked first: cleaning is the costly step, once per paragraph
            if len(self.facts.paragraphs) < _MAX_PARAGRAPHS:
                text = clean_text("".join(self._buf), limit=1000)
                if text:
                    self.facts.paragraphs.append(text)
            self._capture = None
        elif tag == "a" and self._link is not None:
            if len(self.facts.links) < _MAX_LINKS:
                self.facts.links.append(
                    (self._link, clean_text("".join(self._link_text), limit=80) or "")
                )
            self._link = None
        if not self._open.get(tag):
            return  # nothing of that name is open: a stray end tag is ignored
        while self._stack:
            name, hidden = self._stack.pop()
            self._open[name] -= 1
            self._hidden_open -= hidden
            if name == tag:
                break

    def _json_ld(self, text: str) -> None:
        if len(self.facts.json_ld) >= _MAX_JSON_LD:
            return
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return  # a broken block is skipped, the rest of the page still counts
        if _json_depth(value) <= _MAX_JSON_DEPTH:
            self.facts.json_ld.append(value)

    def data(self, data: str) -> None:
        if self._capture in ("ld", "title"):
            self._buf.append(data)
            return
        if self._hidden:
            return
        if self._capture == "p":
            self._buf.append(data)
        if self._link is not None:
            self._link_text.append(data)


_SIBLINGS = frozenset({"p", "li", "dt", "dd", "option", "tr", "td", "th"})
# elements whose content is text up to their own end tag ("<script>a<b</script>" is one text)
_RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript"})
_ESCAPABLE_RAW_TEXT = frozenset({"title", "textarea"})
_RAW_END = {
    tag: re.compile(rf"</{tag}(?=[\t\n\f\r />]|$)", re.I) for tag in _RAW_TEXT | _ESCAPABLE_RAW_TEXT
}
_TAG_NAME = re.compile(r"[a-zA-Z][^\t\n\f\r />]*")
_SPACE = re.compile(r"[\t\n\f\r /]*")
_ATTR_NAME = re.compile(r"[^\t\n\f\r />][^\t\n\f\r />=]*")
_EQUALS = re.compile(r"[\t\n\f\r ]*=[\t\n\f\r ]*")
_UNQUOTED = re.compile(r"[^\t\n\f\r >]*")


def _tokenize(html: str, page: _Page, deadline: float | None) -> None:
    """Hand ``html``'s start tags, end tags and text to ``page``, in one pass.

    A small HTML5-style tokenizer rather than :class:`html.parser.HTMLParser`, whose searches
    for a missing terminator restart at every candidate and so take quadratic time on crafted
    pages. Here every search either moves past what it scanned or, finding no terminator,
    ends the document (as the HTML standard does for an unclosed comment, tag or attribute
    value), so the whole pass is linear in the page's length.
    """
    n = len(html)
    pos = 0
    tokens = 0
    while pos < n:
        tokens += 1
        if deadline is not None and tokens % _DEADLINE_EVERY == 0 and time.monotonic() > deadline:
            page.facts.incomplete = "time limit"
            return
        lt = html.find("<", pos)
        if lt < 0:
            page.data(html_unescape(html[pos:]))
            return
        if lt > pos:
            page.data(html_unescape(html[pos:lt]))
        pos = lt
        nxt = html[lt + 1 : lt + 2]
        if nxt.isascii() and nxt.isalpha():
            pos = _start_tag(html, lt, page)
        elif nxt == "/":
            m = _TAG_NAME.match(html, lt + 2)
            close = html.find(">", lt + 2)
            if close < 0:
                return  # end of file inside a tag: the rest is not a page
            if m is not None:
                page.end(m.group().lower())
            pos = close + 1  # "</>" and "</ junk>" are dropped
        elif html.startswith("<!--", lt):
            if html.startswith("<!-->", lt) or html.startswith("<!--->", lt):
                pos = html.index(">", lt) + 1
                continue
            close = html.find("-->", lt + 4)
            if close < 0:
                return  # an unclosed comment runs to the end of the document
            pos = close + 3
        elif nxt in ("!", "?"):
            close = html.find(">", lt + 2)  # doctype, CDATA, processing instruction: skipped
            if close < 0:
                return
            pos = close + 1
        else:
            page.data("<")
            pos = lt + 1


def _start_tag(html: str, lt: int, page: _Page) -> int:
    """Read the start tag at ``lt``; return where the document continues (its end: no more)."""
    n = len(html)
    m = _TAG_NAME.match(html, lt + 1)
    assert m is not None
    tag = m.group().lower()
    pos = m.end()
    attrs: list[tuple[str, str | None]] = []
    self_closing = False
    while True:
        pos = _SPACE.match(html, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            return n  # end of file inside a tag
        if html[pos] == ">":
            self_closing = html[pos - 1] == "/"
            pos += 1
            break
        name = _ATTR_NAME.match(html, pos)
        assert name is not None  # html[pos] is neither a space, "/" nor ">"
        pos = name.end()
        value: str | None = None
        eq = _EQUALS.match(html, pos)
        if eq is not None:
            pos = eq.end()
            if pos < n and html[pos] in "\"'":
                close = html.find(html[pos], pos + 1)
                if close < 0:
                    return n  # an unclosed quoted value runs to the end of the document
                value = html[pos + 1 : close]
                pos = close + 1
            else:
                unquoted = _UNQUOTED.match(html, pos)
                assert unquoted is not None
                value = unquoted.group()
                pos = unquoted.end()
        attrs.append((name.group().lower(), html_unescape(value) if value else value))
    page.start(tag, attrs)
    if tag in _RAW_END:
        end = _RAW_END[tag].search(html, pos)
        text = html[pos : end.start() if end else n]
        if text:
            page.data(html_unescape(text) if tag in _ESCAPABLE_RAW_TEXT else text)
        if end is None:
            return n
        close = html.find(">", end.end())
        if close < 0:
            return n
        page.end(tag)
        return close + 1
    if self_closing and tag not in _VOID:
        page.end(tag)
    return pos


def parse_html(html: str, /, *, time_limit: float | None = None) -> PageFacts:
    """Title, meta/OpenGraph, JSON-LD blocks, links and visible paragraphs of a page.

    Hidden elements (``hidden``, ``aria-hidden``, ``display:none``), scripts, styles and comments
    are skipped, so text planted out of a visitor's sight is not read. The first
    :data:`MAX_HTML_CHARS` characters are read, in time linear in their length whatever the
    nesting; text nested deeper than :data:`MAX_DEPTH` elements is not read, and with
    ``time_limit`` (seconds) reading stops there. Either way the facts found so far are kept
    and :attr:`PageFacts.incomplete` says why the rest was not read.
    """
    page = _Page()
    deadline = None if time_limit is None else time.monotonic() + time_limit
    _tokenize(html[:MAX_HTML_CHARS], page, deadline)
    return page.facts


async def aparse_html(html: str, /, *, time_limit: float | None = 5.0) -> PageFacts:
    """:func:`parse_html` in a worker thread, so the event loop (and every other lead's
    research) carries on while a large page is read; ``time_limit`` bounds the worker too."""
    return await asyncio.to_thread(parse_html, html, time_limit=time_limit)


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


def _read_page(response: FetchedResponse, time_limit: float) -> PageFacts:
    # decoding the body to text is part of the work kept off the event loop
    return parse_html(response.text, time_limit=time_limit)


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
        time_budget: seconds spent on one site; pages after the home page (and the feed) are
            given what is left, so a slow about page costs itself, not the home page's facts.
            Keep it below the researcher's provider timeout.
        parse_time_limit: seconds one page's HTML may take to read (off the event loop); a
            page cut short keeps what was read, with a note.

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
        time_budget: float = 25.0,
        parse_time_limit: float = 5.0,
    ) -> None:
        self.fetcher = fetcher
        self.read_feed = read_feed
        self.max_feed_items = max_feed_items
        self.robots_token = robots_token
        self.max_pages = max(1, max_pages)
        self.respect_robots = respect_robots
        self.time_budget = time_budget
        self.parse_time_limit = parse_time_limit
        fetcher.limit("*", 1.0)  # one page a second per site unless the deployer set otherwise

    async def _page(self, url: str) -> tuple[str, PageFacts]:
        """Fetch one HTML page and read it off the event loop, under the parse time limit."""
        response = await self.fetcher.fetch(
            url, accept=HTML_TYPES, same_site=True, provider=self.name
        )
        facts = await asyncio.to_thread(_read_page, response, self.parse_time_limit)
        return response.final_url, facts

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

    @reads_payloads
    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        """Read the company's home page and about page."""
        site = company.website or (f"https://{company.domain}/" if company.domain else None)
        if not site:
            return ResearchResult(provider=self.name, notes=("no website or domain",))
        if "://" not in site:
            site = "https://" + site
        base_domain = registrable_domain(site)
        started = time.monotonic()
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
            left = self.time_budget - (time.monotonic() - started)
            try:
                if not pages:
                    final_url, facts = await self._page(url)
                else:
                    if left <= 0:
                        raise TimeoutError
                    async with asyncio.timeout(left):
                        final_url, facts = await self._page(url)
            except (LeadqualError, TimeoutError) as err:
                if not pages:
                    raise  # the home page itself failed: the source failed
                # a broken or slow about page must not lose what the home page said
                requests += 1
                notes.append(f"{urlsplit(url).path} not read ({type(err).__name__})")
                continue
            requests += 1
            if facts.incomplete:
                notes.append(f"{urlsplit(url).path or '/'} read in part ({facts.incomplete})")
            pages.append((final_url, facts))
            if len(pages) == 1:
                for href, _text in facts.links:
                    target = urljoin(final_url, href)
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
        left = self.time_budget - (time.monotonic() - started)
        if self.read_feed and home.feeds and left <= 0:
            notes.append("feed not read (time budget spent)")
        elif self.read_feed and home.feeds:
            try:
                async with asyncio.timeout(left):
                    news, fed = await self._feed(
                        home_url, home.feeds[0], robots, overview.provenance, notes
                    )
            except TimeoutError:
                notes.append("feed not read (time budget spent)")
                fed = 1
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
