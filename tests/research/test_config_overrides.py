"""A plugin that takes a built-in research provider's name, from YAML to the plugin loader: an
installed package registering ``website`` is refused (the built-in stays) unless the
configuration's ``providers.overrides`` names it; then the configured entry is the plugin's."""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadqual.agent import QualificationAgent
from leadqual.config import AgentConfig, PluginProvider
from leadqual.email import EmailValidator
from leadqual.errors import PluginError, ValidationFailed
from leadqual.research import build_providers
from leadqual.research.website import WebsiteProvider
from leadqual.sources import MemorySource

BASE = """
company: {name: Tailwind}
products: [{name: Cloud, description: CRM analytics}]
providers:
  user_agent: "Tailwind leadqual (ops@tailwind.example)"
"""


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package ``acme-research`` installed on the path, registering a research provider under
    the built-in name ``website`` (and metadata only: nothing is imported until it is built)."""
    module = "acme_site_plugin"
    (tmp_path / f"{module}.py").write_text(
        textwrap.dedent(
            """
            from leadqual.research import ResearchResult

            class SiteProvider:
                name = "website"
                external = False

                def __init__(self, *, depth: int = 1) -> None:
                    self.depth = depth

                async def aresearch(self, company, /):
                    return ResearchResult(provider=self.name)
            """
        ),
        encoding="utf-8",
    )
    info = tmp_path / "acme_research-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-research\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[leadqual.research_providers]\nwebsite = {module}:SiteProvider\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield module
    sys.modules.pop(module, None)


def _config(extra: str) -> AgentConfig:
    return AgentConfig.from_yaml(BASE + textwrap.indent(textwrap.dedent(extra), "  "))


def test_without_an_override_the_builtin_stays_and_the_plugin_is_refused_with_a_warning(
    installed: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config("use: [{name: website, options: {max_pages: 3}}]\n")
    with caplog.at_level(logging.WARNING, logger="leadqual.plugins"):
        [provider] = build_providers(config)
    assert type(provider) is WebsiteProvider
    assert installed not in sys.modules  # the refused plugin was never imported
    assert any(
        "refused the installed research provider plugin 'website'" in r.message
        for r in caplog.records
    )


@pytest.mark.parametrize("named", ["acme-research", "acme_site_plugin:SiteProvider"])
def test_an_override_in_yaml_uses_the_plugin_with_its_own_options(
    installed: str, named: str
) -> None:
    config = _config(
        f"""
        overrides: {{website: "{named}"}}
        use: [{{name: website, options: {{depth: 4}}}}]
        """
    )
    entry = config.providers.use[0]
    assert isinstance(entry, PluginProvider) and dict(entry.options) == {"depth": 4}
    [provider] = build_providers(config)
    assert type(provider).__module__ == installed and provider.depth == 4  # type: ignore[attr-defined]
    # through the agent, which builds the section's providers when given none
    agent = QualificationAgent(
        config, MemorySource(), email_validator=EmailValidator(check_deliverability=False)
    )
    assert [type(p).__name__ for p in agent.researcher.providers] == ["SiteProvider"]


def test_the_override_round_trips_through_yaml(installed: str) -> None:
    config = _config(
        """
        overrides: {website: acme-research}
        use: [{name: website, options: {depth: 2}}]
        """
    )
    again = AgentConfig.from_yaml(config.to_yaml())
    assert again == config
    assert isinstance(again.providers.use[0], PluginProvider)


def test_an_overridden_name_takes_the_plugins_options_not_the_builtins(installed: str) -> None:
    # max_pages is the built-in's option: the plugin does not take it, and says so by field
    config = _config(
        """
        overrides: {website: acme-research}
        use: [{name: website, options: {max_pages: 3}}]
        """
    )
    with pytest.raises(ValidationFailed) as caught:
        build_providers(config)
    assert caught.value.field == "providers.use.0.plugin.options.max_pages"


def test_an_override_naming_a_package_that_is_not_installed_is_a_plugin_error(
    installed: str,
) -> None:
    config = _config(
        """
        overrides: {website: other-package}
        use: [{name: website}]
        """
    )
    with pytest.raises(PluginError, match="no installed package registers it"):
        build_providers(config)


def test_an_override_without_any_installed_plugin_is_a_plugin_error() -> None:
    config = _config(
        """
        overrides: {wikidata: acme-research}
        use: [{name: wikidata}]
        """
    )
    with pytest.raises(PluginError, match="'wikidata'"):
        build_providers(config)


@pytest.mark.parametrize(
    "overrides",
    [
        "{acme: acme-research}",  # not a built-in: nothing to override
        "{website: ''}",
        "{website: 'two words'}",
        "{Website: acme-research}",
        "[website]",
    ],
)
def test_malformed_overrides_are_refused_when_the_file_is_read(overrides: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _config(f"overrides: {overrides}\n")
    assert caught.value.field is not None and caught.value.field.startswith("providers.overrides")


def test_an_override_for_a_builtin_not_in_use_changes_nothing_it_runs(installed: str) -> None:
    config = _config(
        """
        overrides: {website: acme-research}
        use: [{name: sample}]
        """
    )
    assert [p.name for p in build_providers(config)] == ["sample"]
