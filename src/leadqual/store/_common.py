"""What every insight store shares: argument checks, decoding, and the round-robin rule.

Both stores call these, so a rule (which member is next, what a conflict says) has one home and
the memory and SQL stores cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from leadqual._base import LeadqualModel, to_utc
from leadqual.errors import StoreConflict, StoreCorrupt, ValidationFailed
from leadqual.insight import AuditRecord, LeadInsight

__all__ = [
    "REVIEW_STATUSES",
    "SCHEMA_VERSION",
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

SCHEMA_VERSION = 1
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


def check_save_many(
    items: object,
) -> list[tuple[LeadInsight, str, str | None]]:
    """Check every item as ``save`` would, refuse two items of one lead, and serialise them
    all before anything is written: ``(insight, its JSON, its audit's JSON or None)``."""
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
        raise ValidationFailed(
            "save_many() needs a sequence of (insight, audit record or None) pairs", field="items"
        )
    rows: list[tuple[LeadInsight, str, str | None]] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, tuple) or len(item) != 2:
            raise ValidationFailed(
                f"save_many() needs (insight, audit record or None) pairs, got {item!r:.80}",
                field="items",
            )
        insight, audit = item
        check_save(insight, audit)
        if insight.lead_id in seen:
            raise ValidationFailed(
                f"two insights of lead {insight.lead_id!r} in one save_many(): save them apart",
                field="items",
            )
        seen.add(insight.lead_id)
        rows.append(
            (insight, encode(insight, "insight"), encode(audit, "audit") if audit else None)
        )
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
