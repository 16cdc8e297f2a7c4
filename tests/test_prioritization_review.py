"""Regression tests from the prioritisation review: machine-written mail is not a raised hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadqual.models import EmailMessage, Lead, LeadContext, RecordRef
from leadqual.prioritization import ActivityCondition, HandraiserEvaluator, HandraiserSegment

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _context(message: EmailMessage) -> LeadContext:
    return LeadContext(
        lead=Lead(id="L-1", created_at=NOW - timedelta(days=90)), activities=(message,)
    )


@pytest.mark.parametrize("replies", [False, True])
@pytest.mark.parametrize(
    ("sender", "subject"),
    [
        ("mailer-daemon@mx.acme.example", "Mail delivery failed: returning message to sender"),
        ("postmaster@acme.example", "Undeliverable: Tailspin and Acme"),
        ("ada@acme.example", "Undeliverable: Tailspin and Acme"),
        ("ada@acme.example", "Automatic reply: Tailspin and Acme"),
        ("noreply@acme.example", "Your ticket was received"),
    ],
)
def test_a_bounce_or_automatic_reply_never_makes_a_hand_raiser(
    sender: str, subject: str, replies: bool
) -> None:
    bounce = EmailMessage(
        id="E-1",
        regarding=RecordRef(kind="lead", id="L-1"),
        direction="inbound",
        from_address=sender,
        subject=subject,
        body="This is an automatically generated message.",
        sent_at=NOW - timedelta(days=2),
    )
    segment = HandraiserSegment(
        name="Direct inquiries",
        conditions=[ActivityCondition(kinds=["email"], replies=replies)],
    )
    result = HandraiserEvaluator([segment]).evaluate(_context(bounce), now=NOW)
    assert not result.is_handraiser


@pytest.mark.parametrize(
    ("op", "value", "seen", "passed"),
    [
        ("eq", 500, "500", True),
        ("eq", "500", 500, True),
        ("in", [100, 500], "500", True),
        ("ne", 500, "500", False),
        ("eq", "Web form", "web form ", True),
        ("eq", 1, True, False),
    ],
)
def test_equality_compares_numbers_written_as_text_as_numbers(
    op: str, value: object, seen: object, passed: bool
) -> None:
    from leadqual.prioritization import FieldCondition

    cond = FieldCondition(field="lead.custom_fields.x", op=op, value=value)  # type: ignore[arg-type]
    context = LeadContext(
        lead=Lead(id="L-1", created_at=NOW, custom_fields={"x": seen})  # type: ignore[dict-item]
    )
    segment = HandraiserSegment(name="S", conditions=[cond])
    result = HandraiserEvaluator([segment]).evaluate(context, now=NOW)
    assert result.is_handraiser is passed


@pytest.mark.parametrize(
    ("column", "values", "field"),
    [
        ("predictive_score", [50, 200], "predictive_score"),
        ("predictive_score", [50, -1], "predictive_score"),
        ("icp_tier", ["High", "Excellent"], "icp_tier"),
        ("days_since_touch", [3, "last week"], "days_since_touch"),
        ("engagement_score", ["high", 10], "engagement_score"),
    ],
)
def test_rank_frame_refuses_values_rank_would_refuse(
    column: str, values: list[object], field: str
) -> None:
    import pandas as pd

    from leadqual.errors import ValidationFailed
    from leadqual.prioritization import Prioritizer

    frame = pd.DataFrame({"lead_id": ["a", "b"], column: values})
    with pytest.raises(ValidationFailed) as info:
        Prioritizer().rank_frame(frame)
    assert info.value.field == field


def test_rank_frame_accepts_missing_values() -> None:
    import numpy as np
    import pandas as pd

    from leadqual.prioritization import Prioritizer

    frame = pd.DataFrame(
        {
            "lead_id": ["a", "b"],
            "predictive_score": [np.nan, 40],
            "icp_tier": [None, "High"],
            "days_since_touch": [None, 2],
        }
    )
    assert list(Prioritizer().rank_frame(frame)["lead_id"]) == ["b", "a"]


def test_rank_frame_reads_handraiser_text_as_booleans() -> None:
    import pandas as pd

    from leadqual.errors import ValidationFailed
    from leadqual.prioritization import Prioritizer

    frame = pd.DataFrame({"lead_id": ["a", "b", "c"], "handraiser": ["no", "yes", "False"]})
    ranked = Prioritizer().rank_frame(frame)
    assert ranked["lead_id"].iloc[0] == "b"
    assert ranked["deciding_factor"].iloc[0] == "handraiser"
    with pytest.raises(ValidationFailed):
        Prioritizer().rank_frame(pd.DataFrame({"lead_id": ["a"], "handraiser": ["maybe"]}))
