from __future__ import annotations

from leadqual.cli.sections.drafting import demo_lines
from leadqual.config import AgentConfig
from leadqual.sources import SampleData


def test_demo_shows_intents_actions_unmet_conditions_and_a_full_draft(
    sample: SampleData, config: AgentConfig
) -> None:
    lines = demo_lines(sample, config)
    text = "\n".join(lines)
    for intent in ("meeting_request", "pricing_request", "out_of_office", "bounce", "referral"):
        assert intent in text
    assert "schedule_appointment" in text and "slots:" in text
    assert "create_task" in text and "suggest disqualify" in text
    assert "unmet:" in text  # an initial-outreach condition reported by name
    assert "initial_outreach" in text
    assert "Subject:" in text and "Best regards," in text
    assert all(isinstance(line, str) for line in lines)
