"""An agent over a fresh copy of the sample CRM, offline, and a way to talk to an MCP server in
process with the SDK's own client."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import pytest
from mcp import Client
from mcp.server import Server
from mcp_types import CallToolResult, TextContent

from leadqual.agent import QualificationAgent
from leadqual.config import AgentConfig
from leadqual.email import EmailValidator, StaticResolver
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.sources import MemorySource, SampleData

T = TypeVar("T")


@pytest.fixture
def agent(
    sample_data: SampleData, sample_config: AgentConfig, sample_source: MemorySource
) -> QualificationAgent:
    """A fresh agent over a fresh sample CRM; no lead processed yet."""
    return QualificationAgent(
        sample_config,
        sample_source,
        providers=[SampleResearchProvider(sample_data)],
        email_validator=EmailValidator(
            resolver=StaticResolver.from_sample(sample_data), now=sample_data.as_of
        ),
    )


def talk(
    server: Server[Any], scenario: Callable[[Client], Awaitable[T]], *, mode: str = "auto"
) -> T:
    """Run ``scenario`` with an in-process client connected to ``server``."""

    async def main() -> T:
        async with Client(server, mode=mode) as client:
            return await scenario(client)

    return anyio.run(main)


def text_of(result: CallToolResult) -> str:
    """The text of a result's single text block."""
    assert len(result.content) == 1
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def data_of(result: CallToolResult) -> dict[str, Any]:
    """A successful result's structured content, checked against its text block."""
    assert not result.is_error, text_of(result)
    assert isinstance(result.structured_content, dict)
    assert json.loads(text_of(result)) == result.structured_content
    return result.structured_content
