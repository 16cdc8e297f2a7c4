"""Entry-point registries for CRM sources and LLM clients (research providers: tests/research);
the built-ins are leadqual's own entry points, and the old import paths still work."""

from __future__ import annotations

import sys
import types
from importlib import metadata

import pytest

from leadqual.drafting.llm import llm_client_registry
from leadqual.errors import PluginError
from leadqual.plugins import CRM_SOURCES_GROUP, LLM_CLIENTS_GROUP
from leadqual.sources import MemorySource, SqliteSource
from leadqual.sources.registry import crm_source_registry


def _module(name: str, body: str) -> str:
    module = types.ModuleType(name)
    exec(body, module.__dict__)
    sys.modules[name] = module
    return name


def test_builtin_crm_sources_are_created_by_name() -> None:
    reg = crm_source_registry(load_plugins=False)
    assert reg.names() == ["dataverse", "memory", "sample", "sql", "sqlite", "tabular"]
    assert isinstance(reg.create("memory"), MemorySource)
    sqlite = reg.create("sqlite", ":memory:")
    assert isinstance(sqlite, SqliteSource)
    assert len(reg.create("sample").leads()) == 254


def test_installed_entry_points_match_the_builtins() -> None:
    for group, reg in (
        (CRM_SOURCES_GROUP, crm_source_registry(load_plugins=False)),
        (LLM_CLIENTS_GROUP, llm_client_registry(load_plugins=False)),
    ):
        declared = sorted(ep.name for ep in metadata.entry_points(group=group))
        assert declared == reg.names(), group
    # the package's own entry points are built-ins, not clashing plugins
    assert crm_source_registry().names() == [
        "dataverse",
        "memory",
        "sample",
        "sql",
        "sqlite",
        "tabular",
    ]


def test_a_crm_source_plugin_is_discovered_and_checked() -> None:
    mod = _module(
        "lq_test_crm_plugin",
        "from leadqual.sources import MemorySource\n"
        "def make(**kw):\n    return MemorySource()\n"
        "class NotASource:\n    pass\n",
    )
    good = metadata.EntryPoint(name="acme", value=f"{mod}:make", group=CRM_SOURCES_GROUP)
    bad = metadata.EntryPoint(name="junk", value=f"{mod}:NotASource", group=CRM_SOURCES_GROUP)
    reg = crm_source_registry(entry_points=[good, bad])
    assert {"acme", "junk"} <= set(reg.names())
    assert isinstance(reg.create("acme"), MemorySource)
    with pytest.raises(PluginError, match="CrmSource") as info:
        reg.create("junk")
    assert info.value.entry_point == "junk"


def test_unknown_plugin_names_the_available_ones() -> None:
    with pytest.raises(
        PluginError, match="no LLM client named 'gpt'; available: openai_compatible"
    ):
        llm_client_registry(load_plugins=False).create("gpt")


def test_the_openai_compatible_client_is_built_by_name() -> None:
    client = llm_client_registry(load_plugins=False).create(
        "openai_compatible", "http://localhost:11434/v1", model="llama3"
    )
    assert type(client).__name__ == "OpenAICompatibleClient"
    with pytest.raises(PluginError, match="could not be built"):
        llm_client_registry(load_plugins=False).create("openai_compatible")


@pytest.mark.parametrize(
    ("name", "home"),
    [("crm_source_registry", crm_source_registry), ("llm_client_registry", llm_client_registry)],
)
def test_the_registries_moved_out_of_plugins_still_import_with_a_warning(
    name: str, home: object
) -> None:
    import leadqual.plugins

    with pytest.warns(DeprecationWarning, match="import it from"):
        assert getattr(leadqual.plugins, name) is home


def test_an_llm_client_with_the_old_async_complete_still_registers_and_answers() -> None:
    import asyncio

    from leadqual.drafting.llm import LlmMessage, ask

    class OldClient:
        name = "old"

        async def complete(self, messages: object, /, **options: object) -> str:
            return "still works"

    reg = llm_client_registry(load_plugins=False)
    reg.register("old", OldClient)
    client = reg.create("old")
    with pytest.warns(DeprecationWarning, match="acomplete"):
        answer = asyncio.run(ask(client, [LlmMessage(role="user", content="hi")]))
    assert answer == "still works"


# -- an installed plugin named like a built-in ------------------------------------------------------


def _impostor_module() -> str:
    return _module(
        "lq_test_impostor",
        "from leadqual.research.providers import ResearchResult\n"
        "class Website:\n"
        "    name = 'website'\n"
        "    def __init__(self, *args, **kwargs):\n        pass\n"
        "    async def aresearch(self, company, /):\n"
        "        return ResearchResult(provider='impostor')\n",
    )


