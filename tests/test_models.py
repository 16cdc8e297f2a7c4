"""Domain models: validation, errors that name the field, and JSON round-trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from leadqual.errors import LeadqualError, ValidationFailed
from leadqual.models import (
    Account,
    Activity,
    Address,
    Appointment,
    EmailMessage,
    Lead,
    LeadContext,
    LeadStatus,
    Opportunity,
    Phone,
    PhoneCall,
    RecordRef,
)
from leadqual.sources import CrmSnapshot, MemorySource, SampleData

T0 = datetime(2026, 1, 1, tzinfo=UTC)

text = st.one_of(st.none(), st.text(min_size=1, max_size=30).map(str.strip).filter(bool))
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)
custom = st.dictionaries(
    st.text(min_size=1, max_size=10),
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**9), 10**9),
        st.floats(allow_nan=False, allow_infinity=False, width=32),
        st.text(max_size=20).map(str.strip),
    ),
    max_size=4,
)


@st.composite
def leads(draw: st.DrawFn) -> Lead:
    created = draw(times)
    status = draw(st.sampled_from(list(LeadStatus)))
    closed = (
        None if status is LeadStatus.OPEN else created + timedelta(days=draw(st.integers(0, 99)))
    )
    return Lead(
        id=draw(st.text(min_size=1, max_size=12).map(str.strip).filter(bool)),
        first_name=draw(text),
        last_name=draw(text),
        job_title=draw(text),
        email=draw(text),
        other_emails=tuple(draw(st.lists(st.emails(), max_size=2))),
        phones=tuple(
            Phone(number=n, kind=k)
            for n, k in draw(
                st.lists(
                    st.tuples(
                        st.from_regex(r"\+?[0-9 ()-]{5,15}", fullmatch=True)
                        .map(str.strip)
                        .filter(bool),
                        st.sampled_from(["business", "mobile", "home", "other"]),
                    ),
                    max_size=2,
                )
            )
        ),
        company_name=draw(text),
        employee_count=draw(st.one_of(st.none(), st.integers(0, 10**6))),
        annual_revenue=draw(
            st.one_of(st.none(), st.floats(0, 1e12, allow_nan=False, allow_infinity=False))
        ),
        address=draw(st.one_of(st.none(), st.builds(Address, city=text, country=text))),
        created_at=created,
        modified_at=closed or created,
        status=status,
        closed_at=closed,
        custom_fields=draw(custom),
    )


@given(leads())
def test_lead_round_trips_through_json(lead: Lead) -> None:
    assert Lead.model_validate_json(lead.model_dump_json()) == lead


@given(leads())
def test_lead_round_trips_through_python_dict(lead: Lead) -> None:
    assert Lead.model_validate(lead.model_dump()) == lead


def test_bad_input_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as info:
        Lead(id="L-1", created_at=T0, employee_count=-5)
    assert info.value.field == "employee_count"
    assert "employee_count" in str(info.value)
    assert isinstance(info.value, LeadqualError)
    assert isinstance(info.value, ValueError)


def test_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationFailed) as info:
        Lead.model_validate({"id": "L-1", "created_at": T0, "emial": "x@y.com"})
    assert info.value.field == "emial"


def test_nested_error_path_is_dotted() -> None:
    with pytest.raises(ValidationFailed) as info:
        Lead.model_validate_json(
            '{"id": "L-1", "created_at": "2026-01-01T00:00:00Z", "phones": [{"number": ""}]}'
        )
    assert info.value.field == "phones.0.number"


def test_missing_required_field_is_named() -> None:
    with pytest.raises(ValidationFailed) as info:
        Lead.model_validate({"id": "L-1"})
    assert info.value.field == "created_at"


def test_naive_times_are_read_as_utc_and_aware_ones_converted() -> None:
    naive = Lead(id="L-1", created_at=datetime(2026, 1, 1, 9, 0))
    assert naive.created_at == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    paris = timezone(timedelta(hours=1))
    aware = Lead(id="L-1", created_at=datetime(2026, 1, 1, 10, 0, tzinfo=paris))
    assert aware.created_at.utcoffset() == timedelta(0)
    assert aware.created_at == naive.created_at


def test_modified_before_created_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="modified_at is earlier"):
        Lead(id="L-1", created_at=T0, modified_at=T0 - timedelta(seconds=1))


def test_open_lead_cannot_have_closed_at() -> None:
    with pytest.raises(ValidationFailed, match="open lead"):
        Lead(id="L-1", created_at=T0, closed_at=T0)


def test_closed_on_falls_back_to_modified_at() -> None:
    lead = Lead(id="L-1", created_at=T0, modified_at=T0 + timedelta(days=3), status="qualified")
    assert lead.closed_on == T0 + timedelta(days=3)
    assert Lead(id="L-2", created_at=T0).closed_on is None


def test_records_are_frozen_and_replace_validates() -> None:
    lead = Lead(id="L-1", created_at=T0, first_name="Ada")
    with pytest.raises(ValueError, match="frozen"):
        lead.first_name = "Grace"  # type: ignore[misc]
    assert lead.replace(first_name="Grace").first_name == "Grace"
    with pytest.raises(ValidationFailed) as info:
        lead.replace(employee_count="many")
    assert info.value.field == "employee_count"


def test_all_emails_keeps_order_and_drops_repeats() -> None:
    lead = Lead(
        id="L-1", created_at=T0, email="a@x.com", other_emails=("b@x.com", "a@x.com", "c@x.com")
    )
    assert lead.all_emails == ("a@x.com", "b@x.com", "c@x.com")


def test_activities_are_discriminated_by_kind() -> None:
    adapter: TypeAdapter[Activity] = TypeAdapter(Activity)
    call = adapter.validate_python(
        {
            "kind": "phone_call",
            "id": "P-1",
            "regarding": {"kind": "lead", "id": "L-1"},
            "direction": "inbound",
            "answered": False,
            "started_at": "2026-01-01T10:00:00Z",
        }
    )
    assert isinstance(call, PhoneCall)
    assert call.occurred_at == datetime(2026, 1, 1, 10, tzinfo=UTC)


def test_appointment_end_before_start_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="end is earlier"):
        Appointment(
            id="AP-1",
            regarding=RecordRef(kind="lead", id="L-1"),
            start=T0,
            end=T0 - timedelta(minutes=1),
        )


def test_account_cannot_be_its_own_parent() -> None:
    with pytest.raises(ValidationFailed, match="own parent"):
        Account(id="A-1", name="X", created_at=T0, parent_account_id="A-1")


def test_opportunity_value_must_not_be_negative() -> None:
    with pytest.raises(ValidationFailed) as info:
        Opportunity(id="O-1", name="Deal", created_at=T0, estimated_value=-1)
    assert info.value.field == "estimated_value"


def test_lead_context_refuses_an_account_that_is_not_the_leads() -> None:
    lead = Lead(id="L-1", created_at=T0, account_id="A-1")
    other = Account(id="A-2", name="Other", created_at=T0)
    with pytest.raises(ValidationFailed, match="account does not match"):
        LeadContext(lead=lead, account=other)


def test_lead_context_sorts_activity_views() -> None:
    ref = RecordRef(kind="lead", id="L-1")

    def email(i: int, hours: int) -> EmailMessage:
        return EmailMessage(
            id=f"E-{i}",
            regarding=ref,
            direction="inbound",
            from_address="x@y.com",
            sent_at=T0 + timedelta(hours=hours),
        )

    ctx = LeadContext(lead=Lead(id="L-1", created_at=T0), activities=(email(1, 5), email(2, 1)))
    assert [e.id for e in ctx.emails] == ["E-2", "E-1"]
    assert ctx.appointments == []


def test_every_sample_record_round_trips_through_json(sample_data: SampleData) -> None:
    snapshot = sample_data.crm
    again = CrmSnapshot.model_validate_json(snapshot.model_dump_json())
    assert again == snapshot
    assert len(again.activities) == len(snapshot.activities) > 100


@given(
    st.sampled_from(["email", "chat", "phone_call", "appointment", "task"]),
    times,
    st.integers(0, 10_000),
)
def test_activity_kinds_round_trip(kind: str, at: datetime, minutes: int) -> None:
    ref = {"kind": "lead", "id": "L-1"}
    data: dict[str, object] = {"kind": kind, "id": "X-1", "regarding": ref}
    if kind in ("email", "chat"):
        data.update(direction="inbound", sent_at=at, body="hello")
        if kind == "email":
            data["from_address"] = "a@b.com"
    elif kind == "phone_call":
        data.update(direction="outbound", answered=True, started_at=at, duration_seconds=minutes)
    elif kind == "appointment":
        data.update(start=at, end=at + timedelta(minutes=minutes))
    else:
        data.update(created_at=at, due=at + timedelta(minutes=minutes))
    adapter: TypeAdapter[Activity] = TypeAdapter(Activity)
    activity = adapter.validate_python(data)
    assert activity.kind == kind
    assert adapter.validate_json(adapter.dump_json(activity)) == activity


@pytest.mark.parametrize("bad", ["2026-01-01", 1_700_000_000, None])
def test_components_given_a_non_datetime_now_get_a_typed_error(bad: object) -> None:
    from leadqual._base import to_utc

    with pytest.raises(ValidationFailed) as info:
        to_utc(bad)  # type: ignore[arg-type]
    assert info.value.field == "now"


def test_prioritizer_rejects_a_string_now(sample_source: MemorySource) -> None:
    from leadqual.prioritize import Prioritizer

    with pytest.raises(ValidationFailed, match="now must be a datetime"):
        Prioritizer().rank_source(sample_source, now="yesterday")  # type: ignore[arg-type]
