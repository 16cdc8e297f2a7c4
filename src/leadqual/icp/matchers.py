"""Characteristic matchers: each compares one value seen on a lead with one characteristic's
targets and says matched, partial, not matched or unknown, with a one-line reason.

One matcher per characteristic kind; :func:`compile_characteristic` builds the right one. A custom
free-text similarity (an embedding model, say) plugs in through :class:`TextSimilarity`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from rapidfuzz import fuzz

from leadqual._text import content_tokens, fold
from leadqual.errors import ConfigurationError
from leadqual.icp.industries import IndustryMatch, IndustryTaxonomy
from leadqual.icp.locations import Geography, Place, PlaceKind
from leadqual.icp.profile import IcpCharacteristic
from leadqual.icp.ranges import NumericRange, parse_number
from leadqual.icp.titles import TitleInfo, functions_related, parse_title
from leadqual.models import Address

__all__ = [
    "CategoricalMatcher",
    "CharacteristicMatcher",
    "JobTitleMatcher",
    "LocationMatcher",
    "MatchStatus",
    "NeedMatcher",
    "NumericRangeMatcher",
    "TextSimilarity",
    "TokenSimilarity",
    "Verdict",
    "compile_characteristic",
]

MatchStatus = Literal["matched", "partial", "not_matched", "unknown"]
"""The outcome for one characteristic. ``unknown`` (no usable value) is never a mismatch."""

_ANY = frozenset({"any", "*", "all", "any value"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a matcher concluded about one value."""

    status: MatchStatus
    credit: float
    """Share of the characteristic's weight earned: 1 matched, 0.5 partial, 0 otherwise."""
    target: str | None
    """The target (or exclusion) that decided."""
    reason: str


def _unknown(reason: str) -> Verdict:
    return Verdict("unknown", 0.0, None, reason)


def _no(reason: str, target: str | None = None) -> Verdict:
    return Verdict("not_matched", 0.0, target, reason)


