"""The scoring part of ``leadqual demo``: train on the sample CRM, report, score open leads."""

from __future__ import annotations

import warnings
from datetime import timedelta

from leadqual.config import AgentConfig
from leadqual.errors import InsufficientTrainingData, NotScorable
from leadqual.models import LeadStatus
from leadqual.scoring.crm import train_from_crm
from leadqual.scoring.records import lead_record
from leadqual.scoring.scorer import LeadScorer
from leadqual.scoring.training import build_training_set
from leadqual.sources.memory import MemorySource
from leadqual.sources.sample import SampleData

__all__ = ["demo_lines"]


def demo_lines(data: SampleData, config: AgentConfig) -> list[str]:
    """Lines showing predictive scoring on the sample data (offline, about a second)."""
    del config  # scoring needs no vendor configuration
    source = MemorySource.from_snapshot(data.crm)
    now = data.as_of
    lines = ["Predictive lead scoring"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trained = train_from_crm(source, now=now, months=24)
    lines.append(f"  model: {trained.report.headline}")
    top = ", ".join(i.column for i in trained.report.importances[:4])
    lines.append(f"  strongest attributes: {top}")
    for w in caught:
        lines.append(f"  leakage warning: {w.message}")
    try:
        build_training_set(source, now=now, months=24, line_of_business="Enterprise")
    except InsufficientTrainingData as err:
        lines.append(f"  Enterprise-only model: not yet ({err})")
    # last quarter's model gives each lead a previous score, so the trend means something
    earlier = build_training_set(source, now=now - timedelta(days=91), months=21)
    previous = LeadScorer(validation="time").fit(earlier.X, earlier.y)
    open_leads = sorted(
        (lead for lead in data.crm.leads if lead.status is LeadStatus.OPEN),
        key=lambda lead: lead.created_at,
        reverse=True,
    )
    for lead in open_leads[:3]:
        before = previous.score_record(lead_record(lead), explain=False).score
        result = trained.scorer.score_lead(
            lead, now=now, previous_score=before, band=True, what_if=True
        )
        name = lead.company_name or lead.id
        change = f"{result.change:+d}" if result.change is not None else "new"
        band = f" (band {result.band[0]}-{result.band[1]})" if result.band else ""
        lines.append(
            f"  {lead.id} {name}: score {result.score}{band}, grade {result.grade}, "
            f"trend {result.trend} ({change} vs {before} last quarter)"
        )
        ups = "; ".join(
            f"{f.column}={f.value} ({f.points:+.0f})"
            for f in result.factors_up[:3]
            if abs(f.points) >= 1
        )
        downs = "; ".join(
            f"{f.column}={f.value} ({f.points:+.0f})"
            for f in result.factors_down[:3]
            if abs(f.points) >= 1
        )
        lines.append(f"    up: {ups or '-'}")
        lines.append(f"    down: {downs or '-'}")
        if result.what_if:
            best = result.what_if[0]
            lines.append(
                f"    what would change it: {best.column} {best.current} -> {best.suggested} "
                f"gives {best.new_score}"
            )
    stale = next(
        (lead for lead in data.crm.leads if lead.is_open and (now - lead.created_at).days > 730),
        None,
    )
    closed = next(lead for lead in data.crm.leads if not lead.is_open)
    for refused in (stale, closed):
        if refused is None:
            continue
        try:
            trained.scorer.score_lead(refused, now=now)
        except NotScorable as err:
            lines.append(f"  not scored: {refused.id} ({err.reason}: {err})")
    return lines
