"""Industries, places and titles normalised the way CRMs write them."""

from __future__ import annotations

import pytest

from leadqual.errors import ConfigurationError
from leadqual.icp import Geography, IndustryTaxonomy, parse_title
from leadqual.sources import SampleData


@pytest.mark.parametrize(
    ("written", "sector"),
    [
        ("Fintech", "Financial Services"),
        ("Hospital & Health Care", "Healthcare"),
        ("Hospitals and Health Care", "Healthcare"),
        ("Computer Software", "Technology"),
        ("Information Technology", "Technology"),
        ("Banking", "Financial Services"),
        ("Insurance", "Financial Services"),
        ("Pharmaceuticals", "Healthcare"),
        ("Government Administration", "Government"),
        ("Finacial Servics", "Financial Services"),
        ("  technology ", "Technology"),
        ("Biotechnology Research", "Healthcare"),
        ("Insurance Agencies", "Financial Services"),
        ("Venture Capital", "Financial Services"),
        ("IT Consulting", "Technology"),
        ("Healthcare IT", "Healthcare"),
    ],
)
def test_industry_resolves_synonyms_and_typos_to_sectors(written: str, sector: str) -> None:
    hit = IndustryTaxonomy().resolve(written)
    assert hit is not None
    assert hit.sector == sector


@pytest.mark.parametrize("written", ["Widgets", "", "Wine and Spirits", "Services", "Mining"])
def test_industry_unknown_text_does_not_resolve(written: str) -> None:
    # "Wine and Spirits" holds "it" as letters, not as a word: no Technology by accident
    assert IndustryTaxonomy().resolve(written) is None


def test_industry_extra_synonyms_extend_and_are_checked() -> None:
    tax = IndustryTaxonomy(extra_synonyms={"Technology": ["Deep Tech"]})
    assert tax.resolve("deep tech").sector == "Technology"  # type: ignore[union-attr]
    with pytest.raises(ConfigurationError, match="Tech Stuff"):
        IndustryTaxonomy(extra_synonyms={"Tech Stuff": ["x"]})


def test_every_sample_industry_resolves(sample_data: SampleData) -> None:
    tax = IndustryTaxonomy()
    written = {lead.industry for lead in sample_data.crm.leads if lead.industry}
    written |= {a.industry for a in sample_data.crm.accounts if a.industry}
    assert all(tax.resolve(w) is not None for w in written)


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("USA", "US"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("U.S.", "US"),
        ("Deutschland", "DE"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("The Netherlands", "NL"),
        ("España", "ES"),
        ("México", "MX"),
        ("Brasil", "BR"),
        ("DEU", "DE"),
        ("Germnay", "DE"),
        ("CA", "CA"),
        ("Korea, Republic of", "KR"),
        ("Россия", "RU"),
        ("日本", "JP"),
        ("Mexique", "MX"),
    ],
)
def test_country_names_codes_and_aliases_normalise(written: str, code: str) -> None:
    assert Geography().country(written) == code


def test_every_sample_country_normalises(sample_data: SampleData) -> None:
    geo = Geography()
    written = {
        r.address.country
        for r in (*sample_data.crm.leads, *sample_data.crm.accounts)
        if r.address and r.address.country
    }
    assert {w: geo.country(w) for w in written if geo.country(w) is None} == {}


def test_state_code_is_read_in_its_country() -> None:
    geo = Geography()
    assert geo.parse_place("US", "CA").subdivision == "US-CA"  # type: ignore[union-attr]
    assert geo.parse_place("Canada", "ON").subdivision == "CA-ON"  # type: ignore[union-attr]
    assert geo.parse_place(None, "Texas").country == "US"  # type: ignore[union-attr]
    assert geo.parse_place("Ontario").subdivision == "CA-ON"  # type: ignore[union-attr]
    assert geo.parse_place("Germany", "Bavaria").subdivision is None  # type: ignore[union-attr]
    assert geo.parse_place("USA", "PR").subdivision == "US-PR"  # type: ignore[union-attr]
    assert geo.parse_place("Canada", "Québec").subdivision == "CA-QC"  # type: ignore[union-attr]
    assert geo.parse_place("Atlantis") is None


@pytest.mark.parametrize(
    ("region", "inside", "outside"),
    [
        ("North America", {"US", "CA", "MX"}, {"BR", "GB"}),
        ("Europe", {"DE", "GB", "FR", "SE", "ES"}, {"US", "TR"}),
        ("EMEA", {"DE", "AE", "ZA"}, {"US", "JP"}),
        ("APAC", {"JP", "AU", "IN", "SG"}, {"DE", "KZ"}),
        ("DACH", {"DE", "AT", "CH"}, {"NL"}),
        ("LATAM", {"MX", "BR", "AR"}, {"US"}),
        ("asia pacific", {"JP"}, {"US"}),
    ],
)
def test_regions_expand_to_their_countries(
    region: str, inside: set[str], outside: set[str]
) -> None:
    countries = Geography().region_countries(region)
    assert inside <= countries
    assert not (outside & countries)


def test_location_targets_two_letter_codes_are_countries() -> None:
    geo = Geography()
    assert geo.parse_target("CA")[:2] == ("country", "CA")
    assert geo.parse_target("California")[:2] == ("subdivision", "US-CA")
    assert geo.parse_target("US-NY")[:2] == ("subdivision", "US-NY")
    with pytest.raises(ConfigurationError, match="Narnia"):
        geo.parse_target("Narnia")


@pytest.mark.parametrize(
    ("title", "seniority", "functions", "canonical"),
    [
        ("Chief Information Officer", 5, {"it"}, "CIO"),
        ("CIO", 5, {"it"}, "CIO"),
        ("VP of Sales", 4, {"sales"}, None),
        ("SVP Sales", 4, {"sales"}, None),
        ("Executive Vice President, Sales", 4, {"sales"}, None),
        ("Head of Sales", 3, {"sales"}, None),
        ("IT Director", 3, {"it"}, None),
        ("Account Executive", 1, {"sales"}, None),
        ("Sales Operations Manager", 2, {"revenue_operations"}, None),
        ("Intern", 0, set(), None),
        ("Executive Assistant to the CEO", 0, set(), None),
        ("Managing Director", 5, {"executive"}, None),
        ("Geschäftsführer", 5, {"executive"}, None),
        ("Leiter Vertrieb", 3, {"sales"}, None),
        ("Directrice des ventes", 3, {"sales"}, None),
        ("Jefe de Ventas", 3, {"sales"}, None),
        ("Responsable informatique", 2, {"it"}, None),
    ],
)
def test_titles_read_as_seniority_and_function(
    title: str, seniority: int, functions: set[str], canonical: str | None
) -> None:
    info = parse_title(title)
    assert (info.seniority, set(info.functions), info.canonical) == (
        seniority,
        functions,
        canonical,
    )


def test_vp_of_sales_is_a_sales_decision_maker() -> None:
    assert parse_title("VP of Sales").is_decision_maker
    assert not parse_title("Sales Associate").is_decision_maker
