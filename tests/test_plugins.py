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
    assert reg.names() == ["memory", "sample", "sqlite"]
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
    assert crm_source_registry().names() == ["memory", "sample", "sqlite"]


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
