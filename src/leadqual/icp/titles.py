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
from functools import lru_cache
from typing import Annotated

from pydantic import ConfigDict, Field

from leadqual._base import LeadqualModel
from leadqual._text import fold

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

_FUNCTIONS: tuple[tuple[str, str], ...] = (
    # (phrase, function); longer phrases first where they overlap
    ("revenue operations", "revenue_operations"),
    ("revops", "revenue_operations"),
    ("sales operations", "revenue_operations"),
    ("sales ops", "revenue_operations"),
    ("sales enablement", "revenue_operations"),
    ("business development", "sales"),
    ("account executive", "sales"),
    ("account manager", "sales"),
    ("customer success", "customer"),
    ("customer service", "customer"),
    ("customer experience", "customer"),
    ("information technology", "it"),
    ("information security", "security"),
    ("human resources", "hr"),
    ("demand generation", "marketing"),
    ("crm", "it"),
    ("it", "it"),
    ("information", "it"),
    ("infrastructure", "it"),
    ("systems", "it"),
    ("sales", "sales"),
    ("selling", "sales"),
    ("revenue", "sales"),
    ("commercial", "sales"),
    ("bd", "sales"),
    ("marketing", "marketing"),
    ("growth", "marketing"),
    ("brand", "marketing"),
    ("technology", "technology"),
    ("engineering", "technology"),
    ("engineer", "technology"),
    ("developer", "technology"),
    ("development", "technology"),
    ("software", "technology"),
    ("r and d", "technology"),
    ("finance", "finance"),
    ("financial", "finance"),
    ("accounting", "finance"),
    ("controller", "finance"),
    ("treasury", "finance"),
    ("operations", "operations"),
    ("ops", "operations"),
    ("supply chain", "operations"),
    ("procurement", "operations"),
    ("hr", "hr"),
    ("people", "hr"),
    ("talent", "hr"),
    ("product", "product"),
    ("support", "customer"),
    ("data", "data"),
    ("analytics", "data"),
    ("business intelligence", "data"),
    ("security", "security"),
    ("legal", "legal"),
    # common German, French, Spanish and Portuguese words (titles are folded: no accents)
    ("vertrieb", "sales"),
    ("verkauf", "sales"),
    ("ventes", "sales"),
    ("ventas", "sales"),
    ("vendas", "sales"),
    ("comercial", "sales"),
    ("informatique", "it"),
    ("informatica", "it"),
    ("sistemas", "it"),
    ("finanzas", "finance"),
    ("finanzen", "finance"),
    ("counsel", "legal"),
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

# (pattern, seniority), checked in order: the first hit decides
_SENIORITY: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(p), level)
    for p, level in (
        (
            r"\b(chief|founder|cofounder|co founder|owner|managing director|geschaftsfuhrer"
            r"|geschaeftsfuehrer|pdg|directeur general|director general)\b",
            5,
        ),
        (r"\b(c level|c suite|cxo level|executive team)\b", 5),
        (r"\b(svp|evp|avp|vp|vice president|vice pres)\b", 4),
        (r"\bpresident\b", 5),
        (
            r"\b(head|director|dir|general manager|gm|executive director|leiter|leiterin"
            r"|directeur|directrice|jefe|jefa|diretor|diretora)\b",
            3,
        ),
        (r"\b(decision maker|leadership|leader)\b", 3),
        (r"\b(manager|mgr|lead|team lead|supervisor|principal|responsable|gerente)\b", 2),
        (
            r"\b(intern|internship|student|trainee|apprentice|junior|jr|graduate|coordinator"
            r"|assistant|associate)\b",
            0,
        ),
        (
            r"\b(analyst|specialist|engineer|developer|consultant|administrator|admin"
            r"|representative|rep|executive|officer|advisor|architect|scientist|designer"
            r"|accountant|strategist|partner)\b",
            1,
        ),
    )
)


_ASSISTANT = re.compile(
    r"\b((executive|personal) assistant|assistant to|(ea|pa)( (ea|pa))? to( the)? \w+)\b"
)
# "Former CTO", "Ex-CIO": a past role says nothing about today's; "..., now VP Sales" does.
_FORMER = re.compile(r"^(former|ex|retired|previously|past)\b")
_NOW = re.compile(r"\b(now|currently|current)\b")
# "Deputy CIO" works for the CIO: one level below, not the officer.
_DEPUTY = re.compile(r"\b(deputy|associate|assistant|asst|vice)$")
_GENERAL_EXEC = re.compile(
    r"\b(founder|cofounder|co founder|owner|managing director|general manager|geschaftsfuhrer"
    r"|geschaeftsfuehrer|pdg|directeur general|director general|(?<!vice )president)\b"
)


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
    text = fold(title).replace("/", " ").replace("-", " ")
    text = re.sub(r"\s+", " ", text).strip()
    words = text.split()
    canonical: str | None = None
    seniority: int | None = None
    functions: set[str] = set()
    if _FORMER.match(text):
        now = _NOW.search(text)
        if now is None:
            return TitleInfo(written=title)
        current = parse_title(text[now.end() :])
        return current.model_copy(update={"written": title})
    if _ASSISTANT.search(text):
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
    padded = f" {text} "
    for phrase, function in _FUNCTIONS:
        if f" {phrase} " in padded:
            functions.add(function)
            padded = padded.replace(f" {phrase} ", " ")
    if "revenue_operations" in functions and "sales" in functions and canonical is None:
        functions.discard("sales")  # "VP Sales Operations" runs the machine, not the team
    if seniority is None:
        for pattern, level in _SENIORITY:
            if pattern.search(text):
                seniority = level
                break
    if canonical is None and _GENERAL_EXEC.search(text) and not functions:
        functions.add("executive")
    return TitleInfo(
        written=title,
        seniority=seniority,
        functions=frozenset(functions),
        canonical=canonical.upper() if canonical else None,
    )
