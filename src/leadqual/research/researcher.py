"""The Researcher: CRM insights plus web research through providers, with consent, a cache,
per-source status, merging that keeps every source and its conflicts, and a diff against the
previous research.

Examples:
    >>> import asyncio
    >>> from leadqual.sources import load_sample, load_sample_config, SAMPLE_AS_OF
    >>> from leadqual.research.sample_provider import SampleResearchProvider
    >>> r = Researcher(config=load_sample_config(), source=load_sample(),
    ...                providers=[SampleResearchProvider()])
    >>> res = asyncio.run(r.research("L-0001", now=SAMPLE_AS_OF))
    >>> res.sources[0].provider, res.sources[0].state
    ('sample', 'ok')
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from pydantic import ConfigDict, Field

from leadqual._base import LeadqualModel, UtcDatetime, to_utc
from leadqual._domains import (
    company_website_domain,
    email_domain,
    is_free_email_domain,
    registrable_domain,
)
from leadqual._sync import PerLoop, run_sync
from leadqual._text import normalize_company_name
from leadqual.config import AgentConfig, Consent
from leadqual.errors import ConfigurationError, ProviderError, ProviderTimeout, RateLimited
from leadqual.models import Lead, LeadContext
from leadqual.research.http import SafeFetcher
from leadqual.research.insights import CrmInsights, CrmInsightsBuilder, ManualLinks
from leadqual.research.providers import (
    CompanyFinancials,
    CompanyOverview,
    CompanyQuery,
    NewsItem,
    NewsTopic,
    ResearchProvider,
    ResearchResult,
    is_external,
)
from leadqual.sources.base import CrmSource

__all__ = [
    "Authorization",
    "Citation",
    "ConsentPolicy",
    "ErasureReceipt",
    "FieldSource",
    "LeadResearch",
    "MergedField",
    "RankedNews",
    "ResearchCache",
    "ResearchDiff",
    "ResearchPolicy",
    "ResearchStep",
    "Researcher",
    "SignalStrength",
    "SourceState",
    "SourceStatus",
    "SuppressionList",
    "company_query_for",
]

logger = logging.getLogger(__name__)

SourceState = Literal["ok", "empty", "failed", "timed_out", "skipped_consent", "skipped"]
"""What happened to one source: ``ok`` (found something), ``empty`` (answered, found nothing),
``failed``, ``timed_out``, ``skipped_consent`` (web research not consented), ``skipped``
(nothing to ask, e.g. no company identifier)."""

OVERVIEW_FIELDS: tuple[str, ...] = (
    "name", "legal_name", "description", "industry", "employee_count", "headquarters", "country",
    "founded", "website", "products", "mission",
)  # fmt: skip
_FREE_TEXT = frozenset({"description", "mission", "products"})
"""Fields sources phrase differently: never flagged as conflicts."""
_KEY_FIELDS = ("description", "industry", "employee_count", "country", "website")
_SELLER_TOPICS: tuple[NewsTopic, ...] = (
    "product_launch", "leadership_change", "contract_won", "community_involvement",
    "awards_recognition",
)  # fmt: skip


class _Frozen(LeadqualModel):
    model_config = ConfigDict(frozen=True)


class SourceStatus(_Frozen):
    """What one provider did for this research."""

    provider: str
    state: SourceState
    detail: str | None = None
    """Why it failed or was skipped, or a note from the provider."""
    from_cache: bool = False
    retrieved_at: UtcDatetime | None = None
    """When the data was fetched (earlier than the research time for a cache hit)."""
    duration_seconds: Annotated[float, Field(ge=0)] = 0.0
    requests: Annotated[int, Field(ge=0)] = 0
    external: bool = True


class FieldSource(_Frozen):
    """One source's value for a merged field."""

    provider: str
    value: str | int | float | tuple[str, ...]
    url: str | None = None
    retrieved_at: UtcDatetime
    confidence: float
    licence: str | None = None


class MergedField(_Frozen):
    """A company fact merged across sources; every source's value is kept.

    ``value`` is taken from confident sources only (match confidence at least the researcher's
    ``min_confidence``); ``conflict`` is set when confident sources disagree, and
    ``unconfirmed`` holds values from sources that may be about another company.
    """

    name: str
    value: str | int | float | tuple[str, ...] | None = None
    chosen_from: str | None = None
    sources: tuple[FieldSource, ...] = ()
    conflict: bool = False
    unconfirmed: tuple[FieldSource, ...] = ()


class RankedNews(_Frozen):
    """A news item picked for the seller, with why it matters for the vendor's product."""

    item: NewsItem
    why_it_matters: str
    score: float


class SignalStrength(_Frozen):
    """How complete and consistent the research inputs were (0-100)."""

    score: Annotated[float, Field(ge=0, le=100)]
    level: Literal["weak", "moderate", "strong"]
    reasons: tuple[str, ...]


class ResearchStep(_Frozen):
    """One step of "how was this generated"."""

    step: int
    action: str
    detail: str


class ResearchDiff(_Frozen):
    """What changed since the previous research of the same lead."""

    first_research: bool
    previous_at: UtcDatetime | None = None
    changed_fields: tuple[str, ...] = ()
    added_news: tuple[str, ...] = ()
    """URLs of news items that are new."""
    removed_news: tuple[str, ...] = ()
    financials_changed: bool = False
    crm_changed: bool = False

    @property
    def changed(self) -> bool:
        """Whether anything a downstream step reads changed (always true the first time)."""
        return bool(
            self.first_research
            or self.changed_fields
            or self.added_news
            or self.removed_news
            or self.financials_changed
            or self.crm_changed
        )


