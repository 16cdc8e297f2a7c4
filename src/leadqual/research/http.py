"""Safe HTTP fetching for research providers: one guarded ``httpx.AsyncClient`` layer.

What :class:`SafeFetcher` guarantees, whatever URL it is given (a lead's website is
attacker-controlled):

* ``http``/``https`` only, default ports only, no ``user:pass@``, no internal names
  (``localhost``, ``*.local``, ``*.internal``, single labels) and no shorthand or octal IP forms;
* the host is resolved once, **every** answer is checked (private, loopback, link-local, CGNAT,
  cloud metadata (Azure's WireServer too), multicast, reserved and documentation ranges, with
  IPv4-mapped, 6to4, Teredo and NAT64 addresses unwrapped first), and the TCP connection goes to
  a checked address (the hostname is kept for TLS SNI and certificate checks), so DNS rebinding
  cannot swap the answer (a caller-supplied ``transport`` connects by itself and is not pinned:
  see :class:`SafeFetcher`);
* redirects are followed by hand and every hop is checked again;
* connect/read timeouts and an overall deadline; bodies are streamed and cut at a size cap
  counted on decoded bytes, the gzip/deflate codings undone here step by step (at most 64 KB
  at a time), so a compression bomb, stacked or not, stops at the cap with memory near it;
  only the allowed content types are read;
* every failure is a :mod:`leadqual.errors` exception (a dependency's own is wrapped in
  :class:`~leadqual.errors.FetchError`, kept as the cause); hosts are logged at DEBUG only;
* per-host rate limits (a limit set on a registrable domain is shared by its hosts) and a global
  concurrency limit; retries with backoff on 429/502/503/504 and transport errors, honouring
  ``Retry-After``;
* no cookies are kept or sent, and proxy environment variables are ignored (``trust_env=False``);
  a proxy would resolve names itself and bypass the address checks.

Examples:
    >>> check_url("http://169.254.169.254/latest/meta-data")
    Traceback (most recent call last):
    ...
    leadqual.errors.UnsafeUrlError: refused http://169.254.169.254/latest/meta-data: address 169.254.169.254 is not public
    >>> ip_allowed("::ffff:127.0.0.1"), ip_allowed("8.8.8.8")
    (False, True)
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import ipaddress
import json
import logging
import re
import socket
import ssl
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Annotated, Any, Protocol, Self, runtime_checkable

import httpcore
import httpx
from pydantic import ConfigDict, Field
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)

from leadqual._base import LeadqualModel
from leadqual._compat import warn_deprecated
from leadqual._domains import registrable_domain
from leadqual._http import read_capped
from leadqual.errors import (
    ConfigurationError,
    FetchError,
    HttpStatusError,
    LeadqualError,
    MalformedResponse,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    ResponseTooLarge,
    UnexpectedContentType,
    UnsafeUrlError,
)

__all__ = [
    "FetchError",
    "FetchPolicy",
    "FetchedResponse",
    "GuardedNetworkBackend",
    "HostResolver",
    "HttpStatusError",
    "MalformedResponse",
    "ResponseTooLarge",
    "SafeFetcher",
    "SystemResolver",
    "UnexpectedContentType",
    "UnpinnedTransportWarning",
    "check_url",
    "ip_allowed",
]

logger = logging.getLogger(__name__)

HTML_TYPES: tuple[str, ...] = ("text/html", "application/xhtml+xml")
JSON_TYPES: tuple[str, ...] = ("application/json", "text/json", "application/*+json")
TEXT_TYPES: tuple[str, ...] = ("text/plain",)


# -- address policy ---------------------------------------------------------------------------

_BLOCKED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        # IANA IPv4 special-purpose registry: kept explicitly because ``is_global`` was wrong
        # for some ranges before CVE-2024-4032 was fixed, and 3.11.x releases differ
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        # cloud platform endpoints in public ranges: Alibaba's metadata, Azure's WireServer
        "100.100.100.200/32", "168.63.129.16/32",
        "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23",
        "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
)  # fmt: skip
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_BLOCKED_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain", ".lan")
_BLOCKED_NAMES = frozenset({"localhost", "metadata.google.internal", "metadata", "instance-data"})
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)
_NUMERIC_HOST = re.compile(r"^(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+))*$", re.I)


def _unwrap(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def ip_allowed(address: str, /) -> bool:
    """Whether a research fetch may connect to ``address``: a public unicast address only.

    IPv4-mapped (``::ffff:127.0.0.1``), 6to4, Teredo and NAT64 addresses are judged by the IPv4
    address they carry.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    inner = _unwrap(ip)
    # a wrapper (::ffff:a.b.c.d, 6to4, Teredo, NAT64) is judged by the IPv4 address it carries
    candidate = inner if inner is not ip else ip
    if any(candidate in net for net in _BLOCKED_NETWORKS if net.version == candidate.version):
        return False
    return bool(
        candidate.is_global
        and not candidate.is_multicast
        and not candidate.is_reserved
        and not candidate.is_unspecified
    )


