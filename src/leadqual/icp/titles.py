"""Job titles read as seniority and function: "Chief Information Officer" is the CIO, "VP of Sales"
is a sales decision maker, "Account Executive" is a seller, not an executive.

Examples:
    >>> t = parse_title("VP of Sales")
    >>> (t.seniority_label, sorted(t.functions), t.is_decision_maker)
    ('VP', ['sales'], True)
    >>> parse_title("Chief Information Officer").canonical
    'CIO'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Annotated

from pydantic import ConfigDict, Field

from leadqual._base import LeadqualModel
from leadqual._text import fold
from leadqual.icp._vocabulary import fold_words, load, word_pattern

__all__ = [
    "DECISION_MAKER_LEVEL",
    "SENIORITY_LABELS",
    "TitleInfo",
    "functions_related",
    "parse_title",
]

SENIORITY_LABELS: Mapping[int, str] = {
    0: "Entry level",
    1: "Individual contributor",
    2: "Manager",
    3: "Director",
    4: "VP",
    5: "C-level",
}
"""Seniority levels, lowest first. Director and above (3+) are decision makers."""

DECISION_MAKER_LEVEL = 3

# acronym -> (expanded title, seniority, functions)
_CHIEFS: Mapping[str, tuple[str, int, frozenset[str]]] = {
    "ceo": ("Chief Executive Officer", 5, frozenset({"executive"})),
    "coo": ("Chief Operating Officer", 5, frozenset({"operations"})),
    "cfo": ("Chief Financial Officer", 5, frozenset({"finance"})),
    "cio": ("Chief Information Officer", 5, frozenset({"it"})),
    "cto": ("Chief Technology Officer", 5, frozenset({"technology"})),
    "cro": ("Chief Revenue Officer", 5, frozenset({"sales"})),
    "cmo": ("Chief Marketing Officer", 5, frozenset({"marketing"})),
    "ciso": ("Chief Information Security Officer", 5, frozenset({"security", "it"})),
    "cso": ("Chief Security Officer", 5, frozenset({"security"})),
    "cdo": ("Chief Data Officer", 5, frozenset({"data"})),
    "cpo": ("Chief Product Officer", 5, frozenset({"product"})),
    "chro": ("Chief Human Resources Officer", 5, frozenset({"hr"})),
    "cco": ("Chief Commercial Officer", 5, frozenset({"sales"})),
    "cxo": ("Chief Experience Officer", 5, frozenset({"customer"})),
}
_EXPANDED = {fold(v[0]): k for k, v in _CHIEFS.items()}
_EXPANDED.update(
    {
        "chief information technology officer": "cio",
        "chief digital officer": "cdo",
        "chief sales officer": "cro",
        "chief people officer": "chro",
        "chief customer officer": "cxo",
        "chief commercial officer": "cco",
    }
)

_RELATED: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in (
        ("it", "technology"),
        ("it", "security"),
        ("it", "data"),
        ("technology", "data"),
        ("technology", "product"),
        ("sales", "revenue_operations"),
        ("sales", "customer"),
        ("sales", "marketing"),
        ("revenue_operations", "marketing"),
        ("revenue_operations", "operations"),
        ("executive", "sales"),
        ("executive", "operations"),
        ("executive", "finance"),
    )
)


@dataclass(frozen=True)
class _TitleWords:
    """The title vocabulary of ``data/titles.yaml``, compiled."""

    seniority: tuple[tuple[re.Pattern[str], int], ...]
    """(words, level), checked in order: the first hit decides."""
    executive: re.Pattern[str]
    assistant: re.Pattern[str]
    functions: re.Pattern[str]
    """One alternative per entry, most specific first, each a named group ``f<i>``."""
    function_of: Mapping[str, str]
    """Group name -> function."""


def _any_of(entries: list[str]) -> str:
    return "|".join(word_pattern(e)[0] for e in entries)


@cache
def _title_words() -> _TitleWords:
    data = load("titles.yaml")
    entries = [
        (word_pattern(entry), function)
        for function, words in data["functions"].items()
        for entry in words
    ]
    # most words, then longest literal first: "sales operations" before "sales"
    entries.sort(key=lambda item: (-item[0][0].count(" "), -item[0][1]))
    return _TitleWords(
        seniority=tuple(
            (re.compile(_any_of(rule["words"])), int(rule["level"])) for rule in data["seniority"]
        ),
        executive=re.compile(
            f"{_any_of(data['executive']['words'])}"
            f"|(?<!vice )(?:{_any_of(data['executive']['unless_after_vice'])})"
        ),
        assistant=re.compile(_any_of(data["assistant"])),
        functions=re.compile(
            "|".join(f"(?P<f{i}>{pattern})" for i, ((pattern, _), _) in enumerate(entries))
        ),
        function_of={f"f{i}": function for i, (_, function) in enumerate(entries)},
    )


# "Former CTO", "Ex-CIO": a past role says nothing about today's; "..., now VP Sales" does.
_FORMER = re.compile(r"^(former|ex|retired|previously|past)\b")
_NOW = re.compile(r"\b(now|currently|current)\b")
# "Deputy CIO" works for the CIO: one level below, not the officer.
_DEPUTY = re.compile(r"\b(deputy|associate|assistant|asst|vice)$")


class TitleInfo(LeadqualModel):
    """What a job title says about the person: seniority and function."""

    model_config = ConfigDict(frozen=True)

    written: str
    seniority: Annotated[int, Field(ge=0, le=5)] | None = None
    """0 entry level ... 5 C-level (see :data:`SENIORITY_LABELS`); ``None`` when unreadable."""
    functions: frozenset[str] = frozenset()
    canonical: str | None = None
    """The C-level acronym when the title is one ("CIO"), else ``None``."""

    @property
    def seniority_label(self) -> str | None:
        """``"VP"``, ``"Director"``, ...; ``None`` when the seniority is unknown."""
        return None if self.seniority is None else SENIORITY_LABELS[self.seniority]

    @property
    def is_decision_maker(self) -> bool:
        """Director level or above."""
        return self.seniority is not None and self.seniority >= DECISION_MAKER_LEVEL

    def describe(self) -> str:
        """A short description: ``"VP in sales"``, ``"C-level (CIO)"``."""
        level = self.seniority_label or "unknown level"
        if self.canonical:
            return f"{level} ({self.canonical})"
        if self.functions:
            return f"{level} in {'/'.join(sorted(f.replace('_', ' ') for f in self.functions))}"
        return level


def functions_related(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two function sets are adjacent (IT and technology, sales and revenue operations)."""
    return any(frozenset((x, y)) in _RELATED for x in a for y in b)


