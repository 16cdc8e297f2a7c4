"""An agent over a fresh copy of the sample CRM, offline: DNS answers and research from the sample."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadqual.agent import QualificationAgent
from leadqual.config import AgentConfig
from leadqual.email import EmailValidator, StaticResolver
from leadqual.research.sample_provider import SampleResearchProvider
from leadqual.sources import MemorySource, SampleData

MakeAgent = Callable[..., QualificationAgent]


@pytest.fixture
def make_agent(
    sample_data: SampleData, sample_config: AgentConfig, sample_source: MemorySource
) -> MakeAgent:
    """Build an agent over ``sample_source`` (fresh per test); keywords go to the agent, and
    ``config_changes`` to the configuration."""

    def make(config_changes: dict[str, Any] | None = None, **options: Any) -> QualificationAgent:
        config = sample_config
        if config_changes:
            config = AgentConfig.model_validate(
                {**sample_config.model_dump(mode="json"), **config_changes}
            )
        options.setdefault("providers", [SampleResearchProvider(sample_data)])
        options.setdefault(
            "email_validator",
            EmailValidator(resolver=StaticResolver.from_sample(sample_data), now=sample_data.as_of),
        )
        return QualificationAgent(config, options.pop("source", sample_source), **options)

    return make
