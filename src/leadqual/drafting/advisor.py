"""The next best action for a lead, with the reasons a seller needs to trust it.

:class:`ActionAdvisor` reads the lead's context (activities, emails, meetings), the email check
and the ICP fit, and suggests one action: initial outreach, a follow-up email, an appointment with
proposed slots, a task with its subject, waiting (out of office until a date, a reply pending), or
nothing (with a suggestion to disqualify). Initial outreach is suggested only when every condition
holds; each one that does not is reported by name.

Examples:
    >>> from leadqual.sources import build_context, load_sample, load_sample_data
    >>> data = load_sample_data()
    >>> ctx = build_context(load_sample(), "L-0179")
    >>> action = ActionAdvisor().advise(ctx, now=data.as_of)
    >>> action.kind
    'schedule_appointment'
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, partial
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict

from leadqual._base import LeadqualModel, to_utc
from leadqual._fields import is_empty
from leadqual._text import fold
from leadqual.config import AgentConfig, require_config
from leadqual.drafting._dates import preferred_days, preferred_hours
from leadqual.drafting._text import clean_reply
from leadqual.drafting.facts import collect_facts
from leadqual.drafting.guards import safe_fact_text
from leadqual.drafting.inputs import EmailCheckLike, IcpFitLike, ResearchInput
from leadqual.drafting.intents import (
    INTENT_PRIORITY,
    EmailClassifier,
    ReplyIntent,
    default_classifier,
)
from leadqual.drafting.interest import (
    BantAssessment,
    PurchaseInterest,
    assess_bant,
    assess_interest,
    classify_thread,
)
from leadqual.errors import ConfigurationError
from leadqual.models import EmailMessage, Lead, LeadContext
from leadqual.suppression import SuppressionList

__all__ = [
    "INITIAL_OUTREACH_CONDITIONS",
    "ActionAdvisor",
    "ActionKind",
    "Condition",
    "NextAction",
    "ProposedSlot",
    "address_warnings",
    "check_initial_outreach",
]

logger = logging.getLogger(__name__)

ActionKind = Literal[
    "initial_outreach",
    "follow_up_email",
    "schedule_appointment",
    "create_task",
    "wait",
    "none",
]
"""The kinds of action the advisor suggests."""

INITIAL_OUTREACH_CONDITIONS: tuple[str, ...] = (
    "no_prior_emails",
    "no_upcoming_meetings",
    "no_past_appointments",
    "no_unanswered_calls",
    "company_name",
    "deliverable_email",
    "first_and_last_name",
)
"""The conditions that must all hold before a first email is suggested, by name."""

# Besides the CRM placeholders every component treats as missing (N/A, Unknown, -, TBD: see
# leadqual.icp's is_empty), values that name no company an account could be found for.
_JUNK_COMPANY = re.compile(
    r"^(?:\.+|\?+|self|self[- ]employed|private|individual|personal|test|no company|"
    r"freelance[r]?|home)$",
    re.I,
)

# Read in the lead's own words of a pricing request and of a "not interested" reply.
_ASKS_FOR_DISCOUNT = re.compile(
    r"discount|% off|\boff list|price match|match the price|come down|do better|negotia", re.I
)
_ASKS_NOT_TO_BE_CONTACTED = re.compile(
    r"unsubscribe|remove (?:me|us|my)|take (?:me|us|my \w+) off|stop|opt (?:me )?"
    r"out|do not (?:contact|email)|don'?t (?:contact|email)|delete my|cease",
    re.I,
)

# Replies answered with a follow-up email, and what that email must do.
_ANSWER_BY_EMAIL = {
    "information_request": "answer with the information asked for",
    "objection": "address the objection with a proof point",
}


class Condition(LeadqualModel):
    """One condition of initial outreach: its name, whether it holds, and why."""

    model_config = ConfigDict(frozen=True)

    name: str
    met: bool
    detail: str


class ProposedSlot(LeadqualModel):
    """A meeting time to propose: ``start`` and ``end`` in UTC, shown in ``time_zone``."""

    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime
    time_zone: str = "UTC"
    """The IANA zone the slot was proposed in, and in which a draft shows it."""

    def local(self) -> tuple[datetime, datetime]:
        """``start`` and ``end`` in :attr:`time_zone`."""
        zone = ZoneInfo(self.time_zone)
        return self.start.astimezone(zone), self.end.astimezone(zone)

    def describe(self) -> str:
        """``Tuesday 3 November, 15:00-15:30 EST``: the slot as a lead reads it."""
        start, end = self.local()
        return f"{start:%A} {start.day} {start:%B}, {start:%H:%M}-{end:%H:%M} {start:%Z}"


class NextAction(LeadqualModel):
    """The suggested next action and its reasons.

    Examples:
        >>> a = NextAction(kind="wait", reasons=("reply pending",))
        >>> a.needs_draft
        False
    """

    model_config = ConfigDict(frozen=True)

    kind: ActionKind
    reasons: tuple[str, ...]
    """Why this action, in the order a seller reads them."""
    conditions: tuple[Condition, ...] = ()
    """The initial-outreach conditions, evaluated (empty once outreach has started)."""
    reply: ReplyIntent | None = None
    """The classified latest reply that decided the action, if any."""
    reply_email_id: str | None = None
    slots: tuple[ProposedSlot, ...] = ()
    """For ``schedule_appointment``: times to propose."""
    task_subject: str | None = None
    """For ``create_task``: the task's subject."""
    wait_until: datetime | None = None
    """For ``wait``: when to look again."""
    suggest_disqualify: bool = False
    """For ``none``: the lead declined or cannot be reached; disqualifying is suggested."""
    suppress_address: bool = False
    """The lead asked not to be contacted: add the address to the suppression list."""
    interest: PurchaseInterest | None = None
    bant: BantAssessment | None = None
    warnings: tuple[str, ...] = ()
    """Things to check before acting, e.g. an address that looks like another person's."""

    @property
    def unmet_conditions(self) -> tuple[str, ...]:
        """Names of the initial-outreach conditions that do not hold."""
        return tuple(c.name for c in self.conditions if not c.met)

    @property
    def needs_draft(self) -> bool:
        """Whether the action is an email for the seller to review and send."""
        return self.kind in ("initial_outreach", "follow_up_email", "schedule_appointment")