@lru_cache(maxsize=16384)
def parse_title(title: str, /) -> TitleInfo:
    """Read seniority, function and C-level acronym from a job title as written."""
    text = fold_words(title)
    words = text.split()
    vocabulary = _title_words()
    canonical: str | None = None
    seniority: int | None = None
    functions: set[str] = set()
    if _FORMER.match(text):
        today = _NOW.search(text)
        if today is None:
            return TitleInfo(written=title)
        current = parse_title(text[today.end() :])
        return current.model_copy(update={"written": title})
    if vocabulary.assistant.search(text):
        # "Executive Assistant to the CEO" supports an executive; the acronym is not theirs
        return TitleInfo(written=title, seniority=0, functions=frozenset())
    deputy = False
    for i, w in enumerate(words):
        if w in _CHIEFS:
            canonical = w
            deputy = i > 0 and bool(_DEPUTY.search(words[i - 1]))
            break
    if canonical is None:
        for phrase, acronym in _EXPANDED.items():
            at = text.find(phrase)
            if at >= 0:
                canonical = acronym
                deputy = bool(_DEPUTY.search(text[:at].strip()))
                break
    if canonical is not None:
        _, seniority, funcs = _CHIEFS[canonical]
        functions |= funcs
        if deputy:
            canonical, seniority = None, 4
    for hit in vocabulary.functions.finditer(text):
        functions.add(vocabulary.function_of[str(hit.lastgroup)])
    if "revenue_operations" in functions and "sales" in functions and canonical is None:
        functions.discard("sales")  # "VP Sales Operations" runs the machine, not the team
    if seniority is None:
        for pattern, level in vocabulary.seniority:
            if pattern.search(text):
                seniority = level
                break
    if canonical is None and vocabulary.executive.search(text) and not functions:
        functions.add("executive")
    return TitleInfo(
        written=title,
        seniority=seniority,
        functions=frozenset(functions),
        canonical=canonical.upper() if canonical else None,
    )
