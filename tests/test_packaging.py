"""What the installed distribution declares: the command, the plugin entry points, package data."""

from __future__ import annotations

from importlib import metadata, resources

from leadqual.research import ProviderRegistry


def test_builtin_research_providers_are_registered_as_entry_points() -> None:
    declared = {
        ep.name: ep.value for ep in metadata.entry_points(group="leadqual.research_providers")
    }
    builtins = ProviderRegistry(load_plugins=False).names()
    assert sorted(declared) == builtins
    # The registry must treat its own entry points as built-ins, not as clashing plugins.
    assert ProviderRegistry(load_plugins=True).names() == builtins


def test_console_script_is_declared() -> None:
    scripts = {ep.name: ep.value for ep in metadata.entry_points(group="console_scripts")}
    assert scripts["leadqual"] == "leadqual.cli:main"


def test_package_data_ships() -> None:
    data = resources.files("leadqual")
    assert data.joinpath("py.typed").is_file()
    assert data.joinpath("sources", "data", "sample_crm.json").is_file()
    assert data.joinpath("sources", "data", "sample_config.yaml").is_file()
