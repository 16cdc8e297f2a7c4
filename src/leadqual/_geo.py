"""Countries as CRMs write them, read as ISO 3166-1 alpha-2 codes: one normaliser for the package.

ICP location matching, duplicate detection and scoring all read a country through
:func:`country_code`, so "México", "Mexico", "MX", "MEX" and "Mexique" are one country everywhere.

Names come from pycountry: the English short, official and common names, their translations in the
languages listed in :data:`LANGUAGES` (pycountry's gettext catalogues), and the aliases a CRM writes
that the standard lacks ("USA", "UK", "Holland", "Ivory Coast"). Every name is folded with
:func:`leadqual._text.fold` (case, accents and punctuation ignored). The index is built once, on
first use: importing this module loads none of pycountry's databases.

Examples:
    >>> country_code("México"), country_code("Mexique"), country_code("MEX"), country_code("MX")
    ('MX', 'MX', 'MX', 'MX')
    >>> country_code("Korea, Republic of"), country_code("Россия"), country_code("日本")
    ('KR', 'RU', 'JP')
    >>> [country_code(t) for t in ("Atlantis", "can", "n.a.", "Columbia", float("nan"))]
    [None, None, None, None, None]
    >>> country_name("DE"), country_name("Deutschland")
    ('Germany', 'Germany')
"""

from __future__ import annotations

import gettext
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from leadqual._text import fold, is_placeholder

if TYPE_CHECKING:
    from pycountry.db import Country

__all__ = [
    "LANGUAGES",
    "NOT_COUNTRIES",
    "country_code",
    "country_codes",
    "country_name",
    "country_names",
    "name_key",
    "subdivisions",
]

LANGUAGES: tuple[str, ...] = (
    "de", "fr", "es", "pt", "pt_BR", "it", "nl", "ca", "gl", "eu", "ga", "is",
    "sv", "da", "nb_NO", "fi", "pl", "cs", "sk", "hu", "ro", "hr", "sl", "sr", "bg", "uk", "ru",
    "el", "tr", "et", "lv", "lt", "he", "ar", "ja", "zh_CN", "zh_TW", "zh_HK", "ko", "id", "ms", "vi",
)  # fmt: skip
"""Languages whose country names are read. Scripts written with combining vowel signs (Devanagari,
Bengali, Tamil, Thai, ...) are left out: accent folding strips those signs, so names that differ
only in their vowels would become one."""

# Names a CRM writes that ISO 3166 and its translations do not hold (folded form -> alpha-2).
# They take precedence over the standard's names; a test checks none of them renames a country.
_ALIASES: Mapping[str, str] = {
    "u s a": "US", "u s": "US", "us of a": "US", "america": "US",
    "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "korea": "KR", "korea south": "KR", "korea north": "KP",
    "ivory coast": "CI", "uae": "AE", "u a e": "AE", "emirates": "AE",
    "turkey": "TR", "macedonia": "MK", "cape verde": "CV", "east timor": "TL",
    "vatican city": "VA", "hong kong sar": "HK", "macau sar": "MO",
    "prc": "CN", "mainland china": "CN", "peoples republic of china": "CN", "ksa": "SA",
    "republic of kosovo": "XK", "usa": "US",
    "dr congo": "CD", "drc": "CD", "congo kinshasa": "CD", "congo brazzaville": "CG",
    # the everyday native name, where the catalogues give only the official form
    "россия": "RU", "한국": "KR", "nippon": "JP", "nihon": "JP",
    "grossbritannien": "GB", "ee uu": "US", "eeuu": "US", "saint maarten": "SX",
}  # fmt: skip

NOT_COUNTRIES: frozenset[str] = frozenset({"columbia"})
"""Name keys that are never read as a country, not even as a misspelling: names a catalogue gives
a country that in English mean something else ("Columbia", Romanian for Colombia, is British
Columbia, the District of Columbia, a river or a university)."""

# Kosovo has a user-assigned code that ISO 3166 does not list; CRMs and most data vendors use it.
_EXTRA_COUNTRIES: Mapping[str, str] = {"XK": "Kosovo"}
_EXTRA_ALPHA3: Mapping[str, str] = {"XKX": "XK"}

_SEPARATORS = re.compile(r"[-/]")
_PARENS = re.compile(r"\s*\(([^)]*)\)\s*")
_CODE = re.compile(r"[A-Z]{2,3}")
_SAINT = {"st": "saint", "ste": "sainte"}


def name_key(text: str, /) -> str:
    """The form names are compared in: folded, hyphens as spaces, a leading "the" dropped, "St."
    read as "Saint".

    >>> name_key("The Guinea-Bissau "), name_key("Côte d'Ivoire"), name_key("St. Kitts & Nevis")
    ('guinea bissau', 'cote d ivoire', 'saint kitts and nevis')
    """
    words = _SEPARATORS.sub(" ", fold(text)).split()
    if words and words[0] == "the":
        del words[0]
    return " ".join(_SAINT.get(w, w) for w in words)


