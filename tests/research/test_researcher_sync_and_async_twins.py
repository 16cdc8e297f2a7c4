"""Researcher: ``aresearch`` is the async method, ``research`` its sync twin; ``research_sync``
still works for one release with a warning; the old import paths of the split module still work."""

from __future__ import annotations

import asyncio
import importlib

import pytest

from leadqual.config import AgentConfig
from leadqual.research import Researcher
from leadqual.sources import MemorySource, SampleData
from leadqual.testing.research import FakeResearchProvider


def make(config: AgentConfig, source: MemorySource) -> Researcher:
    return Researcher(config=config, source=source, providers=[FakeResearchProvider("web")])


def test_research_is_sync_and_aresearch_is_async(
    sample_config: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    r = make(sample_config, sample_source)
    sync = r.research("L-0001", now=sample_data.as_of)
    assert not asyncio.iscoroutine(sync)
    awaited = asyncio.run(r.aresearch("L-0001", now=sample_data.as_of))
    assert sync.fingerprint == awaited.fingerprint
    many = r.research_many(["L-0001", "L-0002"], now=sample_data.as_of)
    assert [x.lead_id for x in many] == ["L-0001", "L-0002"]


def test_research_sync_is_a_deprecated_alias(
    sample_config: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    r = make(sample_config, sample_source)
    with pytest.warns(DeprecationWarning, match=r"call research\(\)"):
        old = r.research_sync("L-0001", now=sample_data.as_of)
    assert old.lead_id == "L-0001"


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("Authorization", "leadqual.research.consent"),
        ("Citation", "leadqual.research.citations"),
        ("RankedNews", "leadqual.research.results"),
        ("MergedField", "leadqual.research.results"),
        ("FieldSource", "leadqual.research.results"),
    ],
)
def test_names_that_left_researcher_py_import_from_there_with_a_warning(
    name: str, home: str
) -> None:
    old = importlib.import_module("leadqual.research.researcher")
    with pytest.warns(DeprecationWarning, match=f"import it from {home}"):
        value = getattr(old, name)
    assert value is getattr(importlib.import_module(home), name)


def test_every_builtin_provider_entry_point_is_a_name_of_leadqual_research() -> None:
    from importlib import metadata

    import leadqual.research

    for ep in metadata.entry_points(group="leadqual.research_providers"):
        if not ep.value.startswith("leadqual."):
            continue
        attribute = ep.value.partition(":")[2]
        assert attribute in leadqual.research.__all__, attribute
        assert getattr(leadqual.research, attribute) is ep.load()
