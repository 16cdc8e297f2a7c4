"""The ``leadqual`` command: ``leadqual demo`` runs the library on the bundled sample CRM, offline."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Sequence

from leadqual.config import AgentConfig
from leadqual.models import LeadStatus
from leadqual.sources.sample import SampleData, load_sample_config, load_sample_data

__all__ = ["main"]

DemoSection = Callable[[SampleData, AgentConfig], list[str]]


def _summary(data: SampleData, config: AgentConfig) -> list[str]:
    crm = data.crm
    status = Counter(lead.status for lead in crm.leads)
    kinds = Counter(a.kind for a in crm.activities)
    sources = Counter(lead.lead_source or "(none)" for lead in crm.leads if lead.is_open)
    lines = [
        f"Vendor: {config.company.name} — {config.products[0].name}",
        f"Sample CRM as of {data.as_of:%Y-%m-%d}: {len(crm.leads)} leads "
        f"({status[LeadStatus.OPEN]} open, {status[LeadStatus.QUALIFIED]} qualified, "
        f"{status[LeadStatus.DISQUALIFIED]} disqualified), {len(crm.accounts)} accounts, "
        f"{len(crm.contacts)} contacts, {len(crm.opportunities)} opportunities, "
        f"{len(crm.sellers)} sellers",
        "Activities: "
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        + f"; {len(crm.notes)} notes",
        "Open leads by source: " + ", ".join(f"{k} {n}" for k, n in sources.most_common()),
    ]
    if config.icp is not None:
        lines.append(
            "ICP: "
            + "; ".join(f"{c.name} = {', '.join(c.targets)}" for c in config.icp.characteristics)
        )
    lines.append("Hand-raiser segments: " + ", ".join(s.name for s in config.handraisers))
    return lines


def _sections() -> list[tuple[str, DemoSection]]:
    # Imported here so `leadqual version` does not pay for scikit-learn and friends.
    from leadqual.cli.sections.dedupe import demo_lines as dedupe_demo
    from leadqual.cli.sections.drafting import demo_lines as engagement_demo
    from leadqual.cli.sections.email import demo_lines as email_demo
    from leadqual.cli.sections.prioritize import demo_lines as icp_demo
    from leadqual.cli.sections.research import demo_lines as research_demo
    from leadqual.cli.sections.scoring import demo_lines as scoring_demo

    return [
        ("Sample data", _summary),
        ("Email validation (offline DNS answers)", email_demo),
        ("Research: CRM insights and offline web research", research_demo),
        ("ICP fit, hand-raisers and prioritisation", icp_demo),
        ("Predictive scoring (trained on the sample's closed history)", scoring_demo),
        ("Duplicate detection", dedupe_demo),
        ("Engagement: reply intents, next best action and a draft (never sent)", engagement_demo),
    ]


def demo(out: Callable[[str], object] = print) -> int:
    """Run every available capability on the sample CRM and print what it concludes."""
    data = load_sample_data()
    config = load_sample_config()
    for title, section in _sections():
        out("")
        out(f"== {title} ==")
        for line in section(data, config):
            out(line)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``leadqual`` command."""
    parser = argparse.ArgumentParser(prog="leadqual", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run leadqual on the bundled sample CRM, offline")
    sub.add_parser("version", help="print the version")
    args = parser.parse_args(argv)
    if args.command == "version":
        from importlib.metadata import version

        print(version("leadqual"))
        return 0
    return demo()


if __name__ == "__main__":
    sys.exit(main())
