"""A lead's research reaches the drafters and the advisor: its news and the company's description
are facts they can cite; a research argument of another shape is refused, not ignored."""

from __future__ import annotations

from typing import Any

import pytest

from leadqual.config import AgentConfig
from leadqual.drafting import ActionAdvisor, ResearchLike, TemplateDrafter
from leadqual.drafting.facts import collect_facts
from leadqual.errors import ValidationFailed
from leadqual.research import Researcher
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.sources import MemorySource, SampleData, build_context


def _research(data: SampleData, config: AgentConfig, source: MemorySource, lead_id: str) -> Any:
    researcher = Researcher(config=config, source=source, providers=[SampleResearchProvider(data)])
    return researcher.research(lead_id, now=data.as_of)


def test_a_leads_research_gives_its_news_and_description_as_facts(
    sample_data: SampleData, sample_config: AgentConfig, sample_source: MemorySource
) -> None:
    research = _research(sample_data, sample_config, sample_source, "L-0171")
    assert isinstance(research, ResearchLike)
    facts = collect_facts(research)
    news = [f for f in facts if f.kind == "news"]
    assert [f.text for f in news] == [n.item.title for n in research.news]
    assert all(f.source.startswith("http") for f in news)
    company = [f for f in facts if f.kind == "company"]
    assert len(company) == 1 and company[0].text == research.field("description").value


def test_the_advisor_cites_research_news_when_it_has_nothing_closer(
    sample_data: SampleData, sample_config: AgentConfig, sample_source: MemorySource
) -> None:
    research = _research(sample_data, sample_config, sample_source, "L-0171")
    first = research.news[0].item
    context = build_context(sample_source, "L-0213")  # a follow-up is due
    action = ActionAdvisor(read_emails=False).advise(
        context, now=sample_data.as_of, research=research
    )
    assert any(first.url in reason for reason in action.reasons)


@pytest.mark.parametrize("bad", [42, "news", object(), {"facts": []}])
def test_research_of_another_shape_is_refused(
    sample_data: SampleData, sample_config: AgentConfig, sample_source: MemorySource, bad: Any
) -> None:
    context = build_context(sample_source, "L-0213")
    advisor = ActionAdvisor(read_emails=False)
    with pytest.raises(ValidationFailed, match="research"):
        advisor.advise(context, now=sample_data.as_of, research=bad)
    action = advisor.advise(context, now=sample_data.as_of)
    assert action.needs_draft
    with pytest.raises(ValidationFailed, match="research"):
        TemplateDrafter(sample_config).draft(context, action, research=bad)
