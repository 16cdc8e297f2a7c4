"""The offline sample provider over the bundled sample data."""

from __future__ import annotations

import asyncio

from leadqual.research.providers import CompanyQuery, is_external
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.sources import SampleData


def test_sample_provider_is_offline_and_labelled_fictional(sample_data: SampleData) -> None:
    p = SampleResearchProvider(sample_data)
    assert not is_external(p)
    r = asyncio.run(p.aresearch(CompanyQuery(name="Meridian Wealth", domain="meridianwealth.mx")))
    ov = r.overviews[0]
    assert ov.provenance.licence and "fictional" in ov.provenance.licence
    assert ov.provenance.retrieved_at == sample_data.as_of
    assert ov.products and ov.mission and ov.founded == "2009"
    assert r.financials[0].revenue is not None
    assert [n.topic for n in r.news][:2] == ["product_launch", "leadership_change"]
    assert all(n.url.startswith("https://") and ".example/" in n.url for n in r.news)


def test_every_sample_account_gets_an_overview_from_crm_fields(sample_data: SampleData) -> None:
    p = SampleResearchProvider(sample_data)
    for account in sample_data.crm.accounts:
        r = asyncio.run(p.aresearch(CompanyQuery(name=account.name, website=account.website)))
        assert r.overviews[0].industry == account.industry
        assert r.overviews[0].provenance.match_confidence == 1.0


def test_a_name_only_match_has_lower_confidence(sample_data: SampleData) -> None:
    account = sample_data.crm.accounts[0]
    r = asyncio.run(SampleResearchProvider(sample_data).aresearch(CompanyQuery(name=account.name)))
    assert r.overviews[0].provenance.match_confidence < 1.0


def test_a_company_outside_the_sample_is_empty(sample_data: SampleData) -> None:
    r = asyncio.run(
        SampleResearchProvider(sample_data).aresearch(CompanyQuery(name="Not In Sample Ltd"))
    )
    assert r.is_empty
