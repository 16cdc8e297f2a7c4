"""CRM insights: what the CRM already knows about a lead and its account.

Built from any :class:`~leadqual.sources.CrmSource`, offline and without consent (nothing leaves
the CRM): a lead summary and an account summary over the fields the admin chose
(``AgentConfig.lead_summary_fields`` / ``account_summary_fields``), who knows whom (colleagues who
emailed, met, called or chatted with the lead, with counts and the last interaction), the open
opportunities of the lead and of its account, suggested contacts each with its reasons, and —
when the lead is not linked — "connect an account" / "connect a contact" suggestions found by
matching company names and email domains. A link made by hand is remembered in
:class:`ManualLinks` and reused.

Examples:
    >>> from leadqual.sources import load_sample, load_sample_config, SAMPLE_AS_OF
    >>> builder = CrmInsightsBuilder(load_sample(), config=load_sample_config())
    >>> insights = builder.build("L-0001", now=SAMPLE_AS_OF)
    >>> insights.lead_summary.fields[0].label
    'Company name'
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field
from rapidfuzz import fuzz, process

from leadqual._base import FrozenModel, UtcDatetime, to_utc
from leadqual._domains import (
    company_website_domain,
    email_domain,
    is_free_email_domain,
    registrable_domain,
)
from leadqual._fields import get_path
from leadqual._geo import country_code
from leadqual._text import normalize_company_name
from leadqual.config import AgentConfig
from leadqual.errors import ConfigurationError, RecordNotFound
from leadqual.models import (
    Account,
    Appointment,
    ChatMessage,
    Contact,
    EmailMessage,
    Lead,
    LeadContext,
    Opportunity,
    OpportunityStatus,
    PhoneCall,
    RecordRef,
    Seller,
)
from leadqual.sources.base import CrmSource, build_context

__all__ = [
    "AccountSummary",
    "ColleagueInteraction",
    "CrmInsights",
    "CrmInsightsBuilder",
    "LeadSummary",
    "LinkSuggestion",
    "ManualLinks",
    "OpportunityBrief",
    "SuggestedContact",
    "SummaryField",
]

logger = logging.getLogger(__name__)

ScalarValue = str | int | float | bool | None
_ROOTS: Mapping[str, type[BaseModel]] = {
    "lead": Lead,
    "account": Account,
    "contact": Contact,
    "owner": Seller,
}
_DECISION_TITLE = re.compile(
    r"\b(chief|ceo|cto|cio|cfo|coo|cro|cmo|s?vp|evp|president|founder|owner|vice president|"
    r"head of|director|partner|managing director|general manager)\b",
    re.I,
)


class SummaryField(FrozenModel):
    """One configured field of a summary, with its value (``None`` when the CRM has none)."""

    path: str
    """The configured path, e.g. ``"account.address.country"``."""
    label: str
    value: ScalarValue = None

    @property
    def display(self) -> str:
        """The value as a seller reads it (``"—"`` when missing, thousands separated)."""
        if self.value is None or self.value == "":
            return "—"
        if isinstance(self.value, bool):
            return "yes" if self.value else "no"
        if isinstance(self.value, float) and self.value.is_integer():
            return f"{int(self.value):,}"
        if isinstance(self.value, int):
            return f"{self.value:,}"
        return str(self.value)


class LeadSummary(FrozenModel):
    """Key fields of the lead and its related records, as the admin configured them."""

    lead_id: str
    headline: str
    """``"Ada Lovelace, CTO at Analytical Ltd"``."""
    fields: tuple[SummaryField, ...] = ()
    missing: tuple[str, ...] = ()
    """Configured paths with no value: gaps a seller may want to fill."""
    text: str
    """The summary in one short paragraph."""


class AccountSummary(FrozenModel):
    """Key fields of the linked account, plus its size in the CRM."""

    account_id: str
    name: str
    fields: tuple[SummaryField, ...] = ()
    missing: tuple[str, ...] = ()
    contact_count: Annotated[int, Field(ge=0)] = 0
    open_opportunity_count: Annotated[int, Field(ge=0)] = 0
    open_pipeline_value: Annotated[float, Field(ge=0)] = 0.0
    text: str


class ColleagueInteraction(FrozenModel):
    """A co-worker who has interacted with the lead (who knows whom)."""

    seller_id: str | None
    """``None`` when the colleague is known only by email address (not a CRM user)."""
    name: str
    emails_sent: int = 0
    emails_received: int = 0
    meetings: int = 0
    calls: int = 0
    chats: int = 0
    last_interaction_at: UtcDatetime
    last_interaction_kind: Literal["email", "meeting", "call", "chat"]
    is_owner: bool = False

    @property
    def total(self) -> int:
        """Interactions of every kind."""
        return self.emails_sent + self.emails_received + self.meetings + self.calls + self.chats


class OpportunityBrief(FrozenModel):
    """An open opportunity, and why it relates to the lead."""

    id: str
    name: str
    relation: Literal["lead", "account", "contact"]
    stage: str | None = None
    estimated_value: float | None = None
    close_date: UtcDatetime | None = None
    owner_id: str | None = None


class SuggestedContact(FrozenModel):
    """A contact worth reaching, with a score 0-1 and the reasons behind it."""

    contact_id: str
    name: str
    job_title: str | None = None
    account_id: str | None = None
    score: Annotated[float, Field(ge=0, le=1)]
    reasons: tuple[str, ...]


class LinkSuggestion(FrozenModel):
    """A record the lead could be connected to ("connect an account" / "connect a contact")."""

    kind: Literal["account", "contact"]
    record_id: str
    name: str
    confidence: Annotated[float, Field(ge=0, le=1)]
    reasons: tuple[str, ...]


class CrmInsights(FrozenModel):
    """Everything the CRM says about a lead: the "About lead" and "About account" sections.

    Examples:
        >>> from leadqual.sources import load_sample, load_sample_config, SAMPLE_AS_OF
        >>> ins = CrmInsightsBuilder(load_sample(), config=load_sample_config()).build(
        ...     "L-0003", now=SAMPLE_AS_OF)
        >>> ins.account_link, ins.connect_account[0].name
        ('none', 'Yarrow County Services Inc.')
    """

    lead_id: str
    generated_at: UtcDatetime
    lead_summary: LeadSummary
    account_summary: AccountSummary | None = None
    account_link: Literal["crm", "manual", "none"] = "none"
    """How the account was found: on the lead record, through a remembered manual link, or not."""
    contact_link: Literal["crm", "manual", "none"] = "none"
    who_knows_whom: tuple[ColleagueInteraction, ...] = ()
    lead_opportunities: tuple[OpportunityBrief, ...] = ()
    """Open opportunities that came from the lead or belong to its contact."""
    account_opportunities: tuple[OpportunityBrief, ...] = ()
    suggested_contacts: tuple[SuggestedContact, ...] = ()
    connect_account: tuple[LinkSuggestion, ...] = ()
    """Accounts to connect when none is linked, best first."""
    connect_contact: tuple[LinkSuggestion, ...] = ()
    """Contacts to connect when none is linked, best first."""


class ManualLinks:
    """Links a seller made by hand from a lead to an account or contact; reused on every build.

    Persist with :meth:`to_dict` / :meth:`from_dict`; :meth:`erase` forgets a lead.

    Examples:
        >>> links = ManualLinks()
        >>> links.link("L-1", account_id="A-7")
        >>> links.get("L-1")
        {'account_id': 'A-7'}
    """

    def __init__(self, links: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._links: dict[str, dict[str, str]] = {}
        for lead_id, link in (links or {}).items():
            self.link(lead_id, account_id=link.get("account_id"), contact_id=link.get("contact_id"))

    def link(
        self, lead_id: str, /, *, account_id: str | None = None, contact_id: str | None = None
    ) -> None:
        """Remember that ``lead_id`` belongs to ``account_id`` and/or ``contact_id``."""
        if not lead_id:
            raise ConfigurationError("ManualLinks.link needs a lead id")
        if account_id is None and contact_id is None:
            raise ConfigurationError("ManualLinks.link needs account_id or contact_id")
        entry = self._links.setdefault(lead_id, {})
        if account_id is not None:
            entry["account_id"] = account_id
        if contact_id is not None:
            entry["contact_id"] = contact_id

    def get(self, lead_id: str, /) -> dict[str, str]:
        """The remembered links of a lead (empty when none)."""
        return dict(self._links.get(lead_id, {}))

    def erase(self, lead_id: str, /) -> int:
        """Forget a lead's links; return how many were removed."""
        return len(self._links.pop(lead_id, {}))

    def to_dict(self) -> dict[str, dict[str, str]]:
        """A JSON-safe copy for storage."""
        return {k: dict(v) for k, v in sorted(self._links.items())}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, str]], /) -> ManualLinks:
        """Rebuild from :meth:`to_dict` output."""
        return cls(data)


