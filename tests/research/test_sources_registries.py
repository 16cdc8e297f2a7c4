"""GLEIF, Wikipedia and Companies House providers.

These answers are hand-built in the documented shapes with invented values, for cases the real
recordings do not cover; test_recorded_responses.py serves the recorded responses
(tests/fixtures/research/recorded/).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from leadqual.errors import ConfigurationError
from leadqual.research.companies_house import CompaniesHouseProvider
from leadqual.research.gleif import GleifProvider, country_code
from leadqual.research.providers import CompanyQuery
from leadqual.research.wikipedia import WikipediaProvider
from leadqual.testing.research import mock_fetcher


def lei_record(
    lei: str, name: str, country: str = "GB", status: str = "ACTIVE", ra: str = "RA000585"
) -> dict[str, Any]:
    address = {
        "language": "en",
        "addressLines": ["1 High St"],
        "city": "London",
        "region": None,
        "country": country,
        "postalCode": "EC1A 1AA",
    }
    return {
        "type": "lei-records",
        "id": lei,
        "attributes": {
            "lei": lei,
            "entity": {
                "legalName": {"name": name, "language": "en"},
                "otherNames": [],
                "legalAddress": address,
                "headquartersAddress": address,
                "registeredAt": {"id": ra, "other": None},
                "registeredAs": "01234567",
                "jurisdiction": country,
                "legalForm": {"id": "H0PO", "other": None},
                "status": status,
            },
            "registration": {"status": "ISSUED"},
        },
    }


# -- GLEIF ----------------------------------------------------------------------------------------


def test_gleif_by_name_reads_legal_facts_parent_and_the_companies_house_number() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/direct-parent"):
            return httpx.Response(
                200,
                json={"data": lei_record("PARENT0000000000001", "Contoso Holdings plc")},
                headers={"Content-Type": "application/vnd.api+json"},
            )
        return httpx.Response(
            200,
            json={
                "data": [
                    lei_record("OTHER00000000000001", "Contoso Foods Ltd"),
                    lei_record("5493001KJTIIGC8Y1R12", "Contoso Ltd"),
                ],
                "meta": {"pagination": {"total": 2}},
            },
            headers={"Content-Type": "application/vnd.api+json"},
        )

    result = asyncio.run(
        GleifProvider(mock_fetcher(handler)).aresearch(
            CompanyQuery(name="Contoso Limited", country="United Kingdom")
        )
    )
    ov = result.overviews[0]
    assert ov.legal_name == "Contoso Ltd" and ov.country == "GB"
    assert result.identifiers == {"lei": "5493001KJTIIGC8Y1R12", "companies_house": "01234567"}
    assert ov.raw["direct_parent"] == "Contoso Holdings plc"
    assert seen[0].url.params["filter[entity.legalName]"] == "Contoso Limited"
    assert seen[0].url.params["filter[entity.legalAddress.country]"] == "GB"


def test_gleif_without_a_parent_is_fine_and_unknown_names_are_empty() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/direct-parent"):
            return httpx.Response(404, json={"errors": [{"status": "404"}]})
        if "lei-records/" in request.url.path:
            return httpx.Response(
                200, json={"data": lei_record("5493001KJTIIGC8Y1R12", "Contoso Ltd")}
            )
        return httpx.Response(200, json={"data": []})

    fetcher = mock_fetcher(handler)
    by_lei = asyncio.run(
        GleifProvider(fetcher).aresearch(
            CompanyQuery(name="x", ids={"lei": "5493001KJTIIGC8Y1R12"})
        )
    )
    assert (
        by_lei.overviews[0].provenance.match_confidence == 1.0
        and "direct_parent" not in by_lei.overviews[0].raw
    )
    none = asyncio.run(GleifProvider(fetcher).aresearch(CompanyQuery(name="Unknown Widgets")))
    assert none.is_empty


def test_gleif_two_equal_matches_are_not_presented_as_certain() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "data": [lei_record("A" * 20, "Contoso Ltd"), lei_record("B" * 20, "Contoso Ltd")]
            },
        )

    result = asyncio.run(
        GleifProvider(mock_fetcher(handler), parents=False).aresearch(
            CompanyQuery(name="Contoso Ltd")
        )
    )
    assert result.overviews[0].provenance.match_confidence <= 0.5
    assert result.identifiers == {}


@pytest.mark.parametrize(
    ("given", "code"),
    [("GB", "GB"), ("United States", "US"), ("México", "MX"), ("Atlantis", None), (None, None)],
)
def test_country_code(given: str | None, code: str | None) -> None:
    assert country_code(given) == code


# -- Wikipedia -------------------------------------------------------------------------------------


SUMMARY = {
    "type": "standard",
    "title": "Contoso",
    "description": "Fictional company",
    "extract": "Contoso Ltd is a fictional company\u200b used in examples.",
    "wikibase_item": "Q900001",
    "content_urls": {"desktop": {"page": "https://en.wikipedia.org/wiki/Contoso"}},
}


def test_wikipedia_summary_by_title_with_attribution() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(200, json=SUMMARY)

    q = CompanyQuery(
        name="Contoso", ids={"wikipedia": "Contoso Pharmaceuticals", "wikidata": "Q900001"}
    )
    result = asyncio.run(WikipediaProvider(mock_fetcher(handler)).aresearch(q))
    ov = result.overviews[0]
    assert ov.description == "Contoso Ltd is a fictional company used in examples."
    assert ov.provenance.attribution and "CC BY-SA" in ov.provenance.attribution
    assert ov.provenance.url == "https://en.wikipedia.org/wiki/Contoso"
    assert ov.provenance.match_confidence == 1.0
    assert seen == ["/api/rest_v1/page/summary/Contoso_Pharmaceuticals"]


@pytest.mark.parametrize(
    ("answer", "note"),
    [
        ({**SUMMARY, "type": "disambiguation"}, "disambiguation"),
        ({**SUMMARY, "wikibase_item": "Q1"}, "not Q900001"),
    ],
)
def test_wikipedia_refuses_the_wrong_page(answer: dict[str, Any], note: str) -> None:
    q = CompanyQuery(name="Contoso", ids={"wikipedia": "Contoso", "wikidata": "Q900001"})
    result = asyncio.run(
        WikipediaProvider(mock_fetcher(lambda r: httpx.Response(200, json=answer))).aresearch(q)
    )
    assert result.is_empty and note in result.notes[0]


def test_wikipedia_needs_a_known_title_and_handles_a_missing_page() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(404, json={"type": "not_found"})

    p = WikipediaProvider(mock_fetcher(handler))
    assert asyncio.run(p.aresearch(CompanyQuery(name="Contoso"))).is_empty and calls == []
    missing = asyncio.run(p.aresearch(CompanyQuery(name="Contoso", ids={"wikipedia": "Nope"})))
    assert missing.is_empty and "no page" in missing.notes[0]


# -- Companies House -----------------------------------------------------------------------------------


PROFILE = {
    "company_name": "CONTOSO LTD",
    "company_number": "01234567",
    "company_status": "active",
    "date_of_creation": "1999-04-01",
    "type": "ltd",
    "sic_codes": ["62012"],
    "registered_office_address": {
        "address_line_1": "1 High St",
        "locality": "London",
        "postal_code": "EC1A 1AA",
        "country": "England",
    },
    "accounts": {
        "last_accounts": {"made_up_to": "2025-03-31", "type": "full"},
        "next_accounts": {"overdue": True},
    },
    "has_insolvency_history": False,
}


def ch_handler(seen: list[httpx.Request]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/search/companies":
            return httpx.Response(200, json={"items": [
                {"title": "CONTOSO LTD", "company_number": "01234567", "company_status": "active"},
                {"title": "CONTOSO FOODS LTD", "company_number": "07654321", "company_status": "active"},
            ]})  # fmt: skip
        if request.url.path == "/company/01234567":
            return httpx.Response(200, json=PROFILE)
        return httpx.Response(404)

    return handler


def test_companies_house_by_name_for_a_uk_company_with_the_key_as_basic_auth() -> None:
    seen: list[httpx.Request] = []
    p = CompaniesHouseProvider(mock_fetcher(ch_handler(seen)), api_key="secret-key")
    result = asyncio.run(p.aresearch(CompanyQuery(name="Contoso Limited", domain="contoso.co.uk")))
    ov, fin = result.overviews[0], result.financials[0]
    assert (
        ov.legal_name == "CONTOSO LTD" and ov.founded == "1999-04-01" and ov.industry == "SIC 62012"
    )
    assert fin.health == "weak" and "accounts are overdue" in fin.health_reasons
    assert result.identifiers == {"companies_house": "01234567"}
    import base64

    assert {r.headers["authorization"] for r in seen} == {
        "Basic " + base64.b64encode(b"secret-key:").decode()
    }
    assert all(
        "officers" not in r.url.path and "persons-with-significant-control" not in r.url.path
        for r in seen
    )
    assert "secret-key" not in repr(p)


def test_companies_house_skips_non_uk_companies_without_a_number() -> None:
    seen: list[httpx.Request] = []
    p = CompaniesHouseProvider(mock_fetcher(ch_handler(seen)), api_key="k")
    result = asyncio.run(
        p.aresearch(CompanyQuery(name="Contoso Inc", domain="contoso.com", country="US"))
    )
    assert result.is_empty and seen == []
    by_number = asyncio.run(
        p.aresearch(CompanyQuery(name="Contoso Inc", ids={"companies_house": "01234567"}))
    )
    assert by_number.overviews[0].provenance.match_confidence == 1.0


def test_companies_house_needs_a_key() -> None:
    with pytest.raises(ConfigurationError, match="api_key"):
        CompaniesHouseProvider(mock_fetcher(lambda r: httpx.Response(200)), api_key=" ")


@pytest.mark.parametrize(
    ("extra", "country"),
    [
        ({"jurisdiction": "england-wales"}, "United Kingdom"),
        ({"jurisdiction": "scotland"}, "United Kingdom"),
        ({}, "United Kingdom"),
        # An overseas company with a UK establishment is incorporated elsewhere.
        (
            {
                "company_number": "FC012345",
                "jurisdiction": "united-kingdom",
                "foreign_company_details": {
                    "originating_registry": {
                        "country": "Ireland",
                        "name": "Companies Registration Office",
                    }
                },
            },
            "Ireland",
        ),
        ({"foreign_company_details": {"originating_registry": {}}}, None),
        ({"foreign_company_details": "not an object"}, "United Kingdom"),
        ({"jurisdiction": "european-union"}, None),
    ],
)
def test_companies_house_says_where_a_company_is_incorporated(
    extra: dict[str, Any], country: str | None
) -> None:
    from datetime import UTC, datetime

    from leadqual.research.companies_house import profile_to_result
    from leadqual.research.providers import Provenance

    profile = {"company_name": "CONTOSO LTD", "company_number": "01234567", **extra}
    provenance = Provenance(source="companies_house", retrieved_at=datetime(2026, 1, 1, tzinfo=UTC))
    overview, _ = profile_to_result(profile, provenance=provenance)
    assert overview.country == country
