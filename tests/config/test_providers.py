"""The ``providers:`` section: typed options for the built-ins, installed plugins by name, every
mistake refused naming its field, and the agent running what the section names."""

from __future__ import annotations

import inspect
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from leadqual.agent import QualificationAgent
from leadqual.config import (
    BUILTIN_PROVIDER_OPTIONS,
    AgentConfig,
    ResearchProviders,
    installed_provider_plugins,
)
from leadqual.email import EmailValidator
from leadqual.errors import ConfigurationError, PluginError, ValidationFailed
from leadqual.plugins import RESEARCH_PROVIDERS_GROUP, builtin_entry_points
from leadqual.research import Researcher, build_providers
from leadqual.research.providers import ProviderRegistry
from leadqual.sources import SAMPLE_AS_OF
from leadqual.testing.research import FakeResearchProvider, mock_fetcher

UA = "Tailwind leadqual (sales-ops@tailwind.example)"
BASE: dict[str, Any] = {
    "company": {"name": "Tailwind"},
    "products": [{"name": "Cloud", "description": "CRM analytics"}],
}


def _config(providers: dict[str, Any]) -> AgentConfig:
    return AgentConfig.model_validate({**BASE, "providers": providers})


def _refused(providers: dict[str, Any]) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        _config(providers)
    return info.value


# -- the built-ins' options are the classes' keyword arguments ----------------------------------


def test_every_builtin_entry_point_has_an_options_model_and_no_other() -> None:
    assert set(BUILTIN_PROVIDER_OPTIONS) == set(builtin_entry_points(RESEARCH_PROVIDERS_GROUP))


# Parameters that are not configuration: the shared fetcher, a test clock, the sample's data.
_NOT_OPTIONS = {"self", "fetcher", "clock", "data"}


@pytest.mark.parametrize("name", sorted(BUILTIN_PROVIDER_OPTIONS))
def test_builtin_options_match_the_class_keywords_and_defaults(name: str) -> None:
    factory = ProviderRegistry(load_plugins=False).factory(name)
    params = {
        n: p.default
        for n, p in inspect.signature(factory).parameters.items()
        if n not in _NOT_OPTIONS
    }
    model = BUILTIN_PROVIDER_OPTIONS[name]
    fields = {n: f.default for n, f in model.model_fields.items()}
    if name == "companies_house":  # the key is read from the variable the option names
        assert params.pop("api_key") is inspect.Parameter.empty
        assert fields.pop("api_key_env") == "COMPANIES_HOUSE_API_KEY"
    required = {n for n, f in model.model_fields.items() if f.is_required()}
    assert set(fields) == set(params)
    for key, default in params.items():
        if default is inspect.Parameter.empty:
            assert key in required, f"{name}.{key} is required by the class"
        else:
            assert fields[key] == default, f"{name}.{key}: {fields[key]!r} != {default!r}"


# -- refused, naming the field ------------------------------------------------------------------


def test_an_unknown_provider_name_is_refused_with_a_suggestion() -> None:
    err = _refused({"user_agent": UA, "use": [{"name": "wikidta"}]})
    assert err.field == "providers.use.0.plugin.name"
    assert "did you mean 'wikidata'" in str(err)


def test_an_unknown_option_is_refused_naming_its_path() -> None:
    err = _refused({"user_agent": UA, "use": [{"name": "website", "options": {"max_pagez": 3}}]})
    assert err.field == "providers.use.0.website.options.max_pagez"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        # the language becomes part of a host name: nothing but a language code passes
        ({"name": "wikipedia", "options": {"language": "evil.example/x#"}}, "language"),
        ({"name": "wikidata", "options": {"language": "EN"}}, "language"),
        ({"name": "gdelt", "options": {"timespan": "0d"}}, "timespan"),
        ({"name": "gdelt", "options": {"max_records": 251}}, "max_records"),
        ({"name": "website", "options": {"max_pages": 0}}, "max_pages"),
        ({"name": "website", "options": {"time_budget": float("nan")}}, "time_budget"),
        ({"name": "website", "options": {"respect_robots": "sometimes"}}, "respect_robots"),
        ({"name": "sec_edgar", "options": {"user_agent": "no contact"}}, "user_agent"),
        ({"name": "sec_edgar", "options": {"user_agent": "Acme a@b.c\r\nX: y"}}, "user_agent"),
        (
            {"name": "sec_edgar", "options": {"user_agent": "A a@b.c", "requests_per_second": 11}},
            "requests_per_second",
        ),
        ({"name": "companies_house", "options": {"api_key_env": "KEY; rm -rf"}}, "api_key_env"),
        ({"name": "companies_house", "options": {"api_key": "secret"}}, "api_key"),
        ({"name": "sample", "options": {"anything": 1}}, "anything"),
    ],
)
def test_a_bad_builtin_option_value_is_refused_naming_it(entry: dict[str, Any], field: str) -> None:
    err = _refused({"user_agent": UA, "use": [entry]})
    assert err.field == f"providers.use.0.{entry['name']}.options.{field}"


