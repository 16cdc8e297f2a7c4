"""``leadqual replay``: a stored conclusion derived again from its audit record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadqual.cli import app
from leadqual.cli.commands.replay import parse_audit_id

from .conftest import NOW


@pytest.fixture
def store(runner: CliRunner, leads_csv: Path, config_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "insights.db"
    result = runner.invoke(
        app,
        [
            "process",
            str(leads_csv),
            "-c",
            str(config_file),
            "--now",
            NOW,
            "--store",
            str(path),
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    return path


def test_the_same_configuration_derives_the_same_conclusion(
    runner: CliRunner, store: Path, config_file: Path
) -> None:
    result = runner.invoke(app, ["replay", "L-2@1", "--store", str(store), "-c", str(config_file)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("L-2 v1 (recorded 2025-06-30 00:00 UTC): the same")
    latest = runner.invoke(
        app, ["replay", "L-2", "--store", f"sqlite:///{store}", "-c", str(config_file), "--json"]
    )
    out = json.loads(latest.stdout)
    assert (out["same"], out["config_changed"], out["available_versions"]) == (True, False, [1])


def test_a_changed_configuration_lists_what_differs(
    runner: CliRunner, store: Path, config_file: Path, tmp_path: Path
) -> None:
    import yaml

    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    data["icp"]["characteristics"] = [
        c for c in data["icp"]["characteristics"] if c["name"] != "Industry"
    ]
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = runner.invoke(
        app, ["replay", "L-3", "--store", str(store), "-c", str(changed), "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["same"] is False and out["config_changed"] is True
    assert any(d.startswith("icp_fit: ") for d in out["differences"])


def test_an_unknown_record_is_bad_input(runner: CliRunner, store: Path, config_file: Path) -> None:
    for audit_id in ("L-2@7", "L-404"):
        result = runner.invoke(
            app, ["replay", audit_id, "--store", str(store), "-c", str(config_file)]
        )
        assert result.exit_code == 1
        assert result.stderr.startswith("leadqual: RecordNotFound: no audit record")


@pytest.mark.parametrize(
    ("audit_id", "parsed"),
    [
        ("L-1@2", ("L-1", 2)),
        ("L-1", ("L-1", None)),
        ("ada@contoso.com", ("ada@contoso.com", None)),
        ("ada@contoso.com@3", ("ada@contoso.com", 3)),
        ("L-1@0", ("L-1@0", None)),
        ("@2", ("@2", None)),
    ],
)
def test_audit_ids(audit_id: str, parsed: tuple[str, int | None]) -> None:
    assert parse_audit_id(audit_id) == parsed
