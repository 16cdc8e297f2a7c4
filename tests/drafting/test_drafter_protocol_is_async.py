"""The Drafter protocol is async (``adraft``); the built-in drafters also draft from sync code,
inside a running event loop too; the old import paths of the drafters still work."""

from __future__ import annotations

import asyncio

import pytest

from leadqual.config import AgentConfig
from leadqual.drafting import Draft, Drafter, LlmDrafter, NextAction, TemplateDrafter
from leadqual.models import LeadContext
from leadqual.testing.llm import FunctionLlmClient

from .conftest import make_context

OUTREACH = NextAction(kind="initial_outreach", reasons=("every condition holds",))


def test_a_sync_only_drafter_does_not_satisfy_the_protocol() -> None:
    class SyncOnly:
        def draft(self, context: object, action: object, /) -> Draft:
            raise NotImplementedError

    assert not isinstance(SyncOnly(), Drafter)


def test_both_drafters_give_the_same_draft_sync_async_and_inside_a_loop(
    config: AgentConfig,
) -> None:
    consented = config.replace(consent=config.consent.replace(llm_drafting=True))
    drafters: list[TemplateDrafter | LlmDrafter] = [
        TemplateDrafter(config),
        LlmDrafter(FunctionLlmClient(lambda m: "not json"), consented),
    ]
    for drafter in drafters:
        context = make_context()
        sync = drafter.draft(context, OUTREACH)
        awaited = asyncio.run(drafter.adraft(context, OUTREACH))

        async def inside_a_loop(
            d: TemplateDrafter | LlmDrafter = drafter, c: LeadContext = context
        ) -> Draft:
            return d.draft(c, OUTREACH)

        assert sync.body == awaited.body == asyncio.run(inside_a_loop()).body


@pytest.mark.parametrize("name", ["TemplateDrafter", "LlmDrafter", "collect_facts"])
def test_the_old_drafts_module_path_warns_and_gives_the_same_object(name: str) -> None:
    import leadqual.drafting
    import leadqual.drafting.drafts

    with pytest.warns(DeprecationWarning, match="import it from leadqual.drafting"):
        value = getattr(leadqual.drafting.drafts, name)
    assert value is getattr(leadqual.drafting, name)
