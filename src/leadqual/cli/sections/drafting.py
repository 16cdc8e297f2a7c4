"""The engagement section of ``leadqual demo``: reply intents, next best actions, and one draft."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from leadqual.config import AgentConfig
from leadqual.drafting.advisor import ActionAdvisor, NextAction
from leadqual.drafting.inputs import EmailCheckLike
from leadqual.drafting.intents import default_classifier
from leadqual.drafting.template import TemplateDrafter
from leadqual.email import EmailValidator, StaticResolver
from leadqual.models import LeadContext
from leadqual.sources.base import build_context
from leadqual.sources.memory import MemorySource
from leadqual.sources.sample import SampleData

__all__ = ["demo_lines"]

_SHOWN_INTENTS = (
    "meeting_request",
    "pricing_request",
    "information_request",
    "objection",
    "not_interested",
    "out_of_office",
    "referral",
    "bounce",
)


def _email_checker(data: SampleData) -> Callable[[str], EmailCheckLike | None]:
    """The email validator over the sample's offline DNS answers."""
    validator = EmailValidator(resolver=StaticResolver.from_sample(data), now=data.as_of)
    return lambda address: validator.validate(address)


def _action_line(context: LeadContext, action: NextAction) -> list[str]:
    lead = context.lead
    head = (
        f"  {lead.id} {lead.full_name or '(no name)'} at {lead.company_name or '?'}: {action.kind}"
    )
    if action.task_subject:
        head += f' "{action.task_subject}"'
    if action.wait_until:
        head += f" until {action.wait_until:%Y-%m-%d}"
    if action.suggest_disqualify:
        head += " (suggest disqualify)"
    lines = [head]
    lines += [f"      - {r}" for r in action.reasons[:3]]
    lines += [f"      ! {w}" for w in action.warnings]
    if action.slots:
        lines.append(
            "      slots: " + ", ".join(f"{s.start:%a %d %b %H:%M}" for s in action.slots) + " UTC"
        )
    if action.interest is not None:
        level = f" {action.interest.level}" if action.interest.level else ""
        bant = action.bant
        lines.append(
            f"      interest: {action.interest.direction}{level}; BANT "
            + (
                f"N={bant.need.level} T={bant.timeline.level} B={bant.budget.level} "
                f"A={bant.authority.level} -> {'qualified' if bant.qualified else 'not qualified'}"
                if bant
                else "n/a"
            )
        )
    return lines


def demo_lines(data: SampleData, config: AgentConfig) -> list[str]:
    """Classify the sample's replies, suggest next actions with reasons, and draft one email."""
    source = MemorySource.from_snapshot(data.crm)
    classifier = default_classifier()
    advisor = ActionAdvisor(read_emails=config.consent.read_emails, classifier=classifier)
    drafter = TemplateDrafter(config)
    check = _email_checker(data)
    lines = ["Reply intents (default classifier: rules + a small model, no service):"]
    # One lead per intent, chosen by what the classifier reads (not by the sample's answer key).
    contexts: dict[str, LeadContext] = {}
    intents: dict[str, str] = {}
    for lead in sorted(data.crm.leads, key=lambda item: item.id):
        if not lead.is_open or len(contexts) == len(_SHOWN_INTENTS):
            continue
        context = build_context(source, lead.id)
        inbound = [m for m in context.emails if m.direction == "inbound"]
        if not inbound or context.emails[-1].direction != "inbound":
            continue
        intent = classifier.classify_email(inbound[-1])
        if intent.intent not in _SHOWN_INTENTS or intent.intent in intents.values():
            continue
        contexts[lead.id], intents[lead.id] = context, intent.intent
        lines.append(
            f"  {lead.id} {intent.intent:<20} {intent.confidence:.2f} ({intent.method}): "
            f"\u201c{textwrap.shorten(intent.evidence, 90)}\u201d"
        )
    lines.append("")
    lines.append("Next best actions, with reasons:")
    shown = ("meeting_request", "pricing_request", "out_of_office", "not_interested")
    for lead_id, context in contexts.items():
        if intents[lead_id] in shown:
            email = context.lead.email
            action = advisor.advise(
                context, now=data.as_of, email_check=check(email) if email else None
            )
            lines += _action_line(context, action)
    # Leads nobody has emailed yet: is initial outreach allowed, and if not, why not?
    outreach_context = None
    blocked = 0
    for lead in sorted(data.crm.leads, key=lambda item: item.created_at, reverse=True):
        if not lead.is_open:
            continue
        context = build_context(source, lead.id)
        if context.emails:
            continue
        action = advisor.advise(
            context, now=data.as_of, email_check=check(lead.email) if lead.email else None
        )
        if action.kind == "initial_outreach" and (outreach_context is None or action.warnings):
            lines += _action_line(context, action)
            if outreach_context is None and not action.warnings:
                outreach_context = (context, action)
        elif action.unmet_conditions and blocked < 2:
            blocked += 1
            lines += _action_line(context, action)
            lines.append("      unmet: " + ", ".join(action.unmet_conditions))
        if outreach_context is not None and blocked >= 2:
            break
    if outreach_context is not None:
        context, action = outreach_context
        draft = drafter.draft(context, action)
        lines.append("")
        lines.append(
            f"Draft ({draft.action}, {draft.drafter}; never sent, for the seller to edit):"
        )
        lines.append(f"  To: {', '.join(draft.to)}")
        lines.append(f"  Subject: {draft.subject}")
        lines += [f"  | {line}" for line in draft.body.splitlines()]
        lines.append(
            "  Facts used: " + "; ".join(f"{f.text[:50]} [{f.source}]" for f in draft.facts[:4])
        )
        lines.append("  Placeholders to fill: " + (", ".join(draft.placeholders) or "none"))
    return lines
