"""Load the sample CRM, look at one lead in context, and load the vendor's configuration."""

from __future__ import annotations

from leadqual import LeadStatus, build_context, load_sample, load_sample_config


def main() -> None:
    crm = load_sample()
    config = load_sample_config()
    open_leads = crm.leads(status=LeadStatus.OPEN)
    print(f"{config.company.name}: {len(open_leads)} open leads")
    contexts = [build_context(crm, lead.id) for lead in open_leads]
    ctx = max(contexts, key=lambda c: (len(c.activities), c.lead.id))
    owner = ctx.owner.name if ctx.owner else "-"
    print(f"Busiest lead: {ctx.lead.full_name} ({ctx.lead.company_name}), owner {owner}")
    for activity in ctx.activities:
        print(f"  {activity.occurred_at:%Y-%m-%d} {activity.kind:<11} {activity.subject or ''}")


if __name__ == "__main__":
    main()
