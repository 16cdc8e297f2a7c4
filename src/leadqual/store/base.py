"""The protocol an insight store implements, and the errors it raises."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from leadqual.insight import (
    AuditRecord,
    ConsentRecord,
    Feedback,
    InsightSummary,
    LeadInsight,
    ReviewItem,
)

__all__ = ["InsightStore"]


@runtime_checkable
class InsightStore(Protocol):
    """Where the agent keeps what it concluded: insights with their history, audit records,
    consent, feedback, the supervisor's review list, batch progress and round-robin turns.

    Every write is atomic: after a crash a write is either wholly stored or not at all. Reads
    return copies; nothing a caller does to a returned object changes the store. Datetimes are
    compared as instants (naive ones are read as UTC). Implementations:
    :class:`~leadqual.store.MemoryInsightStore`, :class:`~leadqual.store.SqlInsightStore`.
    """

    schema_version: int
    """The version of the stored schema this store reads and writes."""

    # -- insights ----------------------------------------------------------------------------

    def save(self, insight: LeadInsight, audit: AuditRecord | None = None, /) -> None:
        """Store ``insight`` as the lead's latest (earlier versions stay as history), with its
        audit record in the same transaction, and its summary for :meth:`summaries`.

        Raises:
            StoreConflict: a version at or above ``insight.version`` is already stored for the lead
                (another process refreshed it meanwhile); nothing is stored.
            ValidationFailed: ``audit`` is not the record of this insight (its lead id and
                ``insight_version`` differ), or a record cannot be serialised; nothing is stored.
        """
        ...

    def save_many(
        self,
        items: Sequence[tuple[LeadInsight, AuditRecord | None]],
        /,
        *,
        batch_id: str | None = None,
    ) -> None:
        """Store several insights with their audit records in one transaction (all or none),
        and with ``batch_id``, mark their leads done in that batch in the same transaction.

        Raises:
            StoreConflict: one insight's version is already stored (it names the lead); nothing
                is stored.
            ValidationFailed: as :meth:`save`, or two items are of the same lead; nothing is
                stored.
        """
        ...

    def latest(self, lead_id: str, /) -> LeadInsight | None:
        """The lead's newest insight, or ``None``."""
        ...

    def versions(self, lead_ids: Collection[str], /) -> dict[str, int]:
        """The newest stored version of each of these leads that has an insight (a lead
        without one is not in the result); a cheap check for many leads at once."""
        ...

    def history(self, lead_id: str, /) -> Sequence[LeadInsight]:
        """Every stored insight of the lead, oldest first."""
        ...

    def insights(self, *, owner_ids: Collection[str] | None = None) -> Sequence[LeadInsight]:
        """The newest insight of every lead (of these owners, when given), by lead id.

        A lead belongs to the owner named by its newest insight; ids are ordered by code point.
        """
        ...

    def summaries(self, *, owner_ids: Collection[str] | None = None) -> Sequence[InsightSummary]:
        """The :class:`~leadqual.insight.InsightSummary` of every lead's newest insight (of these
        owners, when given), by lead id: what :meth:`insights` returns, summarised, without
        decoding any insight whole. A seller's ranked list reads these.
        """
        ...

    def due(self, before: datetime, /, *, limit: int | None = None) -> Sequence[str]:
        """Ids of leads whose newest insight was refreshed before ``before``, oldest first.

        Raises:
            ValidationFailed: ``before`` is not a datetime, or ``limit`` is not ``None`` or an
                int >= 0.
        """
        ...

    def audit(self, lead_id: str, /) -> Sequence[AuditRecord]:
        """The audit records of the lead, oldest (lowest insight version) first."""
        ...

    def latest_audit(self, lead_id: str, /) -> AuditRecord | None:
        """The lead's newest audit record (the last of :meth:`audit`), or ``None``."""
        ...

    def erase(self, lead_id: str, /) -> int:
        """Delete everything stored about the lead (insights, audit, feedback, review, batch
        entries); return how many records went, each insight version, audit record, feedback,
        review item and batch entry counting one. Erasing an unknown lead returns 0.

        Consent and round-robin turns are about sellers, not leads, and stay.
        """
        ...

    # -- consent -----------------------------------------------------------------------------

    def record_consent(self, record: ConsentRecord, /) -> None:
        """Append a consent record; the newest per seller (by ``recorded_at``) is in force."""
        ...

    def consent(self, seller_id: str, /) -> ConsentRecord | None:
        """The consent in force for the seller, or ``None`` when none was ever recorded.

        The record with the latest ``recorded_at``; of records for the same instant, the one
        recorded last.
        """
        ...

    def consent_history(self, seller_id: str, /) -> Sequence[ConsentRecord]:
        """Every consent record of the seller, oldest ``recorded_at`` first."""
        ...

    # -- feedback and review -----------------------------------------------------------------

    def add_feedback(self, feedback: Feedback, /) -> None:
        """Store a seller's verdict on a suggestion."""
        ...

    def feedback(self, *, lead_id: str | None = None) -> Sequence[Feedback]:
        """Feedback, of one lead or all, oldest ``at`` first."""
        ...

    def put_review(self, item: ReviewItem, /) -> None:
        """Add or replace the lead's review item."""
        ...

    def reviews(self, *, status: str | None = "open") -> Sequence[ReviewItem]:
        """Review items with this status (``None``: all), oldest proposal first.

        Raises:
            ValidationFailed: ``status`` is not ``open``, ``confirmed``, ``reassigned`` or ``None``.
        """
        ...

    def review(self, lead_id: str, /) -> ReviewItem | None:
        """The lead's review item, or ``None``."""
        ...

    # -- batches and rotation ----------------------------------------------------------------

    def start_batch(self, batch_id: str, lead_ids: Sequence[str], /) -> None:
        """Record a batch's leads as pending, in this order (a repeated id once).

        Starting a batch id that exists keeps its progress, and the ``lead_ids`` given again are
        ignored: calling it again after a crash resumes the batch.

        Raises:
            ValidationFailed: ``lead_ids`` is a bare string or holds something else than strings.
        """
        ...

    def mark_done(self, batch_id: str, lead_id: str, /) -> None:
        """Record that the batch's lead is processed (a lead or batch not known is ignored)."""
        ...

    def pending(self, batch_id: str, /) -> Sequence[str]:
        """The batch's leads not yet processed, in the batch's order."""
        ...

    def next_turn(self, team: str, members: Sequence[str], /) -> str:
        """The member whose turn it is in the team's round-robin, and advance the turn.

        Members who joined or left are handled: the turn moves to the member after the last one
        served, in ``members``' order. When the member served last has left, the turn goes to the
        first member who followed them in the team as it was then and is still in it, so nobody
        is skipped. Each team (any string) keeps its own turn.

        Raises:
            ValidationFailed: ``members`` is empty.
        """
        ...

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""
        ...
