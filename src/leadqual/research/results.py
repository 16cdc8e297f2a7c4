"""What research returns: the research of one lead and its parts (sources' statuses, merged
fields with every source kept, ranked news, signal strength, the steps taken, the diff).

Examples:
    >>> SourceStatus(provider="wikidata", state="ok").external
    True
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from leadqual._base import FrozenModel, UtcDatetime
from leadqual.research.citations import Citation, collect_citations
from leadqual.research.insights import CrmInsights
from leadqual.research.providers import CompanyFinancials, CompanyQuery, NewsItem

__all__ = [
    "ErasureReceipt",
    "FieldSource",
    "LeadResearch",
    "ResearchFact",
    "MergedField",
    "RankedNews",
    "ResearchDiff",
    "ResearchStep",
    "SignalStrength",
    "SourceState",
    "SourceStatus",
]

SourceState = Literal["ok", "empty", "failed", "timed_out", "skipped_consent", "skipped"]
"""What happened to one source: ``ok`` (found something), ``empty`` (answered, found nothing),
``failed``, ``timed_out``, ``skipped_consent`` (web research not consented), ``skipped``
(nothing to ask, e.g. no company identifier)."""


class SourceStatus(FrozenModel):
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


class FieldSource(FrozenModel):
    """One source's value for a merged field."""

    provider: str
    value: str | int | float | tuple[str, ...]
    url: str | None = None
    retrieved_at: UtcDatetime
    confidence: float
    licence: str | None = None


class MergedField(FrozenModel):
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


class RankedNews(FrozenModel):
    """A news item picked for the seller, with why it matters for the vendor's product."""

    item: NewsItem
    why_it_matters: str
    score: float


class SignalStrength(FrozenModel):
    """How complete and consistent the research inputs were (0-100)."""

    score: Annotated[float, Field(ge=0, le=100)]
    level: Literal["weak", "moderate", "strong"]
    reasons: tuple[str, ...]


class ResearchStep(FrozenModel):
    """One step of "how was this generated"."""

    step: int
    action: str
    detail: str


class ResearchDiff(FrozenModel):
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


class LeadResearch(FrozenModel):
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
        return collect_citations(
            (fs for f in self.profile for fs in f.sources),
            self.financials,
            (n.item for n in self.news),
        )

    @property
    def facts(self) -> tuple[ResearchFact, ...]:
        """What drafts and the next action may cite: the news picked for the seller (best
        first), then the company's confirmed description."""
        out = [ResearchFact(text=n.item.title, source=n.item.url, kind="news") for n in self.news]
        described = self.field("description")
        if described is not None and isinstance(described.value, str) and described.value:
            chosen = next(
                (fs for fs in described.sources if fs.provider == described.chosen_from),
                described.sources[0] if described.sources else None,
            )
            if chosen is not None:
                out.append(
                    ResearchFact(
                        text=described.value, source=chosen.url or chosen.provider, kind="company"
                    )
                )
        return tuple(out)


class ResearchFact(FrozenModel):
    """One fact from research, in the shape drafters and the advisor read
    (:class:`leadqual.drafting.ResearchLike`): its text, where it came from, what it is about.
    Web text: untrusted, to be quoted, never obeyed."""

    text: str
    source: str
    """A URL, or the provider's name when the fact has no page."""
    kind: Literal["news", "company"]


class ErasureReceipt(FrozenModel):
    """What :meth:`Researcher.erase` removed, for an audit trail."""

    lead_id: str
    research_records: int
    manual_links: int
    company_cache_entries: int
    """Company-level cache entries removed (only those no other lead used)."""
    host_entries: int = 0
    """DNS pins and per-host rate-limit buckets of the lead's domain that were forgotten."""
    erased_at: UtcDatetime
