"""Hand-raiser segments: operators, activity windows, replies, machine-written mail, and the
sample's planted truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadqual.config import AgentConfig
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.models import (
    Address,
    Appointment,
    ChatMessage,
    EmailMessage,
    Lead,
    LeadContext,
    PhoneCall,
    RecordRef,
)
from leadqual.prioritize import (
    ActivityCondition,
    FieldCondition,
    HandraiserEvaluator,
    HandraiserSegment,
)
from leadqual.sources import SampleData, build_context, load_sample

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
REF = RecordRef(kind="lead", id="L-1")


def ctx(activities: tuple[object, ...] = (), **fields: object) -> LeadContext:
    return LeadContext(
        lead=Lead(id="L-1", created_at=NOW - timedelta(days=90), **fields),  # type: ignore[arg-type]
        activities=activities,  # type: ignore[arg-type]
    )


def email(days_ago: float, direction: str = "inbound", **kw: object) -> EmailMessage:
    return EmailMessage(
        id=f"E-{days_ago}-{direction}",
        regarding=REF,
        direction=direction,  # type: ignore[arg-type]
        from_address="x@y.example",
        sent_at=NOW - timedelta(days=days_ago),
        **kw,  # type: ignore[arg-type]
    )


def one(cond: FieldCondition | ActivityCondition) -> HandraiserEvaluator:
    return HandraiserEvaluator([HandraiserSegment(name="S", conditions=[cond])])


@pytest.mark.parametrize(
    ("cond", "fields", "passed"),
    [
        (
            FieldCondition(field="lead.lead_source", op="eq", value="web form"),
            {"lead_source": "Web Form"},
            True,
        ),
        (
            FieldCondition(field="lead.lead_source", op="ne", value="Web form"),
            {"lead_source": "Chat"},
            True,
        ),
        (FieldCondition(field="lead.lead_source", op="ne", value="Web form"), {}, True),
        (
            FieldCondition(field="lead.lead_source", op="in", value=["Chat", "Web form"]),
            {"lead_source": "chat"},
            True,
        ),
        (
            FieldCondition(field="lead.lead_source", op="not_in", value=["Chat"]),
            {"lead_source": "Chat"},
            False,
        ),
        (FieldCondition(field="lead.campaign", op="exists"), {"campaign": "Webinar"}, True),
        (FieldCondition(field="lead.campaign", op="exists"), {"campaign": "  "}, False),
        (FieldCondition(field="lead.campaign", op="missing"), {}, True),
        (
            FieldCondition(field="lead.topic", op="contains", value="demo"),
            {"topic": "Demo request"},
            True,
        ),
        (
            FieldCondition(field="lead.employee_count", op="ge", value=500),
            {"employee_count": 500},
            True,
        ),
        (
            FieldCondition(field="lead.employee_count", op="gt", value=500),
            {"employee_count": 500},
            False,
        ),
        (FieldCondition(field="lead.employee_count", op="lt", value=50), {}, False),
        (FieldCondition(field="lead.topic", op="gt", value=5), {"topic": "many"}, False),
        (
            FieldCondition(field="lead.custom_fields.score", op="ge", value=3),
            {"custom_fields": {"score": 4}},
            True,
        ),
        (FieldCondition(field="lead.created_at", op="ge", value="2026-07-01"), {}, True),
        (
            FieldCondition(field="lead.address.country", op="eq", value="DE"),
            {"address": Address(country="DE")},
            True,
        ),
    ],
)
def test_field_conditions(cond: FieldCondition, fields: dict[str, object], passed: bool) -> None:
    result = one(cond).evaluate(ctx(**fields), now=NOW)
    assert result.is_handraiser is passed
    assert result.segments[0].conditions[0].detail


def test_incomparable_values_fail_with_a_reason() -> None:
    res = one(FieldCondition(field="lead.topic", op="gt", value=5)).evaluate(
        ctx(topic="many"), now=NOW
    )
    assert "cannot be compared" in res.segments[0].conditions[0].detail


def test_activity_condition_counts_inbound_in_the_window() -> None:
    ev = one(ActivityCondition(kinds=["email", "chat", "phone_call"], within_days=30))
    assert ev.evaluate(ctx((email(3),)), now=NOW).is_handraiser
    assert not ev.evaluate(ctx((email(31),)), now=NOW).is_handraiser
    assert not ev.evaluate(ctx((email(3, "outbound"),)), now=NOW).is_handraiser
    assert not ev.evaluate(ctx((email(-2),)), now=NOW).is_handraiser  # in the future of `now`
    res = ev.evaluate(ctx((email(3),)), now=NOW)
    assert res.reason == "S: inbound email 3 days ago"


def test_replies_to_outreach_are_not_raised_hands_unless_asked() -> None:
    reply = email(2, in_reply_to="<m-1@x>", subject="RE: hello")
    auto = email(2, subject="Automatic reply: hello")
    plain = ActivityCondition(kinds=["email"], within_days=30)
    assert not one(plain).evaluate(ctx((reply,)), now=NOW).is_handraiser
    assert not one(plain).evaluate(ctx((auto,)), now=NOW).is_handraiser
    with_replies = ActivityCondition(kinds=["email"], within_days=30, replies=True)
    assert one(with_replies).evaluate(ctx((reply,)), now=NOW).is_handraiser


def test_min_count_and_appointments_without_direction() -> None:
    call = PhoneCall(
        id="P",
        regarding=REF,
        direction="inbound",
        answered=True,
        started_at=NOW - timedelta(days=1),
    )
    chat = ChatMessage(id="H", regarding=REF, direction="inbound", sent_at=NOW - timedelta(days=2))
    two = one(ActivityCondition(kinds=["phone_call", "chat"], min_count=2))
    assert two.evaluate(ctx((call, chat)), now=NOW).is_handraiser
    res = two.evaluate(ctx((call,)), now=NOW)
    assert not res.is_handraiser
    assert "fewer than 2" in res.segments[0].conditions[0].detail
    meeting = Appointment(
        id="M", regarding=REF, start=NOW - timedelta(days=1), end=NOW - timedelta(hours=23)
    )
    assert (
        one(ActivityCondition(kinds=["appointment"]))
        .evaluate(ctx((meeting,)), now=NOW)
        .is_handraiser
    )


def test_all_and_any_combine_conditions() -> None:
    conds = [
        FieldCondition(field="lead.lead_source", op="eq", value="Campaign"),
        FieldCondition(field="lead.campaign", op="exists"),
    ]
    both = HandraiserEvaluator([HandraiserSegment(name="B", match="all", conditions=conds)])
    either = HandraiserEvaluator([HandraiserSegment(name="E", match="any", conditions=conds)])
    lead = ctx(lead_source="Campaign")
    assert not both.evaluate(lead, now=NOW).is_handraiser
    assert either.evaluate(lead, now=NOW).is_handraiser
    assert both.evaluate(lead, now=NOW).reason == "no hand-raiser segment matched"


def test_first_matching_segment_is_reported_and_all_are_listed() -> None:
    ev = HandraiserEvaluator(
        [
            HandraiserSegment(
                name="Campaign", conditions=[FieldCondition(field="lead.campaign", op="exists")]
            ),
            HandraiserSegment(
                name="Web",
                conditions=[FieldCondition(field="lead.lead_source", op="eq", value="Web form")],
            ),
        ]
    )
    res = ev.evaluate(ctx(campaign="Webinar", lead_source="Web form"), now=NOW)
    assert res.segment == "Campaign"
    assert res.matched_segments == ("Campaign", "Web")


def test_segment_with_a_bad_field_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="Bad"):
        HandraiserEvaluator(
            [
                HandraiserSegment(
                    name="Bad", conditions=[FieldCondition(field="lead.nope", op="exists")]
                )
            ]
        )
    with pytest.raises(ValidationFailed):
        FieldCondition(field="lead.lead_source", op="in", value="Chat")


def test_sample_config_segments_find_exactly_the_planted_handraisers(
    sample_data: SampleData, sample_config: AgentConfig
) -> None:
    src = load_sample()
    ev = HandraiserEvaluator(sample_config.handraisers)
    found = {
        lead.id
        for lead in sample_data.crm.leads
        if lead.is_open
        and ev.evaluate(build_context(src, lead.id), now=sample_data.as_of).is_handraiser
    }
    assert found == set(sample_data.truth["handraisers"])


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
    result = HandraiserEvaluator([segment]).evaluate(ctx((bounce,)), now=NOW)
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
    cond = FieldCondition(field="lead.custom_fields.x", op=op, value=value)  # type: ignore[arg-type]
    context = ctx(custom_fields={"x": seen})
    segment = HandraiserSegment(name="S", conditions=[cond])
    result = HandraiserEvaluator([segment]).evaluate(context, now=NOW)
    assert result.is_handraiser is passed
