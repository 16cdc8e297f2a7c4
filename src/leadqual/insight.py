"""What the agent concludes about a lead, and the records it keeps beside it.

These models sit above the components (they carry the components' results) and below the store and
the agent (both read and write them). Every model is frozen and round-trips through JSON, so a
stored insight reads back equal to the one written.

Examples:
    >>> card = SellerCard(name="Ada Lovelace", company="Contoso", next_action="Send a follow-up",
    ...                   reason="She asked for pricing", call_to_action="Review the draft")
    >>> card.next_action
    'Send a follow-up'
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from leadqual._base import FrozenModel, UtcDatetime
from leadqual._html import block, details, grid, kv
from leadqual.dedupe import QualificationCheck
from leadqual.drafting import Draft, NextAction
from leadqual.email import EmailCheck
from leadqual.icp import IcpFit
from leadqual.models import LeadContext
from leadqual.prioritize import HandraiserResult, LeadRating
from leadqual.research import LeadResearch
from leadqual.scoring import LeadScore

__all__ = [
    "STAGES",
    "AuditRecord",
    "ConsentRecord",
    "DuplicateRef",
    "Feedback",
    "InsightSummary",
    "LeadInsight",
    "ReviewItem",
    "SellerCard",
    "Stage",
    "StageRun",
]

Stage = Literal[
    "email", "research", "icp", "handraiser", "rating", "score", "duplicates", "action", "draft"
]
"""A step of processing a lead. Each has its own inputs, so an event re-runs only the ones it touches."""

STAGES: tuple[Stage, ...] = (
    "email",
    "research",
    "icp",
    "handraiser",
    "rating",
    "score",
    "duplicates",
    "action",
    "draft",
)
"""Every stage, in the order the agent runs them (a stage reads only the ones before it)."""


class StageRun(FrozenModel):
    """How one stage went for one insight: run now, reused from the previous insight, skipped, or failed."""

    stage: Stage
    status: Literal["ran", "reused", "skipped", "failed"]
    at: UtcDatetime
    """When the stage's result was produced (for a reused stage: when it was first produced)."""
    reason: str = ""
    """Why it was skipped or failed, or what made it run again."""
    sources: tuple[str, ...] = ()
    """Where the stage's inputs came from (CRM, a research provider, a model...)."""


class DuplicateRef(FrozenModel):
    """Another record that is probably the same person or company as the lead."""

    record_id: str
    kind: Literal["lead", "account", "contact"]
    rule: str
    """The rule that matched (``same_email``, ``similar_name_company``...)."""
    score: Annotated[float, Field(ge=0, le=1)] | None = None
    explanation: str = ""


class SellerCard(FrozenModel):
    """The lines a seller sees first: who, what they need, what to do next and why."""

    name: str
    company: str | None = None
    need: str | None = None
    next_action: str
    reason: str
    call_to_action: str


class LeadInsight(FrozenModel):
    """Everything concluded about one lead at one time, with when and from what.

    Any component's result may be ``None``: its stage was skipped (no consent, no model published,
    nothing to draft) or failed; :attr:`stages` says which and why.
    """

    lead_id: str
    owner_id: str | None = None
    version: Annotated[int, Field(ge=1)] = 1
    """1 for the first insight about the lead, one more for each refresh."""
    refreshed_at: UtcDatetime
    """When this insight was concluded (the reference time of its stages)."""
    email: EmailCheck | None = None
    research: LeadResearch | None = None
    icp_fit: IcpFit | None = None
    handraiser: HandraiserResult | None = None
    rating: LeadRating | None = None
    score: LeadScore | None = None
    duplicates: tuple[DuplicateRef, ...] = ()
    next_action: NextAction | None = None
    draft: Draft | None = None
    card: SellerCard
    handoff: Literal["owner", "round_robin", "review", "unassigned"] | None = None
    """Where a lead rated ready went: its owner, a team member in turn, or (for a lead the agent
    would disqualify) the supervisor's review list; ``None`` while the lead is not ready."""
    assigned_to: str | None = None
    """The seller the lead is handed to (its owner, or the team member whose turn it was)."""
    selected: bool = True
    """Whether the lead meets the configured selection criteria (an explicit ``process`` call
    works on any lead; events and activation only on selected ones)."""
    stages: tuple[StageRun, ...] = ()
    config_hash: str = ""
    """Hash of the configuration the insight was concluded with (see :func:`config_hash`)."""
    model_version: str | None = None
    """The predictive model that scored the lead, if one did."""

    @property
    def is_handraiser(self) -> bool:
        """Whether a hand-raiser segment matched the lead."""
        return self.handraiser is not None and self.handraiser.is_handraiser

    def stage(self, name: Stage) -> StageRun | None:
        """The run record of one stage, or ``None`` when it never ran."""
        return next((s for s in self.stages if s.stage == name), None)

    def _repr_html_(self) -> str:
        """The insight in a notebook: the seller's card, one line per conclusion, and how each
        stage went (folded away)."""
        card = self.card
        email = self.email
        rows: list[tuple[object, object]] = [
            ("lead", self.lead_id),
            ("owner", self.owner_id),
            ("refreshed", f"{self.refreshed_at:%Y-%m-%d %H:%M} UTC (version {self.version})"),
            ("name", card.name),
            ("company", card.company),
            ("need", card.need),
            ("next action", card.next_action),
            ("why", card.reason),
            ("to do", card.call_to_action),
            ("email", None if email is None else f"{email.address}: {email.status}"),
            ("ICP fit", None if self.icp_fit is None else self.icp_fit.summary()),
            ("rating", None if self.rating is None else self.rating.summary()),
            ("score", None if self.score is None else self.score.summary()),
            ("hand-raiser", None if self.handraiser is None else self.handraiser.reason),
            ("draft", None if self.draft is None else self.draft.subject),
        ]
        parts = [kv((k, v) for k, v in rows if v is not None)]
        if self.duplicates:
            parts.append(
                grid(
                    ("possible duplicate", "kind", "rule", "why"),
                    [(d.record_id, d.kind, d.rule, d.explanation) for d in self.duplicates],
                )
            )
        if self.stages:
            parts.append(
                details(
                    "Stages",
                    grid(
                        ("stage", "status", "reason"),
                        [(r.stage, r.status, r.reason) for r in self.stages],
                    ),
                )
            )
        return block(f"Lead {self.lead_id}", *parts)


