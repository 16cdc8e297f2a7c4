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
from leadqual.errors import ConfigurationError, ProviderError
from leadqual.research._payloads import reads_payloads
from leadqual.research.http import HttpStatusError, SafeFetcher
from leadqual.research.providers import (
    CompanyFinancials,
    CompanyOverview,
    CompanyQuery,
    Provenance,
    ResearchResult,
)

__all__ = ["CompaniesHouseProvider", "api_error", "profile_to_result"]

API = "https://api.company-information.service.gov.uk"
LICENCE = "Companies House data, Open Government Licence v3.0"


LIVE_STATUSES = frozenset({"active", "open"})
"""Statuses of a company that trades: ``open`` is a UK establishment's ``active``."""


def api_error(body: Any, /) -> tuple[str, ...]:
    """The error codes of a Companies House error body, in either of its envelopes (empty for
    a body that is not an error).

    The API answers with two shapes: ``{"errors": [{"error": "company-profile-not-found",
    "type": "ch:service"}]}`` (a 404) and ``{"error": "Empty Authorization header", "type":
    "ch:service"}`` (a 401).

    Examples:
        >>> api_error({"errors": [{"error": "company-profile-not-found", "type": "ch:service"}]})
        ('company-profile-not-found',)
        >>> api_error({"error": "Invalid Authorization", "type": "ch:service"})
        ('Invalid Authorization',)
        >>> api_error({"company_name": "BENTLEY CARS LIMITED"})
        ()
    """
    if not isinstance(body, Mapping):
        return ()
    errors = body.get("errors")
    if isinstance(errors, list):
        codes = tuple(
            str(e.get("error") or e.get("type") or "error")
            for e in errors
            if isinstance(e, Mapping)
        )
        return codes or ("error",)
    if isinstance(body.get("error"), str):
        return (str(body["error"]),)
    return ()


def _is_not_found(codes: tuple[str, ...]) -> bool:
    return any("not-found" in c or "not found" in c.lower() for c in codes)


_UK_JURISDICTIONS = frozenset(
    {"england-wales", "wales", "scotland", "northern-ireland", "united-kingdom", "great-britain"}
)


def _country_of(profile: Mapping[str, Any]) -> str | None:
    """Where the company is incorporated: an overseas company registered in the UK (an ``FC``
    or ``OE`` number) says so in its foreign details; a UK jurisdiction is the United Kingdom;
    anything else is not guessed."""
    foreign = profile.get("foreign_company_details")
    if isinstance(foreign, Mapping):
        registry = foreign.get("originating_registry")
        if isinstance(registry, Mapping):
            named = registry.get("country")
            if isinstance(named, str) and named.strip():
                return named.strip()
        return None
    jurisdiction = profile.get("jurisdiction")
    if jurisdiction is None or (
        isinstance(jurisdiction, str) and jurisdiction.strip().lower() in _UK_JURISDICTIONS
    ):
        return "United Kingdom"
    return None


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
    # older profiles carry "status" beside (or instead of) "company_status"
    status = profile.get("company_status") or profile.get("status")
    overview = CompanyOverview(
        provenance=provenance,
        name=profile.get("company_name"),
        legal_name=profile.get("company_name"),
        industry=f"SIC {', '.join(sic)}" if sic else None,
        headquarters=hq or None,
        country=_country_of(profile),
        founded=profile.get("date_of_creation"),
        identifiers={"companies_house": number} if number else {},
        raw={
            "status": status,
            "type": profile.get("type"),
            "sic_codes": sic,
            "jurisdiction": profile.get("jurisdiction"),
            "date_of_cessation": profile.get("date_of_cessation"),
            "previous_names": [
                str(n["name"])
                for n in profile.get("previous_company_names") or []
                if isinstance(n, Mapping) and n.get("name")
            ],
        },
    )
    reasons: list[str] = []
    health: Literal["strong", "stable", "weak", "unknown"] = "stable"
    if status and status not in LIVE_STATUSES:
        health = "weak"
        reasons.append(f"company status is {status}")
    if profile.get("has_insolvency_history"):
        health = "weak"
        reasons.append("has an insolvency history")
    accounts = profile.get("accounts") or {}
    if status in LIVE_STATUSES and (
        accounts.get("overdue") or (accounts.get("next_accounts") or {}).get("overdue")
    ):
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

    async def _get(self, url: str, *, params: Mapping[str, str | int] | None = None) -> Any:
        try:
            return await self.fetcher.get_json(
                url, params=params, auth=self._auth, provider=self.name
            )
        except HttpStatusError as err:
            if err.status_code in (401, 403):
                raise HttpStatusError(
                    f"companies_house: the API key was refused (HTTP {err.status_code}); check "
                    "the key from the Companies House developer hub",
                    provider=self.name,
                    status_code=err.status_code,
                ) from err
            raise

    def _looks_uk(self, company: CompanyQuery) -> bool:
        return country_code(company.country) == "GB" or bool(
            company.domain and company.domain.endswith(".uk")
        )

    @reads_payloads
    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        """Look the company up by number (or by name for UK companies)."""
        requests = 0
        notes: list[str] = []
        number = company.ids.get("companies_house")
        confidence = 1.0
        if not number:
            if not company.name or (self.uk_only and not self._looks_uk(company)):
                return ResearchResult(provider=self.name, notes=("not a UK company (no number)",))
            found = await self._get(
                f"{API}/search/companies", params={"q": company.name, "items_per_page": 10}
            )
            requests += 1
            codes = api_error(found)
            if codes:
                raise ProviderError(
                    f"companies_house: search failed ({', '.join(codes)})"[:300],
                    provider=self.name,
                )
            wanted = normalize_company_name(company.name)
            items = found.get("items") if isinstance(found, Mapping) else None
            exact = [
                i
                for i in (items if isinstance(items, list) else [])
                if isinstance(i, Mapping)
                # the all-search endpoint mixes officers (people) and disqualified directors
                # in with companies: only company results are candidates
                and str(i.get("kind") or "searchresults#company") == "searchresults#company"
                and i.get("company_number")
                and normalize_company_name(str(i.get("title", ""))) == wanted
            ]
            active = [i for i in exact if i.get("company_status") in LIVE_STATUSES] or exact
            if not active:
                return ResearchResult(
                    provider=self.name,
                    notes=("no company with this name",),
                    requests=requests,
                    no_match="not_found",
                )
            number = str(active[0].get("company_number"))
            confidence = 0.8 if len(active) == 1 else 0.5
            if len(active) > 1:
                notes.append("ambiguous: several companies share the name")
        try:
            profile = await self._get(f"{API}/company/{number}")
            requests += 1
        except HttpStatusError as err:
            if err.status_code == 404:
                return ResearchResult(
                    provider=self.name,
                    notes=(*notes, f"no company {number}"),
                    requests=requests + 1,
                    no_match="not_found",
                )
            raise
        codes = api_error(profile)
        if codes or not isinstance(profile, Mapping) or not profile.get("company_name"):
            if codes and not _is_not_found(codes):
                raise ProviderError(
                    f"companies_house: API error ({', '.join(codes)})"[:300], provider=self.name
                )
            return ResearchResult(
                provider=self.name,
                notes=(*notes, f"no company profile for {number}"),
                requests=requests,
                no_match="not_found",
            )
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
