"""Hostile server behaviours written from the fetcher's documentation, not its code: a body that
drips in under every read timeout, redirects to names that resolve inside, compression bombs in
every coding, and headers made to hurt.

Bodies are streamed (``httpx.Response(content=...)`` would be decoded by httpx in the test).
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.errors import (
    LeadqualError,
    MalformedResponse,
    ProviderTimeout,
    RateLimited,
    ResponseTooLarge,
    UnsafeUrlError,
)
from leadqual.research.http import FetchPolicy, SafeFetcher, parse_retry_after
from leadqual.testing.research import RecordingSleep, StaticHostResolver, mock_fetcher

PUBLIC = "93.184.216.34"


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


class Drip(httpx.AsyncByteStream):
    """A body that sends one byte, waits, sends another: every read is quick, the whole is not."""

    def __init__(self, drops: int, pause: float) -> None:
        self.drops = drops
        self.pause = pause
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.drops):
            await asyncio.sleep(self.pause)
            self.sent += 1
            yield b"x"


class Chunks(httpx.AsyncByteStream):
    def __init__(self, body: bytes, size: int = 16_384) -> None:
        self.body = body
        self.size = size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self.body), self.size):
            yield self.body[i : i + self.size]


def test_a_body_that_drips_under_every_read_timeout_stops_at_the_total_deadline() -> None:
    drip = Drip(drops=400, pause=0.01)  # four seconds in all, each byte well within read timeout

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=drip, headers={"Content-Type": "text/html"})

    fetcher = SafeFetcher(
        user_agent="t",
        transport=httpx.MockTransport(handler),
        resolver=StaticHostResolver(default=[PUBLIC]),
        policy=FetchPolicy(total_timeout=0.3, read_timeout=1.0, max_attempts=1),
    )
    with pytest.raises(ProviderTimeout):
        run(fetcher.fetch("https://www.example.com/"))
    assert 0 < drip.sent < 400  # cut mid-body, not read to the end


# Names whose DNS answer is inside, in every spelling a resolver might hand back.
INSIDE = [
    "127.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "0:0:0:0:0:ffff:7f00:0001",
    "0.0.0.0",
    "::",
    "::1",
    "169.254.169.254",
    "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe",
    "fd00:ec2::254",
    "100.100.100.200",
    "168.63.129.16",
    "10.0.0.1",
    "192.168.1.1",
    "fe80::1",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "fe80::1%eth0",
]


@pytest.mark.parametrize("answer", INSIDE)
def test_a_redirect_to_a_name_resolving_inside_is_refused_before_any_request(answer: str) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        if request.url.host == "www.example.com":
            return httpx.Response(302, headers={"Location": "https://metadata.evil.example/latest"})
        return httpx.Response(200, text="secret", headers={"Content-Type": "text/html"})

    resolver = StaticHostResolver({"www.example.com": [PUBLIC], "metadata.evil.example": [answer]})
    fetcher = SafeFetcher(user_agent="t", transport=httpx.MockTransport(handler), resolver=resolver)
    with pytest.raises(UnsafeUrlError):
        run(fetcher.fetch("https://www.example.com/"))
    assert seen == ["www.example.com"]


def test_one_inside_answer_among_public_ones_refuses_the_name() -> None:
    resolver = StaticHostResolver({"mixed.example": [PUBLIC, "127.0.0.1", "8.8.8.8"]})
    fetcher = SafeFetcher(
        user_agent="t",
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        resolver=resolver,
    )
    with pytest.raises(UnsafeUrlError):
        run(fetcher.fetch("https://mixed.example/"))


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9)
    return packer.compress(data) + packer.flush()


BOMB = b"\0" * 20_000_000


@pytest.mark.parametrize(
    ("coding", "packed"),
    [
        ("deflate", _deflate(BOMB)),
        ("gzip", gzip.compress(BOMB)),
        ("deflate, gzip", gzip.compress(_deflate(BOMB))),
        ("GZIP", gzip.compress(BOMB)),
    ],
)
def test_bombs_in_any_supported_coding_stop_at_the_cap(coding: str, packed: bytes) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            stream=Chunks(packed),
            headers={"Content-Type": "text/html", "Content-Encoding": coding},
        )

    fetcher = mock_fetcher(handler, policy=FetchPolicy(max_bytes=100_000))
    with pytest.raises(ResponseTooLarge):
        run(fetcher.fetch("https://www.example.com/"))


@pytest.mark.parametrize("coding", ["br", "zstd", "gzip, gzip, gzip", "compress", "x-bomb"])
def test_codings_not_read_are_a_malformed_response(coding: str) -> None:
    packed = gzip.compress(gzip.compress(gzip.compress(BOMB)))

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            stream=Chunks(packed),
            headers={"Content-Type": "text/html", "Content-Encoding": coding},
        )

    with pytest.raises(MalformedResponse):
        run(mock_fetcher(handler).fetch("https://www.example.com/"))


def test_a_megabyte_location_header_is_a_typed_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://x.example/" + "a" * 1_000_000})

    with pytest.raises(LeadqualError):
        run(mock_fetcher(handler).fetch("https://www.example.com/"))


def test_ten_thousand_headers_and_a_huge_content_type_are_typed_errors_or_a_result() -> None:
    headers = [(f"X-{i}", "v" * 100) for i in range(10_000)]
    headers.append(("Content-Type", "text/html; " + "a=b; " * 100_000))

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Chunks(b"<p>hi</p>"), headers=headers)

    try:
        response = run(mock_fetcher(handler).fetch("https://www.example.com/"))
    except LeadqualError:
        return
    assert response.content == b"<p>hi</p>"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "value", ["\u00b2", "\u0663", "1e309", "-5", "nan", "inf", "99999999999999999999999"]
)
def test_a_strange_retry_after_is_a_bounded_wait_never_a_crash(value: str) -> None:
    answers = iter([503, 503, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        return httpx.Response(
            status,
            headers=[(b"Retry-After", value.encode()), (b"Content-Type", b"text/html")],
            text="ok",
        )

    sleep = RecordingSleep()
    policy = FetchPolicy(max_attempts=3, max_retry_wait=7.0)
    response = run(mock_fetcher(handler, policy=policy, sleep=sleep).fetch("https://x.example/"))
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert all(0 <= s <= 7.0 for s in sleep.calls)


@given(st.text(max_size=40))
@settings(max_examples=300)
def test_parse_retry_after_is_none_or_a_finite_non_negative_number(value: str) -> None:
    waited = parse_retry_after(value)
    assert waited is None or (waited >= 0 and waited == waited and waited != float("inf"))


def test_a_storm_of_429_with_a_huge_retry_after_ends_in_rate_limited() -> None:
    sleep = RecordingSleep()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "9" * 400})

    fetcher: Callable[..., SafeFetcher] = mock_fetcher
    with pytest.raises(RateLimited):
        run(fetcher(handler, sleep=sleep).fetch("https://x.example/"))
    assert sleep.calls and max(sleep.calls) <= FetchPolicy().max_retry_wait
