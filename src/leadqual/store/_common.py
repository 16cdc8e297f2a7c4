"""What every insight store shares: argument checks, decoding, and the round-robin rule.

Both stores call these, so a rule (which member is next, what a conflict says) has one home and
the memory and SQL stores cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from leadqual._base import LeadqualModel, to_utc
from leadqual.errors import StoreConflict, StoreCorrupt, ValidationFailed
from leadqual.insight import AuditRecord, InsightSummary, LeadInsight

__all__ = [
    "REVIEW_STATUSES",
    "SCHEMA_VERSION",
    "Encoded",
    "decode_audit",
    "encode_insight",
    "check_batch",
    "check_limit",
    "check_members",
    "check_save",
    "check_status",
    "conflict",
    "decode",
    "encode",
    "next_member",
    "utc",
]

SCHEMA_VERSION = 2
"""The newest schema this leadqual reads and writes; a store is migrated up to it on open."""

REVIEW_STATUSES = ("open", "confirmed", "reassigned")

M = TypeVar("M", bound=LeadqualModel)


def check_save(insight: LeadInsight, audit: AuditRecord | None) -> None:
    """Refuse what ``save`` cannot store consistently: the audit must be of this very insight."""
    if not isinstance(insight, LeadInsight):
        raise ValidationFailed(
            f"save() needs a LeadInsight, got {type(insight).__name__}", field="insight"
        )
    if audit is None:
        return
    if not isinstance(audit, AuditRecord):
        raise ValidationFailed(
            f"save() needs an AuditRecord (or None), got {type(audit).__name__}", field="audit"
        )
    if (audit.lead_id, audit.insight_version) != (insight.lead_id, insight.version):
        raise ValidationFailed(
            f"the audit record is of lead {audit.lead_id!r} version {audit.insight_version}, "
            f"the insight of lead {insight.lead_id!r} version {insight.version}: save each "
            "insight with its own audit record",
            field="audit",
        )


def check_ids(lead_ids: object) -> list[str]:
    """Lead ids given as a collection of strings (not one bare string), each once, in order."""
    if isinstance(lead_ids, (str, bytes)) or not isinstance(lead_ids, Iterable):
        raise ValidationFailed(
            f"lead ids must be a collection of strings, got {type(lead_ids).__name__}",
            field="lead_ids",
        )
    given = list(lead_ids)
    for item in given:
        if not isinstance(item, str):
            raise ValidationFailed(f"lead ids must be strings, got {item!r:.60}", field="lead_ids")
    return list(dict.fromkeys(given))


@dataclass(frozen=True)
class Encoded:
    """An insight and its audit record as a store writes them, serialised before anything is
    written (a record that cannot be serialised changes nothing)."""

    insight: LeadInsight
    body: str
    """The insight's JSON document."""
    summary: str
    """Its :class:`~leadqual.insight.InsightSummary` as JSON."""
    audit: AuditRecord | None
    audit_body: str | None
    """The audit record's JSON document; without its research when ``research_shared``."""
    research_shared: bool
    """The audit record's research is the insight's, stored once, in the insight."""


def encode_insight(insight: LeadInsight, audit: AuditRecord | None) -> Encoded:
    """Check an insight and its audit record as ``save`` does, and serialise both.

    The research of an audit record is as a rule the very research of its insight (some 5 KB):
    it is then written once, with the insight, and :func:`decode_audit` puts it back.
    """
    check_save(insight, audit)
    body = encode(insight, "insight")
    summary = encode(InsightSummary.of(insight), "insight")
    if audit is None:
        return Encoded(insight, body, summary, None, None, False)
    research = audit.research
    shared = research is not None and (research is insight.research or research == insight.research)
    if shared:
        try:
            audit_body = audit.model_dump_json(exclude={"research"})
        except ValueError as err:
            raise ValidationFailed(
                f"the audit cannot be stored as JSON: {err}", field="audit"
            ) from err
    else:
        audit_body = encode(audit, "audit")
    return Encoded(insight, body, summary, audit, audit_body, shared)


def decode_audit(text: str, research_shared: bool, insight: str | None, what: str) -> AuditRecord:
    """Read a stored audit record; one whose research is shared takes it from ``insight``, the
    JSON document of the insight it records."""
    if research_shared:
        try:
            if insight is None:
                raise ValueError("the insight it refers to is missing")
            found = json.loads(insight)
            if not isinstance(found, dict):
                raise ValueError("the insight is not a JSON object")
            research = json.dumps(
                found.get("research"), ensure_ascii=False, separators=(",", ":"), allow_nan=False
            )
            head = text.rstrip()
            if not head.endswith("}"):
                raise ValueError("the record is not a JSON object")
            inner = head[:-1].rstrip()
            comma = "" if inner.endswith("{") else ","
            text = f'{inner}{comma}"research":{research}}}'
        except ValueError as err:
            raise StoreCorrupt(
                f"stored {what} cannot take its research from its insight ({err}); the store "
                "was changed outside leadqual: restore it from a backup"
            ) from err
    return decode(AuditRecord, text, what)