def _list(items: tuple[str, ...] | list[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


@runtime_checkable
class CharacteristicMatcher(Protocol):
    """Compares a value with one characteristic. Values are ``None``-free (the caller skips empty
    ones) and may be strings, numbers, booleans or an :class:`~leadqual.models.Address`."""

    characteristic: IcpCharacteristic

    def compare(self, value: object, /) -> Verdict:
        """The verdict for ``value``."""
        ...


@runtime_checkable
class TextSimilarity(Protocol):
    """A free-text similarity in [0, 1] between a stated need and a pain point.

    The default is :class:`TokenSimilarity`; an embedding model can be plugged in by implementing
    this one method.
    """

    def similarity(self, text: str, target: str, /) -> float:
        """How much of ``target`` the ``text`` expresses, from 0 (nothing) to 1 (all of it)."""
        ...


class TokenSimilarity:
    """Share of the pain point's content words found in the text (stemmed; typos forgiven by a
    rapidfuzz ratio of at least ``fuzzy_cutoff`` between words of four letters or more).

    Examples:
        >>> TokenSimilarity().similarity("Our pipeline forecasts are unreliable",
        ...                              "unreliable pipeline forecasts")
        1.0
    """

    def __init__(self, *, fuzzy_cutoff: float = 85.0) -> None:
        self.fuzzy_cutoff = fuzzy_cutoff

    def similarity(self, text: str, target: str, /) -> float:
        """Share of ``target``'s content words present in ``text``."""
        wanted = content_tokens(target)
        if not wanted:
            return 0.0
        have = set(content_tokens(text))
        hits = 0.0
        for word in wanted:
            if word in have or (
                len(word) >= 4
                and any(len(h) >= 4 and fuzz.ratio(word, h) >= self.fuzzy_cutoff for h in have)
            ):
                hits += 1
        return hits / len(wanted)


def _as_text(value: object) -> str:
    if isinstance(value, Address):
        return ", ".join(p for p in (value.state, value.country) if p)
    return str(value)


# -- categorical -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Category:
    written: str
    sector: str | None
    sub: str | None
    aliases: frozenset[str]


class CategoricalMatcher:
    """Industries and other categories: taxonomy sectors, synonyms, then fuzzy text.

    A target that names a sector matches every sub-industry of it ("Financial Services" matches
    "Fintech"); a target that names a sub-industry matches it exactly and gives partial credit to
    its siblings. Targets outside the taxonomy are compared as text (case, accents and punctuation
    ignored; fuzzy above ``fuzzy_cutoff``). ``"any"`` matches every value, for profiles written as
    "any industry but Government".
    """

    def __init__(
        self,
        characteristic: IcpCharacteristic,
        /,
        *,
        taxonomy: IndustryTaxonomy,
        fuzzy_cutoff: float = 90.0,
    ) -> None:
        self.characteristic = characteristic
        self.taxonomy = taxonomy
        self.fuzzy_cutoff = fuzzy_cutoff
        self.any = any(fold(t) in _ANY for t in characteristic.targets)
        self.targets = [self._category(t) for t in characteristic.targets if fold(t) not in _ANY]
        self.excludes = [self._category(t) for t in characteristic.exclude]

    def _category(self, text: str) -> _Category:
        hit = self.taxonomy.resolve(text) if self.taxonomy.is_known(text) else None
        aliases = {fold(text)}
        aliases.update(fold(a) for a in self.characteristic.aliases.get(text, ()))
        if hit is None:
            return _Category(text, None, None, frozenset(aliases))
        return _Category(text, hit.sector, hit.sub_industry, frozenset(aliases))

    def _same(self, cat: _Category, key: str, hit: IndustryMatch | None) -> float:
        if key in cat.aliases:
            return 1.0
        if cat.sector is not None and hit is not None:
            if cat.sub is None and hit.sector == cat.sector:
                return 1.0
            if cat.sub is not None and hit.sub_industry == cat.sub:
                return 1.0
            if cat.sub is not None and hit.sector == cat.sector:
                return 0.5
            return 0.0
        if any(fuzz.ratio(key, a) >= self.fuzzy_cutoff for a in cat.aliases):
            return 1.0
        return 0.0

    def compare(self, value: object, /) -> Verdict:
        """Compare a category as written with the targets and exclusions."""
        written = _as_text(value)
        key = fold(written)
        if not key:
            return _unknown("no value")
        hit = self.taxonomy.resolve(written)
        seen = f"{written!r}"
        if hit is not None and fold(hit.sector) != key:
            seen += f" ({hit.sector}{', fuzzy' if hit.via == 'fuzzy' else ''})"
        for ex in self.excludes:
            if self._same(ex, key, hit) >= 1.0:
                return _no(f"{seen} is excluded ({ex.written})", ex.written)
        best: tuple[float, _Category | None] = (0.0, None)
        for candidate in self.targets:
            c = self._same(candidate, key, hit)
            if c > best[0]:
                best = (c, candidate)
            if c >= 1.0:
                break
        credit, cat = best
        if cat is not None and credit >= 1.0:
            return Verdict("matched", 1.0, cat.written, f"{seen} is {cat.written}")
        if self.any:
            return Verdict("matched", 1.0, "any", f"{seen}: any value is accepted")
        if cat is not None:
            return Verdict(
                "partial", 0.5, cat.written, f"{seen} is in the same sector as {cat.written}"
            )
        wanted = _list([c.written for c in self.targets])
        return _no(f"{seen} is not {wanted}")


# -- numeric ranges --------------------------------------------------------------------------


def _read_number(value: object) -> float | NumericRange | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if value != value else float(value)
    text = str(value).strip()
    n = parse_number(text)
    if n is not None:
        return n
    return NumericRange.try_parse(text)


def _fmt_num(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.2f}"


class NumericRangeMatcher:
    """Numbers against ranges and bands, with open ends (``"500+"``, ``"<50"``, ``"501-1000"``).

    A value may itself be a band ("501-1000" in a CRM picklist): a target band that covers it
    matches, one that only overlaps it gives partial credit. Text that is not a number is unknown,
    not a mismatch.
    """

    def __init__(self, characteristic: IcpCharacteristic, /) -> None:
        self.characteristic = characteristic
        self.any = any(fold(t) in _ANY for t in characteristic.targets)
        where = f"characteristic {characteristic.name!r}"
        try:
            self.targets = [
                NumericRange.parse(t) for t in characteristic.targets if fold(t) not in _ANY
            ]
            self.excludes = [NumericRange.parse(t) for t in characteristic.exclude]
        except ConfigurationError as err:
            raise ConfigurationError(f"{where}: {err}") from None

    def compare(self, value: object, /) -> Verdict:
        """Compare a number or band with the target ranges."""
        read = _read_number(value)
        if read is None:
            return _unknown(f"{_as_text(value)!r} is not a number")
        if isinstance(read, float):
            seen = _fmt_num(read)
            for ex in self.excludes:
                if read in ex:
                    return _no(f"{seen} is in the excluded range {ex}", str(ex))
            for t in self.targets:
                if read in t:
                    return Verdict("matched", 1.0, str(t), f"{seen} is in {t}")
            if self.any:
                return Verdict("matched", 1.0, "any", f"{seen}: any value is accepted")
            return _no(f"{seen} is outside {_list([str(t) for t in self.targets])}")
        band = read
        for ex in self.excludes:
            if ex.covers(band):
                return _no(f"band {band} is in the excluded range {ex}", str(ex))
        for t in self.targets:
            if t.covers(band):
                return Verdict("matched", 1.0, str(t), f"band {band} is within {t}")
        for t in self.targets:
            if t.overlaps(band):
                return Verdict("partial", 0.5, str(t), f"band {band} only partly overlaps {t}")
        if self.any:
            return Verdict("matched", 1.0, "any", f"band {band}: any value is accepted")
        return _no(f"band {band} is outside {_list([str(t) for t in self.targets])}")


# -- locations -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PlaceTarget:
    written: str
    kind: PlaceKind
    canonical: str
    countries: frozenset[str]


class LocationMatcher:
    """Places against regions, countries, US states and Canadian provinces.

    Values are normalised first ("USA", "United States", "Deutschland", "UK"). A field ending in
    ``.country`` or ``.state`` is read together with its sibling, so "North America except New
    York" can test the state. A state target with only the country known is unknown, not a
    mismatch.
    """

    def __init__(self, characteristic: IcpCharacteristic, /, *, geography: Geography) -> None:
        self.characteristic = characteristic
        self.geography = geography
        self.any = any(fold(t) in _ANY for t in characteristic.targets)
        where = f"characteristic {characteristic.name!r}"
        try:
            self.targets = [
                _PlaceTarget(t, *geography.parse_target(t))
                for t in characteristic.targets
                if fold(t) not in _ANY
            ]
            self.excludes = [
                _PlaceTarget(t, *geography.parse_target(t)) for t in characteristic.exclude
            ]
        except ConfigurationError as err:
            raise ConfigurationError(f"{where}: {err}") from None

    def place(self, value: object, /) -> Place | None:
        """Normalise a value (an address or text) to a :class:`~leadqual.icp.locations.Place`."""
        if isinstance(value, Address):
            return self.geography.parse_place(value.country, value.state)
        if isinstance(value, tuple) and len(value) == 2:
            # a part that is not text (NaN from a table) is a missing part
            country, state = (p if isinstance(p, str) and p else None for p in value)
            return self.geography.parse_place(country, state)
        text = str(value)
        place = self.geography.parse_place(text, None)
        if place is None and "," in text:
            # "Toronto, Canada", "Austin, TX, USA", "Brooklyn, New York": the country (or the
            # state) is the last part, a state or city the one before it.
            parts = [p.strip() for p in text.split(",") if p.strip()]
            if len(parts) >= 2:
                place = self.geography.parse_place(parts[-1], parts[-2])
                if place is None:
                    place = self.geography.parse_place(parts[-1], None)
        return place

    @staticmethod
    def _inside(place: Place, target: _PlaceTarget) -> bool | None:
        if target.kind == "subdivision":
            if place.subdivision is not None:
                return place.subdivision == target.canonical
            return None if place.country == target.canonical[:2] else False
        return place.country in target.countries

    def compare(self, value: object, /) -> Verdict:
        """Compare a place with the target regions and places, exclusions first."""
        place = self.place(value)
        written = (
            _as_text(value)
            if not isinstance(value, tuple)
            else ", ".join(p for p in reversed(value) if isinstance(p, str) and p)
        )
        if place is None:
            return _unknown(f"{written!r} is not a place this library recognises")
        seen = f"{written!r}"
        if fold(written) != fold(place.label()):
            seen += f" ({place.label()})"
        caveat = ""
        for ex in self.excludes:
            inside = self._inside(place, ex)
            if inside:
                return _no(f"{seen} is in the excluded {ex.written}", ex.written)
            if inside is None:
                caveat = f"; state unknown, so the exclusion of {ex.written} could not be checked"
        pending: _PlaceTarget | None = None
        for t in self.targets:
            inside = self._inside(place, t)
            if inside:
                how = "is in" if t.kind == "region" else "is"
                return Verdict("matched", 1.0, t.written, f"{seen} {how} {t.written}{caveat}")
            if inside is None:
                pending = t
        if self.any:
            return Verdict("matched", 1.0, "any", f"{seen}: any place is accepted{caveat}")
        if pending is not None:
            return _unknown(
                f"{seen}: the state is not known, so {pending.written} cannot be checked"
            )
        return _no(f"{seen} is outside {_list([t.written for t in self.targets])}")


# -- job titles ------------------------------------------------------------------------------


class JobTitleMatcher:
    """Job titles by seniority and function, C-level acronyms expanded.

    A title matches a target when it is the same role ("Chief Information Officer" is "CIO"), or
    in the same function at or above the target's level ("VP of Sales" meets "Head of Sales").
    Partial credit for an adjacent function at the level (CTO for CIO) or the same function one
    level below, or another decision maker below a C-level target (IT Director for CIO).
    Exclusions ("Intern", "Student") fail a title that contains them.
    """

    def __init__(self, characteristic: IcpCharacteristic, /, *, fuzzy_cutoff: float = 90.0) -> None:
        self.characteristic = characteristic
        self.fuzzy_cutoff = fuzzy_cutoff
        self.any = any(fold(t) in _ANY for t in characteristic.targets)
        self.targets = [parse_title(t) for t in characteristic.targets if fold(t) not in _ANY]
        for t in self.targets:
            if t.seniority is None and not t.functions:
                raise ConfigurationError(
                    f"characteristic {characteristic.name!r}: cannot read a seniority or a "
                    f"function in the title target {t.written!r}"
                )
        self.excludes = [
            (parse_title(t), frozenset(fold(t).split())) for t in characteristic.exclude
        ]

    def _credit(self, value: TitleInfo, target: TitleInfo) -> float:
        if value.canonical is not None and value.canonical == target.canonical:
            return 1.0
        if not target.functions or value.functions & target.functions:
            f = 1.0
        elif functions_related(value.functions, target.functions):
            f = 0.5
        else:
            f = 0.0
        if target.seniority is None:
            s = 1.0
        elif value.seniority is None:
            s = 0.0
        elif value.seniority >= target.seniority:
            s = 1.0
        elif value.seniority == target.seniority - 1 or (
            value.is_decision_maker and target.is_decision_maker
        ):
            s = 0.5
        else:
            s = 0.0
        credit = f * s
        # a misspelt title ("Head of Slaes") is the same role; whole strings only, so "Sales"
        # or "Assistant to the Head of Sales" never pass for "Head of Sales"
        if (
            credit < 1.0
            and fuzz.ratio(fold(value.written), fold(target.written)) >= self.fuzzy_cutoff
        ):
            return 1.0
        return credit

    def compare(self, value: object, /) -> Verdict:
        """Compare a job title with the target roles."""
        written = _as_text(value)
        if not fold(written):
            return _unknown("no title")
        info = parse_title(written)
        words = frozenset(fold(written).replace("-", " ").split())
        seen = f"{written!r} ({info.describe()})"
        for ex_info, ex_words in self.excludes:
            if (ex_info.canonical and ex_info.canonical == info.canonical) or ex_words <= words:
                return _no(f"{seen} is excluded ({ex_info.written})", ex_info.written)
        best = (0.0, self.targets[0] if self.targets else None)
        for t in self.targets:
            c = self._credit(info, t)
            if c > best[0]:
                best = (c, t)
        credit, target = best
        if target is not None and credit >= 1.0:
            return Verdict("matched", 1.0, target.written, f"{seen} meets {target.written}")
        if self.any and credit < 1.0:
            return Verdict("matched", 1.0, "any", f"{seen}: any title is accepted")
        if target is not None and credit >= 0.5:
            return Verdict("partial", 0.5, target.written, f"{seen} is close to {target.written}")
        if info.seniority is None and not info.functions:
            return _no(
                f"{written!r} is not recognisably {_list([t.written for t in self.targets])}"
            )
        return _no(f"{seen} is not {_list([t.written for t in self.targets])}")


# -- free-text needs -------------------------------------------------------------------------


class NeedMatcher:
    """A stated need or topic against pain points, by a :class:`TextSimilarity`.

    Matched at ``matched_at`` similarity or more, partial at ``partial_at`` or more.
    """

    def __init__(
        self,
        characteristic: IcpCharacteristic,
        /,
        *,
        similarity: TextSimilarity | None = None,
        matched_at: float = 0.75,
        partial_at: float = 0.5,
    ) -> None:
        if not 0 < partial_at <= matched_at <= 1:
            raise ConfigurationError(
                "need thresholds must satisfy 0 < partial_at <= matched_at <= 1"
            )
        self.characteristic = characteristic
        self.similarity = similarity or TokenSimilarity()
        self.matched_at = matched_at
        self.partial_at = partial_at

    def compare(self, value: object, /) -> Verdict:
        """Compare a free text with the pain points."""
        text = _as_text(value)
        if not fold(text):
            return _unknown("no text")
        short = text if len(text) <= 60 else text[:57] + "..."
        for ex in self.characteristic.exclude:
            if self.similarity.similarity(text, ex) >= self.matched_at:
                return _no(f"{short!r} is excluded ({ex})", ex)
        best, best_t = 0.0, None
        for t in self.characteristic.targets:
            sim = self.similarity.similarity(text, t)
            if sim > best:
                best, best_t = sim, t
        if best_t is not None and best >= self.matched_at:
            return Verdict("matched", 1.0, best_t, f"{short!r} expresses {best_t!r} ({best:.0%})")
        if best_t is not None and best >= self.partial_at:
            return Verdict(
                "partial", 0.5, best_t, f"{short!r} partly expresses {best_t!r} ({best:.0%})"
            )
        return _no(f"{short!r} matches none of the pain points")


def compile_characteristic(
    characteristic: IcpCharacteristic,
    /,
    *,
    taxonomy: IndustryTaxonomy,
    geography: Geography,
    similarity: TextSimilarity | None = None,
) -> CharacteristicMatcher:
    """Build the matcher for a characteristic's kind (validating its targets)."""
    factories: dict[str, Callable[[], CharacteristicMatcher]] = {
        "categorical": lambda: CategoricalMatcher(characteristic, taxonomy=taxonomy),
        "numeric_range": lambda: NumericRangeMatcher(characteristic),
        "location": lambda: LocationMatcher(characteristic, geography=geography),
        "job_title": lambda: JobTitleMatcher(characteristic),
        "need": lambda: NeedMatcher(characteristic, similarity=similarity),
    }
    return factories[characteristic.kind]()
