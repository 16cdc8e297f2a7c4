"""Duplicate detection on the bundled sample CRM, for ``leadqual demo``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadqual.dedupe.detector import find_duplicates
from leadqual.dedupe.qualify import QualificationChecker
from leadqual.models import Lead

if TYPE_CHECKING:
    from leadqual.config import AgentConfig
    from leadqual.sources.sample import SampleData

__all__ = ["demo_lines"]


def _who(lead: Lead) -> str:
    company = lead.company_name or "(no company)"
    return f"{lead.id} {lead.full_name or '?'} / {company}"


def demo_lines(data: SampleData, config: AgentConfig) -> list[str]:
    """Duplicate leads of the sample CRM with the rule that found each, then one qualification
    check against accounts and contacts. Offline; ``config`` is accepted for uniformity."""
    del config  # dedupe needs no vendor knowledge
    leads = {lead.id: lead for lead in data.crm.leads}
    report = find_duplicates(data.crm.leads)
    planted = {frozenset(d["lead_ids"]) for d in data.truth.get("duplicates", [])}
    lines = [
        f"Duplicate leads: {len(report.pairs)} pairs among {report.blocking.records} leads "
        f"({report.blocking.candidates} candidate pairs compared, {report.seconds * 1000:.0f} ms)",
    ]
    for pair in sorted(report.pairs, key=lambda p: (p.rule, p.left_id)):
        mark = "" if frozenset((pair.left_id, pair.right_id)) in planted else "  [not planted]"
        lines.append(
            f"  {pair.rule:<21} {_who(leads[pair.left_id])}  <->  {_who(leads[pair.right_id])}{mark}"
        )
        lines.append(f"  {'':<21} why: {pair.explanation}")
    found = {frozenset((p.left_id, p.right_id)) for p in report.pairs}
    look_alikes = [frozenset(p) for p in data.truth.get("look_alikes", [])]
    lines.append(
        f"Planted duplicates found: {len(planted & found)}/{len(planted)}; look-alikes wrongly "
        f"flagged: {sum(1 for p in look_alikes if p in found)}/{len(look_alikes)}"
    )

    # Qualification: the newest open lead that matches an existing account or contact.
    checker = QualificationChecker(accounts=data.crm.accounts, contacts=data.crm.contacts)
    open_leads = sorted(
        (lead for lead in data.crm.leads if lead.is_open),
        key=lambda lead: (lead.created_at, lead.id),
        reverse=True,
    )
    for lead in open_leads:
        check = checker.check(lead, limit=3)
        if not (check.accounts or check.contacts):
            continue
        lines.append(f"Qualification check for {_who(lead)}: suggestion {check.suggestion}")
        for match in (*check.accounts, *check.contacts):
            lines.append(
                f"  {match.kind} {match.record_id} {match.name} (score {match.score:.2f}, "
                f"{', '.join(match.rules)})"
            )
            differing = ", ".join(
                f"{f.field}: {f.lead_value or '-'} vs {f.record_value or '-'}"
                for f in match.differing[:4]
            )
            if differing:
                lines.append(f"    differs: {differing}")
        break
    return lines