# -- field paths -------------------------------------------------------------------------------


def _check_path(path: str, *, setting: str) -> None:
    parts = path.split(".")
    root = _ROOTS.get(parts[0])
    if root is None or len(parts) < 2:
        raise ConfigurationError(
            f"{setting}: {path!r} must start with one of {', '.join(_ROOTS)} followed by a "
            "field, e.g. 'lead.job_title' or 'account.address.country'"
        )
    model: type[BaseModel] | None = root
    for i, part in enumerate(parts[1:], start=1):
        if model is None:
            raise ConfigurationError(f"{setting}: {path!r}: {parts[i - 1]!r} has no sub-fields")
        if part not in model.model_fields:
            raise ConfigurationError(
                f"{setting}: {path!r}: {model.__name__} has no field {part!r} "
                f"(fields: {', '.join(sorted(model.model_fields))})"
            )
        if part == "custom_fields":
            if len(parts) != i + 2:
                raise ConfigurationError(
                    f"{setting}: {path!r}: name one custom field, e.g. '{parts[0]}.custom_fields.tier'"
                )
            return
        annotation = model.model_fields[part].annotation
        nested = [
            t
            for t in getattr(annotation, "__args__", (annotation,))
            if isinstance(t, type) and issubclass(t, BaseModel)
        ]
        model = nested[0] if nested else None


