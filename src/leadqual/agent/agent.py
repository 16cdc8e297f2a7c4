"""The :class:`QualificationAgent`: one flow from a CRM event to a seller's ranked insight."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import heapq
import logging
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from leadqual._base import to_utc
from leadqual._progress import Progress
from leadqual._sync import run_sync
from leadqual._text import clear_text_caches
from leadqual.agent.access import Access, Role
from leadqual.agent.events import (
    AccountUpdated,
    ContactUpdated,
    CrmEvent,
    LeadDeleted,
    changed_inputs,
    coalesce,
    stages_to_run,
)
from leadqual.agent.pipeline import (
    LeadScoring,
    Pipeline,
    StageOutputs,
    config_hash,
    duplicate_ref,
    duplicate_refs,
    seller_card,
)
from leadqual.agent.qualification import CreateKind, Qualifier
from leadqual.agent.views import (
    AgentCounters,
    AgentStatus,
    BatchReport,
    EventOutcome,
    HandleResult,
    PrioritizedEntry,
    QualificationOutcome,
    ReplayReport,
    SellerView,
    StageCounter,
)
from leadqual.config import AgentConfig, Consent, HandraiserSegment
from leadqual.dedupe import DuplicateDetector, DuplicateIndex, DuplicateReport
from leadqual.drafting import ActionAdvisor, Drafter, TemplateDrafter
from leadqual.email import EmailValidator, forget_domain
from leadqual.errors import (
    AccessDenied,
    AgentPaused,
    ConfigurationError,
    LeadqualError,
    RecordNotFound,
    StoreConflict,
    ValidationFailed,
)
from leadqual.icp import IcpMatcher
from leadqual.insight import (
    STAGES,
    AuditRecord,
    ConsentRecord,
    DuplicateRef,
    Feedback,
    FeedbackReason,
    InsightSummary,
    LeadInsight,
    ReviewItem,
    Stage,
)
from leadqual.models import Lead, LeadContext, LeadStatus
from leadqual.prioritize import HandraiserEvaluator, Prioritizer
from leadqual.research import Authorization, ResearchCache, Researcher, ResearchProvider
from leadqual.sources import CrmSource, CrmWriter, build_context
from leadqual.store import InsightStore, MemoryInsightStore
from leadqual.suppression import SuppressionList

__all__ = ["ORGANIZATION", "QualificationAgent"]

logger = logging.getLogger("leadqual.agent")

ORGANIZATION = "*"

_BATCH_DEDUPE_MIN = 32
"""A batch of this many leads or more finds duplicates in one pass over the CRM (when the
batch is at least a quarter of its leads) instead of one lead at a time."""


class _BatchDuplicates:
    """The duplicates of a batch's leads, found in one batch pass over the CRM's leads once
    enough of them were asked for: the same rules and keys as one lead at a time (so the same
    pairs) at a fraction of the cost per lead."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.found: dict[str, list[DuplicateRef]] | None = None
        self.declined = False

    def refs(self, lead_id: str, agent: QualificationAgent) -> list[DuplicateRef] | None:
        """The lead's duplicates from the batch pass (made when the first lead asks), or
        ``None``: find them one at a time."""
        if self.found is None and not self.declined:
            leads = list(agent.source.leads())
            if self.size * 4 < len(leads):
                self.declined = True
            else:
                self.found = _refs_by_lead(agent._detector.find(leads), [x.id for x in leads])
                # The pass read every lead as it is now; an index built before may hold older
                # versions of them, so the next lead checked alone builds a fresh one.
                agent._index = None
        if self.found is None:
            return None
        found = self.found.get(lead_id)
        return list(found) if found is not None else None

    def forget(self, lead_id: str) -> None:
        """Drop an erased lead from the pass: its own entry and its place among others'."""
        if self.found is None:
            return
        self.found.pop(lead_id, None)
        for lead, refs in self.found.items():
            if any(ref.record_id == lead_id for ref in refs):
                self.found[lead] = [ref for ref in refs if ref.record_id != lead_id]


def _refs_by_lead(report: DuplicateReport, ids: Iterable[str]) -> dict[str, list[DuplicateRef]]:
    ranked: dict[str, list[tuple[float, DuplicateRef]]] = {i: [] for i in ids}
    for pair in report.pairs:
        # Strongest first, as DuplicateIndex.find orders them.
        strength = pair.probability if pair.probability is not None else float(len(pair.rules))
        for one, other in ((pair.left_id, pair.right_id), (pair.right_id, pair.left_id)):
            ranked[one].append((-strength, duplicate_ref(pair, other)))
    return {
        lead: [ref for _, ref in sorted(refs, key=lambda x: x[0])] for lead, refs in ranked.items()
    }


_GROUP_SIZE = 64
"""Insights a batch saves in one transaction."""


class _GroupWriter:
    """Saves a batch's insights in groups (one transaction each; with a batch id, their leads
    are marked done in it too): far less work per lead than a transaction each. A crash loses
    only the group being filled, and a resumed batch does that again.

    A lead erased while the batch runs is dropped from the queue and never written after (the
    lock makes an erasure wait for a save in progress, so the erasure removes what it wrote).
    A lead another process concluded meanwhile is counted in ``conflicts``, not raised: its
    stored insight stands and the rest of the batch goes on."""

    def __init__(self, store: InsightStore, batch_id: str | None) -> None:
        self.store = store
        self.batch_id = batch_id
        self.items: list[tuple[LeadInsight, AuditRecord]] = []
        self.conflicts: list[str] = []
        self.dropped: set[str] = set()
        self._lock = threading.Lock()

    def add(self, insight: LeadInsight, audit: AuditRecord) -> None:
        """Queue a lead's new insight; a full group is saved at once."""
        with self._lock:
            if insight.lead_id in self.dropped:
                return
            self.items.append((insight, audit))
            full = len(self.items) >= _GROUP_SIZE
        if full:
            self.flush()

    def drop(self, lead_id: str) -> None:
        """Forget a lead: its queued insight goes, and one concluded later is not queued."""
        with self._lock:
            self.dropped.add(lead_id)
            self.items = [item for item in self.items if item[0].lead_id != lead_id]

    def flush(self) -> None:
        """Save what is queued."""
        with self._lock:
            items, self.items = self.items, []
            if not items:
                return
            try:
                self.store.save_many(items, batch_id=self.batch_id)
            except StoreConflict:
                # Another process refreshed one of them meanwhile: save the others one by one,
                # so only that lead's conclusion is refused.
                for insight, audit in items:
                    try:
                        self.store.save(insight, audit)
                    except StoreConflict:
                        self.conflicts.append(insight.lead_id)
                    # Either way the lead has a current insight: the batch need not redo it.
                    if self.batch_id is not None:
                        self.store.mark_done(self.batch_id, insight.lead_id)


@contextlib.contextmanager
def _collector_spares_the_heap(batch: bool) -> Iterator[None]:
    """For a batch, set the objects that exist when it starts (the CRM's records, the
    components' models and caches) aside from the cycle collector until it ends.

    A batch allocates many short-lived objects, and each full collection would otherwise walk
    every long-lived one again. Nothing is left changed: the objects go back to the collector
    afterwards. When the collector is off or something in the process already froze objects
    (``gc.freeze``), nothing is done, so a freeze made by the application is never undone.
    """
    if not batch or not gc.isenabled() or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