class LeadResearch(_Frozen):
    """The research of one lead: CRM insights, web research, and how it was produced."""

    lead_id: str
    researched_at: UtcDatetime
    next_refresh_at: UtcDatetime
    company: CompanyQuery | None = None
    """Exactly what was sent to outside services (company identifiers only)."""
    crm: CrmInsights | None = None
    sources: tuple[SourceStatus, ...] = ()
    profile: tuple[MergedField, ...] = ()
    financials: tuple[CompanyFinancials, ...] = ()
    news: tuple[RankedNews, ...] = ()
    """At most three items, most useful first."""
    all_news: tuple[NewsItem, ...] = ()
    signal: SignalStrength
    steps: tuple[ResearchStep, ...] = ()
    diff: ResearchDiff
    fingerprint: str
    """Hash of the facts; equal fingerprints mean nothing changed."""

    def field(self, name: str, /) -> MergedField | None:
        """The merged field ``name`` (``industry``, ``employee_count``...), if any source had it."""
        return next((f for f in self.profile if f.name == name), None)

    def status(self, provider: str, /) -> SourceStatus | None:
        """The status of one provider."""
        return next((s for s in self.sources if s.provider == provider), None)

    @property
    def citations(self) -> tuple[Citation, ...]:
        """Every outside source a fact shown here came from, once each: for attribution beside
        the facts, citations in drafts, and the "source of the data" a GDPR Art. 14 notice
        must name."""
        seen: dict[tuple[str, str | None], Citation] = {}
        provs = [fs for f in self.profile for fs in f.sources]
        for fs in provs:
            seen.setdefault(
                (fs.provider, fs.url),
                Citation(
                    provider=fs.provider,
                    url=fs.url,
                    retrieved_at=fs.retrieved_at,
                    licence=fs.licence,
                ),
            )
        for fin in self.financials:
            p = fin.provenance
            seen.setdefault(
                (p.source, p.url),
                Citation(
                    provider=p.source,
                    url=p.url,
                    retrieved_at=p.retrieved_at,
                    licence=p.licence,
                    attribution=p.attribution,
                ),
            )
        for n in self.news:
            p = n.item.provenance
            seen.setdefault(
                (p.source, n.item.url),
                Citation(
                    provider=p.source,
                    url=n.item.url,
                    retrieved_at=p.retrieved_at,
                    licence=p.licence,
                    attribution=p.attribution,
                ),
            )
        return tuple(seen.values())


class Citation(_Frozen):
    """One source behind the research, with its licence and attribution."""

    provider: str
    url: str | None = None
    retrieved_at: UtcDatetime
    licence: str | None = None
    attribution: str | None = None


class ErasureReceipt(_Frozen):
    """What :meth:`Researcher.erase` removed, for an audit trail."""

    lead_id: str
    research_records: int
    manual_links: int
    company_cache_entries: int
    """Company-level cache entries removed (only those no other lead used)."""
    erased_at: UtcDatetime


class _LoopState:
    """The asyncio primitives of one event loop."""

    __slots__ = ("inflight", "provider_limits", "semaphore")

    def __init__(self, max_concurrency: int) -> None:
        self.semaphore = asyncio.Semaphore(max_concurrency)
        self.inflight: dict[tuple[str, str], asyncio.Task[Any]] = {}
        self.provider_limits: dict[str, asyncio.Semaphore] = {}


class _Entry:
    __slots__ = ("result", "stored_at")

    def __init__(self, result: ResearchResult, stored_at: datetime) -> None:
        self.result = result
        self.stored_at = stored_at


class ResearchCache:
    """Provider results per company (shared by leads of the same company) and each lead's latest
    research. In memory; company data is not personal data, the per-lead part is erasable.

    Examples:
        >>> cache = ResearchCache(ttl=timedelta(days=7))
        >>> cache.company_entries
        0
    """

    def __init__(self, *, ttl: timedelta) -> None:
        if ttl <= timedelta(0):
            raise ConfigurationError("the research cache TTL must be positive")
        self.ttl = ttl
        self._companies: dict[tuple[str, str], _Entry] = {}
        self._leads: dict[str, LeadResearch] = {}
        self._users: dict[str, set[str]] = {}
        self.hits = 0
        self.misses = 0

    @property
    def company_entries(self) -> int:
        """How many provider results are cached."""
        return len(self._companies)

    def get(self, provider: str, company_key: str, *, now: datetime) -> _Entry | None:
        """A fresh cached result, or ``None``."""
        entry = self._companies.get((provider, company_key))
        if entry is None or entry.stored_at + self.ttl <= now:
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def put(
        self, provider: str, company_key: str, result: ResearchResult, *, now: datetime
    ) -> None:
        """Store a provider result."""
        self._companies[(provider, company_key)] = _Entry(result, now)

    def lead(self, lead_id: str) -> LeadResearch | None:
        """The latest research of a lead."""
        return self._leads.get(lead_id)

    def put_lead(self, research: LeadResearch) -> None:
        """Keep a lead's latest research (for the diff and the refresh schedule)."""
        self._leads[research.lead_id] = research
        if research.company is not None:
            self._users.setdefault(research.company.key, set()).add(research.lead_id)

    def erase_lead(self, lead_id: str, *, company_data: bool) -> tuple[int, int]:
        """Forget a lead; with ``company_data``, also company entries no other lead used."""
        removed = self._leads.pop(lead_id, None)
        companies = 0
        for key, users in list(self._users.items()):
            users.discard(lead_id)
            if not users:
                del self._users[key]
                if company_data:
                    for ck in [ck for ck in self._companies if ck[1] == key]:
                        del self._companies[ck]
                        companies += 1
        return (1 if removed else 0), companies

    def to_json(self) -> str:
        """The cache as JSON (company results and each lead's latest research), to keep the
        refresh schedule and the diff baseline across restarts. The per-lead part holds CRM
        insights (personal data): store it as you store the CRM, and erase from it too."""
        return json.dumps(
            {
                "ttl_seconds": self.ttl.total_seconds(),
                "companies": [
                    {
                        "provider": provider,
                        "key": key,
                        "stored_at": entry.stored_at.isoformat(),
                        "result": entry.result.model_dump(mode="json"),
                    }
                    for (provider, key), entry in sorted(self._companies.items())
                ],
                "leads": [r.model_dump(mode="json") for _, r in sorted(self._leads.items())],
            }
        )

    @classmethod
    def from_json(cls, text: str, /) -> ResearchCache:
        """Rebuild a cache saved with :meth:`to_json` (validated like any input)."""
        try:
            data = json.loads(text)
            cache = cls(ttl=timedelta(seconds=float(data["ttl_seconds"])))
            for row in data["companies"]:
                cache.put(
                    str(row["provider"]),
                    str(row["key"]),
                    ResearchResult.model_validate(row["result"]),
                    now=to_utc(datetime.fromisoformat(row["stored_at"])),
                )
            for row in data["leads"]:
                cache.put_lead(LeadResearch.model_validate(row))
        except (KeyError, TypeError, ValueError) as err:
            if isinstance(err, ConfigurationError):
                raise
            raise ConfigurationError(f"not a saved research cache: {err}") from err
        return cache