class InsightSummary(FrozenModel):
    """What a seller's ranked list reads of a lead's newest insight: who owns it, when it was
    refreshed, the seller's card, and the stored conclusions ranking takes as they are (ICP fit,
    predictive score, duplicate leads).

    Stores keep it beside the insight (:meth:`~leadqual.store.InsightStore.summaries`), so a
    list of thousands of leads decodes a few hundred bytes per lead instead of every insight
    whole (its research, draft and stages).

    Examples:
        >>> from datetime import UTC, datetime
        >>> card = SellerCard(name="Ada", next_action="Call", reason="Asked", call_to_action="Call")
        >>> insight = LeadInsight(lead_id="L-1", refreshed_at=datetime(2025, 3, 1, tzinfo=UTC),
        ...                       card=card, duplicates=(DuplicateRef(record_id="L-2", kind="lead",
        ...                       rule="same_email"),))
        >>> InsightSummary.of(insight).duplicate_leads
        ('L-2',)
    """

    lead_id: str
    owner_id: str | None = None
    version: Annotated[int, Field(ge=1)] = 1
    refreshed_at: UtcDatetime
    card: SellerCard
    icp_fit: IcpFit | None = None
    score: float | None = None
    """The predictive score, 0-100 (``None``: not scored)."""
    duplicate_leads: tuple[str, ...] = ()
    """The other lead records the insight found to be the same person, in its order."""

    @classmethod
    def of(cls, insight: LeadInsight, /) -> InsightSummary:
        """The summary of one insight."""
        return cls(
            lead_id=insight.lead_id,
            owner_id=insight.owner_id,
            version=insight.version,
            refreshed_at=insight.refreshed_at,
            card=insight.card,
            icp_fit=insight.icp_fit,
            score=float(insight.score.score) if insight.score is not None else None,
            duplicate_leads=tuple(d.record_id for d in insight.duplicates if d.kind == "lead"),
        )


class AuditRecord(FrozenModel):
    """The inputs and settings one insight was concluded from, enough to derive it again.

    External observations (the email check's DNS answers, web research, the duplicate search) are
    recorded as they were seen; the conclusions built on them (ICP fit, hand-raiser segment,
    rating, score, next action, draft) are what :meth:`~leadqual.QualificationAgent.replay`
    derives again and compares.
    """

    lead_id: str
    insight_version: Annotated[int, Field(ge=1)]
    recorded_at: UtcDatetime
    config_hash: str
    model_version: str | None = None
    sources: tuple[str, ...] = ()
    context: LeadContext
    email: EmailCheck | None = None
    research: LeadResearch | None = None
    duplicates: tuple[DuplicateRef, ...] = ()
    qualification: QualificationCheck | None = None


class ConsentRecord(FrozenModel):
    """One seller's consent for the agent's data access, with when it was given or withdrawn.

    The latest record per seller is in force; an earlier one is history.
    """

    seller_id: str
    web_research: bool = False
    """External research may run for this seller's leads."""
    read_emails: bool = False
    """This seller's mail with leads may be read (reply classification, follow-ups)."""
    llm_drafting: bool = False
    """Lead context may be sent to the configured LLM backend."""
    recorded_at: UtcDatetime
    recorded_by: str | None = None


FeedbackReason = Literal[
    "not_relevant",
    "wrong_timing",
    "wrong_contact",
    "already_done",
    "inaccurate",
    "tone",
    "other",
]


class Feedback(FrozenModel):
    """A seller's verdict on one suggestion (the next action or the draft of one insight)."""

    lead_id: str
    seller_id: str
    insight_version: Annotated[int, Field(ge=1)]
    verdict: Literal["accepted", "rejected"]
    reason: FeedbackReason | None = None
    """Why a suggestion was rejected (required then)."""
    comment: str | None = None
    at: UtcDatetime

    @model_validator(mode="after")
    def _reason_with_rejection(self) -> Self:
        if self.verdict == "rejected" and self.reason is None:
            raise ValueError("a rejected suggestion needs a reason code")
        return self


class ReviewItem(FrozenModel):
    """A lead the agent would disqualify, waiting for a supervisor to confirm or reassign it."""

    lead_id: str
    reason: str
    proposed_at: UtcDatetime
    status: Literal["open", "confirmed", "reassigned"] = "open"
    resolved_by: str | None = None
    resolved_at: UtcDatetime | None = None
    reassigned_to: str | None = None
