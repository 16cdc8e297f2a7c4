"""SEC EDGAR: US-listed companies' profile, XBRL financials, and 8-K items as news.

EDGAR is US government data (not copyrighted) under the SEC's fair-access policy: at most ten
requests a second from everyone using your deployment together, and a ``User-Agent`` naming your
organisation and a contact email (``"Acme Research ops@acme.com"``). The library ships no default
contact: :class:`SecEdgarProvider` requires one and refuses to run without it.

Flow: CIK from ``query.ids["sec_cik"]`` (Wikidata supplies it) or an exact-name match in
``company_tickers.json`` (cached 24 h); then ``submissions/CIK##########.json`` (profile and
recent filings: 8-K item numbers become news with their topic) and
``api/xbrl/companyfacts/CIK##########.json`` (revenue and net income by the tag fallback chain,
annual 10-K/20-F values, financial-health heuristics).

Examples:
    >>> ITEM_TOPICS["5.02"]
    'leadership_change'
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from leadqual._domains import registrable_domain
from leadqual._sync import PerLoop
from leadqual._text import normalize_company_name
from leadqual.errors import ConfigurationError, ProviderError
from leadqual.research.http import SafeFetcher
from leadqual.research.providers import (
    CompanyFinancials,
    CompanyOverview,
    CompanyQuery,
    FinancialMetric,
    NewsItem,
    NewsTopic,
    Provenance,
    ResearchResult,
)

__all__ = [
    "ITEM_TOPICS",
    "SecEdgarProvider",
    "annual_series",
    "financials_from_facts",
    "news_from_submissions",
    "overview_from_submissions",
]

logger = logging.getLogger(__name__)

TICKERS_URL = "https://www.sec.gov/files/company_tickers.json"
SUBMISSIONS_URL = "https://data.sec.gov/submissions/CIK{cik}.json"
FACTS_URL = "https://data.sec.gov/api/xbrl/companyfacts/CIK{cik}.json"
LICENCE = "US government work (SEC EDGAR, fair-access policy)"

ITEM_TOPICS: Mapping[str, NewsTopic] = {
    "1.01": "contract_won",
    "1.03": "risk",
    "2.01": "mergers_acquisitions",
    "2.02": "financial_results",
    "2.05": "risk",
    "4.02": "risk",
    "5.02": "leadership_change",
    "7.01": "product_launch",
    "8.01": "product_launch",
}
"""8-K item numbers that are news, and their topic (9.01, exhibits, is never news)."""

ITEM_TITLES: Mapping[str, str] = {
    "1.01": "entered into a material definitive agreement",
    "1.03": "bankruptcy or receivership",
    "2.01": "completed an acquisition or disposition of assets",
    "2.02": "reported results of operations",
    "2.05": "announced exit or disposal costs (restructuring)",
    "4.02": "said previously issued financial statements should no longer be relied on",
    "5.02": "announced a departure or appointment of directors or officers",
    "7.01": "made a Regulation FD disclosure (often a press release)",
    "8.01": "reported other events (often a press release)",
}
_RED_FLAGS = {"1.03", "2.05", "4.02"}
_REVENUE_TAGS = (
    "Revenues",
    "RevenueFromContractWithCustomerExcludingAssessedTax",
    "RevenueFromContractWithCustomerIncludingAssessedTax",
    "SalesRevenueNet",
)
_INCOME_TAGS = ("NetIncomeLoss", "ProfitLoss")
_OTHER_TAGS = {
    "total_assets": ("Assets",),
    "operating_cash_flow": ("NetCashProvidedByUsedInOperatingActivities",),
    "cash": ("CashAndCashEquivalentsAtCarryingValue",),
}
_ANNUAL_FORMS = {"10-K", "10-K/A", "20-F", "20-F/A", "40-F", "40-F/A"}
_US_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY",
}  # fmt: skip


def overview_from_submissions(
    data: Mapping[str, Any], /, *, provenance: Provenance
) -> CompanyOverview:
    """A :class:`CompanyOverview` from a ``submissions`` document."""
    business = (data.get("addresses") or {}).get("business") or {}
    state = business.get("stateOrCountry")
    city = business.get("city")
    country = "United States" if state in _US_STATES else business.get("stateOrCountryDescription")
    hq = ", ".join(str(p).title() if p == city else str(p) for p in (city, state) if p) or None
    ids = {"sec_cik": str(data.get("cik", "")).zfill(10)}
    tickers = [str(t) for t in data.get("tickers") or []]
    if tickers:
        ids["ticker"] = tickers[0]
    return CompanyOverview(
        provenance=provenance,
        name=data.get("name") or None,
        legal_name=data.get("name") or None,
        description=data.get("description") or None,
        industry=data.get("sicDescription") or None,
        headquarters=hq,
        country=country,
        website=data.get("website") or None,
        identifiers=ids,
        raw={
            "sic": data.get("sic"),
            "category": data.get("category"),
            "fiscal_year_end": data.get("fiscalYearEnd"),
            "state_of_incorporation": data.get("stateOfIncorporation"),
            "exchanges": list(data.get("exchanges") or []),
            "tickers": tickers,
            "former_names": [n.get("name") for n in data.get("formerNames") or []],
        },
    )


def _rows(recent: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Zip EDGAR's column-oriented filing arrays into rows."""
    columns = [k for k, v in recent.items() if isinstance(v, list)]
    n = min((len(recent[k]) for k in columns), default=0)
    return [{k: recent[k][i] for k in columns} for i in range(n)]


