"""The next best action for every open lead of the sample CRM, with its reasons.

Run: ``python examples/engagement_next_actions.py``
"""

from __future__ import annotations

from collections import Counter

from leadqual.drafting import ActionAdvisor
from leadqual.email import EmailValidator
from leadqual.sources import build_context, load_sample, load_sample_config, load_sample_data
from leadqual.testing.dns import StaticResolver


def main() -> None:
    data = load_sample_data()
    source = load_sample()
    advisor = ActionAdvisor.from_config(load_sample_config())
    # The sample ships its DNS answers, so the addresses are checked offline.
    validator = EmailValidator(resolver=StaticResolver.from_sample(data), now=data.as_of)

    kinds: Counter[str] = Counter()
    unmet: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for lead in source.leads():
        if not lead.is_open:
            continue
        context = build_context(source, lead.id)
        check = validator.validate(lead.email) if lead.email else None
        action = advisor.advise(context, now=data.as_of, email_check=check)
        kinds[action.kind] += 1
        unmet.update(action.unmet_conditions)
        key = action.reply.intent if action.reply else action.kind
        if key not in examples:
            detail = action.task_subject or (
                f"until {action.wait_until:%Y-%m-%d}" if action.wait_until else ""
            )
            examples[key] = f"{lead.id} -> {action.kind} {detail}\n      {action.reasons[0]}"

    print("Actions for the open leads:", dict(kinds.most_common()))
    print("Unmet initial-outreach conditions:", dict(unmet.most_common()))
    print("\nOne lead per situation:")
    for key, line in sorted(examples.items()):
        print(f"  [{key}] {line}")


if __name__ == "__main__":
    main()
