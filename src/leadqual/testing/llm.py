"""A scriptable LLM client for tests: a function decides what the "model" answers.

Modelled on pydantic-ai's ``FunctionModel``: no network, every call recorded.

Examples:
    >>> import asyncio
    >>> from leadqual.drafting.llm import LlmMessage
    >>> fake = FunctionLlmClient(lambda messages: "hello " + messages[-1].content)
    >>> asyncio.run(fake.acomplete([LlmMessage(role="user", content="there")]))
    'hello there'
    >>> fake.complete([LlmMessage(role="user", content="again")])
    'hello again'
    >>> len(fake.calls)
    2
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Sequence

from leadqual.drafting.llm import LlmMessage, SyncComplete

__all__ = ["FunctionLlmClient", "prompt_draft_body"]

_DRAFT_BODY = re.compile(
    r"DRAFT BODY:\n<<<DATA (?P<nonce>[0-9a-f]+) [^\n]*>>>\n(?P<body>.*?)\n<<<END DATA (?P=nonce)>>>",
    re.S,
)

LlmFunction = Callable[[Sequence[LlmMessage]], "str | Awaitable[str]"]


class FunctionLlmClient(SyncComplete):
    """An :class:`~leadqual.drafting.llm.LlmClient` whose answers come from ``function``.

    Args:
        function: called with the messages; returns the answer (or raises, e.g.
            :class:`~leadqual.errors.ProviderTimeout`, to test fallbacks). May be async.
        name: the client's name in logs and draft metadata.
    """

    def __init__(self, function: LlmFunction, /, *, name: str = "function") -> None:
        self.function = function
        self.name = name
        self.calls: list[list[LlmMessage]] = []

    async def acomplete(
        self,
        messages: Sequence[LlmMessage],
        /,
        *,
        temperature: float = 0.2,
        max_tokens: int = 800,
    ) -> str:
        """Record the call and return ``function(messages)``."""
        self.calls.append(list(messages))
        answer = self.function(messages)
        if inspect.isawaitable(answer):
            answer = await answer
        if not isinstance(answer, str):
            raise TypeError(f"the function must return a str, got {type(answer).__name__}")
        return answer


def prompt_draft_body(messages: Sequence[LlmMessage], /) -> str:
    """The template draft's body inside an :class:`~leadqual.drafting.LlmDrafter` prompt.

    A scripted model uses it to answer with an edited draft.

    Raises:
        ValueError: the messages hold no draft body.
    """
    match = _DRAFT_BODY.search(messages[-1].content) if messages else None
    if match is None:
        raise ValueError("the prompt holds no DRAFT BODY data block")
    return match.group("body")
