"""An address whose deliverability was not checked is never called deliverable."""

from __future__ import annotations

from leadqual.drafting import ActionAdvisor
from leadqual.email import EmailValidator
from leadqual.sources import SAMPLE_AS_OF, MemorySource, build_context


def test_syntax_only_checks_are_reported_as_such(sample_source: MemorySource) -> None:
    context = build_context(sample_source, "L-0172")
    assert context.lead.email is not None
    check = EmailValidator(check_deliverability=False).validate(context.lead.email)
    action = ActionAdvisor().advise(context, now=SAMPLE_AS_OF, email_check=check)
    assert action.kind == "initial_outreach"
    assert "deliverable address" not in action.reasons[0]
    assert "deliverability not checked" in action.reasons[0]
    condition = next(c for c in action.conditions if c.name == "deliverable_email")
    assert condition.met and "not checked" in condition.detail


def test_without_any_check_outreach_waits_for_one(sample_source: MemorySource) -> None:
    context = build_context(sample_source, "L-0172")
    action = ActionAdvisor().advise(context, now=SAMPLE_AS_OF)
    assert action.kind == "create_task"
    assert action.task_subject is not None and "email address" in action.task_subject
