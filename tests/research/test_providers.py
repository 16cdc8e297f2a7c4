"""The provider protocol, its records, news topics, and the plugin registry."""

from __future__ import annotations

import asyncio
import sys
import types
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual.errors import ConfigurationError, PluginError, ValidationFailed
from leadqual.research.providers import (
    ENTRY_POINT_GROUP,
    NEWS_TOPICS,
    CompanyQuery,
    NewsItem,
    Provenance,
    ProviderRegistry,
    ResearchProvider,
    ResearchResult,
    classify_news_topic,
    is_external,
    provider_from_function,
)
from leadqual.testing.research import FakeResearchProvider

DOCS = Path(__file__).resolve().parents[2] / "docs"


# -- CompanyQuery -----------------------------------------------------------------------------


def test_query_derives_the_registrable_domain_from_the_website() -> None:
    q = CompanyQuery(name="Contoso", website="https://shop.contoso.co.uk/about")
    assert q.domain == "contoso.co.uk"
    assert q.key == "domain:contoso.co.uk"


def test_query_key_without_domain_folds_legal_suffixes_and_case() -> None:
    a = CompanyQuery(name="Contoso Pharmaceuticals, Inc.", country="US")
    b = CompanyQuery(name="CONTOSO PHARMACEUTICALS INC", country="us")
    assert a.key == b.key


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "jane.doe@contoso.com"},
        {"name": "Contoso", "domain": "jane@contoso.com"},
        {"name": "Contoso", "website": "mailto:jane@contoso.com"},
        {"name": "Contoso", "ids": {"contact": "jane@contoso.com"}},
    ],
)
def test_query_refuses_anything_that_looks_like_an_email_address(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed, match=r"company identifiers only|email"):
        CompanyQuery(**fields)  # type: ignore[arg-type]


@given(st.emails())
def test_no_email_address_can_enter_a_query_as_a_name(address: str) -> None:
    with pytest.raises(ValidationFailed):
        CompanyQuery(name=f"Contoso {address}")


def test_query_needs_some_company_identifier() -> None:
    with pytest.raises(ValidationFailed, match="needs a name, a domain or a known id"):
        CompanyQuery(country="DE")


def test_query_refuses_a_malformed_domain() -> None:
    with pytest.raises(ValidationFailed, match="domain"):
        CompanyQuery(domain="not a domain")


LEI_A, LEI_B = "5493001KJTIIGC8Y1R12", "529900T8BM49AURSDO55"


def test_with_ids_keeps_known_ids() -> None:
    q = CompanyQuery(name="X", ids={"lei": LEI_A}).with_ids({"lei": LEI_B, "sec_cik": "1"})
    assert dict(q.ids) == {"lei": LEI_A, "sec_cik": "1"}


@pytest.mark.parametrize(
    ("scheme", "value"),
    [
        ("lei", "../../fundraising?x=1"),
        ("sec_cik", "320193/../../x"),
        ("wikidata", "Q1|Q2"),
        ("companies_house", "01234567/officers"),
    ],
)
def test_ids_that_would_build_another_api_path_are_refused(scheme: str, value: str) -> None:
    # providers put these ids into URL paths (GLEIF /lei-records/{lei}, SEC CIK{cik}.json)
    with pytest.raises(ValidationFailed, match=scheme):
        CompanyQuery(name="X", ids={scheme: value})
    # an id a provider found (a vandalised Wikidata claim) is dropped, never sent
    assert scheme not in CompanyQuery(name="X").with_ids({scheme: value}).ids


# -- records ----------------------------------------------------------------------------------


def test_news_item_needs_an_http_url() -> None:
    prov = Provenance(source="x", retrieved_at=datetime.now(UTC))
    with pytest.raises(ValidationFailed, match="url"):
        NewsItem(provenance=prov, title="t", url="javascript:alert(1)")


def test_provenance_confidence_is_bounded() -> None:
    with pytest.raises(ValidationFailed, match="match_confidence"):
        Provenance(source="x", retrieved_at=datetime.now(UTC), match_confidence=1.5)


