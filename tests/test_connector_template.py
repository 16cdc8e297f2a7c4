"""The connector template in examples/connector-template works as its docs say: its own tests
(the shared source contract) pass, and its entry point registers a source leadqual accepts."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from leadqual.plugins import CRM_SOURCES_GROUP
from leadqual.sources import CrmSource
from leadqual.sources.registry import crm_source_registry

TEMPLATE = Path(__file__).resolve().parents[1] / "examples" / "connector-template"


def test_the_templates_contract_tests_pass() -> None:
    env = {**os.environ, "PYTHONPATH": str(TEMPLATE / "src"), "PYTHONWARNINGS": "error"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests", "src",
         "--doctest-modules"],
        cwd=TEMPLATE, capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_the_templates_entry_point_builds_a_source_the_registry_accepts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = tomllib.loads((TEMPLATE / "pyproject.toml").read_text(encoding="utf-8"))
    declared = project["project"]["entry-points"][CRM_SOURCES_GROUP]
    assert declared == {"acme": "acme_crm.source:AcmeCrmSource"}
    monkeypatch.syspath_prepend(str(TEMPLATE / "src"))
    ((name, value),) = declared.items()
    entry = metadata.EntryPoint(name=name, value=value, group=CRM_SOURCES_GROUP)
    registry = crm_source_registry(entry_points=[entry])
    assert "acme" in registry.names()
    source = registry.create("acme", {"leads": []})
    assert isinstance(source, CrmSource)
    assert source.leads() == []
