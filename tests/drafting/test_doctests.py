"""The examples in the engagement modules' docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "leadqual.drafting.advisor",
    "leadqual.drafting.drafts",
    "leadqual.drafting.guards",
    "leadqual.drafting.inputs",
    "leadqual.drafting.intents",
    "leadqual.drafting.interest",
    "leadqual.drafting.llm",
    "leadqual.testing.llm",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


def test_every_public_name_has_a_docstring() -> None:
    import leadqual.drafting as drafting

    for name in drafting.__all__:
        obj = getattr(drafting, name)
        if callable(obj) and not isinstance(obj, type(drafting.Intent)):
            assert (obj.__doc__ or "").strip(), name
