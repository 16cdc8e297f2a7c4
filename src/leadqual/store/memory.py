"""An insight store in memory, for tests, notebooks and one-off runs."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Collection, Sequence
from datetime import datetime
from types import TracebackType
from typing import Self

from leadqual.errors import StoreError
from leadqual.insight import (
    AuditRecord,
    ConsentRecord,
    Feedback,
    InsightSummary,
    LeadInsight,
    ReviewItem,
)
from leadqual.store._common import (
    SCHEMA_VERSION,
    Encoded,
    check_batch,
    check_ids,
    check_limit,
    check_members,
    check_save_many,
    check_status,
    conflict,
    decode,
    decode_audit,
    encode,
    encode_insight,
    next_member,
    utc,
)

__all__ = ["MemoryInsightStore"]


class MemoryInsightStore:
    """An :class:`~leadqual.store.InsightStore` held in this process's memory; gone when it ends.

    Records are kept as their JSON documents, exactly as the SQL store keeps them, so what reads
    back is a fresh copy and behaves the same in both stores. Safe to share between threads.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from leadqual.insight import LeadInsight, SellerCard
        >>> store = MemoryInsightStore()
        >>> card = SellerCard(name="Ada", next_action="Call", reason="Asked", call_to_action="Call")
        >>> at = datetime(2025, 3, 1, tzinfo=UTC)
        >>> store.save(LeadInsight(lead_id="L-1", refreshed_at=at, card=card))
        >>> store.latest("L-1").version
        1
    """

    schema_version: int = SCHEMA_VERSION
    """The version of the stored schema this store reads and writes."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._closed = False
        self._order = itertools.count()
        # lead -> [(version, owner_id, refreshed_at, json, summary json)], ascending version
        self._insights: dict[str, list[tuple[int, str | None, datetime, str, str]]] = {}
        # lead -> [(insight version, order, json, research shared with the insight)]
        self._audit: dict[str, list[tuple[int, int, str, bool]]] = {}
        self._consent: dict[str, list[tuple[datetime, int, str]]] = {}
        self._feedback: list[tuple[datetime, int, str, str]] = []
        self._reviews: dict[str, tuple[datetime, str, str]] = {}
        self._batches: dict[str, dict[str, bool]] = {}
        self._turns: dict[str, tuple[str | None, tuple[str, ...]]] = {}

    def __repr__(self) -> str:
        return f"MemoryInsightStore(leads={len(self._insights)})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _open(self) -> None:
        if self._closed:
            raise StoreError("the insight store is closed")

    # -- insights ----------------------------------------------------------------------------

    def save(self, insight: LeadInsight, audit: AuditRecord | None = None, /) -> None:
        """Store ``insight`` as the lead's latest, with its audit record; see the protocol."""
        # Serialise first: a record that cannot be written leaves the store untouched.
        item = encode_insight(insight, audit)
        with self._lock:
            self._open()
            versions = self._insights.get(insight.lead_id)
            if versions and versions[-1][0] >= insight.version:
                raise conflict(insight.lead_id, insight.version, versions[-1][0])
            self._put(item)

    def save_many(
        self,
        items: Sequence[tuple[LeadInsight, AuditRecord | None]],
        /,
        *,
        batch_id: str | None = None,
    ) -> None:
        """Store several insights at once, all or none; see the protocol."""
        rows = check_save_many(items)
        with self._lock:
            self._open()
            for item in rows:
                versions = self._insights.get(item.insight.lead_id)
                if versions and versions[-1][0] >= item.insight.version:
                    raise conflict(item.insight.lead_id, item.insight.version, versions[-1][0])
            batch = self._batches.get(batch_id) if batch_id is not None else None
            for item in rows:
                self._put(item)
                if batch is not None and item.insight.lead_id in batch:
                    batch[item.insight.lead_id] = True

    def _put(self, item: Encoded) -> None:
        insight = item.insight
        lead, version = insight.lead_id, insight.version
        self._insights.setdefault(lead, []).append(
            (version, insight.owner_id, insight.refreshed_at, item.body, item.summary)
        )
        if item.audit_body is not None:
            self._audit.setdefault(lead, []).append(
                (version, next(self._order), item.audit_body, item.research_shared)
            )

    def versions(self, lead_ids: Collection[str], /) -> dict[str, int]:
        """The newest stored version of each of these leads that has an insight."""
        ids = check_ids(lead_ids)
        with self._lock:
            self._open()
            return {i: self._insights[i][-1][0] for i in ids if self._insights.get(i)}

    def latest(self, lead_id: str, /) -> LeadInsight | None:
        """The lead's newest insight, or ``None``."""
        with self._lock:
            self._open()
            versions = self._insights.get(lead_id)
            text = versions[-1][3] if versions else None
        return None if text is None else decode(LeadInsight, text, f"insight of lead {lead_id!r}")

    def history(self, lead_id: str, /) -> Sequence[LeadInsight]:
        """Every stored insight of the lead, oldest first."""
        with self._lock:
            self._open()
            texts = [row[3] for row in self._insights.get(lead_id, [])]
        return [decode(LeadInsight, t, f"insight of lead {lead_id!r}") for t in texts]

    def insights(self, *, owner_ids: Collection[str] | None = None) -> Sequence[LeadInsight]:
        """The newest insight of every lead (of these owners, when given), by lead id."""
        owners = None if owner_ids is None else set(owner_ids)
        with self._lock:
            self._open()
            texts = [
                (lead_id, versions[-1][3])
                for lead_id, versions in sorted(self._insights.items())
                if owners is None or versions[-1][1] in owners
            ]
        return [decode(LeadInsight, t, f"insight of lead {lead!r}") for lead, t in texts]

    def summaries(self, *, owner_ids: Collection[str] | None = None) -> Sequence[InsightSummary]:
        """The summary of every lead's newest insight (of these owners, when given), by lead id."""
        owners = None if owner_ids is None else set(owner_ids)
        with self._lock:
            self._open()
            texts = [
                (lead_id, versions[-1][4])
                for lead_id, versions in sorted(self._insights.items())
                if owners is None or versions[-1][1] in owners
            ]
        return [decode(InsightSummary, t, f"summary of lead {lead!r}") for lead, t in texts]

    def due(self, before: datetime, /, *, limit: int | None = None) -> Sequence[str]:
        """Ids of leads whose newest insight was refreshed before ``before``, oldest first."""
        cutoff = utc(before, "before")
        limit = check_limit(limit)
        with self._lock:
            self._open()
            found = sorted(
                (versions[-1][2], lead_id)
                for lead_id, versions in self._insights.items()
                if versions[-1][2] < cutoff
            )
        return [lead_id for _, lead_id in found[:limit]]

    def audit(self, lead_id: str, /) -> Sequence[AuditRecord]:
        """The audit records of the lead, oldest first."""
        with self._lock:
            self._open()
            rows = [
                self._audit_with_insight(lead_id, row)
                for row in sorted(self._audit.get(lead_id, []))
            ]
        what = f"audit record of lead {lead_id!r}"
        return [decode_audit(text, shared, insight, what) for text, shared, insight in rows]

    def latest_audit(self, lead_id: str, /) -> AuditRecord | None:
        """The lead's newest audit record, or ``None``."""
        with self._lock:
            self._open()
            rows = self._audit.get(lead_id)
            found = self._audit_with_insight(lead_id, max(rows)) if rows else None
        if found is None:
            return None
        text, shared, insight = found
        return decode_audit(text, shared, insight, f"audit of lead {lead_id!r}")

    def _audit_with_insight(
        self, lead_id: str, row: tuple[int, int, str, bool]
    ) -> tuple[str, bool, str | None]:
        """An audit record's text, and the text of its insight when it shares its research."""
        version, _, text, shared = row
        insight = None
        if shared:
            insight = next((v[3] for v in self._insights.get(lead_id, []) if v[0] == version), None)
        return text, shared, insight

    def erase(self, lead_id: str, /) -> int:
        """Delete everything stored about the lead; return how many records went."""
        with self._lock:
            self._open()
            gone = len(self._insights.pop(lead_id, []))
            gone += len(self._audit.pop(lead_id, []))
            kept = [row for row in self._feedback if row[2] != lead_id]
            gone += len(self._feedback) - len(kept)
            self._feedback = kept
            gone += 1 if self._reviews.pop(lead_id, None) is not None else 0
            for batch in self._batches.values():
                gone += 1 if batch.pop(lead_id, None) is not None else 0
            return gone

    # -- consent -----------------------------------------------------------------------------

    def record_consent(self, record: ConsentRecord, /) -> None:
        """Append a consent record; the newest per seller is in force."""
        text = encode(record, "record")
        with self._lock:
            self._open()
            self._consent.setdefault(record.seller_id, []).append(
                (record.recorded_at, next(self._order), text)
            )

    def consent(self, seller_id: str, /) -> ConsentRecord | None:
        """The consent in force for the seller, or ``None`` when none was ever recorded."""
        with self._lock:
            self._open()
            rows = self._consent.get(seller_id)
            text = max(rows)[2] if rows else None
        return None if text is None else decode(ConsentRecord, text, f"consent of {seller_id!r}")

    def consent_history(self, seller_id: str, /) -> Sequence[ConsentRecord]:
        """Every consent record of the seller, oldest first."""
        with self._lock:
            self._open()
            texts = [row[2] for row in sorted(self._consent.get(seller_id, []))]
        return [decode(ConsentRecord, t, f"consent of {seller_id!r}") for t in texts]

    # -- feedback and review -----------------------------------------------------------------

    def add_feedback(self, feedback: Feedback, /) -> None:
        """Store a seller's verdict on a suggestion."""
        text = encode(feedback, "feedback")
        with self._lock:
            self._open()
            self._feedback.append((feedback.at, next(self._order), feedback.lead_id, text))

    def feedback(self, *, lead_id: str | None = None) -> Sequence[Feedback]:
        """Feedback, of one lead or all, oldest first."""
        with self._lock:
            self._open()
            texts = [
                row[3] for row in sorted(self._feedback) if lead_id is None or row[2] == lead_id
            ]
        return [decode(Feedback, t, "feedback") for t in texts]

    def put_review(self, item: ReviewItem, /) -> None:
        """Add or replace the lead's review item."""
        row = (item.proposed_at, item.status, encode(item, "item"))
        with self._lock:
            self._open()
            self._reviews[item.lead_id] = row

    def reviews(self, *, status: str | None = "open") -> Sequence[ReviewItem]:
        """Review items with this status (``None``: all), oldest proposal first."""
        status = check_status(status)
        with self._lock:
            self._open()
            rows = sorted(
                (at, lead_id, text)
                for lead_id, (at, item_status, text) in self._reviews.items()
                if status is None or item_status == status
            )
        return [decode(ReviewItem, text, f"review of lead {lead!r}") for _, lead, text in rows]

    def review(self, lead_id: str, /) -> ReviewItem | None:
        """The lead's review item, or ``None``."""
        with self._lock:
            self._open()
            row = self._reviews.get(lead_id)
        return None if row is None else decode(ReviewItem, row[2], f"review of lead {lead_id!r}")

    # -- batches and rotation ----------------------------------------------------------------

    def start_batch(self, batch_id: str, lead_ids: Sequence[str], /) -> None:
        """Record a batch's leads as pending; a batch id that exists keeps its progress."""
        ids = check_batch(lead_ids)
        with self._lock:
            self._open()
            if not self._batches.get(batch_id):
                self._batches[batch_id] = dict.fromkeys(ids, False)

    def mark_done(self, batch_id: str, lead_id: str, /) -> None:
        """Record that the batch's lead is processed (a lead not in the batch is ignored)."""
        with self._lock:
            self._open()
            batch = self._batches.get(batch_id)
            if batch is not None and lead_id in batch:
                batch[lead_id] = True

    def pending(self, batch_id: str, /) -> Sequence[str]:
        """The batch's leads not yet processed, in the batch's order."""
        with self._lock:
            self._open()
            return [lead for lead, done in self._batches.get(batch_id, {}).items() if not done]

    def next_turn(self, team: str, members: Sequence[str], /) -> str:
        """The member whose turn it is in the team's round-robin, and advance the turn."""
        team_members = check_members(members)
        with self._lock:
            self._open()
            last, previous = self._turns.get(team, (None, ()))
            member = next_member(team_members, last, previous)
            self._turns[team] = (member, team_members)
            return member

    def close(self) -> None:
        """Drop everything; the store is unusable afterwards."""
        with self._lock:
            self._closed = True
            self._insights.clear()
            self._audit.clear()
            self._consent.clear()
            self._feedback.clear()
            self._reviews.clear()
            self._batches.clear()
            self._turns.clear()
