"""Test doubles for research: a scriptable provider and a static host resolver.

Modelled on httpx's ``MockTransport``: no network, deterministic, and they record what they were
asked, so a test can assert that only company identifiers left the library.

Examples:
    >>> import asyncio
    >>> from leadqual.research.providers import CompanyQuery
    >>> fake = FakeResearchProvider("fake")
    >>> result = asyncio.run(fake.aresearch(CompanyQuery(name="Contoso")))
    >>> result.overviews[0].name, len(fake.calls)
    ('Contoso', 1)
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime

import httpx

from leadqual.errors import ProviderError
from leadqual.research.http import FetchPolicy, SafeFetcher
from leadqual.research.providers import (
    CompanyOverview,
    CompanyQuery,
    NewsItem,
    Provenance,
    ResearchResult,
)

__all__ = ["FakeResearchProvider", "RecordingSleep", "StaticHostResolver", "mock_fetcher"]


class StaticHostResolver:
    """A :class:`~leadqual.research.http.HostResolver` answering from a mapping.

    ``answers`` maps a host to its addresses; a host not in it gets ``default`` or does not
    resolve (``OSError``). A list of answer lists per host simulates DNS rebinding: each call
    returns the next one.

    Examples:
        >>> r = StaticHostResolver({"example.org": ["93.184.216.34"]})
        >>> asyncio.run(r.resolve("example.org", 443))
        ['93.184.216.34']
    """

    def __init__(
        self,
        answers: Mapping[str, Sequence[str] | Sequence[Sequence[str]]] | None = None,
        *,
        default: Sequence[str] | None = None,
    ) -> None:
        self._answers = {k.lower(): v for k, v in (answers or {}).items()}
        self._default = list(default) if default is not None else None
        self.calls: list[str] = []
        self._turn: dict[str, int] = {}

    async def resolve(self, host: str, port: int, /) -> list[str]:
        """The addresses configured for ``host``."""
        self.calls.append(host)
        answer = self._answers.get(host.lower(), self._default)
        if answer is None:
            raise OSError(f"{host}: name does not resolve (StaticHostResolver)")
        if answer and not isinstance(answer[0], str):
            turn = self._turn.get(host, 0)
            self._turn[host] = turn + 1
            sets = list(answer)
            return [str(a) for a in sets[min(turn, len(sets) - 1)]]
        return [str(a) for a in answer]


ResultFn = Callable[[CompanyQuery], ResearchResult]


class FakeResearchProvider:
    """A research provider that answers from a script, after an optional delay, failing on cue.

    Args:
        name: the provider name.
        results: a mapping from company name or ``CompanyQuery.key`` to a result, or a function
            of the query. By default it answers with an overview naming the company and one news
            item, so tests see a full result.
        latency: seconds to wait before answering (``asyncio.sleep``).
        failure_rate: share of calls that raise :class:`~leadqual.errors.ProviderError`, chosen
            deterministically from ``seed``, the company key and the call number.
        fail_for: company names or keys that always fail.
        hang_for: company names or keys whose call never returns (to test timeouts).
        external: whether the provider counts as an outside service (needs consent).

    ``calls`` records every query received, in order.

    Examples:
        >>> fake = FakeResearchProvider("news", fail_for={"Contoso"})
        >>> asyncio.run(fake.aresearch(CompanyQuery(name="Contoso")))
        Traceback (most recent call last):
        ...
        leadqual.errors.ProviderError: news: scripted failure for Contoso
    """

    def __init__(
        self,
        name: str = "fake",
        *,
        results: Mapping[str, ResearchResult] | ResultFn | None = None,
        latency: float = 0.0,
        failure_rate: float = 0.0,
        seed: int = 0,
        fail_for: Collection[str] = (),
        hang_for: Collection[str] = (),
        external: bool = True,
    ) -> None:
        if not 0.0 <= failure_rate <= 1.0:
            raise ValueError("failure_rate must be between 0 and 1")
        self.name = name
        self.external = external
        self._results = results
        self._latency = latency
        self._failure_rate = failure_rate
        self._seed = seed
        self._fail_for = set(fail_for)
        self._hang_for = set(hang_for)
        self.calls: list[CompanyQuery] = []
        self.failures = 0
        self._counts: dict[str, int] = {}

    def _matches(self, query: CompanyQuery, names: set[str]) -> bool:
        return bool(names) and (query.key in names or (query.name or "") in names)

    def _default(self, query: CompanyQuery) -> ResearchResult:
        now = datetime.now(UTC)
        prov = Provenance(
            source=self.name, url=f"https://fake.invalid/{self.name}", retrieved_at=now
        )
        label = query.name or query.domain or query.key
        return ResearchResult(
            provider=self.name,
            overviews=(
                CompanyOverview(
                    provenance=prov,
                    name=label,
                    website=f"https://{query.domain}" if query.domain else None,
                    description=f"{label} (scripted by FakeResearchProvider)",
                ),
            ),
            news=(
                NewsItem(
                    provenance=prov,
                    title=f"{label} launches a new product",
                    url=f"https://fake.invalid/{self.name}/news/{zlib.crc32(label.encode())}",
                    topic="product_launch",
                    published_at=now,
                ),
            ),
            requests=1,
        )

    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        """Answer the scripted result for ``company`` (or fail, or hang, as scripted)."""
        self.calls.append(company)
        n = self._counts.get(company.key, 0)
        self._counts[company.key] = n + 1
        if self._matches(company, self._hang_for):
            await asyncio.Event().wait()
        if self._latency:
            await asyncio.sleep(self._latency)
        roll = zlib.crc32(f"{self._seed}|{self.name}|{company.key}|{n}".encode()) / 0xFFFFFFFF
        if self._matches(company, self._fail_for) or roll < self._failure_rate:
            self.failures += 1
            raise ProviderError(
                f"{self.name}: scripted failure for {company.name or company.key}",
                provider=self.name,
            )
        if callable(self._results):
            return self._results(company)
        if self._results is not None:
            for key in (company.key, company.name or ""):
                if key in self._results:
                    return self._results[key]
            return ResearchResult(provider=self.name, notes=("no scripted result",))
        return self._default(company)

    def __repr__(self) -> str:
        return f"FakeResearchProvider({self.name!r}, calls={len(self.calls)})"


class RecordingSleep:
    """An ``asyncio.sleep`` stand-in that returns at once and records each requested delay."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


PUBLIC_TEST_ADDRESS = "93.184.216.34"


def mock_fetcher(
    handler: Callable[[httpx.Request], httpx.Response],
    /,
    *,
    resolver: StaticHostResolver | None = None,
    policy: FetchPolicy | None = None,
    rate_limits: Mapping[str, float] | None = None,
    sleep: RecordingSleep | None = None,
    user_agent: str = "leadqual-tests/1.0 (tests@example.org)",
) -> SafeFetcher:
    """A :class:`~leadqual.research.http.SafeFetcher` answering through ``handler`` (an
    ``httpx.MockTransport`` function) with no network and no real waiting. Every guard still runs:
    hosts resolve through ``resolver`` (by default every host answers a public test address).

    Examples:
        >>> f = mock_fetcher(lambda request: httpx.Response(200, json={"ok": 1}))
        >>> asyncio.run(f.get_json("https://api.example.org/x"))
        {'ok': 1}
    """
    return SafeFetcher(
        user_agent=user_agent,
        transport=httpx.MockTransport(handler),
        resolver=resolver or StaticHostResolver(default=[PUBLIC_TEST_ADDRESS]),
        policy=policy,
        rate_limits=rate_limits,
        sleep=sleep or RecordingSleep(),
    )