def test_sec_edgar_without_its_contact_is_refused() -> None:
    err = _refused({"user_agent": UA, "use": [{"name": "sec_edgar"}]})
    assert err.field == "providers.use.0.sec_edgar.options"


@pytest.mark.parametrize("entry", ["wikidata", 3, None, ["website"]])
def test_an_entry_that_is_not_a_mapping_says_what_an_entry_is(entry: object) -> None:
    err = _refused({"user_agent": UA, "use": [entry]})
    assert err.field == "providers.use.0"
    assert "{name: website, options: {...}}" in str(err)


def test_a_provider_listed_twice_is_refused() -> None:
    err = _refused({"user_agent": UA, "use": [{"name": "gleif"}, {"name": "gleif"}]})
    assert "listed twice: gleif" in str(err)


@pytest.mark.parametrize("user_agent", ["Acme\r\nX-Injected: 1", "Acme\nX: 1", "a\x00b", ""])
def test_a_user_agent_that_is_not_one_header_line_is_refused(user_agent: str) -> None:
    err = _refused({"user_agent": user_agent, "use": []})
    assert err.field == "providers.user_agent"


def test_a_provider_that_fetches_needs_the_user_agent_and_the_sample_does_not() -> None:
    err = _refused({"use": [{"name": "sample"}, {"name": "gleif"}]})
    assert "providers.user_agent is needed by gleif" in str(err)
    assert _config({"use": [{"name": "sample"}]}).providers.names == ("sample",)


def test_plugin_option_names_must_be_identifiers_and_values_json() -> None:
    for options in ({"bad-name": 1}, {"_private": 1}, {"x": float("nan")}, {"x": {1, 2}}):
        with pytest.raises(ValidationFailed):
            ResearchProviders.model_validate({"use": [{"name": "sample", "options": options}]})


# -- built, in order, with their options --------------------------------------------------------


def test_the_section_builds_its_providers_in_order_sharing_one_fetcher() -> None:
    section = ResearchProviders.model_validate(
        {
            "user_agent": UA,
            "use": [
                {"name": "website", "options": {"max_pages": 3, "respect_robots": False}},
                {"name": "wikidata", "options": {"language": "de", "max_candidates": 4}},
                {"name": "sample"},
                {"name": "gdelt", "options": {"timespan": "30d"}},
            ],
        }
    )
    providers: list[Any] = build_providers(section)
    assert [p.name for p in providers] == ["website", "wikidata", "sample", "gdelt"]
    website, wikidata, _, gdelt = providers
    assert (website.max_pages, website.respect_robots) == (3, False)
    assert (wikidata.language, wikidata.max_candidates) == ("de", 4)
    assert gdelt.timespan == "30d"
    assert website.fetcher is wikidata.fetcher is gdelt.fetcher
    assert website.fetcher.user_agent == UA


def test_a_given_fetcher_is_used_instead_of_a_new_one() -> None:
    fetcher = mock_fetcher(lambda request: pytest.fail("nothing is fetched while building"))
    section = ResearchProviders.model_validate({"user_agent": UA, "use": [{"name": "gleif"}]})
    (gleif,) = build_providers(section, fetcher=fetcher)
    assert gleif.fetcher is fetcher  # type: ignore[attr-defined]


def test_an_empty_section_builds_nothing() -> None:
    assert build_providers(ResearchProviders()) == []
    assert build_providers(AgentConfig.model_validate(BASE)) == []


def test_build_providers_refuses_what_is_not_a_section() -> None:
    with pytest.raises(ConfigurationError, match="AgentConfig or its ResearchProviders"):
        build_providers({"use": []})  # type: ignore[arg-type]