def _company_condition(context: LeadContext) -> Condition:
    name = (context.lead.company_name or "").strip()
    if context.account is not None:
        return Condition(
            name="company_name", met=True, detail=f"linked to account {context.account.name}"
        )
    if not name:
        return Condition(name="company_name", met=False, detail="the lead has no company name")
    if is_empty(name) or _JUNK_COMPANY.match(name) or "@" in name or len(name) < 2:
        return Condition(
            name="company_name",
            met=False,
            detail=f"company name {name!r} cannot be associated with an account",
        )
    return Condition(name="company_name", met=True, detail=f"company name {name}")


def _email_condition(context: LeadContext, check: EmailCheckLike | None) -> Condition:
    address = context.lead.email
    if not address:
        return Condition(
            name="deliverable_email", met=False, detail="the lead has no email address"
        )
    if check is None:
        return Condition(
            name="deliverable_email",
            met=False,
            detail="the address has not been checked yet",
        )
    # A check that names its address (EmailCheck does) must be of this lead's current address:
    # a stale check of an earlier address says nothing about the new one.
    checked = getattr(check, "address", None)
    if isinstance(checked, str) and checked.strip().lower() != address.strip().lower():
        return Condition(
            name="deliverable_email",
            met=False,
            detail=f"the check is of {checked.strip()}, not of the lead's address {address}",
        )
    if not check.is_valid or check.status not in ("valid",):
        return Condition(
            name="deliverable_email",
            met=False,
            detail=f"the address is not active and deliverable (status: {check.status})",
        )
    if getattr(check, "deliverability_checked", True) is False:
        # Syntax alone passed: say so rather than claim a deliverability nobody checked.
        return Condition(
            name="deliverable_email",
            met=True,
            detail="the address is well formed (deliverability not checked)",
        )
    return Condition(name="deliverable_email", met=True, detail="the address is deliverable")


