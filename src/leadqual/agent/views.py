"""What the agent returns besides insights: a seller's prioritised list, event outcomes, status,
counters, qualification outcomes and replay reports."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from leadqual._base import FrozenModel, UtcDatetime
from leadqual.dedupe import QualificationCheck
from leadqual.insight import LeadInsight, SellerCard, Stage
from leadqual.models import Lead
from leadqual.prioritize import PrioritizedLead

__all__ = [
    "AgentCounters",
    "AgentStatus",
    "BatchReport",
    "EventOutcome",
    "HandleResult",
    "PrioritizedEntry",
    "QualificationOutcome",
    "ReplayReport",
    "SellerView",
    "StageCounter",
]


class PrioritizedEntry(FrozenModel):
    """One person on a seller's list: the best-ranked of their lead records, with why."""

    rank: Annotated[int, Field(ge=1)]
    lead_id: str
    why: str
    """Why the lead has its rank ("hand-raiser, ahead of #4 on ICP fit")."""
    is_handraiser: bool
    rating: Literal["Hot", "Warm", "Cold"]
    owner_id: str | None = None
    card: SellerCard | None = None
    """The seller's card from the lead's latest insight (``None`` before it was processed)."""
    refreshed_at: UtcDatetime | None = None
    """When the lead's insight was last refreshed."""
    duplicates: tuple[str, ...] = ()
    """Other lead records of the same person, folded into this entry."""
    detail: PrioritizedLead
    """Everything the prioritiser worked out (factors, fit, engagement, rating parts)."""


class SellerView(FrozenModel):
    """A seller's prioritised list: their own leads (a manager's team, an admin's all)."""

    seller_id: str
    role: Literal["seller", "manager", "admin"]
    now: UtcDatetime
    order: tuple[str, ...]
    """The factors in the order they decide the rank."""
    entries: tuple[PrioritizedEntry, ...]

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def lead_ids(self) -> list[str]:
        """The listed lead ids, in rank order."""
        return [e.lead_id for e in self.entries]

    def lines(self, *, limit: int | None = None) -> list[str]:
        """One printable line per entry: rank, lead, rating, the card and why."""
        out = []
        for e in self.entries[:limit]:
            name = e.card.name if e.card else e.lead_id
            action = f" -> {e.card.next_action}" if e.card else ""
            also = f" (also {', '.join(e.duplicates)})" if e.duplicates else ""
            out.append(f"#{e.rank:<3} {e.lead_id} {e.rating:<4} {name}{also}{action}; {e.why}")
        return out


class EventOutcome(FrozenModel):
    """What handling one (coalesced) event did."""

    event_type: str
    lead_id: str | None
    outcome: Literal["processed", "unchanged", "erased", "ignored", "queued"]
    reason: str = ""
    insight_version: int | None = None


class HandleResult(FrozenModel):
    """The insights an event burst produced, and what happened to each event."""

    insights: tuple[LeadInsight, ...] = ()
    outcomes: tuple[EventOutcome, ...] = ()


class AgentStatus(FrozenModel):
    """Whether the agent works by itself now, and if not, why and what to do."""

    state: Literal["running", "paused"]
    reason: str | None = None
    suggested_action: str | None = None
    queued: int = 0
    """Leads waiting for capacity."""
    leads_today: int = 0
    provider_calls_today: int = 0
    activated: bool = False


class StageCounter(FrozenModel):
    """How often a stage ran, was reused, skipped or failed, and its time."""

    ran: int = 0
    reused: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0


class AgentCounters(FrozenModel):
    """Counters since the agent was built: leads processed, events, and per-stage figures."""

    leads_processed: int = 0
    insights_unchanged: int = 0
    events_handled: int = 0
    stages: dict[Stage, StageCounter] = Field(default_factory=dict)


class QualificationOutcome(FrozenModel):
    """What :meth:`~leadqual.QualificationAgent.qualify` did, or why it did not."""

    lead_id: str
    qualified: bool
    lead: Lead
    duplicates: QualificationCheck | None = None
    """The accounts and contacts the lead may duplicate (checked first)."""
    blocked_reason: str | None = None
    """Set when the lead was not qualified: open duplicates to resolve, for instance."""
    account_id: str | None = None
    contact_id: str | None = None
    opportunity_id: str | None = None
    created: tuple[str, ...] = ()
    """Records created by this call (``account:A-1``...)."""
    notes_moved: int = 0
    activities_moved: int = 0


class ReplayReport(FrozenModel):
    """A stored conclusion derived again from its audit record, and what differs."""

    lead_id: str
    insight_version: int
    same: bool
    differences: tuple[str, ...] = ()
    """The conclusions that came out differently (``rating: Hot -> Warm``...)."""
    config_changed: bool = False
    """The agent's configuration differs from the one the record was concluded with."""


class BatchReport(FrozenModel):
    """What a batch did (:meth:`~leadqual.agent.QualificationAgent.run_batch`), lead by lead
    counted; the insights themselves are in the store."""

    leads: int
    """Distinct lead ids asked for."""
    processed: int
    """Leads given a new insight."""
    unchanged: int
    """Leads whose stored insight still held (nothing it depends on changed)."""
    resumed: int = 0
    """Leads a resumed batch had already done before (with ``batch_id``)."""
    missing: tuple[str, ...] = ()
    """Leads no longer in the CRM, skipped."""
    conflicts: tuple[str, ...] = ()
    """Leads another process concluded while this batch worked on them: its insight is the one
    stored (this batch's was refused, not counted in ``processed``)."""
    erased: tuple[str, ...] = ()
    """Leads erased (or deleted from the CRM) while the batch worked on them: nothing of them
    was stored."""
    batch_id: str | None = None
    seconds: float = 0.0
    """Wall time of the batch."""
