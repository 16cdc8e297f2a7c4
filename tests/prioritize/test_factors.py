"""One rule per ranking factor: a lead ranked on its own and the same lead as a row of a signals
table get the same standing, and the two ranking paths give the same order."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.config import PrioritizationOrder
from leadqual.icp import IcpCharacteristic, IcpFit, IcpProfile
from leadqual.models import (
    Account,
    Appointment,
    EmailMessage,
    Lead,
    LeadContext,
    Opportunity,
    PhoneCall,
    RecordRef,
)
from leadqual.prioritize import (
    DEFAULT_PRIORITY_ORDER,
    FieldCondition,
    HandraiserResult,
    HandraiserSegment,
    Prioritizer,
    RatingPolicy,
    SegmentResult,
)
from leadqual.prioritize._frame import FrameColumns
from leadqual.prioritize.factors import (
    AccountAssociation,
    EngagementFactor,
    LeadSignals,
    build_factors,
)
from leadqual.prioritize.rating import Engagement

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
TIERS = ("High", "Moderate", "Unknown", "Low")


@st.composite
def prioritisation_settings(draw: st.DrawFn) -> PrioritizationOrder:
    order = draw(st.permutations(DEFAULT_PRIORITY_ORDER))
    size = draw(st.integers(1, len(order)))
    cuts = sorted(draw(st.sets(st.integers(0, 100), min_size=1, max_size=4)), reverse=True)
    recent = draw(st.integers(0, 30))
    return PrioritizationOrder(
        order=tuple(order[:size]),
        score_cutoffs=tuple(float(c) for c in cuts),
        rating=RatingPolicy(recent_days=recent, warm_days=recent + draw(st.integers(0, 30))),
    )


@st.composite
def lead_signals(draw: st.DrawFn, lead_id: str, with_icp: bool, have_model: bool) -> LeadSignals:
    matched = draw(st.lists(st.booleans(), max_size=3))
    fit = None
    if with_icp:
        fit = IcpFit(
            lead_id=lead_id,
            profile="p",
            score=draw(st.sampled_from([0.0, 12.5, 50.0, 77.78, 100.0])),
            tier=draw(st.sampled_from(TIERS)),
            coverage=1.0,
            results=(),
        )
    engagement_score = draw(st.sampled_from([0.0, 8.0, 19.0, 20.0, 49.0, 50.0, 100.0]))
    minutes = draw(st.integers(-3 * 24 * 60, 400 * 24 * 60))
    return LeadSignals(
        lead_id=lead_id,
        now=NOW,
        handraiser=HandraiserResult(
            lead_id=lead_id,
            segments=tuple(
                SegmentResult(segment=f"S{i}", matched=m, conditions=())
                for i, m in enumerate(matched)
            ),
        ),
        fit=fit,
        score=draw(st.none() | st.floats(0, 100)),
        have_model=have_model,
        engagement=Engagement(
            score=engagement_score,
            level="Low",  # the level is words only; the rule reads the score
            last_touch_at=NOW - timedelta(minutes=minutes),
        ),
        association=AccountAssociation(
            band=draw(st.integers(0, 3)),
            open_opportunity_value=draw(st.sampled_from([0.0, 1_000.0, 50_000.0])),
            other_open_leads=draw(st.integers(0, 3)),
            label="-",
        ),
    )


@st.composite
def signal_batches(draw: st.DrawFn) -> list[LeadSignals]:
    n = draw(st.integers(1, 15))
    with_icp, have_model = draw(st.booleans()), draw(st.booleans())
    return [draw(lead_signals(f"L-{i:02d}", with_icp, have_model)) for i in range(n)]


def as_row(lead: LeadSignals) -> dict[str, Any]:
    """The lead as a row of the signals table, written the way a user writes one."""
    row: dict[str, Any] = {
        "lead_id": lead.lead_id,
        "handraiser": lead.handraiser.is_handraiser,
        "handraiser_segments": len(lead.handraiser.matched_segments),
        "predictive_score": math.nan if lead.score is None else lead.score,
        "engagement_score": lead.engagement.score,
        "account_band": lead.association.band,
        "open_opportunity_value": lead.association.open_opportunity_value,
        "other_open_leads": lead.association.other_open_leads,
        "days_since_touch": (NOW - lead.engagement.last_touch_at).total_seconds() / 86400,
    }
    if lead.fit is not None:
        row["icp_tier"], row["icp_score"] = lead.fit.tier, lead.fit.score
    return row


def as_frame(batch: list[LeadSignals]) -> pd.DataFrame:
    frame = pd.DataFrame([as_row(lead) for lead in batch])
    if not batch[0].have_model:
        frame = frame.drop(columns="predictive_score")
    return frame


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=signal_batches(), config=prioritisation_settings())
def test_every_factor_gives_a_lead_and_its_table_row_the_same_standing(
    batch: list[LeadSignals], config: PrioritizationOrder
) -> None:
    columns = FrameColumns(as_frame(batch))
    for factor in build_factors(config):
        bands, values = factor.values(columns)
        single = [factor.value(lead) for lead in batch]
        assert [s.band for s in single] == bands.tolist(), factor.name
        assert [s.value for s in single] == values.tolist(), factor.name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=signal_batches(), config=prioritisation_settings())
def test_ranking_a_table_orders_leads_as_their_single_lead_sort_keys_do(
    batch: list[LeadSignals], config: PrioritizationOrder
) -> None:
    p = Prioritizer(order=config.order, rating=config.rating, score_cutoffs=config.score_cutoffs)
    keyed = sorted(
        batch, key=lambda lead: p.sort_key(lead.lead_id, [f.value(lead) for f in p.factors])
    )
    ranked = p.rank_frame(as_frame(batch).sample(frac=1.0, random_state=0))
    assert ranked["lead_id"].tolist() == [lead.lead_id for lead in keyed]


def test_the_agreement_property_sees_a_rule_that_drifts() -> None:
    # guard against a vacuous property: a factor whose table rule differs is caught
    class Drifting(EngagementFactor):
        def read(self, columns: FrameColumns, /) -> dict[str, Any]:
            return {"engagement_score": columns.number("engagement_score", missing=0.0) + 1}

    lead = LeadSignals(
        lead_id="L-1",
        now=NOW,
        handraiser=HandraiserResult(lead_id="L-1", segments=()),
        fit=None,
        score=None,
        have_model=False,
        engagement=Engagement(score=49.5, level="Medium", last_touch_at=NOW),
        association=AccountAssociation(
            band=0, open_opportunity_value=0.0, other_open_leads=0, label="-"
        ),
    )
    factor = Drifting()
    bands, _ = factor.values(FrameColumns(as_frame([lead])))
    assert factor.value(lead).band != bands[0]


# -- contexts all the way: rank() against signals_frame() + rank_frame() ---------------------

PROFILE = IcpProfile(
    characteristics=[
        IcpCharacteristic(
            name="Industry", kind="categorical", targets=["Fintech"], fields=["lead.industry"]
        ),
        IcpCharacteristic(
            name="Size", kind="numeric_range", targets=["500+"], fields=["lead.employee_count"]
        ),
    ]
)
SEGMENTS = [
    HandraiserSegment(
        name="Web",
        conditions=[FieldCondition(field="lead.lead_source", op="eq", value="Web form")],
    ),
    HandraiserSegment(
        name="Big",
        conditions=[FieldCondition(field="lead.employee_count", op="ge", value=1000)],
    ),
]


@st.composite
def contexts(draw: st.DrawFn, lead_id: str) -> LeadContext:
    ref = RecordRef(kind="lead", id=lead_id)
    activities: list[Any] = []
    for i, days in enumerate(draw(st.lists(st.floats(0, 90), max_size=3))):
        activities.append(
            EmailMessage(
                id=f"E-{lead_id}-{i}",
                regarding=ref,
                direction=draw(st.sampled_from(["inbound", "outbound"])),
                from_address="a@b.example",
                sent_at=NOW - timedelta(days=days),
            )
        )
    if draw(st.booleans()):
        activities.append(
            PhoneCall(
                id=f"P-{lead_id}",
                regarding=ref,
                direction="inbound",
                answered=draw(st.booleans()),
                started_at=NOW - timedelta(days=draw(st.floats(0, 40))),
            )
        )
    if draw(st.booleans()):
        start = NOW + timedelta(days=draw(st.floats(-30, 10)))
        activities.append(
            Appointment(
                id=f"M-{lead_id}", regarding=ref, start=start, end=start + timedelta(hours=1)
            )
        )
    account_id = draw(st.sampled_from([None, "A-1", "A-2"]))
    account = None
    opportunities: tuple[Opportunity, ...] = ()
    if account_id is not None:
        account = Account(id=account_id, name=account_id, created_at=NOW - timedelta(days=500))
        if draw(st.booleans()):
            opportunities = (
                Opportunity(
                    id=f"O-{lead_id}",
                    name="Deal",
                    account_id=account_id,
                    estimated_value=draw(st.sampled_from([None, 10_000.0, 80_000.0])),
                    created_at=NOW - timedelta(days=20),
                ),
            )
    return LeadContext(
        lead=Lead(
            id=lead_id,
            owner_id=draw(st.sampled_from(["S-1", "S-2"])),
            account_id=account_id,
            lead_source=draw(st.sampled_from([None, "Web form", "Trade show"])),
            industry=draw(st.sampled_from([None, "Fintech", "Retail"])),
            employee_count=draw(st.sampled_from([None, 40, 600, 5000])),
            created_at=NOW - timedelta(days=draw(st.floats(0, 200))),
        ),
        account=account,
        opportunities=opportunities,
        activities=tuple(activities),
    )


@st.composite
def context_batches(draw: st.DrawFn) -> list[LeadContext]:
    return [draw(contexts(f"L-{i:02d}")) for i in range(draw(st.integers(1, 10)))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=context_batches(),
    config=prioritisation_settings(),
    scored=st.dictionaries(st.sampled_from([f"L-{i:02d}" for i in range(10)]), st.floats(0, 100)),
    with_icp=st.booleans(),
)
def test_ranking_contexts_and_ranking_their_signals_table_agree(
    batch: list[LeadContext],
    config: PrioritizationOrder,
    scored: dict[str, float],
    with_icp: bool,
) -> None:
    p = Prioritizer(
        icp=PROFILE if with_icp else None,
        handraisers=SEGMENTS,
        order=config.order,
        rating=config.rating,
        score_cutoffs=config.score_cutoffs,
    )
    ranked = p.rank(batch, now=NOW, scores=scored)
    table = p.rank_frame(p.signals_frame(batch, now=NOW, scores=scored))
    assert table["lead_id"].tolist() == ranked.lead_ids()
    deciders = [None if pd.isna(f) else f for f in table["deciding_factor"]]
    assert deciders == [e.ahead_because for e in ranked.entries]


@pytest.mark.parametrize("name", DEFAULT_PRIORITY_ORDER)
def test_explain_gives_one_lead_the_standing_rank_gives_it(name: str) -> None:
    lead = Lead(id="L-1", lead_source="Web form", industry="Fintech", created_at=NOW)
    context = LeadContext(lead=lead)
    p = Prioritizer(icp=PROFILE, handraisers=SEGMENTS, order=[name])
    assert (
        p.explain(context, now=NOW, score=60.0)
        == p.rank([context], now=NOW, scores={"L-1": 60.0}).entries[0].factors
    )


def test_a_numpy_column_of_bands_adds_up_rather_than_or_ing() -> None:
    # numpy adds boolean arrays as "or": a rule that forgot it would cap every band at 1
    engagement = build_factors(PrioritizationOrder(order=("engagement",)))[0]
    bands, _ = engagement.rule({"engagement_score": np.array([0.0, 10.0, 30.0, 70.0])})
    assert bands.tolist() == [0.0, 1.0, 2.0, 3.0]