def _scalar_at(context: LeadContext, path: str) -> ScalarValue:
    """The value at ``path`` as shown in a summary: text, a number, a flag, or ``None``."""
    obj = get_path(context, path)
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    if hasattr(obj, "value"):  # enums
        return str(obj.value)
    return str(obj)


def _label(path: str) -> str:
    last = path.rsplit(".", 1)[-1]
    text = last.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


# -- the builder ---------------------------------------------------------------------------------


class _Index:
    """Accounts and contacts indexed by domain and normalised name (built once per builder)."""

    def __init__(self, source: CrmSource) -> None:
        self.accounts: dict[str, Account] = {a.id: a for a in source.accounts()}
        self.contacts: dict[str, Contact] = {c.id: c for c in source.contacts()}
        self.account_by_domain: dict[str, list[str]] = {}
        self.account_by_name: dict[str, list[str]] = {}
        for a in self.accounts.values():
            if a.website and (d := company_website_domain(a.website)):
                self.account_by_domain.setdefault(d, []).append(a.id)
            self.account_by_name.setdefault(normalize_company_name(a.name), []).append(a.id)
        self.account_names: list[str] = list(self.account_by_name)
        named = [c for c in self.contacts.values() if c.full_name]
        self.contact_ids: list[str] = [c.id for c in named]
        self.contact_names: list[str] = [c.full_name.casefold() for c in named]
        self.contacts_by_email: dict[str, list[str]] = {}
        self.contacts_by_domain: dict[str, list[str]] = {}
        self.contacts_by_account: dict[str, list[str]] = {}
        for c in self.contacts.values():
            for address in c.all_emails:
                self.contacts_by_email.setdefault(address.strip().lower(), []).append(c.id)
                d = email_domain(address)
                if d and not is_free_email_domain(d):
                    # keyed like _lead_domain: one dict lookup per lead, not a scan of every domain
                    key = registrable_domain(d) or d
                    self.contacts_by_domain.setdefault(key, []).append(c.id)
            if c.account_id:
                self.contacts_by_account.setdefault(c.account_id, []).append(c.id)


_Linked = TypeVar("_Linked", Account, Contact)


