"""Rating and the Prioritizer: order, ties, reasons, seller view, filters, predictive scores."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from leadqual.config import AgentConfig
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.icp import IcpCharacteristic, IcpProfile
from leadqual.models import (
    Appointment,
    EmailMessage,
    LeadContext,
    Opportunity,
    PhoneCall,
    RecordRef,
)
from leadqual.prioritize import (
    FieldCondition,
    HandraiserSegment,
    Prioritizer,
    RatingPolicy,
    measure_engagement,
    rate_lead,
)
from leadqual.sources import SampleData

REF = RecordRef(kind="lead", id="L-1")
WEB = HandraiserSegment(
    name="Web", conditions=[FieldCondition(field="lead.lead_source", op="eq", value="Web form")]
)
TECH = IcpProfile(
    characteristics=[
        IcpCharacteristic(
            name="Industry", kind="categorical", targets=["Technology"], fields=["lead.industry"]
        )
    ]
)


def inbound(now: datetime, days: float, lead_id: str = "L-1") -> EmailMessage:
    return EmailMessage(
        id=f"E-{lead_id}-{days}",
        regarding=RecordRef(kind="lead", id=lead_id),
        direction="inbound",
        from_address="a@b.example",
        sent_at=now - timedelta(days=days),
    )


def test_engagement_counts_the_window_and_levels(make: Any, now: datetime) -> None:
    acts = (
        inbound(now, 2),
        inbound(now, 70),  # outside 60 days
        PhoneCall(
            id="P",
            regarding=REF,
            direction="inbound",
            answered=True,
            started_at=now - timedelta(days=5),
        ),
        Appointment(
            id="M",
            regarding=REF,
            start=now + timedelta(days=3),
            end=now + timedelta(days=3, hours=1),
        ),
    )
    e = measure_engagement(make(activities=acts), now=now)
    assert (e.inbound, e.meetings, e.score, e.level) == (2, 1, 60.0, "High")
    assert e.last_touch_at == now - timedelta(days=2)
    assert measure_engagement(make(), now=now).level == "None"


@pytest.mark.parametrize(("days", "points"), [(0, 2), (7, 2), (8, 1), (21, 1), (22, 0)])
def test_recency_bands(days: int, points: int, make: Any, now: datetime) -> None:
    r = rate_lead(make(created_days_ago=days), now=now)
    recency = next(p for p in r.parts if p.factor == "recency")
    assert recency.points == points


def test_rating_shows_each_part_and_adds_up(
    make: Any, now: datetime, seeds_profile: IcpProfile
) -> None:
    from leadqual.icp import IcpMatcher
    from leadqual.prioritize import HandraiserEvaluator

    ctx = make(
        lead_source="Web form",
        industry="Fintech",
        employee_count=900,
        country="US",
        job_title="CTO",
        activities=(inbound(now, 1), inbound(now, 3), inbound(now, 4), inbound(now, 5)),
    )
    fit = IcpMatcher(seeds_profile).match(ctx)
    hr = HandraiserEvaluator([WEB]).evaluate(ctx, now=now)
    r = rate_lead(ctx, now=now, fit=fit, handraiser=hr)
    assert [p.factor for p in r.parts] == ["fit", "intent", "recency", "engagement"]
    assert r.points == sum(p.points for p in r.parts) == 8
    assert r.rating == "Hot"
    cold = rate_lead(make(created_days_ago=90), now=now)
    assert (cold.rating, cold.points) == ("Cold", 0)
    assert "fit n/a 0" in cold.summary()


def test_rating_policy_is_checked() -> None:
    with pytest.raises(ValidationFailed):
        RatingPolicy(hot_at=2, warm_at=5)


def test_default_order_puts_handraisers_first_then_fit(make: Any, now: datetime) -> None:
    p = Prioritizer(icp=TECH, handraisers=[WEB])
    leads = [
        make("L-fit", industry="Technology"),
        make("L-hand", lead_source="Web form", industry="Retail"),
        make("L-none", industry="Retail"),
    ]
    ranked = p.rank(leads, now=now)
    assert ranked.lead_ids() == ["L-hand", "L-fit", "L-none"]
    top = ranked.entries[0]
    assert top.ahead_because == "handraiser"
    assert "Ahead of #2 on hand-raiser" in top.why
    assert ranked.entries[1].behind_because == "handraiser"
    assert ranked.entries[1].ahead_because == "icp_fit"


def test_configurable_order_changes_the_ranking(make: Any, now: datetime) -> None:
    p = Prioritizer(icp=TECH, handraisers=[WEB], order=["icp_fit", "handraiser"])
    leads = [
        make("L-fit", industry="Technology"),
        make("L-hand", lead_source="Web form", industry="Retail"),
    ]
    assert p.rank(leads, now=now).lead_ids() == ["L-fit", "L-hand"]
    with pytest.raises(ConfigurationError):
        Prioritizer(order=["icp_fit", "icp_fit"])
    with pytest.raises(ConfigurationError):
        Prioritizer(order=["charm"])  # type: ignore[list-item]


def test_predictive_score_is_optional_and_ranks_by_grade(make: Any, now: datetime) -> None:
    p = Prioritizer(icp=TECH)
    leads = [
        make("L-a", industry="Technology"),
        make("L-b", industry="Technology"),
        make("L-c", industry="Technology"),
    ]
    without = p.rank(leads, now=now)
    assert all(e.predictive_score is None for e in without.entries)
    assert "no model published" in [f.label for f in without.entries[0].factors]
    ranked = p.rank(leads, now=now, scores={"L-a": 30, "L-b": 90})
    assert ranked.lead_ids() == ["L-b", "L-a", "L-c"]
    assert ranked.entries[0].ahead_because == "predictive_score"
    assert "score 90 (A)" in ranked.entries[0].why


@pytest.mark.parametrize(
    "bad", [{"L-a": 120}, {"L-a": -1}, {"L-a": "high"}, {"L-a": float("nan")}, {"L-a": True}]
)
def test_bad_scores_are_refused_naming_the_lead(
    bad: dict[str, object], make: Any, now: datetime
) -> None:
    with pytest.raises(ValidationFailed, match="L-a"):
        Prioritizer().rank([make("L-a")], now=now, scores=bad)  # type: ignore[arg-type]


def test_duplicate_leads_are_refused(make: Any, now: datetime) -> None:
    with pytest.raises(ValidationFailed, match="twice"):
        Prioritizer().rank([make("L-a"), make("L-a")], now=now)


def test_ties_are_broken_by_lead_id_and_said(make: Any, now: datetime) -> None:
    ranked = Prioritizer().rank([make("L-2"), make("L-1"), make("L-3")], now=now)
    assert ranked.lead_ids() == ["L-1", "L-2", "L-3"]
    assert "lead id breaks the tie" in ranked.entries[0].why
    assert ranked.entries[0].ahead_because is None


def test_account_association_prefers_accounts_with_open_opportunities(
    make: Any, now: datetime
) -> None:
    opp = Opportunity(
        id="O-1",
        name="Deal",
        account_id="A-1",
        estimated_value=50_000,
        created_at=now - timedelta(days=10),
    )
    with_opp = make("L-x", account={"id": "A-1"}, opportunities=(opp,))
    linked = make("L-y", account={"id": "A-2"})
    nothing = make("L-z")
    ranked = Prioritizer().rank([nothing, linked, with_opp], now=now)
    assert ranked.lead_ids() == ["L-x", "L-y", "L-z"]
    assert "1 open opportunity worth 50,000" in ranked.entries[0].why


def test_other_open_leads_at_the_account_count(make: Any, now: datetime) -> None:
    a = make("L-a", account={"id": "A-1"})
    b = make("L-b", account={"id": "A-1"})
    c = make("L-c", account={"id": "A-2"})
    ranked = Prioritizer().rank([c, b, a], now=now)
    assert ranked.lead_ids()[-1] == "L-c"
    assert "1 other open lead(s)" in ranked.entries[0].factors[4].label


def test_seller_view_holds_only_own_open_leads(
    sample_data: SampleData, sample_config: AgentConfig, sample_contexts: list[LeadContext]
) -> None:
    p = Prioritizer.from_config(sample_config)
    ranked = p.rank(sample_contexts, now=sample_data.as_of, seller_id="S-02")
    owned = {c.lead.id for c in sample_contexts if c.lead.owner_id == "S-02" and c.lead.is_open}
    assert set(ranked.lead_ids()) == owned
    assert ranked.total == len(owned)
    assert [e.rank for e in ranked.entries] == list(range(1, len(owned) + 1))


def test_filters_keep_full_list_ranks(
    sample_data: SampleData, sample_config: AgentConfig, open_contexts: list[LeadContext]
) -> None:
    p = Prioritizer.from_config(sample_config)
    full = p.rank(open_contexts, now=sample_data.as_of)
    warm = p.rank(open_contexts, now=sample_data.as_of, ratings={"Hot", "Warm"})
    assert warm.entries
    assert all(e.rating.rating in ("Hot", "Warm") for e in warm.entries)
    assert [e.rank for e in warm.entries] == [
        e.rank for e in full.entries if e.rating.rating in ("Hot", "Warm")
    ]
    top = p.rank(open_contexts, now=sample_data.as_of, rank_bands={"top"})
    assert len(top) == len([e for e in full.entries if e.rank_band == "top"]) > 0
    window = p.rank(open_contexts, now=sample_data.as_of, ranks=(3, 5))
    assert [e.rank for e in window.entries] == [3, 4, 5]


def test_rank_source_matches_rank_over_contexts(
    sample_data: SampleData, sample_config: AgentConfig, open_contexts: list[LeadContext]
) -> None:
    from leadqual.sources import load_sample

    p = Prioritizer.from_config(sample_config)
    a = p.rank_source(load_sample(), now=sample_data.as_of, seller_id="S-01")
    b = p.rank(open_contexts, now=sample_data.as_of, seller_id="S-01")
    assert a == b


def test_every_entry_explains_its_rank(
    sample_data: SampleData, sample_config: AgentConfig, open_contexts: list[LeadContext]
) -> None:
    ranked = Prioritizer.from_config(sample_config).rank(open_contexts, now=sample_data.as_of)
    for e in ranked.entries:
        assert e.why.startswith(f"#{e.rank} of {ranked.total}:")
        assert len(e.factors) == 6
        if e.ahead_because:
            assert "Ahead of" in e.why
    lines = ranked.lines(limit=3)
    assert len(lines) == 3
    assert lines[0].startswith("#1")


def test_rank_frame_matches_rank(
    sample_data: SampleData, sample_config: AgentConfig, open_contexts: list[LeadContext]
) -> None:
    p = Prioritizer.from_config(sample_config)
    ranked = p.rank(open_contexts, now=sample_data.as_of)
    rows = []
    for e in ranked.entries:
        f = {v.factor: v for v in e.factors}
        rows.append(
            {
                "lead_id": e.lead_id,
                "owner_id": e.owner_id,
                "handraiser": e.handraiser.is_handraiser,
                "icp_tier": e.fit.tier if e.fit else None,
                "icp_score": e.fit.score if e.fit else np.nan,
                "engagement_score": e.engagement.score,
                "account_band": f["account_association"].band,
                "open_opportunity_value": f["account_association"].value,
                "days_since_touch": (sample_data.as_of - e.engagement.last_touch_at).total_seconds()
                / 86400,
            }
        )
    frame = pd.DataFrame(rows).sample(frac=1.0, random_state=3)
    out = p.rank_frame(frame)
    assert out["lead_id"].tolist() == ranked.lead_ids()
    assert out["rank"].tolist() == list(range(1, len(rows) + 1))
    assert out["deciding_factor"].tolist()[:-1] == [e.ahead_because for e in ranked.entries][:-1]
    mine = p.rank_frame(frame, seller_id="S-01")
    assert set(mine["owner_id"]) == {"S-01"}
    with pytest.raises(ValidationFailed):
        p.rank_frame(pd.concat([frame, frame.head(1)]))


def test_signals_frame_feeds_rank_frame_to_the_same_order(
    sample_data: SampleData, sample_config: AgentConfig, open_contexts: list[LeadContext]
) -> None:
    p = Prioritizer.from_config(sample_config)
    scores = {c.lead.id: float(i % 97) for i, c in enumerate(open_contexts) if i % 3}
    ranked = p.rank(open_contexts, now=sample_data.as_of, scores=scores)
    signals = p.signals_frame(open_contexts, now=sample_data.as_of, scores=scores)
    assert len(signals) == len(open_contexts)
    out = p.rank_frame(signals.sample(frac=1.0, random_state=1))
    assert out["lead_id"].tolist() == ranked.lead_ids()


def test_scores_may_be_score_objects_and_cutoffs_configurable(make: Any, now: datetime) -> None:
    class LeadScoreLike:
        def __init__(self, score: int) -> None:
            self.score = score

    leads = [make("L-a"), make("L-b")]
    p = Prioritizer(score_cutoffs=(60.0,))
    ranked = p.rank(leads, now=now, scores={"L-a": LeadScoreLike(55), "L-b": LeadScoreLike(65)})
    assert ranked.lead_ids() == ["L-b", "L-a"]
    labels = [e.factors[2].label for e in ranked.entries]
    assert labels == ["score 65 (A)", "score 55 (B)"]
    with pytest.raises(ConfigurationError):
        Prioritizer(score_cutoffs=(20.0, 50.0))


@pytest.mark.parametrize(
    "filters",
    [{"ratings": {"Hotter"}}, {"rank_bands": {"middle"}}, {"ranks": (0, 3)}, {"ranks": (5, 2)}],
)
def test_filters_that_can_only_keep_nothing_are_refused(
    filters: dict[str, Any], make: Any, now: datetime
) -> None:
    with pytest.raises(ValidationFailed):
        Prioritizer().rank([make("L-a")], now=now, **filters)


def test_rank_frame_treats_missing_columns_as_neutral() -> None:
    frame = pd.DataFrame(
        {
            "lead_id": ["L-b", "L-a", "L-c"],
            "handraiser": [False, False, True],
            "icp_tier": ["Low", "High", None],
        }
    )
    out = Prioritizer().rank_frame(frame)
    assert out["lead_id"].tolist() == ["L-c", "L-a", "L-b"]
    assert out["deciding_factor"].tolist()[:2] == ["handraiser", "icp_fit"]
    assert pd.isna(out["deciding_factor"].iloc[2])  # the last row is ahead of nothing
    with pytest.raises(ConfigurationError, match="lead_id"):
        Prioritizer().rank_frame(frame.drop(columns="lead_id"))
    with pytest.raises(ConfigurationError, match="owner_id"):
        Prioritizer().rank_frame(frame, seller_id="S-1")


def test_precomputed_fits_are_used(make: Any, now: datetime) -> None:
    from leadqual.icp import IcpFit

    p = Prioritizer(icp=TECH)
    leads = [make("L-a", industry="Retail"), make("L-b", industry="Retail")]
    stored = IcpFit(lead_id="L-b", profile="stored", score=95, tier="High", coverage=1, results=())
    ranked = p.rank(leads, now=now, fits={"L-b": stored})
    assert ranked.lead_ids() == ["L-b", "L-a"]
    assert ranked.entries[0].fit == stored


def test_automatic_replies_and_declines_are_not_engagement(make: Any, now: datetime) -> None:
    def mail(i: int, subject: str, body: str = "", sender: str = "a@b.example") -> EmailMessage:
        return EmailMessage(
            id=f"E-{i}",
            regarding=REF,
            direction="inbound",
            from_address=sender,
            subject=subject,
            body=body,
            sent_at=now - timedelta(days=i),
        )

    auto = mail(1, "Automatic reply: hello")
    bounce = mail(2, "Undeliverable: hello", sender="MAILER-DAEMON@mx.example")
    decline = mail(3, "RE: hello", body="We are not interested, please remove me.")
    real = mail(4, "RE: hello", body="Yes, send me the pricing.")
    ctx = make(activities=(auto, bounce, decline, real), created_days_ago=90)
    plain = measure_engagement(ctx, now=now)
    assert (plain.inbound, plain.score) == (2, 30.0)  # machines do not count, people do
    assert plain.last_touch_at == now - timedelta(days=3)

    def classify(text: str) -> str:
        return "not_interested" if "not interested" in text.lower() else "other"

    judged = measure_engagement(ctx, now=now, reply_classifier=classify)
    assert (judged.inbound, judged.declined, judged.score) == (1, 1, 15.0)
    assert judged.last_touch_at == now - timedelta(days=4)
    ranked = Prioritizer(reply_classifier=classify).rank([ctx], now=now)
    assert ranked.entries[0].engagement.declined == 1


def test_sample_automatic_replies_earn_no_engagement(
    sample_data: SampleData, sample_contexts: list[LeadContext]
) -> None:
    by_id = {c.lead.id: c for c in sample_contexts}
    for lead_id, intent in sample_data.truth["reply_intents"].items():
        if intent in ("out_of_office", "bounce"):
            e = measure_engagement(by_id[lead_id], now=sample_data.as_of)
            assert e.inbound == 0, lead_id
