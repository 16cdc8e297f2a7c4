"""docs/mcp.md documents every tool: a section per tool naming each argument and each field of
its result, so the page cannot drift from the schemas a client sees."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leadqual.mcp import TOOLS, ToolDef
from leadqual.mcp.results import LeadResult, ToolResult

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "mcp.md").read_text(encoding="utf-8")
COMMON = set(LeadResult.model_fields) | set(ToolResult.model_fields)


def _section(name: str) -> str:
    found = re.search(rf"^### {name}\n(.*?)(?=^##|\Z)", PAGE, re.S | re.M)
    assert found, f"docs/mcp.md has no section for {name}"
    return found.group(1)


@pytest.mark.parametrize("tool", TOOLS, ids=[t.name for t in TOOLS])
def test_each_tool_has_a_section_naming_its_arguments_and_result_fields(tool: ToolDef) -> None:
    section = _section(tool.name)
    missing = [
        field
        for field in [*tool.args.model_fields, *(set(tool.result.model_fields) - COMMON)]
        if f"`{field}`" not in section
    ]
    assert missing == []
    assert f"| `{tool.name}` |" in PAGE  # and a row in the summary table


def test_the_fields_every_result_has_are_explained() -> None:
    for field in ToolResult.model_fields:
        assert f"`{field}`" in PAGE