def news_from_submissions(
    data: Mapping[str, Any],
    /,
    *,
    provenance: Provenance,
    since: datetime,
    limit: int = 20,
) -> tuple[NewsItem, ...]:
    """8-K filings since ``since`` as news items, newest first; item numbers set the topic."""
    cik = str(data.get("cik", "")).lstrip("0")
    name = str(data.get("name") or "The company")
    out: list[NewsItem] = []
    for row in _rows(((data.get("filings") or {}).get("recent")) or {}):
        if row.get("form") not in ("8-K", "8-K/A"):
            continue
        try:
            filed = datetime.fromisoformat(str(row.get("filingDate"))).replace(tzinfo=UTC)
        except ValueError:
            continue
        if filed < since:
            continue
        items = [i.strip() for i in str(row.get("items") or "").split(",") if i.strip()]
        newsworthy = [i for i in items if i in ITEM_TOPICS]
        if not newsworthy:
            continue
        # the most telling item decides the topic: red flags first, then people, deals, results
        order = ["1.03", "4.02", "2.05", "5.02", "2.01", "1.01", "2.02", "7.01", "8.01"]
        lead_item = min(newsworthy, key=order.index)
        accession = str(row.get("accessionNumber", "")).replace("-", "")
        doc = row.get("primaryDocument") or ""
        url = (
            f"https://www.sec.gov/Archives/edgar/data/{cik}/{accession}/{doc}"
            if accession and doc
            else f"https://www.sec.gov/cgi-bin/browse-edgar?action=getcompany&CIK={cik}&type=8-K"
        )
        out.append(
            NewsItem(
                provenance=provenance,
                title=f"{name} {ITEM_TITLES[lead_item]} (8-K item {', '.join(newsworthy)})",
                url=url,
                published_at=filed,
                topic=ITEM_TOPICS[lead_item],
                publisher="SEC EDGAR",
                language="en",
            )
        )
    out.sort(key=lambda n: n.published_at or since, reverse=True)
    return tuple(out[:limit])


def annual_series(
    facts: Mapping[str, Any], tags: Sequence[str], /, *, unit: str = "USD"
) -> list[FinancialMetric]:
    """Annual values of the first tag present (``us-gaap`` or ``ifrs-full``), one per fiscal
    year; a restatement (later ``filed``) wins over the original."""
    for taxonomy in ("us-gaap", "ifrs-full"):
        concepts = (facts.get("facts") or {}).get(taxonomy) or {}
        for tag in tags:
            units = (concepts.get(tag) or {}).get("units") or {}
            values = units.get(unit) or next(iter(units.values()), None) if units else None
            if not values:
                continue
            by_end: dict[str, Mapping[str, Any]] = {}
            for v in values:
                if v.get("form") not in _ANNUAL_FORMS or v.get("fp") not in ("FY", None):
                    continue
                start, end = v.get("start"), v.get("end")
                if start and end:
                    days = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).days
                    if not 350 <= days <= 380:
                        continue  # a quarter reported inside the annual filing
                key = str(end)
                if key not in by_end or str(v.get("filed", "")) > str(by_end[key].get("filed", "")):
                    by_end[key] = v
            if by_end:
                return [
                    FinancialMetric(
                        name=tag,
                        value=float(v["val"]),
                        unit=unit if unit in units else next(iter(units)),
                        period_end=str(v.get("end")),
                        fiscal_year=int(str(v["end"])[:4]),
                        form=v.get("form"),
                    )
                    for _, v in sorted(by_end.items())
                ]
    return []


