"""Text helpers shared across the package: accent folding, company names, tokens, stop words.

One implementation of each: the ICP matchers, prioritisation, research, drafting and duplicate
detection all fold text and compare company names through these functions."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "CONTROL_CHARACTERS",
    "STOPWORDS",
    "clear_text_caches",
    "clean_cell",
    "content_tokens",
    "fold",
    "fold_words",
    "is_placeholder",
    "normalize_company_name",
    "stem",
    "strip_accents",
    "strip_legal_suffixes",
]

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""The control characters removed from the text cells a source reads (CSV, Parquet, SQL,
Dataverse): C0 but tab, line feed and carriage return, DEL, and every C1 control
(U+0080-U+009F: CSI, NEL, ... never text in a CRM; where they appear a Windows-1252 file was
read as Latin-1). The pattern is plain enough for pandas' regex engines too."""


def clean_cell(text: str, /) -> str:
    """A text cell as the sources keep it: :data:`CONTROL_CHARACTERS` removed, then stripped.

    >>> clean_cell(" Ada\x1b[2J Lovelace\x85 ")
    'Ada[2J Lovelace'
    """
    if CONTROL_CHARACTERS.search(text):
        text = CONTROL_CHARACTERS.sub("", text)
    return text.strip()


_PUNCT = re.compile(r"[^\w\s+&/-]+")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:[+#][a-z0-9]*)?")
_NON_WORD = re.compile(r"[^\w\s]")
_NON_ALNUM = re.compile(r"[^\w]")
_APOSTROPHES = re.compile("['\u2019]")
_NON_WORD_OR_UNDERSCORE = re.compile(r"[\W_]+")

# Texts (lower case, punctuation as spaces) CRMs use for "nobody filled this in". Not "NA": that is
# also North America (and, written in capitals, Namibia's code).
_PLACEHOLDERS = frozenset(
    [
        "",
        "n a",
        "none",
        "null",
        "nil",
        "nan",
        "unknown",
        "undefined",
        "unspecified",
        "not specified",
        "not provided",
        "not available",
        "not applicable",
        "tbd",
        "tba",
        "tbc",
    ]
)


STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "for",
        "in",
        "on",
        "at",
        "by",
        "with",
        "from",
        "into",
        "our",
        "we",
        "us",
        "you",
        "your",
        "they",
        "their",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "too",
        "very",
        "so",
        "just",
        "also",
        "not",
        "no",
        "yet",
        "any",
        "all",
        "some",
        "more",
        "most",
        "much",
        "many",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "i",
        "me",
        "my",
        "need",
        "needs",
        "needed",
        "want",
        "wants",
        "wanted",
        "looking",
        "look",
        "keep",
        "keeps",
        "asking",
        "why",
        "how",
        "what",
        "when",
        "where",
        "who",
        "which",
        "there",
        "here",
        "about",
        "across",
        "than",
        "then",
        "them",
        "get",
        "got",
    ]
)
"""Words that carry no meaning for need matching ("no" and "not" are dropped on purpose: a pain point
"no single view" and a need "a single view" describe the same problem)."""


def strip_accents(text: str, /) -> str:
    """Remove combining marks after compatibility decomposition: ``"Björn"`` -> ``"Bjorn"``.

    ASCII text comes back unchanged without being decomposed (the common case, and the fast one).
    """
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case-fold, strip accents and punctuation, and collapse spaces: ``"México "`` -> ``"mexico"``."""
    plain = strip_accents(text).casefold().replace("&", " and ")
    plain = _PUNCT.sub(" ", plain)
    return _SPACE.sub(" ", plain).strip()


def is_placeholder(text: str, /) -> bool:
    """Whether ``text`` is what a CRM writes for "nobody filled this in": blank, punctuation only
    (``"-"``), or a placeholder such as ``"N/A"``, ``"n.a."``, ``"None"``, ``"Unknown"``, ``"TBD"``.

    >>> [is_placeholder(t) for t in ("n.a.", "N/A", " - ", "none", "Namibia", "NA")]
    [True, True, True, True, False, False]
    """
    return _NON_WORD_OR_UNDERSCORE.sub(" ", text.casefold()).strip() in _PLACEHOLDERS


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stemmer, enough to equate "forecasts"/"forecasting" and "prioritise"/"prioritize"."""
    w = word
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ied"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    elif len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    w = w.replace("ise", "ize").replace("yse", "yze")
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]
    return w