def check_initial_outreach(
    context: LeadContext,
    /,
    *,
    now: datetime | None = None,
    email_check: EmailCheckLike | None = None,
) -> tuple[Condition, ...]:
    """Evaluate every initial-outreach condition (see :data:`INITIAL_OUTREACH_CONDITIONS`).

    ``email_check`` is the result of checking ``context.lead.email``; without one, deliverability
    is unknown and the condition is reported unmet. ``now`` defaults to the current time.
    """
    now = to_utc(now) if now is not None else datetime.now(UTC)
    emails = context.emails
    appointments = [a for a in context.appointments if a.status != "canceled"]
    upcoming = [a for a in appointments if a.start > now]
    past = [a for a in appointments if a.start <= now]
    unanswered = [c for c in context.phone_calls if not c.answered]
    lead = context.lead
    missing = [n for n, v in (("first", lead.first_name), ("last", lead.last_name)) if is_empty(v)]
    return (
        Condition(
            name="no_prior_emails",
            met=not emails,
            detail=f"{len(emails)} email(s) exchanged" if emails else "no emails yet",
        ),
        Condition(
            name="no_upcoming_meetings",
            met=not upcoming,
            detail=(
                f"a meeting is booked for {upcoming[0].start:%Y-%m-%d %H:%M} UTC"
                if upcoming
                else "no upcoming meeting"
            ),
        ),
        Condition(
            name="no_past_appointments",
            met=not past,
            detail=(
                f"{len(past)} past appointment(s), the last on {past[-1].start:%Y-%m-%d}"
                if past
                else "no past appointment"
            ),
        ),
        Condition(
            name="no_unanswered_calls",
            met=not unanswered,
            detail=(
                f"{len(unanswered)} unanswered call(s), the last on "
                f"{unanswered[-1].started_at:%Y-%m-%d}"
                if unanswered
                else "no unanswered call"
            ),
        ),
        _company_condition(context),
        _email_condition(context, email_check),
        Condition(
            name="first_and_last_name",
            met=not missing,
            detail=(
                f"the {' and '.join(missing)} name is missing" if missing else "first and last name"
            ),
        ),
    )


@cache
def _nicknames() -> Any:
    from nicknames import NickNamer

    return NickNamer()


def address_warnings(lead: Lead, /) -> tuple[str, ...]:
    """Warnings about the lead's address that a deliverability check cannot see.

    An address whose local part holds the lead's last name with another person's first name
    (``margaret_cohen@...`` for Robert Cohen) probably belongs to someone else.
    """
    if not (lead.email and lead.first_name and lead.last_name):
        return ()
    local = fold(lead.email.partition("@")[0])
    tokens = [t for t in re.split(r"[\s._+\-\d]+", local) if len(t) > 1]
    # "O'Brien" is written obrien in an address: the folded name without its spaces
    first, last = fold(lead.first_name).replace(" ", ""), fold(lead.last_name).replace(" ", "")
    if last not in tokens:
        return ()
    others = [t for t in tokens if t != last]
    if not others:
        return ()
    given = others[0]
    names = _nicknames()
    known = {first} | names.nicknames_of(first) | names.canonicals_of(first)
    if given in known or first.startswith(given) or given.startswith(first[:3]):
        return ()
    return (
        f"the address {lead.email} looks like another person's (not {lead.full_name}): check it "
        "before writing",
    )


def _decisive_reply(
    thread: Sequence[tuple[EmailMessage, ReplyIntent]], since: Collection[str]
) -> tuple[EmailMessage, ReplyIntent]:
    """The reply that decides the action among the lead's emails ``since`` our last one (ids).

    The newest message decides when it is an auto-reply (out of office, bounce): that is the
    lead's current state. Otherwise the most decisive intent among the human replies wins (see
    :data:`~leadqual.drafting.INTENT_PRIORITY`), the newest on a tie.
    """
    recent = [(m, i) for m, i in reversed(thread) if m.id in since]
    if recent[0][1].intent in ("out_of_office", "bounce"):
        return recent[0]
    human = [(m, i) for m, i in recent if i.intent not in ("out_of_office", "bounce")]
    return min(human, key=lambda mi: INTENT_PRIORITY.index(mi[1].intent))


def _research_reasons(research: ResearchInput | None) -> tuple[str, ...]:
    for fact in collect_facts(research):
        if fact.kind == "news":
            text = safe_fact_text(fact.text, max_chars=160)
            if text:
                return (f"recent news: \u201c{text}\u201d ({fact.source})",)
    return ()


def _business_days(start: date, count: int, wanted: Sequence[int]) -> list[date]:
    days: list[date] = []
    day = start
    # Look at most three weeks ahead for the days the lead named, then fill with any weekday.
    for _ in range(21):
        if day.weekday() < 5 and (not wanted or day.weekday() in wanted):
            days.append(day)
            if len(days) == count:
                return days
        day += timedelta(days=1)
    day = start
    while len(days) < count:
        if day.weekday() < 5 and day not in days:
            days.append(day)
        day += timedelta(days=1)
    return sorted(days)


