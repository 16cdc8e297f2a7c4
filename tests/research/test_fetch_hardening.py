"""Hostile servers against the fetcher and the page reader: compression bombs, stacked and broken
encodings, endless streams, bad redirects, deep JSON and HTML, and a slow or broken about page.

Bodies are served as streams (an ``httpx.Response(content=...)`` would be decoded by httpx in the
test itself, before the fetcher sees a byte).
"""

from __future__ import annotations

import asyncio
import gzip
import inspect
import logging
import threading
import tracemalloc
import warnings
import zlib
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual._http import BodyDecoder
from leadqual.errors import (
    ConfigurationError,
    FetchError,
    LeadqualError,
    MalformedResponse,
    ResponseTooLarge,
    UnsafeUrlError,
)
from leadqual.research import website
from leadqual.research.http import SafeFetcher, UnpinnedTransportWarning
from leadqual.research.providers import CompanyQuery
from leadqual.research.website import MAX_DEPTH, WebsiteProvider, parse_html
from leadqual.testing.research import StaticHostResolver, mock_fetcher

URL = "https://www.example.com/"


class Chunks(httpx.AsyncByteStream):
    """A body streamed in pieces, as a network would deliver it; counts what was pulled."""

    def __init__(self, body: bytes, size: int = 16_384) -> None:
        self.body = body
        self.size = size
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self.body), self.size):
            self.pulled += 1
            yield self.body[i : i + self.size]


def serve(
    body: bytes | httpx.AsyncByteStream, encoding: str | None, content_type: str = "text/html"
) -> Callable[[httpx.Request], httpx.Response]:
    headers = {"Content-Type": content_type}
    if encoding is not None:
        headers["Content-Encoding"] = encoding

    def handler(request: httpx.Request) -> httpx.Response:
        stream = body if isinstance(body, httpx.AsyncByteStream) else Chunks(body)
        return httpx.Response(200, stream=stream, headers=headers)

    return handler


def deflate(data: bytes, *, raw: bool = False) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": deflate,
    "identity": lambda b: b,
}


def encode(data: bytes, codings: list[str]) -> bytes:
    for coding in codings:  # applied in header order
        data = ENCODERS[coding](data)
    return data


# -- compression ---------------------------------------------------------------------------------


def test_a_stacked_gzip_bomb_stops_at_the_cap_with_memory_near_the_cap() -> None:
    cap = 1_000_000
    bomb = gzip.compress(gzip.compress(b"\0" * 40_000_000, 9), 9)
    assert len(bomb) < 2_000  # a few hundred bytes that decode to 40 MB
    fetcher = mock_fetcher(serve(bomb, "gzip, gzip"))
    # one small fetch first: lazily loaded tables (the public suffix list) are not the body's
    asyncio.run(mock_fetcher(serve(gzip.compress(b"<p>hi</p>"), "gzip")).fetch(URL))

    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge, match="cap"):
            asyncio.run(fetcher.fetch(URL, max_bytes=cap))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * cap


@pytest.mark.parametrize(
    "codings", [["gzip"], ["deflate"], ["x-gzip"], ["gzip", "gzip"], ["deflate", "gzip"]]
)
def test_bombs_are_cut_on_decoded_bytes_whatever_the_coding(codings: list[str]) -> None:
    bomb = encode(b"<p>" + b"a" * 5_000_000, codings)
    with pytest.raises(ResponseTooLarge):
        asyncio.run(mock_fetcher(serve(bomb, ", ".join(codings))).fetch(URL, max_bytes=100_000))


def test_raw_deflate_without_the_zlib_header_is_read() -> None:
    body = deflate(b"<title>Raw</title>", raw=True)
    response = asyncio.run(mock_fetcher(serve(body, "deflate")).fetch(URL))
    assert response.content == b"<title>Raw</title>"


def test_an_endless_compressed_stream_is_cut_soon_after_the_cap() -> None:
    class EndlessGzip(httpx.AsyncByteStream):
        pulled = 0

        async def __aiter__(self) -> AsyncIterator[bytes]:
            packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            while True:
                EndlessGzip.pulled += 1
                yield packer.compress(b"a" * 1_000_000) + packer.flush(zlib.Z_SYNC_FLUSH)

    with pytest.raises(ResponseTooLarge):
        asyncio.run(mock_fetcher(serve(EndlessGzip(), "gzip")).fetch(URL, max_bytes=2_500_000))
    assert EndlessGzip.pulled <= 4


