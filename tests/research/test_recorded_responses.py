"""GLEIF, SEC EDGAR, Wikipedia and Companies House providers over real recorded responses.

Every file under ``tests/fixtures/research/recorded/<source>/`` is served to its provider as the
answer to the request it was recorded from (the file name says which: see the README there), with
the status and content type it came with. Whatever the shape, the provider must end with facts or
a typed outcome: ``no_match`` (``not_found`` / ``not_a_company``), or a typed error for a refused
key. A file added to a folder is picked up by the parametrisation; one whose name says nothing
about its request fails until the routing below knows it.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadqual.errors import HttpStatusError, ProviderError
from leadqual.research.companies_house import CompaniesHouseProvider, api_error
from leadqual.research.gleif import GleifProvider
from leadqual.research.providers import CompanyQuery, Provenance, ResearchResult
from leadqual.research.sec import SecEdgarProvider, financials_from_facts
from leadqual.research.wikipedia import WikipediaProvider
from leadqual.testing.research import mock_fetcher

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "research" / "recorded"
UA = "Leadqual Tests tests@example.org"
Handler = Callable[[httpx.Request], httpx.Response]


def recorded(source: str) -> list[Path]:
    return sorted(p for p in (RECORDED / source).iterdir() if p.suffix in (".json", ".xml"))


def ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def status_of(path: Path) -> int:
    found = re.search(r"_([45]\d\d)(?:_|$)", path.stem)
    return int(found.group(1)) if found else 200


def answer(path: Path, *, content_type: str = "application/json") -> httpx.Response:
    """The recorded body, status and content type (an S3 error is XML)."""
    ctype = "application/xml" if path.suffix == ".xml" else content_type
    return httpx.Response(
        status_of(path), content=path.read_bytes(), headers={"Content-Type": ctype}
    )


def body(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def run(provider: Any, query: CompanyQuery) -> ResearchResult:
    result: ResearchResult = asyncio.run(provider.aresearch(query))
    return result


def assert_facts_or_typed(result: ResearchResult) -> None:
    if result.is_empty:
        assert result.no_match in ("not_found", "not_a_company"), result
        assert result.notes, "an empty result says why"
    else:
        assert result.no_match is None
        assert all(ov.name for ov in result.overviews), "facts name the company"


def unrouted(path: Path) -> None:
    pytest.fail(f"{path.name}: the file name does not say which request it answers (see README)")


def test_every_recorded_file_has_its_provenance_in_the_readme() -> None:
    readme = (RECORDED / "README.md").read_text(encoding="utf-8")
    files = [
        p for source in ("gleif", "sec", "wikipedia", "companies_house") for p in recorded(source)
    ]
    assert len(files) >= 20
    for path in files:
        assert f"`{path.name}`" in readme, f"{path.name} has no provenance in the README"
    for source in ("gleif", "sec", "wikipedia"):  # Companies House upstreams ship no LICENSE file
        assert list((RECORDED / source).glob("LICENSE.*")), f"{source}: licence copy missing"


# -- GLEIF ----------------------------------------------------------------------------------------


def gleif_case(path: Path) -> tuple[CompanyQuery, Handler]:
    """``lei-record_<LEI>``: a look-up by LEI; a list envelope answers a legal-name search."""
    single = re.search(r"lei-record_([A-Z0-9]{20})", path.stem)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/direct-parent"):
            return httpx.Response(404, json={"errors": [{"status": "404"}]})
        return answer(path, content_type="application/vnd.api+json")

    if single:
        return CompanyQuery(ids={"lei": single.group(1)}), handler
    if "lei-records_" in path.stem or "direct-children_" in path.stem:
        first = next(iter(body(path)["data"]), None)
        name = first["attributes"]["entity"]["legalName"]["name"] if first else "Nobody Ltd"
        return CompanyQuery(name=name), handler
    unrouted(path)
    raise AssertionError


@pytest.mark.parametrize("path", recorded("gleif"), ids=ids(recorded("gleif")))
def test_gleif_reads_every_recorded_response(path: Path) -> None:
    query, handler = gleif_case(path)
    result = run(GleifProvider(mock_fetcher(handler)), query)
    assert_facts_or_typed(result)
    for ov in result.overviews:
        assert ov.identifiers["lei"] and "\\/" not in json.dumps(ov.raw)


def test_gleif_reads_a_lapsed_sole_proprietor_with_null_address_parts_and_no_parent() -> None:
    path = (
        RECORDED / "gleif" / "gleif-rs_lei-record_335800CCCPHKUOXPC332_lapsed_sole-proprietor.json"
    )
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return answer(path, content_type="application/vnd.api+json")

    result = run(
        GleifProvider(mock_fetcher(handler)), CompanyQuery(ids={"lei": "335800CCCPHKUOXPC332"})
    )
    ov = result.overviews[0]
    assert (ov.name, ov.headquarters, ov.country) == (
        "NFA INTERNATIONAL",
        "KODAIKANAL, IN-TN, IN",
        "IN",
    )
    assert ov.raw["registration_status"] == "LAPSED" and ov.raw["entity_status"] == "ACTIVE"
    assert ov.raw["category"] == "SOLE_PROPRIETOR"
    # the record reports an exception instead of a parent: no request for one
    assert seen == ["/api/v1/lei-records/335800CCCPHKUOXPC332"]


def test_gleif_finds_one_record_by_name_and_country_in_a_real_list() -> None:
    path = RECORDED / "gleif" / "gleif-rs_lei-records_filter-lei_12-records.json"
    provider = GleifProvider(
        mock_fetcher(lambda r: answer(path, content_type="application/vnd.api+json"))
    )
    result = run(provider, CompanyQuery(name="Puma SE", country="Germany"))
    ov = result.overviews[0]
    assert ov.legal_name == "PUMA SE" and ov.identifiers == {"lei": "529900GRZ2BQY5ZM9N49"}
    assert ov.provenance.match_confidence >= 0.6
    shell = run(provider, CompanyQuery(name="Shell plc", country="GB")).overviews[0]
    assert shell.identifiers == {"lei": "21380068P1DRHMJ8KU70", "companies_house": "04366849"}
    nobody = run(provider, CompanyQuery(name="Contoso Ltd"))
    assert nobody.is_empty and nobody.no_match == "not_found"


def test_gleif_unknown_lei_is_not_found() -> None:
    fetcher = mock_fetcher(lambda r: httpx.Response(404, json={"errors": [{"status": "404"}]}))
    result = run(GleifProvider(fetcher), CompanyQuery(ids={"lei": "5493001KJTIIGC8Y1R12"}))
    assert result.no_match == "not_found" and result.requests == 1


# -- SEC EDGAR ------------------------------------------------------------------------------------

SEC = RECORDED / "sec"
NVDA = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "research"
    / "sec"
    / "fairvalue_submissions_CIK0001045810_NVDA.json"
)


def sec_case(path: Path) -> tuple[CompanyQuery, Handler]:
    """``submissions_CIK<n>`` (or its ``-submissions-001`` overflow page, or ``submissions_404``)
    answers the submissions request; ``companyfacts_CIK<n>`` the XBRL facts (the profile is the
    recorded NVIDIA one); ``company_tickers`` the name index."""
    stem = path.stem

    def serve(route: str) -> Handler:
        def handler(request: httpx.Request) -> httpx.Response:
            p = request.url.path
            if route in p:
                return answer(path)
            if p.startswith("/submissions/") and route == "/api/xbrl/companyfacts/":
                return answer(NVDA)
            return httpx.Response(
                404, content=b"<Error/>", headers={"Content-Type": "application/xml"}
            )

        return handler

    if "submissions" in stem:
        cik = re.search(r"CIK-?(\d+)", stem)
        given = cik.group(1).lstrip("0") if cik else ""
        return CompanyQuery(name="Recorded filer", ids={"sec_cik": given or "1"}), serve(
            "/submissions/"
        )
    if "companyfacts" in stem:
        return CompanyQuery(name="Recorded filer", ids={"sec_cik": "1045810"}), serve(
            "/api/xbrl/companyfacts/"
        )
    if "company_tickers" in stem:
        first = body(path)["0"]
        return CompanyQuery(name=first["title"]), serve("/files/company_tickers.json")
    unrouted(path)
    raise AssertionError


@pytest.mark.parametrize("path", recorded("sec"), ids=ids(recorded("sec")))
def test_sec_reads_every_recorded_response(path: Path) -> None:
    query, handler = sec_case(path)
    result = run(SecEdgarProvider(mock_fetcher(handler), user_agent=UA), query)
    assert_facts_or_typed(result)
    for ov in result.overviews:
        assert re.fullmatch(r"\d{10}", ov.identifiers["sec_cik"])


@pytest.mark.parametrize(
    ("file", "outcome"),
    [
        ("edgartools_submissions_404_CIK-000000001.xml", "not_found"),
        ("edgartools_submissions_CIK0001009672-submissions-001_CARBO.json", "not_found"),
    ],
)
def test_sec_an_xml_404_and_an_overflow_page_are_not_found(file: str, outcome: str) -> None:
    query, handler = sec_case(SEC / file)
    result = run(SecEdgarProvider(mock_fetcher(handler), user_agent=UA), query)
    assert result.is_empty and result.no_match == outcome


def test_sec_reads_a_delisted_company_and_a_fund() -> None:
    query, handler = sec_case(SEC / "edgartools_submissions_CIK0001009672_CARBO.json")
    carbo = run(SecEdgarProvider(mock_fetcher(handler), user_agent=UA), query).overviews[0]
    assert carbo.name == "CARBO CERAMICS INC" and carbo.identifiers == {"sec_cik": "0001009672"}
    assert carbo.industry and carbo.headquarters == "Houston, TX"
    assert carbo.provenance.match_confidence == 1.0
    query, handler = sec_case(SEC / "edgartools_submissions_CIK0001800903_formD_fund.json")
    fund = run(SecEdgarProvider(mock_fetcher(handler), user_agent=UA), query).overviews[0]
    # no SIC code, but a Delaware limited partnership: an organisation
    assert fund.name == "&VEST Domestic Fund II LP" and fund.industry is None
    assert fund.raw["sic"] is None and fund.provenance.match_confidence == 1.0


def test_sec_financials_follow_revenue_across_renamed_tags() -> None:
    facts = body(SEC / "edgartools_companyfacts_CIK0000320193_AAPL_trimmed.json")
    prov = Provenance(source="sec_edgar", retrieved_at=datetime(2026, 3, 25, tzinfo=UTC))
    fin = financials_from_facts(facts, provenance=prov)
    assert fin is not None
    # Apple moved revenue from SalesRevenueNet/Revenues (to FY2018) to
    # RevenueFromContractWithCustomerExcludingAssessedTax: the latest year is FY2025, not FY2018
    assert (fin.fiscal_year, fin.revenue, fin.net_income) == (2025, 416161000000.0, 112010000000.0)
    assert "net margin 27%" in fin.health_reasons


def test_sec_ticker_index_takes_integer_ciks() -> None:
    path = SEC / "edgartools_company_tickers_first100.json"
    first = body(path)["0"]
    query, handler = sec_case(path)
    seen: list[str] = []

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return handler(request)

    result = run(SecEdgarProvider(mock_fetcher(spy), user_agent=UA), query)
    assert f"/submissions/CIK{first['cik_str']:010d}.json" in seen
    assert result.no_match == "not_found"  # this test serves no submissions for it


# -- Wikipedia ------------------------------------------------------------------------------------

WIKIPEDIA_OUTCOMES = {
    "android_rest-summary_Moscow": ("not_a_company", "capital"),
    "wptools_rest-summary_Douglas_Adams_2017": ("not_a_company", "life dates"),
    "wptools_action-query-fv2_extracts_disambiguation": ("not_found", "disambiguation"),
    "wikipedia-client_action-query-fv1_extracts_Sealand_Dynasty": ("not_a_company", "dynasty"),
}


@pytest.mark.parametrize("path", recorded("wikipedia"), ids=ids(recorded("wikipedia")))
def test_wikipedia_reads_every_recorded_response(path: Path) -> None:
    title = {"Moscow": "Moscow", "Sealand_Dynasty": "Sealand_Dynasty"}.get(
        path.stem.rsplit("_", 1)[-1], "Recorded page"
    )
    fetcher = mock_fetcher(lambda r: answer(path))
    result = run(WikipediaProvider(fetcher), CompanyQuery(name="Contoso", ids={"wikipedia": title}))
    assert_facts_or_typed(result)
    if path.stem in WIKIPEDIA_OUTCOMES:  # none of the recorded pages is about a company
        outcome, why = WIKIPEDIA_OUTCOMES[path.stem]
        assert result.no_match == outcome and why in result.notes[0]


# -- Companies House ------------------------------------------------------------------------------


def ch_case(path: Path) -> tuple[CompanyQuery, Handler]:
    """``company_<number>`` answers ``/company/<number>``; ``search_...`` a name search (the
    profile it leads to is a minimal one)."""
    company = re.search(r"company_(\w+?)(?:_|$)", path.stem)
    if company:
        number = company.group(1)

        def profile(request: httpx.Request) -> httpx.Response:
            return answer(path) if request.url.path == f"/company/{number}" else httpx.Response(404)

        return CompanyQuery(name="Recorded", ids={"companies_house": number}), profile
    search = re.search(r"search_(?:q-(\w+)|\d{3})", path.stem)
    if search:

        def searched(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/search/companies":
                return answer(path)
            number = request.url.path.rsplit("/", 1)[-1]
            return httpx.Response(
                200, json={"company_name": "HOKO LIMITED", "company_number": number}
            )

        return CompanyQuery(name=search.group(1) or "Hoko", country="GB"), searched
    unrouted(path)
    raise AssertionError


@pytest.mark.parametrize("path", recorded("companies_house"), ids=ids(recorded("companies_house")))
def test_companies_house_reads_every_recorded_response(path: Path) -> None:
    query, handler = ch_case(path)
    provider = CompaniesHouseProvider(mock_fetcher(handler), api_key="test-key")
    if status_of(path) in (401, 403):
        with pytest.raises(HttpStatusError, match="API key was refused") as refused:
            run(provider, query)
        assert refused.value.status_code == status_of(path)
        return
    assert_facts_or_typed(run(provider, query))


@pytest.mark.parametrize(
    ("file", "codes"),
    [
        ("companies_house_hub_company_666_404.json", ("company-profile-not-found",)),
        ("companies_house_hub_search_401_empty_auth.json", ("Empty Authorization header",)),
        ("uk-companies-house-lookup_company_04264132.json", ()),
    ],
)
def test_companies_house_error_bodies_in_both_envelopes(file: str, codes: tuple[str, ...]) -> None:
    assert api_error(body(RECORDED / "companies_house" / file)) == codes


@pytest.mark.parametrize(
    ("error_body", "outcome"),
    [
        ({"errors": [{"error": "company-profile-not-found", "type": "ch:service"}]}, "not_found"),
        ({"error": "Invalid Authorization", "type": "ch:service"}, ProviderError),
    ],
)
def test_companies_house_error_envelope_sent_with_200_is_not_a_profile(
    error_body: dict[str, Any], outcome: object
) -> None:
    # a proxy or cache in between can turn the status into 200: the body still says it all
    provider = CompaniesHouseProvider(
        mock_fetcher(lambda r: httpx.Response(200, json=error_body)), api_key="k"
    )
    query = CompanyQuery(name="x", ids={"companies_house": "00000666"})
    if outcome == "not_found":
        assert run(provider, query).no_match == "not_found"
    else:
        with pytest.raises(ProviderError, match="Invalid Authorization"):
            run(provider, query)


def test_companies_house_dissolved_and_older_profiles() -> None:
    query, handler = ch_case(
        RECORDED / "companies_house" / "companies_house_hub_company_02200605_dissolved.json"
    )
    result = run(CompaniesHouseProvider(mock_fetcher(handler), api_key="k"), query)
    ov, fin = result.overviews[0], result.financials[0]
    assert (ov.name, ov.industry, ov.headquarters) == ("JOJO LIMITED", "SIC 1823", "Beds.")
    assert ov.raw["date_of_cessation"] == "2012-04-10"
    assert ov.raw["previous_names"] == ["TODAYS DREAMS LIMITED"]
    assert fin.health == "weak" and "company status is dissolved" in fin.health_reasons
    query, handler = ch_case(
        RECORDED / "companies_house" / "uk-companies-house-lookup_company_04264132.json"
    )
    bentley = run(CompaniesHouseProvider(mock_fetcher(handler), api_key="k"), query)
    assert bentley.overviews[0].raw["status"] == "active"
    assert bentley.financials[0].health != "weak"


def test_companies_house_search_takes_the_live_exact_match_only() -> None:
    path = RECORDED / "companies_house" / "companies_house_hub_search_q-HOKO.json"
    seen: list[str] = []
    query, handler = ch_case(path)

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return handler(request)

    result = run(CompaniesHouseProvider(mock_fetcher(spy), api_key="k"), query)
    # HOKO LIMITED (active), HOKO LTD and HOKO LIMITED (dissolved) share the name: the live one
    assert seen[-1] == "/company/13233612"
    assert result.overviews[0].provenance.match_confidence == 0.8


def test_companies_house_search_never_takes_an_officer_for_the_company() -> None:
    # the all-search endpoint returns people beside companies, with the same title field
    items = [
        {"kind": "searchresults#officer", "title": "HOKO", "company_number": "99999999"},
        {"kind": "searchresults#company", "title": "HOKO LTD", "company_number": "12345678",
         "company_status": "open"},
    ]  # fmt: skip
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path.startswith("/search"):
            return httpx.Response(200, json={"kind": "search#all", "items": items})
        return httpx.Response(200, json={"company_name": "HOKO LTD", "company_number": "12345678"})

    run(
        CompaniesHouseProvider(mock_fetcher(handler), api_key="k"),
        CompanyQuery(name="Hoko", country="UK"),
    )
    assert seen[-1] == "/company/12345678"
