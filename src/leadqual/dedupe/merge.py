"""Merging duplicate leads: survivorship per field, a reviewable plan, and exact undo.

:func:`plan_merge` decides, field by field, which record's value survives (most recent, most
complete, source priority, the survivor's, or an explicit choice) and says why.
:func:`apply_merge` applies a plan to a :class:`~leadqual.sources.memory.CrmSnapshot`: the
survivor gets the merged values, the other leads are disqualified as duplicates, and their
activities and notes are re-pointed to the survivor. It returns the new snapshot and a
:class:`MergeRecord` holding the before and after image of every record it touched, so
:func:`undo_merge` restores the snapshot exactly, and refuses when a record changed since.

Examples:
    >>> from datetime import datetime, UTC
    >>> from leadqual.sources import load_sample_data
    >>> crm = load_sample_data().crm
    >>> leads = {l.id: l for l in crm.leads}
    >>> plan = plan_merge([leads["L-0218"], leads["L-0248"]])
    >>> plan.survivor_id, plan.merged.first_name
    ('L-0248', 'Robert')
    >>> after, record = apply_merge(crm, plan, at=datetime(2026, 11, 1, tzinfo=UTC))
    >>> undo_merge(after, record) == crm
    True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol, Self, TypeVar

from pydantic import ConfigDict, Field

from leadqual._base import LeadqualModel, UtcDatetime
from leadqual.errors import MergeError, ValidationFailed
from leadqual.models import Activity, Lead, LeadStatus, Note, RecordRef
from leadqual.sources.memory import CrmSnapshot

__all__ = [
    "FieldDecision",
    "MergeJournal",
    "MergePlan",
    "MergeRecord",
    "Strategy",
    "SurvivorshipPolicy",
    "apply_merge",
    "plan_merge",
    "undo_merge",
]

Strategy = Literal["most_recent", "most_complete", "source_priority", "survivor", "explicit"]
"""How a field's surviving value is chosen:

- ``most_recent``: from the most recently modified record that has a value;
- ``most_complete``: the fullest value (longest text, most address parts, largest number set);
- ``source_priority``: from the record whose ``lead_source`` ranks first in the policy;
- ``survivor``: the survivor's own value, when it has one;
- ``explicit``: from the record named in ``SurvivorshipPolicy.explicit``.
"""

# Fields that describe the record rather than the person: never merged from another record.
_KEPT = frozenset({"id", "created_at", "modified_at", "status", "status_reason", "closed_at"})
# Collections are united (every distinct value kept), whatever the strategy.
_UNITED = frozenset({"phones", "other_emails", "custom_fields"})


class SurvivorshipPolicy(LeadqualModel):
    """Survivorship rules: a default strategy, per-field overrides, and their parameters.

    Examples:
        >>> policy = SurvivorshipPolicy(
        ...     default="most_recent",
        ...     fields={"company_name": "most_complete", "lead_source": "source_priority"},
        ...     source_priority=("Web form", "Trade show"),
        ... )
        >>> policy.strategy_for("company_name")
        'most_complete'
    """

    model_config = ConfigDict(frozen=True)

    default: Strategy = "most_recent"
    fields: dict[str, Strategy] = Field(default_factory=dict)
    source_priority: tuple[str, ...] = ()
    """``lead_source`` values, most trusted first, for the ``source_priority`` strategy."""
    explicit: dict[str, str] = Field(default_factory=dict)
    """field -> id of the record whose value must win (the ``explicit`` strategy is implied)."""

    def strategy_for(self, field: str, /) -> Strategy:
        """The strategy that applies to ``field``."""
        if field in self.explicit:
            return "explicit"
        return self.fields.get(field, self.default)


class FieldDecision(LeadqualModel):
    """Which value survives for one field, from which record, and why."""

    model_config = ConfigDict(frozen=True)

    field: str
    value: Any
    from_id: str | None
    """The record the value came from (``None`` when united from several or empty)."""
    strategy: Strategy | Literal["united", "kept"]
    reason: str
    alternatives: tuple[tuple[str, Any], ...] = ()
    """(record id, value) of the other, different values that did not survive."""


class MergePlan(LeadqualModel):
    """A reviewable merge: the survivor, the records merged into it, and every field decision."""

    model_config = ConfigDict(frozen=True)

    survivor_id: str
    merged_ids: tuple[str, ...]
    decisions: tuple[FieldDecision, ...]
    merged: Lead
    """The survivor as it will look after the merge (``modified_at`` set when applied)."""
    planned_from: tuple[Lead, ...] = ()
    """The leads as they were when the plan was made: :func:`apply_merge` refuses the plan
    when any of them changed since, rather than overwrite the change with stale values."""

    def decision(self, field: str, /) -> FieldDecision:
        """The decision for ``field``."""
        for d in self.decisions:
            if d.field == field:
                return d
        raise KeyError(field)


class MergeRecord(LeadqualModel):
    """What a merge changed: before and after images of every touched record, for exact undo."""

    model_config = ConfigDict(frozen=True)

    merge_id: str
    at: UtcDatetime
    plan: MergePlan
    leads_before: tuple[Lead, ...]
    leads_after: tuple[Lead, ...]
    activities_before: tuple[Activity, ...] = ()
    activities_after: tuple[Activity, ...] = ()
    notes_before: tuple[Note, ...] = ()
    notes_after: tuple[Note, ...] = ()


# -- planning -----------------------------------------------------------------------------------


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (tuple, list, dict)):
        return len(value) == 0
    return False


def _completeness(value: Any) -> float:
    if isinstance(value, str):
        return float(len(value.strip()))
    if isinstance(value, LeadqualModel):
        return float(sum(1 for v in value.model_dump().values() if not _empty(v)))
    if isinstance(value, (int, float)):
        return 1.0
    return 1.0 if not _empty(value) else 0.0


def _touched(lead: Lead) -> datetime:
    return lead.modified_at or lead.created_at


def _choose_survivor(leads: Sequence[Lead]) -> Lead:
    # A qualified lead is already linked to an account and contact: keep it. Else the oldest.
    qualified = [x for x in leads if x.status is LeadStatus.QUALIFIED]
    pool = qualified or list(leads)
    return min(pool, key=lambda x: (x.created_at, x.id))


def plan_merge(
    leads: Sequence[Lead],
    /,
    *,
    survivor_id: str | None = None,
    policy: SurvivorshipPolicy | None = None,
) -> MergePlan:
    """Plan the merge of duplicate ``leads`` into one.

    Args:
        leads: two or more leads of one person.
        survivor_id: the lead that survives; default a qualified lead, else the oldest.
        policy: survivorship rules; default: most recent non-empty value per field.

    Raises:
        MergeError: fewer than two distinct leads, an unknown survivor, or an explicit choice
            naming a record that is not merged.
    """
    policy = policy or SurvivorshipPolicy()
    by_id: dict[str, Lead] = {}
    for lead in leads:
        by_id.setdefault(lead.id, lead)
    if len(by_id) < 2:
        raise MergeError("a merge needs at least two different leads")
    if survivor_id is not None and survivor_id not in by_id:
        raise MergeError(f"survivor {survivor_id!r} is not among the leads {sorted(by_id)}")
    for field, rid in policy.explicit.items():
        if rid not in by_id:
            raise MergeError(
                f"policy.explicit[{field!r}] names {rid!r}, which is not among {sorted(by_id)}"
            )
    survivor = by_id[survivor_id] if survivor_id else _choose_survivor(list(by_id.values()))
    others = [x for x in by_id.values() if x.id != survivor.id]
    recent_first = sorted(by_id.values(), key=lambda x: (_touched(x), x.id), reverse=True)

    decisions: list[FieldDecision] = []
    merged: dict[str, Any] = survivor.model_dump()
    for field in Lead.model_fields:
        if field in _KEPT:
            decisions.append(
                FieldDecision(
                    field=field,
                    value=merged[field],
                    from_id=survivor.id,
                    strategy="kept",
                    reason="describes the surviving record itself",
                )
            )
            continue
        if field in _UNITED:
            value, reason = _unite(field, survivor, others)
            merged[field] = value
            decisions.append(
                FieldDecision(
                    field=field, value=value, from_id=None, strategy="united", reason=reason
                )
            )
            continue
        decision = _decide(field, policy, survivor, recent_first)
        merged[field] = decision.value
        decisions.append(decision)
    # The primary email may have changed: keep every other address as a secondary one.
    primary = merged.get("email")
    seconds: list[str] = []
    for lead in [survivor, *others]:
        for addr in lead.all_emails:
            if addr != primary and addr not in seconds:
                seconds.append(addr)
    merged["other_emails"] = tuple(seconds)
    decisions = [
        d
        if d.field != "other_emails"
        else d.model_copy(update={"value": tuple(seconds), "reason": "every other address kept"})
        for d in decisions
    ]
    # The merged lead exists since its oldest record; the decision says so and where from.
    oldest = min(by_id.values(), key=lambda x: (x.created_at, x.id))
    merged["created_at"] = oldest.created_at
    decisions = [
        d
        if d.field != "created_at"
        else d.model_copy(
            update={
                "value": oldest.created_at,
                "from_id": oldest.id,
                "reason": "the oldest record's creation time: the lead existed since then",
            }
        )
        for d in decisions
    ]
    return MergePlan(
        survivor_id=survivor.id,
        merged_ids=tuple(x.id for x in others),
        decisions=tuple(decisions),
        merged=Lead.model_validate(merged),
        planned_from=(survivor, *others),
    )


def _unite(field: str, survivor: Lead, others: Sequence[Lead]) -> tuple[Any, str]:
    if field == "custom_fields":
        united: dict[str, Any] = {}
        for lead in [*reversed(others), survivor]:  # the survivor's values win on conflicts
            united.update({k: v for k, v in lead.custom_fields.items() if v is not None})
        return united, "custom fields of every record; the survivor's win on conflicts"
    if field == "phones":
        seen: dict[str, Any] = {}
        for lead in [survivor, *others]:
            for phone in lead.phones:
                seen.setdefault(_phone_key(phone.number), phone)
        return tuple(seen.values()), "every distinct number kept"
    values: list[Any] = []
    for lead in [survivor, *others]:
        for v in getattr(lead, field):
            if v not in values:
                values.append(v)
    return tuple(values), "every distinct value kept"


def _phone_key(number: str) -> str:
    """One key per line: E.164 plus extension. (The last nine digits, used before, joined
    +49 30 12345678 and +1 301 234 5678 and dropped one of them.)"""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, "US")
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in number if ch.isdigit()) or number
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164};ext={parsed.extension}" if parsed.extension else e164


def _decide(
    field: str, policy: SurvivorshipPolicy, survivor: Lead, recent_first: Sequence[Lead]
) -> FieldDecision:
    strategy = policy.strategy_for(field)
    candidates = [(x.id, getattr(x, field)) for x in recent_first if not _empty(getattr(x, field))]
    chosen: tuple[str, Any] | None = None
    reason = ""
    if strategy == "explicit":
        rid = policy.explicit[field]
        chosen = next(((i, v) for i, v in candidates if i == rid), (rid, None))
        reason = f"explicitly taken from {rid}"
    elif strategy == "survivor":
        chosen = next(((i, v) for i, v in candidates if i == survivor.id), None)
        reason = "the survivor's value"
    elif strategy == "most_complete" and candidates:
        chosen = max(candidates, key=lambda iv: _completeness(iv[1]))
        reason = "the most complete value"
    elif strategy == "source_priority":
        rank = {s.casefold(): n for n, s in enumerate(policy.source_priority)}
        sources = {x.id: (x.lead_source or "").casefold() for x in recent_first}
        ranked = sorted(candidates, key=lambda iv: rank.get(sources[iv[0]], len(rank)))
        if ranked and sources[ranked[0][0]] in rank:
            chosen = ranked[0]
            source = next(x.lead_source for x in recent_first if x.id == chosen[0])
            reason = f"from the most trusted source ({source})"
    if chosen is None and candidates:
        chosen = candidates[0]
        if strategy == "most_recent":
            reason = "the most recently modified value"
        else:
            reason = f"{reason or strategy} gave no value; the most recently modified one"
    if chosen is None:
        return FieldDecision(
            field=field, value=None, from_id=None, strategy=strategy, reason="no record has a value"
        )
    alternatives = tuple((i, v) for i, v in candidates if v != chosen[1])
    return FieldDecision(
        field=field,
        value=chosen[1],
        from_id=chosen[0],
        strategy=strategy,
        reason=reason,
        alternatives=alternatives,
    )


# -- applying and undoing -------------------------------------------------------------------------


def _merge_id(plan: MergePlan, at: datetime) -> str:
    digest = hashlib.sha256(
        f"{plan.survivor_id}|{','.join(plan.merged_ids)}|{at.isoformat()}".encode()
    ).hexdigest()
    return f"M-{digest[:12]}"


def apply_merge(
    snapshot: CrmSnapshot, plan: MergePlan, /, *, at: datetime
) -> tuple[CrmSnapshot, MergeRecord]:
    """Apply ``plan`` to ``snapshot``; return the new snapshot and the record to undo it.

    The survivor takes the merged values; each merged lead is disqualified with the reason
    "duplicate of <survivor>"; activities and notes regarding a merged lead now regard the
    survivor. ``snapshot`` itself is not changed.

    Raises:
        MergeError: a lead of the plan is not in the snapshot, is already closed as a
            duplicate, or changed since the plan was made (plan again).
        ValidationFailed: ``at`` is not a datetime with a time zone.
    """
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise ValidationFailed(f"at must be a datetime with a time zone, got {at!r}", field="at")
    leads = {x.id: x for x in snapshot.leads}
    for rid in (plan.survivor_id, *plan.merged_ids):
        if rid not in leads:
            raise MergeError(f"lead {rid!r} of the merge plan is not in the CRM")
    # The survivor too: merging into a lead already closed as someone's duplicate would hide
    # the records under a closed lead.
    for rid in (plan.survivor_id, *plan.merged_ids):
        if (leads[rid].status_reason or "").startswith("duplicate of "):
            raise MergeError(f"lead {rid!r} was already merged ({leads[rid].status_reason})")
    for planned in plan.planned_from:
        if leads.get(planned.id) != planned:
            raise MergeError(
                f"lead {planned.id!r} changed since the merge was planned; plan it again so "
                "the change is not overwritten"
            )
    merged_set = set(plan.merged_ids)
    before = [leads[plan.survivor_id], *(leads[r] for r in plan.merged_ids)]
    survivor_after = plan.merged.replace(modified_at=max(at, plan.merged.created_at))
    after: dict[str, Lead] = {plan.survivor_id: survivor_after}
    for rid in plan.merged_ids:
        old = leads[rid]
        when = max(at, old.created_at)
        after[rid] = old.replace(
            status=LeadStatus.DISQUALIFIED,
            status_reason=f"duplicate of {plan.survivor_id}",
            closed_at=when,
            modified_at=when,
        )
    target = RecordRef(kind="lead", id=plan.survivor_id)
    acts_before, acts_after, new_acts = _repoint(snapshot.activities, merged_set, target)
    notes_before, notes_after, new_notes = _repoint(snapshot.notes, merged_set, target)
    new_snapshot = snapshot.model_copy(
        update={
            "leads": tuple(after.get(x.id, x) for x in snapshot.leads),
            "activities": tuple(new_acts),
            "notes": tuple(new_notes),
        }
    )
    record = MergeRecord(
        merge_id=_merge_id(plan, at),
        at=at,
        plan=plan,
        leads_before=tuple(before),
        leads_after=tuple(after[x.id] for x in before),
        activities_before=tuple(acts_before),
        activities_after=tuple(acts_after),
        notes_before=tuple(notes_before),
        notes_after=tuple(notes_after),
    )
    return new_snapshot, record


class _Regarding(Protocol):
    @property
    def regarding(self) -> RecordRef: ...

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> Self: ...


_R = TypeVar("_R", bound=_Regarding)


def _repoint(
    records: Iterable[_R], merged: set[str], target: RecordRef
) -> tuple[list[_R], list[_R], list[_R]]:
    """Point the records regarding a merged lead at ``target``: returns those records as they
    were, as they are now, and every record (the moved ones in place)."""
    before: list[_R] = []
    after: list[_R] = []
    everything: list[_R] = []
    for rec in records:
        if rec.regarding.kind == "lead" and rec.regarding.id in merged:
            moved = rec.model_copy(update={"regarding": target})
            before.append(rec)
            after.append(moved)
            everything.append(moved)
        else:
            everything.append(rec)
    return before, after, everything


def _restore(
    current: Iterable[Any], after: Sequence[Any], before: Sequence[Any], kind: str
) -> tuple[Any, ...]:
    expected = {x.id: x for x in after}
    restore = {x.id: x for x in before}
    out = []
    seen: set[str] = set()
    for rec in current:
        if rec.id in expected:
            if rec != expected[rec.id]:
                raise MergeError(
                    f"{kind} {rec.id!r} changed after the merge; undo later changes first"
                )
            seen.add(rec.id)
            out.append(restore[rec.id])
        else:
            out.append(rec)
    missing = set(expected) - seen
    if missing:
        raise MergeError(f"{kind} record(s) {sorted(missing)} of the merge are gone")
    return tuple(out)


def undo_merge(snapshot: CrmSnapshot, record: MergeRecord, /) -> CrmSnapshot:
    """Undo a merge exactly: every record it touched gets its before image back.

    Raises:
        MergeError: a touched record changed after the merge (undo the later change first) or
            was deleted.
    """
    return snapshot.model_copy(
        update={
            "leads": _restore(snapshot.leads, record.leads_after, record.leads_before, "lead"),
            "activities": _restore(
                snapshot.activities, record.activities_after, record.activities_before, "activity"
            ),
            "notes": _restore(snapshot.notes, record.notes_after, record.notes_before, "note"),
        }
    )


class MergeJournal:
    """Every merge applied, in order, so any of them can be undone.

    Examples:
        >>> from datetime import datetime, UTC
        >>> from leadqual.sources import load_sample_data
        >>> crm = load_sample_data().crm
        >>> leads = {l.id: l for l in crm.leads}
        >>> journal = MergeJournal()
        >>> crm2 = journal.merge(crm, plan_merge([leads["L-0001"], leads["L-0251"]]),
        ...                      at=datetime(2026, 11, 1, tzinfo=UTC))
        >>> journal.undo(crm2, journal.records[-1].merge_id) == crm
        True
    """

    def __init__(self, records: Iterable[MergeRecord] = ()) -> None:
        self.records: list[MergeRecord] = list(records)

    def merge(self, snapshot: CrmSnapshot, plan: MergePlan, /, *, at: datetime) -> CrmSnapshot:
        """Apply ``plan`` and record it."""
        new, record = apply_merge(snapshot, plan, at=at)
        self.records.append(record)
        return new

    def undo(self, snapshot: CrmSnapshot, merge_id: str, /) -> CrmSnapshot:
        """Undo the merge ``merge_id`` and forget it.

        Raises:
            MergeError: no such merge, or a later change touched the same records.
        """
        for i, record in enumerate(self.records):
            if record.merge_id == merge_id:
                restored = undo_merge(snapshot, record)
                del self.records[i]
                return restored
        raise MergeError(f"no merge {merge_id!r} in the journal")

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Any:
        return iter(self.records)
