"""What the agent keeps between calls stays true to the CRM: a batch finds the same duplicates as
one lead at a time, an edited lead is compared by what it says now, an erased lead leaves nothing
behind in research or the index, and consent recorded elsewhere is seen within a second."""

from __future__ import annotations

import asyncio
import pathlib
from datetime import timedelta
from typing import Any

import pytest

from leadqual.agent import LeadUpdated
from leadqual.agent import agent as agent_module
from leadqual.errors import ConfigurationError, StoreError
from leadqual.sources import MemorySource, SampleData
from leadqual.store import MemoryInsightStore, SqlInsightStore
from leadqual.testing.research import FakeResearchProvider

from .conftest import MakeAgent


def _dups(insight: object) -> set[tuple[str, str]]:
    return {(d.record_id, d.rule) for d in insight.duplicates}  # type: ignore[attr-defined]


def test_a_large_batch_finds_the_duplicates_one_lead_at_a_time_finds(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    ids = [lead.id for lead in sample_data.crm.leads]
    assert len(ids) >= 4 * 32  # large enough for the one-pass path
    batch = {i.lead_id: _dups(i) for i in make_agent().process_many(ids, now=sample_data.as_of)}
    single = make_agent()
    paired = [i for i in ids if batch[i]]
    assert len(paired) >= 10  # the sample's duplicate pairs, both sides
    for lead_id in paired + ids[:20]:
        assert _dups(single.process(lead_id, now=sample_data.as_of)) == batch[lead_id], lead_id


def test_an_edited_lead_is_compared_by_what_it_says_now(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    now = sample_data.as_of
    before = agent.process("L-0171", now=now)
    other = sample_source.get_lead("L-0202")
    assert "L-0202" not in {d.record_id for d in before.duplicates}
    # Someone types the other lead's address and name into this one.
    sample_source.add(
        sample_source.get_lead("L-0171").replace(
            email="maria.garcia@meridianwealth.mx",
            first_name=other.first_name,
            last_name=other.last_name,
        )
    )
    sample_source.add(other.replace(email="maria.garcia@meridianwealth.mx"))
    later = now + timedelta(minutes=1)
    agent.handle(LeadUpdated(lead_id="L-0202", occurred_at=later), now=later)
    (after,) = agent.handle(LeadUpdated(lead_id="L-0171", occurred_at=later), now=later).insights
    assert "L-0202" in {d.record_id for d in after.duplicates}
    # and the other side sees it too once asked again
    again = agent.process("L-0202", now=later, force=True)
    assert "L-0171" in {d.record_id for d in again.duplicates}


def test_erasure_leaves_nothing_in_research_or_the_duplicate_index(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent(
        {"consent": {"web_research": True, "read_emails": True}},
        providers=[FakeResearchProvider("news")],
    )
    agent.process_many(["L-0190", "L-0249"], now=sample_data.as_of)  # one person, twice
    assert agent.researcher.cache.company_keys("L-0190")
    agent.erase("L-0190")
    assert not agent.researcher.cache.company_keys("L-0190")
    assert agent.researcher.cache.lead("L-0190") is None
    again = agent.process("L-0249", now=sample_data.as_of, force=True)
    assert "L-0190" not in {d.record_id for d in again.duplicates}


def test_the_agent_keeps_no_second_copy_of_each_leads_research(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    agent = make_agent()
    first = agent.process("L-0171", now=sample_data.as_of)
    assert agent.researcher.cache.lead("L-0171") is None
    later = agent.process("L-0171", now=sample_data.as_of + timedelta(days=40), force=True)
    # The change report still compares with the last research, read from the stored insight.
    assert first.research is not None and later.research is not None
    assert later.research.diff.first_research is False
    assert later.research.diff.previous_at == first.research.researched_at


def test_consent_recorded_by_another_process_is_seen_within_the_recheck_interval(
    make_agent: MakeAgent, sample_data: SampleData, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(agent_module.time, "monotonic", lambda: clock[0])
    config = {"consent": {"web_research": True, "read_emails": True}}
    one = make_agent(config)
    other = make_agent(config, store=one.store)  # another process sharing the store
    assert one.consent_for("S-01").web_research
    other.revoke_consent("S-01", now=sample_data.as_of)
    assert other.consent_for("S-01").web_research is False  # at once where it was recorded
    clock[0] += agent_module.CONSENT_RECHECK_SECONDS / 2
    assert one.consent_for("S-01").web_research  # kept for a moment
    clock[0] += agent_module.CONSENT_RECHECK_SECONDS
    assert one.consent_for("S-01").web_research is False


@pytest.mark.parametrize(("durability", "level"), [("normal", 1), ("full", 2)])
def test_sqlite_durability_is_what_was_asked_for(
    tmp_path: pathlib.Path, durability: str, level: int
) -> None:
    store = SqlInsightStore.sqlite(tmp_path / "i.db", durability=durability)  # type: ignore[arg-type]
    with store._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == level
    store.close()


def test_an_unknown_durability_is_refused(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ConfigurationError, match="durability"):
        SqlInsightStore.sqlite(tmp_path / "i.db", durability="fast")  # type: ignore[arg-type]


def test_run_batch_counts_what_it_did_and_keeps_insights_in_the_store_only(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    ids = [lead.id for lead in sample_data.crm.leads][:80]
    sample_source.remove_lead(ids[5])
    report = agent.run_batch([*ids, ids[0]], now=sample_data.as_of)
    assert report.leads == 80 and report.processed == 79 and report.unchanged == 0
    assert report.missing == (ids[5],) and report.seconds > 0
    assert {i.lead_id for i in agent.store.insights()} == set(ids) - {ids[5]}
    again = agent.run_batch(ids, now=sample_data.as_of)
    assert again.processed == 0 and again.unchanged == 79


class _FailingGroups(MemoryInsightStore):
    """A store whose second group save fails, as a disk or connection would."""

    def __init__(self) -> None:
        super().__init__()
        self.groups = 0

    def save_many(self, items: Any, /, *, batch_id: str | None = None) -> None:
        self.groups += 1
        if self.groups == 2:
            raise StoreError("the disk is full")
        super().save_many(items, batch_id=batch_id)


def test_a_batch_that_fails_half_way_keeps_what_was_saved_and_resumes(
    make_agent: MakeAgent, sample_data: SampleData
) -> None:
    store = _FailingGroups()
    agent = make_agent(store=store, max_concurrency=4)
    ids = [lead.id for lead in sample_data.crm.leads][:150]
    with pytest.raises(StoreError, match="disk is full"):
        agent.run_batch(ids, now=sample_data.as_of, batch_id="nightly")
    saved = {i.lead_id for i in store.insights()}
    assert len(saved) >= 64  # the first group
    left = list(store.pending("nightly"))
    assert set(left) == set(ids) - saved  # nothing marked done that was not saved
    report = agent.run_batch(ids, now=sample_data.as_of, batch_id="nightly")
    assert report.resumed == len(saved) and report.processed == len(left)
    assert {i.lead_id for i in store.insights()} == set(ids)
    assert list(store.pending("nightly")) == []


def test_a_large_batch_does_not_leave_its_duplicates_behind_for_later_calls(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    ids = [lead.id for lead in sample_data.crm.leads]

    async def flow() -> set[str]:
        await agent.aprocess_many(ids, now=sample_data.as_of)
        # In the same task: L-0171 now carries L-0202's address, so they are duplicates.
        sample_source.add(
            sample_source.get_lead("L-0171").replace(email="maria.garcia@meridianwealth.mx")
        )
        sample_source.add(
            sample_source.get_lead("L-0202").replace(email="maria.garcia@meridianwealth.mx")
        )
        await agent.aprocess("L-0202", now=sample_data.as_of, force=True)
        later = await agent.aprocess("L-0171", now=sample_data.as_of, force=True)
        return {d.record_id for d in later.duplicates}

    assert "L-0202" in asyncio.run(flow())


def test_erasure_forgets_the_cached_dns_verdict_of_the_leads_domain(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource
) -> None:
    agent = make_agent()
    agent.process("L-0171", now=sample_data.as_of)
    domain = (sample_source.get_lead("L-0171").email or "").rpartition("@")[2]
    validator = agent.pipeline.validator
    assert validator._cache.get(domain) is not None
    agent.erase("L-0171")
    assert validator._cache.get(domain) is None