class SuppressionList:
    """People and companies that objected to research (GDPR Art. 21): checked before any web
    research. Entries are stored as salted SHA-256 hashes, so an erased lead stays suppressed
    without its address being kept.

    Examples:
        >>> s = SuppressionList(salt="org-secret")
        >>> s.add("Jane.Roe@Contoso.com")
        >>> s.matches_address("jane.roe@contoso.com"), s.matches_address("bo@contoso.com")
        (True, False)
    """

    def __init__(self, *, salt: str, hashes: Iterable[str] = ()) -> None:
        if not salt:
            raise ConfigurationError("SuppressionList needs a salt (keep it secret and stable)")
        self._salt = salt.encode()
        self._hashes = set(hashes)

    def _hash(self, value: str) -> str:
        return hashlib.sha256(self._salt + value.strip().casefold().encode()).hexdigest()

    def add(self, value: str, /) -> None:
        """Suppress an email address or a whole domain (``contoso.com``)."""
        if not value.strip():
            raise ConfigurationError("cannot suppress an empty value")
        self._hashes.add(self._hash(value))

    def matches_address(self, address: str, /) -> bool:
        """Whether an address, or its domain, is suppressed."""
        domain = email_domain(address)
        return self._hash(address) in self._hashes or bool(
            domain and self._hash(domain) in self._hashes
        )

    def matches(self, lead: Lead, /) -> bool:
        """Whether any of the lead's addresses (or their domains) is suppressed."""
        return any(self.matches_address(a) for a in lead.all_emails)

    @property
    def hashes(self) -> list[str]:
        """The stored hashes, for persistence."""
        return sorted(self._hashes)


class Authorization(_Frozen):
    """A research policy's answer for one lead: may its company be researched on the web?"""

    allowed: bool
    reason: str
    """Shown in "how was this generated" and in skipped sources' details."""
    lawful_basis: Literal["consent", "legitimate_interest"] | None = None
    basis_ref: str | None = None
    """Where the basis is recorded (a consent record, a legitimate-interest assessment id)."""
    providers: frozenset[str] | None = None
    """Outside providers allowed for this lead (``None``: all), e.g. per jurisdiction."""


@runtime_checkable
class ResearchPolicy(Protocol):
    """Decides, per lead, whether web research may run and through which providers.

    Examples:
        >>> class EuOnlyRegistries:
        ...     def authorize(self, context: LeadContext, /) -> Authorization:
        ...         return Authorization(allowed=True, reason="legitimate interest (LIA-7)",
        ...                              lawful_basis="legitimate_interest", basis_ref="LIA-7",
        ...                              providers=frozenset({"gleif", "wikidata"}))
        >>> isinstance(EuOnlyRegistries(), ResearchPolicy)
        True
    """

    def authorize(self, context: LeadContext, /) -> Authorization:
        """The authorisation for this lead's web research."""
        ...


class ConsentPolicy:
    """The default policy: web research for every lead when ``AgentConfig.consent.web_research``
    is set, for none otherwise.

    Examples:
        >>> from leadqual.config import Consent
        >>> ConsentPolicy(Consent()).authorize(None).allowed  # type: ignore[arg-type]
        False
    """

    def __init__(self, consent: Consent) -> None:
        self.consent = consent

    def authorize(self, context: LeadContext, /) -> Authorization:
        """Allowed exactly when web research was consented."""
        if not self.consent.web_research:
            return Authorization(
                allowed=False,
                reason="no consent for web research (AgentConfig.consent.web_research)",
            )
        by = f" by {self.consent.granted_by}" if self.consent.granted_by else ""
        when = f" on {self.consent.granted_at:%Y-%m-%d}" if self.consent.granted_at else ""
        return Authorization(
            allowed=True,
            reason=f"web research consented{by}{when}",
            lawful_basis="consent",
            basis_ref=self.consent.granted_by,
        )


def _names_the_person(company: str, lead: Lead) -> bool:
    """Whether the company name is, or contains, the lead's full name ("Jane Roe", "Jane Roe
    Consulting LLC"): sending it out would send the person's name."""
    person = normalize_company_name(lead.full_name) if lead.full_name.strip() else ""
    if not person:
        return False
    words, wanted = normalize_company_name(company).split(), person.split()
    if len(wanted) < 2:
        return words == wanted
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words)))