_BATCH_DUPLICATES: ContextVar[_BatchDuplicates | None] = ContextVar(
    "leadqual_batch_duplicates", default=None
)

CONSENT_RECHECK_SECONDS = 1.0
"""How long the agent keeps a consent record it read from the store before reading it again.
Consent recorded through the agent itself applies at once; this bounds how late a record made
by another process sharing the store is seen."""
"""The seller id under which organisation-wide consent is recorded."""


class _Budget:
    """Leads and provider calls per UTC day, reset when the day changes."""

    def __init__(self, leads: int | None, calls: int | None) -> None:
        self.leads_limit, self.calls_limit = leads, calls
        self.day: str | None = None
        self._date: date | None = None
        self.leads = 0
        self.calls_at_start = 0
        self.calls = 0

    def roll(self, now: datetime, calls_total: int) -> None:
        today = now.date()
        if today != self._date:
            self._date = today
            self.day, self.leads, self.calls_at_start = f"{today:%Y-%m-%d}", 0, calls_total
        self.calls = calls_total - self.calls_at_start

    @property
    def leads_left(self) -> bool:
        return self.leads_limit is None or self.leads < self.leads_limit

    @property
    def calls_left(self) -> bool:
        return self.calls_limit is None or self.calls < self.calls_limit


class _ConsentGate:
    """The research policy the agent gives its researcher: a lead's company is researched on
    the web only while its owner's consent (and the organisation's) allows it, and the day's
    provider-call budget is not used up. Read at every call, so a withdrawal applies at once."""

    def __init__(self, agent: QualificationAgent) -> None:
        self._agent = agent

    def authorize(self, context: LeadContext, /) -> Authorization:
        consent = self._agent.consent_for(context.lead.owner_id)
        if not consent.web_research:
            return Authorization(
                allowed=False, reason="no consent for web research for this lead's owner"
            )
        if not self._agent._budget.calls_left:
            return Authorization(
                allowed=False, reason="the day's research provider-call budget is used up"
            )
        return Authorization(allowed=True, reason="web research consented", lawful_basis="consent")