def test_an_installed_provider_named_like_a_builtin_is_refused_and_the_builtin_stays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from leadqual.research.providers import ProviderRegistry
    from leadqual.research.website import WebsiteProvider

    mod = _impostor_module()
    impostor = metadata.EntryPoint(
        name="website", value=f"{mod}:Website", group="leadqual.research_providers"
    )
    reg = ProviderRegistry(entry_points=[impostor])
    with caplog.at_level("WARNING", logger="leadqual.plugins"):
        factory = reg.factory("website")
    assert factory is WebsiteProvider
    assert reg.refused == {"website": f"{mod}:Website"}
    assert reg.names().count("website") == 1
    warning = caplog.records[-1].getMessage()
    assert "refused" in warning and f"overrides={{'website': '{mod}:Website'}}" in warning


@pytest.mark.parametrize("named_by", ["entry point value", "distribution"])
def test_a_plugin_named_in_overrides_replaces_the_builtin(named_by: str) -> None:
    from leadqual.research.providers import ProviderRegistry

    mod = _impostor_module()
    value = f"{mod}:Website"
    ep = metadata.EntryPoint(name="website", value=value, group="leadqual.research_providers")
    if named_by == "distribution":
        # An entry point read from an installed package knows its distribution.
        dist = types.SimpleNamespace(name="acme-research")
        ep = types.SimpleNamespace(name="website", value=value, dist=dist)  # type: ignore[assignment]
        chosen = "acme-research"
    else:
        chosen = value
    reg = ProviderRegistry(entry_points=[ep], overrides={"website": chosen})
    assert type(reg.create("website")).__name__ == "Website"
    assert reg.refused == {}


def test_an_override_naming_another_plugin_does_not_let_the_installed_one_in() -> None:
    from leadqual.research.providers import ProviderRegistry
    from leadqual.research.website import WebsiteProvider

    mod = _impostor_module()
    ep = metadata.EntryPoint(
        name="website", value=f"{mod}:Website", group="leadqual.research_providers"
    )
    reg = ProviderRegistry(entry_points=[ep], overrides={"website": "trusted_pkg.site:Site"})
    with pytest.raises(PluginError, match="no installed package registers it") as info:
        reg.names()
    assert info.value.entry_point == "website"
    assert reg.refused == {"website": f"{mod}:Website"}
    # the built-in is what the registry still holds
    assert reg.factory("website") is WebsiteProvider


def test_a_crm_source_plugin_named_like_a_builtin_source_is_refused() -> None:
    mod = _module(
        "lq_test_crm_impostor",
        "from leadqual.sources import MemorySource\ndef make(**kw):\n    return MemorySource()\n",
    )
    ep = metadata.EntryPoint(name="sqlite", value=f"{mod}:make", group=CRM_SOURCES_GROUP)
    reg = crm_source_registry(entry_points=[ep])
    assert isinstance(reg.create("sqlite", ":memory:"), SqliteSource)
    assert "sqlite" in reg.refused


def test_a_plugin_that_is_not_a_builtin_name_needs_no_override() -> None:
    mod = _impostor_module()
    ep = metadata.EntryPoint(
        name="acme_site", value=f"{mod}:Website", group="leadqual.research_providers"
    )
    from leadqual.research.providers import ProviderRegistry

    reg = ProviderRegistry(entry_points=[ep])
    assert type(reg.create("acme_site")).__name__ == "Website"


# -- a plugin that does not satisfy its protocol ----------------------------------------------------


def test_a_source_missing_methods_is_told_which() -> None:
    mod = _module(
        "lq_test_half_source",
        "class Half:\n"
        "    def get_lead(self, lead_id, /):\n        raise KeyError(lead_id)\n"
        "    def leads(self, **kw):\n        return []\n"
        "    notes = 'not callable'\n",
    )
    ep = metadata.EntryPoint(name="half", value=f"{mod}:Half", group=CRM_SOURCES_GROUP)
    with pytest.raises(PluginError) as info:
        crm_source_registry(entry_points=[ep]).create("half")
    message = str(info.value)
    lacking = message.split("lacks ")[1].split(";")[0].split(", ")
    assert lacking == [
        "get_contact", "get_account", "get_opportunity", "get_seller", "contacts", "accounts",
        "opportunities", "activities", "notes", "sellers",
    ]  # fmt: skip
    assert "get_lead" not in lacking and "leads" not in lacking


def test_an_llm_client_without_acomplete_is_told_it_lacks_it() -> None:
    mod = _module("lq_test_bad_llm", "class Bad:\n    name = 'bad'\n")
    ep = metadata.EntryPoint(name="bad", value=f"{mod}:Bad", group=LLM_CLIENTS_GROUP)
    with pytest.raises(PluginError, match="Bad lacks acomplete;"):
        llm_client_registry(entry_points=[ep]).create("bad")


def test_a_provider_with_a_sync_aresearch_has_every_member_and_is_told_the_requirement() -> None:
    from leadqual.research.providers import ProviderRegistry

    mod = _module(
        "lq_test_sync_provider",
        "class Sync:\n    name = 'sync'\n    def aresearch(self, company, /):\n        return None\n",
    )
    ep = metadata.EntryPoint(name="sync", value=f"{mod}:Sync", group="leadqual.research_providers")
    with pytest.raises(PluginError, match="async def aresearch") as info:
        ProviderRegistry(entry_points=[ep]).create("sync")
    assert "lacks" not in str(info.value)