# -- topics -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "topic"),
    [
        ("Contoso launches AI forecasting suite", "product_launch"),
        ("Contoso unveils new platform for hospitals", "product_launch"),
        ("Contoso appoints Jane Roe as chief executive officer", "leadership_change"),
        ("Contoso CFO steps down after ten years", "leadership_change"),
        ("Contoso wins $40m contract with the city of Oslo", "contract_won"),
        ("Contoso selected by Fabrikam for global rollout", "contract_won"),
        ("Contoso volunteers plant 5,000 trees with local charity", "community_involvement"),
        ("Contoso receives Best Workplace award", "awards_recognition"),
        ("Contoso reports record third-quarter revenue", "financial_results"),
        ("Contoso to acquire Litware in $2bn deal", "mergers_acquisitions"),
        ("Contoso announces layoffs of 300 staff", "risk"),
        ("Contoso files for bankruptcy protection", "risk"),
        ("A quiet Tuesday in Springfield", "other"),
    ],
)
def test_classify_news_topic(title: str, topic: str) -> None:
    assert classify_news_topic(title) == topic


def test_news_topics_list_every_topic_once_in_display_order() -> None:
    # The five a seller is shown first come first; "other" is last.
    assert NEWS_TOPICS == (
        "product_launch",
        "leadership_change",
        "contract_won",
        "community_involvement",
        "awards_recognition",
        "financial_results",
        "mergers_acquisitions",
        "risk",
        "other",
    )
    assert type(NEWS_TOPICS) is tuple
    assert NewsItem.model_json_schema()["properties"]["topic"]["enum"] == list(NEWS_TOPICS)


# -- protocol and adapters ------------------------------------------------------------------------


def test_fake_provider_satisfies_the_protocol_and_records_calls() -> None:
    fake = FakeResearchProvider("news")
    assert isinstance(fake, ResearchProvider)
    result = asyncio.run(fake.aresearch(CompanyQuery(name="Contoso")))
    assert result.provider == "news" and not result.is_empty
    assert [c.name for c in fake.calls] == ["Contoso"]


def test_provider_from_function_runs_a_sync_function_in_a_thread() -> None:
    import threading

    threads: list[str] = []

    def lookup(q: CompanyQuery) -> ResearchResult:
        threads.append(threading.current_thread().name)
        return ResearchResult(provider="crm_export", notes=(q.name or "",))

    p = provider_from_function("crm_export", lookup, external=False)
    assert isinstance(p, ResearchProvider) and not is_external(p)
    result = asyncio.run(p.aresearch(CompanyQuery(name="Contoso")))
    assert result.notes == ("Contoso",)
    assert threads and threads[0] != threading.main_thread().name


def test_provider_from_function_refuses_async_functions() -> None:
    async def lookup(q: CompanyQuery) -> ResearchResult:
        return ResearchResult(provider="x")

    with pytest.raises(ConfigurationError, match="sync"):
        provider_from_function("x", lookup)  # type: ignore[arg-type]


def test_providers_are_external_unless_they_say_otherwise() -> None:
    assert is_external(FakeResearchProvider("a"))
    assert not is_external(FakeResearchProvider("b", external=False))


# -- registry ---------------------------------------------------------------------------------------


BUILTINS = {
    "companies_house", "gdelt", "gleif", "sample", "sec_edgar", "website", "wikidata", "wikipedia",
}  # fmt: skip


def test_registry_lists_the_builtins_without_importing_them() -> None:
    for mod in ("leadqual.research.gdelt",):
        sys.modules.pop(mod, None)
    reg = ProviderRegistry(load_plugins=False)
    assert set(reg.names()) == BUILTINS
    assert "leadqual.research.gdelt" not in sys.modules  # lazy: nothing imported yet


def test_registry_creates_a_builtin_with_options() -> None:
    from leadqual.research.http import SafeFetcher

    reg = ProviderRegistry(load_plugins=False)
    p = reg.create("gdelt", fetcher=SafeFetcher(user_agent="t"))
    assert p.name == "gdelt"
    with pytest.raises(PluginError, match="could not be built"):
        reg.create("sec_edgar")  # the fetcher and contact are required