class ActionAdvisor:
    """Suggests the next best action for a lead, with its reasons.

    Args:
        read_emails: read the lead's email bodies (needs consent; see
            :attr:`leadqual.config.Consent.read_emails`). Without it only email metadata is used.
        classifier: the reply classifier (default: :class:`~leadqual.drafting.ReplyClassifier`).
        suppression: opted-out addresses, domains and companies
            (:class:`~leadqual.suppression.SuppressionList`); no email is suggested to them.
        follow_up_after_days: how long a sent email waits for a reply before a follow-up.
        max_unanswered: after this many emails without any reply, suggest disqualifying.
        meeting_minutes: length of proposed meetings.
        slot_count: how many slots to propose.
        default_hours: hours of day (in ``time_zone``) to propose when the lead named none.
        time_zone: the IANA zone slots are proposed in: the hours a lead names ("Tuesday at 3pm")
            and ``default_hours`` are read in it (default UTC).

    Examples:
        >>> from leadqual.sources import build_context, load_sample, load_sample_data
        >>> ctx = build_context(load_sample(), "L-0226")   # a meeting is booked
        >>> action = ActionAdvisor().advise(ctx, now=load_sample_data().as_of)
        >>> action.kind, f"{action.wait_until:%Y-%m-%d}"
        ('wait', '2026-11-04')
    """

    def __init__(
        self,
        *,
        read_emails: bool = True,
        classifier: EmailClassifier | None = None,
        suppression: SuppressionList | None = None,
        follow_up_after_days: int = 3,
        max_unanswered: int = 3,
        meeting_minutes: int = 30,
        slot_count: int = 3,
        default_hours: Sequence[int] = (10, 14),
        time_zone: str = "UTC",
    ) -> None:
        if follow_up_after_days < 1:
            raise ConfigurationError("follow_up_after_days must be at least 1")
        if max_unanswered < 1:
            raise ConfigurationError("max_unanswered must be at least 1")
        if not 5 <= meeting_minutes <= 480:
            raise ConfigurationError("meeting_minutes must be within 5-480")
        if not 1 <= slot_count <= 10:
            raise ConfigurationError("slot_count must be within 1-10")
        if not default_hours or any(not 0 <= h <= 23 for h in default_hours):
            raise ConfigurationError("default_hours must be hours of day, 0-23")
        self.read_emails = read_emails
        self.classifier = classifier or default_classifier()
        self.suppression = suppression or SuppressionList()
        self.follow_up_after_days = follow_up_after_days
        self.max_unanswered = max_unanswered
        self.meeting_minutes = meeting_minutes
        self.slot_count = slot_count
        self.default_hours = tuple(default_hours)
        try:
            self._zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ConfigurationError(
                f"time_zone must be an IANA time zone such as 'Europe/Berlin', got {time_zone!r}"
            ) from None
        self.time_zone = time_zone

    @classmethod
    def from_config(cls, config: AgentConfig, /, **overrides: Any) -> Self:
        """An advisor that reads emails only when the configuration's consent allows it;
        ``overrides`` are constructor keywords (``suppression=``, ``time_zone=``, ...)."""
        config = require_config(config, "ActionAdvisor.from_config")
        kwargs: dict[str, Any] = {"read_emails": config.consent.read_emails}
        kwargs.update(overrides)
        return cls(**kwargs)

    def advise(
        self,
        context: LeadContext,
        /,
        *,
        now: datetime | None = None,
        email_check: EmailCheckLike | None = None,
        icp_fit: IcpFitLike | None = None,
        research: ResearchInput | None = None,
    ) -> NextAction:
        """The next best action for the lead in ``context``.

        Args:
            context: the lead and its related records.
            now: the reference time (with the sample data, use ``SampleData.as_of``).
            email_check: the result of checking the lead's email address.
            icp_fit: the lead's ICP fit; given as a reason, and a low fit is flagged.
            research: a research result (read like
                :func:`~leadqual.drafting.collect_facts`); its news is given as a reason.
        """
        now = to_utc(now) if now is not None else datetime.now(UTC)
        lead = context.lead
        fit_reason: tuple[str, ...] = ()
        if icp_fit is not None:
            fit_reason = (f"ICP fit {icp_fit.tier} ({icp_fit.score:.0f}/100)",)
            if icp_fit.tier == "Low":
                fit_reason += ("low ICP fit: weigh whether this lead deserves the seller's time",)
        fit_reason += _research_reasons(research)
        if not lead.is_open:
            return NextAction(kind="none", reasons=(f"the lead is already {lead.status.value}",))
        suppressed = self.suppression.reason_for_lead(lead)
        if suppressed:
            return NextAction(
                kind="none",
                reasons=(f"no outreach: {suppressed}",),
                suggest_disqualify=True,
            )
        thread = classify_thread(context, classifier=self.classifier) if self.read_emails else []
        interest = assess_interest(context, now=now, thread=thread)
        bant = assess_bant(context, thread=thread)
        action = self._decide(context, thread, now, email_check, fit_reason)
        warnings = address_warnings(context.lead)
        return action.model_copy(update={"interest": interest, "bant": bant, "warnings": warnings})

    def _decide(
        self,
        context: LeadContext,
        thread: Sequence[tuple[EmailMessage, ReplyIntent]],
        now: datetime,
        email_check: EmailCheckLike | None,
        fit_reason: tuple[str, ...],
    ) -> NextAction:
        lead = context.lead
        emails = context.emails
        if not emails:
            return self._before_first_email(context, now, email_check, fit_reason)
        last = emails[-1]
        if last.direction == "inbound":
            if not self.read_emails:
                return NextAction(
                    kind="create_task",
                    task_subject=f"Read and answer {lead.full_name or 'the lead'}'s email",
                    reasons=(
                        f"the lead wrote last, on {last.sent_at:%Y-%m-%d}",
                        "reading emails is not consented, so the reply was not classified",
                    ),
                )
            # By position, not time: a reply can carry the same (minute) timestamp as ours.
            outbound = [i for i, m in enumerate(emails) if m.direction == "outbound"]
            after = emails[outbound[-1] + 1 :] if outbound else emails
            message, intent = _decisive_reply(thread, {m.id for m in after})
            return self._after_reply(context, message, intent, now, fit_reason)
        return self._reply_pending(context, emails, thread, now, fit_reason)

    # -- before any email ----------------------------------------------------------------------

    def _before_first_email(
        self,
        context: LeadContext,
        now: datetime,
        check: EmailCheckLike | None,
        fit_reason: tuple[str, ...],
    ) -> NextAction:
        conditions = check_initial_outreach(context, now=now, email_check=check)
        unmet = [c for c in conditions if not c.met]
        lead = context.lead
        who = lead.full_name or lead.id
        inbound = sorted(
            (a for a in context.activities if getattr(a, "direction", None) == "inbound"),
            key=lambda a: a.occurred_at,
        )
        reached_out = (
            (
                f"the lead reached out by {inbound[-1].kind.replace('_', ' ')} on "
                f"{inbound[-1].occurred_at:%Y-%m-%d}: answer promptly",
            )
            if inbound
            else ()
        )
        if not unmet:
            email = next(c.detail for c in conditions if c.name == "deliverable_email")
            address = (
                "a deliverable address"
                if email == "the address is deliverable"
                else email.removeprefix("the address is ").replace(
                    "well formed", "a well-formed address"
                )
            )
            return NextAction(
                kind="initial_outreach",
                reasons=(
                    "every initial-outreach condition holds: no emails, meetings or unanswered "
                    f"calls yet, a company name, {address}, first and last name",
                    *reached_out,
                    *fit_reason,
                ),
                conditions=conditions,
            )
        unmet_text = tuple(f"not initial outreach: {c.name} ({c.detail})" for c in unmet)
        upcoming = [a for a in context.appointments if a.status == "scheduled" and a.start > now]
        if upcoming:
            return NextAction(
                kind="wait",
                wait_until=upcoming[0].start,
                reasons=(
                    f"a meeting is booked for {upcoming[0].start:%Y-%m-%d %H:%M} UTC: prepare "
                    "for it rather than email",
                    *unmet_text,
                ),
                conditions=conditions,
            )
        # Activity already happened without email (a meeting held, a call missed): follow up,
        # unless there is no address to write to.
        past = [a for a in context.appointments if a.status != "canceled" and a.start <= now]
        calls = [c for c in context.phone_calls if not c.answered]
        bad_address = lead.email is None or (check is not None and not check.is_valid)
        if (past or calls) and not bad_address:
            why = (
                f"met on {past[-1].start:%Y-%m-%d}: follow up by email"
                if past
                else f"a call on {calls[-1].started_at:%Y-%m-%d} went unanswered: follow up by "
                "email"
            )
            return NextAction(
                kind="follow_up_email",
                reasons=(why, *unmet_text, *fit_reason),
                conditions=conditions,
            )
        data_problems = [
            c
            for c in unmet
            if c.name in ("company_name", "deliverable_email", "first_and_last_name")
        ]
        if [c.name for c in data_problems] == ["deliverable_email"] and check is None:
            subject = f"Check {who}'s email address before outreach"
        else:
            subject = f"Complete {who}'s record before outreach: "
            subject += "; ".join(c.detail for c in data_problems)
        return NextAction(
            kind="create_task",
            task_subject=subject[:250],
            reasons=(*unmet_text, *reached_out, *fit_reason),
            conditions=conditions,
        )

    # -- the lead replied ----------------------------------------------------------------------

    def _after_reply(
        self,
        context: LeadContext,
        message: EmailMessage,
        intent: ReplyIntent,
        now: datetime,
        fit_reason: tuple[str, ...],
    ) -> NextAction:
        lead = context.lead
        said = f"\u201c{intent.evidence}\u201d" if intent.evidence else "(no text)"
        first = (
            f"the lead's latest email ({message.sent_at:%Y-%m-%d}) is {intent.intent.replace('_', ' ')} "
            f"(confidence {intent.confidence:.2f}): {said}"
        )
        who = lead.full_name or "the lead"
        company = lead.company_name or (context.account.name if context.account else "the lead")
        kind = intent.intent
        # Every action on a reply names the reply and the email it answers.
        answer = partial(NextAction, reply=intent, reply_email_id=message.id)
        if kind == "meeting_request":
            upcoming = [
                a for a in context.appointments if a.status == "scheduled" and a.start > now
            ]
            if upcoming and upcoming[-1].start > message.sent_at:
                return answer(
                    kind="wait",
                    wait_until=upcoming[-1].start,
                    reasons=(first, f"already booked for {upcoming[-1].start:%Y-%m-%d %H:%M} UTC"),
                )
            slots = self.propose_slots(context, now=now, request=clean_reply(message.body))
            return answer(
                kind="schedule_appointment",
                slots=slots,
                reasons=(
                    first,
                    "propose times and send an invitation: "
                    + ", ".join(f"{s.local()[0]:%a %d %b %H:%M %Z}" for s in slots),
                    *fit_reason,
                ),
            )
        if kind == "pricing_request":
            # Only the lead's own words: quoted earlier mail may be our own discount offer.
            discount = bool(_ASKS_FOR_DISCOUNT.search(clean_reply(message.body)))
            subject = (
                f"Prepare {'pricing and a discount decision' if discount else 'a quote'} for "
                f"{company} (request of {message.sent_at:%Y-%m-%d})"
            )
            return answer(
                kind="create_task",
                task_subject=subject,
                reasons=(
                    first,
                    "pricing"
                    + (" and a discount need" if discount else " needs")
                    + " internal work before answering",
                    *fit_reason,
                ),
            )
        if kind in _ANSWER_BY_EMAIL:
            return answer(
                kind="follow_up_email",
                reasons=(first, _ANSWER_BY_EMAIL[kind], *fit_reason),
            )
        if kind == "not_interested":
            unsubscribe = bool(_ASKS_NOT_TO_BE_CONTACTED.search(clean_reply(message.body)))
            reasons = [first, "the lead is not interested: suggest disqualifying"]
            if unsubscribe:
                reasons.append(
                    "the lead asked not to be contacted: add the address to the suppression list"
                )
            return answer(
                kind="none",
                suggest_disqualify=True,
                suppress_address=unsubscribe,
                reasons=tuple(reasons),
            )
        if kind == "out_of_office":
            back = intent.return_date
            if back is not None:
                until = self._morning_after(back)
                why = f"out of the office until {back:%Y-%m-%d}: follow up the day after"
            else:
                until = message.sent_at + timedelta(days=7)
                why = "out of the office with no return date: look again in a week"
            if until <= now:
                return answer(
                    kind="follow_up_email",
                    reasons=(first, f"{why}; that day has passed"),
                )
            return answer(
                kind="wait",
                wait_until=until,
                reasons=(first, why),
            )
        if kind == "referral":
            people = ", ".join(intent.referred_to) or "the person named in the reply"
            return answer(
                kind="create_task",
                task_subject=f"Add the contact {who} referred you to at {company} and reach out",
                reasons=(
                    first,
                    f"referred to {people} (check the address before adding the contact)",
                ),
            )
        if kind == "bounce":
            return answer(
                kind="create_task",
                task_subject=f"Find a working email address for {who} at {company}",
                reasons=(first, "the last email bounced: the address does not receive mail"),
            )
        due = message.sent_at + timedelta(days=self.follow_up_after_days)
        if due > now:
            return answer(
                kind="wait",
                wait_until=due,
                reasons=(first, "nothing to act on yet: give the lead time, then follow up"),
            )
        return answer(
            kind="follow_up_email",
            reasons=(first, f"no news since {message.sent_at:%Y-%m-%d}: follow up"),
        )

    # -- we wrote last -------------------------------------------------------------------------

    def _reply_pending(
        self,
        context: LeadContext,
        emails: Sequence[EmailMessage],
        thread: Sequence[tuple[EmailMessage, ReplyIntent]],
        now: datetime,
        fit_reason: tuple[str, ...],
    ) -> NextAction:
        last = emails[-1]
        inbound = [m for m in emails if m.direction == "inbound"]
        if not inbound:
            unanswered = sum(1 for m in emails if m.direction == "outbound")
            if unanswered >= self.max_unanswered:
                return NextAction(
                    kind="none",
                    suggest_disqualify=True,
                    reasons=(
                        f"{unanswered} emails without any reply: suggest disqualifying or "
                        "trying another channel",
                    ),
                )
        # An earlier out-of-office reply still running keeps us waiting.
        for message, intent in reversed(thread):
            if intent.intent == "out_of_office" and intent.return_date is not None:
                until = self._morning_after(intent.return_date)
                if until > now:
                    return NextAction(
                        kind="wait",
                        wait_until=until,
                        reasons=(
                            f"out of the office until {intent.return_date:%Y-%m-%d} "
                            f"(auto-reply of {message.sent_at:%Y-%m-%d})",
                        ),
                        reply=intent,
                        reply_email_id=message.id,
                    )
            break
        due = last.sent_at + timedelta(days=self.follow_up_after_days)
        if due > now:
            return NextAction(
                kind="wait",
                wait_until=due,
                reasons=(
                    f"reply pending to the email of {last.sent_at:%Y-%m-%d}: follow up from "
                    f"{due:%Y-%m-%d} if there is no answer",
                ),
            )
        return NextAction(
            kind="follow_up_email",
            reasons=(
                f"no reply to the email of {last.sent_at:%Y-%m-%d} after "
                f"{(now - last.sent_at).days} days: send a short follow-up",
                *fit_reason,
            ),
        )

    def _morning_after(self, day: date) -> datetime:
        """9:00 the day after ``day`` in the advisor's zone, in UTC: when to follow up."""
        return datetime.combine(day + timedelta(days=1), time(9, 0), tzinfo=self._zone).astimezone(
            UTC
        )

    # -- meeting slots -------------------------------------------------------------------------

    def propose_slots(
        self, context: LeadContext, /, *, now: datetime | None = None, request: str = ""
    ) -> tuple[ProposedSlot, ...]:
        """Meeting times on the days and hours the lead named (else the next business days).

        Slots start the next business day at the earliest, avoid the lead's booked meetings,
        and are ``meeting_minutes`` long. ``now`` defaults to the current time.
        """
        local_now = (to_utc(now) if now is not None else datetime.now(UTC)).astimezone(self._zone)
        days = _business_days(
            (local_now + timedelta(days=1)).date(), self.slot_count, preferred_days(request)
        )
        hours = preferred_hours(request) or list(self.default_hours)
        busy = [(a.start, a.end) for a in context.appointments if a.status == "scheduled"]
        length = timedelta(minutes=self.meeting_minutes)
        slots: list[ProposedSlot] = []
        for day in days:
            for hour in hours:
                # the hour is the lead's or the default, in the advisor's zone (DST included)
                start = datetime.combine(day, time(hour, 0), tzinfo=self._zone).astimezone(UTC)
                end = start + length
                if any(s < end and start < e for s, e in busy):
                    continue
                slots.append(ProposedSlot(start=start, end=end, time_zone=self.time_zone))
                break
        return tuple(slots[: self.slot_count])