class QualificationAgent:
    """Researches, checks, rates, scores and drafts for leads by itself, and ranks them per seller.

    Args:
        config: what the admin configured (ICP, hand-raisers, prioritisation, refresh, access,
            consent, selection, capacity).
        source: the CRM to read.
        writer: the CRM writes qualification needs (default: ``source`` when it is a
            :class:`~leadqual.sources.CrmWriter`).
        providers: research providers (web research runs only with consent); default: those
            the configuration's ``providers:`` section names.
        drafter: the drafter for suggested emails (default: a
            :class:`~leadqual.drafting.TemplateDrafter`; an LLM drafter is used only for
            sellers who consented to LLM drafting, the template otherwise).
        scorer: a fitted :class:`~leadqual.LeadScorer` or a
            :class:`~leadqual.scoring.ModelRegistry` (no predictive score without one).
        store: where insights, audit records, consent and feedback are kept (default: in
            memory; use :class:`~leadqual.store.SqlInsightStore` to keep them).
        email_validator: the email checker (default: DNS deliverability checks on).
        suppression: people, domains and companies never to contact or research.
        max_concurrency: leads processed at once in a batch.

    Examples:
        >>> from leadqual.sources import load_sample, load_sample_config, SAMPLE_AS_OF
        >>> agent = QualificationAgent(load_sample_config(), load_sample(),
        ...                            email_validator=EmailValidator(check_deliverability=False))
        >>> agent.process("L-0171", now=SAMPLE_AS_OF).card.name
        'Fatima Carter'
    """

    def __init__(
        self,
        config: AgentConfig,
        source: CrmSource,
        *,
        writer: CrmWriter | None = None,
        providers: Sequence[ResearchProvider] | None = None,
        drafter: Drafter | None = None,
        scorer: LeadScoring | None = None,
        store: InsightStore | None = None,
        email_validator: EmailValidator | None = None,
        suppression: SuppressionList | None = None,
        duplicate_detector: DuplicateDetector | None = None,
        max_concurrency: int = 8,
    ) -> None:
        if not isinstance(config, AgentConfig):
            raise ConfigurationError(
                f"config must be an AgentConfig (AgentConfig.from_file reads one), "
                f"got {type(config).__name__}"
            )
        if not isinstance(source, CrmSource):
            raise ConfigurationError(f"{source!r} is not a CrmSource")
        if scorer is not None and not isinstance(scorer, LeadScoring):
            raise ConfigurationError("scorer must have score_lead (a LeadScorer or ModelRegistry)")
        if max_concurrency < 1:
            raise ConfigurationError("max_concurrency must be at least 1")
        self.config = config
        self.source = source
        self.writer = (
            writer if writer is not None else (source if isinstance(source, CrmWriter) else None)
        )
        self.store: InsightStore = store if store is not None else MemoryInsightStore()
        self.max_concurrency = max_concurrency
        self.config_hash = config_hash(config)
        self._budget = _Budget(
            config.capacity.leads_per_day, config.capacity.provider_calls_per_day
        )
        self._suppression = suppression
        template = TemplateDrafter(config, suppression=suppression)
        self.researcher = Researcher(
            config=config,
            providers=providers,
            source=source,
            suppression=suppression,
            policy=_ConsentGate(self),
            max_concurrency=max(8, max_concurrency),
            # Each lead's last research lives in its stored insight, not a second time in memory.
            cache=ResearchCache(
                ttl=timedelta(days=config.refresh.research_every_days), keep_leads=False
            ),
        )
        advisor_options: dict[str, Any] = {}
        if suppression is not None:
            advisor_options["suppression"] = suppression
        self.pipeline = Pipeline(
            config=config,
            validator=email_validator if email_validator is not None else EmailValidator(),
            researcher=self.researcher,
            matcher=IcpMatcher(config.icp) if config.icp is not None else None,
            evaluator=HandraiserEvaluator(config.handraisers),
            advisor_reading=ActionAdvisor(read_emails=True, **advisor_options),
            advisor_blind=ActionAdvisor(read_emails=False, **advisor_options),
            template=template,
            drafter=drafter if drafter is not None else template,
            scorer=scorer,
            duplicates=self._duplicates_of,
        )
        self.prioritizer = Prioritizer.from_config(config)
        self._selection = (
            HandraiserEvaluator([HandraiserSegment(name="selection", conditions=config.selection)])
            if config.selection
            else None
        )
        self._detector = (
            duplicate_detector if duplicate_detector is not None else DuplicateDetector()
        )
        self._index: DuplicateIndex | None = None
        self._lock = threading.RLock()
        self._access: Access | None = None
        self._queue: list[tuple[int, float, str]] = []
        self._queued: set[str] = set()
        self._paused: tuple[str, str] | None = None
        self._activated = False
        # Plain tallies, turned into StageCounter models when asked for (counters()).
        self._counters: dict[Stage, dict[str, float]] = {
            s: dict.fromkeys(("ran", "reused", "skipped", "failed", "seconds"), 0) for s in STAGES
        }
        self._processed = 0
        self._unchanged = 0
        self._events = 0
        self._qualifier_cache: Qualifier | None = None
        self._consent_cache: dict[str, tuple[float, ConsentRecord | None]] = {}
        # Bumped by every consent recorded here: a store read that began before a record was
        # made must not replace it in the cache.
        self._consent_generation = 0
        self._writers: set[_GroupWriter] = set()
        self._passes: set[_BatchDuplicates] = set()

    # -- consent ----------------------------------------------------------------------------

    def consent_for(self, seller_id: str | None, /) -> Consent:
        """The consent in force for a seller's leads: what the organisation allows
        (``config.consent`` and any organisation-wide record), narrowed by the seller's own
        record when one exists."""
        base = self.config.consent
        org = self._stored_consent(ORGANIZATION)
        flags = {
            "web_research": base.web_research,
            "read_emails": base.read_emails,
            "llm_drafting": base.llm_drafting,
        }
        if org is not None:
            flags = {k: getattr(org, k) for k in flags}
        own = self._stored_consent(seller_id) if seller_id else None
        if own is not None:
            flags = {k: v and getattr(own, k) for k, v in flags.items()}
        # Built from values already validated (the config's and stored records'), for every lead.
        return Consent.model_construct(
            web_research=flags["web_research"],
            read_emails=flags["read_emails"],
            llm_drafting=flags["llm_drafting"],
            granted_by=base.granted_by,
            granted_at=base.granted_at,
        )

    def _stored_consent(self, seller_id: str, /) -> ConsentRecord | None:
        # Read for every lead of a batch, so kept for a moment: a record made through this agent
        # replaces the kept one at once; one made by another process sharing the store is seen
        # within CONSENT_RECHECK_SECONDS.
        clock = time.monotonic()
        with self._lock:
            kept = self._consent_cache.get(seller_id)
            if kept is not None and clock - kept[0] < CONSENT_RECHECK_SECONDS:
                return kept[1]
            generation = self._consent_generation
        record = self.store.consent(seller_id)
        with self._lock:
            if generation != self._consent_generation:
                # A record was made here while we read: ours may predate it (a revocation
                # read as the grant before it). The one made here is the newest we know.
                kept = self._consent_cache.get(seller_id)
                return kept[1] if kept is not None else self.store.consent(seller_id)
            self._consent_cache[seller_id] = (clock, record)
        return record

    def record_consent(
        self,
        seller_id: str,
        /,
        *,
        web_research: bool,
        read_emails: bool,
        llm_drafting: bool = False,
        by: str | None = None,
        now: datetime | None = None,
    ) -> ConsentRecord:
        """Record what a seller (or, with :data:`ORGANIZATION`, the organisation) consents to.

        Consent is narrowed, never widened, by a seller's record: a seller cannot allow what the
        organisation does not. Takes effect at once, for every lead the seller owns.
        """
        if seller_id != ORGANIZATION:
            self._access_rules().seller(seller_id)
        record = ConsentRecord(
            seller_id=seller_id,
            web_research=web_research,
            read_emails=read_emails,
            llm_drafting=llm_drafting,
            recorded_at=self._now(now),
            recorded_by=by,
        )
        with self._lock:
            self._consent_generation += 1
        self.store.record_consent(record)
        with self._lock:
            self._consent_generation += 1
            self._consent_cache[seller_id] = (time.monotonic(), record)
        logger.info("consent recorded for seller %s", seller_id)
        return record

    def revoke_consent(
        self, seller_id: str, /, *, by: str | None = None, now: datetime | None = None
    ) -> ConsentRecord:
        """Withdraw all consent of a seller (or the organisation's, which pauses the agent's
        external research and mail reading for everyone). Applies at once."""
        return self.record_consent(
            seller_id, web_research=False, read_emails=False, llm_drafting=False, by=by, now=now
        )

    # -- status -----------------------------------------------------------------------------

    def pause(self, reason: str, /) -> None:
        """Stop working by itself (events and refreshes queue) until :meth:`resume`."""
        self._paused = (reason, "resume the agent with resume()")

    def resume(self) -> None:
        """Work by itself again after :meth:`pause`."""
        self._paused = None

    def status(self, *, now: datetime | None = None) -> AgentStatus:
        """Running or paused, with the reason and what to do about it."""
        now = self._now(now)
        self._budget.roll(now, self.researcher.provider_calls)
        reason = suggestion = None
        if self._paused is not None:
            reason, suggestion = self._paused
        elif not self._config_complete():
            reason = "configuration incomplete: neither an ICP nor hand-raiser segments are set"
            suggestion = "add an ICP (icp:) or hand-raiser segments (handraisers:) to the config"
        else:
            org = self.store.consent(ORGANIZATION)
            if org is not None and not (org.web_research or org.read_emails or org.llm_drafting):
                reason = f"consent revoked on {org.recorded_at:%Y-%m-%d}"
                suggestion = "an admin records consent again with record_consent('*', ...)"
            elif not self._budget.leads_left:
                reason = f"capacity exhausted: {self._budget.leads} leads processed today"
                suggestion = "raise capacity.leads_per_day, or queued leads run tomorrow (UTC)"
        return AgentStatus(
            state="paused" if reason else "running",
            reason=reason,
            suggested_action=suggestion,
            queued=len(self._queue),
            leads_today=self._budget.leads,
            provider_calls_today=self._budget.calls,
            activated=self._activated,
        )

    def _config_complete(self) -> bool:
        return self.config.icp is not None or bool(self.config.handraisers)

    def counters(self) -> AgentCounters:
        """Leads processed, insights left unchanged, events handled, and per-stage counters."""
        with self._lock:
            return AgentCounters(
                leads_processed=self._processed,
                insights_unchanged=self._unchanged,
                events_handled=self._events,
                stages={
                    k: StageCounter(
                        ran=int(v["ran"]),
                        reused=int(v["reused"]),
                        skipped=int(v["skipped"]),
                        failed=int(v["failed"]),
                        seconds=v["seconds"],
                    )
                    for k, v in self._counters.items()
                },
            )

    # -- processing -------------------------------------------------------------------------

    def process(
        self, lead_id: str, /, *, now: datetime | None = None, force: bool = False
    ) -> LeadInsight:
        """Conclude everything about one lead now and store it (see :meth:`aprocess`)."""
        return run_sync(lambda: self.aprocess(lead_id, now=now, force=force))

    async def aprocess(
        self, lead_id: str, /, *, now: datetime | None = None, force: bool = False
    ) -> LeadInsight:
        """Conclude everything about one lead and store it; returns the lead's insight.

        Only what changed since the lead's last insight runs again (an unchanged lead returns
        its stored insight); ``force`` re-runs every stage. An explicit call works on any lead,
        whether or not it meets the selection criteria, and is served even when the day's
        capacity is used up.

        Raises:
            RecordNotFound: no lead with this id in the CRM.
            AgentPaused: consent was revoked organisation-wide.
        """
        if not isinstance(lead_id, str) or not lead_id:
            raise ValidationFailed(
                f"lead_id must be a non-empty string, got {lead_id!r}", field="lead_id"
            )
        self._require_not_revoked()
        insight, _ = await self._reconcile(lead_id, self._now(now), force=force)
        return insight

    def process_many(
        self,
        lead_ids: Iterable[str],
        /,
        *,
        now: datetime | None = None,
        progress: Progress | None = None,
        batch_id: str | None = None,
        force: bool = False,
    ) -> list[LeadInsight]:
        """Process leads concurrently (see :meth:`aprocess_many`)."""
        ids = list(lead_ids)
        return run_sync(
            lambda: self.aprocess_many(
                ids, now=now, progress=progress, batch_id=batch_id, force=force
            )
        )

    async def aprocess_many(
        self,
        lead_ids: Iterable[str],
        /,
        *,
        now: datetime | None = None,
        progress: Progress | None = None,
        batch_id: str | None = None,
        force: bool = False,
    ) -> list[LeadInsight]:
        """Process leads, at most ``max_concurrency`` at once, in the given order of results.

        With ``batch_id`` the batch's progress is kept in the store: calling again with the same
        id after a crash processes only the leads not yet done. A lead that cannot be read
        (deleted meanwhile) is left out of the result and logged, not fatal to the batch.
        Every insight is returned, so memory grows with the batch (some 70 KB an insight): for
        thousands of leads, :meth:`arun_batch` keeps them in the store only.
        """
        results: dict[str, LeadInsight] = {}
        await self._arun(lead_ids, now, progress, batch_id, force, results)
        return list(results.values())

    def run_batch(
        self,
        lead_ids: Iterable[str],
        /,
        *,
        now: datetime | None = None,
        progress: Progress | None = None,
        batch_id: str | None = None,
        force: bool = False,
    ) -> BatchReport:
        """Process leads into the store, returning counts, not insights (see
        :meth:`arun_batch`)."""
        ids = list(lead_ids)
        return run_sync(
            lambda: self.arun_batch(ids, now=now, progress=progress, batch_id=batch_id, force=force)
        )

    async def arun_batch(
        self,
        lead_ids: Iterable[str],
        /,
        *,
        now: datetime | None = None,
        progress: Progress | None = None,
        batch_id: str | None = None,
        force: bool = False,
    ) -> BatchReport:
        """:meth:`aprocess_many` for large batches: the insights go to the store (read them with
        :meth:`insight` or :meth:`prioritized`) and memory stays flat in the number of leads.
        Returns what happened, lead by lead counted."""
        started = time.perf_counter()
        report = await self._arun(lead_ids, now, progress, batch_id, force, None)
        return report.model_copy(update={"seconds": round(time.perf_counter() - started, 3)})

    async def _arun(
        self,
        lead_ids: Iterable[str],
        now: datetime | None,
        progress: Progress | None,
        batch_id: str | None,
        force: bool,
        results: dict[str, LeadInsight] | None,
    ) -> BatchReport:
        self._require_not_revoked()
        when = self._now(now)
        ids = list(dict.fromkeys(lead_ids))
        if batch_id is not None:
            self.store.start_batch(batch_id, ids)
            pending = set(self.store.pending(batch_id))
        else:
            pending = set(ids)
        gate = asyncio.Semaphore(self.max_concurrency)
        # One query for the whole batch instead of one per new lead that has nothing stored.
        stored = self.store.versions(pending)
        order = {lead_id: k for k, lead_id in enumerate(ids)}
        found: list[tuple[int, LeadInsight]] = []
        counts = {"unchanged": 0, "resumed": 0}
        concluded: list[str] = []
        missing: list[str] = []
        writer = _GroupWriter(self.store, batch_id)
        with self._lock:
            self._writers.add(writer)
        done = 0

        async def one(lead_id: str) -> None:
            nonlocal done
            async with gate:
                insight: LeadInsight | None
                try:
                    if lead_id in pending:
                        insight, changed = await self._reconcile(
                            lead_id, when, force=force, writer=writer, new=lead_id not in stored
                        )
                        if changed:
                            concluded.append(lead_id)
                        else:
                            counts["unchanged"] += 1
                        if not changed and batch_id is not None:
                            self.store.mark_done(batch_id, lead_id)
                    else:
                        counts["resumed"] += 1
                        insight = self.store.latest(lead_id) if results is not None else None
                    if results is not None and insight is not None:
                        found.append((order[lead_id], insight))
                except RecordNotFound:
                    missing.append(lead_id)
                    logger.warning("lead %s is no longer in the CRM; skipped", lead_id)
                done += 1
                if progress is not None:
                    progress(done, len(ids), lead_id)

        # Seen by this batch's tasks only (each task runs in a copy of this context), and
        # reset after, so a later call in the caller's task does not see it.
        batch_pass = _BatchDuplicates(len(pending)) if len(pending) >= _BATCH_DEDUPE_MIN else None
        token = _BATCH_DUPLICATES.set(batch_pass)
        if batch_pass is not None:
            with self._lock:
                self._passes.add(batch_pass)
        tasks: list[asyncio.Task[None]] = []
        try:
            with _collector_spares_the_heap(len(pending) >= _BATCH_DEDUPE_MIN):
                tasks = [asyncio.ensure_future(one(i)) for i in ids]
                await asyncio.gather(*tasks)
        except BaseException:
            # No lead goes on working after the batch failed: a resumed batch would meet its
            # late conclusion as a conflict. What was concluded before is kept (and, with
            # batch_id, not redone).
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(LeadqualError):
                writer.flush()
            raise
        finally:
            _BATCH_DUPLICATES.reset(token)
            with self._lock:
                self._writers.discard(writer)
                if batch_pass is not None:
                    self._passes.discard(batch_pass)
        writer.flush()
        conflicts = set(writer.conflicts)
        erased = {i for i in writer.dropped if i in order}
        if results is not None:
            for _, insight in sorted(found, key=lambda x: x[0]):
                if insight.lead_id in erased:
                    continue
                if insight.lead_id in conflicts:
                    stored_now = self.store.latest(insight.lead_id)
                    if stored_now is None:
                        continue
                    insight = stored_now
                results[insight.lead_id] = insight
        return BatchReport(
            leads=len(ids),
            processed=len(set(concluded) - conflicts - erased),
            unchanged=counts["unchanged"],
            resumed=counts["resumed"],
            missing=tuple(sorted(missing, key=order.__getitem__)),
            conflicts=tuple(sorted(conflicts, key=order.__getitem__)),
            erased=tuple(sorted(erased, key=order.__getitem__)),
            batch_id=batch_id,
        )

    # -- lifecycle --------------------------------------------------------------------------

    def activate(
        self, *, now: datetime | None = None, progress: Progress | None = None
    ) -> list[LeadInsight]:
        """Start the agent (see :meth:`aactivate`)."""
        return run_sync(lambda: self.aactivate(now=now, progress=progress))

    async def aactivate(
        self, *, now: datetime | None = None, progress: Progress | None = None
    ) -> list[LeadInsight]:
        """Process the newest selected leads first (``config.refresh.activation_batch`` of them,
        within the day's capacity; the rest wait in the queue), then work by events.

        Raises:
            AgentPaused: the configuration is incomplete or consent was revoked.
        """
        when = self._now(now)
        self._require_runnable()
        leads = [lead for lead in self.source.leads() if self._selected(lead, when)]
        leads.sort(key=lambda lead: (lead.created_at, lead.id), reverse=True)
        chosen = leads[: self.config.refresh.activation_batch]
        self._activated = True
        return await self._within_budget([lead.id for lead in chosen], when, progress)

    def handle(
        self, events: CrmEvent | Iterable[CrmEvent], /, *, now: datetime | None = None
    ) -> HandleResult:
        """React to CRM events (see :meth:`ahandle`)."""
        return run_sync(lambda: self.ahandle(events, now=now))

    async def ahandle(
        self, events: CrmEvent | Iterable[CrmEvent], /, *, now: datetime | None = None
    ) -> HandleResult:
        """React to one event or a burst: bursts coalesce to one pass per lead, each lead's
        current CRM state is compared with its last insight's snapshot, and only the stages the
        difference touches run again.

        Events for leads outside the selection criteria are ignored; an event for a deleted
        lead erases what was stored about it; events while the agent is paused, or beyond the
        day's capacity, are queued.
        """
        when = self._now(now)
        # A pydantic model is itself iterable (over its fields): test for one event first.
        batch: list[CrmEvent] = [events] if isinstance(events, BaseModel) else list(events)
        outcomes: list[EventOutcome] = []
        insights: list[LeadInsight] = []
        targets: list[tuple[CrmEvent, str]] = []
        for event in coalesce(batch):
            self._events += 1
            if isinstance(event, LeadDeleted):
                erased = self.store.erase(event.lead_id)
                self._forget(event.lead_id)
                outcomes.append(
                    EventOutcome(
                        event_type=event.type,
                        lead_id=event.lead_id,
                        outcome="erased" if erased else "ignored",
                        reason=f"{erased} stored rows erased" if erased else "nothing was stored",
                    )
                )
                continue
            for lead_id in self._leads_of(event):
                targets.append((event, lead_id))
        seen: set[str] = set()
        for event, lead_id in targets:
            if lead_id in seen:
                continue
            seen.add(lead_id)
            outcome, insight = await self._handle_one(event, lead_id, when)
            outcomes.append(outcome)
            if insight is not None:
                insights.append(insight)
        return HandleResult(insights=tuple(insights), outcomes=tuple(outcomes))

    async def _handle_one(
        self, event: CrmEvent, lead_id: str, now: datetime
    ) -> tuple[EventOutcome, LeadInsight | None]:
        try:
            lead = self.source.get_lead(lead_id)
        except RecordNotFound:
            # An update that arrives after the deletion: the lead is gone, so is what we knew.
            erased = self.store.erase(lead_id)
            self._forget(lead_id)
            return (
                EventOutcome(
                    event_type=event.type,
                    lead_id=lead_id,
                    outcome="erased" if erased else "ignored",
                    reason="the lead is no longer in the CRM",
                ),
                None,
            )
        if not self._selected(lead, now):
            return (
                EventOutcome(
                    event_type=event.type,
                    lead_id=lead_id,
                    outcome="ignored",
                    reason="the lead does not meet the selection criteria",
                ),
                None,
            )
        status = self.status(now=now)
        if status.state == "paused":
            self._enqueue(lead, now)
            return (
                EventOutcome(
                    event_type=event.type,
                    lead_id=lead_id,
                    outcome="queued",
                    reason=status.reason or "",
                ),
                None,
            )
        insight, ran = await self._reconcile(lead_id, now)
        return (
            EventOutcome(
                event_type=event.type,
                lead_id=lead_id,
                outcome="processed" if ran else "unchanged",
                insight_version=insight.version,
                reason=", ".join(
                    s.stage for s in insight.stages if s.status == "ran" and s.at == now
                )
                if ran
                else "nothing the insight depends on changed",
            ),
            insight,
        )

    def refresh_due(self, *, now: datetime | None = None) -> list[LeadInsight]:
        """Refresh insights that are due (see :meth:`arefresh_due`)."""
        return run_sync(lambda: self.arefresh_due(now=now))

    async def arefresh_due(self, *, now: datetime | None = None) -> list[LeadInsight]:
        """Work the queue, then refresh every insight older than the refresh interval
        (``config.refresh.insight_every_days``; nothing when it is ``None``: initial only)."""
        when = self._now(now)
        self._require_runnable()
        queued = self._drain_queue()
        due: list[str] = []
        every = self.config.refresh.insight_every_days
        if every is not None:
            due = list(self.store.due(when - timedelta(days=every)))
        ids = list(dict.fromkeys([*queued, *due]))
        return await self._within_budget(ids, when, None, force_ids=set(due))

    # -- seller-facing ----------------------------------------------------------------------

    def insight(self, lead_id: str, /, *, seller: str) -> LeadInsight:
        """The latest insight of a lead, for a seller allowed to see it.

        Raises:
            RecordNotFound: no such seller, lead, or no insight yet (process the lead first).
            AccessDenied: the lead is not the seller's (nor their team's, for a manager).
        """
        lead = self.source.get_lead(lead_id)
        self._access_rules().require(seller, lead)
        found = self.store.latest(lead_id)
        if found is None:
            raise RecordNotFound("insight", lead_id)
        return found

    def prioritized(
        self,
        seller: str,
        /,
        *,
        now: datetime | None = None,
        limit: int | None = None,
        include_duplicates: bool = False,
    ) -> SellerView:
        """The seller's ranked list, one entry per person, each with why it has its rank.

        A seller sees the leads they own, a manager their team's, an admin all. Leads the
        agent found to be the same person fold into the best-ranked entry, which names the
        others (``include_duplicates=True`` lists each record).

        Raises:
            RecordNotFound: no such seller.
            AccessDenied: the seller may not use the agent.
        """
        when = self._now(now)
        access = self._access_rules()
        role: Role = access.role(seller)
        owners = access.visible_owners(seller)
        leads = (
            [lead for o in sorted(owners) for lead in self.source.leads(owner_id=o)]
            if owners is not None
            else list(self.source.leads())
        )
        with _collector_spares_the_heap(len(leads) >= _BATCH_DEDUPE_MIN):
            return self._ranked_view(
                seller,
                role,
                owners,
                leads,
                when,
                limit=limit,
                include_duplicates=include_duplicates,
            )

    def _ranked_view(
        self,
        seller: str,
        role: Role,
        owners: Collection[str] | None,
        leads: list[Lead],
        when: datetime,
        *,
        limit: int | None,
        include_duplicates: bool,
    ) -> SellerView:
        """:meth:`prioritized` once the seller's leads are known."""
        leads = [lead for lead in leads if self._selected(lead, when)]
        stored = self._summaries(owners)
        contexts = [build_context(self.source, lead.id) for lead in leads]
        fits = {k: v.icp_fit for k, v in stored.items() if v.icp_fit is not None}
        scores = {k: v.score for k, v in stored.items() if v.score is not None}
        folded: dict[str, list[str]] = {}
        grouped = set() if include_duplicates else _grouped([c.lead.id for c in contexts], stored)
        if grouped:
            # The best-ranked record of each person heads its group. A lead's place depends on
            # its own inputs and on how many open leads its account has in the list, so ranking
            # the grouped leads with every lead of their accounts orders them as the whole list
            # would, at a fraction of the cost.
            accounts = {
                c.lead.account_id for c in contexts if c.lead.id in grouped and c.lead.account_id
            }
            around = [c for c in contexts if c.lead.id in grouped or c.lead.account_id in accounts]
            order = self.prioritizer.rank(
                around, now=when, fits=fits, scores=scores or None, include_closed=True
            ).lead_ids()
            folded = _fold_duplicates(order, stored)
        # Ranked without the folded records, so ranks run 1, 2, 3... and each "why" compares
        # the entry with its neighbours on the list the seller sees.
        gone = {lead_id for others in folded.values() for lead_id in others}
        ranked = self.prioritizer.rank(
            [c for c in contexts if c.lead.id not in gone] if gone else contexts,
            now=when,
            fits=fits,
            scores=scores or None,
            include_closed=True,
        )
        entries = []
        for e in ranked.entries[:limit]:
            insight = stored.get(e.lead_id)
            entries.append(
                PrioritizedEntry(
                    rank=e.rank,
                    lead_id=e.lead_id,
                    why=e.why,
                    is_handraiser=e.handraiser.is_handraiser,
                    rating=e.rating.rating,
                    owner_id=e.owner_id,
                    card=insight.card if insight else None,
                    refreshed_at=insight.refreshed_at if insight else None,
                    duplicates=tuple(folded.get(e.lead_id, ())),
                    detail=e,
                )
            )
        return SellerView(
            seller_id=seller, role=role, now=when, order=tuple(ranked.order), entries=tuple(entries)
        )

    def _summaries(self, owners: Collection[str] | None) -> dict[str, InsightSummary]:
        """What the ranked list reads of the stored insights (of these owners), by lead id: the
        store's summaries, or, from a store without them (an :class:`InsightStore` written
        before they existed), every insight decoded and summarised."""
        summaries = getattr(self.store, "summaries", None)
        if summaries is None:
            return {i.lead_id: InsightSummary.of(i) for i in self.store.insights(owner_ids=owners)}
        found: Sequence[InsightSummary] = summaries(owner_ids=owners)
        return {s.lead_id: s for s in found}

    def give_feedback(
        self,
        lead_id: str,
        /,
        *,
        seller: str,
        verdict: Literal["accepted", "rejected"],
        reason: FeedbackReason | None = None,
        comment: str | None = None,
        now: datetime | None = None,
    ) -> Feedback:
        """Record a seller's verdict on the latest suggestion for a lead they can see.

        Raises:
            AccessDenied: the lead is not the seller's.
            RecordNotFound: no insight for the lead yet.
            ValidationFailed: a rejection without a reason code.
        """
        insight = self.insight(lead_id, seller=seller)
        feedback = Feedback(
            lead_id=lead_id,
            seller_id=seller,
            insight_version=insight.version,
            verdict=verdict,
            reason=reason,
            comment=comment,
            at=self._now(now),
        )
        self.store.add_feedback(feedback)
        return feedback

    def review_list(self, seller: str, /) -> list[ReviewItem]:
        """Leads the agent would disqualify, for a supervisor to confirm or reassign.

        Raises:
            AccessDenied: the seller is not a supervisor.
        """
        self._require_supervisor(seller)
        return list(self.store.reviews(status="open"))

    def resolve_review(
        self,
        lead_id: str,
        /,
        *,
        seller: str,
        decision: Literal["confirmed", "reassigned"],
        reassign_to: str | None = None,
        now: datetime | None = None,
    ) -> ReviewItem:
        """Confirm a suggested disqualification or reassign the lead to another seller (the CRM
        is not written: disqualify or reassign there, or with :meth:`disqualify`).

        Raises:
            AccessDenied: the seller is not a supervisor.
            RecordNotFound: the lead has no review item, or ``reassign_to`` is no seller.
            ValidationFailed: ``reassigned`` without ``reassign_to``.
        """
        self._require_supervisor(seller)
        item = self.store.review(lead_id)
        if item is None:
            raise RecordNotFound("review item", lead_id)
        if decision == "reassigned":
            if not reassign_to:
                raise ValidationFailed("reassigning needs reassign_to", field="reassign_to")
            self._access_rules().seller(reassign_to)
        resolved = item.replace(
            status=decision,
            resolved_by=seller,
            resolved_at=self._now(now),
            reassigned_to=reassign_to if decision == "reassigned" else None,
        )
        self.store.put_review(resolved)
        return resolved

    # -- qualification ----------------------------------------------------------------------

    def qualify(
        self,
        lead_id: str,
        /,
        *,
        seller: str,
        account_id: str | None = None,
        contact_id: str | None = None,
        create: Collection[CreateKind] | None = None,
        opportunity_name: str | None = None,
        allow_duplicates: bool = False,
        now: datetime | None = None,
    ) -> QualificationOutcome:
        """Qualify a lead: check it against accounts and contacts first, then link the records
        the seller chose (``account_id``, ``contact_id``) or create new ones (``create``; default
        ``config.qualification.create``: account, contact and opportunity), link the lead to
        them, move its notes and activities to the opportunity, and mark it qualified.

        A lead with possible duplicates (accounts or contacts not linked, or other open leads of
        the same person) is not qualified: the outcome says so and names them, until the seller
        links them or passes ``allow_duplicates=True``.

        Raises:
            AccessDenied: the lead is not the seller's.
            ConfigurationError: the agent has no CRM writer.
            RecordNotFound: the lead, seller, or a record to link does not exist.
            ValidationFailed: the lead is not open, or the contact belongs to another account.
            CrmWriteError: a CRM write failed part way (``done`` lists what was written).
        """
        when = self._now(now)
        lead = self.source.get_lead(lead_id)
        self._access_rules().require(seller, lead)
        qualifier = self._qualifier()
        insight = self.store.latest(lead_id)
        open_dupes = []
        for d in insight.duplicates if insight else ():
            if d.kind != "lead":
                continue
            try:
                if self.source.get_lead(d.record_id).status is LeadStatus.OPEN:
                    open_dupes.append(d.record_id)
            except RecordNotFound:
                continue
        outcome = qualifier.qualify(
            lead,
            now=when,
            account_id=account_id,
            contact_id=contact_id,
            create=create if create is not None else self.config.qualification.create,
            opportunity_name=opportunity_name,
            allow_duplicates=allow_duplicates,
            duplicate_leads=open_dupes,
        )
        if outcome.qualified:
            logger.info("lead %s qualified by seller %s", lead_id, seller)
            run_sync(lambda: self._reconcile(lead_id, when))
        return outcome

    def disqualify(
        self, lead_id: str, /, *, seller: str, reason: str, now: datetime | None = None
    ) -> Lead:
        """Disqualify a lead with a reason (confirming its review item, if any).

        Raises:
            AccessDenied: the lead is not the seller's (a supervisor may disqualify any lead
                on the review list).
            ConfigurationError: the agent has no CRM writer.
            ValidationFailed: an empty reason, or the lead is not open.
        """
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationFailed("disqualifying needs a reason", field="reason")
        when = self._now(now)
        lead = self.source.get_lead(lead_id)
        review = self.store.review(lead_id)
        self._require_owner_or_reviewer(seller, lead, review)
        if lead.status is not LeadStatus.OPEN:
            raise ValidationFailed(
                f"lead {lead_id} is {lead.status.value}; reactivate it first", field="lead.status"
            )
        writer = self._writer()
        updated = writer.update_lead_status(
            lead_id, LeadStatus.DISQUALIFIED, reason=reason.strip(), at=when
        )
        if review is not None and review.status == "open":
            self.store.put_review(
                review.replace(status="confirmed", resolved_by=seller, resolved_at=when)
            )
        run_sync(lambda: self._reconcile(lead_id, when))
        return updated

    def reactivate(self, lead_id: str, /, *, seller: str, now: datetime | None = None) -> Lead:
        """Open a qualified or disqualified lead again; the agent works on it as before.

        Raises:
            AccessDenied: the lead is not the seller's.
            ConfigurationError: the agent has no CRM writer.
            ValidationFailed: the lead is already open.
        """
        when = self._now(now)
        lead = self.source.get_lead(lead_id)
        self._access_rules().require(seller, lead)
        if lead.status is LeadStatus.OPEN:
            raise ValidationFailed(f"lead {lead_id} is already open", field="lead.status")
        updated = self._writer().update_lead_status(lead_id, LeadStatus.OPEN, at=when)
        run_sync(lambda: self._reconcile(lead_id, when))
        return updated

    def _writer(self) -> CrmWriter:
        if self.writer is None:
            raise ConfigurationError(
                "this agent has no CRM writer: pass writer= (a CrmWriter) to QualificationAgent"
            )
        return self.writer

    def _qualifier(self) -> Qualifier:
        if self._qualifier_cache is None:
            self._qualifier_cache = Qualifier(self.source, self._writer())
        return self._qualifier_cache

    def _require_owner_or_reviewer(
        self, seller: str, lead: Lead, review: ReviewItem | None
    ) -> None:
        access = self._access_rules()
        if access.can_see(seller, lead):
            return
        if review is not None and (
            seller in access.supervisors() or access.role(seller) == "admin"
        ):
            return
        access.require(seller, lead)

    # -- audit ------------------------------------------------------------------------------

    def replay(self, record: AuditRecord, /) -> ReplayReport:
        """Derive a stored conclusion again from its audit record and report any difference.

        The recorded observations (email check, research, duplicates) are taken as they were;
        ICP fit, hand-raiser segment, rating, score, next action and draft are derived again
        with the agent's current configuration and model.
        """
        return run_sync(lambda: self.areplay(record))

    async def areplay(self, record: AuditRecord, /) -> ReplayReport:
        """:meth:`replay` for async callers."""
        stored = next(
            (i for i in self.store.history(record.lead_id) if i.version == record.insight_version),
            None,
        )
        if stored is None:
            raise RecordNotFound("insight", f"{record.lead_id} v{record.insight_version}")
        previous = StageOutputs(
            email=record.email, research=record.research, duplicates=record.duplicates
        )
        for stage in ("email", "research", "duplicates"):
            run = stored.stage(stage)
            if run is not None:
                previous.runs[stage] = run
        todo = frozenset(s for s in STAGES if s not in ("email", "research", "duplicates"))
        consent = self._consent_seen(stored)
        out = await self.pipeline.run(
            record.context, todo, previous, now=record.recorded_at, consent=consent, reasons={}
        )
        differences = []
        for name, before, after in (
            ("icp_fit", stored.icp_fit, out.icp_fit),
            ("handraiser", stored.handraiser, out.handraiser),
            ("rating", stored.rating, out.rating),
            ("score", stored.score, out.score),
            ("next_action", stored.next_action, out.next_action),
            ("draft", stored.draft, out.draft),
        ):
            if before != after:
                differences.append(f"{name}: {_brief(before)} -> {_brief(after)}")
        return ReplayReport(
            lead_id=record.lead_id,
            insight_version=record.insight_version,
            same=not differences,
            differences=tuple(differences),
            config_changed=record.config_hash != self.config_hash,
        )

    def erase(self, lead_id: str, /) -> int:
        """Erase everything the agent holds about a lead (a data subject's erasure request):
        its stored insights, audit records, feedback and review items, its place in the queue
        and the duplicate index, and what research kept (company entries only it used, manual
        links, its domain's DNS pins). The CRM is not touched. Returns how many stored rows went.
        """
        self._forget(lead_id)
        return self.store.erase(lead_id)

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _now(now: datetime | None) -> datetime:
        return to_utc(now) if now is not None else datetime.now(UTC)

    def _access_rules(self) -> Access:
        if self._access is None:
            self._access = Access(self.config.team_access, self.source.sellers())
        return self._access

    def refresh_sellers(self) -> None:
        """Read the CRM's sellers again (after roles or teams changed)."""
        self._access = None

    def _require_supervisor(self, seller: str) -> None:
        access = self._access_rules()
        role = access.role(seller)
        if seller not in access.supervisors() and role != "admin":
            raise AccessDenied(
                f"seller {seller} does not review disqualifications (a supervisor does)",
                seller_id=seller,
            )

    def _require_not_revoked(self) -> None:
        org = self._stored_consent(ORGANIZATION)
        if org is not None and not (org.web_research or org.read_emails or org.llm_drafting):
            raise AgentPaused(
                "consent was revoked for the organisation; an admin records it again with "
                "record_consent('*', ...)",
                reason="consent revoked",
            )

    def _require_runnable(self) -> None:
        if self._paused is not None:
            raise AgentPaused(f"the agent is paused: {self._paused[0]}", reason=self._paused[0])
        if not self._config_complete():
            raise AgentPaused(
                "configuration incomplete: set an ICP or hand-raiser segments",
                reason="configuration incomplete",
            )
        self._require_not_revoked()

    def _selected(self, lead: Lead, now: datetime) -> bool:
        if self._selection is None:
            return True
        context = LeadContext(lead=lead)
        return self._selection.evaluate(context, now=now).is_handraiser

    def _leads_of(self, event: CrmEvent) -> list[str]:
        if isinstance(event, AccountUpdated):
            return [lead.id for lead in self.source.leads() if lead.account_id == event.account_id]
        if isinstance(event, ContactUpdated):
            return [lead.id for lead in self.source.leads() if lead.contact_id == event.contact_id]
        return [event.lead_id]

    def _enqueue(self, lead: Lead, now: datetime) -> None:
        with self._lock:
            if lead.id in self._queued:
                return
            self._queued.add(lead.id)
            # Newest leads first, like activation.
            heapq.heappush(self._queue, (0, -lead.created_at.timestamp(), lead.id))

    def _drain_queue(self) -> list[str]:
        with self._lock:
            out = [heapq.heappop(self._queue)[2] for _ in range(len(self._queue))]
            self._queued.clear()
            return out

    async def _within_budget(
        self,
        ids: Sequence[str],
        now: datetime,
        progress: Progress | None,
        *,
        force_ids: set[str] | None = None,
    ) -> list[LeadInsight]:
        self._budget.roll(now, self.researcher.provider_calls)
        limit = self._budget.leads_limit
        room = len(ids) if limit is None else max(0, limit - self._budget.leads)
        now_ids, later = list(ids[:room]), list(ids[room:])
        for lead_id in later:
            try:
                self._enqueue(self.source.get_lead(lead_id), now)
            except RecordNotFound:
                continue
        forced = force_ids or set()
        plain = [i for i in now_ids if i not in forced]
        out = await self.aprocess_many(plain, now=now, progress=progress)
        if forced:
            out += await self.aprocess_many(
                [i for i in now_ids if i in forced], now=now, progress=progress, force=True
            )
        return out

    def _forget(self, lead_id: str) -> None:
        # The lead's email domain as the CRM or the last insight knows it: its cached DNS
        # verdict goes too (a sole trader's domain names a person).
        domains = set()
        with contextlib.suppress(RecordNotFound):
            email = self.source.get_lead(lead_id).email
            if email and "@" in email:
                domains.add(email.rpartition("@")[2])
        last = self.store.latest(lead_id)
        if last is not None and last.email is not None and last.email.domain:
            domains.add(last.email.domain)
        # Research first: forgetting the domain then empties the caches its erasure read.
        self.researcher.erase(lead_id)
        for domain in domains:
            forget_domain(self.pipeline.validator, domain)
        with self._lock:
            writers = list(self._writers)
            for batch_pass in self._passes:
                batch_pass.forget(lead_id)
        # Outside the agent's lock: a writer saving a group holds its own lock until done.
        for writer in writers:
            writer.drop(lead_id)
        self._detector.normalizer.clear_caches()
        clear_text_caches()
        with self._lock:
            if lead_id in self._queued:
                self._queued.discard(lead_id)
                self._queue = [q for q in self._queue if q[2] != lead_id]
                heapq.heapify(self._queue)
            if self._index is not None:
                self._index.remove(lead_id)

    def _duplicates_of(self, lead: Lead) -> list[DuplicateRef]:
        batch = _BATCH_DUPLICATES.get()
        with self._lock:
            found = batch.refs(lead.id, self) if batch is not None else None
            if found is not None:
                return found
            if self._index is None:
                self._index = self._detector.index(list(self.source.leads()))
            index = self._index
            # The lead as it is now: an update since the index was built changes its candidates.
            index.upsert(lead)
        return duplicate_refs(index, lead)

    def _consent_seen(self, insight: LeadInsight) -> Consent:
        return self.consent_for(insight.owner_id)

    async def _reconcile(
        self,
        lead_id: str,
        now: datetime,
        *,
        force: bool = False,
        writer: _GroupWriter | None = None,
        new: bool = False,
    ) -> tuple[LeadInsight, bool]:
        context = build_context(self.source, lead_id)
        # ``new``: the caller knows nothing is stored for the lead (a conflict on saving
        # still catches an insight stored meanwhile).
        previous = None if new else self.store.latest(lead_id)
        reasons: dict[Stage, str] = {}
        if previous is None or force:
            todo = frozenset(STAGES)
            # Every stage runs; the last outputs only serve what compares with them (research's
            # report of what changed since).
            before = StageOutputs.from_insight(previous) if previous is not None else None
        else:
            last = self.store.latest_audit(lead_id)
            snapshot = last.context if last is not None else None
            changed = (
                changed_inputs(snapshot, context) if snapshot is not None else frozenset({"*"})
            )
            todo = stages_to_run(changed) if "*" not in changed else frozenset(STAGES)
            if previous.config_hash != self.config_hash:
                todo |= frozenset(s for s in STAGES if s != "email")
                reasons.update(dict.fromkeys(STAGES, "the configuration changed"))
            if changed:
                shown = ", ".join(sorted(changed)[:6])
                reasons.update({s: f"changed: {shown}" for s in todo if s not in reasons})
            before = StageOutputs.from_insight(previous)
            if not todo:
                with self._lock:
                    self._unchanged += 1
                return previous, False
        consent = self.consent_for(context.lead.owner_id)
        out = await self.pipeline.run(
            context, todo, before, now=now, consent=consent, reasons=reasons
        )
        became_valid = before is not None and "email" in todo and _became_valid(before, out)
        if became_valid and todo != frozenset(STAGES):
            # A usable address opens outreach and research that had nothing to work with.
            rest = frozenset(STAGES) - {"email"}
            out = await self.pipeline.run(
                context,
                rest,
                out,
                now=now,
                consent=consent,
                reasons=dict.fromkeys(rest, "the email address became valid"),
            )
        insight = self._conclude(context, out, previous, now)
        audit = AuditRecord(
            lead_id=lead_id,
            insight_version=insight.version,
            recorded_at=now,
            config_hash=self.config_hash,
            model_version=insight.model_version,
            sources=tuple(sorted({s for r in insight.stages for s in r.sources})),
            context=context,
            email=out.email,
            research=out.research,
            duplicates=out.duplicates,
        )
        if writer is not None:
            writer.add(insight, audit)
        else:
            self.store.save(insight, audit)
        with self._lock:
            self._budget.roll(now, self.researcher.provider_calls)
            self._processed += 1
            self._budget.leads += 1
            for stage, run in out.runs.items():
                tally = self._counters[stage]
                tally[run.status] += 1
                tally["seconds"] += out.seconds.get(stage, 0.0)
        logger.info(
            "lead %s processed: insight v%d, stages run %s",
            lead_id,
            insight.version,
            ",".join(s for s in STAGES if out.runs[s].status == "ran"),
        )
        return insight, True

    def _conclude(
        self, context: LeadContext, out: StageOutputs, previous: LeadInsight | None, now: datetime
    ) -> LeadInsight:
        lead = context.lead
        handoff: Literal["owner", "round_robin", "review", "unassigned"] | None = None
        assigned: str | None = None
        action = out.next_action
        if action is not None and action.suggest_disqualify and lead.status is LeadStatus.OPEN:
            handoff = "review"
            # Read even for a lead with nothing stored when the batch began: another process may
            # have concluded it and a supervisor resolved its review since; that stands.
            existing = self.store.review(lead.id)
            if existing is None:
                reason = action.reasons[0] if action.reasons else "the agent suggests disqualifying"
                self.store.put_review(ReviewItem(lead_id=lead.id, reason=reason, proposed_at=now))
        elif out.rating is not None and out.rating.rating == "Hot":
            if lead.owner_id:
                handoff, assigned = "owner", lead.owner_id
            elif (
                previous is not None and previous.handoff == "round_robin" and previous.assigned_to
            ):
                handoff, assigned = "round_robin", previous.assigned_to
            elif self.config.team_access.unowned_team:
                team = self.config.team_access.unowned_team
                members = self._access_rules().team_members(team)
                if members:
                    handoff, assigned = "round_robin", self.store.next_turn(team, members)
                else:
                    handoff = "unassigned"
            else:
                handoff = "unassigned"
        return LeadInsight(
            lead_id=lead.id,
            owner_id=lead.owner_id,
            version=(previous.version + 1) if previous is not None else 1,
            refreshed_at=now,
            email=out.email,
            research=out.research,
            icp_fit=out.icp_fit,
            handraiser=out.handraiser,
            rating=out.rating,
            score=out.score,
            duplicates=out.duplicates,
            next_action=out.next_action,
            draft=out.draft,
            card=seller_card(context, out),
            handoff=handoff,
            assigned_to=assigned,
            selected=self._selected(lead, now),
            stages=tuple(out.runs[s] for s in STAGES),
            config_hash=self.config_hash,
            model_version=out.score.model if out.score is not None else None,
        )


