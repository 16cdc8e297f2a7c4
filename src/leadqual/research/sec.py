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
from typing import Any, Literal

from leadqual._domains import registrable_domain
from leadqual._sync import PerLoop
from leadqual._text import normalize_company_name, strip_legal_suffixes
from leadqual.errors import ConfigurationError, ProviderError
from leadqual.research._payloads import reads_payloads
from leadqual.research.http import HttpStatusError, SafeFetcher
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
    "filer_kind",
    "financials_from_facts",
    "is_company_profile",
    "news_from_submissions",
    "normalize_cik",
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


# Filings an insider files about their holdings in an issuer: a filer with nothing else is a
# reporting owner (usually a person), not a company
_OWNERSHIP_FORMS = frozenset({
    "3", "3/A", "4", "4/A", "5", "5/A", "144", "144/A",
    "SC 13D", "SC 13D/A", "SC 13G", "SC 13G/A",
    "SCHEDULE 13D", "SCHEDULE 13D/A", "SCHEDULE 13G", "SCHEDULE 13G/A",
})  # fmt: skip

FilerKind = Literal["organisation", "person", "unknown"]


def normalize_cik(value: Any, /) -> str | None:
    """A CIK as EDGAR's ten zero-padded digits, from any form EDGAR writes it in: the
    zero-padded string of ``submissions``, the integer of ``companyfacts`` and the integer
    ``cik_str`` of ``company_tickers.json``; ``None`` for anything else.

    Examples:
        >>> normalize_cik("0001009672"), normalize_cik(320193), normalize_cik("-000000001")
        ('0001009672', '0000320193', None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return f"{value:010d}" if 0 < value < 10**10 else None
    if isinstance(value, str):
        digits = value.strip()
        if digits.isascii() and digits.isdigit() and 0 < int(digits) < 10**10:
            return f"{int(digits):010d}"
    return None


def _flag(value: Any) -> bool:
    return value in (1, True, "1", "true")


def filer_kind(data: Mapping[str, Any], /) -> tuple[FilerKind, tuple[str, ...]]:
    """Whether a ``submissions`` document is about an organisation or a person, and why.

    EDGAR gives every filer a CIK, individuals included (an officer filing Form 4 has one).
    Organisation evidence: an entity type other than ``other``, an SIC code, tickers, an
    employer identification number, a state of incorporation, a legal form in the name, or
    insider reports filed about it as an issuer. Person evidence: it files as an insider
    (reporting owner) and files nothing but ownership reports. Organisation evidence wins; with
    neither, the kind is ``unknown``.

    Examples:
        >>> filer_kind({"entityType": "operating", "sic": "3674"})[0]
        'organisation'
        >>> filer_kind({"entityType": "other", "sic": "", "insiderTransactionForOwnerExists": 1,
        ...             "filings": {"recent": {"form": ["4", "4", "3"]}}})[0]
        'person'
    """
    org: list[str] = []
    entity_type = str(data.get("entityType") or "").strip().lower()
    if entity_type and entity_type != "other":
        org.append(f"EDGAR entity type {entity_type!r}")
    sic = str(data.get("sic") or "").strip()
    if sic:
        org.append(f"SIC code {sic}")
    if data.get("tickers"):
        org.append("listed tickers")
    ein = str(data.get("ein") or "").strip()
    if ein.isdigit() and int(ein) != 0:
        org.append("an employer identification number")
    if str(data.get("stateOfIncorporation") or "").strip():
        org.append("a state of incorporation")
    name = str(data.get("name") or "").strip()
    if name and strip_legal_suffixes(name) != name:
        org.append("a legal form in its name")
    if _flag(data.get("insiderTransactionForIssuerExists")):
        org.append("insider reports filed about it as an issuer")
    if org:
        return "organisation", tuple(org)
    forms = {str(f).strip().upper() for f in _recent(data).get("form") or ()}
    if _flag(data.get("insiderTransactionForOwnerExists")) and forms <= _OWNERSHIP_FORMS:
        return "person", (
            "it files as an insider (reporting owner)",
            "it files ownership reports only" if forms else "it has no filings of its own",
            "no SIC code, entity type 'other'",
        )
    return "unknown", (f"no SIC code, entity type {entity_type or 'missing'!r}",)


def _recent(data: Mapping[str, Any]) -> Mapping[str, Any]:
    recent = (data.get("filings") or {}).get("recent") if isinstance(data, Mapping) else None
    return recent if isinstance(recent, Mapping) else {}


def is_company_profile(data: Any, /) -> bool:
    """Whether a ``submissions`` body is a filer's profile: it names the filer and its CIK (an
    overflow page, ``CIK##########-submissions-001.json``, has only the filing columns)."""
    return (
        isinstance(data, Mapping)
        and normalize_cik(data.get("cik")) is not None
        and bool(str(data.get("name") or "").strip())
    )


