"""The Dataverse Web API over httpx: tokens, throttling, errors, paging and links.

Everything here is about talking to the service safely; nothing knows about leads. One
:class:`ODataClient` holds one connection pool to one organisation and refuses to send its token
anywhere else: a link the service hands back (``@odata.nextLink``, ``@odata.deltaLink``,
``OData-EntityId``) is followed only when it points at the configured organisation's Web API.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from leadqual._http import BodyDecoder
from leadqual.errors import (
    ConfigurationError,
    HttpStatusError,
    LeadqualError,
    MalformedResponse,
    ProviderError,
    ProviderTimeout,
    RateLimited,
    ResponseTooLarge,
    UnsafeUrlError,
)
from leadqual.sources.dataverse.auth import TokenProvider

__all__ = [
    "FORMATTED",
    "LOGICAL_NAME",
    "Answer",
    "ClientStats",
    "ODataClient",
    "service_code",
    "service_error",
]

logger = logging.getLogger("leadqual.sources.dataverse")

PROVIDER = "dataverse"
FORMATTED = "@OData.Community.Display.V1.FormattedValue"
"""The annotation holding a value's label (a choice's text, a lookup's primary name)."""
LOGICAL_NAME = "@Microsoft.Dynamics.CRM.lookuplogicalname"
"""The annotation naming the table a lookup points to."""
ANNOTATIONS = (
    'odata.include-annotations="OData.Community.Display.V1.FormattedValue,'
    'Microsoft.Dynamics.CRM.lookuplogicalname"'
)
_RETRY_STATUS = frozenset({429, 502, 503, 504})
"""Answers worth another attempt: throttling (service protection limits) and a gateway or
service briefly unavailable. A 500 is not retried: Dataverse uses it for duplicate detection."""


@dataclass(frozen=True)
class Answer:
    """One answer of the service, its body read (and capped)."""

    status_code: int
    headers: httpx.Headers
    body: bytes
    url: str

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object.

        Raises:
            MalformedResponse: not JSON, or not an object.
        """
        try:
            data = json.loads(self.body)
        except (ValueError, RecursionError) as err:
            raise MalformedResponse(
                f"{PROVIDER}: the answer to {_what(self.url)} is not JSON ({type(err).__name__})",
                provider=PROVIDER,
            ) from None
        if not isinstance(data, dict):
            raise MalformedResponse(
                f"{PROVIDER}: the answer to {_what(self.url)} is not a JSON object",
                provider=PROVIDER,
            )
        return data


@dataclass
class ClientStats:
    """What a client sent: every HTTP request, the retries among them, the pages read and the
    tokens asked for."""

    requests: int = 0
    """HTTP requests sent to the Web API (retries and re-sends after a 401 included)."""
    retries: int = 0
    """Requests sent again after throttling (429), a 502/503/504 or a timeout."""
    pages: int = 0
    """Pages of a listing read."""
    token_requests: int = 0
    """Tokens asked of the token provider."""
    waited: float = 0.0
    """Seconds spent waiting between attempts."""


class _Retryable(Exception):
    """A throttled or briefly unavailable answer, raised inside the retry loop only."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(f"HTTP {answer.status_code}")
        self.answer = answer


