"""The safe HTTP layer: SSRF guards, redirects, caps, content types, retries, cookies, timeouts."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpcore
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual.errors import ProviderTimeout, RateLimited, UnsafeUrlError
from leadqual.research.http import (
    FetchPolicy,
    GuardedNetworkBackend,
    HttpStatusError,
    MalformedResponse,
    ResponseTooLarge,
    SafeFetcher,
    UnexpectedContentType,
    _Pins,
    check_url,
    ip_allowed,
    parse_retry_after,
)
from leadqual.testing.research import RecordingSleep, StaticHostResolver, mock_fetcher

PUBLIC = "93.184.216.34"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# -- address policy -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "93.184.216.34", "::ffff:8.8.8.8", "2001:4860:4860::8888", "1.1.1.1"],
)
def test_ip_allowed_accepts_public_unicast(address: str) -> None:
    assert ip_allowed(address)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "100.100.100.200", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
        "fd00:ec2::254", "2002:7f00:1::1", "2001:0:4136:e378:8000:63bf:80ff:fffe",
        "198.18.0.1", "0.0.0.0", "224.0.0.1", "::1", "::", "192.0.2.1", "fe80::1",
        "255.255.255.255", "not-an-ip",
        # Azure's WireServer: a public-range address every Azure VM reaches, serving the VM's
        # extension settings and certificates; a known SSRF target
        "168.63.129.16", "::ffff:168.63.129.16",
    ],
)  # fmt: skip
def test_ip_allowed_refuses_internal_metadata_and_wrapped_addresses(address: str) -> None:
    assert not ip_allowed(address)


@given(st.ip_addresses(v=4))
def test_ipv4_mapped_form_is_judged_like_the_ipv4_address(ip: ipaddress.IPv4Address) -> None:
    assert ip_allowed(f"::ffff:{ip}") == ip_allowed(str(ip))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("http://user:pw@example.com/", "credentials"),
        ("http://example.com:6379/", "port"),
        ("http://localhost/", "internal"),
        ("http://metadata.google.internal/", "internal"),
        ("http://printer.local/", "internal"),
        ("http://intranet/", "single-label"),
        ("http://127.1/", "non-standard"),
        ("http://2130706433/", "non-standard"),
        ("http://0x7f000001/", "non-standard"),
        ("http://169.254.169.254/latest/meta-data/", "not public"),
        ("http://[::ffff:127.0.0.1]/", "not public"),
        ("http://[::1]/", "not public"),
    ],
)
def test_check_url_refuses_unsafe_shapes(url: str, reason: str) -> None:
    with pytest.raises(UnsafeUrlError) as info:
        check_url(url)
    assert info.value.url == url
    assert reason in info.value.reason or reason in str(info.value)


def test_check_url_accepts_a_normal_https_url() -> None:
    assert check_url("https://www.example.com/about?x=1").host == "www.example.com"


# -- DNS answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers",
    [["10.0.0.5"], ["127.0.0.1"], ["169.254.169.254"], [PUBLIC, "192.168.0.10"], ["::1"]],
)
def test_fetch_refuses_a_host_whose_dns_answer_points_inside(answers: list[str]) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, text="secret")

    fetcher = mock_fetcher(handler, resolver=StaticHostResolver({"evil.example.com": answers}))
    with pytest.raises(UnsafeUrlError, match="non-public"):
        run(fetcher.fetch("https://evil.example.com/"))
    assert calls == []  # refused before any request was sent


def test_fetch_refuses_a_host_that_does_not_resolve() -> None:
    fetcher = mock_fetcher(lambda r: httpx.Response(200), resolver=StaticHostResolver({}))
    with pytest.raises(UnsafeUrlError, match="does not resolve"):
        run(fetcher.fetch("https://nowhere.example.com/"))


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1/admin",
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://[::ffff:169.254.169.254]/",
        "http://internal.example.com/",  # resolves inside
        "gopher://example.com/",
    ],
)
def test_redirects_are_checked_on_every_hop(target: str) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": target})

    resolver = StaticHostResolver({"internal.example.com": ["10.0.0.7"]}, default=[PUBLIC])
    fetcher = mock_fetcher(handler, resolver=resolver)
    with pytest.raises(UnsafeUrlError):
        run(fetcher.fetch("https://www.example.com/start"))
    assert seen == ["https://www.example.com/start"]


def test_redirect_chain_is_followed_and_recorded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "example.com":
            return httpx.Response(301, headers={"Location": "https://www.example.com/"})
        return httpx.Response(200, text="<p>home</p>", headers={"Content-Type": "text/html"})

    got = run(mock_fetcher(handler).fetch("http://example.com/"))
    assert got.final_url == "https://www.example.com/"
    assert got.redirects == ("http://example.com/",)


def test_too_many_redirects_stop() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        n = int(request.url.path.strip("/") or 0)
        return httpx.Response(302, headers={"Location": f"/{n + 1}"})

    fetcher = mock_fetcher(handler, policy=FetchPolicy(max_redirects=3))
    with pytest.raises(Exception, match="more than 3 redirects"):
        run(fetcher.fetch("https://www.example.com/0"))


def test_same_site_fetch_refuses_a_redirect_to_another_domain() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://other.example.org/"})

    with pytest.raises(UnsafeUrlError, match="leaves"):
        run(mock_fetcher(handler).fetch("https://www.contoso.com/", same_site=True))


def test_basic_auth_is_not_forwarded_across_a_redirect() -> None:
    auth_seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        auth_seen[request.url.host] = request.headers.get("authorization")
        if request.url.host == "api.example.com":
            return httpx.Response(302, headers={"Location": "https://cdn.example.net/x"})
        return httpx.Response(200, json={}, headers={"Content-Type": "application/json"})

    run(mock_fetcher(handler).get_json("https://api.example.com/", auth=("key", "")))
    assert auth_seen["api.example.com"] is not None
    assert auth_seen["cdn.example.net"] is None


# -- connecting to the checked address -----------------------------------------------------------


class _RecordingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, response: bytes) -> None:
        self.hosts: list[str] = []
        self._mock = httpcore.AsyncMockBackend([response])

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.hosts.append(host)
        return await self._mock.connect_tcp(host, port)

    async def sleep(self, seconds: float) -> None:
        return None


def _pins(resolver: StaticHostResolver, clock: list[float] | None = None) -> _Pins:
    now = clock or [0.0]
    return _Pins(resolver, ttl=60.0, clock=lambda: now[0])


def test_backend_connects_to_the_checked_ip_not_the_name() -> None:
    inner = _RecordingBackend(b"")
    backend = GuardedNetworkBackend(
        _pins(StaticHostResolver({"www.example.com": [PUBLIC]})), inner=inner
    )
    run(backend.connect_tcp("www.example.com", 443))
    assert inner.hosts == [PUBLIC]


def test_backend_refuses_unix_sockets() -> None:
    backend = GuardedNetworkBackend(_pins(StaticHostResolver({})), inner=_RecordingBackend(b""))
    with pytest.raises(httpcore.ConnectError):
        run(backend.connect_unix_socket("/var/run/docker.sock"))


def test_dns_rebinding_cannot_swap_the_checked_answer() -> None:
    # first answer public, every later answer private: the connection must use the pinned one
    resolver = StaticHostResolver({"rebind.example.com": [[PUBLIC], ["127.0.0.1"]]})
    clock = [0.0]
    pins = _pins(resolver, clock)
    inner = _RecordingBackend(b"")
    backend = GuardedNetworkBackend(pins, inner=inner)

    async def scenario() -> None:
        await pins.checked("rebind.example.com", 443, "https://rebind.example.com/")
        await backend.connect_tcp("rebind.example.com", 443)
        clock[0] = 120.0  # the pin expired: a fresh resolution is checked again
        with pytest.raises(UnsafeUrlError):
            await backend.connect_tcp("rebind.example.com", 443)

    run(scenario())
    assert inner.hosts == [PUBLIC]
    assert resolver.calls == ["rebind.example.com", "rebind.example.com"]


def test_full_stack_fetch_goes_through_the_guarded_backend() -> None:
    inner = _RecordingBackend(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
    )
    fetcher = SafeFetcher(
        user_agent="t",
        resolver=StaticHostResolver({"plain.example.com": [PUBLIC]}),
        network_backend=inner,
    )

    async def go() -> str:
        async with fetcher:
            return (await fetcher.fetch("http://plain.example.com/")).text

    assert run(go()) == "hello"
    assert inner.hosts == [PUBLIC]


def test_full_stack_refuses_a_private_answer_at_connect_time() -> None:
    inner = _RecordingBackend(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    fetcher = SafeFetcher(
        user_agent="t",
        resolver=StaticHostResolver({"x.example.com": ["10.9.9.9"]}),
        network_backend=inner,
    )
    with pytest.raises(UnsafeUrlError):
        run(fetcher.fetch("http://x.example.com/"))
    assert inner.hosts == []


def test_vet_refuses_a_private_answer_without_fetching_and_check_is_its_deprecated_alias() -> None:
    inner = _RecordingBackend(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    fetcher = SafeFetcher(
        user_agent="t",
        resolver=StaticHostResolver({"x.example.com": ["10.9.9.9"], "plain.example.com": [PUBLIC]}),
        network_backend=inner,
    )
    with pytest.raises(UnsafeUrlError):
        run(fetcher.vet("http://x.example.com/"))
    assert str(run(fetcher.vet("http://plain.example.com/a"))) == "http://plain.example.com/a"
    with pytest.warns(DeprecationWarning, match=r"SafeFetcher\.vet"), pytest.raises(UnsafeUrlError):
        run(fetcher.check("http://x.example.com/"))
    assert inner.hosts == []


# -- bodies ----------------------------------------------------------------------------------------


def test_declared_oversize_body_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=b"x" * 10,
            headers={"Content-Type": "text/html", "Content-Length": "99999999"},
        )

    with pytest.raises(ResponseTooLarge, match="declared"):
        run(mock_fetcher(handler).fetch("https://www.example.com/", max_bytes=1000))


def test_endless_streamed_body_is_cut_at_the_cap() -> None:
    produced = 0

    class Endless(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            nonlocal produced
            while True:
                produced += 1
                yield b"a" * 1024

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Endless(), headers={"Content-Type": "text/html"})

    with pytest.raises(ResponseTooLarge, match="cap"):
        run(mock_fetcher(handler).fetch("https://www.example.com/", max_bytes=10_000))
    assert produced < 20  # stopped reading soon after the cap


def test_decompression_bomb_is_cut_on_decoded_bytes() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 10_000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
        )

    with pytest.raises(ResponseTooLarge):
        run(mock_fetcher(handler).fetch("https://www.example.com/", max_bytes=100_000))


@pytest.mark.parametrize(
    "content_type", ["application/pdf", "image/png", "application/octet-stream", ""]
)
def test_unexpected_content_types_are_not_read(content_type: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": content_type} if content_type else {}
        return httpx.Response(200, content=b"%PDF-1.7", headers=headers)

    with pytest.raises(UnexpectedContentType):
        run(mock_fetcher(handler).fetch("https://www.example.com/file"))


def test_plain_text_error_with_status_200_is_malformed_json() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, text="Service unavailable, try later", headers={"Content-Type": "application/json"}
        )

    with pytest.raises(MalformedResponse, match="did not return JSON"):
        run(mock_fetcher(handler).get_json("https://api.example.com/"))


def test_truncated_json_is_malformed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=b'{"a": [1, 2', headers={"Content-Type": "application/json"}
        )

    with pytest.raises(MalformedResponse):
        run(mock_fetcher(handler).get_json("https://api.example.com/"))


# -- retries, rate limits, timeouts ----------------------------------------------------------------


def test_429_storm_ends_in_rate_limited_after_bounded_attempts() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(429, text="Please limit requests", headers={"Retry-After": "7"})

    sleep = RecordingSleep()
    fetcher = mock_fetcher(handler, sleep=sleep, policy=FetchPolicy(max_attempts=3))
    with pytest.raises(RateLimited) as info:
        run(fetcher.fetch("https://api.example.com/"))
    assert calls == 3
    assert info.value.retry_after == 7
    assert sleep.calls == [7, 7]  # Retry-After honoured between attempts


def test_retry_after_is_capped_by_the_policy() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": "3600"})

    sleep = RecordingSleep()
    fetcher = mock_fetcher(
        handler, sleep=sleep, policy=FetchPolicy(max_attempts=2, max_retry_wait=5)
    )
    with pytest.raises(HttpStatusError) as info:
        run(fetcher.fetch("https://api.example.com/"))
    assert info.value.status_code == 503
    assert sleep.calls == [5]


def test_5xx_then_success_is_retried_transparently() -> None:
    answers = iter(
        [
            httpx.Response(502),
            httpx.Response(200, text="ok", headers={"Content-Type": "text/plain"}),
        ]
    )
    got = run(mock_fetcher(lambda r: next(answers)).fetch("https://api.example.com/"))
    assert got.text == "ok"
    assert got.attempts == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_not_retried(status: int) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(status)

    with pytest.raises(HttpStatusError):
        run(mock_fetcher(handler).fetch("https://api.example.com/"))
    assert calls == 1


def test_transport_timeout_becomes_provider_timeout() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ProviderTimeout):
        run(
            mock_fetcher(handler, policy=FetchPolicy(max_attempts=2)).fetch(
                "https://api.example.com/"
            )
        )


def test_overall_deadline_stops_a_slow_server() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    fetcher = SafeFetcher(
        user_agent="t",
        transport=httpx.MockTransport(slow),
        resolver=StaticHostResolver(default=[PUBLIC]),
        policy=FetchPolicy(total_timeout=0.05),
    )
    with pytest.raises(ProviderTimeout, match="within"):
        run(fetcher.fetch("https://api.example.com/"))


def test_per_host_rate_limit_spaces_requests_and_domains_share_a_bucket() -> None:
    clock = [0.0]
    sleep = RecordingSleep()

    async def fake_sleep(seconds: float) -> None:
        await sleep(seconds)
        clock[0] += seconds

    fetcher = SafeFetcher(
        user_agent="t",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={})),
        resolver=StaticHostResolver(default=[PUBLIC]),
        rate_limits={"sec.gov": 2.0},
        sleep=fake_sleep,
        clock=lambda: clock[0],
    )

    async def go() -> None:
        for url in ("https://www.sec.gov/a", "https://data.sec.gov/b", "https://www.sec.gov/c"):
            await fetcher.get_json(url)
        await fetcher.get_json("https://unlimited.example.org/")

    run(go())
    assert sleep.calls == [0.5, 0.5]


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# -- privacy: cookies, proxies, headers ------------------------------------------------------------


def test_cookies_are_neither_kept_nor_sent() -> None:
    sent: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("cookie"))
        return httpx.Response(
            200, text="ok", headers={"Content-Type": "text/plain", "Set-Cookie": "sid=abc; Path=/"}
        )

    fetcher = mock_fetcher(handler)

    async def go() -> Any:
        first = await fetcher.fetch("https://www.example.com/")
        await fetcher.fetch("https://www.example.com/again", headers={"Cookie": "planted=1"})
        return first

    first = run(go())
    assert sent == [None, None]
    assert "set-cookie" not in {k.lower() for k in first.headers}


def test_proxy_environment_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.1:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.1:3128")
    fetcher = SafeFetcher(user_agent="t", resolver=StaticHostResolver(default=[PUBLIC]))
    assert fetcher._client._trust_env is False
    assert not fetcher._client._mounts  # no proxy transports were mounted


def test_user_agent_is_sent_and_required() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["user-agent"])
        return httpx.Response(200, json={})

    run(
        mock_fetcher(handler, user_agent="acme-bot/2 (ops@acme.example)").get_json(
            "https://a.example.com/"
        )
    )
    assert seen == ["acme-bot/2 (ops@acme.example)"]
    from leadqual.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        SafeFetcher(user_agent=" ")


def test_a_fetcher_can_be_reused_across_event_loops() -> None:
    inner = _RecordingBackend(b"")
    responses = [b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"] * 2

    class Fresh(_RecordingBackend):
        async def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Iterable[Any] | None = None,
        ) -> httpcore.AsyncNetworkStream:
            self.hosts.append(host)
            return await httpcore.AsyncMockBackend([responses.pop()]).connect_tcp(host, port)

    backend = Fresh(b"")
    fetcher = SafeFetcher(
        user_agent="t", resolver=StaticHostResolver(default=[PUBLIC]), network_backend=backend
    )
    first = run(fetcher.fetch("http://a.example.com/"))
    second = run(
        fetcher.fetch("http://a.example.com/")
    )  # a new loop: a fresh pool, no stale socket
    assert first.text == second.text == "ok"
    assert backend.hosts == [PUBLIC, PUBLIC]
    assert inner.hosts == []


@pytest.mark.parametrize("url", ["http://[::1", "not a url", "https://", "http://exa mple.com/"])
def test_malformed_urls_are_refused_cleanly(url: str) -> None:
    with pytest.raises(UnsafeUrlError):
        run(mock_fetcher(lambda r: httpx.Response(200)).fetch(url))


def test_internationalised_names_are_checked_and_resolved_in_idna_form() -> None:
    resolver = StaticHostResolver({"xn--mnchen-3ya.de": [PUBLIC]})
    got = run(
        mock_fetcher(
            lambda r: httpx.Response(200, text="ok", headers={"Content-Type": "text/plain"}),
            resolver=resolver,
        ).fetch("https://münchen.de/")
    )
    assert got.text == "ok"
    assert resolver.calls == ["xn--mnchen-3ya.de"]


def test_per_host_rate_limit_state_stays_bounded_over_many_sites() -> None:
    # a long-running agent reads thousands of company websites under the "*" per-host limit
    clock = [0.0]
    fetcher = SafeFetcher(
        user_agent="t", rate_limits={"*": 1.0}, clock=lambda: clock[0], sleep=RecordingSleep()
    )

    async def visit_many() -> None:
        for i in range(30_000):
            await fetcher._limiter.wait(f"www.site{i}.example.org")
            clock[0] += 0.01

    asyncio.run(visit_many())
    assert len(fetcher._limiter._next) <= 10_000 + 1
    assert len(fetcher._limiter._locks) <= 10_000 + 1
