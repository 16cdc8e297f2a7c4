"""The ICP and prioritisation part of ``leadqual demo``: fit tiers of the open leads, the
hand-raisers, and the top of one seller's prioritised list with "why this rank"."""

from __future__ import annotations

from collections import Counter

from leadqual.config import AgentConfig
from leadqual.icp import IcpMatcher
from leadqual.models import LeadStatus
from leadqual.prioritize import HandraiserEvaluator, Prioritizer
from leadqual.sources import MemorySource, SampleData, build_context

__all__ = ["demo_lines"]


def demo_lines(data: SampleData, config: AgentConfig) -> list[str]:
    """ICP fit of the sample's open leads, its hand-raisers, and one seller's top 10 with reasons."""
    source = MemorySource.from_snapshot(data.crm)
    now = data.as_of
    contexts = [build_context(source, lead.id) for lead in source.leads(status=LeadStatus.OPEN)]
    lines: list[str] = []
    if config.icp is not None:
        fits = IcpMatcher(config.icp).match_many(contexts)
        tiers = Counter(f.tier for f in fits)
        lines.append(
            f"ICP '{config.icp.name}': {len(fits)} open leads — "
            + ", ".join(f"{t} {tiers.get(t, 0)}" for t in ("High", "Moderate", "Low", "Unknown"))
        )
        best = max(fits, key=lambda f: (f.score, f.coverage, f.lead_id or ""))
        lines.append(f"  best fit {best.lead_id}: {best.summary()}")
        for r in best.results:
            lines.append(f"    {r.name:<15} {r.status:<11} {r.field or '-':<24} {r.reason}")
    else:
        lines.append("No ICP configured: prioritisation skips ICP fit.")
    evaluator = HandraiserEvaluator(config.handraisers)
    raised = [evaluator.evaluate(c, now=now) for c in contexts]
    hands = [r for r in raised if r.is_handraiser]
    by_segment = Counter(r.segment for r in hands)
    lines.append(
        f"Hand-raisers: {len(hands)} of {len(contexts)} open leads ("
        + ", ".join(f"{name} {n}" for name, n in sorted(by_segment.items(), key=str))
        + ")"
    )
    prioritizer = Prioritizer.from_config(config)
    owners = Counter(c.lead.owner_id for c in contexts if c.lead.owner_id)
    seller_id = min(owners, key=lambda s: (-owners[s], s)) if owners else None
    ranked = prioritizer.rank(contexts, now=now, seller_id=seller_id)
    ratings = Counter(e.rating.rating for e in ranked.entries)
    lines.append(
        f"Prioritised list of seller {seller_id} ({ranked.total} open leads; "
        + ", ".join(f"{r} {ratings.get(r, 0)}" for r in ("Hot", "Warm", "Cold"))
        + f"), order: {' > '.join(ranked.order)}; top 10:"
    )
    lines.extend("  " + line for line in ranked.lines(limit=10))
    return lines
