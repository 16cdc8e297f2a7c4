"""A provider written before the protocol's method was named ``aresearch`` (``async def research``)
keeps working for one release: wherever providers are accepted it is adapted, with one
DeprecationWarning, raised at construction, that says what to rename."""

from __future__ import annotations

import asyncio
import sys
import types
import warnings
from datetime import UTC, datetime
from importlib import metadata

import pytest

from leadqual.config import AgentConfig, Consent
from leadqual.errors import ConfigurationError, PluginError
from leadqual.models import Lead, LeadContext
from leadqual.research.providers import (
    ENTRY_POINT_GROUP,
    CompanyQuery,
    ProviderRegistry,
    ResearchProvider,
    ResearchResult,
)
from leadqual.research.researcher import Researcher

LEAD = Lead(
    id="L-1",
    company_name="Contoso Ltd",
    website="contoso.com",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
)


class OldStyle:
    """Written against the old protocol: ``research``, no ``aresearch``."""

    name = "old"
    external = False  # so it runs without consent: proves the adapter forwards its options

    def __init__(self) -> None:
        self.calls: list[CompanyQuery] = []

    async def research(self, company: CompanyQuery, /) -> ResearchResult:
        self.calls.append(company)
        return ResearchResult(provider=self.name, notes=("answered by the old method",))


class NewStyle:
    name = "new"

    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        return ResearchResult(provider=self.name)


class Neither:
    name = "neither"

    async def lookup(self, company: CompanyQuery, /) -> ResearchResult:
        return ResearchResult(provider=self.name)


class SyncResearch:
    name = "sync"

    def research(self, company: CompanyQuery, /) -> ResearchResult:
        return ResearchResult(provider=self.name)


def _deprecations(seen: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    return [w for w in seen if issubclass(w.category, DeprecationWarning)]


def test_an_old_style_provider_warns_once_at_construction_naming_the_rename(
    sample_config: AgentConfig,
) -> None:
    old = OldStyle()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        researcher = Researcher(config=sample_config, providers=[old])
    [warning] = _deprecations(seen)
    message = str(warning.message)
    assert "OldStyle" in message
    assert "rename `async def research` to `async def aresearch`" in message
    assert warning.filename == __file__  # the user's line, not the package's

    with warnings.catch_warnings(record=True) as later:
        warnings.simplefilter("always")
        first = researcher.research(LeadContext(lead=LEAD))
        second = researcher.research(LeadContext(lead=LEAD), force=True)
    assert _deprecations(later) == []  # once, at construction: never per call
    for res in (first, second):
        status = res.status("old")
        assert status is not None and status.state == "empty"
        assert status.detail == "answered by the old method"
        assert status.external is False
    assert [q.name for q in old.calls] == ["Contoso Ltd", "Contoso Ltd"]


def test_the_adapted_provider_forwards_the_options_the_runner_reads(
    sample_config: AgentConfig,
) -> None:
    class Capped(OldStyle):
        depends_on = ("new",)
        max_concurrency = 1

    capped = Capped()
    with pytest.warns(DeprecationWarning, match="aresearch"):
        researcher = Researcher(config=sample_config, providers=[capped, NewStyle()])
    [adapted, _] = researcher.providers
    assert isinstance(adapted, ResearchProvider)
    assert adapted.name == "old"
    assert getattr(adapted, "depends_on", None) == ("new",)
    assert getattr(adapted, "max_concurrency", None) == 1
    assert repr(adapted) == repr(capped)


def test_a_new_style_provider_is_taken_as_it_is_without_a_warning(
    sample_config: AgentConfig,
) -> None:
    new = NewStyle()
    researcher = Researcher(config=sample_config, providers=[new])  # warnings are errors here
    assert researcher.providers == (new,)


def test_a_provider_with_both_names_is_a_new_style_one(sample_config: AgentConfig) -> None:
    class Both(NewStyle):
        async def research(self, company: CompanyQuery, /) -> ResearchResult:
            raise AssertionError("the old name must not be called")

    both = Both()
    consented = sample_config.replace(consent=Consent(web_research=True, granted_by="admin"))
    res = Researcher(config=consented, providers=[both]).research(LeadContext(lead=LEAD))
    assert res.status("new").state == "empty"  # type: ignore[union-attr]


@pytest.mark.parametrize("provider", [Neither(), SyncResearch(), object()])
def test_an_object_that_is_no_provider_is_refused_naming_aresearch(
    sample_config: AgentConfig, provider: object
) -> None:
    with pytest.raises(ConfigurationError, match=r"async def aresearch\(self, company, /\)"):
        Researcher(config=sample_config, providers=[provider])  # type: ignore[list-item]


def _registry_with(monkeypatch: pytest.MonkeyPatch, cls: type) -> ProviderRegistry:
    module = types.ModuleType("lq_test_old_style_plugin")
    module.Plugin = cls  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    ep = metadata.EntryPoint(
        name="plug", value=f"{module.__name__}:Plugin", group=ENTRY_POINT_GROUP
    )
    return ProviderRegistry(load_plugins=True, include_builtins=False, entry_points=[ep])


def test_an_old_style_plugin_loads_with_one_warning_and_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = _registry_with(monkeypatch, OldStyle)
    with pytest.warns(DeprecationWarning, match="rename `async def research`") as seen:
        provider = registry.create("plug")
    assert len(_deprecations(list(seen))) == 1
    result = asyncio.run(provider.aresearch(CompanyQuery(name="Contoso")))
    assert result.provider == "old" and result.notes == ("answered by the old method",)


def test_a_new_style_plugin_loads_without_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = _registry_with(monkeypatch, NewStyle).create("plug")
    assert isinstance(provider, NewStyle)


@pytest.mark.parametrize("cls", [Neither, SyncResearch])
def test_a_plugin_with_neither_method_is_a_plugin_error_naming_aresearch(
    monkeypatch: pytest.MonkeyPatch, cls: type
) -> None:
    with pytest.raises(PluginError, match=r"async def aresearch") as info:
        _registry_with(monkeypatch, cls).create("plug")
    assert info.value.entry_point == "plug"
