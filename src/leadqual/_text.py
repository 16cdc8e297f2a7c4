"""Text helpers shared across the package: accent folding, company names, tokens, stop words.

One implementation of each: the ICP matchers, prioritisation, research, drafting and duplicate
detection all fold text and compare company names through these functions."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "STOPWORDS",
    "content_tokens",
    "fold",
    "normalize_company_name",
    "stem",
    "strip_accents",
    "strip_legal_suffixes",
]

_PUNCT = re.compile(r"[^\w\s+&/-]+")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:[+#][a-z0-9]*)?")
_NON_WORD = re.compile(r"[^\w\s]")

_LEGAL_SUFFIXES = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "llc", "llp", "lp", "ltd",
    "limited", "plc", "gmbh", "ag", "kg", "se", "sa", "sas", "sarl", "srl", "spa", "bv", "nv",
    "ab", "as", "asa", "oy", "oyj", "aps", "pty", "pvt", "kk", "ltda", "sl", "slu", "de", "cv",
    "sab", "sapi", "group", "holding", "holdings", "the",
})  # fmt: skip

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


def normalize_company_name(name: str, /) -> str:
    """A company name folded for comparison: accents, punctuation and legal suffixes removed.

    >>> normalize_company_name("Contoso Pharmaceuticals, Inc.")
    'contoso pharmaceuticals'
    """
    text = strip_accents(name).casefold()
    text = text.replace("&", " and ")
    text = _NON_WORD.sub(" ", text.replace(".", ""))
    words = text.split()
    while words and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    while len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words) or " ".join(text.split())


def strip_legal_suffixes(name: str, /) -> str:
    """The name as written, with trailing legal forms removed (for search phrases).

    >>> strip_legal_suffixes("The Home Depot, Inc.")
    'The Home Depot'
    >>> strip_legal_suffixes("Meridian Wealth S.A. de C.V.")
    'Meridian Wealth'
    """
    words = name.split()

    def folded(word: str) -> str:
        return _NON_WORD.sub("", word.replace(".", "")).casefold()

    while len(words) > 1 and (folded(words[-1]) in _LEGAL_SUFFIXES or not folded(words[-1])):
        words.pop()
    return " ".join(words).rstrip(",;:") or name
