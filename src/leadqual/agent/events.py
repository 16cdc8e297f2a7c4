"""CRM events the agent reacts to, how bursts of them coalesce, and what each change re-runs.

An event only says *which* lead may have changed. The agent reads the lead's current state from
the CRM and compares it with the snapshot its last insight was concluded from, so events that
arrive twice, late or out of order lead to the same result as one event in order.

Examples:
    >>> from datetime import datetime, UTC
    >>> at = datetime(2026, 1, 5, tzinfo=UTC)
    >>> batch = coalesce([LeadUpdated(lead_id="L-1", occurred_at=at),
    ...                   LeadUpdated(lead_id="L-1", occurred_at=at),
    ...                   LeadCreated(lead_id="L-2", occurred_at=at)])
    >>> [(e.lead_id, e.type) for e in batch]
    [('L-1', 'lead_updated'), ('L-2', 'lead_created')]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError

from leadqual._base import FrozenModel, UtcDatetime, as_validation_failed
from leadqual.errors import ValidationFailed
from leadqual.insight import STAGES, Stage
from leadqual.models import LeadContext

__all__ = [
    "AccountLinked",
    "AccountUpdated",
    "CompanyNameUpdated",
    "ContactLinked",
    "ContactUpdated",
    "CrmEvent",
    "LeadCreated",
    "LeadDeleted",
    "LeadUpdated",
    "changed_inputs",
    "coalesce",
    "parse_event",
    "stages_to_run",
]


class _LeadEvent(FrozenModel):
    lead_id: Annotated[str, Field(min_length=1)]
    occurred_at: UtcDatetime


class LeadCreated(_LeadEvent):
    """A lead was created."""

    type: Literal["lead_created"] = "lead_created"


class LeadUpdated(_LeadEvent):
    """A lead's fields changed; ``fields`` names them when the CRM says (informational: the
    agent works out what changed from the lead itself)."""

    type: Literal["lead_updated"] = "lead_updated"
    fields: tuple[str, ...] = ()


class CompanyNameUpdated(_LeadEvent):
    """The lead's company name changed."""

    type: Literal["company_name_updated"] = "company_name_updated"


class LeadDeleted(_LeadEvent):
    """The lead was deleted from the CRM: what the agent stored about it is erased."""

    type: Literal["lead_deleted"] = "lead_deleted"


class AccountLinked(_LeadEvent):
    """An account was linked to the lead."""

    type: Literal["account_linked"] = "account_linked"
    account_id: str | None = None


class ContactLinked(_LeadEvent):
    """A contact was linked to the lead."""

    type: Literal["contact_linked"] = "contact_linked"
    contact_id: str | None = None


class AccountUpdated(FrozenModel):
    """An account changed: every lead linked to it is looked at again."""

    type: Literal["account_updated"] = "account_updated"
    account_id: Annotated[str, Field(min_length=1)]
    occurred_at: UtcDatetime


class ContactUpdated(FrozenModel):
    """A contact changed: every lead linked to it is looked at again."""

    type: Literal["contact_updated"] = "contact_updated"
    contact_id: Annotated[str, Field(min_length=1)]
    occurred_at: UtcDatetime


CrmEvent = Annotated[
    LeadCreated
    | LeadUpdated
    | CompanyNameUpdated
    | LeadDeleted
    | AccountLinked
    | ContactLinked
    | AccountUpdated
    | ContactUpdated,
    Field(discriminator="type"),
]
"""Any event the agent handles, told apart by ``type`` (so a JSON webhook body parses into one)."""

_ADAPTER: TypeAdapter[CrmEvent] = TypeAdapter(CrmEvent)


def parse_event(data: Mapping[str, Any] | str | bytes, /) -> CrmEvent:
    """Read an event from a mapping or JSON text (a webhook body).

    JSON text must name each key once per object: a body such as
    ``{"type": "lead_deleted", "type": "lead_created", ...}`` means different events to parsers
    that keep the first value and to those that keep the last, so it is refused rather than read
    either way.

    Raises:
        ValidationFailed: not a known event, a field is missing or malformed, or JSON text
            repeats a key.
    """
    try:
        if isinstance(data, str | bytes):
            event = _ADAPTER.validate_json(data)
            _refuse_repeated_keys(data)
            return event
        return _ADAPTER.validate_python(data)
    except ValidationError as err:
        raise as_validation_failed(err, "CRM event") from None