def _fold_duplicates(
    order: Sequence[str], stored: dict[str, InsightSummary]
) -> dict[str, list[str]]:
    """Group lead ids that are the same person (by their insights' duplicates, in both
    directions); the best-ranked of each group heads it. Returns head -> the others."""
    present = set(order)
    parent = {lead_id: lead_id for lead_id in order}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for lead_id in order:
        summary = stored.get(lead_id)
        for other in summary.duplicate_leads if summary else ():
            if other in present:
                a, b = root(lead_id), root(other)
                if a != b:
                    parent[b] = a
    heads: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    for lead_id in order:  # best rank first, so the first of a group heads it
        r = root(lead_id)
        if r not in heads:
            heads[r] = lead_id
            groups[lead_id] = []
        else:
            groups[heads[r]].append(lead_id)
    return groups


def _grouped(lead_ids: Sequence[str], stored: dict[str, InsightSummary]) -> set[str]:
    """The leads among ``lead_ids`` that are in a group of the same person (with another of
    them), whichever their order."""
    return {
        lead_id
        for head, others in _fold_duplicates(lead_ids, stored).items()
        if others
        for lead_id in (head, *others)
    }


def _became_valid(before: StageOutputs, after: StageOutputs) -> bool:
    was = before.email is not None and before.email.is_valid
    now = after.email is not None and after.email.is_valid
    return now and not was


def _brief(value: object) -> str:
    if value is None:
        return "none"
    for attribute in ("rating", "kind", "tier", "score", "segment", "subject"):
        found = getattr(value, attribute, None)
        if found is not None:
            return str(found)
    return type(value).__name__