def _refuse(url: str, reason: str) -> UnsafeUrlError:
    return UnsafeUrlError(f"refused {url}: {reason}", url=url, reason=reason)


def check_url(url: str | httpx.URL, /, *, allowed_ports: Iterable[int] = (80, 443)) -> httpx.URL:
    """Check a URL's shape before anything is resolved; return it parsed.

    Refuses (with :class:`~leadqual.errors.UnsafeUrlError`) other schemes, credentials in the
    URL, non-default ports, internal or single-label names, non-public IP literals and shorthand,
    octal or hexadecimal IP notations (``127.1``, ``0177.0.0.1``, ``2130706433``).
    """
    text = str(url)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as err:
        raise _refuse(text, f"not a valid URL ({err})") from None
    if parsed.scheme not in ("http", "https"):
        raise _refuse(text, f"scheme {parsed.scheme or '(none)'!r} is not http or https")
    if parsed.userinfo:
        raise _refuse(text, "credentials in the URL are not allowed")
    # the IDNA (ASCII) form: what DNS sees, so "münchen.de" is checked as "xn--mnchen-3ya.de"
    host = parsed.raw_host.decode("ascii", errors="replace").strip("[]").rstrip(".").lower()
    if not host:
        raise _refuse(text, "no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if port not in set(allowed_ports):
        raise _refuse(text, f"port {port} is not allowed")
    try:
        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if not ip_allowed(host):
            raise _refuse(text, f"address {host} is not public")
        return parsed
    if not _HOSTNAME.match(host):
        raise _refuse(text, f"{host!r} is not a valid host name")
    if _NUMERIC_HOST.match(host):
        raise _refuse(text, f"{host!r} is a non-standard IP notation")
    if host in _BLOCKED_NAMES or host.endswith(_BLOCKED_SUFFIXES):
        raise _refuse(text, f"{host!r} is an internal name")
    labels = host.split(".")
    if len(labels) < 2:
        raise _refuse(text, f"{host!r} is a single-label (internal) name")
    if labels[-1].isdigit():
        raise _refuse(text, f"{host!r} is not a valid public host name")
    return parsed


# -- resolution ---------------------------------------------------------------------------------


@runtime_checkable
class HostResolver(Protocol):
    """Resolves a host name to IP addresses (every A/AAAA answer)."""

    async def resolve(self, host: str, port: int, /) -> Sequence[str]:
        """Every address ``host`` resolves to; raise ``OSError`` when it does not resolve."""
        ...


class SystemResolver:
    """The operating system's resolver (``getaddrinfo``), run without blocking the loop.

    Examples:
        >>> isinstance(SystemResolver(), HostResolver)
        True
    """

    async def resolve(self, host: str, port: int, /) -> Sequence[str]:
        """Every address ``host`` resolves to."""
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return sorted({str(info[4][0]) for info in infos})


class _Pins:
    """Checked answers per host, kept briefly so the pre-check and the connection use the same
    resolution (resolve once; a rebinding answer later cannot reach the socket)."""

    def __init__(self, resolver: HostResolver, *, ttl: float, clock: Callable[[], float]) -> None:
        self._resolver = resolver
        self._ttl = ttl
        self._clock = clock
        self._pins: dict[tuple[str, int], tuple[float, tuple[str, ...]]] = {}

    async def checked(self, host: str, port: int, url: str) -> tuple[str, ...]:
        host = host.rstrip(".").lower()
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            if not ip_allowed(host):
                raise _refuse(url, f"address {host} is not public")
            return (host,)
        now = self._clock()
        pinned = self._pins.get((host, port))
        if pinned is not None and pinned[0] > now:
            return pinned[1]
        try:
            answers = tuple(await self._resolver.resolve(host, port))
        except OSError as err:
            raise _refuse(url, f"{host!r} does not resolve ({err})") from err
        if not answers:
            raise _refuse(url, f"{host!r} does not resolve")
        bad = [a for a in answers if not ip_allowed(a)]
        if bad:
            # fail closed on ANY bad answer: a mixed answer set is a rebinding set-up
            logger.warning("blocked fetch: a host resolved to a non-public address")
            logger.debug("blocked fetch: %s resolves to non-public %s", host, ", ".join(bad))
            raise _refuse(url, f"{host!r} resolves to non-public address {bad[0]}")
        if len(self._pins) >= 10_000:  # a long-running agent meets many hosts: forget stale ones
            self._pins = {k: v for k, v in self._pins.items() if v[0] > now}
        self._pins[(host, port)] = (now + self._ttl, answers)
        return answers

    def forget(self, domain: str) -> int:
        """Drop the pins of ``domain`` and its subdomains; returns how many went."""
        gone = [k for k in self._pins if _within(k[0], domain)]
        for key in gone:
            del self._pins[key]
        return len(gone)


def _within(host: str, domain: str) -> bool:
    host, domain = host.rstrip(".").lower(), domain.rstrip(".").lower()
    return host == domain or host.endswith("." + domain)


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to checked, public addresses.

    The connection pool asks it for ``(host, port)``; it resolves through the fetcher's pinned
    resolution, refuses non-public answers, and connects the socket to the checked IP. TLS still
    uses the host name (httpcore passes it as ``server_hostname``), so certificates are verified
    against the name, not the address.
    """

    def __init__(self, pins: _Pins, *, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._pins = pins
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to the first reachable checked address of ``host``."""
        addresses = await self._pins.checked(host, port, f"{host}:{port}")
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as err:
                last = err
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Refused: research never talks to local sockets."""
        raise httpcore.ConnectError("unix sockets are not allowed for research fetches")

    async def sleep(self, seconds: float) -> None:
        """Sleep (delegated to the inner backend)."""
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(
        self,
        backend: GuardedNetworkBackend,
        *,
        max_connections: int,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        super().__init__(trust_env=False, http2=False)
        # the pool httpx built would use the default backend: swap in one with the guard
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=backend,
        )


# -- policy and results ---------------------------------------------------------------------------


class FetchPolicy(LeadqualModel):
    """Limits every fetch obeys. The defaults follow the research note's checklist.

    Examples:
        >>> FetchPolicy(max_bytes=512_000).read_timeout
        10.0
    """

    model_config = ConfigDict(frozen=True)

    connect_timeout: Annotated[float, Field(gt=0)] = 5.0
    read_timeout: Annotated[float, Field(gt=0)] = 10.0
    total_timeout: Annotated[float, Field(gt=0)] = 20.0
    """Deadline for one fetch, retries and redirects included."""
    max_bytes: Annotated[int, Field(gt=0)] = 2_000_000
    """Largest body read (decoded bytes)."""
    max_redirects: Annotated[int, Field(ge=0, le=10)] = 5
    max_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    """Attempts per fetch (1 means no retry)."""
    max_retry_wait: Annotated[float, Field(ge=0)] = 30.0
    """Longest wait between attempts, even when ``Retry-After`` asks for more."""
    backoff_base: Annotated[float, Field(ge=0)] = 0.5
    allowed_ports: tuple[int, ...] = (80, 443)
    dns_pin_seconds: Annotated[float, Field(gt=0)] = 60.0


class FetchedResponse(LeadqualModel):
    """A fetched body with what is known about it."""

    model_config = ConfigDict(frozen=True)

    url: str
    """The URL asked for."""
    final_url: str
    """The URL the body came from, after redirects."""
    status_code: int
    content_type: str
    encoding: str | None = None
    content: bytes
    headers: Mapping[str, str] = Field(default_factory=dict)
    retrieved_at: datetime
    elapsed_seconds: float
    redirects: tuple[str, ...] = ()
    attempts: int = 1

    @property
    def text(self) -> str:
        """The body decoded with its declared charset (UTF-8 when none, errors replaced)."""
        enc = self.encoding or "utf-8"
        try:
            return self.content.decode(enc, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def parse_json(self, *, provider: str = "http") -> Any:
        """The body parsed as JSON; :class:`MalformedResponse` when it is not JSON."""
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError, RecursionError) as err:
            # RecursionError: nesting deeper than the interpreter's limit is no real payload
            raise MalformedResponse(
                f"{provider}: {self.final_url} did not return JSON ({err.__class__.__name__}); "
                f"body starts {self.text[:60]!r}",
                provider=provider,
            ) from None


class _RetryableStatus(Exception):
    def __init__(self, status: int, retry_after: float | None, url: str) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.status = status
        self.retry_after = retry_after
        self.url = url


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date); ``None``
    when it is neither."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        # str.isdigit is true of superscript and other digits float() refuses ("²"): a header
        # in those is unreadable, not a crash that turns a retryable 503 into a failure
        return float(value) if value.isascii() else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _content_type_ok(content_type: str, accept: Sequence[str]) -> bool:
    if not accept:
        return True
    base = content_type.split(";", 1)[0].strip().lower()
    for pattern in accept:
        pattern = pattern.lower()
        if pattern == base or pattern == "*/*":
            return True
        if "*" in pattern:
            major, _, minor = pattern.partition("/")
            b_major, _, b_minor = base.partition("/")
            if major == b_major and minor.startswith("*") and b_minor.endswith(minor[1:]):
                return True
    return False


class _RateLimiter:
    """Spacing between requests per key; a key is a host or the registrable domain it belongs to."""

    def __init__(
        self,
        rates: Mapping[str, float],
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        for key, rate in rates.items():
            if rate <= 0:
                raise ValueError(f"rate limit for {key!r} must be positive (requests per second)")
        self._intervals = {k.lower(): 1.0 / r for k, r in rates.items()}
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._clock = clock
        self._sleep = sleep

    def set_default(self, key: str, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate limit for {key!r} must be positive (requests per second)")
        self._intervals.setdefault(key.lower(), 1.0 / rate)

    def new_loop(self) -> None:
        self._locks.clear()

    def _forget_idle(self) -> None:
        # under the "*" per-host limit every website gets a bucket: a long-running agent would
        # keep one per site ever read. A bucket whose next slot has passed holds no information.
        now = self._clock()
        self._next = {k: t for k, t in self._next.items() if t > now}
        self._locks = {
            k: lock for k, lock in self._locks.items() if k in self._next or lock.locked()
        }

    def forget(self, domain: str) -> int:
        """Drop the per-host buckets of ``domain`` and its subdomains (a configured limit stays)."""
        gone = [k for k in self._next if k not in self._intervals and _within(k, domain)]
        for key in gone:
            del self._next[key]
            self._locks.pop(key, None)
        return len(gone)

    def key_for(self, host: str) -> str | None:
        host = host.lower()
        if host in self._intervals:
            return host
        domain = registrable_domain(host)
        if domain is not None and domain in self._intervals:
            return domain
        # "*" is a per-host default: every other host gets its own bucket at that rate
        return host if "*" in self._intervals else None

    async def wait(self, host: str) -> float:
        key = self.key_for(host)
        if key is None:
            return 0.0
        interval = self._intervals.get(key, self._intervals.get("*", 0.0))
        if len(self._next) >= 10_000 and key not in self._next:
            self._forget_idle()
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            now = self._clock()
            ready = self._next.get(key, now)
            delay = max(0.0, ready - now)
            self._next[key] = max(now, ready) + interval
        if delay:
            await self._sleep(delay)
        return delay


def _bad_location(err: BaseException) -> bool:
    # httpx reads a redirect's Location even when it does not follow redirects, and reports
    # one it cannot parse as a protocol error: that is the server's answer, not the network's
    return isinstance(err, httpx.RemoteProtocolError) and "location header" in str(err).lower()


class UnpinnedTransportWarning(UserWarning):
    """A :class:`SafeFetcher` was given a transport that connects by itself: the URL and DNS
    checks run, but the connection is not pinned to the checked address."""


def _check_transport(transport: httpx.AsyncBaseTransport | None) -> None:
    if transport is None or isinstance(transport, httpx.MockTransport | _GuardedTransport):
        return
    if isinstance(transport, httpx.AsyncHTTPTransport):
        raise ConfigurationError(
            "SafeFetcher(transport=httpx.AsyncHTTPTransport(...)) would resolve each host again "
            "after the address check (a DNS-rebinding window) and may go through a proxy: leave "
            "transport unset, and pass network_backend= to customise connections"
        )
    warnings.warn(
        f"SafeFetcher: {type(transport).__name__} makes its own connections, so the checked "
        "address is not pinned (a host could answer DNS differently at connect time); use "
        "it only for test doubles, or pass network_backend= instead",
        UnpinnedTransportWarning,
        stacklevel=3,
    )


def _no_cookies() -> httpx.Cookies:
    return httpx.Cookies(CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])))


class SafeFetcher:
    """The guarded HTTP client every built-in provider fetches through. Share one per agent.

    Args:
        user_agent: identifies the client (``"leadqual/0.1 (+https://example.com/bot)"``); SEC
            and Wikimedia ask for a contact in it.
        resolver: resolves host names; the system resolver by default.
        policy: timeouts, size cap, redirects and retries.
        rate_limits: requests per second per host or registrable domain
            (``{"sec.gov": 5, "api.gdeltproject.org": 0.2}``); ``"*"`` sets a per-host default.
        max_concurrency: requests in flight at once across all hosts.
        transport: an httpx transport to use instead of the guarded network transport. Meant
            for test doubles (``httpx.MockTransport``): the URL and DNS checks still run, but
            a transport that opens connections resolves the name again itself, so the checked
            address is **not** pinned (a DNS-rebinding window). ``httpx.AsyncHTTPTransport`` is
            refused for that reason; any other transport that is not a ``MockTransport`` gets
            a :class:`UnpinnedTransportWarning`.
        network_backend: the httpcore backend under the address guard; the way to customise
            real connections (the guard still pins every connection to a checked address).

    Examples:
        >>> import asyncio, httpx
        >>> from leadqual.testing.research import StaticHostResolver
        >>> transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"ok": True}))
        >>> async def main():
        ...     async with SafeFetcher(user_agent="doc-test", transport=transport,
        ...                            resolver=StaticHostResolver({"api.example.org": ["93.184.216.34"]})) as f:
        ...         return (await f.get_json("https://api.example.org/x"))
        >>> asyncio.run(main())
        {'ok': True}
    """

    def __init__(
        self,
        *,
        user_agent: str,
        resolver: HostResolver | None = None,
        policy: FetchPolicy | None = None,
        rate_limits: Mapping[str, float] | None = None,
        max_concurrency: int = 8,
        transport: httpx.AsyncBaseTransport | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not user_agent or not user_agent.strip():
            raise ConfigurationError("SafeFetcher needs a user_agent naming your application")
        if max_concurrency < 1:
            raise ConfigurationError("max_concurrency must be at least 1")
        _check_transport(transport)
        self.policy = policy or FetchPolicy()
        self.user_agent = user_agent
        self._sleep = sleep
        self._clock = clock
        self._pins = _Pins(
            resolver or SystemResolver(), ttl=self.policy.dns_pin_seconds, clock=clock
        )
        try:
            self._limiter = _RateLimiter(rate_limits or {}, clock=clock, sleep=sleep)
        except ValueError as err:
            raise ConfigurationError(str(err)) from None
        self._max_concurrency = max_concurrency
        self._given_transport = transport
        self._network_backend = network_backend
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._client = self._make_client()
        self.requests_made = 0
        """Requests sent (attempts and redirect hops included)."""

    def _make_client(self) -> httpx.AsyncClient:
        transport = self._given_transport
        if transport is None:
            transport = _GuardedTransport(
                GuardedNetworkBackend(self._pins, inner=self._network_backend),
                max_connections=self._max_concurrency,
                ssl_context=None,
            )
        return httpx.AsyncClient(
            transport=transport,
            trust_env=False,
            follow_redirects=False,
            cookies=_no_cookies(),
            timeout=httpx.Timeout(
                self.policy.read_timeout,
                connect=self.policy.connect_timeout,
                pool=self.policy.total_timeout,
            ),
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    def _bind_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is loop and not self._client.is_closed:
            return
        if self._loop is not None or self._client.is_closed:
            # pooled connections and asyncio primitives belong to one event loop: a fetcher
            # reused from another loop (a second asyncio.run, a sync wrapper's private loop)
            # starts a fresh pool instead of touching sockets of a closed loop
            self._client = self._make_client()
            self._semaphore = asyncio.Semaphore(self._max_concurrency)
            self._limiter.new_loop()
        self._loop = loop

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool. The fetcher stays usable: a later fetch opens a new pool
        (sync wrappers close it before their private event loop ends, so no socket outlives it)."""
        await self._client.aclose()

    def limit(self, host_or_domain: str, per_second: float, /) -> None:
        """Declare a provider's rate limit for a host or registrable domain (hosts of a domain
        share it). A limit the deployer passed in ``rate_limits`` is kept: theirs wins."""
        try:
            self._limiter.set_default(host_or_domain, per_second)
        except ValueError as err:
            raise ConfigurationError(str(err)) from None

    def forget(self, domain: str, /) -> int:
        """Forget the host names of ``domain`` and its subdomains: DNS pins and per-host
        rate-limit buckets (an erasure request: a sole trader's domain names a person).
        Returns how many entries went; a later fetch resolves the host again."""
        return self._pins.forget(domain) + self._limiter.forget(domain)

    async def check(self, url: str, /) -> httpx.URL:
        """Deprecated: :meth:`vet` (``check`` named four different actions)."""
        warn_deprecated("SafeFetcher.check() is deprecated: use SafeFetcher.vet()")
        return await self.vet(url)

    async def vet(self, url: str, /) -> httpx.URL:
        """Run the URL and address checks on ``url`` without fetching it."""
        parsed = check_url(url, allowed_ports=self.policy.allowed_ports)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        await self._pins.checked(
            parsed.raw_host.decode("ascii", errors="replace").strip("[]"), port, str(url)
        )
        return parsed

    async def fetch(
        self,
        url: str,
        /,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        accept: Sequence[str] = (*HTML_TYPES, *TEXT_TYPES),
        max_bytes: int | None = None,
        same_site: bool = False,
        provider: str = "http",
        auth: tuple[str, str] | None = None,
        max_attempts: int | None = None,
    ) -> FetchedResponse:
        """GET ``url`` under every guard and return the body.

        Args:
            url: absolute http(s) URL.
            params: query parameters (sent on the first hop only).
            headers: extra request headers (``Cookie`` is dropped).
            accept: allowed content types (``"application/*+json"`` patterns work); empty
                accepts anything.
            max_bytes: size cap for this fetch (the policy's by default).
            same_site: refuse redirects leaving the URL's registrable domain.
            provider: name used in errors and logs.
            auth: HTTP Basic credentials, sent to the first host only (never across redirects).
            max_attempts: attempts for this fetch (the policy's by default; 1 = no retry).

        Raises:
            UnsafeUrlError: the URL, a redirect or a DNS answer points somewhere not allowed.
            ProviderTimeout: the overall deadline passed.
            RateLimited: the server kept answering 429.
            HttpStatusError: another error status (after retries for 5xx).
            ResponseTooLarge, UnexpectedContentType, FetchError: see their docs.
        """
        self._bind_loop()
        cap = max_bytes or self.policy.max_bytes
        send_headers = {k: v for k, v in (headers or {}).items() if k.lower() != "cookie"}
        started = time.perf_counter()
        try:
            host = httpx.URL(url).host or url
        except (httpx.InvalidURL, TypeError, ValueError):
            host = url[:80]
        attempts = 0

        async def attempt() -> FetchedResponse:
            nonlocal attempts
            attempts += 1
            return await self._follow(
                url,
                params=params,
                headers=send_headers,
                accept=accept,
                cap=cap,
                same_site=same_site,
                provider=provider,
                auth=auth,
                attempts=attempts,
            )

        retrying = AsyncRetrying(
            retry=retry_if_exception(
                lambda e: (
                    isinstance(e, _RetryableStatus | httpx.TransportError)
                    and not isinstance(e, httpx.UnsupportedProtocol)
                    and not _bad_location(e)
                )
            ),
            stop=stop_after_attempt(max_attempts or self.policy.max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        outcome = "ok"
        try:
            async with asyncio.timeout(self.policy.total_timeout):
                result: FetchedResponse = await retrying(attempt)
            return result
        except TimeoutError as err:
            outcome = "timeout"
            raise ProviderTimeout(
                f"{provider}: {host} did not answer within {self.policy.total_timeout:g} s",
                provider=provider,
            ) from err
        except httpx.TimeoutException as err:
            outcome = "timeout"
            raise ProviderTimeout(
                f"{provider}: {host} timed out ({err})", provider=provider
            ) from err
        except _RetryableStatus as err:
            outcome = f"http {err.status}"
            if err.status == 429:
                raise RateLimited(
                    f"{provider}: {host} is rate limiting us (HTTP 429 after {attempts} attempts)",
                    provider=provider,
                    retry_after=err.retry_after,
                ) from None
            raise HttpStatusError(
                f"{provider}: {host} answered HTTP {err.status} after {attempts} attempts",
                provider=provider,
                status_code=err.status,
            ) from None
        except httpx.TransportError as err:
            if _bad_location(err):
                outcome = "bad redirect"
                raise MalformedResponse(
                    f"{provider}: {host} redirected to an invalid Location ({err})",
                    provider=provider,
                ) from None
            outcome = "transport error"
            raise FetchError(f"{provider}: cannot reach {host}: {err}", provider=provider) from err
        except UnsafeUrlError:
            outcome = "blocked"
            raise
        except ProviderError as err:
            outcome = type(err).__name__
            raise
        except LeadqualError as err:
            outcome = type(err).__name__
            raise
        except MemoryError:
            outcome = "out of memory"
            raise
        except Exception as err:
            # anything else comes from a dependency (httpx, h11, zlib, tenacity): callers
            # catch leadqual's errors, so it is wrapped, its cause kept
            outcome = type(err).__name__
            raise FetchError(
                f"{provider}: reading {host} failed ({type(err).__name__}: {err})",
                provider=provider,
            ) from err
        finally:
            duration = time.perf_counter() - started
            # the host stays at DEBUG: a sole trader's domain names a person
            logger.info(
                "fetch provider=%s outcome=%s attempts=%d duration=%.3fs",
                provider,
                outcome,
                attempts,
                duration,
            )
            logger.debug("fetch provider=%s host=%s outcome=%s", provider, host, outcome)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        backoff: float = self.policy.backoff_base * (2.0 ** (state.attempt_number - 1))
        if isinstance(exc, _RetryableStatus) and exc.retry_after is not None:
            backoff = float(exc.retry_after)
        return min(backoff, self.policy.max_retry_wait)

    async def _follow(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | None,
        headers: Mapping[str, str],
        accept: Sequence[str],
        cap: int,
        same_site: bool,
        provider: str,
        auth: tuple[str, str] | None,
        attempts: int,
    ) -> FetchedResponse:
        current = url
        first_site: str | None = None
        first_host: str | None = None
        hops: list[str] = []
        for _ in range(self.policy.max_redirects + 1):
            parsed = await self.vet(current)
            if first_host is None:
                first_host = parsed.host
                first_site = registrable_domain(parsed.host)
            if same_site and first_site and registrable_domain(parsed.host) != first_site:
                raise _refuse(current, f"redirect leaves {first_site}")
            await self._limiter.wait(parsed.host)
            async with self._semaphore:
                self.requests_made += 1
                send_headers = dict(headers)
                if auth is not None and parsed.host == first_host:
                    # credentials go to the host they were meant for, never across a redirect
                    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
                    send_headers["Authorization"] = f"Basic {token}"
                request = self._client.build_request(
                    "GET", parsed, params=params if not hops else None, headers=send_headers
                )
                sent_at = time.perf_counter()
                response = await self._client.send(request, stream=True)
                try:
                    self._client.cookies.clear()  # belt and braces: the jar refuses them anyway
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise HttpStatusError(
                                f"{provider}: redirect without a Location from {parsed.host}",
                                provider=provider,
                                status_code=response.status_code,
                            )
                        hops.append(current)
                        try:
                            current = str(parsed.join(location))
                        except (httpx.InvalidURL, TypeError, ValueError) as err:
                            raise MalformedResponse(
                                f"{provider}: {parsed.host} redirected to an invalid Location "
                                f"({err})",
                                provider=provider,
                            ) from None
                        continue
                    if response.status_code == 429 or response.status_code in (500, 502, 503, 504):
                        raise _RetryableStatus(
                            response.status_code,
                            parse_retry_after(response.headers.get("retry-after")),
                            current,
                        )
                    if response.status_code >= 400:
                        raise HttpStatusError(
                            f"{provider}: {parsed.host} answered HTTP {response.status_code}",
                            provider=provider,
                            status_code=response.status_code,
                        )
                    content_type = response.headers.get("content-type", "")
                    if not _content_type_ok(content_type or "application/octet-stream", accept):
                        raise UnexpectedContentType(
                            f"{provider}: {parsed.host} sent {content_type or 'no content type'}, "
                            f"expected one of {', '.join(accept)}",
                            provider=provider,
                            content_type=content_type,
                        )
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > cap:
                        raise ResponseTooLarge(
                            f"{provider}: {parsed.host} declared {declared} bytes, cap is {cap}",
                            provider=provider,
                        )
                    # raw bytes, decoded here step by step: httpx would inflate a whole chunk
                    # (a stacked gzip bomb) before the cap could be checked
                    body = await read_capped(
                        response, cap=cap, provider=provider, source=parsed.host
                    )
                    return FetchedResponse(
                        url=url,
                        final_url=current,
                        status_code=response.status_code,
                        content_type=content_type,
                        encoding=response.charset_encoding,
                        content=body,
                        headers={
                            k: v
                            for k, v in response.headers.items()
                            if k.lower() not in ("set-cookie", "cookie")
                        },
                        retrieved_at=datetime.now(UTC),
                        elapsed_seconds=time.perf_counter() - sent_at,
                        redirects=tuple(hops),
                        attempts=attempts,
                    )
                finally:
                    await response.aclose()
        raise FetchError(
            f"{provider}: more than {self.policy.max_redirects} redirects from {url}",
            provider=provider,
        )

    async def get_json(
        self,
        url: str,
        /,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        provider: str = "http",
        auth: tuple[str, str] | None = None,
        max_attempts: int | None = None,
    ) -> Any:
        """GET ``url`` and parse JSON; a non-JSON body raises :class:`MalformedResponse`."""
        response = await self.fetch(
            url,
            params=params,
            headers={"Accept": "application/json", **(headers or {})},
            accept=JSON_TYPES,
            max_bytes=max_bytes,
            provider=provider,
            auth=auth,
            max_attempts=max_attempts,
        )
        return response.parse_json(provider=provider)