def company_query_for(context: LeadContext, /) -> tuple[CompanyQuery | None, str]:
    """The company identifiers of a lead (account first, else the lead's company fields), and a
    sentence saying where they came from. Never the lead's name or email address.

    Returns ``(None, reason)`` when there is nothing to research, or when the only identifier is
    the lead's own name (a sole trader: that would send personal data out).
    """
    lead, account = context.lead, context.account
    name = account.name if account else lead.company_name
    website = (account.website if account else None) or lead.website
    country = None
    if account is not None and account.address is not None:
        country = account.address.country
    if country is None and lead.address is not None:
        country = lead.address.country
    domain = company_website_domain(website) if website else None
    if website and domain is None:
        website = None  # a page on a shared platform (LinkedIn, Wix): not the company's site
    origin = f"account {account.id}" if account else "the lead's company fields"
    if domain is None:
        for address in lead.all_emails:
            d = email_domain(address)
            if d and not is_free_email_domain(d):
                domain = registrable_domain(d)
                origin += " and the work email domain"
                break
    if name and _names_the_person(name, lead):
        name = None  # a sole trader's "company" is a person: do not send it out
        if domain is None:
            return None, "the company name is the lead's own name; nothing company-level to send"
    if not (name or domain):
        return None, "no company name, website or work email domain to research"
    try:
        query = CompanyQuery(
            name=name, domain=domain, website=website if domain else None, country=country
        )
    except ValueError as err:
        return None, f"the company fields cannot be sent out: {err}"
    return query, origin


def _canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https", host, path, "", ""))


_WORD = re.compile(r"[a-z0-9]{3,}")


