"""Wikidata provider over the real recorded responses (and a hand-built company entity)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadqual.research.providers import CompanyQuery
from leadqual.research.wikidata import WikidataProvider, parse_entity, score_candidate
from leadqual.testing.research import mock_fetcher

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "research" / "wikidata"


def load(name: str) -> Any:
    return json.loads((FIX / name).read_text(encoding="utf-8"))


def claim(
    prop: str, datatype: str, value: Any, rank: str = "normal", **qualifiers: Any
) -> dict[str, Any]:
    vtype = {"wikibase-item": "wikibase-entityid", "quantity": "quantity", "time": "time"}.get(
        datatype, "string"
    )
    out: dict[str, Any] = {
        "mainsnak": {
            "snaktype": "value",
            "property": prop,
            "datatype": datatype,
            "datavalue": {"value": value, "type": vtype},
        },
        "type": "statement",
        "rank": rank,
    }
    if qualifiers:
        out["qualifiers"] = {
            k: [{"snaktype": "value", "property": k, "datavalue": {"value": v, "type": "time"}}]
            for k, v in qualifiers.items()
        }
    return out


def item(qid: str) -> dict[str, Any]:
    return {"entity-type": "item", "id": qid, "numeric-id": int(qid[1:])}


def when(year: int) -> dict[str, Any]:
    return {"time": f"+{year}-01-01T00:00:00Z", "precision": 9}


# A company entity in the real claim shape (hand-built: no recorded company entity is available;
# see tests/fixtures/research/SOURCES.md). Values are invented.
CONTOSO = {
    "id": "Q900001",
    "type": "item",
    "labels": {"en": {"language": "en", "value": "Contoso Pharmaceuticals"}},
    "descriptions": {"en": {"language": "en", "value": "fictional drug maker"}},
    "claims": {
        "P31": [claim("P31", "wikibase-item", item("Q891723"))],
        "P452": [claim("P452", "wikibase-item", item("Q507443"))],
        "P1128": [
            claim("P1128", "quantity", {"amount": "+900", "unit": "1"}, P585=when(2019)),
            claim("P1128", "quantity", {"amount": "+1200", "unit": "1"}, P585=when(2023)),
            claim("P1128", "quantity", {"amount": "+5", "unit": "1"}, rank="deprecated"),
        ],
        "P159": [claim("P159", "wikibase-item", item("Q60"))],
        "P17": [claim("P17", "wikibase-item", item("Q30"))],
        "P856": [claim("P856", "url", "https://www.contoso.com/")],
        "P571": [claim("P571", "time", {"time": "+1987-03-00T00:00:00Z", "precision": 10})],
        "P2139": [
            claim(
                "P2139",
                "quantity",
                {"amount": "+350000000", "unit": "http://www.wikidata.org/entity/Q4917"},
                P585=when(2024),
            )
        ],
        "P5531": [claim("P5531", "external-id", "12345")],
        "P1278": [claim("P1278", "external-id", "5493001KJTIIGC8Y1R12")],
    },
    "sitelinks": {"enwiki": {"site": "enwiki", "title": "Contoso Pharmaceuticals", "badges": []}},
}
OTHER = {
    "id": "Q900002",
    "labels": {"en": {"language": "en", "value": "Contoso (band)"}},
    "claims": {"P31": [claim("P31", "wikibase-item", item("Q215380"))]},
}
LABELS = {
    "entities": {
        "Q507443": {
            "id": "Q507443",
            "labels": {"en": {"language": "en", "value": "pharmaceutical industry"}},
        },
        "Q60": {"id": "Q60", "labels": {"en": {"language": "en", "value": "New York City"}}},
        "Q30": {"id": "Q30", "labels": {"en": {"language": "en", "value": "United States"}}},
    },
    "success": 1,
}


def api(entities: dict[str, Any], search: list[str]) -> Any:
    calls: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        calls.append(params)
        assert request.url.host == "www.wikidata.org"
        if params["action"] == "wbsearchentities":
            return httpx.Response(200, json={"search": [{"id": q} for q in search], "success": 1})
        ids = params["ids"].split("|")
        if params["props"] == "labels":
            return httpx.Response(200, json=LABELS)
        return httpx.Response(
            200, json={"entities": {i: entities[i] for i in ids if i in entities}, "success": 1}
        )

    return handler, calls


def test_parse_entity_reads_the_real_recorded_entity_shape() -> None:
    facts = parse_entity(load("wikibase-sdk_Q328212_entity.json"))
    assert facts["qid"] == "Q328212"
    assert facts["label"] == "Veronica Roth"
    assert facts["website"] == "http://veronicarothbooks.blogspot.com"
    assert "Q5" in facts["classes"]  # a human: the provider must refuse it
    assert facts["ids"]["wikipedia"] == "Veronica Roth"


def test_parse_entity_reads_the_real_wbgetentities_envelope() -> None:
    envelope = load("wikibase-sdk_wbgetentities_response.json")
    ((qid, entity),) = envelope["entities"].items()
    facts = parse_entity(entity)
    assert facts["qid"] == qid == "Q3235026"
    assert facts["classes"] == ["Q14406742"]  # from numeric-id when "id" is absent


def test_a_person_item_is_refused_even_when_its_id_is_given() -> None:
    person = load("wikibase-sdk_Q328212_entity.json")
    handler, _ = api({"Q328212": person}, [])
    provider = WikidataProvider(mock_fetcher(handler))
    result = asyncio.run(provider.aresearch(CompanyQuery(name="Roth", ids={"wikidata": "Q328212"})))
    assert result.is_empty
    assert any("person" in n for n in result.notes)


def test_company_facts_are_read_with_precision_and_selection_rules() -> None:
    facts = parse_entity(CONTOSO)
    assert (
        facts["employees"] == 1200 and facts["employees_as_of"] == "2023"
    )  # latest P585, deprecated skipped
    assert facts["founded"] == "1987-03"  # month precision kept
    assert facts["ids"]["sec_cik"] == "0000012345"
    assert facts["money"]["revenue"] == (350_000_000.0, "USD", "2024")


def test_the_right_contoso_is_chosen_by_website_and_class() -> None:
    handler, calls = api({"Q900001": CONTOSO, "Q900002": OTHER}, ["Q900002", "Q900001"])
    provider = WikidataProvider(mock_fetcher(handler))
    q = CompanyQuery(name="Contoso Pharmaceuticals Inc.", domain="contoso.com")
    result = asyncio.run(provider.aresearch(q))
    ov = result.overviews[0]
    assert ov.name == "Contoso Pharmaceuticals"
    assert ov.industry == "pharmaceutical industry"
    assert ov.headquarters == "New York City" and ov.country == "United States"
    assert ov.provenance.match_confidence == 1.0
    assert ov.provenance.licence and "CC0" in ov.provenance.licence
    assert result.identifiers["sec_cik"] == "0000012345"
    assert result.financials[0].revenue == 350_000_000 and result.financials[0].currency == "USD"
    assert [c["action"] for c in calls] == ["wbsearchentities", "wbgetentities", "wbgetentities"]
    assert result.requests == 3


def test_a_name_only_match_is_not_presented_as_certain() -> None:
    twin = json.loads(json.dumps(CONTOSO))
    twin["id"] = "Q900003"
    twin["claims"].pop("P856")
    solo = json.loads(json.dumps(twin))
    handler, _ = api(
        {"Q900001": {**CONTOSO, "claims": {**CONTOSO["claims"], "P856": []}}, "Q900003": solo},
        ["Q900001", "Q900003"],
    )
    result = asyncio.run(
        WikidataProvider(mock_fetcher(handler)).aresearch(
            CompanyQuery(name="Contoso Pharmaceuticals")
        )
    )
    assert result.overviews[0].provenance.match_confidence <= 0.5
    assert any("ambiguous" in n for n in result.notes)
    assert result.identifiers == {}  # ids of an uncertain match are not passed on


def test_a_different_website_lowers_the_score() -> None:
    good, _ = score_candidate(
        parse_entity(CONTOSO), CompanyQuery(name="Contoso Pharmaceuticals", domain="contoso.com")
    )
    bad, why = score_candidate(
        parse_entity(CONTOSO), CompanyQuery(name="Contoso Pharmaceuticals", domain="contoso.de")
    )
    assert good > bad
    assert any("not contoso.de" in w for w in why)


def test_no_search_hit_is_an_empty_result_not_an_error() -> None:
    handler, _ = api({}, [])
    result = asyncio.run(
        WikidataProvider(mock_fetcher(handler)).aresearch(CompanyQuery(name="Tiny Local Bakery"))
    )
    assert result.is_empty and result.notes == ("no Wikidata item found",)


def test_api_error_is_a_provider_error() -> None:
    from leadqual.errors import ProviderError

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"error": {"code": "maxlag", "info": "Waiting for a database server"}}
        )

    with pytest.raises(ProviderError, match="maxlag"):
        asyncio.run(WikidataProvider(mock_fetcher(handler)).aresearch(CompanyQuery(name="X")))


def test_country_agreement_counts_in_the_score() -> None:
    facts = parse_entity(CONTOSO)  # P17 = Q30, United States
    same, _ = score_candidate(
        facts, CompanyQuery(name="Contoso Pharmaceuticals", country="United States")
    )
    other, why = score_candidate(facts, CompanyQuery(name="Contoso Pharmaceuticals", country="DE"))
    unknown, _ = score_candidate(facts, CompanyQuery(name="Contoso Pharmaceuticals"))
    assert same > unknown > other
    assert "another country" in why


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"error": "internal_api_error"}, "API error internal_api_error"),  # not the usual object
        (["not", "an", "object"], "expected a JSON object"),
    ],
)
def test_an_error_or_a_non_object_answer_is_a_provider_error(body: object, error: str) -> None:
    from leadqual.errors import ProviderError

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    with pytest.raises(ProviderError, match=error) as info:
        asyncio.run(WikidataProvider(mock_fetcher(handler)).aresearch(CompanyQuery(name="X")))
    assert info.value.provider == "wikidata"


@pytest.mark.parametrize(
    ("body", "note"),
    [
        ({"search": "not a list"}, "no Wikidata item found"),
        ({"search": ["Q1", {"id": "Q2"}]}, "no Wikidata item matched well enough"),
    ],
)
def test_search_results_of_an_unexpected_shape_are_skipped_not_a_crash(
    body: object, note: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    result = asyncio.run(WikidataProvider(mock_fetcher(handler)).aresearch(CompanyQuery(name="X")))
    assert result.is_empty and note in result.notes