class _Tokens:
    """The bearer token, cached until ``margin`` seconds before it expires."""

    def __init__(
        self, provider: TokenProvider, scope: str, *, margin: float, clock: Callable[[], float]
    ) -> None:
        self._provider = provider
        self._scope = scope
        self._margin = margin
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0
        self.asked = 0

    def get(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires - self._margin:
                self._fetch()
            assert self._token is not None
            return self._token

    def renew(self, stale: str) -> str:
        """A new token, unless another thread already replaced ``stale``."""
        with self._lock:
            if self._token == stale or self._token is None:
                self._fetch()
            assert self._token is not None
            return self._token

    def _fetch(self) -> None:
        self.asked += 1
        try:
            got = self._provider.get_token(self._scope)
            token, expires = got.token, float(got.expires_on)
        except LeadqualError:
            raise
        except Exception as err:
            # The vendor's message may quote the request; its type is enough to act on.
            raise ProviderError(
                f"{PROVIDER}: the token provider failed ({type(err).__name__})", provider=PROVIDER
            ) from err
        if not isinstance(token, str) or not token or not math.isfinite(expires):
            raise ProviderError(
                f"{PROVIDER}: the token provider gave no token (an empty token or no expiry)",
                provider=PROVIDER,
            )
        self._token, self._expires = token, expires


def _what(url: str) -> str:
    """What a request was for, without host or query (for messages and INFO logs)."""
    path = httpx.URL(url).path
    marker = path.find("/api/data/")
    if marker >= 0:
        rest = path[marker + len("/api/data/") :]
        return rest.partition("/")[2] or rest
    return path


def service_error(answer: Answer, /, *, action: str) -> HttpStatusError | RateLimited:
    """The typed error for an error answer, with the service's code and message (its error
    envelope ``{"error": {"code", "message"}}``; an older server's ``innererror`` is ignored)."""
    code = message = ""
    try:
        envelope = json.loads(answer.body)
        error = envelope.get("error") if isinstance(envelope, dict) else None
        if isinstance(error, dict):
            code = str(error.get("code") or "")[:40]
            message = " ".join(str(error.get("message") or "").split())[:300]
    except (ValueError, RecursionError):
        pass
    detail = ": ".join(p for p in (code, message) if p) or answer.body[:120].decode(
        "utf-8", "replace"
    )
    text = f"{PROVIDER}: {action} failed with HTTP {answer.status_code}" + (
        f" ({detail})" if detail.strip() else ""
    )
    if answer.status_code == 429:
        return RateLimited(text, provider=PROVIDER, retry_after=_retry_after(answer.headers))
    return HttpStatusError(text, provider=PROVIDER, status_code=answer.status_code)


def service_code(answer: Answer, /) -> str:
    """The ``error.code`` of an error answer (often empty), or ``""``."""
    try:
        envelope = json.loads(answer.body)
    except (ValueError, RecursionError):
        return ""
    error = envelope.get("error") if isinstance(envelope, dict) else None
    return str(error.get("code") or "") if isinstance(error, dict) else ""


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the service asks to wait (``Retry-After``, whole seconds or a decimal); ``None``
    when absent or unreadable, never negative or infinite."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


class ODataClient:
    """A Dataverse Web API client for one organisation (see
    :class:`~leadqual.sources.dataverse.DataverseSource` for the arguments)."""

    def __init__(
        self,
        org_url: str,
        *,
        token_provider: TokenProvider,
        api_version: str,
        timeout: float,
        total_timeout: float,
        max_retries: int,
        max_wait: float,
        backoff: float,
        max_bytes: int,
        max_pages: int,
        page_size: int,
        refresh_margin: float,
        transport: httpx.BaseTransport | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ) -> None:
        base = httpx.URL(org_url.rstrip("/"))
        if base.scheme != "https" or not base.host:
            raise ConfigurationError(
                f"org_url must be the environment's https URL, e.g. "
                f"https://contoso.crm.dynamics.com, got {org_url!r}"
            )
        if base.path not in ("", "/") or base.query or base.fragment or base.userinfo:
            raise ConfigurationError(
                f"org_url must be the environment's URL alone (no path, query or user), e.g. "
                f"https://contoso.crm.dynamics.com, got {org_url!r}"
            )
        if not isinstance(token_provider, TokenProvider):
            raise ConfigurationError(
                "token_provider must have a get_token(*scopes) method (an azure-identity "
                "credential, ClientCredentials or StaticToken), got "
                f"{type(token_provider).__name__}"
            )
        if not api_version.startswith("v") or not api_version[1:].replace(".", "").isdigit():
            raise ConfigurationError(f"api_version must look like 'v9.2', got {api_version!r}")
        for name, value in (("timeout", timeout), ("total_timeout", total_timeout)):
            if not (math.isfinite(value) and value > 0):
                raise ConfigurationError(
                    f"{name} must be a positive number of seconds, got {value}"
                )
        for name, value in (("max_wait", max_wait), ("backoff", backoff),
                            ("refresh_margin", refresh_margin)):  # fmt: skip
            if not (math.isfinite(value) and value >= 0):
                raise ConfigurationError(f"{name} must be zero or more seconds, got {value}")
        if not 0 <= max_retries <= 20:
            raise ConfigurationError(f"max_retries must be within 0-20, got {max_retries}")
        if not 1 <= page_size <= 5000:
            raise ConfigurationError(
                f"page_size must be within 1-5000 (the service's cap), got {page_size}"
            )
        if max_pages < 1 or max_bytes < 1024:
            raise ConfigurationError("max_pages must be at least 1 and max_bytes at least 1024")
        self.origin = f"{base.scheme}://{base.netloc.decode('ascii')}"
        self._host = base.host.lower()
        self._port = base.port
        self.api = f"{self.origin}/api/data/{api_version}/"
        self.timeout = timeout
        self.total_timeout = total_timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.backoff = backoff
        self.max_bytes = max_bytes
        self.max_pages = max_pages
        self.page_size = page_size
        self._sleep = sleep
        self._tokens = _Tokens(
            token_provider, f"{self.origin}/.default", margin=refresh_margin, clock=clock
        )
        self.stats = ClientStats()
        self._client = httpx.Client(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,  # a redirect would carry the token elsewhere
            headers={
                "Accept": "application/json",
                "OData-MaxVersion": "4.0",
                "OData-Version": "4.0",
            },
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    # -- links ------------------------------------------------------------------------------------

    def url(self, path: str, /) -> str:
        """The absolute URL of a Web API path (``leads(…)``, ``$batch``)."""
        return self.api + path.lstrip("/")

    def follow(self, link: object, /, *, what: str, base: str | None = None) -> str:
        """A link the service sent, once checked to point at this organisation's Web API.

        Raises:
            MalformedResponse: not a URL.
            UnsafeUrlError: another scheme, host or port, credentials in it, or a path outside
                ``/api/data/``: the token is never sent there.
        """
        if not isinstance(link, str) or not link or len(link) > 32_768:
            raise MalformedResponse(f"{PROVIDER}: the {what} is not a link", provider=PROVIDER)
        try:
            url = httpx.URL(base).join(link) if base else httpx.URL(link)
        except (httpx.InvalidURL, ValueError) as err:
            raise MalformedResponse(
                f"{PROVIDER}: the {what} is not a URL ({err})", provider=PROVIDER
            ) from None
        shown = str(url)[:200]
        if (
            url.scheme != "https"
            or (url.host or "").lower() != self._host
            or url.port != self._port
            or url.userinfo
        ):
            logger.debug("refused %s to %s", what, shown)
            raise UnsafeUrlError(
                f"{PROVIDER}: the service sent a {what} to another host than the organisation "
                f"({url.host or 'no host'}); it is not followed, so the token stays with "
                f"{self._host}",
                url=shown,
                reason="other host",
            )
        if not url.path.startswith("/api/data/"):
            raise UnsafeUrlError(
                f"{PROVIDER}: the service sent a {what} outside the Web API ({url.path[:80]})",
                url=shown,
                reason="outside the Web API",
            )
        return str(url)

    # -- requests ---------------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        """Seconds before the next attempt: the service's ``Retry-After`` (capped at
        ``max_wait``), else exponential back-off with jitter, as the service's own SDK does."""
        outcome = state.outcome
        err = outcome.exception() if outcome is not None else None
        seconds: float | None = None
        if isinstance(err, _Retryable):
            seconds = _retry_after(err.answer.headers)
        if seconds is None:
            seconds = self.backoff * 2 ** (state.attempt_number - 1)
            seconds += random.uniform(0, self.backoff)
        return min(seconds, self.max_wait)

    def _count(self, state: RetryCallState) -> None:
        """Count a retry when it is about to happen (tenacity computes the wait before it knows
        whether it stops)."""
        self.stats.retries += 1
        self.stats.waited += state.next_action.sleep if state.next_action else 0.0

    def send(
        self,
        method: str,
        url: str,
        /,
        *,
        action: str,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        allow: frozenset[int] = frozenset(),
    ) -> Answer:
        """Send one request to the organisation (retried when throttled), and return its answer.

        ``url`` must be one of this organisation's (:meth:`url`, or a link passed through
        :meth:`follow`). A 401 asks the token provider for a new token and sends the request
        once more. An error status not in ``allow`` raises.

        Raises:
            RateLimited: still throttled after ``max_retries`` retries (``retry_after`` as said).
            HttpStatusError: an error answer, with the service's code and message.
            ProviderTimeout: no answer in time, on every attempt, or an answer that took longer
                than ``total_timeout`` to arrive.
            ResponseTooLarge: a body larger than ``max_bytes``.
            ProviderError: the service could not be reached.
        """
        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(
                (_Retryable, httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
            ),
            reraise=True,
            sleep=self._sleep,
            before_sleep=self._count,
        )
        answer: Answer | None = None
        try:
            for attempt in retrying:
                with attempt:
                    answer = self._authorised(
                        method, url, params=params, json_body=json_body, content=content,
                        headers=headers,
                    )  # fmt: skip
        except _Retryable as err:
            raise service_error(err.answer, action=action) from None
        except httpx.TimeoutException as err:
            raise ProviderTimeout(
                f"{PROVIDER}: {action}: no answer within {self.timeout:g} s "
                f"({self.max_retries + 1} attempts)",
                provider=PROVIDER,
            ) from err
        except httpx.HTTPError as err:
            raise ProviderError(
                f"{PROVIDER}: {action}: the service could not be reached ({type(err).__name__})",
                provider=PROVIDER,
            ) from err
        assert answer is not None
        if answer.status_code >= 400 and answer.status_code not in allow:
            raise service_error(answer, action=action)
        return answer

    def _authorised(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        json_body: Any,
        content: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> Answer:
        token = self._token()
        answer = self._once(method, url, token, params, json_body, content, headers)
        if answer.status_code == 401:
            # An expired or revoked token (mid-paging, say): one new token, one more try.
            logger.info("%s: HTTP 401, asking for a new token", PROVIDER)
            token = self._token(renew=token)
            answer = self._once(method, url, token, params, json_body, content, headers)
        if answer.status_code in _RETRY_STATUS:
            raise _Retryable(answer)
        return answer

    def _token(self, *, renew: str | None = None) -> str:
        before = self._tokens.asked
        token = self._tokens.get() if renew is None else self._tokens.renew(renew)
        self.stats.token_requests += self._tokens.asked - before
        return token

    def _once(
        self,
        method: str,
        url: str,
        token: str,
        params: Mapping[str, str] | None,
        json_body: Any,
        content: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> Answer:
        request = self._client.build_request(
            method,
            url,
            params=params,
            json=json_body,
            content=content,
            headers={**(headers or {}), "Authorization": f"Bearer {token}"},
        )
        started = time.perf_counter()
        self.stats.requests += 1
        response = self._client.send(request, stream=True)
        try:
            body = self._read(response, started)
        finally:
            response.close()
        elapsed = time.perf_counter() - started
        # One INFO line per call: what was asked and how it went; the host only at DEBUG.
        logger.info(
            "%s %s %s status=%d in %.3fs",
            PROVIDER,
            method,
            _what(url),
            response.status_code,
            elapsed,
        )
        logger.debug("%s %s %s", PROVIDER, method, str(request.url)[:500])
        return Answer(response.status_code, response.headers, body, str(request.url))

    def _read(self, response: httpx.Response, started: float) -> bytes:
        """The decoded body, refused past ``max_bytes`` or past ``total_timeout`` (a server that
        trickles a page forever is cut off: the per-read timeout restarts with every chunk)."""
        cap = self.max_bytes
        what = _what(str(response.request.url))
        if response.is_stream_consumed:  # an answer built in memory (a test double)
            body = response.content
            if len(body) > cap:
                raise ResponseTooLarge(
                    f"{PROVIDER}: the answer to {what} passed the {cap}-byte cap",
                    provider=PROVIDER,
                )
            return body
        decoder = BodyDecoder(
            response.headers.get("content-encoding"), provider=PROVIDER, source=PROVIDER
        )
        out = bytearray()
        for raw in response.iter_raw():
            for piece in decoder.decode(raw):
                out += piece
                if len(out) > cap:
                    raise ResponseTooLarge(
                        f"{PROVIDER}: the answer to {what} passed the {cap}-byte cap",
                        provider=PROVIDER,
                    )
            if time.perf_counter() - started > self.total_timeout:
                raise ProviderTimeout(
                    f"{PROVIDER}: the answer to {what} took more than {self.total_timeout:g} s",
                    provider=PROVIDER,
                )
        decoder.finish()
        return bytes(out)

    # -- listings ---------------------------------------------------------------------------------

    def prefer(self, *, track_changes: bool = False, page_size: int | None = None) -> str:
        """The ``Prefer`` header of a listing: the page size, the annotations read, and change
        tracking when asked."""
        parts = [f"odata.maxpagesize={page_size or self.page_size}", ANNOTATIONS]
        if track_changes:
            parts.append("odata.track-changes")
        return ",".join(parts)

    def pages(
        self,
        url: str,
        /,
        *,
        action: str,
        params: Mapping[str, str] | None = None,
        track_changes: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """The pages of a listing, following ``@odata.nextLink`` verbatim (with the same
        ``Prefer`` on every page) until a page has none.

        Raises:
            UnsafeUrlError: a nextLink to another host.
            MalformedResponse: a page that is not an OData collection, a nextLink to a page
                already read (a loop), or more than ``max_pages`` pages.
        """
        headers = {"Prefer": self.prefer(track_changes=track_changes)}
        seen: set[str] = set()
        current: str | None = url
        count = 0
        while current is not None:
            if count >= self.max_pages:
                raise MalformedResponse(
                    f"{PROVIDER}: {action} did not end after {self.max_pages} pages; raise "
                    "max_pages if the table really is that large",
                    provider=PROVIDER,
                )
            answer = self.send(
                "GET", current, action=action, params=params if count == 0 else None,
                headers=headers,
            )  # fmt: skip
            seen.add(answer.url)
            page = answer.json_object()
            if not isinstance(page.get("value", []), list):
                raise MalformedResponse(
                    f"{PROVIDER}: {action}: a page whose value is not a list", provider=PROVIDER
                )
            count += 1
            self.stats.pages += 1
            link = page.get("@odata.nextLink")
            following = (
                None if link is None else self.follow(link, what="nextLink", base=answer.url)
            )
            if following is not None and following in seen:
                raise MalformedResponse(
                    f"{PROVIDER}: {action}: the service sent a nextLink to a page it already "
                    f"sent (after page {count}); stopped rather than loop",
                    provider=PROVIDER,
                )
            yield page
            current = following
