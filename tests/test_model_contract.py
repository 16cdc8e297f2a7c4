"""The CRM models keep their JSON schema, serialised form and validation outcomes.

The expected values sit in ``tests/fixtures/models/contract.json``: the schema of every model, the
JSON of a fully populated record of each kind (field order included), and what validating each
awkward input below gives (the record as JSON, or the errors with their locations). Rewrite the
file with ``python tests/test_model_contract.py`` only when a change to the models is meant.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from leadqual import models
from leadqual.errors import ValidationFailed
from leadqual.models import Activity, LeadContext

FIXTURE = Path(__file__).parent / "fixtures" / "models" / "contract.json"

T0 = "2026-01-01T09:00:00Z"
T1 = "2026-01-02T09:00:00Z"
BEFORE = "2025-12-31T09:00:00Z"
PARIS = timezone(timedelta(hours=1))
REF = {"kind": "lead", "id": "L-1"}
ACTIVITY: TypeAdapter[Activity] = TypeAdapter(Activity)

MODELS: dict[str, type[BaseModel]] = {
    name: getattr(models, name)
    for name in models.__all__
    if isinstance(getattr(models, name), type) and issubclass(getattr(models, name), BaseModel)
}

FULL: dict[str, dict[str, Any]] = {
    "Lead": {
        "id": "L-1",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "job_title": "CTO",
        "email": "ada@contoso.example",
        "other_emails": ["a2@contoso.example"],
        "phones": [{"number": "+44 20 1234 5678", "kind": "mobile"}],
        "address": {"street": "1 Main St", "city": "London", "country": "GB"},
        "company_name": "Contoso",
        "website": "contoso.example",
        "industry": "Software",
        "employee_count": 250,
        "annual_revenue": 1.5e7,
        "lead_source": "Web form",
        "campaign": "Spring",
        "topic": "Forecasting",
        "need": "better forecasts",
        "description": "asked for a demo",
        "line_of_business": "SMB",
        "created_at": T0,
        "modified_at": T1,
        "status": "qualified",
        "status_reason": "fit",
        "closed_at": T1,
        "owner_id": "S-1",
        "account_id": "A-1",
        "contact_id": "C-1",
        "custom_fields": {"score": 3, "vip": True, "note": "x", "ratio": 0.5, "none": None},
    },
    "Contact": {
        "id": "C-1",
        "first_name": "Bo",
        "email": "bo@contoso.example",
        "account_id": "A-1",
        "owner_id": "S-1",
        "originating_lead_id": "L-1",
        "created_at": T0,
        "modified_at": T1,
        "custom_fields": {"tier": "gold"},
    },
    "Account": {
        "id": "A-1",
        "name": "Contoso",
        "website": "contoso.example",
        "industry": "Software",
        "employee_count": 250,
        "annual_revenue": 1.5e7,
        "phones": [{"number": "+1 555 0100"}],
        "address": {"country": "US", "state": "WA"},
        "parent_account_id": "A-0",
        "primary_contact_id": "C-1",
        "owner_id": "S-1",
        "originating_lead_id": "L-1",
        "created_at": T0,
        "modified_at": T1,
        "custom_fields": {"region": "west"},
    },
    "Opportunity": {
        "id": "O-1",
        "name": "Deal",
        "status": "won",
        "stage": "close",
        "estimated_value": 1000,
        "actual_value": 900.5,
        "close_date": T1,
        "account_id": "A-1",
        "contact_id": "C-1",
        "originating_lead_id": "L-1",
        "owner_id": "S-1",
        "line_of_business": "SMB",
        "created_at": T0,
        "modified_at": T1,
        "custom_fields": {"probability": 80},
    },
    "EmailMessage": {
        "id": "E-1",
        "regarding": REF,
        "owner_id": "S-1",
        "subject": "Hello",
        "direction": "inbound",
        "from_address": "ada@contoso.example",
        "to_addresses": ["s@vendor.example"],
        "cc_addresses": ["c@vendor.example"],
        "body": "Hi",
        "sent_at": T0,
        "message_id": "<m1>",
        "in_reply_to": "<m0>",
    },
    "ChatMessage": {"id": "CH-1", "regarding": REF, "direction": "outbound", "sent_at": T0},
    "Appointment": {
        "id": "AP-1",
        "regarding": REF,
        "start": T0,
        "end": T1,
        "attendees": ["ada@contoso.example"],
        "status": "completed",
        "location": "Teams",
    },
    "PhoneCall": {
        "id": "P-1",
        "regarding": REF,
        "direction": "inbound",
        "answered": True,
        "started_at": T0,
        "duration_seconds": 60,
        "phone_number": "+1 555 0100",
        "description": "intro",
    },
    "Task": {"id": "T-1", "regarding": REF, "due": T1, "status": "open", "created_at": T0},
    "Note": {
        "id": "N-1",
        "regarding": REF,
        "title": "t",
        "text": "body",
        "author_id": "S-1",
        "created_at": T0,
        "attachments": [{"filename": "a.pdf", "mime_type": "application/pdf", "size_bytes": 3}],
    },
    "Seller": {
        "id": "S-1",
        "name": "Sam",
        "email": "sam@vendor.example",
        "roles": ["seller"],
        "team": "East",
        "title": "AE",
        "phone": "+1 555 0199",
        "is_active": False,
    },
}


_DROP = object()


def _with(model: str, **changes: Any) -> tuple[str, dict[str, Any]]:
    """``FULL[model]`` with ``changes``; a field changed to ``_DROP`` is left out."""
    data = {**FULL[model], **changes}
    return model, {k: v for k, v in data.items() if v is not _DROP}


# (case id, model name, input): each is validated and its outcome compared with the fixture.
AWKWARD: list[tuple[str, tuple[str, dict[str, Any]]]] = [
    ("lead-minimal", ("Lead", {"id": "L-1", "created_at": T0})),
    ("lead-naive-time", ("Lead", {"id": "L-1", "created_at": datetime(2026, 1, 1, 9)})),
    ("lead-paris-time", ("Lead", {"id": "L-1", "created_at": datetime(2026, 1, 1, tzinfo=PARIS)})),
    ("lead-strings-stripped", ("Lead", {"id": "  L-1 ", "first_name": " Ada ", "created_at": T0})),
    ("lead-blank-id", ("Lead", {"id": "   ", "created_at": T0})),
    ("lead-count-negative", _with("Lead", employee_count=-1)),
    ("lead-count-as-text", _with("Lead", employee_count="12")),
    ("lead-count-fractional", _with("Lead", employee_count=1.5)),
    ("lead-revenue-negative", _with("Lead", annual_revenue=-0.01)),
    ("lead-revenue-nan", _with("Lead", annual_revenue=float("nan"))),
    ("lead-revenue-as-text", _with("Lead", annual_revenue="1e3")),
    ("lead-custom-nested", _with("Lead", custom_fields={"x": {"y": 1}})),
    ("lead-custom-list", _with("Lead", custom_fields={"x": [1]})),
    ("lead-custom-none", _with("Lead", custom_fields=None)),
    ("lead-custom-omitted", _with("Lead", custom_fields=_DROP)),
    ("lead-unknown-field", _with("Lead", emial="x@y.example")),
    ("lead-modified-before-created", _with("Lead", modified_at=BEFORE)),
    (
        "lead-modified-and-closed-before-created",
        _with("Lead", modified_at=BEFORE, closed_at=BEFORE),
    ),
    ("lead-open-with-closed-at", _with("Lead", status="open")),
    ("lead-closed-before-created", _with("Lead", closed_at=BEFORE)),
    ("lead-status-upper-case", _with("Lead", status="QUALIFIED")),
    ("lead-modified-null", _with("Lead", modified_at=None, status="open", closed_at=None)),
    ("lead-created-missing", _with("Lead", created_at=_DROP)),
    ("lead-created-bad-and-modified", _with("Lead", created_at="yesterday")),
    ("lead-phone-blank", _with("Lead", phones=[{"number": " "}])),
    ("lead-phone-kind-bad", _with("Lead", phones=[{"number": "1", "kind": "fax"}])),
    ("lead-address-extra", _with("Lead", address={"city": "X", "zip": "1"})),
    ("contact-modified-before-created", _with("Contact", modified_at=BEFORE)),
    ("contact-modified-equal-created", _with("Contact", modified_at=T0)),
    ("contact-custom-omitted", _with("Contact", custom_fields=_DROP)),
    ("contact-custom-bad", _with("Contact", custom_fields={"x": [1]})),
    ("contact-id-missing", _with("Contact", id=_DROP)),
    ("account-own-parent", _with("Account", parent_account_id="A-1")),
    (
        "account-own-parent-and-modified-before-created",
        _with("Account", parent_account_id="A-1", modified_at=BEFORE),
    ),
    ("account-name-blank", _with("Account", name="")),
    ("account-count-negative", _with("Account", employee_count=-3)),
    ("account-revenue-negative", _with("Account", annual_revenue=-3)),
    ("account-custom-omitted", _with("Account", custom_fields=_DROP)),
    ("account-modified-before-created", _with("Account", modified_at=BEFORE)),
    ("opportunity-value-negative", _with("Opportunity", estimated_value=-1)),
    ("opportunity-actual-negative", _with("Opportunity", actual_value=-1)),
    ("opportunity-close-naive", _with("Opportunity", close_date=datetime(2026, 2, 1))),
    ("opportunity-modified-before-created", _with("Opportunity", modified_at=BEFORE)),
    ("opportunity-status-bad", _with("Opportunity", status="pending")),
    ("opportunity-custom-omitted", _with("Opportunity", custom_fields=_DROP)),
    ("email-direction-bad", _with("EmailMessage", direction="sideways")),
    ("email-from-blank", _with("EmailMessage", from_address="")),
    ("email-kind-wrong", _with("EmailMessage", kind="chat")),
    ("appointment-end-before-start", _with("Appointment", end=BEFORE)),
    ("call-duration-negative", _with("PhoneCall", duration_seconds=-1)),
    ("task-created-missing", _with("Task", created_at=_DROP)),
    (
        "note-attachment-size-negative",
        _with("Note", attachments=[{"filename": "a", "size_bytes": -1}]),
    ),
    ("seller-name-missing", _with("Seller", name=_DROP)),
    ("record-ref-kind-bad", ("RecordRef", {"kind": "note", "id": "N-1"})),
    ("activity-by-kind", ("Activity", {**FULL["PhoneCall"], "kind": "phone_call"})),
    ("activity-kind-missing", ("Activity", FULL["Task"])),
    ("activity-kind-unknown", ("Activity", {**FULL["Task"], "kind": "fax"})),
    (
        "context-account-mismatch",
        ("LeadContext", {"lead": FULL["Lead"], "account": {**FULL["Account"], "id": "A-9"}}),
    ),
    (
        "context-contact-mismatch",
        ("LeadContext", {"lead": FULL["Lead"], "contact": {**FULL["Contact"], "id": "C-9"}}),
    ),
    (
        "context-full",
        (
            "LeadContext",
            {
                "lead": FULL["Lead"],
                "account": FULL["Account"],
                "contact": FULL["Contact"],
                "opportunities": [FULL["Opportunity"]],
                "activities": [
                    {**FULL[name], "kind": kind}
                    for name, kind in (
                        ("EmailMessage", "email"),
                        ("ChatMessage", "chat"),
                        ("Appointment", "appointment"),
                        ("PhoneCall", "phone_call"),
                        ("Task", "task"),
                    )
                ],
                "notes": [FULL["Note"]],
                "owner": FULL["Seller"],
            },
        ),
    ),
]


def _validate(model: str, data: dict[str, Any]) -> Any:
    if model == "Activity":
        return ACTIVITY.validate_python(data)
    return MODELS[model].model_validate(data)


def _outcome(model: str, data: dict[str, Any]) -> dict[str, Any]:
    """What validating ``data`` gives: the record as JSON, or the errors (ValidationFailed for the
    models, pydantic's for the bare ``Activity`` union)."""
    try:
        record = _validate(model, data)
    except ValidationFailed as err:
        return {"field": err.field, "message": str(err), "errors": _plain(err.errors)}
    except ValueError as err:  # pydantic's ValidationError from the TypeAdapter
        errors = err.errors(include_url=False, include_context=False)  # type: ignore[attr-defined]
        return {"errors": _plain(errors)}
    if model == "Activity":
        return {"type": type(record).__name__, "json": json.loads(ACTIVITY.dump_json(record))}
    return {"json": json.loads(record.model_dump_json())}


def _plain(errors: list[Any]) -> list[dict[str, Any]]:
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]


