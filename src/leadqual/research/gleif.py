"""GLEIF LEI records: the authoritative legal name, legal and headquarters address, registry
number and parent companies of about three million legal entities (CC0, keyless).

By LEI when known (Wikidata supplies it), else by legal name (``filter[entity.legalName]``),
scored by name, country and status. GLEIF has no industry, size or financial fields.

Examples:
    >>> GleifProvider.name
    'gleif'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from leadqual._geo import country_code
from leadqual._text import normalize_company_name
from leadqual.research._payloads import reads_payloads
from leadqual.research.http import HttpStatusError, SafeFetcher
from leadqual.research.providers import CompanyOverview, CompanyQuery, Provenance, ResearchResult

__all__ = ["GleifProvider", "overview_from_record", "reports_a_parent"]

API = "https://api.gleif.org/api/v1"
LICENCE = "CC0 1.0 (GLEIF)"
COMPANIES_HOUSE_RA = "RA000585"
"""GLEIF's registration-authority code for Companies House (England and Wales)."""


def _address(a: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    if not a:
        return None, None
    parts = [a.get("city"), a.get("region"), a.get("country")]
    return ", ".join(str(p) for p in parts if p) or None, a.get("country")


def _data(body: Any) -> Any:
    return body.get("data") if isinstance(body, Mapping) else None


def reports_a_parent(record: Mapping[str, Any], /) -> bool:
    """Whether a record may have a direct parent to fetch: GLEIF links ``related`` when one is
    reported and ``reporting-exception`` when the entity declared why none is (no request
    then). A record without relationships (a trimmed payload) is asked."""
    relationships = record.get("relationships")
    if not isinstance(relationships, Mapping) or "direct-parent" not in relationships:
        return True
    links = (relationships.get("direct-parent") or {}).get("links") or {}
    return "related" in links or "reporting-exception" not in links


def overview_from_record(
    record: Mapping[str, Any], /, *, provenance: Provenance
) -> CompanyOverview:
    """A :class:`CompanyOverview` from one ``lei-records`` data item."""
    attrs = record.get("attributes") or {}
    entity = attrs.get("entity") or {}
    lei = str(attrs.get("lei") or record.get("id") or "")
    legal = (entity.get("legalName") or {}).get("name")
    hq, hq_country = _address(entity.get("headquartersAddress"))
    _legal_address, legal_country = _address(entity.get("legalAddress"))
    ids = {"lei": lei} if lei else {}
    registered_at = (entity.get("registeredAt") or {}).get("id")
    if registered_at == COMPANIES_HOUSE_RA and entity.get("registeredAs"):
        ids["companies_house"] = str(entity["registeredAs"])
    return CompanyOverview(
        provenance=provenance,
        name=legal,
        legal_name=legal,
        headquarters=hq,
        country=hq_country or legal_country,
        identifiers=ids,
        raw={
            "category": entity.get("category"),
            "jurisdiction": entity.get("jurisdiction"),
            "legal_form": (entity.get("legalForm") or {}).get("id"),
            "entity_status": entity.get("status"),
            "registration_status": (attrs.get("registration") or {}).get("status"),
            "registered_as": entity.get("registeredAs"),
            "other_names": [
                n.get("name")
                for n in entity.get("otherNames") or []
                if isinstance(n, Mapping) and n.get("name")
            ],
        },
    )


class GleifProvider:
    """Legal entity facts from the GLEIF LEI API.

    Args:
        fetcher: the shared :class:`~leadqual.research.http.SafeFetcher`.
        parents: also fetch the direct parent's legal name (one more request).

    Examples:
        >>> from leadqual.research.http import SafeFetcher
        >>> GleifProvider(SafeFetcher(user_agent="docs")).parents
        True
    """

    name = "gleif"
    external = True
    max_concurrency = 1
    """Calls in flight at once (the Researcher honours it)."""
    depends_on = ("wikidata",)

    def __init__(self, fetcher: SafeFetcher, *, parents: bool = True) -> None:
        self.fetcher = fetcher
        self.parents = parents
        fetcher.limit("api.gleif.org", 1.0)  # 60 requests/minute is the reported ceiling

    @reads_payloads
    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        """Find the company's LEI record (by LEI, else by legal name)."""
        requests = 0
        notes: list[str] = []
        lei = company.ids.get("lei")
        confidence = 1.0
        if lei:
            notes.append("LEI given")
            try:
                data = await self.fetcher.get_json(f"{API}/lei-records/{lei}", provider=self.name)
            except HttpStatusError as err:
                if err.status_code != 404:
                    raise
                return ResearchResult(
                    provider=self.name,
                    notes=(*notes, f"no LEI record {lei}"),
                    requests=1,
                    no_match="not_found",
                )
            requests += 1
            record = _data(data)
        elif company.name:
            params: dict[str, str | int] = {
                "filter[entity.legalName]": company.name,
                "page[size]": 10,
            }
            code = country_code(company.country)
            if code:
                params["filter[entity.legalAddress.country]"] = code
            data = await self.fetcher.get_json(
                f"{API}/lei-records", params=params, provider=self.name
            )
            requests += 1
            wanted = normalize_company_name(company.name)
            scored = []
            records = _data(data)
            for rec in records if isinstance(records, list) else []:
                if not isinstance(rec, Mapping):
                    continue
                attrs = rec.get("attributes") or {}
                entity = attrs.get("entity") or {}
                legal = (entity.get("legalName") or {}).get("name") or ""
                s = 0.0
                if normalize_company_name(legal) == wanted:
                    s += 0.6
                if code and (entity.get("legalAddress") or {}).get("country") == code:
                    s += 0.2
                if entity.get("status") == "ACTIVE":
                    s += 0.1
                if (attrs.get("registration") or {}).get("status") == "ISSUED":
                    s += 0.1
                scored.append((s, rec))
            scored.sort(key=lambda t: -t[0])
            if not scored or scored[0][0] < 0.6:
                return ResearchResult(
                    provider=self.name,
                    notes=("no LEI record with this legal name",),
                    requests=requests,
                    no_match="not_found",
                )
            confidence, record = scored[0]
            if len(scored) > 1 and scored[1][0] >= confidence - 0.05:
                confidence = min(confidence, 0.5)
                notes.append("ambiguous: several LEI records match the name")
        else:
            return ResearchResult(provider=self.name, notes=("no name or LEI",))
        attrs = record.get("attributes") if isinstance(record, Mapping) else None
        found_lei = (
            str(attrs.get("lei") or record.get("id") or "")
            if isinstance(record, Mapping) and isinstance(attrs, Mapping)
            else ""
        )
        if not isinstance(record, Mapping) or not found_lei:
            return ResearchResult(
                provider=self.name,
                notes=(*notes, "no LEI record"),
                requests=requests,
                no_match="not_found",
            )
        prov = Provenance(
            source=self.name,
            url=f"https://search.gleif.org/#/record/{found_lei}",
            retrieved_at=datetime.now(UTC),
            licence=LICENCE,
            match_confidence=round(confidence, 3),
        )
        overview = overview_from_record(record, provenance=prov)
        if self.parents and confidence >= 0.6 and reports_a_parent(record):
            try:
                parent = await self.fetcher.get_json(
                    f"{API}/lei-records/{found_lei}/direct-parent", provider=self.name
                )
                requests += 1
                p_entity = ((parent.get("data") or {}).get("attributes") or {}).get("entity") or {}
                p_name = (p_entity.get("legalName") or {}).get("name")
                if p_name:
                    overview = overview.replace(raw={**overview.raw, "direct_parent": p_name})
            except HttpStatusError as err:
                requests += 1
                if err.status_code != 404:  # 404: no parent reported, the usual case
                    notes.append(f"parent look-up failed (HTTP {err.status_code})")
        return ResearchResult(
            provider=self.name,
            overviews=(overview,),
            identifiers=overview.identifiers if confidence >= 0.6 else {},
            notes=tuple(notes),
            requests=requests,
        )
