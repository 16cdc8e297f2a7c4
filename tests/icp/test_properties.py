"""Invariants of ICP matching, checked with hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.icp import IcpCharacteristic, IcpMatcher, IcpProfile
from leadqual.models import Address, EmailMessage, Lead, LeadContext, RecordRef
from leadqual.prioritize import (
    ActivityCondition,
    FieldCondition,
    HandraiserSegment,
    Prioritizer,
)

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
INDUSTRIES = [
    None,
    "Fintech",
    "Retail",
    "Computer Software",
    "Government Administration",
    "Hospital & Health Care",
    "Widgets",
]
COUNTRIES = [None, "USA", "Deutschland", "UK", "Brasil", "Japan", "Atlantis"]
TITLES = [None, "CIO", "VP of Sales", "Intern", "Marketing Manager", "IT Director", "Wizard"]
NEEDS = [
    None,
    "Our pipeline forecasts are unreliable",
    "Need payroll software",
    "manual CRM data entry",
]
SOURCES = [None, "Web form", "Campaign", "Chat", "Trade show", "Partner"]
SIZES: list[int | None] = [None, 12, 480, 500, 2500]

CHARACTERISTICS = [
    IcpCharacteristic(
        name="Industry",
        kind="categorical",
        targets=["Technology", "Financial Services"],
        exclude=["Government"],
        fields=["lead.industry"],
        weight=3,
    ),
    IcpCharacteristic(
        name="Size",
        kind="numeric_range",
        targets=["500+"],
        fields=["lead.employee_count"],
        weight=2,
    ),
    IcpCharacteristic(
        name="Location",
        kind="location",
        targets=["North America", "Europe"],
        fields=["lead.address.country"],
        weight=1,
    ),
    IcpCharacteristic(
        name="Title",
        kind="job_title",
        targets=["CIO", "Head of Sales"],
        fields=["lead.job_title"],
        weight=2,
    ),
    IcpCharacteristic(
        name="Need",
        kind="need",
        targets=["unreliable pipeline forecasts"],
        fields=["lead.need"],
        weight=1,
    ),
]


@st.composite
def leads(draw: st.DrawFn, lead_id: str = "L-1") -> Lead:
    country = draw(st.sampled_from(COUNTRIES))
    return Lead(
        id=lead_id,
        industry=draw(st.sampled_from(INDUSTRIES)),
        employee_count=draw(st.sampled_from(SIZES)),
        address=Address(country=country) if country else None,
        job_title=draw(st.sampled_from(TITLES)),
        need=draw(st.sampled_from(NEEDS)),
        lead_source=draw(st.sampled_from(SOURCES)),
        topic=draw(st.sampled_from(["alpha", "beta", "gamma"])),
        owner_id=draw(st.sampled_from(["S-1", "S-2"])),
        created_at=NOW - timedelta(days=draw(st.integers(0, 120))),
    )


@st.composite
def contexts(draw: st.DrawFn, lead_id: str = "L-1") -> LeadContext:
    lead = draw(leads(lead_id))
    days = draw(st.lists(st.integers(0, 90), max_size=3))
    acts = tuple(
        EmailMessage(
            id=f"E-{lead_id}-{i}",
            regarding=RecordRef(kind="lead", id=lead_id),
            direction=draw(st.sampled_from(["inbound", "outbound"])),
            from_address="a@b.example",
            sent_at=max(lead.created_at, NOW - timedelta(days=d)),
        )
        for i, d in enumerate(days)
    )
    return LeadContext(lead=lead, activities=acts)


profiles = st.lists(
    st.sampled_from(CHARACTERISTICS), min_size=1, max_size=5, unique_by=lambda c: c.name
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chars=profiles, ctx=contexts(), weight=st.floats(0.1, 50))
def test_adding_a_matched_characteristic_never_lowers_the_score(
    chars: list[IcpCharacteristic], ctx: LeadContext, weight: float
) -> None:
    before = IcpMatcher(IcpProfile(characteristics=chars)).match(ctx)
    topic = ctx.lead.topic or "alpha"
    extra = IcpCharacteristic(
        name="Topic", kind="categorical", targets=[topic], fields=["lead.topic"], weight=weight
    )
    after = IcpMatcher(IcpProfile(characteristics=[*chars, extra])).match(ctx)
    assert after.result("Topic").status == "matched"
    assert after.score >= before.score - 1e-9


@settings(max_examples=150, deadline=None)
@given(ctx=contexts(), data=st.data())
def test_a_value_turning_into_a_match_never_lowers_the_score(ctx: LeadContext, data: Any) -> None:
    matcher = IcpMatcher(IcpProfile(characteristics=CHARACTERISTICS))
    before = matcher.match(ctx)
    improved = ctx.lead.model_copy(update={"industry": "Fintech"})
    after = matcher.match(ctx.model_copy(update={"lead": improved}))
    assert after.score >= before.score - 1e-9


@settings(max_examples=200, deadline=None)
@given(
    ctx=contexts(),
    field=st.sampled_from(["industry", "employee_count", "address", "job_title", "need"]),
)
def test_unknown_values_never_count_as_mismatches(ctx: LeadContext, field: str) -> None:
    matcher = IcpMatcher(IcpProfile(characteristics=CHARACTERISTICS))
    blank = ctx.model_copy(update={"lead": ctx.lead.model_copy(update={field: None})})
    fit = matcher.match(blank)
    name = {
        "industry": "Industry",
        "employee_count": "Size",
        "address": "Location",
        "job_title": "Title",
        "need": "Need",
    }[field]
    r = fit.result(name)
    assert r.status == "unknown"
    assert r.credit == 0
    known = [x for x in fit.results if x.status != "unknown"]
    if known:
        expected = 100 * sum(x.weight * x.credit for x in known) / sum(x.weight for x in known)
        assert abs(fit.score - round(expected, 2)) < 1e-6
    # dropping a value that did not match never lowers the score
    original = matcher.match(ctx).result(name)
    if original.status == "not_matched":
        assert fit.score >= matcher.match(ctx).score - 1e-9


SEGMENTS = [
    HandraiserSegment(
        name="Web",
        match="any",
        conditions=[
            FieldCondition(field="lead.lead_source", op="in", value=["Web form", "Campaign"])
        ],
    ),
    HandraiserSegment(
        name="Inbound",
        conditions=[ActivityCondition(kinds=["email", "chat", "phone_call"], within_days=30)],
    ),
]


@st.composite
def batches(draw: st.DrawFn) -> list[LeadContext]:
    n = draw(st.integers(1, 12))
    return [draw(contexts(f"L-{i:02d}")) for i in range(n)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=batches(),
    scores=st.dictionaries(st.sampled_from([f"L-{i:02d}" for i in range(12)]), st.floats(0, 100)),
)
def test_handraisers_always_rank_above_the_rest_under_the_default_order(
    batch: list[LeadContext], scores: dict[str, float]
) -> None:
    p = Prioritizer(icp=IcpProfile(characteristics=CHARACTERISTICS), handraisers=SEGMENTS)
    ranked = p.rank(batch, now=NOW, scores=scores)
    flags = [e.handraiser.is_handraiser for e in ranked.entries]
    assert flags == sorted(flags, reverse=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches(), seed=st.randoms(use_true_random=False))
def test_ranking_is_a_pure_function_of_its_inputs(batch: list[LeadContext], seed: Any) -> None:
    p = Prioritizer(icp=IcpProfile(characteristics=CHARACTERISTICS), handraisers=SEGMENTS)
    first = p.rank(batch, now=NOW)
    shuffled = list(batch)
    seed.shuffle(shuffled)
    again = Prioritizer(icp=IcpProfile(characteristics=CHARACTERISTICS), handraisers=SEGMENTS).rank(
        shuffled, now=NOW
    )
    assert again == first


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches())
def test_batch_frame_agrees_with_single_matches(batch: list[LeadContext]) -> None:
    matcher = IcpMatcher(IcpProfile(characteristics=CHARACTERISTICS))
    fits = matcher.match_many(batch)
    out = matcher.match_frame(matcher.to_frame(batch), reasons=True)
    assert out["icp_score"].tolist() == [f.score for f in fits]
    assert out["icp_tier"].astype(str).tolist() == [f.tier for f in fits]
    for c in CHARACTERISTICS:
        assert out[f"{c.name}: reason"].tolist() == [f.result(c.name).reason for f in fits]


def test_the_handraiser_property_would_catch_a_fit_first_order() -> None:
    # guard against a vacuous property: with ICP fit first, a fitting non-hand-raiser wins
    known = {"employee_count": 900, "job_title": "CIO", "address": Address(country="US")}
    fit = LeadContext(lead=Lead(id="L-a", industry="Fintech", created_at=NOW, **known))
    hand = LeadContext(
        lead=Lead(id="L-b", lead_source="Web form", industry="Retail", created_at=NOW, **known)
    )
    profile = IcpProfile(characteristics=CHARACTERISTICS)
    default = Prioritizer(icp=profile, handraisers=SEGMENTS).rank([fit, hand], now=NOW)
    swapped = Prioritizer(icp=profile, handraisers=SEGMENTS, order=["icp_fit", "handraiser"])
    assert default.lead_ids() == ["L-b", "L-a"]
    assert swapped.rank([fit, hand], now=NOW).lead_ids() == ["L-a", "L-b"]
