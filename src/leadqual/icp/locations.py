"""Places as CRMs write them, normalised: countries, US states, Canadian provinces, and regions.

Countries are read by the package's one country normaliser, :func:`leadqual._geo.country_code`
(pycountry's names in many languages, ISO alpha-2 and alpha-3 codes, and usual aliases such as
"USA", "UK" or "Holland"), plus misspellings; US states and Canadian provinces come from pycountry's
ISO 3166-2 subdivisions. Regions (North America, Europe, EMEA, APAC, DACH, LATAM, ...) expand to their countries.

Examples:
    >>> geo = Geography()
    >>> geo.country("Deutschland"), geo.country("USA"), geo.country("Great Britain")
    ('DE', 'US', 'GB')
    >>> geo.parse_place("US-NY").subdivision, sorted(geo.region_countries("DACH"))
    ('US-NY', ['AT', 'CH', 'DE'])
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Literal

from pydantic import ConfigDict
from rapidfuzz import fuzz, process

from leadqual._base import LeadqualModel
from leadqual._geo import NOT_COUNTRIES, country_code, country_names, name_key, subdivisions
from leadqual._text import fold
from leadqual.errors import ConfigurationError

__all__ = ["REGIONS", "Geography", "Place"]


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EUROPE = _codes(
    "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT "
    "LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK"
)
_MIDDLE_EAST = _codes("AE BH CY EG IL IQ IR JO KW LB OM PS QA SA SY TR YE")
_AFRICA = _codes(
    "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG ML "
    "MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW"
)
_NORTH_AMERICA = _codes("US CA MX BM GL PM")
_CENTRAL_AMERICA = _codes("BZ CR GT HN NI PA SV")
_CARIBBEAN = _codes(
    "AG AI AW BB BL BQ BS CU CW DM DO GD GP HT JM KN KY LC MF MQ MS PR SX TC TT VC VG VI"
)
_SOUTH_AMERICA = _codes("AR BO BR CL CO EC FK GF GY PE PY SR UY VE")
_LATAM = (
    _codes("MX") | _CENTRAL_AMERICA | _SOUTH_AMERICA - _codes("FK GY SR") | _codes("CU DO HT PR")
)
_OCEANIA = _codes("AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV VU WF WS")
_ASIA = _codes(
    "AF AM AZ BD BN BT CN GE HK ID IN JP KG KH KP KR KZ LA LK MM MN MO MV MY NP PH PK SG TH TJ TL "
    "TM TW UZ VN"
)
_APAC = (_ASIA - _codes("AM AZ GE KZ KG TJ TM UZ")) | _OCEANIA
_EU = _codes("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK")

REGIONS: Mapping[str, frozenset[str]] = {
    "North America": _NORTH_AMERICA,
    "Central America": _CENTRAL_AMERICA,
    "Caribbean": _CARIBBEAN,
    "South America": _SOUTH_AMERICA,
    "LATAM": _LATAM,
    "Americas": _NORTH_AMERICA | _CENTRAL_AMERICA | _CARIBBEAN | _SOUTH_AMERICA,
    "Europe": _EUROPE,
    "European Union": _EU,
    "DACH": _codes("DE AT CH"),
    "Benelux": _codes("BE NL LU"),
    "Nordics": _codes("DK FI IS NO SE FO AX"),
    "UK&I": _codes("GB IE"),
    "Middle East": _MIDDLE_EAST,
    "Africa": _AFRICA,
    "MENA": _MIDDLE_EAST | _codes("DZ LY MA TN"),
    "EMEA": _EUROPE | _MIDDLE_EAST | _AFRICA,
    "Asia": _ASIA,
    "Oceania": _OCEANIA,
    "ANZ": _codes("AU NZ"),
    "APAC": _APAC,
}
"""Region name -> ISO alpha-2 country codes. North America includes Mexico (and LATAM does too);
APAC is East, South and South-East Asia with Oceania (Central Asia and the Caucasus go to neither
APAC nor EMEA: name them as countries)."""

_REGION_ALIASES: Mapping[str, str] = {
    "north america": "North America",
    "northern america": "North America",
    "noram": "North America",
    "na region": "North America",
    "latin america": "LATAM",
    "latam": "LATAM",
    "lat am": "LATAM",
    "south america": "South America",
    "central america": "Central America",
    "caribbean": "Caribbean",
    "americas": "Americas",
    "the americas": "Americas",
    "europe": "Europe",
    "european union": "European Union",
    "eu": "European Union",
    "dach": "DACH",
    "benelux": "Benelux",
    "nordics": "Nordics",
    "nordic": "Nordics",
    "nordic countries": "Nordics",
    "uk and i": "UK&I",
    "uki": "UK&I",
    "uk and ireland": "UK&I",
    "british isles": "UK&I",
    "middle east": "Middle East",
    "africa": "Africa",
    "mena": "MENA",
    "emea": "EMEA",
    "asia": "Asia",
    "oceania": "Oceania",
    "anz": "ANZ",
    "australia and new zealand": "ANZ",
    "apac": "APAC",
    "asia pacific": "APAC",
    "asia pac": "APAC",
    "apj": "APAC",
    "asia pacific and japan": "APAC",
}

_SUBDIVIDED = ("US", "CA")
"""Countries whose subdivisions are read (in this order for a bare two-letter code)."""
_SUBDIVISION_ALIASES: Mapping[str, str] = {
    "washington dc": "US-DC",
    "washington d c": "US-DC",
    "d c": "US-DC",
    "nyc": "US-NY",
    "new york state": "US-NY",
    "quebec city": "CA-QC",
    "pei": "CA-PE",
    "newfoundland": "CA-NL",
    "yukon territory": "CA-YT",
    "que": "CA-QC",
    "calif": "US-CA",
    "mass": "US-MA",
}


class Place(LeadqualModel):
    """A normalised location: a country (ISO alpha-2) and, for the US and Canada, a subdivision."""

    model_config = ConfigDict(frozen=True)

    country: str | None = None
    subdivision: str | None = None
    """ISO 3166-2 code such as ``US-NY`` or ``CA-ON``."""
    written: str = ""

    def label(self) -> str:
        """A short human label: ``"US-NY"``, ``"DE"``, or the text as written."""
        return self.subdivision or self.country or self.written


PlaceKind = Literal["region", "country", "subdivision"]


@cache
def _fuzzy_names() -> tuple[str, ...]:
    """The Latin-script names a misspelling is compared with (other scripts are not misspelt
    into Latin letters, and comparing with them costs time)."""
    return tuple(key for key in country_names() if key.isascii() and len(key) >= 4)


@cache
def _subdivision_index() -> Mapping[str, str]:
    """Folded name of a US state or Canadian province -> its ISO 3166-2 code."""
    index = {
        fold(name): code for country in _SUBDIVIDED for code, name in subdivisions(country).items()
    }
    index.update(_SUBDIVISION_ALIASES)
    return index


class Geography:
    """Normalises countries and US/Canadian subdivisions and expands regions.

    Args:
        extra_regions: more regions (or overrides), name -> countries as codes or names.
        fuzzy_cutoff: minimum rapidfuzz similarity for a misspelt country name.

    Examples:
        >>> sorted(Geography(extra_regions={"Core": ["US", "Canada"]}).region_countries("core"))
        ['CA', 'US']
    """

    def __init__(
        self,
        *,
        extra_regions: Mapping[str, list[str] | tuple[str, ...]] | None = None,
        fuzzy_cutoff: float = 85.0,
    ) -> None:
        self.fuzzy_cutoff = fuzzy_cutoff
        self._regions: dict[str, frozenset[str]] = dict(REGIONS)
        self._region_alias: dict[str, str] = dict(_REGION_ALIASES)
        for name, members in (extra_regions or {}).items():
            codes = set()
            for m in members:
                code = self.country(_as_code(m))
                if code is None:
                    raise ConfigurationError(
                        f"extra_regions[{name!r}]: {m!r} is not a country this library knows"
                    )
                codes.add(code)
            self._regions[name] = frozenset(codes)
            self._region_alias[fold(name)] = name
        self._parse_place = lru_cache(maxsize=8192)(self._parse_place_uncached)

    # -- countries ---------------------------------------------------------------------------

    def country(self, text: str, /) -> str | None:
        """ISO alpha-2 code of a country written as a name, alias or ISO code, else ``None``.

        Reads what :func:`leadqual._geo.country_code` reads (codes in capitals; ``None`` for
        anything that is not text), and a misspelt Latin-script name ("Germnay") at
        :attr:`fuzzy_cutoff` similarity or more.
        """
        if not isinstance(text, str):
            return None
        code = country_code(text)
        if code is not None:
            return code
        key = name_key(text)
        if len(key) < 5 or key in NOT_COUNTRIES:
            return None
        best = process.extractOne(
            key, _fuzzy_names(), scorer=fuzz.ratio, score_cutoff=self.fuzzy_cutoff
        )
        return country_names()[best[0]] if best else None

    def subdivision(self, text: str, /, *, country: str | None = None) -> str | None:
        """ISO 3166-2 code of a US state or Canadian province (name, code or ``US-NY``)."""
        if not isinstance(text, str):
            return None
        raw = text.strip()
        if not raw:
            return None
        upper = raw.upper().replace(".", "")
        if len(upper) == 5 and upper[2] == "-" and upper[:2] in _SUBDIVIDED:
            return upper if upper in subdivisions(upper[:2]) else None
        if len(upper) == 2 and upper.isalpha():
            if country is not None and country not in _SUBDIVIDED:
                return None
            order = (country,) if country is not None else _SUBDIVIDED
            return next((f"{c}-{upper}" for c in order if f"{c}-{upper}" in subdivisions(c)), None)
        hit = _subdivision_index().get(fold(raw))
        if hit is None or (country is not None and not hit.startswith(country + "-")):
            return None
        return hit

    # -- regions ----------------------------------------------------------------------------

    def region(self, text: str, /) -> str | None:
        """The canonical region name for ``text`` ("asia pacific" -> "APAC"), else ``None``."""
        return self._region_alias.get(fold(text))

    def region_countries(self, name: str, /) -> frozenset[str]:
        """The countries of a region; raise :class:`~leadqual.errors.ConfigurationError` if unknown."""
        canonical = self.region(name)
        if canonical is None:
            raise ConfigurationError(
                f"unknown region {name!r}; known: {', '.join(sorted(self._regions))}"
            )
        return self._regions[canonical]

    # -- targets and values -----------------------------------------------------------------

    def parse_target(self, text: str, /) -> tuple[PlaceKind, str, frozenset[str]]:
        """Read an ICP location target: a region, a country or a US/Canadian subdivision.

        Returns ``(kind, canonical, country codes)``. Two- and three-letter codes are countries,
        in capitals or lower case ("CA" and "ca" are Canada, "deu" is Germany); write ``US-CA`` or
        "California" for the state.

        Raises:
            ConfigurationError: the text is none of these.
        """
        region = self.region(text)
        if region is not None:
            return "region", region, self._regions[region]
        code = self.country(_as_code(text))
        if code is not None:
            return "country", code, frozenset({code})
        sub = self.subdivision(text)
        if sub is not None:
            return "subdivision", sub, frozenset({sub[:2]})
        raise ConfigurationError(
            f"location target {text!r} is not a known region, country, US state or Canadian "
            f"province; regions: {', '.join(sorted(self._regions))}"
        )

    def parse_place(self, country: str | None, state: str | None = None, /) -> Place | None:
        """Normalise a country and optional state as written; ``None`` when nothing is readable."""
        return self._parse_place(country, state)

    def _parse_place_uncached(self, country: str | None, state: str | None) -> Place | None:
        # a value that is not text (NaN from a table, a number) is no place
        country = country if isinstance(country, str) else None
        state = state if isinstance(state, str) else None
        written = ", ".join(p for p in (state, country) if p)
        if country is None and state is None:
            return None
        c = self.country(country) if country else None
        if c is None and country and state is None:
            # a single free-text place may be a state or province ("Ontario", "US-NY")
            sub = self.subdivision(country)
            if sub is not None:
                return Place(country=sub[:2], subdivision=sub, written=written)
            return None
        sub = self.subdivision(state, country=c) if state else None
        if c is None and sub is not None:
            c = sub[:2]
        if c is None:
            return None
        return Place(country=c, subdivision=sub, written=written)


def _as_code(text: str) -> str:
    """A configuration's country code as the normaliser reads codes: in capitals. A developer's
    "de" or "deu" in a profile is Germany; in CRM data, lower case reads as a word."""
    short = isinstance(text, str) and len(text) in (2, 3) and text.isascii()
    return text.upper() if short and text.isalpha() and text.islower() else text