def financials_from_facts(
    facts: Mapping[str, Any],
    /,
    *,
    provenance: Provenance,
    red_flags: Sequence[str] = (),
    tickers: Sequence[str] = (),
) -> CompanyFinancials | None:
    """Key metrics and a deterministic health judgement from a ``companyfacts`` document."""
    revenue = annual_series(facts, _REVENUE_TAGS)
    income = annual_series(facts, _INCOME_TAGS)
    others = {name: annual_series(facts, tags) for name, tags in _OTHER_TAGS.items()}
    if not (revenue or income):
        return None
    metrics: list[FinancialMetric] = []
    for name, series in (("revenue", revenue), ("net_income", income), *others.items()):
        metrics.extend(m.replace(name=name) for m in series[-3:])
    reasons: list[str] = []
    points = 0
    latest_rev = revenue[-1] if revenue else None
    latest_inc = income[-1] if income else None
    if len(revenue) >= 2 and revenue[-2].value > 0:
        growth = (revenue[-1].value - revenue[-2].value) / revenue[-2].value
        reasons.append(
            f"revenue {'grew' if growth >= 0 else 'fell'} {abs(growth):.0%} year on year"
        )
        points += 1 if growth > 0.05 else (-1 if growth < -0.05 else 0)
    if latest_rev and latest_inc and latest_rev.value > 0:
        margin = latest_inc.value / latest_rev.value
        reasons.append(f"net margin {margin:.0%}")
        points += 1 if margin > 0.05 else (-1 if margin < 0 else 0)
    ocf = others["operating_cash_flow"]
    if ocf:
        positive = ocf[-1].value >= 0
        reasons.append(f"operating cash flow {'positive' if positive else 'negative'}")
        points += 1 if positive else -1
    if red_flags:
        reasons.append(f"recent 8-K red flags: items {', '.join(sorted(set(red_flags)))}")
        points -= 2
    health = "strong" if points >= 2 else "weak" if points < 0 else "stable"
    return CompanyFinancials(
        provenance=provenance,
        currency="USD",
        revenue=latest_rev.value if latest_rev else None,
        net_income=latest_inc.value if latest_inc else None,
        fiscal_year=latest.fiscal_year if (latest := latest_rev or latest_inc) else None,
        metrics=tuple(metrics),
        health=health,
        health_reasons=tuple(reasons),
        listed=True,
        tickers=tuple(tickers),
    )