def test_companies_house_reads_its_key_from_the_named_variable_and_never_writes_it() -> None:
    config = _config(
        {"user_agent": UA, "use": [{"name": "companies_house", "options": {"api_key_env": "CH"}}]}
    )
    with pytest.raises(ConfigurationError, match="environment variable CH") as info:
        build_providers(config, environ={})
    assert "api_key_env" in str(info.value)
    with pytest.raises(ConfigurationError):
        build_providers(config, environ={"CH": "   "})
    (provider,) = build_providers(config, environ={"CH": "s3cret-key"})
    assert provider.name == "companies_house"
    assert "s3cret-key" not in repr(provider)
    assert "s3cret-key" not in config.to_yaml()
    assert "api_key_env: CH" in config.to_yaml()


# -- plugins: a package installed in the environment --------------------------------------------

PLUGIN = """
from leadqual.research.providers import ResearchResult


class AcmeProvider:
    name = "acme"
    external = False

    def __init__(self, fetcher, *, region, colour="blue"):
        self.fetcher = fetcher
        self.region = region
        self.colour = colour

    async def aresearch(self, company, /):
        return ResearchResult(provider=self.name, notes=(f"{self.region} {self.colour}",))
"""


@pytest.fixture
def acme_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A package registering a research provider ``acme``, installed for the test."""
    (tmp_path / "acme_leadqual_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    dist = tmp_path / "acme_leadqual_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-leadqual-plugin\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        f"[{RESEARCH_PROVIDERS_GROUP}]\nacme = acme_leadqual_plugin:AcmeProvider\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "acme_leadqual_plugin", raising=False)
    return "acme"


def test_an_installed_plugin_is_accepted_by_name_and_built_with_its_options(
    acme_plugin: str,
) -> None:
    assert acme_plugin in installed_provider_plugins()
    config = _config({"user_agent": UA, "use": [{"name": "acme", "options": {"region": "EMEA"}}]})
    assert AgentConfig.from_yaml(config.to_yaml()) == config
    (provider,) = build_providers(config)
    assert (provider.region, provider.colour) == ("EMEA", "blue")  # type: ignore[attr-defined]
    assert provider.fetcher.user_agent == UA  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"region": "EMEA", "color": "red"}, "providers.use.0.plugin.options.color"),
        ({}, "providers.use.0.plugin.options.region"),
        ({"region": "EMEA", "fetcher": "mine"}, "providers.use.0.plugin.options.fetcher"),
    ],
)
def test_a_plugin_option_its_class_does_not_take_or_needs_is_refused_naming_it(
    acme_plugin: str, options: dict[str, Any], field: str
) -> None:
    config = _config({"user_agent": UA, "use": [{"name": "acme", "options": options}]})
    with pytest.raises(ValidationFailed) as info:
        build_providers(config)
    assert info.value.field == field


def test_a_fetching_plugin_without_a_user_agent_is_refused_when_built(acme_plugin: str) -> None:
    config = _config({"use": [{"name": "acme", "options": {"region": "EMEA"}}]})
    with pytest.raises(ConfigurationError, match=r"providers\.user_agent"):
        build_providers(config)


def test_a_plugin_uninstalled_after_the_configuration_loaded_is_a_plugin_error(
    acme_plugin: str,
) -> None:
    config = _config({"user_agent": UA, "use": [{"name": "acme", "options": {"region": "x"}}]})
    with pytest.raises(PluginError, match="acme"):
        build_providers(config, registry=ProviderRegistry(load_plugins=False))


# -- the researcher and the agent run what the section names ------------------------------------


def test_the_researcher_builds_the_section_unless_given_providers(
    sample_config: AgentConfig,
) -> None:
    config = sample_config.replace(providers={"use": [{"name": "sample"}]})
    assert [p.name for p in Researcher(config=config).providers] == ["sample"]
    assert Researcher(config=config, providers=()).providers == ()
    given = FakeResearchProvider("news")
    assert Researcher(config=config, providers=[given]).providers == (given,)


def test_the_agent_researches_with_the_configured_providers(sample_config: AgentConfig) -> None:
    from leadqual.sources import load_sample

    config = sample_config.replace(providers={"use": [{"name": "sample"}]})
    agent = QualificationAgent(
        config, load_sample(), email_validator=EmailValidator(check_deliverability=False)
    )
    assert [p.name for p in agent.researcher.providers] == ["sample"]
    insight = agent.process("L-0001", now=SAMPLE_AS_OF)
    assert insight.research is not None
    assert insight.research.status("sample").state == "ok"
    unconfigured = QualificationAgent(
        sample_config, load_sample(), email_validator=EmailValidator(check_deliverability=False)
    )
    assert unconfigured.researcher.providers == ()
