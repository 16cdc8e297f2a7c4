"""A batch sets the heap that exists when it starts aside from the cycle collector while it runs,
and leaves the collector as it found it: after the batch, after a batch that failed, and when
the application had frozen objects itself or switched the collector off."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from leadqual.agent import QualificationAgent
from leadqual.errors import StoreError
from leadqual.models import Seller
from leadqual.sources import MemorySource, SampleData
from leadqual.store import MemoryInsightStore

from .conftest import MakeAgent


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector as a test found it, put back whatever the test does."""
    enabled, thresholds = gc.isenabled(), gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        (gc.enable if enabled else gc.disable)()


def _ids(sample_data: SampleData, n: int) -> list[str]:
    return [lead.id for lead in sample_data.crm.leads][:n]


def test_a_batch_sets_the_heap_aside_while_it_runs_and_gives_it_back(
    make_agent: MakeAgent, sample_data: SampleData, collector: None
) -> None:
    agent = make_agent()
    thresholds = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    frozen_during: list[int] = []
    agent.run_batch(
        _ids(sample_data, 40),
        now=sample_data.as_of,
        progress=lambda done, total, lead: frozen_during.append(gc.get_freeze_count()),
    )
    assert len(frozen_during) == 40
    assert min(frozen_during) > 1000  # the CRM, the models and the caches, not a handful
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds and gc.isenabled()


def test_one_lead_or_a_small_batch_leaves_the_collector_alone(
    make_agent: MakeAgent, sample_data: SampleData, collector: None
) -> None:
    agent = make_agent()
    seen: list[int] = []
    agent.process_many(
        _ids(sample_data, 5),
        now=sample_data.as_of,
        progress=lambda done, total, lead: seen.append(gc.get_freeze_count()),
    )
    assert seen == [0] * 5


def test_a_batch_that_fails_gives_the_heap_back(
    make_agent: MakeAgent, sample_data: SampleData, collector: None
) -> None:
    class Broken(MemoryInsightStore):
        def save_many(self, items: object, /, *, batch_id: str | None = None) -> None:
            raise StoreError("the disk is full")

    agent = make_agent(store=Broken())
    with pytest.raises(StoreError, match="disk is full"):
        agent.run_batch(_ids(sample_data, 80), now=sample_data.as_of)
    assert gc.get_freeze_count() == 0

    def stop(done: int, total: int, lead: str) -> None:
        if done == 10:
            raise RuntimeError("the caller gave up")

    with pytest.raises(RuntimeError, match="gave up"):
        make_agent().run_batch(_ids(sample_data, 80), now=sample_data.as_of, progress=stop)
    assert gc.get_freeze_count() == 0


def test_objects_the_application_froze_stay_frozen(
    make_agent: MakeAgent, sample_data: SampleData, collector: None
) -> None:
    agent = make_agent()
    gc.freeze()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    agent.run_batch(_ids(sample_data, 40), now=sample_data.as_of)
    # Not undone by the batch (an unfreeze would have put them back to the collector).
    assert gc.get_freeze_count() >= frozen


def test_a_collector_switched_off_stays_off_and_nothing_is_frozen(
    make_agent: MakeAgent, sample_data: SampleData, collector: None
) -> None:
    agent = make_agent()
    gc.disable()
    seen: list[int] = []
    agent.run_batch(
        _ids(sample_data, 40),
        now=sample_data.as_of,
        progress=lambda done, total, lead: seen.append(gc.get_freeze_count()),
    )
    assert set(seen) == {0}
    assert not gc.isenabled()


def _recording_rank(agent: QualificationAgent, seen: list[int]) -> None:
    rank = agent.prioritizer.rank

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_freeze_count())
        return rank(*args, **kwargs)

    agent.prioritizer.rank = recording  # type: ignore[method-assign]


def test_a_long_ranked_list_sets_the_heap_aside_and_gives_it_back(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource, collector: None
) -> None:
    sample_source.add(Seller(id="S-11", name="Ada Admin", roles=("System Administrator",)))
    agent = make_agent()
    seen: list[int] = []
    _recording_rank(agent, seen)
    view = agent.prioritized("S-11", now=sample_data.as_of)  # every lead: far over a batch
    assert len(view.entries) >= 32
    assert seen and min(seen) > 1000  # the CRM, the models and the caches, not a handful
    assert gc.get_freeze_count() == 0

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ranking failed")

    agent.prioritizer.rank = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="ranking failed"):
        agent.prioritized("S-11", now=sample_data.as_of)
    assert gc.get_freeze_count() == 0


def test_a_short_ranked_list_leaves_the_collector_alone(
    make_agent: MakeAgent, sample_data: SampleData, sample_source: MemorySource, collector: None
) -> None:
    listed = make_agent().prioritized("S-01", now=sample_data.as_of).entries[:3]
    sample_source.add(Seller(id="S-12", name="Sam Small", roles=("Salesperson",)))
    for entry in listed:
        sample_source.add(sample_source.get_lead(entry.lead_id).replace(owner_id="S-12"))
    agent = make_agent()
    seen: list[int] = []
    _recording_rank(agent, seen)
    view = agent.prioritized("S-12", now=sample_data.as_of)
    assert 0 < len(view.entries) <= 3
    assert seen and set(seen) == {0}
