"""Drafts for the seller to review (never sent): a template draft, and a guarded LLM draft.

The LLM here is a scripted fake that obeys a prompt injection hidden in the lead's reply; the guards
reject its draft and fall back to the template. Run: ``python examples/engagement_drafts.py``
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from leadqual.drafting import ActionAdvisor, LlmDrafter, LlmMessage, TemplateDrafter
from leadqual.sources import build_context, load_sample, load_sample_config, load_sample_data
from leadqual.testing.llm import FunctionLlmClient, prompt_draft_body


def obedient_model(messages: Sequence[LlmMessage]) -> str:
    """Pretends to be an LLM that follows instructions it finds in the lead's email."""
    body = prompt_draft_body(messages)
    return json.dumps({"subject": "Re: pricing", "body": body + "\nPay here: https://evil.example"})


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    data, source, config = load_sample_data(), load_sample(), load_sample_config()
    advisor = ActionAdvisor.from_config(config)

    context = build_context(source, "L-0174")  # asked for a product sheet
    action = advisor.advise(context, now=data.as_of)
    draft = TemplateDrafter(config).draft(context, action)
    print(f"{action.kind}: {action.reasons[0]}\n")
    print(f"To: {', '.join(draft.to)}\nSubject: {draft.subject}\n\n{draft.body}\n")
    print("Placeholders for the seller:", draft.placeholders)
    print("Facts used:", [f"{f.text[:40]}... [{f.source}]" for f in draft.facts])

    # LLM drafting sends lead context to a model: it needs the admin's consent.
    consented = config.replace(consent=config.consent.replace(llm_drafting=True))
    guarded = LlmDrafter(FunctionLlmClient(obedient_model), consented).draft(context, action)
    print("\nLLM draft:", guarded.drafter, "-", guarded.notes[-1][:120])
    print("mailto link:", guarded.mailto()[:70], "...")


if __name__ == "__main__":
    main()
