"""The Researcher: CRM insights plus web research through providers, with consent, a cache,
per-source status, merging that keeps every source and its conflicts, and a diff against the
previous research.

The parts live beside it: :mod:`~leadqual.research.consent` (what may be researched and sent),
:mod:`~leadqual.research.web` (running the providers), :mod:`~leadqual.research.merge`,
:mod:`~leadqual.research.results`, :mod:`~leadqual.research.citations` and
:mod:`~leadqual.research.cache`.

Examples:
    >>> import asyncio
    >>> from leadqual.sources import load_sample, load_sample_config, SAMPLE_AS_OF
    >>> from leadqual.research.sample_provider import SampleResearchProvider
    >>> r = Researcher(config=load_sample_config(), source=load_sample(),
    ...                providers=[SampleResearchProvider()])
    >>> res = asyncio.run(r.aresearch("L-0001", now=SAMPLE_AS_OF))
    >>> res.sources[0].provider, res.sources[0].state
    ('sample', 'ok')
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Self, TypeVar

from leadqual._base import to_utc
from leadqual._compat import moved_names, warn_deprecated
from leadqual._progress import Progress, Steps, check_progress
from leadqual._sync import run_sync
from leadqual.config import AgentConfig, require_config
from leadqual.errors import ConfigurationError, LeadqualError
from leadqual.models import LeadContext
from leadqual.research.cache import ResearchCache
from leadqual.research.configured import build_providers
from leadqual.research.consent import ConsentPolicy, ResearchPolicy, company_query_for
from leadqual.research.insights import CrmInsights, CrmInsightsBuilder, ManualLinks
from leadqual.research.merge import ResearchMerger
from leadqual.research.providers import (
    ResearchProvider,
    ResearchResult,
    adopt_provider,
    is_external,
)
from leadqual.research.results import ErasureReceipt, LeadResearch, ResearchStep, SourceStatus
from leadqual.research.results import __all__ as result_names
from leadqual.research.web import ProviderRunner
from leadqual.sources.base import CrmSource
from leadqual.suppression import SuppressionList

__all__ = ["Researcher"]

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

# Names that lived here before the Researcher was split by component.
__getattr__ = moved_names(
    __name__,
    {
        **dict.fromkeys(
            ("Authorization", "ConsentPolicy", "ResearchPolicy", "company_query_for"),
            "leadqual.research.consent",
        ),
        "Citation": "leadqual.research.citations",
        "ResearchCache": "leadqual.research.cache",
        "SuppressionList": "leadqual.suppression",
        **dict.fromkeys(result_names, "leadqual.research.results"),
    },
)


class Researcher:
    """Researches leads: CRM insights, then providers run concurrently under a global limit.

    Args:
        config: consent (``config.consent.web_research``), the refresh policy (cache TTL:
            ``config.refresh.research_every_days``), summary fields, the vendor's products (for
            "why it matters").
        providers: the research providers, in order of preference for merged fields (default:
            those the configuration's ``providers:`` section names, built by
            :func:`~leadqual.research.build_providers`; none when it names none).
        source: the CRM (needed to research by lead id and for CRM insights).
        cache: provider and lead cache (a fresh in-memory one by default).
        links: remembered manual links (shared with the CRM insights).
        max_concurrency: provider calls in flight at once across all leads.
        provider_timeout: seconds one provider may take for one company.
        min_confidence: below this match confidence a record is shown as unconfirmed.
        suppression: people, domains and companies that objected (GDPR Art. 21): no web
            research for them (the :class:`~leadqual.suppression.SuppressionList` drafting uses).
        policy: decides per lead whether (and through which providers) web research may run;
            :class:`ConsentPolicy` over ``config.consent`` by default.

    One failed source never fails the research: its status says what happened. Concurrent
    research of leads at the same company asks each provider once.

    Examples:
        >>> from leadqual.sources import load_sample, load_sample_config
        >>> from leadqual.testing.research import FakeResearchProvider
        >>> r = Researcher(config=load_sample_config(), source=load_sample(),
        ...                providers=[FakeResearchProvider("news")])
        >>> from leadqual.sources import SAMPLE_AS_OF
        >>> r.research("L-0001", now=SAMPLE_AS_OF).status("news").state  # no consent given
        'skipped_consent'
    """

    def __init__(
        self,
        *,
        config: AgentConfig,
        providers: Sequence[ResearchProvider] | None = None,
        source: CrmSource | None = None,
        cache: ResearchCache | None = None,
        links: ManualLinks | None = None,
        max_concurrency: int = 8,
        provider_timeout: float = 30.0,
        min_confidence: float = 0.6,
        suppression: SuppressionList | None = None,
        policy: ResearchPolicy | None = None,
    ) -> None:
        if providers is None:
            providers = build_providers(require_config(config, "Researcher"))
        providers = [adopt_provider(p) for p in providers]
        names = [p.name for p in providers]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"two research providers share a name: {names}")
        if max_concurrency < 1:
            raise ConfigurationError("max_concurrency must be at least 1")
        if provider_timeout <= 0:
            raise ConfigurationError("provider_timeout must be positive (seconds)")
        self.config = require_config(config, "Researcher")
        self.providers = tuple(providers)
        self.source = source
        self.ttl = timedelta(days=config.refresh.research_every_days)
        self.cache = cache if cache is not None else ResearchCache(ttl=self.ttl)
        self.links = links if links is not None else ManualLinks()
        self.insights = (
            CrmInsightsBuilder(source, config=config, links=self.links) if source else None
        )
        self.max_concurrency = max_concurrency
        self.provider_timeout = provider_timeout
        self.min_confidence = min_confidence
        self.suppression = suppression
        self.policy: ResearchPolicy = (
            policy if policy is not None else ConsentPolicy(config.consent)
        )
        self.runner = ProviderRunner(
            self.providers,
            cache=self.cache,
            max_concurrency=max_concurrency,
            provider_timeout=provider_timeout,
            min_confidence=min_confidence,
        )
        self.merger = ResearchMerger(min_confidence=min_confidence, products=config.products)

    @classmethod
    def from_config(cls, config: AgentConfig, /, **overrides: Any) -> Self:
        """A researcher bound by the consent and summary fields of ``config``; ``overrides`` are
        constructor keywords (``providers=``, ``source=``, ``suppression=``, ...)."""
        return cls(config=config, **overrides)

    @property
    def provider_calls(self) -> int:
        """Provider calls made (cache hits and shared in-flight calls not counted)."""
        return self.runner.provider_calls

    @property
    def rate_limit_cooldown(self) -> float:
        """Seconds a provider that answered 429 without ``Retry-After`` is left alone."""
        return self.runner.rate_limit_cooldown

    @rate_limit_cooldown.setter
    def rate_limit_cooldown(self, seconds: float) -> None:
        self.runner.rate_limit_cooldown = seconds

    # -- public API ----------------------------------------------------------------------------

    async def aresearch(
        self,
        lead: str | LeadContext,
        /,
        *,
        now: datetime | None = None,
        force: bool = False,
        previous: LeadResearch | None = None,
    ) -> LeadResearch:
        """Research one lead (by id, or a ready :class:`~leadqual.models.LeadContext`) (async).

        Args:
            lead: the lead id (needs ``source``) or its context.
            now: the reference time (default: the current time); pass ``SampleData.as_of`` with
                the sample data.
            force: ignore cached provider results (a manual refresh).
            previous: the lead's last research, to report what changed since (default: the
                one the cache kept).
        """
        now = to_utc(now or datetime.now(UTC))
        steps: list[ResearchStep] = []

        def step(action: str, detail: str) -> None:
            steps.append(ResearchStep(step=len(steps) + 1, action=action, detail=detail))

        crm: CrmInsights | None = None
        if isinstance(lead, LeadContext):
            context = lead
        else:
            if self.insights is None:
                raise ConfigurationError(
                    "research by lead id needs a CrmSource: Researcher(source=...)"
                )
            context, _, _ = self.insights.context(lead)
        if self.insights is not None:
            crm = self.insights.build(context, now=now)
            step(
                "Read the CRM",
                f"lead {context.lead.id}: {len(context.activities)} activities, "
                f"{len(crm.who_knows_whom)} colleague(s) who know the lead, "
                f"{len(crm.lead_opportunities) + len(crm.account_opportunities)} open "
                f"opportunities, account link: {crm.account_link}",
            )
        query, origin = company_query_for(context)
        if (
            query is not None
            and self.suppression is not None
            and (suppressed := self.suppression.reason_for_lead(context.lead))
        ):
            query, origin = None, f"no web research: {suppressed}"
        statuses: list[SourceStatus] = []
        results: list[ResearchResult] = []
        if query is None:
            step("Company identifiers", f"nothing to research: {origin}")
            statuses = [
                SourceStatus(
                    provider=p.name, state="skipped", detail=origin, external=is_external(p)
                )
                for p in self.providers
            ]
        else:
            sent = ", ".join(
                f"{k}={v}" for k, v in (("name", query.name), ("domain", query.domain),
                                        ("country", query.country)) if v
            )  # fmt: skip
            step("Company identifiers", f"from {origin}: {sent} (no personal data is sent)")
            auth = self.policy.authorize(context)
            basis = f"; basis: {auth.lawful_basis}" if auth.allowed and auth.lawful_basis else ""
            scope = (
                f"; providers allowed: {', '.join(sorted(auth.providers))}"
                if auth.allowed and auth.providers is not None
                else ""
            )
            step(
                "Consent",
                auth.reason
                + basis
                + scope
                + ("" if auth.allowed else ": only offline providers run"),
            )
            statuses, results = await self.runner.run(query, now=now, force=force, auth=auth)
            for s in statuses:
                extra = " (cached)" if s.from_cache else ""
                step(
                    f"Source {s.provider}",
                    f"{s.state}{extra}" + (f": {s.detail}" if s.detail else ""),
                )
        profile = self.merger.merge(results)
        financials = self.merger.financials(results)
        all_news = self.merger.dedupe_news(results)
        ranked = self.merger.rank_news(all_news, now)
        conflicts = [f.name for f in profile if f.conflict]
        step(
            "Merge",
            f"{sum(1 for f in profile if f.value is not None)} company facts from "
            f"{sum(1 for s in statuses if s.state == 'ok')} source(s); "
            + (f"conflicts kept for {', '.join(conflicts)}" if conflicts else "no conflicts"),
        )
        if all_news:
            step("News", f"{len(all_news)} item(s) found, {len(ranked)} shown with why they matter")
        signal = self.merger.signal(profile, financials, all_news, statuses, crm)
        fingerprint = self.merger.fingerprint(profile, financials, all_news, crm)
        if previous is None:
            previous = self.cache.lead(context.lead.id)
        diff = self.merger.diff(previous, profile, financials, all_news, fingerprint, crm)
        step(
            "Compare",
            "first research of this lead"
            if diff.first_research
            else ("changes since " if diff.changed else "no change since ")
            + f"{diff.previous_at:%Y-%m-%d %H:%M} UTC",
        )
        research = LeadResearch(
            lead_id=context.lead.id,
            researched_at=now,
            next_refresh_at=now + self.ttl,
            company=query,
            crm=crm,
            sources=tuple(statuses),
            profile=profile,
            financials=financials,
            news=ranked,
            all_news=all_news,
            signal=signal,
            steps=tuple(steps),
            diff=diff,
            fingerprint=fingerprint,
        )
        self.cache.put_lead(research)
        logger.info(
            "researched lead=%s sources=%s signal=%.0f changed=%s",
            context.lead.id,
            ",".join(f"{s.provider}:{s.state}" for s in statuses) or "-",
            signal.score,
            diff.changed,
        )
        return research

    async def aresearch_many(
        self,
        leads: Iterable[str | LeadContext],
        /,
        *,
        now: datetime | None = None,
        force: bool = False,
        progress: Progress | None = None,
    ) -> list[LeadResearch]:
        """Research several leads concurrently (provider calls stay under the global limit);
        results come back in the input order, one per lead. A lead that cannot be researched
        (an unknown id) raises, and the rest of the batch is cancelled rather than left running.

        Args:
            leads: lead ids or contexts.
            now: the reference time (default: the current time).
            force: ask the providers again even where the cache is fresh.
            progress: called as ``progress(done, total, lead_id)`` as each lead's research
                finishes, in the order they finish (see :func:`leadqual.notebook_progress`). A
                callback that raises stops the batch like an error does: the leads still being
                researched are cancelled.
        """
        check_progress(progress)
        if progress is not None:
            return await self._amany_reporting(list(leads), now, force, progress)
        tasks = [asyncio.ensure_future(self.aresearch(x, now=now, force=force)) for x in leads]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            # the caller gets the error (an unknown lead id, a cancellation): the other leads'
            # research must not go on unseen behind it (provider calls shared with other
            # callers keep running: they are shielded)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    async def _amany_reporting(
        self,
        leads: list[str | LeadContext],
        now: datetime | None,
        force: bool,
        progress: Progress,
    ) -> list[LeadResearch]:
        """:meth:`aresearch_many` reporting each lead as it finishes. The reports are made
        here, between awaits, never from inside a lead's research."""
        steps = Steps(progress, len(leads), "researching")
        tasks = [asyncio.ensure_future(self.aresearch(x, now=now, force=force)) for x in leads]
        order = {task: i for i, task in enumerate(tasks)}
        last = "researched 0 leads"
        try:
            pending = set(tasks)
            while pending:
                finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                # in input order among the leads finished together
                for task in sorted(finished, key=order.__getitem__):
                    last = task.result().lead_id
                    steps.advance(1, last)
            steps.finish(last)
            return [task.result() for task in tasks]
        except BaseException:
            # as in aresearch_many: the batch is cancelled, not left running unseen
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    def research(
        self,
        lead: str | LeadContext,
        /,
        *,
        now: datetime | None = None,
        force: bool = False,
        previous: LeadResearch | None = None,
    ) -> LeadResearch:
        """:meth:`aresearch` for sync code; safe inside a running event loop (Jupyter).

        The call runs on an event loop of its own, so the connection pools the providers'
        fetchers opened on it are closed before it ends.
        """
        return self._sync(lambda: self.aresearch(lead, now=now, force=force, previous=previous))

    def research_many(
        self,
        leads: Iterable[str | LeadContext],
        /,
        *,
        now: datetime | None = None,
        force: bool = False,
        progress: Progress | None = None,
    ) -> list[LeadResearch]:
        """:meth:`aresearch_many` for sync code; safe inside a running event loop (in a
        notebook ``progress`` is then called from the worker thread the batch runs in)."""
        check_progress(progress)
        return self._sync(
            lambda: self.aresearch_many(leads, now=now, force=force, progress=progress)
        )

    def research_sync(
        self, lead: str | LeadContext, /, *, now: datetime | None = None, force: bool = False
    ) -> LeadResearch:
        """Deprecated: :meth:`research` is the sync method now (``await`` :meth:`aresearch`)."""
        warn_deprecated(
            "Researcher.research_sync() is deprecated: call research() (sync) or "
            "await aresearch() (async)"
        )
        return self.research(lead, now=now, force=force)

    def _sync(self, make: Callable[[], Awaitable[_T]]) -> _T:
        async def once() -> _T:
            try:
                return await make()
            finally:
                await self.runner.aclose_fetchers()

        return run_sync(once)

    def is_due(self, lead_id: str, /, *, now: datetime | None = None) -> bool:
        """Whether the lead has never been researched or its refresh time has come (as of
        ``now``, default the current time)."""
        previous = self.cache.lead(lead_id)
        when = to_utc(now) if now is not None else datetime.now(UTC)
        return previous is None or previous.next_refresh_at <= when

    def erase(
        self, lead_id: str, /, *, company_data: bool = True, now: datetime | None = None
    ) -> ErasureReceipt:
        """Erase everything the research layer holds about a lead, in one call: its research
        records, its manual links, the company cache entries only it used, and the host names
        of its company's domain (DNS pins and rate-limit buckets of every provider's fetcher,
        and of any provider with a ``forget(domain)`` method of its own).

        Company entries another lead still uses are kept. ``company_data=False`` keeps this
        lead's company entries too (a later erasure with the default removes them, as no lead
        references them any more). The CRM itself is not touched.
        """
        domains = self._domains_of(lead_id)
        records, companies = self.cache.erase_lead(lead_id, company_data=company_data)
        links = self.links.erase(lead_id)
        hosts = 0
        for forget in self._forgetters():
            for domain in domains:
                forgotten = forget(domain)
                hosts += forgotten if isinstance(forgotten, int) else 0
        logger.info(
            "erased lead=%s records=%d links=%d companies=%d hosts=%d",
            lead_id,
            records,
            links,
            companies,
            hosts,
        )
        return ErasureReceipt(
            lead_id=lead_id,
            research_records=records,
            manual_links=links,
            company_cache_entries=companies,
            host_entries=hosts,
            erased_at=to_utc(now) if now is not None else datetime.now(UTC),
        )

    def _domains_of(self, lead_id: str) -> set[str]:
        """Every domain research of the lead may have touched: its latest research's, the
        company keys it used, and what the CRM says now (when the lead is still there)."""
        domains = {
            key.removeprefix("domain:")
            for key in self.cache.company_keys(lead_id)
            if key.startswith("domain:")
        }
        previous = self.cache.lead(lead_id)
        if previous is not None and previous.company is not None and previous.company.domain:
            domains.add(previous.company.domain)
        if self.insights is not None:
            try:
                context, _, _ = self.insights.context(lead_id)
            except LeadqualError:
                context = None  # already deleted from the CRM: the cache said what it knew
            query = company_query_for(context)[0] if context is not None else None
            if query is not None and query.domain:
                domains.add(query.domain)
        return domains

    def _forgetters(self) -> list[Callable[[str], object]]:
        found: dict[int, Callable[[str], object]] = {}
        for provider in self.providers:
            for holder in (provider, getattr(provider, "fetcher", None)):
                forget = getattr(holder, "forget", None)
                if holder is not None and callable(forget):
                    found.setdefault(id(holder), forget)
        return list(found.values())
