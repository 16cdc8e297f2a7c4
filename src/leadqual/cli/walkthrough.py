"""``leadqual demo``: the agent end to end on the bundled sample CRM, offline.

It trains a scoring model on the sample's closed leads, activates the agent (the newest open leads
first), and prints a seller's prioritised list, one lead's insight in full, a draft, what an event
re-runs, and the supervisor's review list.
"""

from __future__ import annotations

import textwrap
import time
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from leadqual.agent import LeadUpdated, QualificationAgent
from leadqual.config import AgentConfig
from leadqual.email import EmailValidator, StaticResolver
from leadqual.insight import LeadInsight
from leadqual.models import LeadStatus
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.scoring.crm import train_from_crm
from leadqual.sources import MemorySource
from leadqual.sources.sample import SampleData

__all__ = ["run"]

SELLER = "S-01"
SUPERVISOR = "S-05"


def _summary(data: SampleData, config: AgentConfig) -> list[str]:
    crm = data.crm
    status = Counter(lead.status for lead in crm.leads)
    lines = [
        f"Vendor: {config.company.name} — {config.products[0].name}",
        f"Sample CRM as of {data.as_of:%Y-%m-%d}: {len(crm.leads)} leads "
        f"({status[LeadStatus.OPEN]} open, {status[LeadStatus.QUALIFIED]} qualified, "
        f"{status[LeadStatus.DISQUALIFIED]} disqualified), {len(crm.accounts)} accounts, "
        f"{len(crm.contacts)} contacts, {len(crm.opportunities)} opportunities, "
        f"{len(crm.sellers)} sellers",
    ]
    if config.icp is not None:
        lines.append(
            "ICP: "
            + "; ".join(f"{c.name} = {', '.join(c.targets)}" for c in config.icp.characteristics)
        )
    lines.append("Hand-raiser segments: " + ", ".join(s.name for s in config.handraisers))
    return lines


def _insight_lines(insight: LeadInsight) -> list[str]:
    card = insight.card
    lines = [
        f"{insight.lead_id}: {card.name}" + (f" at {card.company}" if card.company else ""),
        f"  Need: {card.need or '(not stated)'}",
        f"  Next action: {card.next_action}",
        f"  Why: {textwrap.shorten(card.reason, 150)}",
        f"  Do: {card.call_to_action}",
    ]
    if insight.email is not None:
        e = insight.email
        lines.append(
            f"  Email: {e.status} ({e.email_type}); {'; '.join(r.message for r in e.reasons[:2]) or 'no flags'}"
        )
    if insight.icp_fit is not None:
        lines.append(f"  ICP fit: {insight.icp_fit.summary()}")
    if insight.handraiser is not None:
        segment = insight.handraiser.segment or "not a hand-raiser"
        lines.append(f"  Hand-raiser: {segment}")
    if insight.rating is not None:
        lines.append(f"  Rating: {insight.rating.summary()}")
    if insight.score is not None:
        s = insight.score
        ups = ", ".join(f.column for f in s.factors_up[:3]) or "-"
        lines.append(f"  Predictive score: {s.score} (grade {s.grade}); raised by {ups}")
    if insight.research is not None and insight.research.crm is not None:
        lines.append(
            f"  Lead summary: {textwrap.shorten(insight.research.crm.lead_summary.text, 150)}"
        )
        for n in insight.research.news[:1]:
            lines.append(f"  News: {n.item.title} — {textwrap.shorten(n.why_it_matters, 100)}")
    for d in insight.duplicates:
        lines.append(f"  Same person as {d.record_id} ({d.rule})")
    if insight.next_action is not None:
        for reason in insight.next_action.reasons[1:3]:
            lines.append(f"  Also: {textwrap.shorten(reason, 150)}")
    lines.append(
        "  Stages: "
        + ", ".join(f"{s.stage} {s.status}" for s in insight.stages)
        + f"; refreshed {insight.refreshed_at:%Y-%m-%d %H:%M} UTC"
    )
    return lines


def run(data: SampleData, config: AgentConfig, out: Callable[[str], object] = print) -> None:
    """Print the walkthrough on ``data`` with ``config``."""

    def section(title: str) -> None:
        out("")
        out(f"== {title} ==")

    now = data.as_of
    section("Sample data")
    for line in _summary(data, config):
        out(line)

    source = MemorySource.from_snapshot(data.crm)
    section("Predictive model (trained on the sample's closed leads)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trained = train_from_crm(source, now=now, months=24)
    out(f"  {trained.report.headline}")

    agent = QualificationAgent(
        config,
        source,
        providers=[SampleResearchProvider(data)],
        email_validator=EmailValidator(resolver=StaticResolver.from_sample(data), now=now),
        scorer=trained.scorer,
    )
    section("Activation: the newest open leads first")
    started = time.perf_counter()
    insights = agent.activate(now=now)
    seconds = time.perf_counter() - started
    counters = agent.counters()
    out(f"  {len(insights)} leads processed in {seconds:.1f} s ({agent.status(now=now).state})")
    out(
        "  stages: "
        + ", ".join(
            f"{stage} {c.ran} ran" + (f"/{c.skipped} skipped" if c.skipped else "")
            for stage, c in counters.stages.items()
        )
    )

    section(f"Seller {SELLER}'s prioritised list (own leads only, duplicates folded)")
    view = agent.prioritized(SELLER, now=now, limit=10)
    for line in view.lines():
        out("  " + textwrap.shorten(line, 230))

    section("One lead's insight")
    top = agent.insight(view.entries[0].lead_id, seller=SELLER)
    for line in _insight_lines(top):
        out("  " + line)

    drafted = next(
        (
            i
            for e in agent.prioritized(SELLER, now=now).entries
            if (i := agent.insight(e.lead_id, seller=SELLER)).draft is not None
        ),
        None,
    )
    section("A draft (never sent: the seller reviews, edits and sends it)")
    if drafted is None or drafted.draft is None:
        out("  (no lead of this seller needs an email now)")
    else:
        draft = drafted.draft
        out(f"  For {drafted.lead_id}, {draft.action} ({draft.drafter})")
        out(f"  To: {', '.join(draft.to)}")
        out(f"  Subject: {draft.subject}")
        for line in draft.body.splitlines():
            out(f"  | {line}")
        if draft.placeholders:
            out("  Placeholders to fill: " + ", ".join(draft.placeholders))

    section("An event: a lead's email address changes")
    lead = source.get_lead(top.lead_id)
    user, _, domain = (lead.email or "someone@example.com").partition("@")
    source.add(lead.replace(email=f"{user}.new@{domain}"))
    later = now + timedelta(minutes=5)
    result = agent.handle(LeadUpdated(lead_id=lead.id, occurred_at=later), now=later)
    for outcome in result.outcomes:
        out(f"  {outcome.lead_id}: {outcome.outcome}; re-ran {outcome.reason}")
    for insight in result.insights:
        reused = [s.stage for s in insight.stages if s.status == "reused"]
        out(f"  insight v{insight.version}; reused: {', '.join(reused) or 'nothing'}")

    section(f"Review list of supervisor {SUPERVISOR}: leads the agent would disqualify")
    for item in agent.review_list(SUPERVISOR)[:5]:
        out(f"  {item.lead_id}: {textwrap.shorten(item.reason, 140)}")
