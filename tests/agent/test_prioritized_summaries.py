"""``prioritized`` reads the store's summaries and orders duplicate groups on their accounts'
leads only: its lists must be exactly those of the full way (every insight decoded, everything
ranked, then ranked again without the folded records), ties and duplicates included."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.agent import QualificationAgent
from leadqual.agent.views import PrioritizedEntry, SellerView
from leadqual.config import AgentConfig
from leadqual.email import EmailValidator
from leadqual.icp import IcpFit, IcpMatcher
from leadqual.insight import DuplicateRef, LeadInsight, SellerCard
from leadqual.models import Lead, Seller
from leadqual.scoring.grading import LeadScore
from leadqual.sources import MemorySource, SampleData, build_context
from leadqual.store import MemoryInsightStore, SqlInsightStore

ADMIN = "S-ADM"
CARD = SellerCard(name="Ada", next_action="Call", reason="Asked", call_to_action="Call her")


def _full_way(
    agent: QualificationAgent,
    seller: str,
    now: datetime,
    limit: int | None,
    include_duplicates: bool,
) -> SellerView:
    """The list as it was made before summaries: every insight decoded, two full rankings."""
    access = agent._access_rules()
    owners = access.visible_owners(seller)
    leads = [lead for lead in agent.source.leads() if agent._selected(lead, now)]
    stored = {i.lead_id: i for i in agent.store.insights(owner_ids=owners)}
    contexts = [build_context(agent.source, lead.id) for lead in leads]
    fits = {k: v.icp_fit for k, v in stored.items() if v.icp_fit is not None}
    scores = {k: float(v.score.score) for k, v in stored.items() if v.score is not None}
    ranked = agent.prioritizer.rank(
        contexts, now=now, fits=fits, scores=scores or None, include_closed=True
    )
    order = ranked.lead_ids()
    parent = {i: i for i in order}

    def root(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for lead_id in order:
        insight = stored.get(lead_id)
        for d in insight.duplicates if insight else ():
            if d.kind == "lead" and d.record_id in parent:
                a, b = root(lead_id), root(d.record_id)
                if a != b:
                    parent[b] = a
    folded: dict[str, list[str]] = {}
    heads: dict[str, str] = {}
    if not include_duplicates:
        for lead_id in order:
            r = root(lead_id)
            if r not in heads:
                heads[r] = lead_id
                folded[lead_id] = []
            else:
                folded[heads[r]].append(lead_id)
    if any(folded.values()):
        gone = {x for others in folded.values() for x in others}
        ranked = agent.prioritizer.rank(
            [c for c in contexts if c.lead.id not in gone],
            now=now,
            fits=fits,
            scores=scores or None,
            include_closed=True,
        )
    entries = []
    for e in ranked.entries[:limit]:
        insight = stored.get(e.lead_id)
        entries.append(
            PrioritizedEntry(
                rank=e.rank,
                lead_id=e.lead_id,
                why=e.why,
                is_handraiser=e.handraiser.is_handraiser,
                rating=e.rating.rating,
                owner_id=e.owner_id,
                card=insight.card if insight else None,
                refreshed_at=insight.refreshed_at if insight else None,
                duplicates=tuple(folded.get(e.lead_id, ())),
                detail=e,
            )
        )
    return SellerView(
        seller_id=seller,
        role=access.role(seller),
        now=now,
        order=tuple(ranked.order),
        entries=tuple(entries),
    )


@pytest.fixture(scope="module")
def fits(sample_data: SampleData, sample_config: AgentConfig) -> list[IcpFit]:
    assert sample_config.icp is not None
    matcher = IcpMatcher(sample_config.icp)
    source = MemorySource.from_snapshot(sample_data.crm)
    return [matcher.match(build_context(source, lead.id)) for lead in sample_data.crm.leads[:6]]


def _score(lead_id: str, value: int) -> LeadScore:
    return LeadScore(
        lead_id=lead_id,
        score=value,
        probability=value / 100,
        grade="B",
        band=(max(0, value - 5), min(100, value + 5)),
        model="m",
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_the_list_is_the_one_every_insight_decoded_gives(
    backend: str,
    data: st.DataObject,
    sample_data: SampleData,
    sample_config: AgentConfig,
    fits: list[IcpFit],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    crm = sample_data.crm
    source = MemorySource.from_snapshot(crm)
    source.add(Seller(id=ADMIN, name="Admin", roles=("System Administrator",)))
    templates = [lead for lead in crm.leads if lead.is_open][:40]
    accounts = [a.id for a in crm.accounts[:3]]
    n = data.draw(st.integers(2, 30), label="leads")
    clones: list[Lead] = []
    for i in range(n):
        # Few templates, so many clones tie on every factor and are ordered by id.
        template = templates[data.draw(st.integers(0, 3), label="template")]
        account = data.draw(st.sampled_from([None, None, *accounts]), label="account")
        clones.append(template.replace(id=f"G-{i:03d}", account_id=account, contact_id=None))
    source.add(*clones)
    store = (
        MemoryInsightStore()
        if backend == "memory"
        else SqlInsightStore.sqlite(tmp_path_factory.mktemp("prio") / "insights.db")
    )
    agent = QualificationAgent(
        sample_config,
        source,
        store=store,
        email_validator=EmailValidator(check_deliverability=False),
    )
    ids = [c.id for c in clones]
    for lead in clones:
        fit = data.draw(st.sampled_from([None, *fits[:2]]), label="fit")
        score = data.draw(st.sampled_from([None, 40, 40, 80]), label="score")
        others = data.draw(st.lists(st.sampled_from(ids), max_size=2, unique=True), label="dupes")
        store.save(
            LeadInsight(
                lead_id=lead.id,
                owner_id=lead.owner_id,
                refreshed_at=sample_data.as_of,
                card=CARD,
                icp_fit=fit,
                score=_score(lead.id, score) if score is not None else None,
                duplicates=tuple(
                    DuplicateRef(record_id=o, kind="lead", rule="same_email")
                    for o in others
                    if o != lead.id
                ),
            )
        )
    now = sample_data.as_of
    limit = data.draw(st.sampled_from([None, 1, 5]), label="limit")
    include = data.draw(st.booleans(), label="include_duplicates")
    try:
        got = agent.prioritized(ADMIN, now=now, limit=limit, include_duplicates=include)
        assert got == _full_way(agent, ADMIN, now, limit, include)
    finally:
        store.close()
