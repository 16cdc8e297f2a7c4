"""Every hostile case of the injection fixture, through both drafters (the benchmark's check)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from leadqual.config import AgentConfig
from leadqual.drafting import LlmDrafter, TemplateDrafter
from leadqual.testing.llm import FunctionLlmClient

ROOT = Path(__file__).parents[2]
CASES = json.loads((ROOT / "tests/fixtures/drafting/injections.json").read_text(encoding="utf-8"))


def _bench() -> Any:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location(
            "injection_bench", ROOT / "benchmarks/injection.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


BENCH = _bench()


def test_the_fixture_has_at_least_30_hostile_cases_of_every_goal() -> None:
    assert len(CASES) >= 30
    assert {c["goal"] for c in CASES} >= {"link", "recipient", "reveal", "rewrite"}
    assert {c["channel"] for c in CASES} == {"reply", "web", "form"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_no_injection_escapes_either_drafter(case: dict[str, Any], config: AgentConfig) -> None:
    context, action, research = BENCH.context_for(case)
    template = TemplateDrafter(config).draft(context, action, research=research)
    assert BENCH.escaped(case, template) == []
    fake = FunctionLlmClient(BENCH.obey(case))
    guarded = LlmDrafter(fake, config).draft(context, action, research=research)
    assert BENCH.escaped(case, guarded) == []
    assert guarded.drafter == "template" and "template draft used" in guarded.notes[-1]
    assert len(fake.calls) == 1