class _RepeatedKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _RepeatedKey(key)
        out[key] = value
    return out


def _refuse_repeated_keys(text: str | bytes) -> None:
    """Raise when JSON text (already read as an event, so valid and shallow) repeats a key."""
    try:
        json.loads(text, object_pairs_hook=_unique_pairs)
    except _RepeatedKey as dup:
        raise ValidationFailed(
            f"invalid CRM event: the key {dup.key!r} appears twice in one object; a webhook body "
            "names each key once",
            field=dup.key,
        ) from None
    except (ValueError, RecursionError) as err:  # read as an event already: not expected
        raise ValidationFailed(f"invalid CRM event: {err}") from None


def _key(event: CrmEvent) -> tuple[str, str]:
    if isinstance(event, AccountUpdated):
        return ("account", event.account_id)
    if isinstance(event, ContactUpdated):
        return ("contact", event.contact_id)
    return ("lead", event.lead_id)


def coalesce(events: Iterable[CrmEvent], /) -> list[CrmEvent]:
    """One event per record from a burst, in order of each record's first event.

    A deletion wins over anything else about the lead (whatever came before or after it: the
    CRM is read when the event is handled, and a deleted lead is gone); otherwise the latest
    event stands for the rest, since handling reads the record's current state anyway.
    """
    kept: dict[tuple[str, str], CrmEvent] = {}
    for event in events:
        key = _key(event)
        before = kept.get(key)
        if isinstance(before, LeadDeleted):
            continue
        if (
            before is None
            or isinstance(event, LeadDeleted)
            or event.occurred_at >= before.occurred_at
        ):
            kept[key] = event
    return list(kept.values())


# -- what a change re-runs -----------------------------------------------------------------------

_EMAIL_FIELDS = frozenset({"email", "other_emails", "website", "company_name"})
_RESEARCH_FIELDS = frozenset({"company_name", "website", "account_id", "contact_id", "owner_id"})
_DUPLICATE_FIELDS = frozenset(
    {"first_name", "last_name", "email", "other_emails", "company_name", "phones", "website"}
)

_DOWNSTREAM: dict[Stage, tuple[Stage, ...]] = {
    "email": ("action", "draft"),
    "research": ("action", "draft"),
    "icp": ("rating", "action", "draft"),
    "handraiser": ("rating",),
    "rating": (),
    "score": (),
    "duplicates": (),
    "action": ("draft",),
    "draft": (),
}


def changed_inputs(before: LeadContext, after: LeadContext, /) -> frozenset[str]:
    """What differs between two snapshots of a lead: lead field names, plus ``account``,
    ``contact``, ``activities``, ``notes``, ``opportunities`` and ``owner`` for related records."""
    lead_before = before.lead.model_dump()
    lead_after = after.lead.model_dump()
    changed = {k for k in lead_after if lead_before.get(k) != lead_after.get(k)}
    changed.discard("modified_at")  # a touch without a change re-runs nothing
    for name in ("account", "contact", "owner"):
        if getattr(before, name) != getattr(after, name):
            changed.add(name)
    for name in ("activities", "notes", "opportunities"):
        if getattr(before, name) != getattr(after, name):
            changed.add(name)
    return frozenset(changed)


def stages_to_run(changed: Iterable[str], /) -> frozenset[Stage]:
    """The stages a change touches, with everything downstream of them.

    Email and research (the stages that call out) re-run only when their own inputs changed;
    the stages computed from the CRM record re-run on any change.
    """
    fields = frozenset(changed)
    if not fields:
        return frozenset()
    direct: set[Stage] = {"icp", "handraiser", "score", "action"}
    if fields & _EMAIL_FIELDS:
        direct.add("email")
    if fields & _RESEARCH_FIELDS or "account" in fields:
        direct.add("research")
    if fields & _DUPLICATE_FIELDS:
        direct.add("duplicates")
    todo = set(direct)
    frontier = list(direct)
    while frontier:
        for nxt in _DOWNSTREAM[frontier.pop()]:
            if nxt not in todo:
                todo.add(nxt)
                frontier.append(nxt)
    return frozenset(s for s in STAGES if s in todo)
