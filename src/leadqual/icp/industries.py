"""A small sector taxonomy with synonyms, and fuzzy resolution of industries as CRMs write them.

"Fintech" is Financial Services, "Hospital & Health Care" is Healthcare, "Computer Software" is
Technology. Each sector lists its sub-industries (which also resolve to it) and other synonyms.
Names in German, French, Spanish, Portuguese, Italian and Dutch come from the package's data file
``icp/data/industries.yaml`` ("Versicherungen" and "Seguros" are Insurance), including the stems
of German and Dutch compounds ("Versicherungsmakler").

Examples:
    >>> tax = IndustryTaxonomy()
    >>> tax.resolve("Hospital & Health Care").sector
    'Healthcare'
    >>> tax.resolve("Fintech").sector, tax.resolve("Fintech").sub_industry
    ('Financial Services', 'Fintech')
    >>> tax.resolve("Finacial Servics").sector   # fuzzy
    'Financial Services'
    >>> tax.resolve("Versicherungsmakler").sub_industry, tax.resolve("Seguros").sub_industry
    ('Insurance', 'Insurance')
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from typing import Annotated

from pydantic import ConfigDict, Field
from rapidfuzz import fuzz, process

from leadqual._base import LeadqualModel
from leadqual._text import fold
from leadqual.errors import ConfigurationError
from leadqual.icp._vocabulary import fold_words, load, word_pattern

__all__ = ["DEFAULT_SECTORS", "IndustryMatch", "IndustryTaxonomy"]

DEFAULT_SECTORS: Mapping[str, Mapping[str, Sequence[str]]] = {
    "Technology": {
        "Information Technology": [
            "IT",
            "IT Services",
            "Information Technology and Services",
            "IT Services and IT Consulting",
            "IT Consulting",
            "Tech",
        ],
        "Computer Software": [
            "Software",
            "Software Development",
            "SaaS",
            "Enterprise Software",
            "Computer Software and Services",
        ],
        "Internet": [
            "Internet Software",
            "Online Services",
            "Technology, Information and Internet",
        ],
        "Computer Hardware": [
            "Hardware",
            "Computer Networking",
            "Semiconductors",
            "Computers and Electronics",
            "Electronics",
        ],
        "Cloud Computing": ["Cloud", "Data Infrastructure and Analytics"],
        "Cybersecurity": ["Computer and Network Security", "Information Security"],
    },
    "Financial Services": {
        "Finance": ["Corporate Finance"],
        "Fintech": ["Financial Technology", "Payments"],
        "Banking": ["Banks", "Commercial Banking", "Retail Banking", "Investment Banking"],
        "Insurance": ["Insurance Carriers", "Reinsurance"],
        "Investment Management": [
            "Asset Management",
            "Wealth Management",
            "Capital Markets",
            "Venture Capital and Private Equity",
            "Private Equity",
            "Investment Banking and Brokerage",
        ],
        "Accounting": ["Accountancy"],
    },
    "Healthcare": {
        "Hospital & Health Care": [
            "Hospitals and Health Care",
            "Hospitals",
            "Health Care",
            "Health",
            "Medical Practice",
            "Hospital and Health Care",
            "Health and Wellness",
            "Mental Health Care",
        ],
        "Pharmaceuticals": ["Pharmaceutical Manufacturing", "Pharma"],
        "Biotechnology": ["Biotech", "Life Sciences"],
        "Medical Devices": ["Medical Equipment Manufacturing", "Medical Technology", "Medtech"],
        "Health Insurance": ["Payer", "Health Plans"],
    },
    "Government": {
        "Government Administration": [
            "Public Administration",
            "Public Sector",
            "Public Policy",
            "Local Government",
            "Federal Government",
            "Municipal",
        ],
        "Defense": ["Defense and Space", "Military", "Armed Forces"],
    },
    "Manufacturing": {
        "Industrial Machinery": ["Machinery", "Machinery Manufacturing", "Industrial Automation"],
        "Automotive": ["Motor Vehicle Manufacturing", "Automotive Manufacturing"],
        "Chemicals": ["Chemical Manufacturing"],
        "Electronics Manufacturing": ["Electrical and Electronic Manufacturing"],
        "Aerospace": ["Aviation and Aerospace", "Aviation & Aerospace"],
    },
    "Retail": {
        "E-commerce": ["Ecommerce", "Online Retail", "Internet Retail"],
        "Consumer Goods": ["Consumer Products", "CPG", "FMCG", "Apparel and Fashion"],
        "Wholesale": ["Distribution"],
    },
    "Education": {
        "Higher Education": ["University", "Universities", "Colleges"],
        "E-Learning": ["E-Learning Providers", "EdTech", "Education Technology"],
        "Primary and Secondary Education": ["K-12", "Schools", "Education Management"],
    },
    "Energy": {
        "Oil & Energy": ["Oil and Gas", "Oil & Gas", "Petroleum"],
        "Utilities": ["Electric Utilities", "Water Utilities"],
        "Renewables": ["Renewable Energy", "Renewables & Environment", "Solar", "Wind Energy"],
    },
    "Transportation & Logistics": {
        "Logistics": [
            "Logistics and Supply Chain",
            "Supply Chain",
            "Freight",
            "Shipping",
            "Transportation/Trucking/Railroad",
            "Warehousing",
        ],
        "Airlines": ["Airlines/Aviation", "Airlines and Aviation"],
    },
    "Hospitality": {
        "Hotels": ["Hotels and Motels", "Lodging"],
        "Restaurants": ["Food and Beverage Services", "Food Service"],
        "Leisure & Travel": [
            "Leisure, Travel & Tourism",
            "Travel",
            "Tourism",
            "Travel Arrangements",
        ],
    },
    "Telecommunications": {
        "Telecom": ["Telecommunications Carriers", "Wireless", "Telco", "Communications"],
    },
    "Media & Entertainment": {
        "Media": ["Broadcast Media", "Online Media", "Publishing", "Newspapers"],
        "Entertainment": ["Entertainment Providers", "Music", "Gaming", "Computer Games"],
    },
    "Professional Services": {
        "Management Consulting": ["Consulting", "Business Consulting and Services"],
        "Legal Services": ["Law Practice", "Legal"],
        "Marketing & Advertising": ["Advertising Services", "Marketing Services"],
        "Staffing & Recruiting": ["Staffing and Recruiting", "Recruitment"],
    },
    "Real Estate & Construction": {
        "Real Estate": ["Commercial Real Estate", "Property Management"],
        "Construction": ["Building Construction", "Civil Engineering"],
    },
    "Nonprofit": {
        "Non-profit Organization Management": [
            "Non-profit",
            "NGO",
            "Charity",
            "Non-profit Organizations",
            "Not For Profit",
            "Not-for-profit",
            "Philanthropy",
        ],
    },
    "Agriculture": {
        "Farming": ["Agribusiness", "Agricultural"],
    },
}
"""Sector -> sub-industry -> synonyms. Sector names and sub-industry names resolve too."""


# Words that join the words of an industry name, in the languages of data/industries.yaml.
_JOINERS = frozenset({
    "and", "or", "of", "the",
    "und", "oder", "der", "die", "das", "des", "fur",
    "et", "ou", "de", "la", "le", "les", "du", "d", "l", "en", "a", "aux",
    "y", "o", "del", "el", "los", "las", "al",
    "e", "do", "da", "dos", "no", "na",
    "di", "della", "dei", "delle", "il", "lo", "all",
    "van", "het", "voor",
})  # fmt: skip
# Words too general to name one sector on their own ("Services" alone is not Financial Services).
_FILLER = _JOINERS | {
    "services", "service", "solutions", "industry", "industries", "products", "other", "general",
    "company", "companies", "group", "management", "providers", "provider",
    "dienstleistungen", "dienstleister", "industrie", "sektor", "branche", "unternehmen",
    "produkte", "sonstige", "gestion", "secteur", "societe", "entreprise", "produits", "autres",
    "servicios", "sector", "industria", "empresa", "empresas", "productos", "otros",
    "servicos", "setor", "produtos", "outros",
    "servizi", "settore", "prodotti", "altro", "gestione",
    "diensten", "dienstverlening", "producten", "overig", "overige", "beheer",
}  # fmt: skip


@cache
def _translations() -> Mapping[str, Mapping[str, Sequence[str]]]:
    """Sector or sub-industry name -> language -> names (``data/industries.yaml``)."""
    data: Mapping[str, Mapping[str, Sequence[str]]] = load("industries.yaml")
    return data


class IndustryMatch(LeadqualModel):
    """How an industry as written resolves onto the taxonomy."""

    model_config = ConfigDict(frozen=True)

    written: str
    sector: str
    sub_industry: str | None = None
    """The sub-industry, when the text names one (``None`` when it names the sector itself)."""
    via: str
    """``exact`` (the sector or sub-industry name), ``synonym`` (in any language of the data file),
    ``contains`` (the text holds a known name, as "Insurance Agencies" holds "Insurance", or the
    stem of a compound, as "Versicherungsmakler" holds "versicher"), or ``fuzzy`` (a misspelling)."""
    similarity: Annotated[float, Field(ge=0, le=100)] = 100.0


class IndustryTaxonomy:
    """Resolves industry names onto sectors, with synonyms and fuzzy matching.

    Args:
        sectors: the taxonomy (default :data:`DEFAULT_SECTORS`).
        extra_synonyms: more synonyms, mapping a sector or sub-industry name to its aliases.
        fuzzy_cutoff: minimum rapidfuzz similarity (0-100) for a fuzzy resolution.

    Examples:
        >>> IndustryTaxonomy(extra_synonyms={"Technology": ["Deep Tech"]}).resolve("deep tech").sector
        'Technology'
    """

    def __init__(
        self,
        *,
        sectors: Mapping[str, Mapping[str, Sequence[str]]] = DEFAULT_SECTORS,
        extra_synonyms: Mapping[str, Sequence[str]] | None = None,
        fuzzy_cutoff: float = 88.0,
    ) -> None:
        self.fuzzy_cutoff = fuzzy_cutoff
        self._index: dict[str, tuple[str, str | None, str]] = {}
        self._display: dict[str, str] = {}
        for sector, subs in sectors.items():
            self._add(sector, sector, None, "exact")
            for sub, synonyms in subs.items():
                self._add(sub, sector, sub, "exact")
                for syn in synonyms:
                    self._add(syn, sector, sub, "synonym")
        parent = {
            **{s: (s, None) for s in sectors},
            **{sub: (s, sub) for s, subs in sectors.items() for sub in subs},
        }
        folded_parent = {fold(k): v for k, v in parent.items()}
        for name, aliases in (extra_synonyms or {}).items():
            if fold(name) not in folded_parent:
                raise ConfigurationError(
                    f"extra_synonyms: {name!r} is not a sector or sub-industry of the taxonomy"
                )
            parent_sector, parent_sub = folded_parent[fold(name)]
            for alias in aliases:
                self._add(alias, parent_sector, parent_sub, "synonym")
        # names in other languages, for the sectors and sub-industries this taxonomy has
        self._stems: list[tuple[re.Pattern[str], int, str, str | None]] = []
        for name, by_language in _translations().items():
            if fold(name) not in folded_parent:
                continue
            parent_sector, parent_sub = folded_parent[fold(name)]
            for entry in (e for entries in by_language.values() for e in entries):
                if "*" in entry:
                    pattern, specificity = word_pattern(entry)
                    self._stems.append(
                        (re.compile(pattern), specificity, parent_sector, parent_sub)
                    )
                else:
                    self._add(entry, parent_sector, parent_sub, "synonym")
        self._keys = list(self._index)
        self._tokens = {k: frozenset(k.split()) - _JOINERS for k in self._keys}
        self.sectors: tuple[str, ...] = tuple(sectors)
        """The sector names, in taxonomy order."""
        self._resolve = lru_cache(maxsize=8192)(self._resolve_uncached)

    def _add(self, name: str, sector: str, sub: str | None, via: str) -> None:
        key = fold(name)
        if key and key not in self._index:
            self._index[key] = (sector, sub, via)
            self._display[key] = name

    def resolve(self, industry: str, /) -> IndustryMatch | None:
        """Resolve a written industry; ``None`` when it is not close to anything in the taxonomy."""
        return self._resolve(industry)

    def _resolve_uncached(self, industry: str) -> IndustryMatch | None:
        key = fold(industry)
        if not key:
            return None
        hit = self._index.get(key)
        if hit is not None:
            return IndustryMatch(written=industry, sector=hit[0], sub_industry=hit[1], via=hit[2])
        contained = self._contained(key) or self._stem(industry)
        if contained is not None:
            sector, sub = contained
            return IndustryMatch(written=industry, sector=sector, sub_industry=sub, via="contains")
        if len(key) < 4:
            return None
        # whole-string similarity only: partial scorers map anything holding "it" to Technology
        best = process.extractOne(
            key, self._keys, scorer=fuzz.token_sort_ratio, score_cutoff=self.fuzzy_cutoff
        )
        if best is None:
            return None
        sector, sub, _ = self._index[best[0]]
        return IndustryMatch(
            written=industry, sector=sector, sub_industry=sub, via="fuzzy", similarity=best[1]
        )

    def _contained(self, key: str) -> tuple[str, str | None] | None:
        """A known name whose words all appear in ``key`` (the most specific one), else the one
        sector whose names hold every distinctive word of ``key`` ("Financial" -> Financial
        Services); ``None`` when nothing or more than one sector fits."""
        all_words = frozenset(key.split()) - _JOINERS
        words = all_words - _FILLER
        if not words:
            return None
        inside = [k for k, toks in self._tokens.items() if toks and toks <= all_words]
        if inside:
            best = max(len(self._tokens[k]) for k in inside)
            top = [k for k in inside if len(self._tokens[k]) == best]
            longest = max(len(k) for k in top)
            top = [k for k in top if len(k) == longest]
            found = {self._index[k][:2] for k in top}
            return found.pop() if len(found) == 1 else None
        holders = [k for k, toks in self._tokens.items() if words <= toks]
        sectors = {self._index[k][0] for k in holders}
        if len(sectors) != 1:
            return None
        subs = {self._index[k][1] for k in holders}
        return sectors.pop(), (subs.pop() if len(subs) == 1 else None)

    def _stem(self, industry: str) -> tuple[str, str | None] | None:
        """The most specific word stem of a compound the text holds ("Versicherungsmakler" holds
        "versicher*"); ``None`` when none does, or the most specific ones disagree."""
        text = fold_words(industry)
        hits = [(n, sector, sub) for p, n, sector, sub in self._stems if p.search(text)]
        if not hits:
            return None
        best = max(n for n, _, _ in hits)
        found = {(sector, sub) for n, sector, sub in hits if n == best}
        return found.pop() if len(found) == 1 else None

    def is_known(self, name: str, /) -> bool:
        """Whether ``name`` is (exactly or by synonym) a sector or sub-industry of the taxonomy."""
        return fold(name) in self._index
