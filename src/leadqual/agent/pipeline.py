"""The stages that turn a lead's CRM context into a :class:`~leadqual.insight.LeadInsight`.

Each stage calls one component with typed inputs from the stages before it. A stage the change
does not touch reuses the previous insight's result; a stage that fails is recorded as failed
with its reason and never fails the lead (its result is ``None`` and later stages go on without
it).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from leadqual.config import AgentConfig, Consent
from leadqual.dedupe import DuplicateIndex, DuplicatePair
from leadqual.drafting import ActionAdvisor, Draft, Drafter, NextAction, TemplateDrafter
from leadqual.email import EmailCheck, EmailValidator
from leadqual.errors import DraftBlocked, NothingToDraft, NotScorable
from leadqual.icp import IcpFit, IcpMatcher
from leadqual.insight import STAGES, DuplicateRef, LeadInsight, SellerCard, Stage, StageRun
from leadqual.models import Lead, LeadContext
from leadqual.prioritize import HandraiserEvaluator, HandraiserResult, LeadRating, rate_lead
from leadqual.research import LeadResearch, Researcher
from leadqual.scoring import LeadScore

__all__ = ["LeadScoring", "Pipeline", "StageOutputs", "config_hash", "seller_card"]

logger = logging.getLogger("leadqual.agent")


@runtime_checkable
class LeadScoring(Protocol):
    """What scores one lead: a fitted :class:`~leadqual.LeadScorer` or a
    :class:`~leadqual.scoring.ModelRegistry`."""

    def score_lead(
        self, lead: Lead, /, *, now: datetime | None = ..., context: LeadContext | None = ...
    ) -> LeadScore:
        """Score 0-100 with grade and factors; raises ``NotScorable`` when it cannot."""
        ...


def config_hash(config: AgentConfig, /) -> str:
    """A short, stable hash of a configuration: equal settings give equal hashes."""
    text = config.model_dump_json()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class StageOutputs:
    """The results of one pass over the stages, and how each stage went."""

    email: EmailCheck | None = None
    research: LeadResearch | None = None
    icp_fit: IcpFit | None = None
    handraiser: HandraiserResult | None = None
    rating: LeadRating | None = None
    score: LeadScore | None = None
    duplicates: tuple[DuplicateRef, ...] = ()
    next_action: NextAction | None = None
    draft: Draft | None = None
    runs: dict[Stage, StageRun] = field(default_factory=dict)
    seconds: dict[Stage, float] = field(default_factory=dict)

    @classmethod
    def from_insight(cls, insight: LeadInsight) -> StageOutputs:
        """The outputs of a stored insight, to be reused where nothing changed."""
        return cls(
            email=insight.email,
            research=insight.research,
            icp_fit=insight.icp_fit,
            handraiser=insight.handraiser,
            rating=insight.rating,
            score=insight.score,
            duplicates=insight.duplicates,
            next_action=insight.next_action,
            draft=insight.draft,
            runs={r.stage: r for r in insight.stages},
        )


_RUNS_KEPT = 1024
"""Distinct stage run records a pipeline keeps for reuse."""

_ACTION_LABELS = {
    "initial_outreach": "Send a first email",
    "follow_up_email": "Send a follow-up email",
    "schedule_appointment": "Schedule a meeting",
    "create_task": "Create a task",
    "wait": "Wait",
    "none": "No action",
}


def seller_card(context: LeadContext, out: StageOutputs, /) -> SellerCard:
    """The lines a seller reads first, from the lead and the stage results."""
    lead = context.lead
    name = lead.full_name.strip() or lead.email or lead.id
    company = lead.company_name or (context.account.name if context.account else None)
    action = out.next_action
    if action is None:
        label, reason = "Look at the lead", "the next action could not be worked out"
        cta = "Open the lead in the CRM"
    else:
        label = _ACTION_LABELS[action.kind]
        if action.kind == "create_task" and action.task_subject:
            label = f"Create a task: {action.task_subject}"
        if action.kind == "wait" and action.wait_until is not None:
            label = f"Wait until {action.wait_until:%Y-%m-%d}"
        reason = action.reasons[0] if action.reasons else "no reason given"
        if out.draft is not None:
            cta = "Review the draft, edit it and send it yourself"
        elif action.kind == "schedule_appointment" and action.slots:
            cta = "Offer a time: " + ", ".join(
                f"{s.start:%a %d %b %H:%M} UTC" for s in action.slots[:3]
            )
        elif action.kind == "create_task":
            cta = "Create the task in the CRM"
        elif action.kind == "wait":
            cta = "Nothing to do now; the agent looks again then"
        elif action.suggest_disqualify:
            cta = "Confirm the disqualification or reassign the lead"
        elif action.kind in ("initial_outreach", "follow_up_email"):
            cta = "Write to the lead (no draft could be made: see the warnings)"
        else:
            cta = "Nothing to do"
    return SellerCard(
        name=name,
        company=company,
        need=lead.need or lead.topic,
        next_action=label,
        reason=reason,
        call_to_action=cta,
    )


@dataclass
class Pipeline:
    """The components the agent wires, and the pass over them for one lead.

    The advisors come in two: one that reads the seller's mail with leads and one that does not,
    chosen per lead by its owner's consent at the time of the pass.
    """

    config: AgentConfig
    validator: EmailValidator
    researcher: Researcher
    matcher: IcpMatcher | None
    evaluator: HandraiserEvaluator
    advisor_reading: ActionAdvisor
    advisor_blind: ActionAdvisor
    template: TemplateDrafter
    drafter: Drafter
    scorer: LeadScoring | None
    duplicates: Callable[[Lead], list[DuplicateRef]]
    _runs: dict[tuple[Any, ...], StageRun] = field(default_factory=dict, init=False, repr=False)

    async def run(
        self,
        context: LeadContext,
        todo: frozenset[Stage],
        previous: StageOutputs | None,
        *,
        now: datetime,
        consent: Consent,
        reasons: Mapping[Stage, str],
    ) -> StageOutputs:
        """Run the stages in ``todo``; take the others from ``previous`` (all run when it is
        ``None``). ``reasons`` says why a stage runs again (shown in its run record)."""
        out = StageOutputs()
        lead = context.lead
        for stage in STAGES:
            if previous is not None and stage not in todo and stage in previous.runs:
                _copy(stage, previous, out)
                was = previous.runs[stage]
                out.runs[stage] = was.replace(status="reused") if was.status == "ran" else was
                continue
            started = time.perf_counter()
            try:
                status, why, sources = await self._run_one(
                    stage, context, out, now, consent, previous
                )
            except Exception as err:
                # A stage's failure degrades the insight, never the lead or the batch. The
                # message may quote lead data, so it goes into the insight, not into the log.
                status, why, sources = "failed", f"{type(err).__name__}: {err}", ()
                logger.warning(
                    "stage %s failed for lead %s: %s", stage, lead.id, type(err).__name__
                )
            out.seconds[stage] = time.perf_counter() - started
            if status == "ran" and stage in reasons:
                why = reasons[stage]
            out.runs[stage] = self._stage_run(stage, status, now, why, sources)
        return out

    def _stage_run(
        self, stage: Stage, status: Any, at: datetime, reason: str, sources: tuple[str, ...]
    ) -> StageRun:
        """The run record; the leads of a batch mostly share theirs (same stage, outcome and
        time), and a record is frozen, so one is made per distinct record, not per lead."""
        key = (stage, status, at, reason, sources)
        found = self._runs.get(key)
        if found is None:
            found = StageRun(stage=stage, status=status, at=at, reason=reason, sources=sources)
            if len(self._runs) >= _RUNS_KEPT:
                self._runs.clear()
            self._runs[key] = found
        return found

    async def _run_one(
        self,
        stage: Stage,
        context: LeadContext,
        out: StageOutputs,
        now: datetime,
        consent: Consent,
        previous: StageOutputs | None,
    ) -> tuple[Any, str, tuple[str, ...]]:
        lead = context.lead
        if stage == "email":
            if not lead.email:
                return "skipped", "the lead has no email address", ()
            websites = [
                w for w in (lead.website, context.account.website if context.account else None) if w
            ]
            out.email = await self.validator.avalidate(
                lead.email, company_websites=websites, company_name=lead.company_name
            )
            via = "dns" if self.validator.check_deliverability else "syntax only"
            return "ran", "", ("crm", via)
        if stage == "research":
            # The last research comes from the stored insight: what changed since is its diff.
            out.research = await self.researcher.aresearch(
                context, now=now, previous=previous.research if previous is not None else None
            )
            sources = ("crm", *(s.provider for s in out.research.sources if s.state == "ok"))
            return "ran", "", sources
        if stage == "icp":
            if self.matcher is None:
                return "skipped", "no ideal customer profile configured", ()
            out.icp_fit = self.matcher.match(context)
            return "ran", "", ("crm",)
        if stage == "handraiser":
            out.handraiser = self.evaluator.evaluate(context, now=now)
            return "ran", "", ("crm",)
        if stage == "rating":
            out.rating = rate_lead(context, now=now, fit=out.icp_fit, handraiser=out.handraiser)
            return "ran", "", ("crm",)
        if stage == "score":
            if self.scorer is None:
                return "skipped", "no predictive model published", ()
            try:
                out.score = self.scorer.score_lead(lead, now=now, context=context)
            except NotScorable as err:
                return "skipped", str(err), ()
            return "ran", "", ("model",)
        if stage == "duplicates":
            out.duplicates = tuple(self.duplicates(lead))
            return "ran", "", ("crm",)
        if stage == "action":
            advisor = self.advisor_reading if consent.read_emails else self.advisor_blind
            out.next_action = advisor.advise(
                context, now=now, email_check=out.email, icp_fit=out.icp_fit, research=out.research
            )
            return "ran", "", ("crm",)
        # the draft
        action = out.next_action
        if action is None or not action.needs_draft:
            return "skipped", "the next action needs no email", ()
        drafter: Drafter = self.drafter if consent.llm_drafting else self.template
        try:
            out.draft = await drafter.adraft(
                context, action, research=out.research, icp_fit=out.icp_fit
            )
        except (NothingToDraft, DraftBlocked) as err:
            return "skipped", str(err), ()
        # Only say so when a drafter other than the template was set up and consent ruled it out.
        fell_back = drafter is not self.drafter
        note = "template draft (no consent for LLM drafting)" if fell_back else ""
        return "ran", note, (out.draft.drafter,)


_ATTRIBUTE: dict[Stage, str] = {
    "email": "email",
    "research": "research",
    "icp": "icp_fit",
    "handraiser": "handraiser",
    "rating": "rating",
    "score": "score",
    "duplicates": "duplicates",
    "action": "next_action",
    "draft": "draft",
}
"""The :class:`StageOutputs` attribute each stage fills."""


def _copy(stage: Stage, source: StageOutputs, target: StageOutputs) -> None:
    name = _ATTRIBUTE[stage]
    setattr(target, name, getattr(source, name))


def duplicate_ref(pair: DuplicatePair, other: str, /) -> DuplicateRef:
    """The reference to lead ``other`` that ``pair`` found a duplicate of the lead at hand."""
    return DuplicateRef(
        record_id=other,
        kind="lead",
        rule=pair.rule,
        score=pair.probability,
        explanation=pair.explanation,
    )


def duplicate_refs(index: DuplicateIndex, lead: Lead, /) -> list[DuplicateRef]:
    """The leads the index holds that are probably the same person as ``lead``."""
    refs = []
    for pair in index.find(lead):
        other = pair.right_id if pair.left_id == lead.id else pair.left_id
        if other != lead.id:
            refs.append(duplicate_ref(pair, other))
    return refs