def _stable(value: object) -> str:
    """``repr`` without memory addresses (validator functions show one)."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))


def _views(context: LeadContext) -> dict[str, list[str]]:
    return {
        name: [a.id for a in getattr(context, name)]
        for name in ("emails", "appointments", "phone_calls", "chats", "tasks")
    }


def _context_with_ties() -> LeadContext:
    """Activities of every kind, shuffled, some at the same time (the views sort stably)."""
    lead = FULL["Lead"]
    acts: list[dict[str, Any]] = []
    for i, hours in enumerate((5, 1, 3, 1, 0)):
        at = (datetime(2026, 1, 3, tzinfo=UTC) + timedelta(hours=hours)).isoformat()
        acts += [
            {**FULL["EmailMessage"], "kind": "email", "id": f"E-{i}", "sent_at": at},
            {**FULL["ChatMessage"], "kind": "chat", "id": f"CH-{i}", "sent_at": at},
            {**FULL["Appointment"], "kind": "appointment", "id": f"AP-{i}", "start": at},
            {**FULL["PhoneCall"], "kind": "phone_call", "id": f"P-{i}", "started_at": at},
            {**FULL["Task"], "kind": "task", "id": f"T-{i}", "created_at": at},
        ]
    for act in acts:
        if act["kind"] == "appointment":
            act["end"] = "2026-02-01T00:00:00Z"
    return LeadContext.model_validate({"lead": lead, "activities": acts[::-1]})


def current_contract() -> dict[str, Any]:
    """Everything the fixture pins, computed from the models as they are."""
    return {
        "schemas": {name: cls.model_json_schema() for name, cls in sorted(MODELS.items())}
        | {"Activity": ACTIVITY.json_schema()},
        "serialised": {
            name: json.loads(MODELS[name].model_validate(data).model_dump_json())
            for name, data in FULL.items()
        },
        "fields": {
            name: [
                [
                    field,
                    _stable(info.annotation),
                    _stable(info.metadata),
                    _stable(info.default),
                    _stable(info.default_factory),
                    info.is_required(),
                ]
                for field, info in cls.model_fields.items()
            ]
            for name, cls in sorted(MODELS.items())
        },
        "outcomes": {case: _outcome(*spec) for case, spec in AWKWARD},
        "views": _views(_context_with_ties()),
    }


@pytest.fixture(scope="module")
def pinned() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def current() -> dict[str, Any]:
    # Through JSON, as the fixture was written, so tuples and lists compare equal.
    return json.loads(json.dumps(current_contract()))


def test_the_fixture_covers_every_public_model(pinned: dict[str, Any]) -> None:
    assert set(pinned["schemas"]) == {*MODELS, "Activity"}
    assert len(pinned["outcomes"]) == len(AWKWARD)


@pytest.mark.parametrize("name", sorted({*MODELS, "Activity"}))
def test_json_schema_is_unchanged(
    name: str, pinned: dict[str, Any], current: dict[str, Any]
) -> None:
    assert current["schemas"][name] == pinned["schemas"][name]
    # Property order is part of the contract too (it is the order of model_dump and of the docs).
    assert list(current["schemas"][name].get("properties", {})) == list(
        pinned["schemas"][name].get("properties", {})
    )


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fields_keep_their_order_types_and_defaults(
    name: str, pinned: dict[str, Any], current: dict[str, Any]
) -> None:
    assert current["fields"][name] == pinned["fields"][name]


@pytest.mark.parametrize("name", sorted(FULL))
def test_a_full_record_serialises_as_before(
    name: str, pinned: dict[str, Any], current: dict[str, Any]
) -> None:
    assert list(current["serialised"][name]) == list(pinned["serialised"][name])
    assert current["serialised"][name] == pinned["serialised"][name]


@pytest.mark.parametrize("case", [case for case, _ in AWKWARD])
def test_awkward_input_validates_as_before(
    case: str, pinned: dict[str, Any], current: dict[str, Any]
) -> None:
    assert current["outcomes"][case] == pinned["outcomes"][case]


def test_activity_views_sort_as_before(pinned: dict[str, Any], current: dict[str, Any]) -> None:
    assert current["views"] == pinned["views"]


def test_time_order_problems_are_model_level_errors_in_a_fixed_order() -> None:
    # Read by hand, not from the fixture: the checks a record makes of its own times.
    outcome = _outcome(*_with("Lead", modified_at=BEFORE, closed_at=BEFORE))
    assert outcome["field"] is None
    assert [e["msg"] for e in outcome["errors"]] == [
        "Value error, modified_at is earlier than created_at"
    ]
    outcome = _outcome(*_with("Account", parent_account_id="A-1", modified_at=BEFORE))
    assert [e["msg"] for e in outcome["errors"]] == [
        "Value error, modified_at is earlier than created_at"
    ]
    for model in ("Contact", "Opportunity"):
        outcome = _outcome(*_with(model, modified_at=BEFORE))
        assert [(e["loc"], e["type"]) for e in outcome["errors"]] == [([], "value_error")]


def test_custom_fields_default_is_a_fresh_empty_mapping_per_record() -> None:
    a = models.Account(id="A-1", name="X", created_at=T0)  # type: ignore[arg-type]
    b = models.Account(id="A-2", name="Y", created_at=T0)  # type: ignore[arg-type]
    assert a.custom_fields == {} and b.custom_fields == {}
    assert a.custom_fields is not b.custom_fields


if __name__ == "__main__":
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(current_contract(), indent=1) + "\n", encoding="utf-8")