@lru_cache(maxsize=65536)
def content_tokens(text: str) -> tuple[str, ...]:
    """The stemmed content words of ``text``, in order, without stop words or repeats."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold(text)):
        if word in STOPWORDS or len(word) < 2:
            continue
        seen.setdefault(stem(word), None)
    return tuple(seen)


def fold_words(text: str, /) -> str:
    """Fold text into comparable words: case-folded, accents stripped, apostrophes dropped, other
    punctuation read as spaces, "&" as "and".

    Unlike :func:`fold`, which keeps the ``+``, ``/`` and ``-`` of a vocabulary ("C++", "B2B/SaaS"),
    this is the form for names and record keys: ``"O'Neil-Smith"`` -> ``"oneil smith"``.

    >>> fold_words("  Björn   O'Neil-Smith "), fold_words("Straße") == fold_words("STRASSE")
    ('bjorn oneil smith', True)
    """
    # casefold, not just lower: "Straße" and "STRASSE" are one name; lower again after
    # decomposition, which can turn a styled letter (mathematical bold A) into a capital one
    plain = strip_accents(text.casefold()).lower().replace("&", " and ")
    plain = _NON_WORD.sub(" ", _APOSTROPHES.sub("", plain))
    return " ".join(plain.split())


@lru_cache(maxsize=1)
def _legal_last_words() -> frozenset[str]:
    """The words a legal form can end with ("inc", "gmbh", "kg", "cv"), from cleanco's terms."""
    from cleanco import prepare_default_terms

    return frozenset(_NON_ALNUM.sub("", parts[-1]) for _, parts in prepare_default_terms() if parts)


def _strip_legal_forms(name: str) -> str:
    from cleanco import basename

    text = name.strip()
    # cleanco strips one legal form per call; "Acme Holdings GmbH & Co. KG" needs more. It tries
    # each of its ~300 terms in turn, so it is called only when the last word can end one of them.
    for _ in range(3):
        words = text.rsplit(None, 1)
        last = _NON_ALNUM.sub("", words[-1].lower()) if words else ""
        if last not in _legal_last_words():
            break
        stripped = basename(text)
        if not stripped or stripped == text:
            break
        text = stripped
    return text


def normalize_company_name(name: str, /) -> str:
    """A company name folded for comparison: legal forms (cleanco's terms, in many countries'
    languages), a leading "The", a trailing "and" left by a removed legal form ("Smith & Co."),
    punctuation and accents removed; "&" reads as "and".

    The package's one company-name normaliser: research matches registry entries with it,
    duplicate detection builds its company keys from it and suppression lists store it. It is
    idempotent (a normalised name normalises to itself), so a stored key can be compared with, or
    normalised again into, the key of the name it came from.

    >>> normalize_company_name("Contoso Pharmaceuticals, Inc.")
    'contoso pharmaceuticals'
    >>> normalize_company_name("The Acme Holdings GmbH & Co. KG")
    'acme holdings'
    >>> normalize_company_name("Société Générale S.A."), normalize_company_name("Smith & Sons Ltd")
    ('societe generale', 'smith and sons')
    >>> normalize_company_name("AG & Co. KG"), normalize_company_name("Smith & Co.")
    ('ag', 'smith')
    """
    key = _normalize_once(name)
    # Folding can uncover a legal form that punctuation hid ("AG & Co. KG" -> "ag and co"), so the
    # steps repeat until nothing changes; each round after the first only removes words.
    for _ in range(8):
        again = _normalize_once(key)
        if again == key:
            break
        key = again
    return key


def _normalize_once(name: str) -> str:
    folded = fold_words(_strip_legal_forms(name))
    words = folded.split()
    while words and words[0] == "the":
        words.pop(0)
    while len(words) > 1 and words[-1] == "and":
        words.pop()
    return " ".join(words) or folded  # a name that is only "the" words ("The The") stays whole


def strip_legal_suffixes(name: str, /) -> str:
    """The name as written, with trailing legal forms removed (for search phrases).

    >>> strip_legal_suffixes("The Home Depot, Inc.")
    'The Home Depot'
    >>> strip_legal_suffixes("Meridian Wealth S.A. de C.V.")
    'Meridian Wealth'
    """
    return _strip_legal_forms(name).rstrip(",;: ") or name


def clear_text_caches() -> None:
    """Empty the caches of folded text (a data subject's erasure request: they may hold a
    person's name). Speed only: the next calls fill them again."""
    for cached in (fold, stem, content_tokens):
        cached.cache_clear()