@pytest.mark.parametrize(
    ("body", "encoding", "why"),
    [
        (b"\x1f\x8b\x08\x00garbage-not-deflate" * 4, "gzip", "not valid"),
        (b"plain text, not compressed at all", "gzip", "not valid"),
        (gzip.compress(b"<p>hello</p>" * 1000)[:-40], "gzip", "ends before"),
        (b"\x78\x9c\xff\xff\xff\xff", "deflate", "not valid"),
        (b"<p>hi</p>", "br", "not asked for"),
        (b"<p>hi</p>", "zstd", "not asked for"),
        (b"<p>hi</p>", "gzip, gzip, gzip", "stacked 3"),
    ],
)
def test_invalid_or_unsupported_compression_is_a_malformed_response(
    body: bytes, encoding: str, why: str
) -> None:
    with pytest.raises(MalformedResponse, match=why):
        asyncio.run(mock_fetcher(serve(body, encoding)).fetch(URL))


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=3_000),
    codings=st.lists(st.sampled_from(sorted(ENCODERS)), max_size=2),
    cut=st.integers(min_value=1, max_value=97),
)
def test_decoding_in_any_chunking_gives_back_the_original(
    data: bytes, codings: list[str], cut: int
) -> None:
    encoded = encode(data, codings)
    decoder = BodyDecoder(", ".join(codings), provider="t", source="s")
    out = b"".join(
        piece for i in range(0, len(encoded), cut) for piece in decoder.decode(encoded[i : i + cut])
    )
    decoder.finish()
    assert out == data


# -- errors from dependencies come out typed --------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        "http://[::1",
        "\x00",
        "https://\udcff.example.com/",
        "https://a.example.com:99999/",
        "//[bad",
    ],
)
def test_a_malformed_location_header_is_a_typed_error_and_not_retried(location: str) -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        response = httpx.Response(302, headers={"Content-Type": "text/html"})
        response.headers["Location"] = location.encode("utf-8", "surrogateescape").decode("latin-1")
        return response

    # MalformedResponse for what the fetcher can parse, UnsafeUrlError for what it refuses
    with pytest.raises((FetchError, UnsafeUrlError)):
        asyncio.run(mock_fetcher(handler).fetch(URL))
    assert sent == [URL]


def test_json_nested_100k_deep_is_malformed_not_a_recursion_error() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    fetcher = mock_fetcher(serve(deep, None, "application/json"))
    with pytest.raises(MalformedResponse, match="JSON"):
        asyncio.run(fetcher.get_json("https://api.example.org/x"))


def test_an_error_raised_inside_the_body_stream_is_wrapped_with_its_cause() -> None:
    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"<p>start"
            raise RuntimeError("connection state machine confused")

    with pytest.raises(FetchError) as caught:
        asyncio.run(mock_fetcher(serve(Broken(), None)).fetch(URL))
    assert isinstance(caught.value.__cause__, RuntimeError)


# -- HTML: linear, bounded, off the event loop --------------------------------------------------


def test_html_nested_20k_deep_keeps_the_head_and_reads_no_text_past_the_depth_cap() -> None:
    page = (
        '<title>Deep Co</title><meta name="description" content="We nest.">'
        + "<div>" * 20_000
        + "<p>deep text</p>"
    )
    facts = parse_html(page)
    assert facts.title == "Deep Co"
    assert facts.meta["description"] == "We nest."
    assert facts.paragraphs == []
    assert facts.incomplete == "nesting too deep"


def test_hidden_text_stays_hidden_below_the_depth_cap() -> None:
    page = "<div hidden>" + "<span>" * (MAX_DEPTH + 10) + "<p>secret</p>" + "</span>" * 50
    assert parse_html(page + "<p>after</p>").paragraphs == []


@pytest.mark.parametrize(
    "tail",
    [
        "<!--" * 20_000,
        "<!" * 20_000,
        "<?" * 20_000,
        "</" * 20_000,
        "<a b='" + "x" * 100_000,
        "<script>" + "<x" * 20_000,
        "</span>" * 20_000,
        "<p>x" * 20_000,
        "<a href=x>y" * 20_000,
    ],
)
def test_malformed_html_keeps_what_came_before_it(tail: str) -> None:
    facts = parse_html("<title>T</title><p>Before.</p>" + tail)
    assert facts.title == "T"
    assert facts.paragraphs[0] == "Before."


def test_reading_stops_at_the_time_limit_and_keeps_what_it_found() -> None:
    facts = parse_html("<title>T</title>" + "<i>x</i>" * 50_000, time_limit=0.0)
    assert facts.title == "T"
    assert facts.incomplete == "time limit"


