"""Which leads are due for (re)scoring, and in which order."""

from __future__ import annotations


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
