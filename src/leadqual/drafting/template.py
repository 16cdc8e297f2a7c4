"""The deterministic drafter: emails from templates, personalised from known facts only.

:class:`TemplateDrafter` personalises from the vendor's company and product knowledge
(:class:`~leadqual.config.AgentConfig`), research facts (a news item, the lead's need, the ICP
match) and the lead's fields, and signs as the owning seller. A fact that is not known is never
invented: it becomes a clearly marked placeholder (``[[FILL: ...]]``) listed on the draft.

Examples:
    >>> from datetime import UTC, datetime
    >>> from leadqual.sources import build_context, load_sample, load_sample_config
    >>> from leadqual.drafting import ActionAdvisor
    >>> ctx = build_context(load_sample(), "L-0179")
    >>> action = ActionAdvisor().advise(ctx, now=datetime(2026, 11, 1, tzinfo=UTC))
    >>> draft = TemplateDrafter(load_sample_config()).draft(ctx, action)
    >>> draft.to == (ctx.lead.email,), draft.drafter
    (True, 'template')
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Self

from leadqual._compat import warn_deprecated
from leadqual._text import content_tokens
from leadqual.config import AgentConfig, ProductKnowledge, require_config
from leadqual.drafting._grounding import commitments
from leadqual.drafting._normalize import has_invisible
from leadqual.drafting.advisor import NextAction
from leadqual.drafting.drafts import ADDRESS_PATTERN, Draft, DraftFact
from leadqual.drafting.facts import collect_facts
from leadqual.drafting.guards import (
    PLACEHOLDER_PATTERN,
    AllowedContent,
    check_text,
    find_emails,
    find_links,
    find_phones,
    hidden_characters,
    looks_like_injection,
    placeholder,
    safe_fact_text,
    url_key,
)
from leadqual.drafting.inputs import Fact, IcpFitLike, ResearchInput
from leadqual.errors import ConfigurationError, DraftBlocked, NothingToDraft
from leadqual.models import EmailMessage, LeadContext
from leadqual.suppression import SuppressionList

__all__ = ["TemplateDrafter"]

logger = logging.getLogger(__name__)

_SENTENCE_WORDS = re.compile(
    r"\b(?:i|we|our|my|us|is|are|was|were|keeps?|need|needs|want|wants|have|has|can'?t|"
    r"don'?t|do|does|spend|spends|looking|struggl\w*)\b",
    re.IGNORECASE,
)


_COMPANY_HOLE = "the lead's company name"
_NAME_PUNCTUATION = re.compile(r"[;:!?()\[\]{}<>\"\u201c\u201d|/\\]")


def quotable(text: str, *, max_chars: int = 220) -> str | None:
    """``text`` (the lead's need or subject, a news title) when a draft may quote it, else ``None``.

    Beyond :func:`~leadqual.drafting.guards.safe_fact_text` (no link, address, phone number,
    instructions or hidden characters), it must make no commitment: a quoted "your 40% discount"
    reads as if the vendor confirmed it.
    """
    safe = safe_fact_text(text, max_chars=max_chars)
    return safe if safe is not None and not commitments(safe) else None


def clean_name(text: str | None) -> str | None:
    """``text`` (a company name, an industry) when a draft may name it as written, else ``None``:
    short, one line, no link, address, number-like offer, commitment or sentence punctuation."""
    if not text or not text.strip():
        return None
    one = " ".join(text.split())
    if len(one) > 80 or len(one.split()) > 8 or _NAME_PUNCTUATION.search(one):
        return None
    # A company may be named like a site ("Booking.com"): a bare host is a name, a page is not.
    if any(url_key(link) is None or "/" in link for link in find_links(one)):
        return None
    if find_emails(one) or find_phones(one) or looks_like_injection(one) or commitments(one):
        return None
    if hidden_characters(one) or has_invisible(one) or PLACEHOLDER_PATTERN.search(one):
        return None
    return one


def _is_phrase(text: str) -> bool:
    """Whether ``text`` is a short noun phrase ("unreliable pipeline forecasts")."""
    return len(text.split()) <= 6 and not _SENTENCE_WORDS.search(text)


def _words(text: str) -> set[str]:
    """The stemmed content words of ``text`` (need matching, as the ICP matcher does it)."""
    return set(content_tokens(text))


def _pick_product(config: AgentConfig, context: LeadContext) -> tuple[ProductKnowledge, str | None]:
    """The product whose pain points best match the lead's need, and the pain point matched."""
    lead = context.lead
    wanted = _words(" ".join(v for v in (lead.need, lead.topic, lead.description) if v))
    best: tuple[int, ProductKnowledge, str | None] = (0, config.products[0], None)
    for product in config.products:
        for pain in product.pain_points:
            score = len(wanted & _words(pain))
            if score > best[0]:
                best = (score, product, pain)
    return best[1], best[2]


def _lower_first(text: str) -> str:
    """``text`` with its first word in lower case, unless that word is an acronym ("CRM")."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and not first[1:].islower():
        return text
    return text[0].lower() + text[1:]


def _day(when: datetime) -> str:
    return f"{when.day} {when:%B}"


def _value_for(product: ProductKnowledge, pain: str | None) -> str | None:
    """The value proposition that speaks to ``pain`` (or the first one when no pain matched)."""
    if not product.value_propositions:
        return None
    if pain is None:
        return product.value_propositions[0]
    scored = [(len(_words(pain) & _words(v)), v) for v in product.value_propositions]
    best = max(scored, key=lambda sv: sv[0])
    return best[1] if best[0] > 0 else None


class TemplateDrafter:
    """Deterministic drafts from templates, personalised from known facts only.

    Args:
        config: the vendor's company and product knowledge.
        suppression: opted-out addresses, domains and companies
            (:class:`~leadqual.suppression.SuppressionList`); drafting for them raises
            :class:`~leadqual.errors.DraftBlocked`.
        disclosure: an optional line added above the signature (e.g. an AI-use disclosure).
        max_chars: the longest body allowed.

    Examples:
        >>> from leadqual.sources import load_sample_config
        >>> TemplateDrafter(load_sample_config(), disclosure="Drafted with AI help.").disclosure
        'Drafted with AI help.'
    """

    name = "template"

    def __init__(
        self,
        config: AgentConfig,
        /,
        *,
        suppression: SuppressionList | None = None,
        disclosure: str | None = None,
        max_chars: int = 3000,
    ) -> None:
        if max_chars < 200:
            raise ConfigurationError("max_chars must be at least 200")
        if disclosure is not None and (find_links(disclosure) or find_emails(disclosure)):
            raise ConfigurationError("the disclosure line must not carry links or addresses")
        self.config = require_config(config, "TemplateDrafter")
        self.suppression = suppression or SuppressionList()
        self.disclosure = disclosure
        self.max_chars = max_chars

    @classmethod
    def from_config(cls, config: AgentConfig, /, **overrides: Any) -> Self:
        """A drafter for the vendor and products of ``config``; ``overrides`` are constructor
        keywords (``suppression=``, ``disclosure=``, ``max_chars=``)."""
        return cls(config, **overrides)

    def allowed_content(self, context: LeadContext) -> AllowedContent:
        """Links, addresses and numbers a draft for this lead may contain (trusted inputs only)."""
        lead, account = context.lead, context.account
        # Links are the vendor's, exactly as configured. The lead's own company may be named like a
        # site ("Booking.com"), and its website and the domain of its address may be mentioned, but
        # as a bare host only: those fields come from a form or the web, so a page, query or
        # fragment given with them is never a link the vendor vouches for.
        company_cfg = self.config.company
        urls = {u for u in (company_cfg.website, *company_cfg.links) if u}
        names = {
            n.strip()
            for n in (
                lead.website,
                lead.company_name,
                lead.email.rpartition("@")[2] if lead.email else None,
                account.website if account else None,
                account.name if account else None,
            )
            if n and " " not in n.strip()
        }
        emails = {e for e in (context.lead.email,) if e}
        phones: set[str] = set()
        if context.owner is not None:
            if context.owner.email:
                emails.add(context.owner.email)
            if context.owner.phone:
                phones.add(context.owner.phone)
        return AllowedContent(
            urls=frozenset(urls),
            emails=frozenset(emails),
            phones=frozenset(phones),
            names=frozenset(names),
        )

    def _guard_recipient(self, context: LeadContext, action: NextAction) -> str:
        if not action.needs_draft:
            raise NothingToDraft(f"a {action.kind} action needs no email")
        address = context.lead.email
        if not address:
            raise NothingToDraft(f"lead {context.lead.id} has no email address")
        if not ADDRESS_PATTERN.fullmatch(address):
            raise NothingToDraft(
                f"lead {context.lead.id} has no usable email address: {address!r} is not one "
                "address (check it before drafting)"
            )
        reason = self.suppression.reason_for(address) or self.suppression.reason_for_lead(
            context.lead
        )
        if reason:
            raise DraftBlocked(f"no draft for lead {context.lead.id}: {reason}", reason=reason)
        return address

    def draft(
        self,
        context: LeadContext,
        action: NextAction,
        /,
        *,
        research: ResearchInput | None = None,
        icp_fit: IcpFitLike | None = None,
    ) -> Draft:
        """The template draft for ``action`` (see :class:`~leadqual.drafting.Drafter`).

        Raises:
            NothingToDraft: the action needs no email, or the lead has no usable address.
            DraftBlocked: the lead is on the suppression list.
        """
        address = self._guard_recipient(context, action)
        draft = self._render(context, action, collect_facts(research), icp_fit, address)
        problems = self.problems(draft, context)
        if problems:
            # Research is the only input not fully under our control: drop it and say so.
            logger.warning("template draft failed its checks; rendering without research")
            retry = self._render(context, action, [], icp_fit, address)
            draft = retry.replace(notes=(*retry.notes, *(f"left out: {p}" for p in problems)))
            if self.problems(draft, context):
                raise NothingToDraft(f"no safe draft for lead {context.lead.id}: {problems}")
        return draft

    async def adraft(
        self,
        context: LeadContext,
        action: NextAction,
        /,
        *,
        research: ResearchInput | None = None,
        icp_fit: IcpFitLike | None = None,
    ) -> Draft:
        """:meth:`draft` for async callers (the :class:`~leadqual.drafting.Drafter` protocol);
        templates need no I/O, so it runs inline."""
        return self.draft(context, action, research=research, icp_fit=icp_fit)

    def check(self, draft: Draft, context: LeadContext) -> list[str]:
        """Deprecated: :meth:`problems` (``check`` named four different actions)."""
        warn_deprecated("TemplateDrafter.check() is deprecated: use TemplateDrafter.problems()")
        return self.problems(draft, context)

    def problems(self, draft: Draft, context: LeadContext) -> list[str]:
        """Problems with ``draft`` for this lead; an empty list means it may be shown."""
        problems = check_text(
            draft.subject + "\n" + draft.body,
            allowed=self.allowed_content(context),
            declared_placeholders=draft.placeholders,
            max_chars=self.max_chars,
        )
        if draft.to != (context.lead.email,):
            problems.append(f"the recipient is not the lead's address: {draft.to}")
        # A first name a draft may not carry is left out of the greeting (see _render).
        first = clean_name(context.lead.first_name)
        if first and first not in draft.body.split("\n\n", 1)[0]:
            problems.append(f"the greeting does not name {first}")
        owner = context.owner.name if context.owner else None
        if owner and owner not in draft.body:
            problems.append(f"the draft is not signed by {owner}")
        company = context.lead.company_name or (context.account.name if context.account else None)
        if draft.action == "initial_outreach" and company:
            if clean_name(company) is None:
                if _COMPANY_HOLE not in draft.placeholders:
                    problems.append("the lead's company name is unsafe to quote and not left open")
            elif company.rstrip(".") not in draft.subject + draft.body:
                problems.append(f"the draft does not name the lead's company, {company}")
        if self.disclosure and self.disclosure not in draft.body:
            problems.append("the AI-use disclosure line is missing")
        return problems

    # -- rendering -----------------------------------------------------------------------------

    def _render(
        self,
        context: LeadContext,
        action: NextAction,
        facts: Sequence[Fact],
        icp_fit: IcpFitLike | None,
        address: str,
    ) -> Draft:
        lead = context.lead
        raw_company = lead.company_name or (context.account.name if context.account else None)
        company = clean_name(raw_company)
        product, pain = _pick_product(self.config, context)
        used: list[DraftFact] = []
        notes: list[str] = []
        holes: list[str] = []
        if raw_company and company is None:
            notes.append(
                "left out the lead's company name: it carried a link, an offer, instructions or "
                "punctuation a name does not have"
            )

        def hole(description: str) -> str:
            text = placeholder(description)
            holes.append(PLACEHOLDER_PATTERN.fullmatch(text).group(1))  # type: ignore[union-attr]
            return text

        company_text = company or hole(_COMPANY_HOLE)
        first_name = clean_name(lead.first_name)
        if lead.first_name and lead.first_name.strip() and first_name is None:
            # The name field is lead-supplied text: a greeting never carries markup, a link or
            # an instruction, and the draft is still written.
            notes.append(
                "left out the lead's first name: it carried markup, a link, instructions or "
                "punctuation a name does not have"
            )
        greeting = f"Hi {first_name}," if first_name else "Hello,"
        emails = context.emails
        last_out = next((m for m in reversed(emails) if m.direction == "outbound"), None)
        last_in = next((m for m in reversed(emails) if m.direction == "inbound"), None)

        opening = (
            self._opening(context, facts, icp_fit, company, used, notes)
            if action.kind == "initial_outreach"
            else None
        )
        value = _value_for(product, pain)
        used.append(DraftFact(text=product.description, source="config: products", kind="product"))
        if pain and value:
            value_line = f"{product.name} helps teams with {pain}: {value[0].lower() + value[1:]}."
        elif pain:
            value_line = f"{product.name} helps revenue teams that struggle with {pain}."
        elif value:
            value_line = f"With {product.name}: {value[0].lower() + value[1:]}."
        else:
            value_line = f"{product.name}: {product.description}"
        if value:
            used.append(DraftFact(text=value, source="config: value_propositions", kind="product"))
        proof = product.proof_points[0] if product.proof_points else None
        if proof:
            used.append(DraftFact(text=proof, source="config: proof_points", kind="product"))

        # Our own subject line first: the lead's is untrusted text and may carry anything.
        lead_subject = quotable(last_in.subject or "") if last_in is not None else None
        thread_subject = (
            (last_out.subject if last_out is not None else None)
            or lead_subject
            or f"{company_text} and {product.name}"
        )
        subject: str
        paragraphs: list[str]
        in_reply_to: str | None = None
        if action.kind == "initial_outreach":
            subject = f"{company_text} and {product.name}"
            paragraphs = [
                opening or hole(f"a personal opening line about {company or 'the company'}"),
                value_line,
                *([f"For example: {proof}."] if proof else []),
                "Would a 20-minute call in the next two weeks be useful?",
            ]
        elif action.kind == "schedule_appointment":
            subject = _re(thread_subject)
            in_reply_to = last_in.message_id if last_in else None
            if action.slots:
                slots = "\n".join(f"- {s.describe()}" for s in action.slots)
                times = f"Would one of these times work for you?\n\n{slots}"
            else:
                times = "Which times suit you? " + hole("two or three times you can offer")
            paragraphs = [
                "Thank you for your reply; I would be glad to set up a call.",
                times,
                "I will send a calendar invitation as soon as you confirm.",
            ]
        else:
            subject = _re(thread_subject)
            in_reply_to = last_in.message_id if last_in else None
            paragraphs = self._follow_up(context, action, value_line, proof, last_out, hole)

        signature = self._signature(context, used, hole)
        body_parts = [greeting, *paragraphs]
        if self.disclosure:
            body_parts.append(self.disclosure)
        body_parts.append(signature)
        body = "\n\n".join(p for p in body_parts if p)
        from_address = context.owner.email if context.owner else None
        return Draft(
            to=(address,),
            subject=subject,
            body=body,
            action=action.kind,
            from_address=from_address,
            in_reply_to=in_reply_to,
            reasons=action.reasons,
            facts=tuple(used),
            placeholders=tuple(dict.fromkeys(holes)),
            drafter="template",
            notes=(*action.warnings, *notes),
        )

    def _opening(
        self,
        context: LeadContext,
        facts: Sequence[Fact],
        icp_fit: IcpFitLike | None,
        company: str | None,
        used: list[DraftFact],
        notes: list[str],
    ) -> str | None:
        lead = context.lead
        for fact in facts:
            if fact.kind != "news":
                continue
            safe = quotable(fact.text, max_chars=160)
            if safe is None:
                notes.append(
                    f"left out a research fact from {fact.source}: it carried a link, an address, "
                    "an offer or instructions, or was too long"
                )
                continue
            used.append(DraftFact(text=safe, source=fact.source, kind="news"))
            return f"I read the recent news about {company or 'your company'}: \u201c{safe}\u201d."
        if lead.need:
            safe = quotable(lead.need, max_chars=160)
            if safe is not None:
                used.append(DraftFact(text=safe, source="CRM: lead.need", kind="need"))
                about = f" at {company.rstrip('.')}" if company else ""
                if _is_phrase(safe):
                    return f"You mentioned {_lower_first(safe)} as a priority{about}."
                # A whole sentence in the lead's own words reads best quoted.
                return f"You told us: \u201c{safe}.\u201d"
            notes.append(
                "left out the lead's stated need: too long to quote"
                if len(" ".join(lead.need.split())) > 160
                else "left out the lead's stated need: it carried a link, an address, an offer "
                "or instructions"
            )
        industry = clean_name(
            lead.industry or (context.account.industry if context.account else None)
        )
        if industry and icp_fit is not None and icp_fit.tier in ("High", "Moderate"):
            used.append(
                DraftFact(
                    text=f"ICP fit {icp_fit.tier}, industry {industry}",
                    source="ICP fit",
                    kind="icp",
                )
            )
            return f"We work with a number of {industry} revenue teams like {company or 'yours'}."
        return None

    def _follow_up(
        self,
        context: LeadContext,
        action: NextAction,
        value_line: str,
        proof: str | None,
        last_out: EmailMessage | None,
        fill: Callable[[str], str],
    ) -> list[str]:
        intent = action.reply.intent if action.reply else None
        if intent == "information_request":
            return [
                "Thank you for your questions.",
                fill("the answer to the lead's question (see the reasons)"),
                value_line,
                "If it is easier, I can walk you through it on a short call.",
            ]
        if intent == "objection":
            return [
                "Thank you for being candid; that is a fair point.",
                *([f"For what it is worth: {proof}."] if proof else []),
                fill("your answer to the lead's concern (see the reasons)"),
                "Would a short call help to see whether it fits, with no commitment?",
            ]
        past = [a for a in context.appointments if a.status == "completed"]
        calls = [c for c in context.phone_calls if not c.answered]
        if not context.emails and past:
            first_line = f"Thank you for your time on {_day(past[-1].start)}."
        elif not context.emails and calls:
            first_line = f"I tried to reach you by phone on {_day(calls[-1].started_at)}."
        elif last_out is not None:
            first_line = f"I wanted to follow up on my email of {_day(last_out.sent_at)}."
        else:
            first_line = "I wanted to follow up on your note."
        return [
            first_line,
            value_line,
            "Would a short call be worthwhile, or is there someone else I should talk to?",
        ]

    def _signature(
        self, context: LeadContext, used: list[DraftFact], hole: Callable[[str], str]
    ) -> str:
        owner = context.owner
        lines = ["Best regards,"]
        if owner is not None:
            lines.append(owner.name)
            if owner.title:
                lines.append(owner.title)
            used.append(DraftFact(text=owner.name, source="CRM: lead owner", kind="seller"))
        else:
            lines.append(hole("your name"))
        lines.append(self.config.company.name)
        if self.config.company.website:
            lines.append(self.config.company.website)
        if owner is not None and owner.phone:
            lines.append(owner.phone)
        return "\n".join(lines)


def _re(subject: str | None) -> str:
    subject = (subject or "").strip()
    if re.match(r"^(?:re|aw|sv)\s*:", subject, re.I):
        return "Re: " + re.sub(r"^(?:(?:re|aw|sv)\s*:\s*)+", "", subject, flags=re.I)
    if re.match(r"^(?:automatic reply|auto[- ]?reply|out of office|undeliver)", subject, re.I):
        subject = re.sub(r"^[^:]*:\s*", "", subject)
    return f"Re: {subject}" if subject else "Following up"
