"""The examples in the scoring modules' docstrings run and print what they claim."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "leadqual.scoring.coldstart",
    "leadqual.scoring.crm",
    "leadqual.scoring.drift",
    "leadqual.scoring.features",
    "leadqual.scoring.grading",
    "leadqual.scoring.opportunity",
    "leadqual.scoring.records",
    "leadqual.scoring.refresh",
    "leadqual.scoring.registry",
    "leadqual.scoring.report",
    "leadqual.scoring.scorer",
    "leadqual.scoring.training",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


def test_due_for_scoring_puts_new_then_changed_then_stale_leads() -> None:
    from datetime import UTC, datetime, timedelta

    from leadqual.models import Lead, LeadStatus
    from leadqual.scoring import due_for_scoring

    now = datetime(2026, 11, 1, tzinfo=UTC)
    new = Lead(id="new", created_at=now - timedelta(hours=2))
    changed = Lead(
        id="changed", created_at=now - timedelta(days=5), modified_at=now - timedelta(hours=1)
    )
    fresh = Lead(id="fresh", created_at=now - timedelta(days=5))
    stale = Lead(id="stale", created_at=now - timedelta(days=5))
    closed = Lead(
        id="closed",
        created_at=now - timedelta(days=5),
        status=LeadStatus.DISQUALIFIED,
        closed_at=now - timedelta(days=1),
    )
    old = Lead(id="old", created_at=now - timedelta(days=800))
    last = {
        "changed": now - timedelta(hours=3),
        "fresh": now - timedelta(hours=3),
        "stale": now - timedelta(hours=30),
    }
    due = due_for_scoring([stale, fresh, changed, new, closed, old], last, now=now)
    assert [(lead.id, why) for lead, why in due] == [
        ("new", "new"),
        ("changed", "changed"),
        ("stale", "stale"),
    ]