HTML_PIECES = st.sampled_from(
    ["<div>", "</div>", "<p>", "</p>", "<span hidden>", "</span>", "<!--", "-->", "<", ">",
     "<a href='/x'>", "</a>", "<script>", "</script>", "text", "&amp;", '"', "'", "<li>", "/>"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(before=st.lists(HTML_PIECES, max_size=30), after=st.lists(HTML_PIECES, max_size=30))
def test_text_inside_a_hidden_element_is_never_read(before: list[str], after: list[str]) -> None:
    # whatever surrounds it, a hidden element's text is not taken as a paragraph or link text
    page = "".join(before) + "<div hidden><p>SECRET <a href='/s'>SECRET</a></p></div>"
    facts = parse_html(page + "".join(after))
    seen = " ".join(facts.paragraphs) + " ".join(text for _, text in facts.links)
    assert "SECRET" not in seen


def _two_pages(about: Callable[[httpx.Request], object] | None = None) -> SafeFetcher:
    home = (
        '<title>Contoso</title><meta name="description" content="Contoso makes widgets.">'
        '<a href="/about-us">About</a><p>Welcome.</p>'
    )

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if request.url.path == "/about-us" and about is not None:
            answer = about(request)
            return await answer if inspect.isawaitable(answer) else answer
        return httpx.Response(200, text=home, headers={"Content-Type": "text/html"})

    return mock_fetcher(handler)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "about",
    [
        serve(b"\x1f\x8b\x08\x00 not gzip at all", "gzip"),
        serve(gzip.compress(gzip.compress(b"\0" * 20_000_000)), "gzip, gzip"),
        lambda request: httpx.Response(302, headers={"Location": "http://[::1"}),
        lambda request: httpx.Response(302, headers={"Location": "http://10.0.0.1/"}),
    ],
    ids=["invalid gzip", "stacked bomb", "bad location", "private redirect"],
)
def test_a_hostile_about_page_keeps_the_home_page_facts(
    about: Callable[[httpx.Request], httpx.Response],
) -> None:
    provider = WebsiteProvider(_two_pages(about))
    result = asyncio.run(provider.aresearch(CompanyQuery(name="Contoso", domain="contoso.com")))
    assert result.overviews[0].description == "Contoso makes widgets."
    assert any(note.startswith("/about-us not read") for note in result.notes)


def test_an_about_page_that_never_answers_costs_only_itself() -> None:
    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    provider = WebsiteProvider(_two_pages(never), time_budget=0.2)
    result = asyncio.run(provider.aresearch(CompanyQuery(name="Contoso", domain="contoso.com")))
    assert result.overviews[0].name == "Contoso"
    assert "/about-us not read (TimeoutError)" in result.notes


def test_pages_are_read_off_the_event_loop_so_other_work_proceeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the parse waits for a signal that only the event loop can send: were it run on the loop,
    # the loop could not send it and the parse would give up after 5 s, failing the test
    released = threading.Event()
    real_parse = website.parse_html

    def waiting_parse(html: str, /, *, time_limit: float | None = None) -> website.PageFacts:
        assert released.wait(5), "the event loop was blocked while the page was read"
        return real_parse(html, time_limit=time_limit)

    monkeypatch.setattr(website, "parse_html", waiting_parse)
    provider = WebsiteProvider(_two_pages())

    async def other_lead() -> None:
        await asyncio.sleep(0.01)
        released.set()

    async def both() -> None:
        research = asyncio.create_task(
            provider.aresearch(CompanyQuery(name="Contoso", domain="contoso.com"))
        )
        await other_lead()
        assert (await research).overviews[0].name == "Contoso"

    asyncio.run(both())


# -- transports, logging ----------------------------------------------------------------------------


def test_a_real_transport_is_refused_because_it_would_resolve_names_again() -> None:
    with pytest.raises(ConfigurationError, match="network_backend"):
        SafeFetcher(user_agent="t", transport=httpx.AsyncHTTPTransport())


def test_a_custom_transport_is_accepted_with_a_warning_and_a_mock_without() -> None:
    class Custom(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200)

    with pytest.warns(UnpinnedTransportWarning, match="not pinned"):
        SafeFetcher(user_agent="t", transport=Custom())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SafeFetcher(user_agent="t", transport=httpx.MockTransport(lambda r: httpx.Response(200)))


def test_hosts_are_logged_at_debug_only(caplog: pytest.LogCaptureFixture) -> None:
    fetcher = mock_fetcher(
        serve(b"<p>hi</p>", None),
        resolver=StaticHostResolver(
            {"jane-roe-design.com": ["93.184.216.34"], "bad.jane-roe-design.com": ["10.0.0.1"]}
        ),
    )
    with caplog.at_level(logging.DEBUG, logger="leadqual"):
        asyncio.run(fetcher.fetch("https://jane-roe-design.com/"))
        with pytest.raises(LeadqualError):
            asyncio.run(fetcher.fetch("https://bad.jane-roe-design.com/"))
    above_debug = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    assert above_debug and not any("jane-roe" in message for message in above_debug)
    assert any("jane-roe" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
