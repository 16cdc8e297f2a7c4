"""Every valid configuration survives YAML and JSON unchanged, validates against the published
JSON Schema, and differs from another exactly when the field diff reports a change. The
configurations are generated over the whole schema, with hostile text (control characters, line
separators, YAML words such as ``NO`` and ``~``, lone surrogates, numbers as text)."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.config import (
    BUILTIN_PROVIDER_OPTIONS,
    DEFAULT_PRIORITY_ORDER,
    AgentConfig,
    CharacteristicKind,
    Operator,
    config_changes,
)
from leadqual.errors import ValidationFailed

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "agent-config.schema.json").read_text(
        encoding="utf-8"
    )
)

# Text a careless or hostile hand writes: any character at all, and words YAML would read as
# something else when left unquoted.
TRICKY = st.sampled_from(
    [
        "NO",
        "yes",
        "on",
        "~",
        "null",
        "0123",
        "1e3",
        "0x1F",
        ".inf",
        "- x",
        "a: b",
        "#x",
        "<<",
        "2024-01-01",
        "2024-01-01T00:00:00Z",
        "'",
        '"',
        "\\",
        "{",
        "[",
        "*a",
        "&a",
        "!tag",
        "%",
    ]
)
ANY_TEXT = st.text(min_size=1, max_size=12)
SEPARATORS = st.text(alphabet="\x85\u2028\u2029\ufeff\x00\x1b\t\r\n\x7f", min_size=1, max_size=3)
TEXT = st.one_of(
    TRICKY,
    ANY_TEXT,
    st.builds(lambda a, s, b: a + s + b, TRICKY, SEPARATORS, ANY_TEXT),
).filter(lambda t: bool(t.strip()))
OPTIONAL_TEXT = st.none() | TEXT
TEXTS = st.lists(TEXT, max_size=3).map(tuple)
PATHS = st.sampled_from(
    [
        "lead.industry",
        "account.industry",
        "lead.address.country",
        "lead.custom_fields.segment",
        "contact.job_title",
        "lead.employee_count",
        "lead.lead_source",
    ]
)
SCALAR = st.one_of(
    TEXT,
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
WHEN = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@st.composite
def field_condition(draw: st.DrawFn) -> dict[str, Any]:
    op = draw(st.sampled_from(get_args(Operator)))
    if op in ("in", "not_in"):
        value: Any = draw(st.lists(st.none() | SCALAR, max_size=3))
    elif op in ("exists", "missing"):
        value = None
    else:
        value = draw(SCALAR)
    return {"type": "field", "field": draw(PATHS), "op": op, "value": value}


ACTIVITY = st.fixed_dictionaries(
    {
        "type": st.just("activity"),
        "kinds": st.lists(
            st.sampled_from(["email", "phone_call", "chat", "appointment"]), min_size=1, max_size=3
        ),
        "direction": st.sampled_from(["inbound", "outbound", "any"]),
        "within_days": st.none() | st.integers(min_value=1, max_value=10_000),
        "min_count": st.integers(min_value=1, max_value=50),
        "replies": st.booleans(),
    }
)
CONDITIONS = st.lists(field_condition() | ACTIVITY, min_size=1, max_size=3)


@st.composite
def characteristic(draw: st.DrawFn, name: str) -> dict[str, Any]:
    targets = draw(st.lists(TEXT, min_size=1, max_size=3))
    aliased = draw(st.lists(st.sampled_from(targets), max_size=2, unique=True))
    return {
        "name": name,
        "kind": draw(st.sampled_from(get_args(CharacteristicKind))),
        "targets": targets,
        "exclude": draw(TEXTS),
        "fields": draw(st.lists(PATHS, min_size=1, max_size=2)),
        "field_mode": draw(st.sampled_from(["first", "any"])),
        "weight": draw(st.floats(min_value=1e-6, max_value=100)),
        "required": draw(st.booleans()),
        "description": draw(OPTIONAL_TEXT),
        "aliases": {t: draw(TEXTS) for t in aliased},
    }


@st.composite
def icp(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(
        st.lists(
            st.sampled_from(["Industry", "Size", "Region", "Title", "Need"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    high = draw(st.floats(min_value=0, max_value=100))
    return {
        "name": draw(TEXT),
        "characteristics": [draw(characteristic(n)) for n in names],
        "tiers": {
            "high": high,
            "moderate": draw(st.floats(min_value=0, max_value=high)),
            "min_known_weight": draw(st.floats(min_value=0, max_value=1)),
        },
    }


@st.composite
def prioritization(draw: st.DrawFn) -> dict[str, Any]:
    order = draw(st.permutations(DEFAULT_PRIORITY_ORDER))[: draw(st.integers(1, 6))]
    hot = draw(st.integers(1, 8))
    recent = draw(st.integers(0, 400))
    cuts = sorted(
        draw(st.lists(st.floats(min_value=0, max_value=100), min_size=1, max_size=4, unique=True)),
        reverse=True,
    )
    return {
        "order": order,
        "rating": {
            "hot_at": hot,
            "warm_at": draw(st.integers(0, hot)),
            "recent_days": recent,
            "warm_days": draw(st.integers(recent, 800)),
            "window_days": draw(st.integers(1, 800)),
        },
        "score_cutoffs": cuts,
    }


PROVIDER_OPTIONS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "website": st.fixed_dictionaries(
        {},
        optional={
            "max_pages": st.integers(1, 10),
            "respect_robots": st.booleans(),
            "robots_token": st.text(string.ascii_letters + "-_", min_size=1, max_size=10),
            "time_budget": st.floats(min_value=0.001, max_value=600),
        },
    ),
    "wikidata": st.fixed_dictionaries(
        {},
        optional={
            "language": st.sampled_from(["en", "de", "zh-yue"]),
            "accept_below": st.floats(0, 1),
        },
    ),
    "wikipedia": st.fixed_dictionaries({}, optional={"language": st.sampled_from(["en", "fr"])}),
    "gleif": st.fixed_dictionaries({}, optional={"parents": st.booleans()}),
    "gdelt": st.fixed_dictionaries(
        {},
        optional={
            "timespan": st.sampled_from(["3m", "30d", "1w", "24h", "15min"]),
            "max_records": st.integers(1, 250),
        },
    ),
    "sec_edgar": st.fixed_dictionaries(
        {"user_agent": st.just("Tailwind ops@tailwind.example")},
        optional={"requests_per_second": st.floats(min_value=0.01, max_value=10)},
    ),
    "companies_house": st.fixed_dictionaries(
        {}, optional={"api_key_env": st.sampled_from(["CH_KEY", "X"]), "uk_only": st.booleans()}
    ),
    "sample": st.just({}),
}
assert set(PROVIDER_OPTIONS) == set(BUILTIN_PROVIDER_OPTIONS)


@st.composite
def providers(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(PROVIDER_OPTIONS)), max_size=4, unique=True))
    fetching = any(BUILTIN_PROVIDER_OPTIONS[n].fetches for n in names)
    user_agent = draw(
        st.just("Tailwind leadqual (ops@tailwind.example)")
        if fetching
        else st.none() | st.just("x")
    )
    return {
        "user_agent": user_agent,
        "use": [{"name": n, "options": draw(PROVIDER_OPTIONS[n])} for n in names],
    }


@st.composite
def configs(draw: st.DrawFn) -> AgentConfig:
    segment_names = draw(st.lists(TEXT, max_size=3, unique_by=lambda t: t.strip().casefold()))
    data: dict[str, Any] = {
        "company": {
            "name": draw(TEXT),
            "website": draw(OPTIONAL_TEXT),
            "description": draw(OPTIONAL_TEXT),
            "links": draw(TEXTS),
            "offers": draw(TEXTS),
            "references": draw(TEXTS),
        },
        "products": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "name": TEXT,
                        "description": TEXT,
                        "value_propositions": TEXTS,
                        "pain_points": TEXTS,
                        "proof_points": TEXTS,
                    }
                ),
                min_size=1,
                max_size=2,
            )
        ),
        "icp": draw(st.none() | icp()),
        "handraisers": [
            {
                "name": n,
                "match": draw(st.sampled_from(["all", "any"])),
                "conditions": draw(CONDITIONS),
                "description": draw(OPTIONAL_TEXT),
            }
            for n in segment_names
        ],
        "prioritization": draw(prioritization()),
        "refresh": {
            "research_every_days": draw(st.integers(1, 365)),
            "score_every_hours": draw(st.integers(1, 720)),
            "activation_batch": draw(st.integers(1, 10**9)),
            "insight_every_days": draw(st.none() | st.integers(1, 365)),
        },
        "team_access": {
            "roles": draw(TEXTS),
            "manager_roles": draw(TEXTS),
            "admin_roles": draw(TEXTS),
            "supervisors": draw(TEXTS),
            "unowned_team": draw(OPTIONAL_TEXT),
        },
        "consent": {
            "web_research": draw(st.booleans()),
            "read_emails": draw(st.booleans()),
            "llm_drafting": draw(st.booleans()),
            "granted_by": draw(OPTIONAL_TEXT),
            "granted_at": draw(st.none() | WHEN),
        },
        "selection": draw(st.lists(field_condition() | ACTIVITY, max_size=2)),
        "capacity": {
            "leads_per_day": draw(st.none() | st.integers(1, 10**6)),
            "provider_calls_per_day": draw(st.none() | st.integers(0, 10**6)),
        },
        "qualification": {
            "create": draw(
                st.lists(st.sampled_from(["account", "contact", "opportunity"]), max_size=3)
            )
        },
        "lead_summary_fields": draw(TEXTS),
        "account_summary_fields": draw(TEXTS),
        "providers": draw(providers()),
    }
    if draw(st.booleans()):
        data["version"] = 1
    return AgentConfig.model_validate(data)


ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(configs())
def test_yaml_round_trip_keeps_every_configuration_equal(config: AgentConfig) -> None:
    text = config.to_yaml()
    assert AgentConfig.from_yaml(text) == config
    assert AgentConfig.from_yaml(text.encode("utf-8")) == config
    assert text.startswith("version: 1\n")


@ROUND_TRIP
@given(configs())
def test_json_round_trip_keeps_every_configuration_equal(config: AgentConfig) -> None:
    assert AgentConfig.model_validate_json(config.model_dump_json()) == config


@ROUND_TRIP
@given(configs())
def test_the_published_schema_accepts_every_valid_configuration(config: AgentConfig) -> None:
    jsonschema.validate(yaml.safe_load(config.to_yaml()), SCHEMA)


@ROUND_TRIP
@given(configs(), configs())
def test_the_field_diff_is_empty_exactly_when_the_configurations_are_equal(
    a: AgentConfig, b: AgentConfig
) -> None:
    assert config_changes(a, a) == ()
    assert (config_changes(a, b) == ()) == (a == b)
    forward = {c.path for c in config_changes(a, b)}
    backward = {c.path for c in config_changes(b, a)}
    assert forward == backward  # the same fields differ, whichever side is old


def test_a_file_written_by_to_yaml_loads_from_the_path(tmp_path: Path) -> None:
    config = AgentConfig.model_validate(
        {"company": {"name": "Café\u2028NO"}, "products": [{"name": "~", "description": "0123"}]}
    )
    path = tmp_path / "agent.yaml"
    path.write_text(config.to_yaml(), encoding="utf-8")
    assert AgentConfig.from_file(path) == config
    assert AgentConfig.from_yaml(path) == config


@pytest.mark.parametrize("value", ["a\x85b", "x\u2028y", "\ufeffz", "tab\there", "\x00\x1b"])
def test_characters_yaml_folds_or_drops_are_written_escaped(value: str) -> None:
    config = AgentConfig.model_validate(
        {"company": {"name": value}, "products": [{"name": "p", "description": "d"}]}
    )
    assert AgentConfig.from_yaml(config.to_yaml()).company.name == config.company.name


def test_a_lone_surrogate_written_as_an_escape_is_refused_with_its_line() -> None:
    text = 'company:\n  name: "\\uD800"\nproducts: [{name: p, description: d}]\n'
    with pytest.raises(ValidationFailed) as info:
        AgentConfig.from_yaml(text)
    assert (info.value.field, info.value.line) == ("company.name", 2)
