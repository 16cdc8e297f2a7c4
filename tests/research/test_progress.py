"""Researching a batch reports each lead as it finishes; a callback that stops the batch cancels
the research still running, as an error does."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.config import AgentConfig, Consent
from leadqual.errors import ConfigurationError
from leadqual.research import Researcher
from leadqual.sources import MemorySource, SampleData, load_sample, load_sample_config
from leadqual.testing.research import FakeResearchProvider

CONFIG = load_sample_config().replace(consent=Consent(web_research=True, granted_by="admin"))
LEAD_IDS = sorted(lead.id for lead in load_sample().leads())[:40]


def researcher(source: MemorySource, *, latency: float = 0.0) -> Researcher:
    return Researcher(
        config=CONFIG, source=source, providers=[FakeResearchProvider("web", latency=latency)]
    )


@settings(max_examples=25, deadline=None)
@given(ids=st.lists(st.sampled_from(LEAD_IDS), max_size=12), latency=st.sampled_from([0, 0.001]))
def test_each_lead_is_reported_once_as_it_finishes(
    progress_log: Any, sample_data: SampleData, ids: list[str], latency: float
) -> None:
    log = progress_log()
    found = researcher(load_sample(), latency=latency).research_many(
        ids, now=sample_data.as_of, progress=log
    )
    assert [r.lead_id for r in found] == ids
    if not ids:
        assert log.reports == [(0, 0, "researched 0 leads")]
        return
    assert log.check() == len(ids)
    assert log.dones == list(range(len(ids) + 1))  # one report per lead, none skipped
    # every lead is named once, whichever order they finished in
    assert sorted(label for _, _, label in log.reports[1:]) == sorted(ids)


def test_the_async_twin_reports_the_same_way(
    progress_log: Any, sample_source: MemorySource, sample_data: SampleData
) -> None:
    log = progress_log()
    ids = LEAD_IDS[:5]
    found = asyncio.run(
        researcher(sample_source).aresearch_many(ids, now=sample_data.as_of, progress=log)
    )
    assert [r.lead_id for r in found] == ids
    assert log.check() == 5
    assert log.reports[0] == (0, 5, "researching")


def test_a_callback_that_stops_the_batch_cancels_the_research_still_running(
    progress_log: Any, stop_reporting: type[Exception], sample_data: SampleData
) -> None:
    source = load_sample()
    web = FakeResearchProvider("web", latency=0.05)
    r = Researcher(config=CONFIG, source=source, providers=[web])
    ids = LEAD_IDS[:20]
    log = progress_log(stop_at=2)  # the first lead finished

    async def stop_then_look() -> list[str]:
        with pytest.raises(stop_reporting):
            await r.aresearch_many(ids, now=sample_data.as_of, progress=log)
        # provider calls are shared between callers and shielded: they may finish; no lead's
        # research may go on
        left = [
            t.get_coro().__qualname__  # type: ignore[union-attr]
            for t in asyncio.all_tasks()
            if not t.done() and t is not asyncio.current_task()
        ]
        await asyncio.sleep(0.2)  # longer than the provider takes
        return [name for name in left if "Researcher" in name]

    assert asyncio.run(stop_then_look()) == []
    assert len(log.reports) == 2  # nothing reported after the stop
    researched = [i for i in ids if r.cache.lead(i) is not None]
    assert 1 <= len(researched) < len(ids)  # the rest was cancelled, not finished unseen
    assert log.reports[1][2] in researched


@pytest.mark.parametrize("progress", [True, "bar"])
def test_a_progress_that_cannot_be_called_is_refused(
    progress: Any, sample_config: AgentConfig, sample_source: MemorySource
) -> None:
    r = researcher(sample_source)
    with pytest.raises(ConfigurationError, match="progress must be a callable"):
        r.research_many(["L-0001"], progress=progress)
    with pytest.raises(ConfigurationError, match="progress must be a callable"):
        asyncio.run(r.aresearch_many(["L-0001"], progress=progress))
