"""Small text helpers shared by the ICP matchers: folding, tokens, light stemming."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["STOPWORDS", "content_tokens", "fold", "stem"]

_PUNCT = re.compile(r"[^\w\s+&/-]+")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:[+#][a-z0-9]*)?")

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


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case-fold, strip accents and punctuation, and collapse spaces: ``"México "`` -> ``"mexico"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.casefold().replace("&", " and ")
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
