"""Companies House (UK) company profiles, opt-in: it needs a free API key.

Register an application on the Companies House developer hub and pass the key; it is sent as
HTTP Basic username with an empty password, to the API host only (never across a redirect).
Only company-level endpoints are used: officers and persons with significant control are
personal data and are never fetched. Rate limit: 600 requests per 5 minutes per key.

Examples:
    >>> from leadqual.research.http import SafeFetcher
    >>> CompaniesHouseProvider(SafeFetcher(user_agent="docs"), api_key="k").name
    'companies_house'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from leadqual._geo import country_code
from leadqual._text import normalize_company_name
from leadqual.errors import ConfigurationError
from leadqual.research.http import HttpStatusError, SafeFetcher
from leadqual.research.providers import (
    CompanyFinancials,
    CompanyOverview,
    CompanyQuery,
    Provenance,
    ResearchResult,
)

__all__ = ["CompaniesHouseProvider", "profile_to_result"]

API = "https://api.company-information.service.gov.uk"
LICENCE = "Companies House data, Open Government Licence v3.0"


def profile_to_result(
    profile: Mapping[str, Any], /, *, provenance: Provenance, provider: str = "companies_house"
) -> tuple[CompanyOverview, CompanyFinancials]:
    """The overview and a health judgement from a ``/company/{number}`` profile."""
    office = profile.get("registered_office_address") or {}
    hq = ", ".join(
        str(p)
        for p in (office.get("locality"), office.get("postal_code"), office.get("country"))
        if p
    )
    sic = [str(s) for s in profile.get("sic_codes") or []]
    number = str(profile.get("company_number") or "")
    overview = CompanyOverview(
        provenance=provenance,
        name=profile.get("company_name"),
        legal_name=profile.get("company_name"),
        industry=f"SIC {', '.join(sic)}" if sic else None,
        headquarters=hq or None,
        country="United Kingdom",
        founded=profile.get("date_of_creation"),
        identifiers={"companies_house": number} if number else {},
        raw={
            "status": profile.get("company_status"),
            "type": profile.get("type"),
            "sic_codes": sic,
            "jurisdiction": profile.get("jurisdiction"),
        },
    )
    reasons: list[str] = []
    health: Literal["strong", "stable", "weak", "unknown"] = "stable"
    status = profile.get("company_status")
    if status and status != "active":
        health = "weak"
        reasons.append(f"company status is {status}")
    if profile.get("has_insolvency_history"):
        health = "weak"
        reasons.append("has an insolvency history")
    accounts = profile.get("accounts") or {}
    if accounts.get("overdue") or (accounts.get("next_accounts") or {}).get("overdue"):
        health = "weak"
        reasons.append("accounts are overdue")
    last = (accounts.get("last_accounts") or {}).get("made_up_to")
    if last:
        reasons.append(f"last accounts made up to {last}")
    if health == "stable" and not reasons:
        health = "unknown"
    financials = CompanyFinancials(
        provenance=provenance,
        currency="GBP",
        health=health,
        health_reasons=tuple(reasons),
        listed=None,
    )
    return overview, financials


class CompaniesHouseProvider:
    """UK company profiles from the Companies House public data API (key required).

    Args:
        fetcher: the shared :class:`~leadqual.research.http.SafeFetcher`.
        api_key: your Companies House API key.
        uk_only: search by name only for companies whose country or domain says UK (a known
            company number is always looked up).
    """

    name = "companies_house"
    external = True
    max_concurrency = 2
    """Calls in flight at once (the Researcher honours it)."""
    depends_on = ("wikidata", "gleif")

    def __init__(self, fetcher: SafeFetcher, *, api_key: str, uk_only: bool = True) -> None:
        if not api_key or not api_key.strip():
            raise ConfigurationError(
                "CompaniesHouseProvider needs api_key (free from the Companies House developer hub)"
            )
        self.fetcher = fetcher
        self._auth = (api_key.strip(), "")
        self.uk_only = uk_only
        fetcher.limit("api.company-information.service.gov.uk", 2.0)

    def __repr__(self) -> str:  # never show the key
        return "CompaniesHouseProvider(api_key=***)"

    def _looks_uk(self, company: CompanyQuery) -> bool:
        return country_code(company.country) == "GB" or bool(
            company.domain and company.domain.endswith(".uk")
        )

    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        """Look the company up by number (or by name for UK companies)."""
        requests = 0
        notes: list[str] = []
        number = company.ids.get("companies_house")
        confidence = 1.0
        if not number:
            if not company.name or (self.uk_only and not self._looks_uk(company)):
                return ResearchResult(provider=self.name, notes=("not a UK company (no number)",))
            found = await self.fetcher.get_json(
                f"{API}/search/companies",
                params={"q": company.name, "items_per_page": 10},
                auth=self._auth,
                provider=self.name,
            )
            requests += 1
            wanted = normalize_company_name(company.name)
            exact = [
                i
                for i in found.get("items") or []
                if normalize_company_name(str(i.get("title", ""))) == wanted
            ]
            active = [i for i in exact if i.get("company_status") == "active"] or exact
            if not active:
                return ResearchResult(
                    provider=self.name, notes=("no company with this name",), requests=requests
                )
            number = str(active[0].get("company_number"))
            confidence = 0.8 if len(active) == 1 else 0.5
            if len(active) > 1:
                notes.append("ambiguous: several companies share the name")
        try:
            profile = await self.fetcher.get_json(
                f"{API}/company/{number}", auth=self._auth, provider=self.name
            )
            requests += 1
        except HttpStatusError as err:
            if err.status_code == 404:
                return ResearchResult(
                    provider=self.name, notes=(f"no company {number}",), requests=requests + 1
                )
            raise
        prov = Provenance(
            source=self.name,
            url=f"https://find-and-update.company-information.service.gov.uk/company/{number}",
            retrieved_at=datetime.now(UTC),
            licence=LICENCE,
            attribution="Contains public sector information licensed under the Open Government Licence v3.0",
            match_confidence=confidence,
        )
        overview, financials = profile_to_result(profile, provenance=prov)
        return ResearchResult(
            provider=self.name,
            overviews=(overview,),
            financials=(financials,),
            identifiers=overview.identifiers if confidence >= 0.6 else {},
            notes=tuple(notes),
            requests=requests,
        )
