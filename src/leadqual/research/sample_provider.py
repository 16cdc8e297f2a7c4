"""An offline research provider over the bundled sample CRM, so demos show full research.

It never leaves the process (``external = False``, so it runs without web-research consent). The
company overview and financial figures come from the sample CRM's account records; descriptions,
products, missions and news come from a small catalogue of *fictional* research bundled with the
package (``research/data/sample_research.json``). Everything it returns is labelled as fictional.

Examples:
    >>> import asyncio
    >>> p = SampleResearchProvider()
    >>> r = asyncio.run(p.aresearch(CompanyQuery(name="Meridian Wealth", domain="meridianwealth.mx")))
    >>> r.overviews[0].industry, r.news[0].topic
    ('Financial Services', 'product_launch')
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from leadqual._domains import registrable_domain
from leadqual._text import normalize_company_name
from leadqual.models import Account
from leadqual.research._payloads import reads_payloads
from leadqual.research.providers import (
    CompanyFinancials,
    CompanyOverview,
    CompanyQuery,
    FinancialMetric,
    NewsItem,
    Provenance,
    ResearchResult,
    classify_news_topic,
)
from leadqual.sources.sample import SampleData, load_sample_data

__all__ = ["SampleResearchProvider"]

_LICENCE = "fictional sample data (CC0)"


@cache
def _catalogue_text() -> str:
    return (
        resources.files("leadqual.research")
        .joinpath("data", "sample_research.json")
        .read_text(encoding="utf-8")
    )


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.casefold()).split())[:80]


class SampleResearchProvider:
    """Research over the bundled sample data; offline, deterministic, fictional.

    Args:
        data: the sample data (loaded from the package by default).

    Examples:
        >>> SampleResearchProvider().external
        False
    """

    name = "sample"
    external = False

    def __init__(self, data: SampleData | None = None) -> None:
        self._data = data or load_sample_data()
        self._catalogue: dict[str, Any] = json.loads(_catalogue_text())["companies"]
        self._by_domain: dict[str, Account] = {}
        self._by_name: dict[str, Account] = {}
        for a in self._data.crm.accounts:
            if a.website and (d := registrable_domain(a.website)):
                self._by_domain.setdefault(d, a)
            self._by_name.setdefault(normalize_company_name(a.name), a)

    def _find(self, query: CompanyQuery) -> tuple[Account | None, str | None, float]:
        if query.domain and query.domain in self._by_domain:
            return self._by_domain[query.domain], query.domain, 1.0
        if query.name:
            account = self._by_name.get(normalize_company_name(query.name))
            if account is not None:
                domain = registrable_domain(account.website) if account.website else None
                # a name match alone may be another company of the same name
                return account, domain or query.domain, 0.8
        return None, query.domain, 0.0

    @reads_payloads
    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        """Look the company up in the sample CRM and the fictional catalogue."""
        account, domain, confidence = self._find(company)
        entry: dict[str, Any] | None = self._catalogue.get(domain or "")
        if account is None and entry is None:
            return ResearchResult(provider=self.name, notes=("not a company of the sample data",))
        if account is None:
            confidence = 1.0  # the catalogue is keyed by the exact domain
        retrieved = self._data.as_of.astimezone(UTC)
        url = f"https://{domain}/" if domain else None
        prov = Provenance(
            source=self.name,
            url=url,
            retrieved_at=retrieved,
            licence=_LICENCE,
            attribution="Fictional sample data bundled with leadqual",
            match_confidence=confidence,
        )
        entry = entry or {}
        city = account.address.city if account and account.address else None
        country = account.address.country if account and account.address else None
        headquarters = entry.get("headquarters") or (
            ", ".join(p for p in (city, country) if p) or None
        )
        name = account.name if account else company.name
        description = entry.get("description")
        if description is None and account is not None:
            size = (
                f" with about {account.employee_count:,} employees"
                if account.employee_count
                else ""
            )
            where = f" based in {headquarters}" if headquarters else ""
            description = (
                f"{account.name} is a {account.industry or 'private'} company{where}{size}."
            )
        overview = CompanyOverview(
            provenance=prov,
            name=name,
            description=description,
            industry=account.industry if account else None,
            employee_count=account.employee_count if account else None,
            headquarters=headquarters,
            country=country,
            founded=entry.get("founded"),
            website=account.website if account else url,
            products=tuple(entry.get("products", ())),
            mission=entry.get("mission"),
        )
        financials: tuple[CompanyFinancials, ...] = ()
        if account is not None and account.annual_revenue is not None:
            year = self._data.as_of.year - 1
            financials = (
                CompanyFinancials(
                    provenance=prov,
                    currency=None,
                    revenue=account.annual_revenue,
                    fiscal_year=year,
                    metrics=(
                        FinancialMetric(
                            name="revenue",
                            value=account.annual_revenue,
                            unit="base currency",
                            fiscal_year=year,
                        ),
                    ),
                    health="unknown",
                    health_reasons=("only annual revenue is known (from the CRM account)",),
                    listed=False,
                ),
            )
        news = tuple(
            NewsItem(
                provenance=prov,
                title=n["title"],
                url=f"https://{n.get('publisher', 'news.example')}/{_slug(n['title'])}",
                published_at=datetime.fromisoformat(n["date"]).replace(tzinfo=UTC),
                topic=classify_news_topic(n["title"]),
                publisher=n.get("publisher"),
                language="en",
            )
            for n in entry.get("news", ())
        )
        return ResearchResult(
            provider=self.name,
            overviews=(overview,),
            financials=financials,
            news=news,
            notes=() if entry else ("only CRM fields known for this company",),
        )