def _follow(
    get: Callable[[str], _Linked], record_id: str, kind: str, lead_id: str
) -> _Linked | None:
    """The record a remembered manual link points to; ``None`` when it has since been deleted."""
    try:
        return get(record_id)
    except RecordNotFound:
        logger.warning("manual link of lead %s to a deleted %s ignored", lead_id, kind)
        return None


def _link_of(
    record: Account | Contact | None, manual_id: str | None
) -> Literal["crm", "manual", "none"]:
    """How a context came by its account or contact: a remembered manual link, or the CRM's."""
    if record is None:
        return "none"
    return "manual" if manual_id == record.id else "crm"


class CrmInsightsBuilder:
    """Builds :class:`CrmInsights` for leads of one CRM.

    Args:
        source: the CRM.
        config: supplies the summary fields (checked here: a bad path raises
            :class:`~leadqual.errors.ConfigurationError` naming it).
        links: remembered manual links (a fresh, empty :class:`ManualLinks` by default).
        max_suggestions: how many contacts and link suggestions to return at most.
        recent_days: interactions within this many days count as recent when ranking contacts.

    The accounts and contacts are indexed on first use; call :meth:`refresh_index` after the CRM
    changed.

    Examples:
        >>> from leadqual.sources import load_sample, load_sample_config, SAMPLE_AS_OF
        >>> b = CrmInsightsBuilder(load_sample(), config=load_sample_config())
        >>> [c.name for c in b.build("L-0002", now=SAMPLE_AS_OF).who_knows_whom][:1]
        ['Morgan Chen']
    """

    def __init__(
        self,
        source: CrmSource,
        *,
        config: AgentConfig,
        links: ManualLinks | None = None,
        max_suggestions: int = 5,
        recent_days: int = 90,
    ) -> None:
        for p in config.lead_summary_fields:
            _check_path(p, setting="lead_summary_fields")
        for p in config.account_summary_fields:
            _check_path(p, setting="account_summary_fields")
        if max_suggestions < 1:
            raise ConfigurationError("max_suggestions must be at least 1")
        self.source = source
        self.config = config
        self.links = links if links is not None else ManualLinks()
        self.max_suggestions = max_suggestions
        self.recent = timedelta(days=recent_days)
        self._index: _Index | None = None
        self._sellers: list[Seller] | None = None

    def refresh_index(self) -> None:
        """Forget the account/contact index (rebuilt on next use)."""
        self._index = None
        self._sellers = None

    @property
    def index(self) -> _Index:
        if self._index is None:
            self._index = _Index(self.source)
        return self._index

    def _all_sellers(self) -> list[Seller]:
        if self._sellers is None:
            self._sellers = list(self.source.sellers())
        return self._sellers

    def context(
        self, lead_id: str, /
    ) -> tuple[LeadContext, Literal["crm", "manual", "none"], Literal["crm", "manual", "none"]]:
        """The lead's context with remembered manual links applied, and how each link was made."""
        ctx = build_context(self.source, lead_id)
        manual = self.links.get(lead_id)
        account_link: Literal["crm", "manual", "none"] = "crm" if ctx.account else "none"
        contact_link: Literal["crm", "manual", "none"] = "crm" if ctx.contact else "none"
        account, contact = ctx.account, ctx.contact
        if account is None and "account_id" in manual:
            account = _follow(self.source.get_account, manual["account_id"], "account", lead_id)
            account_link = "manual" if account is not None else account_link
        if contact is None and "contact_id" in manual:
            contact = _follow(self.source.get_contact, manual["contact_id"], "contact", lead_id)
            contact_link = "manual" if contact is not None else contact_link
        if account is not ctx.account or contact is not ctx.contact:
            lead = ctx.lead.replace(
                account_id=account.id if account else None,
                contact_id=contact.id if contact else None,
            )
            opps = {o.id: o for o in ctx.opportunities}
            if account is not None and ctx.account is None:
                opps.update({o.id: o for o in self.source.opportunities(account_id=account.id)})
            if contact is not None and ctx.contact is None:
                opps.update({o.id: o for o in self.source.opportunities(contact_id=contact.id)})
            ctx = ctx.replace(
                lead=lead,
                account=account,
                contact=contact,
                opportunities=tuple(sorted(opps.values(), key=lambda o: (o.created_at, o.id))),
            )
        return ctx, account_link, contact_link

    def build(self, lead: str | LeadContext, /, *, now: datetime | None = None) -> CrmInsights:
        """The CRM insights of one lead, as of ``now`` (use ``SampleData.as_of`` with the sample).

        Args:
            lead: the lead id, or a context already read (used as given; its account and
                contact count as manually linked when :attr:`links` says so).
            now: the reference time (default: the current time).

        Raises:
            RecordNotFound: there is no lead with this id.
        """
        now = to_utc(now) if now is not None else datetime.now(UTC)
        if isinstance(lead, LeadContext):
            ctx = lead
            manual = self.links.get(ctx.lead.id)
            account_link = _link_of(ctx.account, manual.get("account_id"))
            contact_link = _link_of(ctx.contact, manual.get("contact_id"))
        else:
            ctx, account_link, contact_link = self.context(lead)
        record, account = ctx.lead, ctx.account
        colleagues = self._who_knows_whom(ctx, now)
        lead_opps, account_opps = self._opportunities(ctx)
        account_summary = self._account_summary(ctx, account_opps) if account else None
        return CrmInsights(
            lead_id=record.id,
            generated_at=now,
            lead_summary=self._lead_summary(ctx, colleagues, now),
            account_summary=account_summary,
            account_link=account_link,
            contact_link=contact_link,
            who_knows_whom=colleagues,
            lead_opportunities=lead_opps,
            account_opportunities=account_opps,
            suggested_contacts=self._suggested_contacts(ctx, now),
            connect_account=() if account else self._account_candidates(record),
            connect_contact=() if ctx.contact else self._contact_candidates(record),
        )

    # -- summaries ----------------------------------------------------------------------------

    def _fields(
        self, ctx: LeadContext, paths: Iterable[str]
    ) -> tuple[list[SummaryField], list[str]]:
        fields, missing = [], []
        for p in paths:
            value = _scalar_at(ctx, p)
            fields.append(SummaryField(path=p, label=_label(p), value=value))
            if value is None or value == "":
                missing.append(p)
        return fields, missing

    def _lead_summary(
        self, ctx: LeadContext, colleagues: Sequence[ColleagueInteraction], now: datetime
    ) -> LeadSummary:
        lead = ctx.lead
        fields, missing = self._fields(ctx, self.config.lead_summary_fields)
        who = lead.full_name or lead.email or lead.id
        role = f", {lead.job_title}" if lead.job_title else ""
        company = lead.company_name or (ctx.account.name if ctx.account else None)
        headline = f"{who}{role}" + (f" at {company}" if company else "")
        sentences = [headline + f" ({lead.status.value} lead)."]
        shown = [f"{f.label}: {f.display}" for f in fields if f.value not in (None, "")]
        if shown:
            sentences.append("; ".join(shown) + ".")
        if colleagues:
            top = colleagues[0]
            days = (now - top.last_interaction_at).days
            sentences.append(
                f"Last {top.last_interaction_kind} with {top.name} {days} day(s) ago; "
                f"{len(colleagues)} colleague(s) have interacted."
            )
        else:
            sentences.append("No colleague has interacted with this lead yet.")
        return LeadSummary(
            lead_id=lead.id,
            headline=headline,
            fields=tuple(fields),
            missing=tuple(missing),
            text=" ".join(sentences),
        )

    def _account_summary(
        self, ctx: LeadContext, account_opps: Sequence[OpportunityBrief]
    ) -> AccountSummary:
        account = ctx.account
        assert account is not None
        fields, missing = self._fields(ctx, self.config.account_summary_fields)
        contacts = self.index.contacts_by_account.get(account.id, [])
        pipeline = sum(o.estimated_value or 0.0 for o in account_opps)
        shown = [f"{f.label}: {f.display}" for f in fields if f.value not in (None, "")]
        text = (
            f"{account.name.rstrip('.')}. "
            + ("; ".join(shown) + ". " if shown else "")
            + f"{len(contacts)} contact(s) in the CRM; {len(account_opps)} open opportunit"
            + ("y" if len(account_opps) == 1 else "ies")
            + (f" worth {pipeline:,.0f}." if pipeline else ".")
        )
        return AccountSummary(
            account_id=account.id,
            name=account.name,
            fields=tuple(fields),
            missing=tuple(missing),
            contact_count=len(contacts),
            open_opportunity_count=len(account_opps),
            open_pipeline_value=pipeline,
            text=text,
        )

    # -- who knows whom ------------------------------------------------------------------------

    def _who_knows_whom(self, ctx: LeadContext, now: datetime) -> tuple[ColleagueInteraction, ...]:
        sellers = self._all_sellers()
        by_email = {s.email.lower(): s for s in sellers if s.email}
        by_id = {s.id: s for s in sellers}
        person = {e.strip().lower() for e in ctx.lead.all_emails}
        if ctx.contact is not None:
            person |= {e.strip().lower() for e in ctx.contact.all_emails}
        activities = list(ctx.activities)
        # the same person may sit in the CRM as a contact the lead is not linked to: their
        # activities count too (matched by exact email address)
        seen = {a.id for a in activities}
        for address in sorted(person):
            for cid in self.index.contacts_by_email.get(address, []):
                if ctx.contact is not None and cid == ctx.contact.id:
                    continue
                for a in self.source.activities(regarding=RecordRef(kind="contact", id=cid)):
                    if a.id not in seen:
                        seen.add(a.id)
                        activities.append(a)
        stats: dict[str, dict[str, Any]] = {}

        def bump(
            key: str, name: str, seller_id: str | None, kind: str, counter: str, at: datetime
        ) -> None:
            row = stats.setdefault(
                key,
                {"seller_id": seller_id, "name": name, "emails_sent": 0, "emails_received": 0,
                 "meetings": 0, "calls": 0, "chats": 0, "last": None, "last_kind": kind},
            )  # fmt: skip
            row[counter] += 1
            if row["last"] is None or at > row["last"]:
                row["last"], row["last_kind"] = at, kind

        for a in activities:
            at = a.occurred_at
            if at > now:
                continue  # an upcoming meeting is not yet an interaction
            if isinstance(a, EmailMessage):
                sender = a.from_address.strip().lower()
                recipients = [x.strip().lower() for x in (*a.to_addresses, *a.cc_addresses)]
                if a.direction == "outbound" or sender in by_email:
                    s = by_email.get(sender) or by_id.get(a.owner_id or "")
                    if s is not None:
                        bump(s.id, s.name, s.id, "email", "emails_sent", at)
                else:
                    targets = [by_email[r] for r in recipients if r in by_email]
                    if not targets and a.owner_id in by_id:
                        targets = [by_id[a.owner_id]]
                    for s in targets:
                        bump(s.id, s.name, s.id, "email", "emails_received", at)
            elif isinstance(a, Appointment):
                if a.status == "canceled":
                    continue
                attendees = [by_email[x.lower()] for x in a.attendees if x.lower() in by_email]
                if not attendees and a.owner_id in by_id:
                    attendees = [by_id[a.owner_id]]
                for s in attendees:
                    bump(s.id, s.name, s.id, "meeting", "meetings", at)
            elif isinstance(a, PhoneCall | ChatMessage):
                s = by_id.get(a.owner_id or "")
                if s is not None:
                    kind, counter = (
                        ("call", "calls") if isinstance(a, PhoneCall) else ("chat", "chats")
                    )
                    bump(s.id, s.name, s.id, kind, counter, at)
        rows = [
            ColleagueInteraction(
                seller_id=r["seller_id"],
                name=r["name"],
                emails_sent=r["emails_sent"],
                emails_received=r["emails_received"],
                meetings=r["meetings"],
                calls=r["calls"],
                chats=r["chats"],
                last_interaction_at=r["last"],
                last_interaction_kind=r["last_kind"],
                is_owner=r["seller_id"] == ctx.lead.owner_id,
            )
            for r in stats.values()
        ]
        rows.sort(key=lambda c: (-c.total, -c.last_interaction_at.timestamp(), c.name))
        return tuple(rows)

    # -- opportunities -------------------------------------------------------------------------

    def _opportunities(
        self, ctx: LeadContext
    ) -> tuple[tuple[OpportunityBrief, ...], tuple[OpportunityBrief, ...]]:
        def brief(
            o: Opportunity, relation: Literal["lead", "account", "contact"]
        ) -> OpportunityBrief:
            return OpportunityBrief(
                id=o.id,
                name=o.name,
                relation=relation,
                stage=o.stage,
                estimated_value=o.estimated_value,
                close_date=o.close_date,
                owner_id=o.owner_id,
            )

        lead_side: list[OpportunityBrief] = []
        account_side: list[OpportunityBrief] = []
        for o in ctx.opportunities:
            if o.status is not OpportunityStatus.OPEN:
                continue
            if o.originating_lead_id == ctx.lead.id:
                lead_side.append(brief(o, "lead"))
            elif ctx.contact is not None and o.contact_id == ctx.contact.id:
                lead_side.append(brief(o, "contact"))
            if ctx.account is not None and o.account_id == ctx.account.id:
                account_side.append(brief(o, "account"))

        def order(o: OpportunityBrief) -> tuple[float, str]:
            return (o.close_date.timestamp() if o.close_date else float("inf"), o.id)

        return tuple(sorted(lead_side, key=order)), tuple(sorted(account_side, key=order))

    # -- suggestions ---------------------------------------------------------------------------

    def _lead_domain(self, lead: Lead) -> str | None:
        for address in lead.all_emails:
            d = email_domain(address)
            if d and not is_free_email_domain(d):
                return registrable_domain(d) or d
        return None

    def _suggested_contacts(self, ctx: LeadContext, now: datetime) -> tuple[SuggestedContact, ...]:
        idx = self.index
        lead = ctx.lead
        lead_emails = {e.strip().lower() for e in lead.all_emails}
        lead_domain = self._lead_domain(lead)
        candidates: dict[str, Contact] = {}
        if ctx.account is not None:
            for cid in idx.contacts_by_account.get(ctx.account.id, []):
                candidates[cid] = idx.contacts[cid]
        for address in lead_emails:
            for cid in idx.contacts_by_email.get(address, []):
                candidates[cid] = idx.contacts[cid]
        if ctx.account is None and lead_domain:
            for cid in idx.contacts_by_domain.get(lead_domain, []):
                candidates[cid] = idx.contacts[cid]
        if ctx.contact is not None:
            candidates.pop(ctx.contact.id, None)
        out = []
        for c in candidates.values():
            score, reasons = 0.0, []
            if lead_emails & {e.strip().lower() for e in c.all_emails}:
                score += 0.6
                reasons.append("has the lead's email address (probably the same person)")
            if ctx.account is not None and c.account_id == ctx.account.id:
                score += 0.25
                reasons.append(f"works at {ctx.account.name}, the lead's account")
                if ctx.account.primary_contact_id == c.id:
                    score += 0.1
                    reasons.append("is the account's primary contact")
            elif lead_domain and any(
                registrable_domain(email_domain(e) or "") == lead_domain for e in c.all_emails
            ):
                score += 0.2
                reasons.append(f"has an email address at {lead_domain}, like the lead")
            if c.job_title and _DECISION_TITLE.search(c.job_title):
                score += 0.1
                reasons.append(f"{c.job_title} may be a decision maker")
            recent = [
                a
                for a in self.source.activities(regarding=RecordRef(kind="contact", id=c.id))
                if now - self.recent <= a.occurred_at <= now
            ]
            if recent:
                score += 0.05
                reasons.append(f"{len(recent)} interaction(s) in the last {self.recent.days} days")
            out.append(
                SuggestedContact(
                    contact_id=c.id,
                    name=c.full_name or c.email or c.id,
                    job_title=c.job_title,
                    account_id=c.account_id,
                    score=round(min(score, 1.0), 3),
                    reasons=tuple(reasons),
                )
            )
        out.sort(key=lambda s: (-s.score, s.name, s.contact_id))
        return tuple(out[: self.max_suggestions])

    def _account_candidates(self, lead: Lead) -> tuple[LinkSuggestion, ...]:
        idx = self.index
        scores: dict[str, tuple[float, list[str]]] = {}

        def add(account_id: str, score: float, reason: str) -> None:
            best, reasons = scores.get(account_id, (0.0, []))
            # independent evidence raises confidence, but never past 0.99: a match is a suggestion
            combined = 1 - (1 - best) * (1 - score)
            scores[account_id] = (min(combined, 0.99), [*reasons, reason])

        domain = self._lead_domain(lead)
        if domain:
            for aid in idx.account_by_domain.get(domain, []):
                add(aid, 0.9, f"the account's website is on {domain}, the lead's email domain")
        website_domain = company_website_domain(lead.website) if lead.website else None
        if website_domain and website_domain != domain:
            for aid in idx.account_by_domain.get(website_domain, []):
                add(aid, 0.85, f"the account's website matches the lead's ({website_domain})")
        if lead.company_name:
            name = normalize_company_name(lead.company_name)
            for aid in idx.account_by_name.get(name, []):
                add(aid, 0.8, f"same company name as the lead ({lead.company_name!r})")
            # vectorised in C over every account name: fine for CRMs with many accounts
            matches = (
                process.extract(
                    name,
                    idx.account_names,
                    scorer=fuzz.token_sort_ratio,
                    score_cutoff=88,
                    limit=20,
                )
                if name
                else []
            )
            for other, ratio, _ in matches:
                if other == name:
                    continue
                for aid in idx.account_by_name[other]:
                    add(
                        aid,
                        round(0.7 * ratio / 100, 3),
                        f"similar company name ({ratio:.0f}% alike)",
                    )
        country = country_code(lead.address.country if lead.address else None)
        out = []
        for aid, (score, reasons) in scores.items():
            account = idx.accounts[aid]
            written = account.address.country if account.address else None
            if country is not None and country_code(written) == country:
                score = min(0.99, score + 0.02)
                reasons = [*reasons, f"same country ({written})"]
            out.append(
                LinkSuggestion(
                    kind="account",
                    record_id=aid,
                    name=account.name,
                    confidence=round(score, 3),
                    reasons=tuple(reasons),
                )
            )
        out.sort(key=lambda s: (-s.confidence, s.name, s.record_id))
        return tuple(out[: self.max_suggestions])

    def _contact_candidates(self, lead: Lead) -> tuple[LinkSuggestion, ...]:
        idx = self.index
        out: dict[str, LinkSuggestion] = {}
        lead_name = lead.full_name.casefold()
        lead_company = normalize_company_name(lead.company_name) if lead.company_name else ""
        for address in lead.all_emails:
            for cid in idx.contacts_by_email.get(address.strip().lower(), []):
                c = idx.contacts[cid]
                reasons = ["same email address as the lead"]
                score = 0.9
                if lead_name and c.full_name.casefold() == lead_name:
                    score, reasons = 0.97, [*reasons, "same name"]
                out[cid] = LinkSuggestion(
                    kind="contact",
                    record_id=cid,
                    name=c.full_name or cid,
                    confidence=score,
                    reasons=tuple(reasons),
                )
        if lead_name:
            domain = self._lead_domain(lead)
            similar = process.extract(
                lead_name,
                idx.contact_names,
                scorer=fuzz.token_sort_ratio,
                score_cutoff=90,
                limit=50,
            )
            for _, ratio, position in similar:
                c = idx.contacts[idx.contact_ids[position]]
                if c.id in out:
                    continue
                reasons = [f"similar name ({ratio:.0f}% alike)"]
                score = 0.4 * ratio / 100
                account = idx.accounts.get(c.account_id or "")
                if (
                    lead_company
                    and account
                    and normalize_company_name(account.name) == lead_company
                ):
                    score += 0.4
                    reasons.append(f"works at {account.name}, the lead's company")
                elif domain and any(
                    registrable_domain(email_domain(e) or "") == domain for e in c.all_emails
                ):
                    score += 0.35
                    reasons.append(f"email address at {domain}, like the lead")
                else:
                    continue  # a name alone is too weak to suggest a link
                out[c.id] = LinkSuggestion(
                    kind="contact",
                    record_id=c.id,
                    name=c.full_name,
                    confidence=round(min(score, 0.95), 3),
                    reasons=tuple(reasons),
                )
        ranked = sorted(out.values(), key=lambda s: (-s.confidence, s.name, s.record_id))
        return tuple(ranked[: self.max_suggestions])