class SecEdgarProvider:
    """Profile, financials and 8-K news of US-listed companies from SEC EDGAR.

    Args:
        fetcher: the shared :class:`~leadqual.research.http.SafeFetcher`.
        user_agent: your organisation and a contact email, as the SEC requires
            (``"Acme Research ops@acme.com"``). There is no default.
        requests_per_second: kept under the SEC's 10/s (shared by www.sec.gov and data.sec.gov).
        news_days: how far back 8-K filings count as news.

    Examples:
        >>> from leadqual.research.http import SafeFetcher
        >>> SecEdgarProvider(SafeFetcher(user_agent="x"), user_agent="Acme ops@acme.com").name
        'sec_edgar'
    """

    name = "sec_edgar"
    external = True
    max_concurrency = 4
    """Calls in flight at once (the Researcher honours it)."""
    depends_on = ("wikidata",)

    def __init__(
        self,
        fetcher: SafeFetcher,
        *,
        user_agent: str,
        requests_per_second: float = 5.0,
        news_days: int = 365,
        clock: Any = None,
    ) -> None:
        if not user_agent or "@" not in user_agent or len(user_agent.split()) < 2:
            raise ConfigurationError(
                "SecEdgarProvider needs user_agent='Your Organisation contact@your-domain.com': "
                "the SEC blocks requests without a contact"
            )
        if not 0 < requests_per_second <= 10:
            raise ConfigurationError("requests_per_second must be above 0 and at most 10 (SEC)")
        self.fetcher = fetcher
        self.user_agent = user_agent
        self.news_days = news_days
        fetcher.limit("sec.gov", requests_per_second)
        self._tickers: tuple[float, dict[str, list[tuple[str, str, str]]]] | None = None
        self._tickers_lock: PerLoop[asyncio.Lock] = PerLoop(asyncio.Lock)
        self._clock = clock or time.monotonic

    async def _get(self, url: str, *, max_bytes: int | None = None) -> Any:
        return await self.fetcher.get_json(
            url,
            headers={"User-Agent": self.user_agent},
            provider=self.name,
            max_bytes=max_bytes,
        )

    async def _ticker_index(self) -> dict[str, list[tuple[str, str, str]]]:
        # concurrent first lookups wait for one download instead of each fetching the list
        async with self._tickers_lock.get():
            now = self._clock()
            if self._tickers is not None and self._tickers[0] > now:
                return self._tickers[1]
            return await self._load_tickers(now)

    async def _load_tickers(self, now: float) -> dict[str, list[tuple[str, str, str]]]:
        data = await self._get(TICKERS_URL, max_bytes=5_000_000)
        index: dict[str, list[tuple[str, str, str]]] = {}
        rows = data.values() if isinstance(data, Mapping) else ()
        for row in rows:
            if not isinstance(row, Mapping) or "cik_str" not in row:
                continue
            title = str(row.get("title", ""))
            index.setdefault(normalize_company_name(title), []).append(
                (str(row["cik_str"]).zfill(10), str(row.get("ticker", "")), title)
            )
        self._tickers = (now + 24 * 3600, index)
        return index

    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        """Look the company up on EDGAR (by CIK, else by exact name)."""
        requests = 0
        notes: list[str] = []
        confidence = 1.0
        cik = company.ids.get("sec_cik")
        if cik:
            notes.append("CIK given")
        elif company.name:
            index = await self._ticker_index()
            requests += 1
            matches = index.get(normalize_company_name(company.name), [])
            ciks = sorted({m[0] for m in matches})
            if not ciks:
                return ResearchResult(
                    provider=self.name,
                    notes=("no SEC registrant with this name (not US-listed?)",),
                    requests=requests,
                )
            cik = ciks[0]
            # a name alone can be another company's: confirm with the website below
            confidence = 0.7 if len(ciks) == 1 else 0.4
            notes.append(
                f"matched by name to CIK {cik}" + (" (ambiguous)" if len(ciks) > 1 else "")
            )
        else:
            return ResearchResult(provider=self.name, notes=("no name or CIK",))
        cik = cik.zfill(10)
        submissions = await self._get(SUBMISSIONS_URL.format(cik=cik), max_bytes=5_000_000)
        requests += 1
        site = (
            registrable_domain(submissions.get("website") or "")
            if submissions.get("website")
            else None
        )
        if company.domain and site:
            if site == company.domain:
                confidence = max(confidence, 0.95)
                notes.append(f"website {site} confirms the match")
            else:
                confidence = min(confidence, 0.3)
                notes.append(f"EDGAR website {site} differs from {company.domain}")
        now = datetime.now(UTC)
        prov = Provenance(
            source=self.name,
            url=f"https://www.sec.gov/cgi-bin/browse-edgar?action=getcompany&CIK={cik}",
            retrieved_at=now,
            licence=LICENCE,
            match_confidence=confidence,
        )
        overview = overview_from_submissions(submissions, provenance=prov)
        news = news_from_submissions(
            submissions, provenance=prov, since=now - timedelta(days=self.news_days)
        )
        flags = [
            i
            for row in _rows(((submissions.get("filings") or {}).get("recent")) or {})
            if row.get("form") in ("8-K", "8-K/A")
            and str(row.get("filingDate", ""))
            >= f"{(now - timedelta(days=self.news_days)):%Y-%m-%d}"
            for i in str(row.get("items") or "").split(",")
            if i.strip() in _RED_FLAGS
        ]
        financials: tuple[CompanyFinancials, ...] = ()
        try:
            facts = await self._get(FACTS_URL.format(cik=cik), max_bytes=20_000_000)
            requests += 1
        except Exception as err:  # financials are optional: the profile and news still count
            if not isinstance(err, ProviderError):
                raise
            notes.append(f"no XBRL company facts ({type(err).__name__})")
        else:
            fin = financials_from_facts(
                facts,
                provenance=prov.replace(
                    url=f"https://data.sec.gov/api/xbrl/companyfacts/CIK{cik}.json"
                ),
                red_flags=[f.strip() for f in flags],
                tickers=overview.raw.get("tickers", ()),
            )
            if fin is not None:
                financials = (fin,)
        return ResearchResult(
            provider=self.name,
            overviews=(overview,),
            financials=financials,
            news=news,
            identifiers=overview.identifiers if confidence >= 0.6 else {},
            notes=tuple(notes),
            requests=requests,
        )
