"""ICP fit, hand-raisers and a seller's prioritised list on the bundled sample CRM, with reasons.

Run: python examples/icp_prioritize.py
"""

from __future__ import annotations

from leadqual.icp import IcpMatcher, backtest, suggest_icp
from leadqual.models import LeadStatus
from leadqual.prioritize import Prioritizer
from leadqual.sources import build_context, load_sample, load_sample_config, load_sample_data


def main() -> None:
    data, config, source = load_sample_data(), load_sample_config(), load_sample()
    assert config.icp is not None
    now = data.as_of  # the sample's "now": results do not drift as days pass

    contexts = [build_context(source, lead.id) for lead in source.leads()]
    open_leads = [c for c in contexts if c.lead.status is LeadStatus.OPEN]
    closed = [c for c in contexts if c.lead.status is not LeadStatus.OPEN]

    # 1. How well does one lead fit, characteristic by characteristic?
    matcher = IcpMatcher(config.icp)
    fit = matcher.match(open_leads[0])
    print(f"{fit.lead_id}: {fit.summary()}")
    for r in fit.results:
        print(f"    {r.name:<15} {r.status:<11} weight {r.weight:g}  {r.reason}")

    # 2. A seller's prioritised list, each entry with why it has its rank.
    prioritizer = Prioritizer.from_config(config)
    ranked = prioritizer.rank(open_leads, now=now, seller_id="S-02")
    print(f"\nSeller S-02: {ranked.total} open leads, order {' > '.join(ranked.order)}")
    for line in ranked.lines(limit=5):
        print("  " + line)
    top = ranked.entries[0]
    print(f"  rating of #1: {top.rating.summary()}")

    # 3. With predictive scores from a published model (here: made-up figures for two leads).
    scores = {e.lead_id: 90.0 - 10 * i for i, e in enumerate(ranked.entries[5:7])}
    rescored = prioritizer.rank(open_leads, now=now, seller_id="S-02", scores=scores)
    moved = [e for e in rescored.entries if e.lead_id in scores]
    for e in moved:
        print(f"  with a score of {e.predictive_score:.0f}, {e.lead_id} ranks #{e.rank}")

    # 4. Would another profile have done better on the closed history?
    suggestion = suggest_icp(closed, pain_points=config.products[0].pain_points)
    print()
    print("\n".join(suggestion.lines()))
    for report in (backtest(config.icp, closed), backtest(suggestion.profile, closed)):
        print(report.lines()[0])


if __name__ == "__main__":
    main()
