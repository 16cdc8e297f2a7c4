"""Research a sample lead offline: CRM insights, company overview, news with why it matters,
per-source status and "how was this generated".

Run: python examples/research_insights.py
"""

from __future__ import annotations

from leadqual.research.researcher import Researcher
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.sources import MemorySource, load_sample_config, load_sample_data
from leadqual.testing.research import FakeResearchProvider


def main() -> None:
    data = load_sample_data()
    config = load_sample_config()  # web research is not consented in the sample configuration
    researcher = Researcher(
        config=config,
        source=MemorySource.from_snapshot(data.crm),
        providers=[
            SampleResearchProvider(data),  # offline: runs without consent
            FakeResearchProvider("web_news"),  # stands in for a web source: needs consent
        ],
    )
    research = researcher.research("L-0171", now=data.as_of)
    crm = research.crm
    assert crm is not None

    print(crm.lead_summary.headline)
    print("  ", crm.lead_summary.text)
    if crm.account_summary:
        print("  ", crm.account_summary.text)
    for colleague in crm.who_knows_whom:
        print(
            f"   knows the lead: {colleague.name}, last {colleague.last_interaction_kind} "
            f"{colleague.last_interaction_at:%Y-%m-%d}"
        )
    for contact in crm.suggested_contacts:
        print(
            f"   suggested contact: {contact.name} ({contact.score:.2f}): {'; '.join(contact.reasons)}"
        )
    print("Company:")
    for field in research.profile:
        if field.value is not None:
            print(f"   {field.name}: {field.value} [{field.chosen_from}]")
    print("News:")
    for item in research.news:
        print(f"   [{item.item.topic}] {item.item.title}")
        print(f"      {item.why_it_matters}")
    print("Sources:", ", ".join(f"{s.provider}={s.state}" for s in research.sources))
    print(f"Signal: {research.signal.level} ({research.signal.score:.0f}/100)")
    print("How this was generated:")
    for step in research.steps:
        print(f"   {step.step}. {step.action}: {step.detail}")


if __name__ == "__main__":
    main()
