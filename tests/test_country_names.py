"""The package's one country normaliser: codes, names in many languages and CRM aliases."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual._geo import (
    country_code,
    country_codes,
    country_name,
    country_names,
    name_key,
    subdivisions,
)
from leadqual.dedupe import Normalizer
from leadqual.icp import Geography, IcpCharacteristic, IcpMatcher, IcpProfile, LocationMatcher
from leadqual.models import Lead, LeadContext
from leadqual.scoring.records import country_feature

_COUNTRIES = sorted(pycountry.countries, key=lambda c: c.alpha_2)


@pytest.mark.parametrize(
    ("written", "code"),
    [
        # names in other forms and scripts than the English short name
        ("Korea, Republic of", "KR"),
        ("Россия", "RU"),
        ("日本", "JP"),
        # one country, however it is written
        ("Mexico", "MX"),
        ("México", "MX"),
        ("MX", "MX"),
        ("MEX", "MX"),
        ("Mexique", "MX"),
        ("Messico", "MX"),
        ("Mexiko", "MX"),
        # translations
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("Alemania", "DE"),
        ("Vereinigte Staaten", "US"),
        ("États-Unis", "US"),
        ("Royaume-Uni", "GB"),
        ("Verenigd Koninkrijk", "GB"),
        ("Países Bajos", "NL"),
        ("Российская Федерация", "RU"),
        ("Україна", "UA"),
        ("Ελλάδα", "GR"),
        ("中国", "CN"),
        ("대한민국", "KR"),
        ("한국", "KR"),
        ("韓国", "KR"),
        ("Polska", "PL"),
        ("Česko", "CZ"),
        # common and official names, and their inverted forms
        ("South Korea", "KR"),
        ("Republic of Korea", "KR"),
        ("North Korea", "KP"),
        ("Iran", "IR"),
        ("Bolivia", "BO"),
        ("Holy See", "VA"),
        ("Vatican City State", "VA"),
        ("Democratic Republic of the Congo", "CD"),
        ("Congo", "CG"),
        ("Czech Republic", "CZ"),
        ("Türkiye", "TR"),
        ("Guinea Bissau", "GW"),
        ("Côte d'Ivoire", "CI"),
        # aliases a CRM writes
        ("USA", "US"),
        ("U.S.", "US"),
        ("U.S.A.", "US"),
        ("America", "US"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Wales", "GB"),
        ("Holland", "NL"),
        ("The Netherlands", "NL"),
        ("Czechia", "CZ"),
        ("Ivory Coast", "CI"),
        ("Turkey", "TR"),
        ("UAE", "AE"),
        ("DR Congo", "CD"),
        ("Kosovo", "XK"),
        ("XK", "XK"),
        ("  germany  ", "DE"),
        ("Großbritannien", "GB"),
        ("Grossbritannien", "GB"),
        ("EE.UU.", "US"),
        ("EEUU", "US"),
        ("Nippon", "JP"),
        ("Nihon", "JP"),
        # "St." is "Saint"
        ("St. Kitts and Nevis", "KN"),
        ("St Kitts & Nevis", "KN"),
        ("St. Lucia", "LC"),
        ("St Vincent and the Grenadines", "VC"),
        ("St. Maarten", "SX"),
        # codes written in capitals, three-letter ones that are also English words included
        ("CA", "CA"),
        ("DEU", "DE"),
        ("CAN", "CA"),
        ("AND", "AD"),
        ("NA", "NA"),
        ("Namibia", "NA"),
        ("Colombia", "CO"),
        ("Isle of Man", "IM"),
        ("usa", "US"),  # an alias, not a code
        ("uk", "GB"),
    ],
)
def test_country_code_reads_names_codes_translations_and_aliases(written: str, code: str) -> None:
    assert country_code(written) == code


@pytest.mark.parametrize(
    "written",
    [
        "",
        "   ",
        "Atlantis",
        "ZZ",
        "QQQ",
        "Europe",
        None,
        # placeholders for a missing value
        "N/A",
        "n/a",
        "n.a.",
        "N.A.",
        "na",
        "none",
        "None",
        "-",
        "--",
        "unknown",
        "TBD",
        # words that a code or a translated name would otherwise take
        "and",
        "can",
        "Can",
        "Man",
        "man",
        "Columbia",
        "COLUMBIA",
        # codes are read in capitals only
        "mx",
        "de",
        "Us",
        "deu",
        "Deu",
    ],
)
def test_country_code_is_none_for_what_is_not_a_country(written: str | None) -> None:
    assert country_code(written) is None


@pytest.mark.parametrize(
    "value", [float("nan"), 3, 3.0, 0, True, b"DE", ["DE"], pd.NA, np.nan, np.float64("nan")]
)
def test_country_code_is_none_for_what_is_not_text(value: object) -> None:
    assert country_code(value) is None


@pytest.mark.parametrize(
    "value", [float("nan"), None, 3, pd.NA, np.float64("nan"), "n.a.", "and", "Columbia"]
)
def test_every_reader_of_countries_takes_what_is_not_a_country(value: object) -> None:
    assert Normalizer().region_of(value) is None  # type: ignore[arg-type]
    assert Geography().country(value) is None  # type: ignore[arg-type]
    assert country_feature(value) in (None, value)
    assert Geography().parse_place(value, None) is None  # type: ignore[arg-type]
    location = IcpCharacteristic(
        name="where", kind="location", targets=["Europe"], fields=["lead.custom_fields.country"]
    )
    matcher = LocationMatcher(location, geography=Geography())
    assert matcher.compare(value).status == "unknown"
    assert matcher.compare((value, None)).status == "unknown"


@pytest.mark.parametrize("value", [float("nan"), 3, 3.5, "n.a.", "and", "can", "Man", "Columbia"])
def test_the_icp_matcher_reads_a_country_field_that_is_no_country_as_unknown(
    value: object,
) -> None:
    location = IcpCharacteristic(
        name="where", kind="location", targets=["Europe"], fields=["lead.custom_fields.country"]
    )
    lead = Lead(
        id="L-1", last_name="Ng", created_at=datetime(2026, 1, 1, tzinfo=UTC),
        custom_fields={"country": value},
    )  # fmt: skip
    profile = IcpProfile(name="p", characteristics=[location])
    fit = IcpMatcher(profile).match(LeadContext(lead=lead))
    assert fit.results[0].status == "unknown"


@pytest.mark.parametrize("value", [float("nan"), None, 3, pd.NA, "N/A", "-"])
def test_a_missing_country_is_a_missing_scoring_feature(value: object) -> None:
    assert country_feature(value) is None


def test_an_icp_profile_may_write_country_codes_in_lower_case() -> None:
    geo = Geography()
    assert geo.parse_target("de") == ("country", "DE", frozenset({"DE"}))
    assert geo.parse_target("ca")[1] == "CA"  # Canada, as "CA" is; the state is US-CA
    assert geo.parse_target("deu")[1] == "DE"
    assert sorted(Geography(extra_regions={"core": ["de", "at"]}).region_countries("core")) == [
        "AT",
        "DE",
    ]


@pytest.mark.parametrize("country", _COUNTRIES, ids=lambda c: c.alpha_2)
def test_every_iso_code_and_english_name_maps_to_its_country(country: object) -> None:
    code = country.alpha_2  # type: ignore[attr-defined]
    assert country_code(code) == code
    assert country_code(code.lower()) is None  # "in", "it", "no" are words
    assert country_code(country.alpha_3) == code  # type: ignore[attr-defined]
    for attribute in ("name", "official_name", "common_name"):
        name = getattr(country, attribute, None)
        if name:
            assert country_code(name) == code, name
    assert country_code(country_name(code)) == code


@given(st.sampled_from(sorted(country_codes())))
def test_normalising_a_code_is_idempotent(code: str) -> None:
    assert country_code(code) == code
    assert country_code(country_code(code)) == code


@given(st.text(max_size=30))
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = country_code(text)
    assert once is None or country_code(once) == once


@given(st.sampled_from(sorted(country_names())))
def test_every_indexed_name_reads_back_to_its_country(key: str) -> None:
    assert country_code(key) == country_names()[key]
    assert name_key(key) == key


def test_country_name_is_the_common_english_name() -> None:
    assert country_name("KR") == "South Korea"
    assert country_name("Deutschland") == "Germany"
    assert country_name("XK") == "Kosovo"
    assert country_name("Narnia") is None


def test_subdivisions_come_from_iso_3166_2() -> None:
    assert subdivisions("US")["US-NY"] == "New York"
    assert subdivisions("ca")["CA-QC"] == "Quebec"
    assert len([c for c in subdivisions("US") if c != "US-DC"]) >= 50
    assert subdivisions("ZZ") == {}


@pytest.mark.parametrize("written", ["México", "Mexico", "MX", "Mexique", "MEX"])
def test_icp_and_dedupe_read_one_country_alike(written: str) -> None:
    assert Geography().country(written) == "MX"
    assert Normalizer().region_of(written) == "MX"


def test_importing_the_package_loads_no_country_database() -> None:
    code = (
        "import sys, leadqual, leadqual._geo, leadqual.icp, leadqual.dedupe; "
        "print('pycountry' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("code", sorted(country_codes()))
def test_no_translated_name_takes_over_a_code(code: str) -> None:
    assert country_names().get(code.lower(), code) == code
