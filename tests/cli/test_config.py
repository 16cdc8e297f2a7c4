"""``leadqual config validate`` and ``leadqual config schema``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from leadqual.cli import app
from leadqual.config import AgentConfig


def test_a_valid_configuration_exits_zero(runner: CliRunner, config_file: Path) -> None:
    result = runner.invoke(app, ["config", "validate", str(config_file)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"{config_file}: valid (Tailspin Analytics; 1 products, 5 ICP characteristics, "
        "2 hand-raiser segments)"
    )


def test_each_bad_field_is_listed_with_its_path(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "agent.yaml"
    bad.write_text(
        "company:\n  name: Acme\n"
        "products:\n  - {name: Widget, description: A widget}\n"
        "handraisers:\n"
        "  - name: Web\n    conditions:\n"
        "      - {type: field, field: lead.lead_source, op: equals, value: Web}\n"
        "capacity:\n  leads_per_day: 0\n"
        "colour: blue\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["config", "validate", str(bad)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"{bad}: not a valid agent configuration (")
    paths = sorted(line.split(":")[0].strip() for line in lines[1:])
    assert {
        "capacity.leads_per_day",
        "colour",
        "handraisers[0].conditions[0].field.op",
    } <= set(paths)
    assert "  colour: Extra inputs are not permitted" in lines
    assert "  capacity.leads_per_day: Input should be greater than or equal to 1" in lines
    as_json = runner.invoke(app, ["config", "validate", str(bad), "--json"])
    assert as_json.exit_code == 1
    out = json.loads(as_json.stdout)
    assert out["valid"] is False
    assert sorted(e["path"] for e in out["errors"]) == paths


def test_a_file_that_does_not_parse_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "agent.yaml"
    broken.write_text("company: [\n", encoding="utf-8")
    result = runner.invoke(app, ["config", "validate", str(broken)])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"leadqual: ConfigurationError: {broken} is not valid YAML")
    missing = runner.invoke(app, ["config", "validate", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 1
    assert missing.stderr.startswith("leadqual: ConfigurationError: cannot read configuration")


def test_schema_is_the_json_schema_of_agent_config(runner: CliRunner) -> None:
    result = runner.invoke(app, ["config", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == AgentConfig.model_json_schema()