def _plugin_module(name: str, body: str) -> str:
    module = types.ModuleType(name)
    exec(body, module.__dict__)
    sys.modules[name] = module
    return name


def test_registry_discovers_entry_point_plugins_lazily() -> None:
    mod = _plugin_module(
        "lq_test_plugin_ok",
        "from leadqual.research.providers import ResearchResult\n"
        "class Acme:\n"
        "    name = 'acme'\n"
        "    def __init__(self, *, token='t'): self.token = token\n"
        "    async def aresearch(self, company, /):\n"
        "        return ResearchResult(provider='acme')\n",
    )
    ep = metadata.EntryPoint(name="acme", value=f"{mod}:Acme", group=ENTRY_POINT_GROUP)
    reg = ProviderRegistry(entry_points=[ep])
    assert "acme" in reg.names()
    provider = reg.create("acme", token="secret")
    assert asyncio.run(provider.aresearch(CompanyQuery(name="X"))).provider == "acme"


def test_load_plugins_false_ignores_installed_plugins() -> None:
    ep = metadata.EntryPoint(name="acme", value="nowhere:Acme", group=ENTRY_POINT_GROUP)
    reg = ProviderRegistry(load_plugins=False, entry_points=[ep])
    assert "acme" not in reg.names()
    with pytest.raises(PluginError, match="no research provider named 'acme'"):
        reg.create("acme")


def test_a_plugin_that_cannot_be_imported_is_a_plugin_error_naming_it() -> None:
    ep = metadata.EntryPoint(name="broken", value="lq_missing_module:X", group=ENTRY_POINT_GROUP)
    reg = ProviderRegistry(entry_points=[ep])
    with pytest.raises(PluginError) as info:
        reg.create("broken")
    assert info.value.entry_point == "broken"


def test_a_plugin_that_is_not_a_provider_is_refused() -> None:
    mod = _plugin_module(
        "lq_test_plugin_bad",
        "class NotAProvider:\n    name = 'bad'\n    def research(self, company):\n        return None\n",
    )
    ep = metadata.EntryPoint(name="bad", value=f"{mod}:NotAProvider", group=ENTRY_POINT_GROUP)
    with pytest.raises(PluginError, match="async def aresearch"):
        ProviderRegistry(entry_points=[ep]).create("bad")


def test_two_plugins_with_one_name_are_refused() -> None:
    eps = [
        metadata.EntryPoint(name="dup", value="a:X", group=ENTRY_POINT_GROUP),
        metadata.EntryPoint(name="dup", value="b:Y", group=ENTRY_POINT_GROUP),
    ]
    with pytest.raises(PluginError, match="two installed packages"):
        ProviderRegistry(entry_points=eps).names()


def test_registered_factory_wins_over_a_plugin_of_the_same_name() -> None:
    ep = metadata.EntryPoint(name="news", value="nowhere:X", group=ENTRY_POINT_GROUP)
    reg = ProviderRegistry(entry_points=[ep])
    reg.register("news", lambda: FakeResearchProvider("news"))
    assert reg.create("news").name == "news"


def test_register_refuses_bad_names() -> None:
    with pytest.raises(ConfigurationError):
        ProviderRegistry(load_plugins=False).register("my source", FakeResearchProvider)


def test_every_builtin_provider_is_documented_in_plugins_md() -> None:
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    for name in ProviderRegistry(load_plugins=False).names():
        assert f"`{name}`" in text, f"docs/plugins.md does not list the built-in provider {name!r}"


def test_company_cache_key_reads_the_country_as_one_normaliser_does() -> None:
    keys = {
        CompanyQuery(name="Grupo Aurora S.A. de C.V.", country=country).key
        for country in ("México", "Mexico", "MX", "Mexique")
    }
    assert len(keys) == 1
    assert CompanyQuery(name="Grupo Aurora", country="Spain").key not in keys
