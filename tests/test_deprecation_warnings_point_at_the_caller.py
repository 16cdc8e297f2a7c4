"""Every DeprecationWarning names the user's file and line, however many of the package's wrappers
and aliases stand between the call and the deprecated code: that line is what the user must edit,
and warning filters such as ``default::DeprecationWarning:__main__`` match on it."""

from __future__ import annotations

import asyncio
import inspect
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from leadqual._compat import is_coroutine_function, moved_names, renamed_kwarg
from leadqual.email import EmailOverrides, EmailValidator
from leadqual.models import Lead
from leadqual.prioritize import PrioritizedList
from leadqual.research import ResearchProvider
from leadqual.scoring import LeadScorer, ModelRegistry
from leadqual.suppression import SuppressionList

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@contextmanager
def recorded() -> Iterator[list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        yield seen


def _line_of(marker: str) -> int:
    """The line of this file that holds ``marker`` in a comment."""
    lines = inspect.getsource(inspect.getmodule(_line_of)).splitlines()  # type: ignore[arg-type]
    return next(i for i, line in enumerate(lines, 1) if line.rstrip().endswith(f"# {marker}"))


def assert_all_here(seen: list[warnings.WarningMessage], *, count: int, line: int) -> None:
    deprecations = [w for w in seen if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) >= count, [str(w.message) for w in seen]
    for w in deprecations:
        assert (w.filename, w.lineno) == (__file__, line), (str(w.message), w.filename, w.lineno)


# -- the helpers themselves -------------------------------------------------------------------


@renamed_kwarg("old_a", "a")
@renamed_kwarg("old_b", "b")
def stacked(*, a: int = 0, b: int = 0) -> int:
    return a + b


def test_stacked_renamed_keywords_both_warn_at_the_callers_line() -> None:
    with recorded() as seen:
        assert stacked(old_a=1, old_b=2) == 3  # stacked-call
    assert_all_here(seen, count=2, line=_line_of("stacked-call"))


@renamed_kwarg("old", "new")
async def renamed_async(*, new: int = 0) -> int:
    return new


def test_an_async_function_checks_its_keywords_when_called_not_when_awaited() -> None:
    with recorded() as seen:
        pending = renamed_async(old=4)  # async-call
    assert_all_here(seen, count=1, line=_line_of("async-call"))
    assert asyncio.run(pending) == 4
    with pytest.raises(TypeError, match="pass only 'new'"):
        renamed_async(old=1, new=2)  # nothing to await: the mistake is reported at the call


def test_a_renamed_async_function_is_still_a_coroutine_function() -> None:
    assert is_coroutine_function(renamed_async)

    class Provider:
        name = "p"

        @renamed_kwarg("as_of", "now")
        async def aresearch(self, company: object, /, *, now: object = None) -> object:
            return company

    assert is_coroutine_function(Provider().aresearch)
    assert isinstance(Provider(), ResearchProvider)


def test_a_moved_name_warns_at_the_line_that_reads_it() -> None:
    getattr_ = moved_names("old.module", {"SuppressionList": "leadqual.suppression"})
    with recorded() as seen:
        getattr_("SuppressionList")  # moved-read
    assert_all_here(seen, count=1, line=_line_of("moved-read"))


# -- the package's deprecated names and aliases -----------------------------------------------


@pytest.fixture(scope="module")
def registry() -> ModelRegistry:
    rng = np.random.default_rng(0)
    source = rng.choice(["web", "event"], 120)
    scorer = LeadScorer().fit(
        pd.DataFrame({"lead_source": source}), (source == "event").astype(int)
    )
    registry = ModelRegistry()
    registry.publish(scorer, line_of_business="Enterprise")
    return registry


def test_a_deprecated_alias_over_a_renamed_keyword_warns_twice_at_the_callers_line(
    registry: ModelRegistry,
) -> None:
    lead = Lead(id="L-1", line_of_business="Enterprise", created_at=NOW - timedelta(days=9))
    with recorded() as seen:
        registry.score(lead, as_of=NOW)  # registry-score
    assert_all_here(seen, count=2, line=_line_of("registry-score"))
    messages = " ".join(str(w.message) for w in seen)
    assert "score_lead" in messages and "'as_of' is deprecated" in messages


def test_a_renamed_keyword_on_a_method_warns_at_the_callers_line() -> None:
    with recorded() as seen:
        EmailOverrides().set("a@b.example", by="S-1", is_valid=True, at=NOW)  # overrides-set
    assert_all_here(seen, count=1, line=_line_of("overrides-set"))


def test_names_read_from_their_old_modules_warn_at_the_reading_line() -> None:
    import leadqual.drafting.inputs
    import leadqual.research

    with recorded() as seen:
        _ = leadqual.EmailOverride  # top-level
    assert_all_here(seen, count=1, line=_line_of("top-level"))
    with recorded() as seen:
        _ = leadqual.research.EmailOverrides  # research-module
    assert_all_here(seen, count=1, line=_line_of("research-module"))
    with recorded() as seen:
        from leadqual.prioritization import rate_lead  # noqa: F401  # from-import
    assert_all_here(seen, count=1, line=_line_of("from-import"))
    with recorded() as seen:
        _ = leadqual.drafting.inputs.SuppressionList  # drafting-inputs
    assert_all_here(seen, count=1, line=_line_of("drafting-inputs"))


def test_deprecated_methods_arguments_and_fields_warn_at_the_callers_line() -> None:
    ranked = PrioritizedList(now=NOW, order=(), total=0, entries=())
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("suppression-add", lambda: SuppressionList().add("a@b.example")),  # suppression-add
        ("validator-clock", lambda: EmailValidator(now=lambda: NOW)),  # validator-clock
        (
            "prioritized-as-of",
            lambda: PrioritizedList(as_of=NOW, order=(), total=0, entries=()),  # prioritized-as-of
        ),
        ("prioritized-read", lambda: ranked.as_of),  # prioritized-read
    ]
    for marker, call in calls:
        with recorded() as seen:
            call()
        assert_all_here(seen, count=1, line=_line_of(marker))
