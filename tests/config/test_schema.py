"""The JSON Schema published in the docs is the one the models give, describes every field in
plain words, and refuses what the models refuse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from leadqual.config import AgentConfig

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "docs" / "agent-config.schema.json"


def test_the_published_schema_is_the_one_the_models_give() -> None:
    published = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    assert published == AgentConfig.json_schema(), (
        "docs/agent-config.schema.json is out of date: run python scripts/generate_config_schema.py"
    )


def test_the_generator_script_agrees_with_the_committed_file() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_config_schema.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_is_valid_draft_2020_12_and_every_reference_resolves() -> None:
    schema = AgentConfig.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    refs: list[str] = []
    todo: list[Any] = [schema]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    assert refs
    for ref in refs:
        assert ref.startswith("#/$defs/") and ref.split("/")[-1] in schema["$defs"], ref


def _models(cls: type[Any]) -> set[type[Any]]:
    """``cls`` and every configuration model reachable from its fields."""
    from pydantic import BaseModel

    seen: set[type[Any]] = set()
    todo = [cls]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for field in model.model_fields.values():
            stack = [field.annotation]
            while stack:
                tp = stack.pop()
                if isinstance(tp, type) and issubclass(tp, BaseModel):
                    todo.append(tp)
                stack.extend(getattr(tp, "__args__", ()))
                stack.extend(getattr(tp, "__metadata__", ()))
                origin = getattr(tp, "__origin__", None)
                if origin is not None:
                    stack.append(origin)
    return {m for m in seen if m.__module__.startswith("leadqual.config")}


def test_every_field_of_the_file_is_described_without_docstring_markup() -> None:
    schema = AgentConfig.json_schema()
    missing = []
    for model in _models(AgentConfig):
        definition = schema if model is AgentConfig else schema["$defs"][model.__name__]
        assert definition.get("description"), f"{model.__name__} has no description"
        for name, prop in definition.get("properties", {}).items():
            text = prop.get("description", "")
            if not text and name not in ("name", "options", "type"):
                missing.append(f"{model.__name__}.{name}")
            assert ":class:" not in text and "``" not in text, f"{model.__name__}.{name}"
    assert not missing, missing


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("version",), 2),
        (("providers", "use"), [{"name": "website", "options": {"max_pagez": 1}}]),
        (("providers", "use"), [{"name": "gdelt", "options": {"max_records": 0}}]),
        (("refresh", "research_every_days"), 0),
        (("prioritization", "order"), ["handraiser", "fit"]),
        (("unknown_section",), {}),
    ],
)
def test_the_schema_refuses_what_the_models_refuse(path: tuple[str, ...], value: Any) -> None:
    from leadqual.errors import ValidationFailed
    from leadqual.sources import load_sample_config

    data = yaml.safe_load(load_sample_config().to_yaml())
    data["providers"] = {"user_agent": "Tailspin ops@tailspin.example", "use": []}
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, AgentConfig.json_schema())
    with pytest.raises(ValidationFailed):
        AgentConfig.model_validate(data)


def test_the_configuration_page_shows_the_published_schema() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert '--8<-- "agent-config.schema.json"' in page
    assert "agent-config.schema.json" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8") or (
        "pymdownx.snippets" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    )


def _with_providers(providers: dict[str, Any]) -> dict[str, Any]:
    from leadqual.sources import load_sample_config

    data: dict[str, Any] = yaml.safe_load(load_sample_config().to_yaml())
    data["providers"] = {"user_agent": "Tailspin ops@tailspin.example", **providers}
    return data


def test_an_overridden_builtin_entry_takes_the_plugins_options_in_the_schema() -> None:
    # the plugin that replaces 'website' has options the built-in does not know: the model
    # reads the entry as the plugin's, and so must the schema an editor validates with
    entry = {"name": "website", "options": {"api_key_env": "ACME_KEY", "depth": 3}}
    data = _with_providers({"use": [entry], "overrides": {"website": "acme-research"}})
    schema = AgentConfig.json_schema()
    jsonschema.validate(data, schema)
    # the override of another built-in does not free this one's options
    for overrides in ({}, {"gdelt": "acme-news"}):
        refused = _with_providers({"use": [entry], "overrides": overrides})
        with pytest.raises(jsonschema.ValidationError, match="api_key_env"):
            jsonschema.validate(refused, schema)


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "website", "options": {"max_pages": 2}},  # the built-in's own options
        {"name": "website"},
        {"name": "sample"},
    ],
)
def test_the_schema_and_the_model_agree_on_builtin_entries(entry: dict[str, Any]) -> None:
    for providers in ({"use": [entry]}, {"use": [entry], "overrides": {"website": "acme"}}):
        data = _with_providers(providers)
        jsonschema.validate(data, AgentConfig.json_schema())


def test_an_overridden_entry_still_needs_a_name_and_options_as_a_mapping() -> None:
    schema = AgentConfig.json_schema()
    for entry in (
        {"name": "website", "options": [1]},
        {"options": {}},
        {"name": "website", "x": 1},
    ):
        data = _with_providers({"use": [entry], "overrides": {"website": "acme-research"}})
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, schema)
