"""The package's one country normaliser: codes, names in many languages and CRM aliases."""

from __future__ import annotations

import subprocess
import sys

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
from leadqual.icp import Geography

_COUNTRIES = sorted(pycountry.countries, key=lambda c: c.alpha_2)


@pytest.mark.parametrize(
    ("written", "code"),
    [
        # the forms the issue found missing
        ("Korea, Republic of", "KR"),
        ("Россия", "RU"),
        ("日本", "JP"),
        # one country, however it is written
        ("Mexico", "MX"),
        ("México", "MX"),
        ("MX", "MX"),
        ("mx", "MX"),
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
    ],
)
def test_country_code_reads_names_codes_translations_and_aliases(written: str, code: str) -> None:
    assert country_code(written) == code


@pytest.mark.parametrize("written", ["", "   ", "Atlantis", "ZZ", "QQQ", "Europe", "N/A", None])
def test_country_code_is_none_for_what_is_not_a_country(written: str | None) -> None:
    assert country_code(written) is None


@pytest.mark.parametrize("country", _COUNTRIES, ids=lambda c: c.alpha_2)
def test_every_iso_code_and_english_name_maps_to_its_country(country: object) -> None:
    code = country.alpha_2  # type: ignore[attr-defined]
    assert country_code(code) == code
    assert country_code(code.lower()) == code
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
