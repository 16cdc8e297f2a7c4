"""Every component built from a configuration says so when given something else: a dict, a
path, None. The same typed error everywhere, naming the component and how to load one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leadqual.drafting import ActionAdvisor, LlmDrafter, TemplateDrafter
from leadqual.errors import ConfigurationError
from leadqual.icp import IcpMatcher
from leadqual.prioritize import HandraiserEvaluator, Prioritizer
from leadqual.research import Researcher
from leadqual.testing.llm import FunctionLlmClient

BUILDERS: dict[str, Callable[[Any], object]] = {
    "TemplateDrafter": TemplateDrafter,
    "TemplateDrafter.from_config": TemplateDrafter.from_config,
    "LlmDrafter": lambda c: LlmDrafter(FunctionLlmClient(lambda m: ""), c),
    "ActionAdvisor.from_config": ActionAdvisor.from_config,
    "Researcher": lambda c: Researcher(config=c),
    "Researcher.from_config": Researcher.from_config,
    "IcpMatcher.from_config": IcpMatcher.from_config,
    "HandraiserEvaluator.from_config": HandraiserEvaluator.from_config,
    "Prioritizer.from_config": Prioritizer.from_config,
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
@pytest.mark.parametrize("wrong", [None, {"icp": None}, Path("agent.yaml"), "agent.yaml", 3])
def test_something_else_than_a_config_is_a_configuration_error(name: str, wrong: object) -> None:
    with pytest.raises(ConfigurationError, match="AgentConfig"):
        BUILDERS[name](wrong)
