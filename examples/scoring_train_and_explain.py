"""Train a lead scorer on the sample CRM, read its report, and explain a few open leads.

Run: python examples/scoring_train_and_explain.py  (offline, a few seconds)
"""

from __future__ import annotations

from leadqual.models import LeadStatus
from leadqual.scoring import ModelRegistry, train_from_crm
from leadqual.sources import MemorySource, load_sample_data


def main() -> None:
    data = load_sample_data()
    source = MemorySource.from_snapshot(data.crm)
    trained = train_from_crm(source, now=data.as_of, months=24)
    print(trained.report.headline)
    for row in trained.report.grades:
        conv = "-" if row.conversion_rate is None else f"{row.conversion_rate:.0%}"
        print(f"  grade {row.grade} (from {row.min_score:g}): {row.leads} leads, {conv} qualified")

    registry = ModelRegistry()
    registry.publish(trained.scorer)  # the default model, for every line of business

    open_leads = [
        lead
        for lead in data.crm.leads
        if lead.status is LeadStatus.OPEN and (data.as_of - lead.created_at).days < 730
    ]
    for lead in open_leads[:3]:
        result = registry.score_lead(lead, now=data.as_of, band=True)
        print(f"{lead.id} {lead.company_name}: {result.summary()}")
        for f in result.factors_up[:2] + result.factors_down[:2]:
            print(f"    {f.column} = {f.value} (typical {f.typical}): {f.points:+.1f} points")


if __name__ == "__main__":
    main()
