from __future__ import annotations

from leadqual.drafting import BantAssessment, BantItem, assess_bant, assess_interest

from .conftest import NOW, email, make_context, make_lead


def test_qualified_means_medium_or_above_on_at_least_two() -> None:
    low = BantItem(level="low")
    med = BantItem(level="medium")
    assert not BantAssessment(need=med, timeline=low, budget=low, authority=low).qualified
    assert BantAssessment(
        need=med, timeline=low, budget=low, authority=BantItem(level="high")
    ).qualified


def test_bant_reads_title_need_timeline_and_budget_with_evidence() -> None:
    reply = email("We have a budget of $50k and want to decide this quarter. Can you send a quote?")
    bant = assess_bant(make_context(reply))
    assert bant.authority.level == "high" and "VP Sales" in bant.authority.evidence[0]
    assert bant.timeline.level == "high" and "this quarter" in bant.timeline.evidence[0]
    assert bant.budget.level == "high"
    assert bant.need.level in ("medium", "high")
    assert bant.qualified


def test_referral_lowers_authority_and_no_budget_is_none() -> None:
    reply = email("I'm not the right person, try our CFO. We have no budget anyway.")
    bant = assess_bant(make_context(reply, lead=make_lead(job_title="Analyst")))
    assert bant.authority.level == "low"
    assert bant.budget.level == "none" and "no budget" in bant.budget.evidence[0]


def test_interest_follows_the_latest_reply_that_says_something() -> None:
    first = email("Can you send pricing for 20 seats?", ident="E-1")
    later = email("On reflection, please remove me from your list.", ident="E-2", at=NOW)
    interest = assess_interest(make_context(first, later), now=NOW)
    assert (interest.direction, interest.level) == ("negative", "high")
    positive = assess_interest(make_context(first), now=NOW)
    assert (positive.direction, positive.level) == ("positive", "high")
    assert "pricing" in positive.reasons[0]


def test_no_signal_is_unknown_interest() -> None:
    assert assess_interest(make_context(), now=NOW).direction == "unknown"
