"""The Researcher: consent, per-source status, cache, merging, privacy, diff, erasure."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from leadqual.config import AgentConfig, Consent
from leadqual.errors import ConfigurationError, RateLimited
from leadqual.models import Lead, LeadContext
from leadqual.research.consent import company_query_for
from leadqual.research.providers import (
    CompanyOverview,
    CompanyQuery,
    NewsItem,
    Provenance,
    ResearchResult,
)
from leadqual.research.researcher import Researcher
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.sources import MemorySource, SampleData
from leadqual.testing.research import FakeResearchProvider

LEAD = "L-0171"  # Meridian Wealth: linked account, open opportunity, catalogue news


@pytest.fixture
def consented(sample_config: AgentConfig) -> AgentConfig:
    return sample_config.replace(consent=Consent(web_research=True, granted_by="admin"))


def overview(source: str, confidence: float = 1.0, **fields: object) -> ResearchResult:
    prov = Provenance(
        source=source,
        url=f"https://{source}.example/x",
        retrieved_at=datetime(2026, 10, 1, tzinfo=UTC),
        match_confidence=confidence,
    )
    return ResearchResult(provider=source, overviews=(CompanyOverview(provenance=prov, **fields),))  # type: ignore[arg-type]


def researcher(
    config: AgentConfig, source: MemorySource, *providers: object, **kw: object
) -> Researcher:
    return Researcher(config=config, source=source, providers=providers, **kw)  # type: ignore[arg-type]


def test_without_consent_external_sources_are_skipped_and_offline_ones_run(
    sample_config: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    web = FakeResearchProvider("web")
    r = researcher(sample_config, sample_source, SampleResearchProvider(), web)
    res = r.research(LEAD, now=sample_data.as_of)
    assert res.status("sample").state == "ok"  # type: ignore[union-attr]
    assert res.status("web").state == "skipped_consent"  # type: ignore[union-attr]
    assert web.calls == []
    assert any("lack of consent" in reason for reason in res.signal.reasons)


def test_only_company_identifiers_are_sent_out(
    consented: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    web = FakeResearchProvider("web")
    researcher(consented, sample_source, web).research(LEAD, now=sample_data.as_of)
    lead = sample_source.get_lead(LEAD)
    sent = web.calls[0].model_dump_json()
    assert lead.email and lead.email not in sent
    assert lead.first_name and lead.first_name not in sent
    assert lead.last_name and lead.last_name not in sent
    assert web.calls[0].domain == "meridianwealth.mx"


def test_a_sole_traders_own_name_is_not_sent(consented: AgentConfig) -> None:
    lead = Lead(
        id="L-1", first_name="Jane", last_name="Roe", company_name="Jane Roe",
        email="jane@gmail.com", created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    query, why = company_query_for(LeadContext(lead=lead))
    assert query is None and "own name" in why
    web = FakeResearchProvider("web")
    res = Researcher(config=consented, providers=[web]).research(LeadContext(lead=lead))
    assert web.calls == [] and res.status("web").state == "skipped"  # type: ignore[union-attr]


def test_one_failed_source_never_fails_the_research(
    consented: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    class Limited:
        name = "limited"

        async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
            raise RateLimited("429", provider="limited", retry_after=30)

    class Broken:
        name = "broken"

        async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
            raise KeyError("unexpected vendor schema")

    class WrongType:
        name = "wrong"

        async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
            return {"not": "a result"}  # type: ignore[return-value]

    r = researcher(
        consented, sample_source,
        SampleResearchProvider(), FakeResearchProvider("down", fail_for={"Meridian Wealth S.A. de C.V."}),
        FakeResearchProvider("slow", hang_for={"Meridian Wealth S.A. de C.V."}),
        Limited(), Broken(), WrongType(), provider_timeout=0.05,
    )  # fmt: skip
    res = r.research(LEAD, now=sample_data.as_of)
    states = {s.provider: s.state for s in res.sources}
    assert states == {
        "sample": "ok", "down": "failed", "slow": "timed_out", "limited": "failed",
        "broken": "failed", "wrong": "failed",
    }  # fmt: skip
    assert "rate limited" in (res.status("limited").detail or "")  # type: ignore[union-attr]
    assert res.field("industry") is not None  # the working source still counts
    assert any("failed" in reason for reason in res.signal.reasons)


def test_cache_serves_a_company_within_the_refresh_period(
    consented: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    web = FakeResearchProvider("web")
    r = researcher(consented, sample_source, web)
    now = sample_data.as_of
    first = r.research(LEAD, now=now)
    second = r.research(LEAD, now=now + timedelta(days=3))
    assert len(web.calls) == 1
    assert second.status("web").from_cache  # type: ignore[union-attr]
    assert second.status("web").retrieved_at == first.researched_at  # type: ignore[union-attr]
    r.research(LEAD, now=now + timedelta(days=consented.refresh.research_every_days))
    assert len(web.calls) == 2  # expired: asked again
    r.research(LEAD, now=now + timedelta(days=8), force=True)
    assert len(web.calls) == 3


def test_leads_of_the_same_company_share_one_provider_call(
    consented: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    web = FakeResearchProvider("web", latency=0.01)
    r = researcher(consented, sample_source, web)
    same = [lead.id for lead in sample_source.leads() if lead.account_id == "A-0039"]
    assert len(same) >= 2
    results = asyncio.run(r.aresearch_many(same, now=sample_data.as_of))
    assert [x.lead_id for x in results] == same
    assert len(web.calls) == 1


def test_global_concurrency_limit_is_respected(
    consented: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    in_flight = peak = 0

    class Counting:
        name = "counting"

        async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            return ResearchResult(provider=self.name)

    r = researcher(consented, sample_source, Counting(), max_concurrency=3)
    leads = [lead.id for lead in sample_source.leads()][:40]
    asyncio.run(r.aresearch_many(leads, now=sample_data.as_of))
    assert peak == 3


def test_merge_keeps_every_source_and_flags_conflicts(consented: AgentConfig) -> None:
    lead = Lead(
        id="L-1",
        company_name="Contoso",
        website="https://contoso.com",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    a = FakeResearchProvider(
        "a", results=lambda q: overview("a", industry="Software", employee_count=1000)
    )
    b = FakeResearchProvider(
        "b", results=lambda q: overview("b", 0.9, industry="Banking", employee_count=1100)
    )
    c = FakeResearchProvider(
        "c", results=lambda q: overview("c", 0.3, industry="Mining", founded="1999")
    )
    res = Researcher(config=consented, providers=[a, b, c]).research(LeadContext(lead=lead))
    industry = res.field("industry")
    assert industry is not None
    assert industry.value == "Software" and industry.chosen_from == "a"
    assert [s.provider for s in industry.sources] == ["a", "b"]
    assert industry.conflict
    assert [s.provider for s in industry.unconfirmed] == ["c"]
    employees = res.field("employee_count")
    assert employees is not None and not employees.conflict  # 10% apart: the same company
    founded = res.field("founded")
    assert founded is not None and founded.value is None  # only an unconfirmed source had it
    assert any("disagree on industry" in r for r in res.signal.reasons)


def test_low_confidence_news_is_not_presented(consented: AgentConfig) -> None:
    lead = Lead(id="L-1", company_name="Contoso", created_at=datetime(2026, 1, 1, tzinfo=UTC))

    def news(q: CompanyQuery) -> ResearchResult:
        items = tuple(
            NewsItem(
                provenance=Provenance(
                    source="n", retrieved_at=datetime(2026, 1, 1, tzinfo=UTC), match_confidence=conf
                ),
                title=title,
                url=f"https://news.example/{i}",
                topic="contract_won",
            )
            for i, (title, conf) in enumerate(
                [("Contoso wins deal", 0.9), ("Another Contoso wins", 0.2)]
            )
        )
        return ResearchResult(provider="n", news=items)

    res = Researcher(
        config=consented, providers=[FakeResearchProvider("n", results=news)]
    ).research(LeadContext(lead=lead))
    assert [n.title for n in res.all_news] == ["Contoso wins deal"]


def test_seller_sees_at_most_three_news_items_with_why_they_matter(
    sample_config: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    res = researcher(sample_config, sample_source, SampleResearchProvider()).research(
        LEAD, now=sample_data.as_of
    )
    assert len(res.all_news) == 4 and len(res.news) == 3
    assert res.news[0].item.topic == "product_launch"
    assert all("Tailspin Revenue Cloud" in n.why_it_matters for n in res.news)
    assert [n.score for n in res.news] == sorted((n.score for n in res.news), reverse=True)


def test_duplicate_news_from_two_sources_is_shown_once(consented: AgentConfig) -> None:
    lead = Lead(id="L-1", company_name="Contoso", created_at=datetime(2026, 1, 1, tzinfo=UTC))

    def make(name: str, url: str) -> FakeResearchProvider:
        prov = Provenance(source=name, retrieved_at=datetime(2026, 1, 1, tzinfo=UTC))
        item = NewsItem(provenance=prov, title="Contoso wins big contract", url=url)
        return FakeResearchProvider(
            name, results=lambda q: ResearchResult(provider=name, news=(item,))
        )

    r = Researcher(
        config=consented,
        providers=[
            make("a", "https://www.news.example/x?utm=1"),
            make("b", "https://news.example/x/"),
        ],
    )
    assert len(r.research(LeadContext(lead=lead)).all_news) == 1


def test_how_was_this_generated_lists_every_step_and_source(
    consented: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    res = researcher(
        consented, sample_source, SampleResearchProvider(), FakeResearchProvider("web")
    ).research(LEAD, now=sample_data.as_of)
    actions = [s.action for s in res.steps]
    assert actions[:3] == ["Read the CRM", "Company identifiers", "Consent"]
    assert "Source sample" in actions and "Source web" in actions
    assert actions[-1] == "Compare"
    assert [s.step for s in res.steps] == list(range(1, len(res.steps) + 1))
    assert "no personal data" in res.steps[1].detail


def test_a_refresh_that_changes_nothing_reports_no_change(
    sample_config: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    r = researcher(sample_config, sample_source, SampleResearchProvider())
    first = r.research(LEAD, now=sample_data.as_of)
    again = r.research(LEAD, now=sample_data.as_of + timedelta(days=8))  # cache expired
    assert first.diff.changed and first.diff.first_research
    assert not again.diff.changed
    assert again.fingerprint == first.fingerprint
    assert again.diff.previous_at == first.researched_at


def test_diff_reports_changed_fields_and_new_news(consented: AgentConfig) -> None:
    lead = Lead(id="L-1", company_name="Contoso", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    answers = iter([overview("a", industry="Software"), overview("a", industry="Fintech")])
    r = Researcher(
        config=consented, providers=[FakeResearchProvider("a", results=lambda q: next(answers))]
    )
    r.research(LeadContext(lead=lead))
    second = r.research(LeadContext(lead=lead), force=True)
    assert second.diff.changed and second.diff.changed_fields == ("industry",)


def test_erase_can_keep_company_facts_and_a_later_erasure_still_finds_them(
    consented: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    web = FakeResearchProvider("web")
    r = researcher(consented, sample_source, web)
    r.links.link(LEAD, contact_id="C-0001")
    r.research(LEAD, now=sample_data.as_of)
    receipt = r.erase(LEAD, company_data=False)
    assert (receipt.research_records, receipt.manual_links, receipt.company_cache_entries) == (
        1,
        1,
        0,
    )
    assert r.cache.lead(LEAD) is None and r.links.get(LEAD) == {}
    assert r.is_due(LEAD, now=sample_data.as_of)
    again = r.research(LEAD, now=sample_data.as_of)
    assert again.diff.first_research and len(web.calls) == 1  # company data still cached
    r.erase(LEAD, company_data=False)
    # the entry is nobody's now: the erasure with the default finds it all the same
    receipt = r.erase(LEAD)
    assert receipt.company_cache_entries == 1
    assert r.cache.company_entries == 0


def test_sync_research_works_inside_a_running_event_loop(
    sample_config: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    r = researcher(sample_config, sample_source, SampleResearchProvider())

    async def notebook_cell() -> str:
        return r.research(LEAD, now=sample_data.as_of).lead_id

    assert asyncio.run(notebook_cell()) == LEAD


def test_researcher_validates_its_configuration(sample_config: AgentConfig) -> None:
    with pytest.raises(ConfigurationError, match="share a name"):
        Researcher(
            config=sample_config, providers=[FakeResearchProvider("a"), FakeResearchProvider("a")]
        )
    with pytest.raises(ConfigurationError, match="not a ResearchProvider"):
        Researcher(config=sample_config, providers=[object()])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError, match="CrmSource"):
        Researcher(config=sample_config).research("L-1")


def test_dependent_providers_receive_ids_found_earlier(consented: AgentConfig) -> None:
    lead = Lead(id="L-1", company_name="Contoso", created_at=datetime(2026, 1, 1, tzinfo=UTC))

    class Finder:
        name = "finder"

        async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
            return ResearchResult(provider=self.name, identifiers={"sec_cik": "0000000042"})

    later = FakeResearchProvider("later")
    later.depends_on = ("finder",)  # type: ignore[attr-defined]
    Researcher(config=consented, providers=[later, Finder()]).research(LeadContext(lead=lead))
    assert later.calls[0].ids == {"sec_cik": "0000000042"}


def test_every_sample_lead_is_researched_offline_with_a_status_per_source(
    sample_config: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    r = researcher(
        sample_config, sample_source, SampleResearchProvider(), FakeResearchProvider("web")
    )
    ids = [lead.id for lead in sample_source.leads()]
    results = asyncio.run(r.aresearch_many(ids, now=sample_data.as_of))
    assert [x.lead_id for x in results] == ids
    for res in results:
        assert [s.provider for s in res.sources] == ["sample", "web"]
        assert 0 <= res.signal.score <= 100


def test_different_wording_is_not_a_conflict_but_different_facts_are(
    consented: AgentConfig,
) -> None:
    lead = Lead(id="L-1", company_name="Contoso", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    a = FakeResearchProvider(
        "a",
        results=lambda q: overview(
            "a", headquarters="Santa Clara, CA", description="Chip maker", industry="Semiconductors"
        ),
    )
    b = FakeResearchProvider(
        "b",
        results=lambda q: overview(
            "b",
            headquarters="Santa Clara",
            description="Designs GPUs",
            industry="semiconductor industry",
        ),
    )
    c = FakeResearchProvider(
        "c", results=lambda q: overview("c", website="https://www.contoso.com/about")
    )
    d = FakeResearchProvider("d", results=lambda q: overview("d", website="https://contoso.com"))
    res = Researcher(config=consented, providers=[a, b, c, d]).research(LeadContext(lead=lead))
    for name in ("headquarters", "description", "industry", "website"):
        field = res.field(name)
        assert field is not None and not field.conflict, name


def test_a_suppressed_lead_is_never_researched_on_the_web(
    consented: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    from leadqual.research import SuppressionList

    lead = sample_source.get_lead(LEAD)
    assert lead.email
    suppression = SuppressionList(salt="test-salt").extended(addresses=[lead.email.upper()])
    web = FakeResearchProvider("web")
    r = researcher(consented, sample_source, web, suppression=suppression)
    res = r.research(LEAD, now=sample_data.as_of)
    assert web.calls == [] and res.status("web").state == "skipped"  # type: ignore[union-attr]
    assert "suppression list" in (res.status("web").detail or "")  # type: ignore[union-attr]
    assert lead.email.lower() not in " ".join(suppression.hashes)
    restored = SuppressionList(salt="test-salt", hashes=suppression.hashes)
    assert restored.matches(lead)
    assert not SuppressionList(salt="other-salt", hashes=suppression.hashes).matches(lead)


def test_a_manual_link_shows_in_the_research_and_feeds_the_company_query(
    consented: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    web = FakeResearchProvider("web")
    r = researcher(consented, sample_source, web)
    r.links.link("L-0228", account_id="A-0064")  # the seller connected the suggested account
    res = r.research("L-0228", now=sample_data.as_of)
    assert res.crm is not None and res.crm.account_link == "manual"
    assert res.crm.account_summary is not None
    assert web.calls[0].name == "Granite Tech Ltd."


def test_a_context_not_in_the_crm_is_researched_as_given(
    consented: AgentConfig, sample_source: MemorySource
) -> None:
    lead = Lead(
        id="L-NEW",
        company_name="Contoso",
        email="a@contoso.com",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    res = researcher(consented, sample_source, FakeResearchProvider("web")).research(
        LeadContext(lead=lead)
    )
    assert res.crm is not None and res.crm.account_link == "none"
    assert res.crm.connect_account == ()


def test_cancelling_one_lead_does_not_cancel_the_shared_call(consented: AgentConfig) -> None:
    leads = [
        LeadContext(
            lead=Lead(
                id=f"L-{i}",
                company_name="Contoso",
                website="https://contoso.com",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        for i in range(2)
    ]
    web = FakeResearchProvider("web", latency=0.05)
    r = Researcher(config=consented, providers=[web])

    async def scenario() -> str:
        first = asyncio.create_task(r.aresearch(leads[0]))
        second = asyncio.create_task(r.aresearch(leads[1]))
        await asyncio.sleep(0.01)
        first.cancel()
        res = await second
        return res.status("web").state  # type: ignore[union-attr]

    assert asyncio.run(scenario()) == "ok"
    assert len(web.calls) == 1


def test_a_rate_limited_source_cools_down_instead_of_being_hammered(consented: AgentConfig) -> None:
    calls = 0

    class Limited:
        name = "limited"

        async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
            nonlocal calls
            calls += 1
            raise RateLimited("429", provider="limited", retry_after=120)

    r = Researcher(config=consented, providers=[Limited()])
    leads = [
        LeadContext(
            lead=Lead(
                id=f"L-{i}",
                company_name=f"Company {i}",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        for i in range(5)
    ]
    first = r.research(leads[0])
    rest = [r.research(x) for x in leads[1:]]
    assert calls == 1
    assert first.status("limited").state == "failed"  # type: ignore[union-attr]
    assert all(x.status("limited").state == "skipped" for x in rest)  # type: ignore[union-attr]
    assert "cooling down" in (rest[0].status("limited").detail or "")  # type: ignore[union-attr]


def test_why_it_matters_names_the_product_the_headline_is_about(consented: AgentConfig) -> None:
    from leadqual.config import ProductKnowledge

    config = consented.replace(
        products=(
            ProductKnowledge(
                name="Forecast Pro",
                description="pipeline forecasting",
                pain_points=("unreliable pipeline forecasts",),
            ),
            ProductKnowledge(
                name="Route Planner",
                description="field service routing for utilities",
                pain_points=("wasted engineer hours",),
            ),
        )
    )
    lead = Lead(id="L-1", company_name="Contoso", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    prov = Provenance(source="n", retrieved_at=datetime(2026, 1, 1, tzinfo=UTC))
    item = NewsItem(
        provenance=prov,
        title="Contoso wins field service contract with a utility",
        url="https://n.example/1",
        topic="contract_won",
    )
    provider = FakeResearchProvider(
        "n", results=lambda q: ResearchResult(provider="n", news=(item,))
    )
    res = Researcher(config=config, providers=[provider]).research(LeadContext(lead=lead))
    assert "Route Planner" in res.news[0].why_it_matters


def test_research_round_trips_through_json(
    sample_config: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    from leadqual.research import LeadResearch

    res = researcher(sample_config, sample_source, SampleResearchProvider()).research(
        LEAD, now=sample_data.as_of
    )
    again = LeadResearch.model_validate_json(res.model_dump_json())
    assert again == res


def test_citations_list_every_source_shown_once(
    sample_config: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    res = researcher(sample_config, sample_source, SampleResearchProvider()).research(
        LEAD, now=sample_data.as_of
    )
    urls = [c.url for c in res.citations]
    assert len(urls) == len(set(urls))
    assert "https://meridianwealth.mx/" in urls
    assert all(n.item.url in urls for n in res.news)
    assert all(c.licence and "fictional" in c.licence for c in res.citations)


def test_the_cache_survives_a_restart(
    consented: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    from leadqual.research import ResearchCache

    web = FakeResearchProvider("web")
    r = researcher(consented, sample_source, web)
    first = r.research(LEAD, now=sample_data.as_of)
    saved = r.cache.to_json()

    web2 = FakeResearchProvider("web")
    restored = ResearchCache.from_json(saved)
    r2 = researcher(consented, sample_source, web2, cache=restored)
    again = r2.research(LEAD, now=sample_data.as_of + timedelta(days=1))
    assert web2.calls == []  # served from the restored cache
    assert not again.diff.changed and again.diff.previous_at == first.researched_at
    assert not r2.is_due(LEAD, now=sample_data.as_of + timedelta(days=1))


def test_a_corrupt_saved_cache_is_a_clear_error() -> None:
    from leadqual.research import ResearchCache

    with pytest.raises(ConfigurationError, match="not a saved research cache"):
        ResearchCache.from_json('{"ttl_seconds": 60}')
    with pytest.raises(ConfigurationError):
        ResearchCache.from_json("not json")


def test_a_providers_own_concurrency_cap_is_honoured_without_eating_its_timeout(
    consented: AgentConfig,
) -> None:
    in_flight = peak = 0

    class Strict:
        name = "strict"
        max_concurrency = 1

        async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.02)
            in_flight -= 1
            return ResearchResult(provider=self.name)

    leads = [
        LeadContext(
            lead=Lead(
                id=f"L-{i}",
                company_name=f"Company {i}",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        for i in range(6)
    ]
    r = Researcher(config=consented, providers=[Strict()], provider_timeout=0.05)
    results = asyncio.run(r.aresearch_many(leads))
    assert peak == 1
    assert all(x.status("strict").state == "empty" for x in results)  # type: ignore[union-attr]


def test_many_sync_calls_on_fresh_loops_keep_working(consented: AgentConfig) -> None:
    # each sync research/asyncio.run has its own loop; semaphores must never leak across loops
    web = FakeResearchProvider("web", latency=0.001)
    r = Researcher(config=consented, providers=[web], max_concurrency=1)
    for i in range(30):
        leads = [
            LeadContext(
                lead=Lead(
                    id=f"L-{i}-{k}",
                    company_name=f"Co {i} {k}",
                    created_at=datetime(2026, 1, 1, tzinfo=UTC),
                )
            )
            for k in range(3)
        ]
        results = asyncio.run(r.aresearch_many(leads))
        assert all(x.status("web").state == "ok" for x in results)  # type: ignore[union-attr]


def test_a_research_policy_decides_per_lead_and_per_provider(
    sample_config: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    from leadqual.research import Authorization, ResearchPolicy

    class RegistriesOnlyForMexico:
        def authorize(self, context: LeadContext, /) -> Authorization:
            country = (
                context.account.address.country
                if context.account and context.account.address
                else None
            )
            if country == "México":
                return Authorization(
                    allowed=True, reason="legitimate interest (LIA-2026-04)", lawful_basis="legitimate_interest",
                    basis_ref="LIA-2026-04", providers=frozenset({"registry"}),
                )  # fmt: skip
            return Authorization(allowed=False, reason="no lawful basis recorded for this region")

    policy = RegistriesOnlyForMexico()
    assert isinstance(policy, ResearchPolicy)
    registry, news = FakeResearchProvider("registry"), FakeResearchProvider("news")
    r = researcher(sample_config, sample_source, registry, news, policy=policy)  # no global consent
    res = r.research(LEAD, now=sample_data.as_of)  # Meridian Wealth, México
    assert res.status("registry").state == "ok"  # type: ignore[union-attr]
    assert res.status("news").state == "skipped_consent"  # type: ignore[union-attr]
    assert "legitimate_interest" in res.steps[2].detail and "LIA-2026-04" in res.steps[2].detail
    other = r.research("L-0001", now=sample_data.as_of)  # Aurora Ledger, Germany
    assert other.status("registry").detail == "no lawful basis recorded for this region"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "address",
    [
        "kim@privaterelay.appleid.com",  # Apple's relay: researching it would research Apple
        "kim@mailinator.com",  # disposable
        "kim@duck.com",  # DuckDuckGo's relay
    ],
)
def test_a_personal_relay_or_disposable_domain_is_not_a_company_domain(address: str) -> None:
    lead = Lead(id="L-1", email=address, created_at=datetime(2026, 1, 1, tzinfo=UTC))
    query, why = company_query_for(LeadContext(lead=lead))
    assert query is None, query
    assert "no company name" in why


def test_an_internationalised_website_is_researched_by_its_idna_domain() -> None:
    lead = Lead(
        id="L-1", company_name="Stadtwerke", website="https://www.münchen.de/über",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    query, why = company_query_for(LeadContext(lead=lead))
    assert query is not None, why
    assert query.domain == "xn--mnchen-3ya.de"
    assert CompanyQuery(name="X", domain="MÜNCHEN.de").domain == "xn--mnchen-3ya.de"


@pytest.mark.parametrize(("confidence", "passed"), [(0.3, False), (0.7, False), (0.95, True)])
def test_ids_of_an_unconfirmed_match_are_not_passed_on(
    consented: AgentConfig, confidence: float, passed: bool
) -> None:
    class Resolver:
        name = "resolver"

        async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
            result = overview("resolver", confidence, name="Contoso Ltd (maybe)")
            return result.replace(identifiers={"wikidata": "Q42"})

    seen: list[CompanyQuery] = []

    class Follower:
        name = "follower"
        depends_on = ("resolver",)

        async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
            seen.append(company)
            return ResearchResult(provider="follower")

    lead = Lead(id="L-1", company_name="Contoso", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    r = Researcher(config=consented, providers=[Resolver(), Follower()], min_confidence=0.9)
    r.research(LeadContext(lead=lead))
    assert ("wikidata" in seen[0].ids) is passed


@pytest.mark.parametrize(
    "website",
    [
        "https://www.linkedin.com/company/contoso-pharma",
        "facebook.com/ContosoPharma",
        "https://contoso.wixsite.com/home",
        "https://sites.google.com/view/contoso",
    ],
)
def test_a_page_on_a_shared_platform_is_not_the_companys_domain(website: str) -> None:
    lead = Lead(
        id="L-1",
        company_name="Contoso",
        website=website,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    query, _ = company_query_for(LeadContext(lead=lead))
    assert query is not None
    assert query.domain is None and query.website is None  # never research LinkedIn or Wix
    assert query.name == "Contoso"
    assert CompanyQuery(name="Contoso", website=website).domain is None


def test_the_platforms_own_home_page_is_still_its_domain() -> None:
    lead = Lead(
        id="L-1", company_name="LinkedIn", website="https://www.linkedin.com/",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    query, _ = company_query_for(LeadContext(lead=lead))
    assert query is not None and query.domain == "linkedin.com"


def test_a_failing_lead_in_a_batch_leaves_no_research_running_behind(
    consented: AgentConfig, sample_source: MemorySource, sample_data: SampleData
) -> None:
    from leadqual.errors import RecordNotFound

    r = researcher(consented, sample_source, FakeResearchProvider("slow", latency=0.2))

    async def main() -> None:
        with pytest.raises(RecordNotFound):
            await r.aresearch_many([LEAD, "L-NOT-THERE"], now=sample_data.as_of)
        await asyncio.sleep(0.4)  # longer than the provider takes

    asyncio.run(main())
    # the caller got the error: the other lead's research was cancelled, not finished unseen
    assert r.cache.lead(LEAD) is None


def test_a_company_named_after_the_lead_is_not_sent_by_name(consented: AgentConfig) -> None:
    lead = Lead(
        id="L-1", first_name="Jane", last_name="Roe", company_name="Jane Roe Consulting LLC",
        email="jane@gmail.com", created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    query, why = company_query_for(LeadContext(lead=lead))
    assert query is None and "own name" in why
    with_site = lead.replace(website="https://janeroe-consulting.com")
    query, _ = company_query_for(LeadContext(lead=with_site))
    assert query is not None and query.name is None
    assert query.domain == "janeroe-consulting.com"


def test_sync_research_closes_the_connection_pool_its_private_loop_opened(
    consented: AgentConfig,
) -> None:
    import httpx

    from leadqual.research.gleif import GleifProvider
    from leadqual.testing.research import mock_fetcher

    fetcher = mock_fetcher(lambda request: httpx.Response(200, json={"data": []}))
    lead = Lead(
        id="L-1", first_name="Ann", last_name="Lee", company_name="Contoso Ltd",
        website="https://www.contoso.com", created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    r = Researcher(config=consented, providers=[GleifProvider(fetcher)])
    r.research(LeadContext(lead=lead))
    first_pool = fetcher._client
    assert first_pool.is_closed  # no socket outlives the loop that opened it
    r.research(LeadContext(lead=lead), force=True)  # still usable: a new pool, closed again
    assert fetcher._client is not first_pool
    assert fetcher._client.is_closed
    assert fetcher.requests_made >= 2