def country_code(text: object, /) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country written as a code, name or alias, else ``None``.

    Accepts alpha-2 and alpha-3 codes written in capitals ("DE", "DEU"), English, official and
    common names ("Korea, Republic of", "South Korea"), names in the :data:`LANGUAGES`
    ("Deutschland", "Россия", "日本") and usual aliases ("USA", "U.K.", "Holland", "EE.UU.").
    Matching is exact after folding; an alpha-2 code comes back unchanged, so normalising twice
    changes nothing.

    A code in lower or mixed case is not read as a code: "and", "can" and "Man" are words, not
    Andorra, Canada and the Isle of Man. Anything that is not text (``None``, NaN, a number) and
    the placeholders a CRM writes for a missing value ("n.a.", "N/A", "none", "-") give ``None``.
    """
    if not isinstance(text, str):
        return None
    return _country_code(text)


@lru_cache(maxsize=8192)
def _country_code(text: str) -> str | None:
    raw = text.strip()
    if is_placeholder(raw):
        return None
    if len(raw) == 2 and _CODE.fullmatch(raw):
        if raw == "UK":
            return "GB"
        return raw if raw in country_codes() else None
    key = name_key(raw)
    hit = country_names().get(key)
    if hit is not None:
        return hit
    if _CODE.fullmatch(raw):
        return _alpha3().get(raw)
    return None


def country_name(text: str | None, /) -> str | None:
    """The English name of a country given as a code or as :func:`country_code` reads it.

    The common name when the standard has one ("KR" -> "South Korea"), else the short name.
    """
    code = country_code(text)
    return None if code is None else _english_names()[code]


@cache
def country_codes() -> frozenset[str]:
    """Every alpha-2 code :func:`country_code` returns: ISO 3166-1 and Kosovo's ``XK``."""
    return frozenset(_english_names())


@cache
def country_names() -> Mapping[str, str]:
    """The name index: :func:`name_key` of every known name -> alpha-2 code.

    Aliases come first, then English names, then translations, then names derived from them
    ("Korea" from "Korea, Republic of", "Vatican City State" from "Holy See (Vatican City State)").
    Within each rank a name claimed by several countries goes to the one most languages give it
    (catalogues carry a few mistranslations), and is left out on a tie.
    """
    import pycountry

    countries = list(pycountry.countries)
    english: dict[str, set[str]] = {}
    translated: list[tuple[str, str]] = []
    for country in countries:
        code = str(country.alpha_2)
        english[code] = set(_names_of(country))
    for language in LANGUAGES:
        try:
            catalogue = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, [language])
        except OSError:  # a pycountry release without this language
            continue
        for country in countries:
            for name in _names_of(country):
                local = catalogue.gettext(name)
                if local != name:
                    translated.append((local, str(country.alpha_2)))
    english_pairs = [(name, code) for code, names in english.items() for name in names]
    english_pairs += [(name, code) for code, name in _EXTRA_COUNTRIES.items()]
    index = {name_key(alias): code for alias, code in _ALIASES.items()}
    for ranked in (
        english_pairs,
        translated,
        list(_derived(english_pairs)) + list(_derived(translated)),
    ):
        for key, code in _vote((name_key(name), code) for name, code in ranked).items():
            index.setdefault(key, code)
    index.pop("", None)
    for key in NOT_COUNTRIES:
        index.pop(key, None)
    # A translated name of three letters or fewer folds to a code or a word ("Áo", Austria in
    # Vietnamese, folds to "ao", Angola's alpha-2; "Man" is the Isle of Man in three languages and
    # a word in English): such short Latin-script names are left to the codes and the aliases.
    aliases = {name_key(alias) for alias in _ALIASES}
    for key in list(index):
        compact = key.replace(" ", "")
        if key not in aliases and compact.isascii() and compact.isalpha() and len(compact) <= 3:
            del index[key]
    return index


@cache
def subdivisions(country: str, /) -> Mapping[str, str]:
    """ISO 3166-2 subdivisions of a country: code (``"US-NY"``) -> English name (``"New York"``).

    Empty for an unknown country or one without subdivisions.
    """
    import pycountry

    # Subdivisions.get is not annotated in pycountry
    found = pycountry.subdivisions.get(country_code=country.upper()) or ()  # type: ignore[no-untyped-call]
    return {str(s.code): str(s.name) for s in found}


def _names_of(country: Country) -> Iterator[str]:
    for attribute in ("name", "official_name", "common_name"):
        value = getattr(country, attribute, None)
        if value:
            yield str(value)


def _derived(pairs: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """Other ways of writing a standard name: "Korea, Republic of" is also "Republic of Korea"
    and "Korea"; "Holy See (Vatican City State)" is also "Holy See" and "Vatican City State"."""
    for name, code in pairs:
        inside = _PARENS.search(name)
        if inside is not None:
            yield inside.group(1), code
            yield _PARENS.sub(" ", name).strip(), code
        head, comma, tail = name.partition(", ")
        if comma:
            yield head, code
            yield f"{tail} {head}", code


def _vote(claims: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each key to the code most claims give it; a tie leaves the key out."""
    counts: dict[str, Counter[str]] = {}
    for key, code in claims:
        counts.setdefault(key, Counter())[code] += 1
    chosen: dict[str, str] = {}
    for key, counter in counts.items():
        (first, n), *rest = counter.most_common(2)
        if not rest or rest[0][1] < n:
            chosen[key] = first
    return chosen


@cache
def _english_names() -> Mapping[str, str]:
    import pycountry

    names = {
        str(c.alpha_2): str(getattr(c, "common_name", None) or c.name) for c in pycountry.countries
    }
    names.update(_EXTRA_COUNTRIES)
    return names


@cache
def _alpha3() -> Mapping[str, str]:
    import pycountry

    codes = {str(c.alpha_3): str(c.alpha_2) for c in pycountry.countries}
    codes.update(_EXTRA_ALPHA3)
    return codes
