"""Reading configuration YAML as a careless or hostile hand writes it: every mistake is a
leadqual error naming the field and the line, never a parser's exception, and nothing in the
text runs or expands without bound."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from leadqual.config import CONFIG_VERSION, AgentConfig
from leadqual.errors import ConfigurationError, ValidationFailed

GOOD = """\
company:
  name: Tailwind
products:
  - name: Cloud
    description: CRM analytics
"""


def _refused(text: str | bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        AgentConfig.from_yaml(text)
    return info.value


# -- syntax -------------------------------------------------------------------------------------


def test_a_tab_used_for_indentation_is_named_with_its_line() -> None:
    text = GOOD.replace("  name: Tailwind", "\tname: Tailwind")
    with pytest.raises(ConfigurationError, match="line 2 is indented with a tab") as info:
        AgentConfig.from_yaml(text)
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (GOOD + "company:\n  name: Other\n", 6),  # a top-level key, far from the first
        (GOOD.replace("    description: CRM analytics", "    description: a\n    name: b"), 6),
        (GOOD + "handraisers:\n- name: x\n  match: any\n  match: all\n", 9),
    ],
)
def test_a_repeated_key_is_refused_with_its_line(text: str, line: int) -> None:
    with pytest.raises(ConfigurationError, match="appears twice") as info:
        AgentConfig.from_yaml(text)
    assert info.value.line == line


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/name:os.system",
        "!!python/tuple [a, b]",
        "!custom x",
    ],
)
def test_a_yaml_tag_is_refused_and_nothing_runs(tag: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = GOOD.replace("Tailwind", tag.format(marker=marker))
    with pytest.raises(ConfigurationError, match="line 2"):
        AgentConfig.from_yaml(text)
    assert not marker.exists()


def test_aliases_expanding_beyond_reason_are_refused_fast() -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):  # 10**9 strings once expanded
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    started = time.perf_counter()
    with pytest.raises(ConfigurationError, match="aliases"):
        AgentConfig.from_yaml("\n".join(lines) + "\n" + GOOD)
    assert time.perf_counter() - started < 5


def test_an_alias_used_within_reason_works() -> None:
    text = GOOD + (
        "handraisers:\n"
        "- name: Web\n"
        "  conditions: &web [{type: field, field: lead.lead_source, op: eq, value: Web}]\n"
        "selection: *web\n"
    )
    config = AgentConfig.from_yaml(text)
    assert config.selection == config.handraisers[0].conditions


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not nothing"),
        ("# only a comment\n", "not nothing"),
        ("- a list\n", "not a list"),
        ("just text\n", "not a str"),
        (GOOD + "---\n" + GOOD, "not valid YAML"),
        ("company: [unclosed\n", "not valid YAML (line 2)"),
        ("company: {name: x}\n  products: []\n", "not valid YAML (line 2)"),
        ("? [a, b]\n: 1\n", "not valid YAML"),
        ("a: *nowhere\n", "not valid YAML"),
    ],
)
def test_text_that_is_not_a_configuration_mapping_is_a_configuration_error(
    text: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        AgentConfig.from_yaml(text)


def test_a_file_name_given_as_text_says_to_pass_a_path() -> None:
    with pytest.raises(ConfigurationError, match=r"looks like a file name.*Path\('agent.yaml'\)"):
        AgentConfig.from_yaml("agent.yaml")


@pytest.mark.parametrize("source", [None, 42, ["company: x"], {"company": {"name": "x"}}])
def test_what_is_neither_text_nor_a_path_is_refused(source: object) -> None:
    with pytest.raises(ConfigurationError, match="reads YAML text"):
        AgentConfig.from_yaml(source)  # type: ignore[arg-type]


def test_bytes_with_a_byte_order_mark_load_and_latin1_is_refused_with_its_line() -> None:
    assert AgentConfig.from_yaml(b"\xef\xbb\xbf" + GOOD.encode()).company.name == "Tailwind"
    with pytest.raises(ConfigurationError, match="0xe9 on line 2") as info:
        AgentConfig.from_yaml(GOOD.replace("Tailwind", "Caf\xe9").encode("latin-1"))
    assert info.value.line == 2


def test_a_missing_file_and_a_directory_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        AgentConfig.from_yaml(tmp_path / "missing.yaml")
    with pytest.raises(ConfigurationError, match="cannot read"):
        AgentConfig.from_yaml(tmp_path)


# -- content ------------------------------------------------------------------------------------


def test_a_wrong_type_names_the_field_and_its_line() -> None:
    err = _refused(GOOD + "refresh:\n  research_every_days: weekly\n")
    assert (err.field, err.line) == ("refresh.research_every_days", 7)
    assert "line 7" in str(err)
    assert err.errors[0]["line"] == 7


def test_a_typo_in_a_key_names_the_misspelt_key_and_its_line() -> None:
    err = _refused(GOOD + "refresh:\n  research_every_dayz: 3\n")
    assert (err.field, err.line) == ("refresh.research_every_dayz", 7)


def test_every_problem_carries_its_own_line() -> None:
    text = GOOD + ("prioritization:\n  order: [handraiser, fit]\ncapacity:\n  leads_per_day: -1\n")
    err = _refused(text)
    lines = {".".join(map(str, e["loc"])): e["line"] for e in err.errors}
    assert lines == {"prioritization.order.1": 7, "capacity.leads_per_day": 9}


def test_a_missing_field_points_at_its_parent() -> None:
    err = _refused(GOOD.replace("    description: CRM analytics\n", ""))
    assert (err.field, err.line) == ("products.0.description", 4)


def test_a_missing_top_level_field_has_no_line() -> None:
    err = _refused("products: [{name: p, description: d}]\n")
    assert (err.field, err.line) == ("company", None)


def test_a_bad_option_deep_in_the_providers_section_names_its_path_and_line() -> None:
    text = GOOD + (
        "providers:\n"
        "  user_agent: Tailwind ops@tailwind.example\n"
        "  use:\n"
        "  - name: wikidata\n"
        "  - name: website\n"
        "    options:\n"
        "      max_pages: many\n"
    )
    err = _refused(text)
    assert (err.field, err.line) == ("providers.use.1.website.options.max_pages", 12)


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("NO", "as true, false or nothing: quote it"),
        ("yes", "as true, false or nothing: quote it"),
        ("~", "as true, false or nothing: quote it"),
        ("00123", "as a number: quote it"),
        ("1.50", "as a number: quote it"),
    ],
)
def test_a_value_yaml_reads_as_another_type_gets_a_hint_to_quote_it(value: str, hint: str) -> None:
    text = GOOD + (
        "icp:\n"
        "  characteristics:\n"
        "  - name: Country\n"
        "    kind: location\n"
        f"    targets: [SE, {value}]\n"
        "    fields: [lead.address.country]\n"
    )
    err = _refused(text)
    assert (err.field, err.line) == ("icp.characteristics.0.targets.1", 10)
    assert hint in str(err)
    assert AgentConfig.from_yaml(text.replace(f", {value}]", f", '{value}']")).icp is not None


def test_a_nan_condition_is_refused_rather_than_never_matching() -> None:
    text = GOOD + ("selection:\n- {type: field, field: lead.employee_count, op: eq, value: .nan}\n")
    err = _refused(text)
    assert err.field is not None and err.field.startswith("selection.0")
    assert "NaN" in str(err)


@pytest.mark.parametrize("value", [".inf", "-.inf", "[1, .inf]"])
def test_an_infinite_condition_value_is_refused_as_it_cannot_round_trip_json(value: str) -> None:
    op = "in" if value.startswith("[") else "gt"
    text = GOOD + (
        f"selection:\n- {{type: field, field: lead.employee_count, op: {op}, value: {value}}}\n"
    )
    err = _refused(text)
    assert err.field is not None and err.field.startswith("selection.0")
    assert "infinite" in str(err)


def test_from_file_reads_yaml_with_lines_and_json_as_before(tmp_path: Path) -> None:
    path = tmp_path / "agent.yml"
    path.write_text(GOOD + "refresh: {research_every_days: 0}\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        AgentConfig.from_file(path)
    assert (info.value.field, info.value.line) == ("refresh.research_every_days", 6)
    assert str(path) in str(info.value)
    json_path = tmp_path / "agent.json"
    json_path.write_text('{"company": {"name": "T"}, "products": []}', encoding="utf-8")
    with pytest.raises(ValidationFailed) as json_info:
        AgentConfig.from_file(json_path)
    assert json_info.value.field == "products"


# -- the schema version -------------------------------------------------------------------------


def test_a_file_without_a_version_is_version_1_and_is_written_with_it() -> None:
    config = AgentConfig.from_yaml(GOOD)
    assert config.version == CONFIG_VERSION == 1
    assert config == AgentConfig.from_yaml("version: 1\n" + GOOD)
    assert config.to_yaml().splitlines()[0] == "version: 1"


def test_the_bundled_sample_configuration_has_no_version_and_still_loads() -> None:
    from leadqual.sources import load_sample_config

    assert load_sample_config().version == 1


def test_a_newer_version_is_refused_saying_to_upgrade_with_its_line() -> None:
    err = _refused(GOOD + "version: 2\n")
    assert (err.field, err.line) == ("version", 6)
    assert "newer than this leadqual reads (up to 1): upgrade leadqual" in str(err)


@pytest.mark.parametrize("value", ["0", "-1", "'1'", "1.0", "true", "null", "[1]", "v1"])
def test_a_version_that_is_not_a_whole_number_from_1_is_refused(value: str) -> None:
    err = _refused(f"version: {value}\n" + GOOD)
    assert (err.field, err.line) == ("version", 1)


def test_a_future_version_is_refused_from_python_too() -> None:
    with pytest.raises(ValidationFailed) as info:
        AgentConfig.model_validate({**AgentConfig.from_yaml(GOOD).model_dump(), "version": 99})
    assert info.value.field == "version"
