"""``leadqual serve`` hands its options to :func:`leadqual.web.serve`, refuses bad ones as usage
errors, and the web view reaches the agent only through its public API."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import leadqual.web
from leadqual.cli.app import app

WEB = Path(leadqual.web.__file__).resolve().parent


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(leadqual.web, "serve", lambda **kw: calls.append(kw))
    return calls


def test_serve_passes_its_options_on(served: list[dict[str, Any]], tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    result = CliRunner().invoke(
        app,
        [
            "serve",
            "--host", "0.0.0.0",
            "--port", "8123",
            "--config", str(config),
            "--source", "sqlite",
            "--source-option", "path=crm.db",
            "--store", "sqlite:///insights.db",
            "--now", "2026-11-01T12:00:00",
            "--no-train",
            "--activate",
            "--no-check-deliverability",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert served == [
        {
            "host": "0.0.0.0",
            "port": 8123,
            "config": config,
            "store": "sqlite:///insights.db",
            "source": "sqlite",
            "source_options": {"path": "crm.db"},
            "now": datetime(2026, 11, 1, 12, tzinfo=UTC),
            "train": False,
            "activate": True,
            "check_deliverability": False,
        }
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["--now", "yesterday"],
        ["--source-option", "no-equals-sign"],
        ["--source-option", "=value"],
        ["--source-option", "not-a-name=1"],
        ["--source", "sqlite", "--source-option", "path=a.db", "--source-option", "path=b.db"],
        ["--port", "0"],
        ["--port", "70000"],
    ],
)
def test_bad_options_are_usage_errors(served: list[dict[str, Any]], args: list[str]) -> None:
    result = CliRunner().invoke(app, ["serve", *args])
    assert result.exit_code == 2, result.output
    assert served == []


def _attributes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrong = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id == "self")
        ):
            wrong.append(f"{path.name}:{node.lineno} .{node.attr}")
    return wrong


def test_the_web_view_touches_no_underscored_attribute() -> None:
    files = sorted(WEB.glob("*.py"))
    assert files
    assert [w for f in files for w in _attributes(f)] == []
