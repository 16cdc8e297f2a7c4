"""Leads built without per-row pydantic validation, for the rows whose columns prove what the
model's validators would.

The tabular reader hands over its columns already read (text stripped with control characters
removed, numbers as ``int``/``float``, dates as aware UTC ``datetime``, statuses as
:class:`~leadqual.models.LeadStatus`, phone numbers as text). :func:`fast_leads` checks, column
by column, every rule :class:`~leadqual.models.Lead` and its parts apply:

* text is ``str`` and already stripped (the model strips whitespace); the id is not empty;
* ``employee_count`` is an ``int`` >= 0, ``annual_revenue`` a ``float`` >= 0 (NaN fails it);
* each time is a ``datetime`` whose zone is ``datetime.UTC`` (what ``UtcDatetime`` leaves it);
* ``modified_at`` and ``closed_at`` are not before ``created_at``, and an open lead has no
  ``closed_at`` (the model validators);
* a phone number is non-empty stripped text of a known kind; ``other_emails`` a tuple of
  stripped texts; custom fields text.

A row that passes every check is built directly (what ``model_construct`` does: the same field
values, defaults and set fields as ``Lead.model_validate`` of the same data gives). Any other row
is left to the caller, which validates it with the model and reports what the model says, so a
row the model would refuse is reported exactly as before. A mapping with a target this module
does not know (anything but the fields above) is not built here at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from leadqual.models import Address, Lead, LeadStatus, Phone

__all__ = ["fast_leads", "fast_targets"]

_TEXT = frozenset(
    {
        "first_name",
        "last_name",
        "job_title",
        "email",
        "company_name",
        "website",
        "industry",
        "lead_source",
        "campaign",
        "topic",
        "need",
        "description",
        "line_of_business",
        "status_reason",
        "owner_id",
        "account_id",
        "contact_id",
    }
)
_DATES = frozenset({"created_at", "modified_at", "closed_at"})
_ADDRESS = frozenset(Address.model_fields)
_PHONE_KINDS = frozenset({"business", "mobile", "home", "other"})
_OBJECT_SETATTR = object.__setattr__


def fast_targets(targets: Sequence[str]) -> bool:
    """Whether every target is one :func:`fast_leads` checks (else the reader validates every
    row with the model)."""
    for target in targets:
        head, _, tail = target.partition(".")
        if target in _TEXT or target in _DATES:
            continue
        if target in ("status", "employee_count", "annual_revenue", "other_emails"):
            continue
        if head == "address" and tail in _ADDRESS:
            continue
        if head == "phones" and tail in _PHONE_KINDS:
            continue
        if head == "custom_fields" and tail:
            continue
        return False
    return True


def _stripped(values: Sequence[Any], ok: list[bool]) -> None:
    for i, v in enumerate(values):
        if v is not None and (type(v) is not str or v != v.strip()):
            ok[i] = False


def _checked(values_of: Mapping[str, Sequence[Any]], ids: Sequence[str], ok: list[bool]) -> None:
    """Clear ``ok`` for every row some value of which the checks cannot vouch for."""
    for i, v in enumerate(ids):
        if type(v) is not str or not v or v != v.strip():
            ok[i] = False
    for target, values in values_of.items():
        head = target.partition(".")[0]
        if target in _TEXT or head in ("address", "custom_fields"):
            _stripped(values, ok)
        elif head == "phones":
            for i, v in enumerate(values):
                if v is not None and (type(v) is not str or not v or v != v.strip()):
                    ok[i] = False
        elif target in _DATES:
            for i, v in enumerate(values):
                if v is not None and (type(v) is not datetime or v.tzinfo is not UTC):
                    ok[i] = False
        elif target == "employee_count":
            for i, v in enumerate(values):
                if v is not None and (type(v) is not int or v < 0):
                    ok[i] = False
        elif target == "annual_revenue":
            for i, v in enumerate(values):
                if v is not None and (type(v) is not float or not v >= 0):
                    ok[i] = False
        elif target == "status":
            for i, v in enumerate(values):
                if v is not None and type(v) is not LeadStatus:
                    ok[i] = False
        elif target == "other_emails":
            for i, v in enumerate(values):
                if v is not None and (
                    type(v) is not tuple or not all(type(p) is str and p == p.strip() for p in v)
                ):
                    ok[i] = False
    created = values_of.get("created_at")
    modified = values_of.get("modified_at")
    closed = values_of.get("closed_at")
    status = values_of.get("status")
    for i in range(len(ok)):
        if not ok[i]:
            continue
        start = created[i] if created is not None else None
        if start is None:
            ok[i] = False  # the model requires it; the reader stamps rows without one
            continue
        if modified is not None and modified[i] is not None and modified[i] < start:
            ok[i] = False
        if closed is not None and closed[i] is not None:
            open_lead = status is None or status[i] in (None, LeadStatus.OPEN)
            if open_lead or closed[i] < start:
                ok[i] = False


def _build(cls: type[Any], values: dict[str, Any], fields_set: set[str]) -> Any:
    record = object.__new__(cls)
    _OBJECT_SETATTR(record, "__dict__", values)
    _OBJECT_SETATTR(record, "__pydantic_fields_set__", fields_set)
    _OBJECT_SETATTR(record, "__pydantic_extra__", None)
    _OBJECT_SETATTR(record, "__pydantic_private__", None)
    return record


def _defaults(cls: type[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        out[name] = None if field.is_required() else field.get_default(call_default_factory=True)
    return out


def fast_leads(
    values_of: Mapping[str, Sequence[Any]], ids: Sequence[str], todo: Sequence[int]
) -> tuple[dict[int, Lead], list[int]]:
    """Build the leads of rows ``todo`` whose values pass the checks.

    Args:
        values_of: target -> the value of each row (``None`` when empty), as the reader holds
            them; every target must satisfy :func:`fast_targets`.
        ids: each row's id.
        todo: the rows to build (not blank, not skipped).

    Returns:
        The leads built, by row, and the rows of ``todo`` left for the model to validate.
    """
    n = len(ids)
    ok = [True] * n
    _checked(values_of, ids, ok)
    top: list[tuple[str, Sequence[Any]]] = []
    address: list[tuple[str, Sequence[Any]]] = []
    phones: list[tuple[str, Sequence[Any]]] = []
    custom: list[tuple[str, Sequence[Any]]] = []
    for target, values in values_of.items():
        head, _, tail = target.partition(".")
        if head == "address":
            address.append((tail, values))
        elif head == "phones":
            phones.append((tail, values))
        elif head == "custom_fields":
            custom.append((tail, values))
        else:
            top.append((target, values))
    defaults = _defaults(Lead)
    address_defaults = _defaults(Address)
    built: dict[int, Lead] = {}
    slow: list[int] = []
    for i in todo:
        if not ok[i]:
            slow.append(i)
            continue
        present = {name: values[i] for name, values in top if values[i] is not None}
        present["id"] = ids[i]
        data = {**defaults, **present}
        fields_set = set(present)
        if address:
            parts = {name: values[i] for name, values in address if values[i] is not None}
            if parts:
                data["address"] = _build(Address, {**address_defaults, **parts}, set(parts))
                fields_set.add("address")
        if phones:
            numbers = tuple(
                _build(Phone, {"number": values[i], "kind": kind}, {"number", "kind"})
                for kind, values in phones
                if values[i] is not None
            )
            if numbers:
                data["phones"] = numbers
                fields_set.add("phones")
        if custom:
            fields = {name: values[i] for name, values in custom if values[i] is not None}
            if fields:
                data["custom_fields"] = fields
                fields_set.add("custom_fields")
        else:
            data["custom_fields"] = {}
        if "custom_fields" not in fields_set:
            data["custom_fields"] = {}
        built[i] = _build(Lead, data, fields_set)
    return built, slow