def check_save_many(items: object) -> list[Encoded]:
    """Check every item as ``save`` would, refuse two items of one lead, and serialise them
    all before anything is written."""
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise ValidationFailed(
            "save_many() needs a sequence of (insight, audit record or None) pairs", field="items"
        )
    rows: list[Encoded] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, tuple) or len(item) != 2:
            raise ValidationFailed(
                f"save_many() needs (insight, audit record or None) pairs, got {item!r:.80}",
                field="items",
            )
        insight, audit = item
        encoded = encode_insight(insight, audit)
        if insight.lead_id in seen:
            raise ValidationFailed(
                f"two insights of lead {insight.lead_id!r} in one save_many(): save them apart",
                field="items",
            )
        seen.add(insight.lead_id)
        rows.append(encoded)
    return rows


def conflict(lead_id: str, version: int, stored: int | None) -> StoreConflict:
    """The error for a version that is not newer than what is stored (``stored``, if known)."""
    have = f"version {stored}" if stored is not None else f"a version {version}"
    return StoreConflict(
        f"lead {lead_id!r} already has {have} stored, so version {version} cannot be saved: "
        "another process refreshed the lead meanwhile; read latest() and refresh from it"
    )


def encode(record: LeadqualModel, what: str) -> str:
    """A record's JSON document; a record that cannot be written is bad input, refused up front."""
    try:
        return record.model_dump_json()
    except ValueError as err:  # pydantic's serialisation error, for a record built unvalidated
        raise ValidationFailed(f"the {what} cannot be stored as JSON: {err}", field=what) from err


def decode(model: type[M], text: str, what: str) -> M:
    """Read a stored JSON document; a document that no longer validates means a damaged store."""
    try:
        return model.model_validate_json(text)
    except ValueError as err:
        raise StoreCorrupt(
            f"stored {what} does not read as a {model.__name__} ({err}); the store was changed "
            "outside leadqual or by an incompatible version: restore it from a backup"
        ) from err


def utc(value: datetime, field: str) -> datetime:
    """``value`` in UTC (naive read as UTC); anything but a datetime is refused."""
    return to_utc(value, field)


def check_limit(limit: int | None) -> int | None:
    """A row limit: ``None`` (no limit) or a non-negative int."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValidationFailed(f"limit must be None or an int >= 0, got {limit!r}", field="limit")
    return limit


def check_status(status: str | None) -> str | None:
    """A review status filter: one of :data:`REVIEW_STATUSES`, or ``None`` for all."""
    if status is not None and status not in REVIEW_STATUSES:
        raise ValidationFailed(
            f"status must be one of {', '.join(REVIEW_STATUSES)} or None, got {status!r}",
            field="status",
        )
    return status


def _ids(values: Sequence[str], field: str) -> tuple[str, ...]:
    # A bare string is a sequence of characters: refusing it catches start_batch("b", "L-1").
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise ValidationFailed(f"{field} must be a sequence of id strings", field=field)
    return tuple(dict.fromkeys(values))


def check_batch(lead_ids: Sequence[str]) -> tuple[str, ...]:
    """A batch's lead ids in order, each once."""
    return _ids(lead_ids, "lead_ids")


def check_members(members: Sequence[str]) -> tuple[str, ...]:
    """A team's members in order, each once; at least one."""
    found = _ids(members, "members")
    if not found:
        raise ValidationFailed("a round-robin needs at least one member", field="members")
    return found


def next_member(members: tuple[str, ...], last: str | None, previous: tuple[str, ...]) -> str:
    """Whose turn it is, given the member served last and the team as it was then.

    The member after ``last`` in ``members`` is next. When ``last`` has left the team, the turn
    goes to the first member who followed ``last`` in the previous order and is still in the
    team, so nobody is skipped or served twice because someone left.
    """
    if last in members:
        return members[(members.index(last) + 1) % len(members)]
    if last is not None and last in previous:
        at = previous.index(last)
        for member in (*previous[at + 1 :], *previous[:at]):
            if member in members:
                return member
    return members[0]
