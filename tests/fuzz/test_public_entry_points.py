"""Every public entry point fed hostile input: it returns a valid result or raises a typed error
(a :class:`~leadqual.errors.LeadqualError`, or a builtin it documents), never another exception,
and never hangs (the inputs are bounded).

The catalogue of entry points and their input generators is ``benchmarks/_fuzz.py``, shared with
``benchmarks/fuzz_report.py``, which runs a larger budget. Here each entry point gets a small,
derandomised budget so every run of the suite checks the same cases, quickly.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

ROOT = Path(__file__).parents[2]


def _catalogue() -> Any:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location(
            "fuzz_catalogue", ROOT / "benchmarks/_fuzz.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while defined
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


FUZZ = _catalogue()


def test_the_catalogue_covers_the_main_entry_points() -> None:
    names = {e.name for e in FUZZ.ENTRY_POINTS}
    for wanted in (
        "AgentConfig.from_file",
        "LeadScorer.fit",
        "LeadScorer.predict_proba",
        "LeadScorer.score_frame",
        "IcpMatcher.match_frame",
        "DuplicateDetector.find",
        "Prioritizer.rank_frame",
        "EmailValidator.validate",
        "load_model",
        "parse_event",
        "SqlInsightStore",
    ):
        assert wanted in names


@pytest.mark.parametrize("entry", FUZZ.ENTRY_POINTS, ids=lambda e: e.name)
def test_hostile_input_gives_a_result_or_a_typed_error(entry: Any) -> None:
    @settings(
        max_examples=25,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(entry.strategy)
    def check(case: Any) -> None:
        with warnings.catch_warnings():
            # deprecations and data warnings are not what is checked here
            warnings.simplefilter("ignore")
            kind, err = FUZZ.outcome(entry, case)
        if kind == "untyped":
            where = "".join(traceback.format_exception(err)[-3:])
            pytest.fail(f"{entry.name}: untyped {type(err).__name__} for {case!r:.300}\n{where}")

    check()
