"""Web research orchestration: the providers run concurrently under a global limit and their own,
in stages when one needs another's identifiers, with a per-call timeout, a cache, shared in-flight
calls for leads of the same company, and a cool-down after a rate limit.

One failed source never fails the research: each provider's :class:`SourceStatus` says what
happened.

Examples:
    >>> from datetime import timedelta
    >>> from leadqual.research.cache import ResearchCache
    >>> runner = ProviderRunner((), cache=ResearchCache(ttl=timedelta(days=1)))
    >>> runner.provider_calls
    0
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from leadqual._sync import PerLoop
from leadqual.errors import ProviderError, ProviderTimeout, RateLimited
from leadqual.research.cache import ResearchCache
from leadqual.research.consent import Authorization
from leadqual.research.http import SafeFetcher
from leadqual.research.providers import CompanyQuery, ResearchProvider, ResearchResult, is_external
from leadqual.research.results import SourceState, SourceStatus

__all__ = ["ProviderRunner"]

logger = logging.getLogger(__name__)


class _LoopState:
    """The asyncio primitives of one event loop."""

    __slots__ = ("inflight", "provider_limits", "semaphore")

    def __init__(self, max_concurrency: int) -> None:
        self.semaphore = asyncio.Semaphore(max_concurrency)
        self.inflight: dict[tuple[str, str], asyncio.Task[Any]] = {}
        self.provider_limits: dict[str, asyncio.Semaphore] = {}


class ProviderRunner:
    """Runs the research providers for one company at a time, many companies at once.

    Args:
        providers: the providers, in order of preference (``depends_on`` reorders them into
            stages).
        cache: provider results per company.
        max_concurrency: provider calls in flight at once across all companies.
        provider_timeout: seconds one provider may take for one company.
        min_confidence: a result whose best match is below it does not lend its ids to later
            stages.
    """

    def __init__(
        self,
        providers: Sequence[ResearchProvider],
        /,
        *,
        cache: ResearchCache,
        max_concurrency: int = 8,
        provider_timeout: float = 30.0,
        min_confidence: float = 0.6,
    ) -> None:
        self.providers = tuple(providers)
        self.cache = cache
        self.max_concurrency = max_concurrency
        self.provider_timeout = provider_timeout
        self.min_confidence = min_confidence
        # asyncio primitives belong to one loop (the sync API may run on a private one)
        self._loop_state: PerLoop[_LoopState] = PerLoop(lambda: _LoopState(self.max_concurrency))
        self._stage_plan = self._stages()
        self._cooldown: dict[str, float] = {}
        self.rate_limit_cooldown = 60.0
        """Seconds a provider that answered 429 without ``Retry-After`` is left alone."""
        self.provider_calls = 0
        """Provider calls made (cache hits and shared in-flight calls not counted)."""

    def _stages(self) -> list[list[ResearchProvider]]:
        names = {p.name for p in self.providers}
        done: set[str] = set()
        pending = list(self.providers)
        stages: list[list[ResearchProvider]] = []
        while pending:
            ready = [
                p
                for p in pending
                if all(d in done or d not in names for d in getattr(p, "depends_on", ()))
            ]
            if not ready:  # a cycle: run the rest together rather than never
                ready = pending
            stages.append(ready)
            done |= {p.name for p in ready}
            pending = [p for p in pending if p not in ready]
        return stages

    def _state(self) -> _LoopState:
        return self._loop_state.get()

    def _provider_semaphore(self, provider: ResearchProvider) -> asyncio.Semaphore:
        limits = self._state().provider_limits
        sem = limits.get(provider.name)
        if sem is None:
            limit = getattr(provider, "max_concurrency", None)
            sem = asyncio.Semaphore(int(limit) if limit else self.max_concurrency)
            limits[provider.name] = sem
        return sem

    async def run(
        self, query: CompanyQuery, *, now: datetime, force: bool, auth: Authorization
    ) -> tuple[list[SourceStatus], list[ResearchResult]]:
        statuses: dict[str, SourceStatus] = {}
        results: list[ResearchResult] = []
        for stage in self._stage_plan:
            stage_query = query
            for r in results:
                if self._confirmed(r):
                    stage_query = stage_query.with_ids(r.identifiers)
            outcomes = await asyncio.gather(
                *(self._one(p, stage_query, now=now, force=force, auth=auth) for p in stage)
            )
            for status, result in outcomes:
                statuses[status.provider] = status
                if result is not None:
                    results.append(result)
        return [statuses[p.name] for p in self.providers], results

    def _confirmed(self, result: ResearchResult) -> bool:
        """Whether ``result``'s ids may steer other providers: a record below
        ``min_confidence`` is a candidate, and its ids would research a guess as if it were the
        company (a third-party provider may not filter them itself)."""
        confidences = [
            rec.provenance.match_confidence
            for group in (result.overviews, result.financials, result.news)
            for rec in group
        ]
        return not confidences or max(confidences) >= self.min_confidence

    async def _one(
        self,
        provider: ResearchProvider,
        query: CompanyQuery,
        *,
        now: datetime,
        force: bool,
        auth: Authorization,
    ) -> tuple[SourceStatus, ResearchResult | None]:
        external = is_external(provider)
        if external and (
            not auth.allowed or (auth.providers is not None and provider.name not in auth.providers)
        ):
            return (
                SourceStatus(
                    provider=provider.name,
                    state="skipped_consent",
                    detail=auth.reason
                    if not auth.allowed
                    else "not allowed for this lead by the research policy",
                    external=True,
                ),
                None,
            )
        key = query.key
        cooling = self._cooldown.get(provider.name)
        if cooling is not None and not force:
            left = cooling - time.monotonic()
            if left > 0:
                # the source asked us to slow down: do not hammer it for every other lead
                return (
                    SourceStatus(
                        provider=provider.name,
                        state="skipped",
                        detail=f"rate limited by the source; cooling down for {left:.0f} s",
                        external=external,
                    ),
                    None,
                )
            self._cooldown.pop(provider.name, None)
        if not force:
            cached = self.cache.get(provider.name, key, now=now)
            if cached is not None:
                return self._status(
                    provider, cached.result, cached.stored_at, 0.0, True
                ), cached.result
        state = self._state()
        semaphore, inflight = state.semaphore, state.inflight
        flight_key = (provider.name, key)
        started = time.perf_counter()
        task = inflight.get(flight_key)
        if task is None:
            # the call runs as its own task: a lead whose research is cancelled does not cancel
            # the call other leads of the same company are waiting for
            task = asyncio.create_task(self._call(provider, query, semaphore))
            inflight[flight_key] = task

            def done(t: asyncio.Task[Any], k: tuple[str, str] = flight_key) -> None:
                inflight.pop(k, None)
                if t.cancelled():
                    return
                if t.exception() is None:  # also marks a failure as retrieved
                    self.cache.put(provider.name, key, t.result(), now=now)

            task.add_done_callback(done)
        try:
            result: ResearchResult = await asyncio.shield(task)
        except (TimeoutError, ProviderTimeout) as err:
            return self._failure(provider, "timed_out", err, started), None
        except RateLimited as err:
            wait = f"; retry after {err.retry_after:g} s" if err.retry_after else ""
            self._cooldown[provider.name] = time.monotonic() + min(
                err.retry_after or self.rate_limit_cooldown, 3600.0
            )
            return self._failure(provider, "failed", err, started, f"rate limited{wait}"), None
        except asyncio.CancelledError:
            raise
        except Exception as err:  # one failed source never fails the research
            return self._failure(provider, "failed", err, started), None
        return self._status(provider, result, now, time.perf_counter() - started, False), result

    async def _call(
        self, provider: ResearchProvider, query: CompanyQuery, semaphore: asyncio.Semaphore
    ) -> ResearchResult:
        # a provider may cap its own concurrency (GDELT: one at a time); waiting for that slot,
        # and for a global one, does not count against the provider's timeout
        async with self._provider_semaphore(provider), semaphore:
            self.provider_calls += 1
            async with asyncio.timeout(self.provider_timeout):
                result = await provider.aresearch(query)
        if not isinstance(result, ResearchResult):
            raise ProviderError(
                f"{provider.name} returned {type(result).__name__}, not a ResearchResult",
                provider=provider.name,
            )
        return result

    def _status(
        self,
        provider: ResearchProvider,
        result: ResearchResult,
        retrieved_at: datetime,
        duration: float,
        from_cache: bool,
    ) -> SourceStatus:
        return SourceStatus(
            provider=provider.name,
            state="empty" if result.is_empty else "ok",
            detail="; ".join(result.notes) or None,
            from_cache=from_cache,
            retrieved_at=retrieved_at,
            duration_seconds=duration,
            requests=0 if from_cache else result.requests,
            external=is_external(provider),
        )

    def _failure(
        self,
        provider: ResearchProvider,
        state: SourceState,
        err: BaseException,
        started: float,
        detail: str | None = None,
    ) -> SourceStatus:
        text = detail or (str(err) or type(err).__name__)
        if state == "timed_out" and not str(err):
            text = f"no answer within {self.provider_timeout:g} s"
        logger.warning("research source %s %s: %s", provider.name, state, type(err).__name__)
        return SourceStatus(
            provider=provider.name,
            state=state,
            detail=text[:300],
            duration_seconds=time.perf_counter() - started,
            external=is_external(provider),
        )

    async def aclose_fetchers(self) -> None:
        """Close the connection pools of the providers' fetchers (opened on the running loop)."""
        seen: dict[int, SafeFetcher] = {}
        for provider in self.providers:
            fetcher = getattr(provider, "fetcher", None)
            if isinstance(fetcher, SafeFetcher):
                seen.setdefault(id(fetcher), fetcher)
        for fetcher in seen.values():
            await fetcher.aclose()
