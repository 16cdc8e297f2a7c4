"""Every component that reads the agent's configuration is built from it the same way:
``Component.from_config(config, **overrides)``, overrides being constructor keywords."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from leadqual import (
    ActionAdvisor,
    AgentConfig,
    HandraiserEvaluator,
    IcpMatcher,
    LlmDrafter,
    Prioritizer,
    Researcher,
    SuppressionList,
    TemplateDrafter,
    load_sample_config,
)
from leadqual.errors import ConfigurationError
from leadqual.testing import FunctionLlmClient

COMPONENTS: list[tuple[type[Any], dict[str, Any]]] = [
    (ActionAdvisor, {}),
    (HandraiserEvaluator, {}),
    (IcpMatcher, {}),
    (LlmDrafter, {"client": FunctionLlmClient(lambda _messages: "")}),
    (Prioritizer, {}),
    (Researcher, {}),
    (TemplateDrafter, {}),
]


@pytest.mark.parametrize(
    ("component", "needs"), COMPONENTS, ids=lambda c: getattr(c, "__name__", "")
)
def test_every_configurable_component_is_built_from_the_config(
    component: type[Any], needs: dict[str, Any]
) -> None:
    sample = load_sample_config()
    config = sample.model_copy(
        update={"consent": sample.consent.model_copy(update={"llm_drafting": True})}
    )
    built = component.from_config(config, **needs)
    assert isinstance(built, component)


def test_overrides_are_constructor_keywords() -> None:
    suppression = SuppressionList(domains={"contoso.com"})
    config = load_sample_config()
    assert ActionAdvisor.from_config(config, suppression=suppression).suppression is suppression
    assert ActionAdvisor.from_config(config, time_zone="Europe/Berlin").time_zone == "Europe/Berlin"
    with pytest.raises(TypeError):
        TemplateDrafter.from_config(config, no_such_option=1)


def test_the_handraiser_evaluator_takes_overrides_like_every_other_component() -> None:
    config = load_sample_config()
    assert HandraiserEvaluator.from_config(config).segments == tuple(config.handraisers)
    first = config.handraisers[:1]
    assert HandraiserEvaluator.from_config(config, segments=first).segments == tuple(first)
    assert HandraiserEvaluator.from_config(config, segments=()).segments == ()
    with pytest.raises(TypeError):
        HandraiserEvaluator.from_config(config, no_such_option=1)


@pytest.mark.parametrize(
    ("component", "needs"), COMPONENTS, ids=lambda c: getattr(c, "__name__", "")
)
def test_every_from_config_accepts_keyword_overrides(
    component: type[Any], needs: dict[str, Any]
) -> None:
    parameters = inspect.signature(component.from_config).parameters
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def test_consent_in_the_config_decides_whether_the_advisor_reads_emails() -> None:
    config = load_sample_config()
    withdrawn = config.model_copy(
        update={"consent": config.consent.model_copy(update={"read_emails": False})}
    )
    assert ActionAdvisor.from_config(withdrawn).read_emails is False


def test_a_matcher_from_a_config_without_an_icp_says_what_is_missing() -> None:
    config = AgentConfig.model_validate(
        {"company": {"name": "Acme"}, "products": [{"name": "X", "description": "y"}]}
    )
    with pytest.raises(ConfigurationError, match="icp"):
        IcpMatcher.from_config(config)
