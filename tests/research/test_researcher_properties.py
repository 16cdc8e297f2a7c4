"""Invariants of the Researcher over random provider failures (hypothesis)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.config import AgentConfig, CompanyKnowledge, Consent, ProductKnowledge
from leadqual.models import Lead, LeadContext
from leadqual.research.researcher import Researcher
from leadqual.testing.research import FakeResearchProvider

CONFIG = AgentConfig(
    company=CompanyKnowledge(name="V"),
    products=(ProductKnowledge(name="P", description="d"),),
    consent=Consent(web_research=True),
)


@settings(max_examples=25, deadline=None)
@given(
    companies=st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=12),
    fail_rates=st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=3),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_every_lead_comes_back_with_one_status_per_provider(
    companies: list[int], fail_rates: list[float], seed: int
) -> None:
    providers = [
        FakeResearchProvider(f"p{i}", failure_rate=rate, seed=seed)
        for i, rate in enumerate(fail_rates)
    ]
    leads = [
        LeadContext(
            lead=Lead(
                id=f"L-{i}",
                company_name=f"Company {c}",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        for i, c in enumerate(companies)
    ]
    r = Researcher(config=CONFIG, providers=providers, max_concurrency=2)
    results = asyncio.run(r.aresearch_many(leads))
    assert [x.lead_id for x in results] == [x.lead.id for x in leads]
    for res in results:
        assert [s.provider for s in res.sources] == [p.name for p in providers]
        assert all(s.state in ("ok", "failed") for s in res.sources)
        assert 0 <= res.signal.score <= 100
        for field in res.profile:
            if field.value is not None:
                assert field.chosen_from in {s.provider for s in field.sources}
    # one call per company and provider at most (failures are shared, not retried in a batch)
    for p in providers:
        assert len(p.calls) == len(set(companies))
    surfaced = sum(1 for res in results for s in res.sources if s.state == "failed")
    raised = sum(p.failures for p in providers)
    assert (surfaced == 0) == (raised == 0)