class Researcher:
    """Researches leads: CRM insights, then providers run concurrently under a global limit.

    Args:
        config: consent (``config.consent.web_research``), the refresh policy (cache TTL:
            ``config.refresh.research_every_days``), summary fields, the vendor's products (for
            "why it matters").
        providers: the research providers, in order of preference for merged fields.
        source: the CRM (needed to research by lead id and for CRM insights).
        cache: provider and lead cache (a fresh in-memory one by default).
        links: remembered manual links (shared with the CRM insights).
        max_concurrency: provider calls in flight at once across all leads.
        provider_timeout: seconds one provider may take for one company.
        min_confidence: below this match confidence a record is shown as unconfirmed.
        suppression: leads (or domains) that objected to research: no web research for them.
        policy: decides per lead whether (and through which providers) web research may run;
            :class:`ConsentPolicy` over ``config.consent`` by default.

    One failed source never fails the research: its status says what happened. Concurrent
    research of leads at the same company asks each provider once.

    Examples:
        >>> from leadqual.sources import load_sample, load_sample_config
        >>> from leadqual.testing.research import FakeResearchProvider
        >>> r = Researcher(config=load_sample_config(), source=load_sample(),
        ...                providers=[FakeResearchProvider("news")])
        >>> from leadqual.sources import SAMPLE_AS_OF
        >>> r.research_sync("L-0001", now=SAMPLE_AS_OF).status("news").state  # no consent given
        'skipped_consent'
    """

    def __init__(
        self,
        *,
        config: AgentConfig,
        providers: Sequence[ResearchProvider] = (),
        source: CrmSource | None = None,
        cache: ResearchCache | None = None,
        links: ManualLinks | None = None,
        max_concurrency: int = 8,
        provider_timeout: float = 30.0,
        min_confidence: float = 0.6,
        suppression: SuppressionList | None = None,
        policy: ResearchPolicy | None = None,
    ) -> None:
        for p in providers:
            if not isinstance(p, ResearchProvider):
                raise ConfigurationError(
                    f"{p!r} is not a ResearchProvider (it needs `name` and `async research`)"
                )
        names = [p.name for p in providers]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"two research providers share a name: {names}")
        if max_concurrency < 1:
            raise ConfigurationError("max_concurrency must be at least 1")
        if provider_timeout <= 0:
            raise ConfigurationError("provider_timeout must be positive (seconds)")
        self.config = config
        self.providers = tuple(providers)
        self.source = source
        self.ttl = timedelta(days=config.refresh.research_every_days)
        self.cache = cache if cache is not None else ResearchCache(ttl=self.ttl)
        self.links = links if links is not None else ManualLinks()
        self.insights = (
            CrmInsightsBuilder(source, config=config, links=self.links) if source else None
        )
        self.max_concurrency = max_concurrency
        self.provider_timeout = provider_timeout
        self.min_confidence = min_confidence
        self.suppression = suppression
        self.policy: ResearchPolicy = (
            policy if policy is not None else ConsentPolicy(config.consent)
        )
        # asyncio primitives belong to one loop (research_sync may run on a private one)
        self._loop_state: PerLoop[_LoopState] = PerLoop(lambda: _LoopState(self.max_concurrency))
        self._stage_plan = self._stages()
        self._cooldown: dict[str, float] = {}
        self.rate_limit_cooldown = 60.0
        """Seconds a provider that answered 429 without ``Retry-After`` is left alone."""
        self.provider_calls = 0
        """Provider calls made (cache hits and shared in-flight calls not counted)."""

    # -- public API ----------------------------------------------------------------------------

    async def research(
        self,
        lead: str | LeadContext,
        /,
        *,
        now: datetime | None = None,
        force: bool = False,
    ) -> LeadResearch:
        """Research one lead (by id, or a ready :class:`~leadqual.models.LeadContext`).

        Args:
            lead: the lead id (needs ``source``) or its context.
            now: the reference time (default: the current time); pass ``SampleData.as_of`` with
                the sample data.
            force: ignore cached provider results (a manual refresh).
        """
        now = to_utc(now or datetime.now(UTC))
        steps: list[ResearchStep] = []

        def step(action: str, detail: str) -> None:
            steps.append(ResearchStep(step=len(steps) + 1, action=action, detail=detail))

        crm: CrmInsights | None = None
        if isinstance(lead, LeadContext):
            context = lead
        else:
            if self.insights is None:
                raise ConfigurationError(
                    "research by lead id needs a CrmSource: Researcher(source=...)"
                )
            context, _, _ = self.insights.context(lead)
        if self.insights is not None:
            crm = self.insights.build(context, now=now)
            step(
                "Read the CRM",
                f"lead {context.lead.id}: {len(context.activities)} activities, "
                f"{len(crm.who_knows_whom)} colleague(s) who know the lead, "
                f"{len(crm.lead_opportunities) + len(crm.account_opportunities)} open "
                f"opportunities, account link: {crm.account_link}",
            )
        query, origin = company_query_for(context)
        if (
            query is not None
            and self.suppression is not None
            and self.suppression.matches(context.lead)
        ):
            query, origin = None, "the lead is on the suppression list (objected to research)"
        statuses: list[SourceStatus] = []
        results: list[ResearchResult] = []
        if query is None:
            step("Company identifiers", f"nothing to research: {origin}")
            statuses = [
                SourceStatus(
                    provider=p.name, state="skipped", detail=origin, external=is_external(p)
                )
                for p in self.providers
            ]
        else:
            sent = ", ".join(
                f"{k}={v}" for k, v in (("name", query.name), ("domain", query.domain),
                                        ("country", query.country)) if v
            )  # fmt: skip
            step("Company identifiers", f"from {origin}: {sent} (no personal data is sent)")
            auth = self.policy.authorize(context)
            basis = f"; basis: {auth.lawful_basis}" if auth.allowed and auth.lawful_basis else ""
            scope = (
                f"; providers allowed: {', '.join(sorted(auth.providers))}"
                if auth.allowed and auth.providers is not None
                else ""
            )
            step(
                "Consent",
                auth.reason
                + basis
                + scope
                + ("" if auth.allowed else ": only offline providers run"),
            )
            statuses, results = await self._run_providers(query, now=now, force=force, auth=auth)
            for s in statuses:
                extra = " (cached)" if s.from_cache else ""
                step(
                    f"Source {s.provider}",
                    f"{s.state}{extra}" + (f": {s.detail}" if s.detail else ""),
                )
        profile = self._merge(results)
        financials = self._financials(results)
        all_news = self._dedupe_news(results)
        ranked = self._rank_news(all_news, now)
        conflicts = [f.name for f in profile if f.conflict]
        step(
            "Merge",
            f"{sum(1 for f in profile if f.value is not None)} company facts from "
            f"{sum(1 for s in statuses if s.state == 'ok')} source(s); "
            + (f"conflicts kept for {', '.join(conflicts)}" if conflicts else "no conflicts"),
        )
        if all_news:
            step("News", f"{len(all_news)} item(s) found, {len(ranked)} shown with why they matter")
        signal = self._signal(profile, financials, all_news, statuses, crm)
        fingerprint = self._fingerprint(profile, financials, all_news, crm)
        previous = self.cache.lead(context.lead.id)
        diff = self._diff(previous, profile, financials, all_news, fingerprint, crm)
        step(
            "Compare",
            "first research of this lead"
            if diff.first_research
            else ("changes since " if diff.changed else "no change since ")
            + f"{diff.previous_at:%Y-%m-%d %H:%M} UTC",
        )
        research = LeadResearch(
            lead_id=context.lead.id,
            researched_at=now,
            next_refresh_at=now + self.ttl,
            company=query,
            crm=crm,
            sources=tuple(statuses),
            profile=profile,
            financials=financials,
            news=ranked,
            all_news=all_news,
            signal=signal,
            steps=tuple(steps),
            diff=diff,
            fingerprint=fingerprint,
        )
        self.cache.put_lead(research)
        logger.info(
            "researched lead=%s sources=%s signal=%.0f changed=%s",
            context.lead.id,
            ",".join(f"{s.provider}:{s.state}" for s in statuses) or "-",
            signal.score,
            diff.changed,
        )
        return research

    async def research_many(
        self,
        leads: Iterable[str | LeadContext],
        /,
        *,
        now: datetime | None = None,
        force: bool = False,
    ) -> list[LeadResearch]:
        """Research several leads concurrently (provider calls stay under the global limit);
        results come back in the input order, one per lead. A lead that cannot be researched
        (an unknown id) raises, and the rest of the batch is cancelled rather than left running."""
        tasks = [asyncio.ensure_future(self.research(x, now=now, force=force)) for x in leads]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            # the caller gets the error (an unknown lead id, a cancellation): the other leads'
            # research must not go on unseen behind it (provider calls shared with other
            # callers keep running: they are shielded)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    def research_sync(
        self, lead: str | LeadContext, /, *, now: datetime | None = None, force: bool = False
    ) -> LeadResearch:
        """:meth:`research` for sync code; safe inside a running event loop (Jupyter).

        The call runs on an event loop of its own, so the connection pools the providers'
        fetchers opened on it are closed before it ends.
        """

        async def once() -> LeadResearch:
            try:
                return await self.research(lead, now=now, force=force)
            finally:
                await self._close_fetchers()

        return run_sync(once)

    async def _close_fetchers(self) -> None:
        seen: dict[int, SafeFetcher] = {}
        for provider in self.providers:
            fetcher = getattr(provider, "fetcher", None)
            if isinstance(fetcher, SafeFetcher):
                seen.setdefault(id(fetcher), fetcher)
        for fetcher in seen.values():
            await fetcher.aclose()

    def is_due(self, lead_id: str, /, *, now: datetime) -> bool:
        """Whether the lead has never been researched or its refresh time has come."""
        previous = self.cache.lead(lead_id)
        return previous is None or previous.next_refresh_at <= to_utc(now)

    def erase(self, lead_id: str, /, *, company_data: bool = False) -> ErasureReceipt:
        """Erase everything stored about a lead: its research records and manual links.

        Company-level cache entries are not personal data and are kept unless ``company_data``
        is true (then those no other lead used are removed too).
        """
        records, companies = self.cache.erase_lead(lead_id, company_data=company_data)
        links = self.links.erase(lead_id)
        logger.info("erased lead=%s records=%d links=%d", lead_id, records, links)
        return ErasureReceipt(
            lead_id=lead_id,
            research_records=records,
            manual_links=links,
            company_cache_entries=companies,
            erased_at=datetime.now(UTC),
        )

    # -- providers -----------------------------------------------------------------------------

    def _state(self) -> _LoopState:
        return self._loop_state.get()

    def _provider_semaphore(self, provider: ResearchProvider) -> asyncio.Semaphore:
        limits = self._state().provider_limits
        sem = limits.get(provider.name)
        if sem is None:
            limit = getattr(provider, "max_concurrency", None)
            sem = asyncio.Semaphore(int(limit) if limit else self.max_concurrency)
            limits[provider.name] = sem
        return sem

    def _stages(self) -> list[list[ResearchProvider]]:
        names = {p.name for p in self.providers}
        done: set[str] = set()
        pending = list(self.providers)
        stages: list[list[ResearchProvider]] = []
        while pending:
            ready = [
                p
                for p in pending
                if all(d in done or d not in names for d in getattr(p, "depends_on", ()))
            ]
            if not ready:  # a cycle: run the rest together rather than never
                ready = pending
            stages.append(ready)
            done |= {p.name for p in ready}
            pending = [p for p in pending if p not in ready]
        return stages

    async def _run_providers(
        self, query: CompanyQuery, *, now: datetime, force: bool, auth: Authorization
    ) -> tuple[list[SourceStatus], list[ResearchResult]]:
        statuses: dict[str, SourceStatus] = {}
        results: list[ResearchResult] = []
        for stage in self._stage_plan:
            stage_query = query
            for r in results:
                if self._confirmed(r):
                    stage_query = stage_query.with_ids(r.identifiers)
            outcomes = await asyncio.gather(
                *(self._one(p, stage_query, now=now, force=force, auth=auth) for p in stage)
            )
            for status, result in outcomes:
                statuses[status.provider] = status
                if result is not None:
                    results.append(result)
        return [statuses[p.name] for p in self.providers], results

    def _confirmed(self, result: ResearchResult) -> bool:
        """Whether ``result``'s ids may steer other providers: a record below
        ``min_confidence`` is a candidate, and its ids would research a guess as if it were the
        company (a third-party provider may not filter them itself)."""
        confidences = [
            rec.provenance.match_confidence
            for group in (result.overviews, result.financials, result.news)
            for rec in group
        ]
        return not confidences or max(confidences) >= self.min_confidence

    async def _one(
        self,
        provider: ResearchProvider,
        query: CompanyQuery,
        *,
        now: datetime,
        force: bool,
        auth: Authorization,
    ) -> tuple[SourceStatus, ResearchResult | None]:
        external = is_external(provider)
        if external and (
            not auth.allowed or (auth.providers is not None and provider.name not in auth.providers)
        ):
            return (
                SourceStatus(
                    provider=provider.name,
                    state="skipped_consent",
                    detail=auth.reason
                    if not auth.allowed
                    else "not allowed for this lead by the research policy",
                    external=True,
                ),
                None,
            )
        key = query.key
        cooling = self._cooldown.get(provider.name)
        if cooling is not None and not force:
            left = cooling - time.monotonic()
            if left > 0:
                # the source asked us to slow down: do not hammer it for every other lead
                return (
                    SourceStatus(
                        provider=provider.name,
                        state="skipped",
                        detail=f"rate limited by the source; cooling down for {left:.0f} s",
                        external=external,
                    ),
                    None,
                )
            self._cooldown.pop(provider.name, None)
        if not force:
            cached = self.cache.get(provider.name, key, now=now)
            if cached is not None:
                return self._status(
                    provider, cached.result, cached.stored_at, 0.0, True
                ), cached.result
        state = self._state()
        semaphore, inflight = state.semaphore, state.inflight
        flight_key = (provider.name, key)
        started = time.perf_counter()
        task = inflight.get(flight_key)
        if task is None:
            # the call runs as its own task: a lead whose research is cancelled does not cancel
            # the call other leads of the same company are waiting for
            task = asyncio.create_task(self._call(provider, query, semaphore))
            inflight[flight_key] = task

            def done(t: asyncio.Task[Any], k: tuple[str, str] = flight_key) -> None:
                inflight.pop(k, None)
                if t.cancelled():
                    return
                if t.exception() is None:  # also marks a failure as retrieved
                    self.cache.put(provider.name, key, t.result(), now=now)

            task.add_done_callback(done)
        try:
            result: ResearchResult = await asyncio.shield(task)
        except (TimeoutError, ProviderTimeout) as err:
            return self._failure(provider, "timed_out", err, started), None
        except RateLimited as err:
            wait = f"; retry after {err.retry_after:g} s" if err.retry_after else ""
            self._cooldown[provider.name] = time.monotonic() + min(
                err.retry_after or self.rate_limit_cooldown, 3600.0
            )
            return self._failure(provider, "failed", err, started, f"rate limited{wait}"), None
        except asyncio.CancelledError:
            raise
        except Exception as err:  # one failed source never fails the research
            return self._failure(provider, "failed", err, started), None
        return self._status(provider, result, now, time.perf_counter() - started, False), result

    async def _call(
        self, provider: ResearchProvider, query: CompanyQuery, semaphore: asyncio.Semaphore
    ) -> ResearchResult:
        # a provider may cap its own concurrency (GDELT: one at a time); waiting for that slot,
        # and for a global one, does not count against the provider's timeout
        async with self._provider_semaphore(provider), semaphore:
            self.provider_calls += 1
            async with asyncio.timeout(self.provider_timeout):
                result = await provider.research(query)
        if not isinstance(result, ResearchResult):
            raise ProviderError(
                f"{provider.name} returned {type(result).__name__}, not a ResearchResult",
                provider=provider.name,
            )
        return result

    def _status(
        self,
        provider: ResearchProvider,
        result: ResearchResult,
        retrieved_at: datetime,
        duration: float,
        from_cache: bool,
    ) -> SourceStatus:
        return SourceStatus(
            provider=provider.name,
            state="empty" if result.is_empty else "ok",
            detail="; ".join(result.notes) or None,
            from_cache=from_cache,
            retrieved_at=retrieved_at,
            duration_seconds=duration,
            requests=0 if from_cache else result.requests,
            external=is_external(provider),
        )

    def _failure(
        self,
        provider: ResearchProvider,
        state: SourceState,
        err: BaseException,
        started: float,
        detail: str | None = None,
    ) -> SourceStatus:
        text = detail or (str(err) or type(err).__name__)
        if state == "timed_out" and not str(err):
            text = f"no answer within {self.provider_timeout:g} s"
        logger.warning("research source %s %s: %s", provider.name, state, type(err).__name__)
        return SourceStatus(
            provider=provider.name,
            state=state,
            detail=text[:300],
            duration_seconds=time.perf_counter() - started,
            external=is_external(provider),
        )

    # -- merging ---------------------------------------------------------------------------------

    def _merge(self, results: Sequence[ResearchResult]) -> tuple[MergedField, ...]:
        overviews: list[CompanyOverview] = [o for r in results for o in r.overviews]
        merged: list[MergedField] = []
        for name in OVERVIEW_FIELDS:
            confident: list[FieldSource] = []
            unsure: list[FieldSource] = []
            for o in overviews:
                value = getattr(o, name)
                if value is None or value == "" or value == ():
                    continue
                fs = FieldSource(
                    provider=o.provenance.source,
                    value=value,
                    url=o.provenance.url,
                    retrieved_at=o.provenance.retrieved_at,
                    confidence=o.provenance.match_confidence,
                    licence=o.provenance.licence,
                )
                (confident if fs.confidence >= self.min_confidence else unsure).append(fs)
            if not confident and not unsure:
                continue
            chosen = max(confident, key=lambda f: f.confidence, default=None)
            merged.append(
                MergedField(
                    name=name,
                    value=chosen.value if chosen else None,
                    chosen_from=chosen.provider if chosen else None,
                    sources=tuple(confident),
                    conflict=name not in _FREE_TEXT and _disagree([f.value for f in confident]),
                    unconfirmed=tuple(unsure),
                )
            )
        return tuple(merged)

    def _financials(self, results: Sequence[ResearchResult]) -> tuple[CompanyFinancials, ...]:
        out = [
            f
            for r in results
            for f in r.financials
            if f.provenance.match_confidence >= self.min_confidence
        ]
        out.sort(key=lambda f: (-(f.fiscal_year or 0), f.provenance.source))
        return tuple(out)

    def _dedupe_news(self, results: Sequence[ResearchResult]) -> tuple[NewsItem, ...]:
        seen_urls: set[str] = set()
        seen_titles: set[str] = set()
        out: list[NewsItem] = []
        for r in results:
            for item in r.news:
                if item.provenance.match_confidence < self.min_confidence:
                    continue
                url = _canonical_url(item.url)
                title = " ".join(_WORD.findall(item.title.casefold()))
                if url in seen_urls or (title and title in seen_titles):
                    continue
                seen_urls.add(url)
                seen_titles.add(title)
                out.append(item)
        far = datetime.min.replace(tzinfo=UTC)
        out.sort(key=lambda n: n.published_at or far, reverse=True)
        return tuple(out)

    def _rank_news(self, news: Sequence[NewsItem], now: datetime) -> tuple[RankedNews, ...]:
        products = self.config.products
        pains = [p for prod in products for p in prod.pain_points]
        vocab = [
            (
                prod.name,
                {
                    w
                    for text in (prod.description, *prod.pain_points, *prod.value_propositions)
                    for w in _WORD.findall(text.casefold())
                },
            )
            for prod in products
        ]
        ranked = []
        for item in news:
            words = set(_WORD.findall(item.title.casefold()))
            # the product whose description and pains share most words with the headline
            product = max(vocab, key=lambda pv: len(words & pv[1]))[0]
            score = 3.0 if item.topic in _SELLER_TOPICS else (1.5 if item.topic != "other" else 0.5)
            if item.published_at is not None:
                age = max(0.0, (now - item.published_at).days)
                score += max(0.0, 2.0 - age / 45)  # fresher is better; a quarter old adds nothing
            matched = [p for p in pains if words & set(_WORD.findall(p.casefold()))]
            if matched:
                score += 1.0
            ranked.append(
                RankedNews(
                    item=item,
                    why_it_matters=_why(item.topic, product, matched),
                    score=round(score, 3),
                )
            )
        ranked.sort(key=lambda r: -r.score)
        return tuple(ranked[:3])

    def _signal(
        self,
        profile: Sequence[MergedField],
        financials: Sequence[CompanyFinancials],
        news: Sequence[NewsItem],
        statuses: Sequence[SourceStatus],
        crm: CrmInsights | None,
    ) -> SignalStrength:
        reasons: list[str] = []
        by_name = {f.name: f for f in profile}
        have = [n for n in _KEY_FIELDS if by_name.get(n) and by_name[n].value is not None]
        score = 40.0 * len(have) / len(_KEY_FIELDS)
        missing = [n.replace("_", " ") for n in _KEY_FIELDS if n not in have]
        reasons.append(
            f"{len(have)} of {len(_KEY_FIELDS)} key company facts found"
            + (f" (missing: {', '.join(missing)})" if missing else "")
        )
        if financials:
            score += 15
            reasons.append("financial figures found")
        else:
            reasons.append("no financial figures")
        if news:
            score += 10
            reasons.append(f"{len(news)} news item(s)")
        asked = [s for s in statuses if s.state not in ("skipped_consent", "skipped")]
        answered = [s for s in asked if s.state in ("ok", "empty")]
        if asked:
            score += 15 * len(answered) / len(asked)
            if len(answered) < len(asked):
                reasons.append(f"{len(asked) - len(answered)} of {len(asked)} source(s) failed")
        skipped = [s for s in statuses if s.state == "skipped_consent"]
        if skipped:
            reasons.append(f"{len(skipped)} source(s) skipped for lack of consent")
        conflicts = [f.name for f in profile if f.conflict]
        with_facts = {s.provider for f in profile for s in f.sources}
        if len(with_facts) >= 2:
            score += max(0.0, 10.0 - 5.0 * len(conflicts))
        elif with_facts:
            score += 5.0  # nothing contradicts it, but nothing confirms it either
            reasons.append("company facts from a single source (not corroborated)")
        if conflicts:
            reasons.append(f"sources disagree on {', '.join(conflicts)}")
        unconfirmed = [f.name for f in profile if f.unconfirmed and f.value is None]
        if unconfirmed:
            reasons.append(f"unconfirmed match for {', '.join(unconfirmed)}")
        if crm is not None:
            filled = len(crm.lead_summary.fields) - len(crm.lead_summary.missing)
            total = len(crm.lead_summary.fields) or 1
            score += 10.0 * filled / total
            if crm.account_summary is None:
                reasons.append("no account linked in the CRM")
        score = round(min(100.0, score), 1)
        level: Literal["weak", "moderate", "strong"] = (
            "strong" if score >= 70 else "moderate" if score >= 40 else "weak"
        )
        return SignalStrength(score=score, level=level, reasons=tuple(reasons))

    @staticmethod
    def _facts(
        profile: Sequence[MergedField],
        financials: Sequence[CompanyFinancials],
        news: Sequence[NewsItem],
        crm: CrmInsights | None,
    ) -> dict[str, Any]:
        return {
            "fields": {f.name: f.value for f in profile},
            "financials": sorted(
                (f.provenance.source, f.fiscal_year, f.revenue, f.net_income) for f in financials
            ),
            "news": sorted(_canonical_url(n.url) for n in news),
            "crm": None
            if crm is None
            else crm.model_dump(
                mode="json", exclude={"generated_at", "lead_summary", "who_knows_whom"}
            )
            | {"who": [(c.seller_id, c.total) for c in crm.who_knows_whom]},
        }

    def _fingerprint(
        self,
        profile: Sequence[MergedField],
        financials: Sequence[CompanyFinancials],
        news: Sequence[NewsItem],
        crm: CrmInsights | None,
    ) -> str:
        facts = self._facts(profile, financials, news, crm)
        blob = json.dumps(facts, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def _diff(
        self,
        previous: LeadResearch | None,
        profile: Sequence[MergedField],
        financials: Sequence[CompanyFinancials],
        news: Sequence[NewsItem],
        fingerprint: str,
        crm: CrmInsights | None,
    ) -> ResearchDiff:
        if previous is None:
            return ResearchDiff(first_research=True)
        before = self._facts(previous.profile, previous.financials, previous.all_news, previous.crm)
        after = self._facts(profile, financials, news, crm)
        names = sorted(set(before["fields"]) | set(after["fields"]))
        changed = tuple(n for n in names if before["fields"].get(n) != after["fields"].get(n))
        old_news, new_news = set(before["news"]), set(after["news"])
        return ResearchDiff(
            first_research=False,
            previous_at=previous.researched_at,
            changed_fields=changed,
            added_news=tuple(sorted(new_news - old_news)),
            removed_news=tuple(sorted(old_news - new_news)),
            financials_changed=before["financials"] != after["financials"],
            crm_changed=before["crm"] != after["crm"],
        )


def _disagree(values: Sequence[Any]) -> bool:
    if len(values) < 2:
        return False
    if all(isinstance(v, int | float) for v in values):
        nums = [float(v) for v in values]
        low, high = min(nums), max(nums)
        return high > 0 and (high - low) / high > 0.25  # sizes from different years differ a bit
    if all(isinstance(v, tuple) for v in values):
        return False  # product lists complement each other
    texts = [v for v in values if isinstance(v, str)]
    if all(v.startswith("http") for v in texts):
        return len({registrable_domain(v) or v for v in texts}) > 1
    # "Santa Clara, CA" and "Santa Clara" agree; "Software" and "Banking" do not: two values
    # conflict when they share no word stem
    stems = [{w[:5] for w in _WORD.findall(v.casefold())} for v in texts]
    return any(not (a & b) for i, a in enumerate(stems) for b in stems[i + 1 :] if a and b)


def _why(topic: NewsTopic, product: str, pains: Sequence[str]) -> str:
    pain = f" ({pains[0]})" if pains else ""
    texts: dict[str, str] = {
        "product_launch": f"A launch means new revenue targets and pipeline to forecast: a timely opening for {product}{pain}.",
        "leadership_change": f"New leaders review tools in their first months: a window to introduce {product}{pain}.",
        "contract_won": f"New business means more pipeline and more CRM work to manage: {product} helps scale it{pain}.",
        "community_involvement": f"Shows the company's priorities; a warm, non-sales opener before pitching {product}.",
        "awards_recognition": f"A congratulation is a natural reason to get in touch about {product}.",
        "financial_results": f"Results show whether budget is growing or tightening, which shapes how to position {product}{pain}.",
        "mergers_acquisitions": f"Merging teams and CRMs creates a need for one view of the customer: {product}{pain}.",
        "risk": f"A risk signal: budgets may be frozen; qualify carefully before investing time in {product}.",
        "other": f"Context on the company's current situation before reaching out about {product}.",
    }
    return texts[topic]
