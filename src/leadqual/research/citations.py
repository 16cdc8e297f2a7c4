"""Citations: every outside source behind a lead's research, once each, with its licence and
attribution (for attribution beside the facts, citations in drafts, and the "source of the data"
a GDPR Art. 14 notice must name).

Examples:
    >>> collect_citations((), (), ())
    ()
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from leadqual._base import FrozenModel, UtcDatetime
from leadqual.research.providers import CompanyFinancials, NewsItem

__all__ = ["Citation", "SourcedValue", "collect_citations"]


class SourcedValue(Protocol):
    """A value with its source (a merged field's :class:`~leadqual.research.FieldSource` fits)."""

    @property
    def provider(self) -> str:
        """The provider that gave the value."""
        ...

    @property
    def url(self) -> str | None:
        """Where it was read."""
        ...

    @property
    def retrieved_at(self) -> datetime:
        """When it was read."""
        ...

    @property
    def licence(self) -> str | None:
        """The source's licence."""
        ...


class Citation(FrozenModel):
    """One source behind the research, with its licence and attribution."""

    provider: str
    url: str | None = None
    retrieved_at: UtcDatetime
    licence: str | None = None
    attribution: str | None = None


def collect_citations(
    field_sources: Iterable[SourcedValue],
    financials: Iterable[CompanyFinancials],
    news: Iterable[NewsItem],
) -> tuple[Citation, ...]:
    """The sources of field values, financial figures and news items, once each (first seen
    first)."""
    seen: dict[tuple[str, str | None], Citation] = {}
    for fs in field_sources:
        seen.setdefault(
            (fs.provider, fs.url),
            Citation(
                provider=fs.provider,
                url=fs.url,
                retrieved_at=fs.retrieved_at,
                licence=fs.licence,
            ),
        )
    # a figure is cited by the page it came from, a news item by the article itself
    records = [(fin.provenance, fin.provenance.url) for fin in financials]
    records += [(item.provenance, item.url) for item in news]
    for p, url in records:
        seen.setdefault(
            (p.source, url),
            Citation(
                provider=p.source,
                url=url,
                retrieved_at=p.retrieved_at,
                licence=p.licence,
                attribution=p.attribution,
            ),
        )
    return tuple(seen.values())
