"""The research part of ``leadqual demo``: one sample lead's CRM insights and offline research."""

from __future__ import annotations

from leadqual.config import AgentConfig
from leadqual.research.researcher import Researcher
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.sources.memory import MemorySource
from leadqual.sources.sample import SampleData

__all__ = ["demo_lines"]

DEMO_LEAD = "L-0171"
"""An open lead with a linked account, an open opportunity and colleagues who know it."""
UNLINKED_LEAD = "L-0228"
"""An open lead with no account linked, to show "connect an account"."""


def demo_lines(data: SampleData, config: AgentConfig) -> list[str]:
    """Lines showing one sample lead's CRM insights and offline research (no network)."""
    source = MemorySource.from_snapshot(data.crm)
    researcher = Researcher(config=config, source=source, providers=[SampleResearchProvider(data)])
    res = researcher.research(DEMO_LEAD, now=data.as_of)
    crm = res.crm
    assert crm is not None
    lines = [f"Research for {crm.lead_summary.headline} ({res.lead_id})"]
    lines.append(f"  Lead summary: {crm.lead_summary.text}")
    if crm.account_summary is not None:
        lines.append(f"  Account summary: {crm.account_summary.text}")
    for c in crm.who_knows_whom[:3]:
        kinds = ", ".join(
            f"{n} {label}"
            for n, label in (
                (c.emails_sent + c.emails_received, "email(s)"),
                (c.meetings, "meeting(s)"),
                (c.calls, "call(s)"),
                (c.chats, "chat(s)"),
            )
            if n
        )
        lines.append(
            f"  Who knows whom: {c.name}{' (owner)' if c.is_owner else ''}: {kinds}; "
            f"last {c.last_interaction_kind} {c.last_interaction_at:%Y-%m-%d}"
        )
    for o in (*crm.lead_opportunities, *crm.account_opportunities)[:3]:
        value = f", {o.estimated_value:,.0f}" if o.estimated_value else ""
        lines.append(
            f"  Open opportunity: {o.name} ({o.stage or 'no stage'}{value}; via {o.relation})"
        )
    for s in crm.suggested_contacts[:2]:
        lines.append(
            f"  Suggested contact: {s.name} ({s.job_title or 'no title'}): {'; '.join(s.reasons)}"
        )
    unlinked = (
        researcher.insights.build(UNLINKED_LEAD, now=data.as_of) if researcher.insights else None
    )
    if unlinked is not None and unlinked.connect_account:
        best = unlinked.connect_account[0]
        lines.append(
            f"  Connect an account ({UNLINKED_LEAD}): {best.name} "
            f"({best.confidence:.0%}: {'; '.join(best.reasons)})"
        )
    lines.append("  Company overview (offline sample provider):")
    for name in ("industry", "employee_count", "headquarters", "founded", "products", "mission"):
        f = res.field(name)
        if f is not None and f.value is not None:
            value = ", ".join(f.value) if isinstance(f.value, tuple) else str(f.value)
            lines.append(f"    {name.replace('_', ' ')}: {value}  [{f.chosen_from}]")
    for fin in res.financials[:1]:
        if fin.revenue is not None:
            lines.append(
                f"  Finances: revenue {fin.revenue:,.0f} (FY{fin.fiscal_year}); health {fin.health}"
            )
    for n in res.news:
        date = f"{n.item.published_at:%Y-%m-%d}" if n.item.published_at else "undated"
        lines.append(f"  News [{n.item.topic}] {date} {n.item.title}")
        lines.append(f"    why it matters: {n.why_it_matters}")
    lines.append(
        "  Sources: "
        + ", ".join(f"{s.provider} {s.state}" for s in res.sources)
        + f"; signal {res.signal.level} ({res.signal.score:.0f}/100); researched {res.researched_at:%Y-%m-%d %H:%M} UTC"
    )
    lines.append("  How this was generated: " + " → ".join(s.action for s in res.steps))
    again = researcher.research(DEMO_LEAD, now=data.as_of)
    lines.append(
        f"  Refresh with nothing new: changed={again.diff.changed} (nothing downstream re-runs)"
    )
    return lines
