"""A batch shares the agent and the store with the rest of the world: an erasure, another
process concluding the same leads, a supervisor resolving a review, a consent withdrawn, or one
lead failing must each leave the store and the caches in the state the world asked for."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from leadqual._domains import ascii_domain
from leadqual._text import fold
from leadqual.insight import ConsentRecord, ReviewItem
from leadqual.models import Lead
from leadqual.sources import MemorySource, SampleData
from leadqual.store import MemoryInsightStore
from leadqual.testing.research import FakeResearchProvider

from .conftest import MakeAgent


def _ids(sample_data: SampleData, n: int) -> list[str]:
    return [lead.id for lead in sample_data.crm.leads][:n]


def test_a_lead_erased_while_its_insight_waits_in_a_group_is_never_written(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent()
    ids = _ids(sample_data, 100)
    erased: list[str] = []

    def progress(done: int, total: int, lead_id: str) -> None:
        # Concluded and queued (a group holds 64), not yet written: the erasure comes now.
        if done == 10:
            erased.append(lead_id)
            agent.erase(lead_id)

    report = agent.run_batch(ids, now=sample_data.as_of, progress=progress)
    (gone,) = erased
    assert agent.store.latest(gone) is None
    assert agent.store.latest_audit(gone) is None
    assert report.erased == (gone,)
    assert report.processed == len(ids) - 1
    assert {i.lead_id for i in agent.store.insights()} == set(ids) - {gone}


def test_a_lead_erased_before_the_batch_reaches_it_is_not_stored(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent(max_concurrency=1)
    ids = _ids(sample_data, 40)
    late = ids[-1]

    def progress(done: int, total: int, lead_id: str) -> None:
        if done == 1:
            agent.erase(late)

    report = agent.run_batch(ids, now=sample_data.as_of, progress=progress)
    assert agent.store.latest(late) is None
    assert report.erased == (late,)
    # process_many does not hand back what it was asked to forget.
    again = make_agent(max_concurrency=1)

    def progress2(done: int, total: int, lead_id: str) -> None:
        if done == 1:
            again.erase(late)

    out = again.process_many(ids, now=sample_data.as_of, progress=progress2)
    assert late not in {i.lead_id for i in out}


class _FailsFor(MemorySource):
    """A CRM whose read of one lead breaks (a driver bug, not a typed error)."""

    broken = ""

    def get_lead(self, lead_id: str) -> Lead:
        if lead_id == self.broken:
            raise RuntimeError("driver crashed")
        return super().get_lead(lead_id)


def test_a_failing_lead_stops_the_batch_and_no_other_lead_goes_on_working(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    ids = _ids(sample_data, 30)
    source = _FailsFor.from_snapshot(sample_source.snapshot())
    assert isinstance(source, _FailsFor)
    source.broken = ids[3]
    slow = FakeResearchProvider("slow", latency=0.05, external=False)
    store = MemoryInsightStore()
    agent = make_agent(source=source, providers=[slow], store=store, max_concurrency=8)

    async def flow() -> tuple[int, int, int]:
        with pytest.raises(RuntimeError, match="driver crashed"):
            await agent.arun_batch(ids, now=sample_data.as_of, batch_id="b1")
        right_after = len(list(store.insights()))
        await asyncio.sleep(0.5)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return right_after, len(list(store.insights())), len(others)

    right_after, later, running = asyncio.run(flow())
    assert running == 0
    assert later == right_after
    # The resumed batch (the lead fixed) meets no conflict with a late conclusion.
    fixed = make_agent(source=sample_source, providers=[slow], store=store)
    report = fixed.run_batch(ids, now=sample_data.as_of, batch_id="b1")
    assert report.conflicts == ()
    assert report.resumed + report.processed == len(ids)


def test_a_lead_another_process_concluded_meanwhile_is_counted_not_raised(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    ids = _ids(sample_data, 80)
    contested = ids[70]
    theirs = make_agent(store=MemoryInsightStore()).process(contested, now=sample_data.as_of)
    agent = make_agent()

    def progress(done: int, total: int, lead_id: str) -> None:
        if done == 1:
            # The other process saves its version 1 after this batch saw nothing stored.
            agent.store.save(theirs, None)

    report = agent.run_batch(ids, now=sample_data.as_of, progress=progress, batch_id="n")
    assert report.conflicts == (contested,)
    assert report.processed == len(ids) - 1
    assert agent.store.latest(contested) == theirs
    assert list(agent.store.pending("n")) == []
    # process_many hands back the insight that stands, not the refused one.
    again = make_agent()

    def progress2(done: int, total: int, lead_id: str) -> None:
        if done == 1:
            again.store.save(theirs, None)

    out = {i.lead_id: i for i in again.process_many(ids, now=sample_data.as_of, progress=progress2)}
    assert out[contested] == theirs


def test_a_review_resolved_elsewhere_is_not_reopened_by_a_batch(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    probe = make_agent()
    probe.activate(now=sample_data.as_of)
    lead_id = probe.review_list("S-05")[0].lead_id
    agent = make_agent()
    resolved = ReviewItem(
        lead_id=lead_id,
        reason="checked by hand",
        proposed_at=sample_data.as_of - timedelta(days=1),
        status="confirmed",
        resolved_by="S-05",
        resolved_at=sample_data.as_of - timedelta(hours=1),
    )
    # Nothing stored for the lead when the batch starts; the resolution lands meanwhile.
    agent.store.put_review(resolved)
    agent.run_batch(_ids(sample_data, 200), now=sample_data.as_of)
    assert agent.store.review(lead_id) == resolved


def test_a_withdrawal_recorded_during_a_read_is_not_overwritten_by_the_stale_read(
    make_agent: MakeAgent, sample_data: SampleData, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = make_agent({"consent": {"web_research": True, "read_emails": True}})
    granted = ConsentRecord(
        seller_id="S-01",
        web_research=True,
        read_emails=True,
        recorded_at=sample_data.as_of - timedelta(days=3),
    )
    reads: list[int] = []
    real = agent.store.consent

    def slow_read(seller_id: str) -> Any:
        if seller_id == "S-01" and not reads:
            reads.append(1)
            # The read saw the grant; before it returns, the seller withdraws.
            agent.revoke_consent("S-01", now=sample_data.as_of)
            return granted
        return real(seller_id)

    monkeypatch.setattr(agent.store, "consent", slow_read)
    assert agent.consent_for("S-01").web_research is False
    assert agent.consent_for("S-01").web_research is False  # and the cache holds the withdrawal


def test_erasure_empties_the_caches_that_hold_addresses_and_names(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent()
    agent.process_many(_ids(sample_data, 40), now=sample_data.as_of)
    normalizer = agent._detector.normalizer
    assert normalizer.email.cache_info().currsize > 0  # type: ignore[attr-defined]
    agent.erase(_ids(sample_data, 1)[0])
    for cached in (normalizer.email, normalizer.phone, normalizer.company, normalizer.domain):
        assert cached.cache_info().currsize == 0  # type: ignore[attr-defined]
    assert ascii_domain.cache_info().currsize == 0
    assert fold.cache_info().currsize == 0


def test_an_erased_lead_leaves_the_open_batch_pass(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent()
    ids = [lead.id for lead in sample_data.crm.leads]
    paired: dict[str, list[str]] = {}
    seen_passes: list[Any] = []

    def progress(done: int, total: int, lead_id: str) -> None:
        if done == 1:
            (batch_pass,) = agent._passes
            seen_passes.append(batch_pass)
            found = batch_pass.found or {}
            a = next(k for k, refs in found.items() if refs)
            paired[a] = [r.record_id for r in found[a]]
            for other in paired[a]:
                agent.erase(other)

    agent.process_many(ids, now=sample_data.as_of, progress=progress)
    (batch_pass,) = seen_passes
    gone = {o for others in paired.values() for o in others}
    assert batch_pass.found is not None
    assert not gone & set(batch_pass.found)
    assert all(r.record_id not in gone for refs in batch_pass.found.values() for r in refs)
    assert agent._passes == set()
