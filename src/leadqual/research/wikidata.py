"""Wikidata: industry, employees, headquarters, inception, website, revenue, and the ids that
link a company to other sources (SEC CIK, LEI, Companies House number, English Wikipedia title).

Structured data on Wikidata is CC0. The provider searches by name (``wbsearchentities``), fetches
up to ten candidates in one ``wbgetentities`` call, and scores each: the official website on the
company's domain counts most, then a business class (``P31``), then the label. It never presents
a guess as a fact: the best candidate's score becomes the result's ``match_confidence``, and an
item that is a person is refused outright (a person's data is not company research).

Examples:
    >>> WikidataProvider.name
    'wikidata'
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rapidfuzz import fuzz

from leadqual._domains import registrable_domain
from leadqual._geo import country_code
from leadqual._text import normalize_company_name
from leadqual.errors import MalformedResponse, ProviderError
from leadqual.research._payloads import reads_payloads
from leadqual.research.http import SafeFetcher
from leadqual.research.providers import (
    CompanyFinancials,
    CompanyOverview,
    CompanyQuery,
    FinancialMetric,
    Provenance,
    ResearchResult,
)
from leadqual.research.website import clean_text

__all__ = ["WikidataProvider", "parse_entity"]

logger = logging.getLogger(__name__)

API = "https://www.wikidata.org/w/api.php"
LICENCE = "CC0 1.0 (Wikidata)"

# P31 classes that mark a company. Subclass chains are not walked (that needs SPARQL): items
# with another class can still match on their website.
BUSINESS_CLASSES = frozenset({
    "Q4830453", "Q783794", "Q891723", "Q6881511", "Q167037", "Q43229", "Q1058914",
    "Q210167", "Q658255", "Q2085381", "Q1589009", "Q18388277", "Q17377208", "Q22687",
    "Q3918", "Q1616075", "Q15911314", "Q740752", "Q219577",
})  # fmt: skip
PERSON_CLASSES = frozenset({"Q5", "Q15632617"})
_COUNTRY_QIDS = {
    "US": "Q30", "GB": "Q145", "DE": "Q183", "FR": "Q142", "ES": "Q29", "NL": "Q55",
    "CA": "Q16", "MX": "Q96", "BR": "Q155", "JP": "Q17", "IN": "Q668", "AU": "Q408",
    "SE": "Q34", "CH": "Q39", "IT": "Q38", "IE": "Q27",
}  # fmt: skip
CURRENCIES = {
    "Q4917": "USD", "Q4916": "EUR", "Q25224": "GBP", "Q8146": "JPY", "Q39099": "CNY",
    "Q25344": "CHF", "Q1104069": "CAD", "Q259502": "AUD", "Q4596": "MXN", "Q173117": "BRL",
    "Q80524": "INR", "Q122922": "SEK",
}  # fmt: skip


def _snak_value(snak: Mapping[str, Any]) -> Any:
    if snak.get("snaktype") != "value":
        return None
    return (snak.get("datavalue") or {}).get("value")


def _item_id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        if value.get("id"):
            return str(value["id"])
        if value.get("numeric-id") is not None:
            return f"Q{value['numeric-id']}"
    return None


def _best_statements(claims: Mapping[str, Any], prop: str) -> list[Mapping[str, Any]]:
    """Statements of ``prop`` by the selection rule: deprecated skipped, preferred first, then
    the latest ``P585`` (point in time) qualifier."""
    statements = [s for s in claims.get(prop, ()) if s.get("rank") != "deprecated"]
    preferred = [s for s in statements if s.get("rank") == "preferred"]
    if preferred:
        return preferred

    def when(s: Mapping[str, Any]) -> str:
        for q in (s.get("qualifiers") or {}).get("P585", ()):
            v = _snak_value(q)
            if isinstance(v, Mapping) and v.get("time"):
                return str(v["time"]).lstrip("+")
        return ""

    return sorted(statements, key=when, reverse=True)


def _first(claims: Mapping[str, Any], prop: str) -> Any:
    for s in _best_statements(claims, prop):
        v = _snak_value(s.get("mainsnak") or {})
        if v is not None:
            return v
    return None


def _point_in_time(claims: Mapping[str, Any], prop: str) -> str | None:
    for s in _best_statements(claims, prop):
        for q in (s.get("qualifiers") or {}).get("P585", ()):
            v = _snak_value(q)
            if isinstance(v, Mapping) and v.get("time"):
                return _format_time(v)
        return None
    return None


def _format_time(value: Mapping[str, Any]) -> str | None:
    """A Wikidata time at its precision: year (9), month (10) or day (11)."""
    raw = str(value.get("time", "")).lstrip("+")
    if len(raw) < 10:
        return None
    precision = int(value.get("precision", 11))
    if precision <= 9:
        return raw[:4]
    if precision == 10:
        return raw[:7]
    return raw[:10]


def _quantity(value: Any) -> tuple[float, str | None] | None:
    if not isinstance(value, Mapping) or "amount" not in value:
        return None
    try:
        amount = float(str(value["amount"]))
    except ValueError:
        return None
    unit = str(value.get("unit", "1"))
    qid = unit.rsplit("/", 1)[-1] if unit.startswith("http") else None
    return amount, qid


def parse_entity(entity: Mapping[str, Any], /, *, language: str = "en") -> dict[str, Any]:
    """The company facts of one Wikidata entity (labels of linked items not resolved yet).

    Returns a mapping with ``qid``, ``label``, ``description``, ``classes``, ``website``,
    ``employees`` and ``employees_as_of``, ``founded``, ``industry_ids``, ``hq_ids``,
    ``country_ids``, ``revenue`` / ``net_income`` (amount, currency, as of), ``ids`` and
    ``wikipedia``.
    """
    claims: Mapping[str, Any] = entity.get("claims") or {}
    label = clean_text(((entity.get("labels") or {}).get(language) or {}).get("value"), limit=200)
    description = clean_text(
        ((entity.get("descriptions") or {}).get(language) or {}).get("value"), limit=500
    )
    classes = [
        i
        for s in claims.get("P31", ())
        if s.get("rank") != "deprecated"
        if (i := _item_id(_snak_value(s.get("mainsnak") or {})))
    ]

    def items(prop: str) -> list[str]:
        return [
            i
            for s in _best_statements(claims, prop)
            if (i := _item_id(_snak_value(s.get("mainsnak") or {})))
        ]

    employees = _quantity(_first(claims, "P1128"))
    founded_raw = _first(claims, "P571")
    money: dict[str, tuple[float, str | None, str | None]] = {}
    for key, prop in (("revenue", "P2139"), ("net_income", "P2295"), ("total_assets", "P2403")):
        q = _quantity(_first(claims, prop))
        if q is not None:
            money[key] = (q[0], CURRENCIES.get(q[1] or ""), _point_in_time(claims, prop))
    ids: dict[str, str] = {}
    qid = str(entity.get("id") or entity.get("title") or "")
    if qid:
        ids["wikidata"] = qid
    cik = _first(claims, "P5531")
    if isinstance(cik, str) and cik.strip().isdigit():
        ids["sec_cik"] = cik.strip().zfill(10)
    for key, prop in (("lei", "P1278"), ("companies_house", "P2622"), ("opencorporates", "P1320")):
        v = _first(claims, prop)
        if isinstance(v, str) and v.strip():
            ids[key] = v.strip()
    wiki = ((entity.get("sitelinks") or {}).get(f"{language}wiki") or {}).get("title")
    if wiki:
        ids["wikipedia"] = str(wiki)
    website = _first(claims, "P856")
    return {
        "qid": qid,
        "label": label,
        "description": description,
        "classes": classes,
        "website": website if isinstance(website, str) else None,
        "employees": int(employees[0]) if employees and employees[0] >= 0 else None,
        "employees_as_of": _point_in_time(claims, "P1128"),
        "founded": _format_time(founded_raw) if isinstance(founded_raw, Mapping) else None,
        "industry_ids": items("P452"),
        "hq_ids": items("P159"),
        "country_ids": items("P17"),
        "money": money,
        "ids": ids,
        "wikipedia": wiki,
    }


def score_candidate(facts: Mapping[str, Any], query: CompanyQuery, /) -> tuple[float, list[str]]:
    """How likely a parsed entity is the queried company (0-1), and why."""
    score, why = 0.0, []
    site = registrable_domain(facts["website"]) if facts.get("website") else None
    if query.domain and site:
        if site == query.domain:
            score += 0.6
            why.append(f"official website on {site}")
        else:
            score -= 0.3
            why.append(f"official website is {site}, not {query.domain}")
    if set(facts.get("classes", ())) & BUSINESS_CLASSES:
        score += 0.2
        why.append("an instance of a business class")
    if query.name and facts.get("label"):
        a, b = normalize_company_name(query.name), normalize_company_name(facts["label"])
        if a == b:
            score += 0.2
            why.append("same name")
        elif fuzz.token_sort_ratio(a, b) >= 90:
            score += 0.1
            why.append("similar name")
    wanted = _COUNTRY_QIDS.get(country_code(query.country) or "")
    if wanted and facts.get("country_ids"):
        if wanted in facts["country_ids"]:
            score += 0.1
            why.append("same country")
        else:
            score -= 0.1
            why.append("another country")
    for key in ("sec_cik", "lei", "companies_house"):
        if key in query.ids and facts["ids"].get(key) == query.ids[key]:
            score += 0.6
            why.append(f"same {key}")
    return max(0.0, min(1.0, score)), why


class WikidataProvider:
    """Company facts from Wikidata (keyless, CC0).

    Args:
        fetcher: the shared :class:`~leadqual.research.http.SafeFetcher` (its user agent should
            carry a contact, as Wikimedia asks).
        language: label language.
        max_candidates: search results scored per company.
        accept_below: candidates scoring under this are not returned at all.

    Examples:
        >>> from leadqual.research.http import SafeFetcher
        >>> WikidataProvider(SafeFetcher(user_agent="docs")).external
        True
    """

    name = "wikidata"
    external = True
    max_concurrency = 2
    """Calls in flight at once (the Researcher honours it)."""

    def __init__(
        self,
        fetcher: SafeFetcher,
        *,
        language: str = "en",
        max_candidates: int = 10,
        accept_below: float = 0.3,
    ) -> None:
        self.fetcher = fetcher
        self.language = language
        self.max_candidates = max_candidates
        self.accept_below = accept_below
        fetcher.limit("www.wikidata.org", 5.0)  # Wikimedia asks for gentle, mostly serial use

    async def _api(self, params: Mapping[str, str | int]) -> Any:
        data = await self.fetcher.get_json(
            API, params={**params, "format": "json", "maxlag": 5}, provider=self.name
        )
        if not isinstance(data, Mapping):
            raise MalformedResponse(
                f"wikidata: expected a JSON object, got {type(data).__name__}", provider=self.name
            )
        if "error" in data:
            err = data["error"]
            code, info = (
                (err.get("code", "?"), err.get("info", ""))
                if isinstance(err, Mapping)
                else (err, "")
            )
            raise ProviderError(f"wikidata: API error {code}: {info}"[:300], provider=self.name)
        return data

    async def _entities(self, ids: Sequence[str], *, props: str) -> Mapping[str, Any]:
        data = await self._api(
            {
                "action": "wbgetentities",
                "ids": "|".join(ids[:50]),
                "props": props,
                "languages": self.language,
                "sitefilter": f"{self.language}wiki",
            }
        )
        entities = data.get("entities") if isinstance(data, Mapping) else None
        return entities if isinstance(entities, Mapping) else {}

    @reads_payloads
    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        """Find the company's Wikidata item and read its facts."""
        requests = 0
        notes: list[str] = []
        if company.ids.get("wikidata"):
            candidates = [company.ids["wikidata"]]
            notes.append("item id given")
        elif company.name:
            search = await self._api(
                {
                    "action": "wbsearchentities",
                    "search": company.name,
                    "language": self.language,
                    "uselang": self.language,
                    "type": "item",
                    "limit": self.max_candidates,
                }
            )
            requests += 1
            hits = search.get("search")
            candidates = [
                str(h["id"])
                for h in (hits if isinstance(hits, list) else [])
                if isinstance(h, Mapping) and h.get("id")
            ]
        else:
            return ResearchResult(provider=self.name, notes=("no name or Wikidata id to search",))
        if not candidates:
            return ResearchResult(
                provider=self.name, notes=("no Wikidata item found",), requests=requests
            )
        entities = await self._entities(candidates, props="labels|descriptions|claims|sitelinks")
        requests += 1
        scored = []
        for qid in candidates:
            entity = entities.get(qid)
            if not isinstance(entity, Mapping) or "missing" in entity:
                continue
            facts = parse_entity(entity, language=self.language)
            if set(facts["classes"]) & PERSON_CLASSES:
                notes.append(f"{qid} is a person, not a company: skipped")
                continue
            score, why = score_candidate(facts, company)
            if company.ids.get("wikidata") == qid:
                score, why = 1.0, ["item id given", *why]
            scored.append((score, qid, facts, why))
        scored.sort(key=lambda t: (-t[0], t[1]))
        if not scored or scored[0][0] < self.accept_below:
            notes.append("no Wikidata item matched well enough")
            return ResearchResult(provider=self.name, notes=tuple(notes), requests=requests)
        score, qid, facts, why = scored[0]
        if len(scored) > 1 and scored[1][0] >= score - 0.1 and score < 1.0:
            # two near-equal candidates: the right "Contoso" is not known, say so
            score = min(score, 0.5)
            notes.append(f"ambiguous: {scored[1][1]} scores almost as well as {qid}")
        notes.append(f"matched {qid} ({', '.join(why) or 'weak match'})")
        linked = [*facts["industry_ids"][:3], *facts["hq_ids"][:1], *facts["country_ids"][:1]]
        labels: dict[str, str] = {}
        if linked:
            for lid, ent in (await self._entities(linked, props="labels")).items():
                value = ((ent.get("labels") or {}).get(self.language) or {}).get("value")
                if value:
                    labels[lid] = str(value)
            requests += 1
        now = datetime.now(UTC)
        prov = Provenance(
            source=self.name,
            url=f"https://www.wikidata.org/wiki/{qid}",
            retrieved_at=now,
            licence=LICENCE,
            match_confidence=round(score, 3),
        )
        industries = [labels[i] for i in facts["industry_ids"] if i in labels]
        overview = CompanyOverview(
            provenance=prov,
            name=facts["label"],
            description=facts["description"],
            industry=", ".join(industries[:3]) or None,
            employee_count=facts["employees"],
            employee_count_as_of=facts["employees_as_of"],
            headquarters=next((labels[i] for i in facts["hq_ids"] if i in labels), None),
            country=next((labels[i] for i in facts["country_ids"] if i in labels), None),
            founded=facts["founded"],
            website=facts["website"],
            identifiers=facts["ids"],
        )
        financials: tuple[CompanyFinancials, ...] = ()
        money = facts["money"]
        if money:
            metrics = tuple(
                FinancialMetric(
                    name=k,
                    value=v[0],
                    unit=v[1] or "unknown currency",
                    period_end=v[2],
                    fiscal_year=int(v[2][:4]) if v[2] else None,
                )
                for k, v in money.items()
            )
            revenue = money.get("revenue")
            income = money.get("net_income")
            financials = (
                CompanyFinancials(
                    provenance=prov,
                    currency=(revenue or income or (0.0, None, None))[1],
                    revenue=revenue[0] if revenue else None,
                    net_income=income[0] if income else None,
                    fiscal_year=metrics[0].fiscal_year,
                    metrics=metrics,
                ),
            )
        return ResearchResult(
            provider=self.name,
            overviews=(overview,),
            financials=financials,
            identifiers=facts["ids"] if score >= 0.6 else {},
            notes=tuple(notes),
            requests=requests,
        )