def overview_from_submissions(
    data: Mapping[str, Any], /, *, provenance: Provenance
) -> CompanyOverview:
    """A :class:`CompanyOverview` from a ``submissions`` document."""
    addresses = data.get("addresses") or {}
    business = (addresses.get("business") if isinstance(addresses, Mapping) else None) or {}
    state = business.get("stateOrCountry")
    city = business.get("city")
    country = "United States" if state in _US_STATES else business.get("stateOrCountryDescription")
    hq = ", ".join(str(p).title() if p == city else str(p) for p in (city, state) if p) or None
    cik = normalize_cik(data.get("cik"))
    ids = {"sec_cik": cik} if cik else {}
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
            "sic": data.get("sic") or None,
            "entity_type": data.get("entityType"),
            "category": data.get("category") or None,
            "fiscal_year_end": data.get("fiscalYearEnd"),
            "state_of_incorporation": data.get("stateOfIncorporation"),
            "exchanges": list(data.get("exchanges") or []),
            "tickers": tickers,
            "former_names": [
                n.get("name") for n in data.get("formerNames") or [] if isinstance(n, Mapping)
            ],
        },
    )


def _rows(recent: Mapping[str, Any]) -> list[dict[str, Any]]:
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
    cik = (normalize_cik(data.get("cik")) or "").lstrip("0")
    if not cik:
        return ()  # no filer to link the filings to (an overflow page)
    name = str(data.get("name") or "The company")
    out: list[NewsItem] = []
    for row in _rows(_recent(data)):
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
    """Annual values of a concept, one per fiscal year, oldest first.

    ``tags`` is a fallback chain (``us-gaap``, else ``ifrs-full``): filers move a figure between
    tags over the years (Apple's revenue went from ``SalesRevenueNet`` to
    ``RevenueFromContractWithCustomerExcludingAssessedTax`` in 2018), so each year takes the
    first tag in the chain that reports it, and the series runs to the latest year any of them
    reports. A restatement (later ``filed``) wins over the original; quarters reported inside an
    annual filing are skipped.
    """
    for taxonomy in ("us-gaap", "ifrs-full"):
        concepts = (facts.get("facts") or {}).get(taxonomy) or {}
        by_end: dict[str, tuple[int, str, str, Mapping[str, Any]]] = {}
        for rank, tag in enumerate(tags):
            units = (concepts.get(tag) or {}).get("units") or {}
            if not isinstance(units, Mapping) or not units:
                continue
            unit_used = unit if unit in units else next(iter(units))
            for v in units.get(unit_used) or ():
                if not isinstance(v, Mapping) or v.get("val") is None or not v.get("end"):
                    continue
                if v.get("form") not in _ANNUAL_FORMS or v.get("fp") not in ("FY", None):
                    continue
                start, end = v.get("start"), str(v["end"])
                try:
                    if start and not 350 <= _days(str(start), end) <= 380:
                        continue  # a quarter reported inside the annual filing
                    int(end[:4])
                except ValueError:
                    continue
                held = by_end.get(end)
                if (
                    held is None
                    or rank < held[0]
                    or (rank == held[0] and str(v.get("filed", "")) > str(held[3].get("filed", "")))
                ):
                    by_end[end] = (rank, tag, unit_used, v)
        if by_end:
            return [
                FinancialMetric(
                    name=tag,
                    value=float(v["val"]),
                    unit=unit_used,
                    period_end=end,
                    fiscal_year=int(end[:4]),
                    form=v.get("form"),
                )
                for end, (_, tag, unit_used, v) in sorted(by_end.items())
            ]
    return []


def _days(start: str, end: str) -> int:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).days


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
    # a margin compares one year with itself: the latest revenue and income can be years apart
    if (
        latest_rev
        and latest_inc
        and latest_rev.value > 0
        and latest_rev.period_end == latest_inc.period_end
    ):
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
            cik = normalize_cik(row.get("cik_str")) if isinstance(row, Mapping) else None
            if cik is None:
                continue
            title = str(row.get("title", ""))
            index.setdefault(normalize_company_name(title), []).append(
                (cik, str(row.get("ticker", "")), title)
            )
        self._tickers = (now + 24 * 3600, index)
        return index

    @reads_payloads
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
        cik = normalize_cik(cik)
        if cik is None:
            return ResearchResult(
                provider=self.name,
                notes=("not a valid CIK",),
                requests=requests,
                no_match="not_found",
            )
        try:
            submissions = await self._get(SUBMISSIONS_URL.format(cik=cik), max_bytes=5_000_000)
        except HttpStatusError as err:
            if err.status_code != 404:  # EDGAR answers an unknown CIK with an XML S3 error
                raise
            return ResearchResult(
                provider=self.name,
                notes=(*notes, f"EDGAR has no filer with CIK {cik}"),
                requests=requests + 1,
                no_match="not_found",
            )
        requests += 1
        if not is_company_profile(submissions):
            return ResearchResult(
                provider=self.name,
                notes=(*notes, f"EDGAR sent no filer profile for CIK {cik}"),
                requests=requests,
                no_match="not_found",
            )
        kind, evidence = filer_kind(submissions)
        if kind == "person":
            # an individual filer's name and address are personal data, not company research
            return ResearchResult(
                provider=self.name,
                notes=(*notes, f"CIK {cik} is not a company: {'; '.join(evidence)}"),
                requests=requests,
                no_match="not_a_company",
            )
        if kind == "unknown":
            confidence = min(confidence, 0.5)
            notes.append(f"no sign CIK {cik} is a company ({'; '.join(evidence)}): unconfirmed")
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
            for row in _rows(_recent(submissions))
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
