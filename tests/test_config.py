"""AgentConfig: loading from YAML/JSON, clear errors, round-trips, and the schema standing on its
own below the components."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from leadqual.config import (
    AgentConfig,
    FieldCondition,
    IcpProfile,
    PrioritizationOrder,
    RatingPolicy,
)
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.prioritize import Prioritizer


def test_sample_config_loads_with_icp_and_segments(sample_config: AgentConfig) -> None:
    assert sample_config.company.name == "Tailspin Analytics"
    assert sample_config.icp is not None
    assert {c.name for c in sample_config.icp.characteristics} >= {"Industry", "Company size"}
    assert [s.name for s in sample_config.handraisers] == [
        "Marketing campaign and web form",
        "Direct inquiries",
    ]
    assert sample_config.prioritization.order[0] == "handraiser"


def test_yaml_round_trip(tmp_path: Path, sample_config: AgentConfig) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(sample_config.to_yaml(), encoding="utf-8")
    assert AgentConfig.from_file(path) == sample_config


def test_json_file_loads(tmp_path: Path, sample_config: AgentConfig) -> None:
    path = tmp_path / "agent.json"
    path.write_text(sample_config.model_dump_json(), encoding="utf-8")
    assert AgentConfig.from_file(path) == sample_config


def test_unknown_key_in_file_names_the_path(tmp_path: Path, sample_config: AgentConfig) -> None:
    data = json.loads(sample_config.model_dump_json())
    data["refresh"]["research_every_dayz"] = 3
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        AgentConfig.from_file(path)
    assert info.value.field == "refresh.research_every_dayz"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.yaml", "company: [unclosed", "not valid YAML"),
        ("a.json", "{", "not valid JSON"),
        ("a.toml", "x = 1", "use a .yaml"),
        ("a.yaml", "- just a list", "mapping at the top level"),
    ],
)
def test_bad_files_raise_configuration_error(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        AgentConfig.from_file(path)


def test_missing_file_raises_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        AgentConfig.from_file(tmp_path / "nope.yaml")


def test_prioritization_order_refuses_repeats() -> None:
    with pytest.raises(ValidationFailed, match="twice"):
        PrioritizationOrder(order=("handraiser", "icp_fit", "handraiser"))


def test_icp_characteristic_names_must_be_unique(sample_config: AgentConfig) -> None:
    assert sample_config.icp is not None
    first = sample_config.icp.characteristics[0]
    with pytest.raises(ValidationFailed, match="unique"):
        IcpProfile(characteristics=(first, first.model_copy(update={"name": first.name.upper()})))


def test_icp_field_paths_are_checked() -> None:
    with pytest.raises(ValidationFailed) as info:
        IcpProfile.model_validate(
            {
                "characteristics": [
                    {"name": "X", "kind": "categorical", "targets": ["a"], "fields": ["industry"]}
                ]
            }
        )
    assert info.value.field == "characteristics.0.fields.0"


@pytest.mark.parametrize(
    ("op", "value", "ok"),
    [
        ("in", ["a"], True),
        ("in", "a", False),
        ("eq", ["a"], False),
        ("exists", None, True),
        ("eq", None, False),
    ],
)
def test_field_condition_checks_value_against_operator(op: str, value: object, ok: bool) -> None:
    data = {"field": "lead.lead_source", "op": op, "value": value}
    if ok:
        FieldCondition.model_validate(data)
    else:
        with pytest.raises(ValidationFailed):
            FieldCondition.model_validate(data)


def test_score_cutoffs_must_decrease() -> None:
    with pytest.raises(ValidationFailed, match="strictly decreasing"):
        PrioritizationOrder(score_cutoffs=(50.0, 75.0))
    assert PrioritizationOrder(score_cutoffs=(80.0, 40.0)).score_cutoffs == (80.0, 40.0)


def test_prioritizer_takes_rating_and_cutoffs_from_config(sample_config: AgentConfig) -> None:
    order = sample_config.prioritization.model_copy(
        update={"score_cutoffs": (90.0, 60.0), "rating": RatingPolicy()}
    )
    config = sample_config.model_copy(update={"prioritization": order})
    assert Prioritizer.from_config(config).score_cutoffs == (90.0, 60.0)


def test_the_configuration_schema_loads_without_any_component() -> None:
    code = (
        "import sys, leadqual.config\n"
        "print(' '.join(m for m in sys.modules if m.startswith('leadqual.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    components = ("icp", "prioritize", "prioritization", "sources", "scoring", "research")
    assert not [m for m in out if m.split(".")[1] in components]
    assert "leadqual.config.agent" in out


def test_a_whole_configuration_validates_from_plain_data_in_the_config_layer(
    sample_config: AgentConfig,
) -> None:
    data = sample_config.model_dump(mode="json")
    again = AgentConfig.model_validate(data)
    assert again == sample_config
    assert type(again.icp) is IcpProfile
    data["handraisers"][0]["conditions"][0]["op"] = "between"
    with pytest.raises(ValidationFailed, match="handraisers"):
        AgentConfig.model_validate(data)


def test_the_prioritizer_refuses_the_settings_the_configuration_refuses() -> None:
    for bad in ({"order": ["icp_fit", "icp_fit"]}, {"score_cutoffs": (50.0, 75.0)}):
        with pytest.raises(ValidationFailed):
            PrioritizationOrder(**bad)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="Prioritizer"):
            Prioritizer(**bad)  # type: ignore[arg-type]
