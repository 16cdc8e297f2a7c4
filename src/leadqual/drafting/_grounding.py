"""Grounding checks for an LLM's rewrite of a draft: every number, name, commitment and sentence
must be supported by the inputs, and commitments by the vendor alone.

Two kinds of input license a draft's wording. *Vouched* text is the vendor's own: its
configuration (company and product knowledge, offers, approved references, links), the seller's
signature and the template's fixed wording. *Context* is what the lead, a web form or the web
wrote: the stated need, email subjects and bodies, the company name, job title and industry,
research. Context may be quoted, and its plain numbers and words reused, but a commitment — a
price or money amount, a percentage, a discount, refund, free trial, guarantee, deadline, case
study or named reference — must be held by the vouched side, and a name (a capitalised word) must
be vouched, one of the lead's own names, or inside a verbatim quote of the context.

The word lists here are not stop words: :data:`EVERYDAY_SALES_WORDS` are words any sales email may
use without a source, and :data:`SENTENCE_OPENERS` words whose capital at a sentence start does not
make a name.

Examples:
    >>> for problem in ungrounded("We offer a 20% discount.", vouched="We offer help."):
    ...     print(problem)
    a commitment the vendor does not vouch for: 20%
    a commitment the vendor does not vouch for: discount
    a number that is not among the inputs: 20%
    >>> ungrounded("Your 20% discount is confirmed.", "", context="We want a 20% discount")[-1]
    'a commitment the vendor does not vouch for: discount'
    >>> ungrounded("A 20% discount, as agreed.", "Annual plans: 20% discount")
    []
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from leadqual.drafting._normalize import skeleton

__all__ = ["EVERYDAY_SALES_WORDS", "SENTENCE_OPENERS", "commitments", "ungrounded"]

EVERYDAY_SALES_WORDS = frozenset(
    [
        "about",
        "above",
        "after",
        "again",
        "also",
        "always",
        "another",
        "answer",
        "anything",
        "appreciate",
        "around",
        "available",
        "back",
        "because",
        "been",
        "before",
        "being",
        "best",
        "better",
        "between",
        "both",
        "bring",
        "call",
        "calls",
        "can't",
        "chance",
        "change",
        "check",
        "clear",
        "come",
        "coming",
        "company",
        "could",
        "course",
        "date",
        "days",
        "detail",
        "details",
        "does",
        "doing",
        "done",
        "each",
        "easier",
        "email",
        "emails",
        "enough",
        "even",
        "every",
        "example",
        "explore",
        "fair",
        "feel",
        "find",
        "first",
        "following",
        "follow",
        "free",
        "from",
        "further",
        "future",
        "give",
        "glad",
        "good",
        "great",
        "happy",
        "have",
        "hear",
        "hearing",
        "help",
        "helpful",
        "here",
        "hope",
        "however",
        "idea",
        "into",
        "just",
        "keen",
        "know",
        "last",
        "later",
        "learn",
        "least",
        "left",
        "less",
        "like",
        "likely",
        "little",
        "look",
        "looking",
        "make",
        "many",
        "maybe",
        "meet",
        "meeting",
        "mind",
        "minutes",
        "more",
        "most",
        "much",
        "must",
        "need",
        "needs",
        "next",
        "note",
        "offer",
        "often",
        "only",
        "open",
        "other",
        "others",
        "over",
        "part",
        "perhaps",
        "please",
        "point",
        "possible",
        "quick",
        "quickly",
        "rather",
        "reach",
        "reaching",
        "really",
        "reason",
        "regards",
        "reply",
        "right",
        "same",
        "says",
        "see",
        "seems",
        "send",
        "sense",
        "share",
        "short",
        "should",
        "show",
        "since",
        "some",
        "something",
        "soon",
        "sound",
        "sounds",
        "still",
        "such",
        "suggest",
        "sure",
        "take",
        "talk",
        "team",
        "teams",
        "than",
        "thank",
        "thanks",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "thing",
        "things",
        "think",
        "this",
        "those",
        "through",
        "time",
        "times",
        "today",
        "together",
        "touch",
        "understand",
        "upon",
        "useful",
        "very",
        "want",
        "wanted",
        "week",
        "weeks",
        "well",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "will",
        "wish",
        "with",
        "within",
        "without",
        "wonder",
        "work",
        "working",
        "would",
        "write",
        "year",
        "years",
        "your",
        "yours",
        "you're",
        "we're",
        "i'm",
        "it's",
        "that's",
        "there's",
        "dear",
        "hello",
        "hope",
        "note",
        "questions",
        "question",
        "concern",
        "concerns",
        "point",
        "points",
        "walk",
        "through",
        "worth",
        "worthwhile",
        "conversation",
        "discuss",
        "discussion",
        "convenient",
        "suit",
        "suits",
        "works",
        "confirm",
        "invitation",
        "calendar",
        "candid",
        "happy",
        "glad",
        "grateful",
        "kind",
        "kindly",
        "warm",
        "warmly",
        "brief",
        "briefly",
        "follow-up",
        "following-up",
    ]
)

"""Everyday words of a sales email: an LLM may use them freely when it rephrases."""

_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*%?")
_NAME_LIKE = re.compile(r"\b[A-Z][A-Za-z0-9&'-]*")
SENTENCE_OPENERS = frozenset(
    [
        "i",
        "we",
        "our",
        "you",
        "your",
        "the",
        "a",
        "an",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "if",
        "so",
        "and",
        "but",
        "or",
        "hi",
        "hello",
        "dear",
        "thanks",
        "thank",
        "best",
        "kind",
        "many",
        "ps",
        "p.s",
        "please",
        "could",
        "would",
        "can",
        "will",
        "shall",
        "may",
        "might",
        "let",
        "let's",
        "looking",
        "happy",
        "glad",
        "great",
        "sure",
        "just",
        "also",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "on",
        "of",
        "to",
        "with",
        "when",
        "what",
        "which",
        "who",
        "how",
        "why",
        "while",
        "after",
        "before",
        "since",
        "once",
        "re",
        "fwd",
        "fw",
    ]
)
"""Words that open a sentence in any email; a capital there does not make a name."""
# Promises only the vendor may make: they must come from the vendor's own inputs, never from the
# model or from anything the lead, a form or the web wrote.
_COMMITMENTS = re.compile(
    r"\b(?:discount\w*|refund\w*|guarantee\w*|rebate\w*|waive\w*|expir\w*|deadline\w*|"
    r"complimentary|no[- ]cost|free\s+of\s+charge|at\s+no\s+(?:extra\s+|additional\s+)?"
    r"(?:cost|charge)|money[- ]back|cash[- ]?back|warrant(?:y|ies|ed)|risk[- ]free|"
    r"free\s+(?:\d+[- ])?(?:trials?|pilots?|months?|weeks?|days?|years?|licen[cs]es?|seats?|"
    r"users?|onboarding|setup|set-up|implementation|upgrades?|access|audits?|training|"
    r"support|plans?|tiers?|periods?|add-?ons?)|"
    r"(?:trials?|pilots?|months?|weeks?|days?|years?|seats?|licen[cs]es?)\s+(?:are\s+|is\s+)?"
    r"(?:for\s+)?free|for\s+free|"
    r"(?:special|exclusive|introductory|promotional|reduced|discounted|locked|fixed|partner|"
    r"loyalty|founding|early[- ]bird)\s+(?:price|pricing|rate|offer|deal|terms)|"
    r"price\s+(?:lock|match|freeze)|locked\s+(?:in|at)|half[- ](?:price|off)|"
    r"coupons?|vouchers?|promo(?:tional)?\s+codes?|credit\s+note|"
    r"case\s+stud(?:y|ies)|reference\s+(?:customers?|clients?|accounts?)|"
    r"(?:trusted|used|chosen)\s+by|cancel\s+(?:any\s*time|at\s+any\s+time)|"
    r"limited[- ]time|last\s+chance|only\s+until|valid\s+(?:until|through|till)|offer\s+ends)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:%|percent\b|per\s+cent\b|pct\b)|"
    r"\b[a-z]+(?:-[a-z]+)?\s+(?:percent|per\s+cent)\b",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"(?:[$\u20ac\u00a3\u00a5\u20b9]|\b(?:usd|eur|gbp|chf|cad|aud|jpy|inr)\s?)\s?\d[\d,.]*"
    r"(?:\s?(?:k|m|bn|million|thousand)\b)?|"
    r"\b\d[\d,.]*\s?(?:k|m|bn|million|thousand)?\s?(?:usd|eur|gbp|chf|dollars?|euros?|pounds?|"
    r"bucks)\b",
    re.IGNORECASE,
)
_QUOTE = re.compile(
    r"\u201c([^\u201d]{1,400})\u201d|\"([^\"\n]{1,400})\"|\u00ab([^\u00bb]{1,400})\u00bb"
)


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


def commitments(text: str) -> list[str]:
    """Commitments in ``text`` (read on its skeleton): percentages, money amounts, and promises
    such as a discount, refund, free trial, guarantee, deadline, case study or reference."""
    folded = skeleton(text)
    found = [m.group(0) for m in _PERCENT.finditer(folded)]
    found += [m.group(0) for m in _MONEY.finditer(folded)]
    found += [m.group(0) for m in _COMMITMENTS.finditer(folded)]
    return [" ".join(f.split()) for f in found]


def _mask(text: str, spans: Iterable[str]) -> str:
    """``text`` with every case-insensitive occurrence of ``spans`` blanked out."""
    for span in sorted({s for s in spans if s.strip()}, key=len, reverse=True):
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(word) for word in span.split()) + r"(?!\w)"
        text = re.sub(pattern, lambda m: " " * len(m.group(0)), text, flags=re.IGNORECASE)
    return text


def ungrounded(
    text: str,
    vouched: str,
    *,
    context: str = "",
    identity: Iterable[str] = (),
    quotes: str = "",
) -> list[str]:
    """Numbers, names, commitments and sentences in ``text`` the inputs do not support.

    Args:
        text: the draft (subject and body).
        vouched: the vendor's own wording: configuration, signature, the template's fixed text.
        context: what the lead, a form or the web wrote; it licenses plain numbers, words and
            verbatim quotes, never a commitment or a name outside a quote.
        identity: the lead's own names (person, company, industry) a draft may always name;
            they license nothing else.
        quotes: more untrusted text (the lead's emails) that licenses verbatim quotes only.
    """
    problems: list[str] = []
    folded = skeleton(text)
    vouched_f, context_f = skeleton(vouched), skeleton(context)
    vouched_low = vouched_f.lower()
    context_squashed = _squash(context_f) + "\n" + _squash(skeleton(quotes))
    names = [skeleton(n) for n in identity if n and n.strip()]
    # Verbatim quotes of the context and the lead's own names are exempt from the name and number
    # checks; commitments are read on everything but the lead's names.
    quoted = [
        inner
        for m in _QUOTE.finditer(folded)
        if (inner := next(g for g in m.groups() if g is not None))
        and _squash(inner).rstrip(".") in context_squashed
    ]
    unnamed = _mask(folded, names)
    masked = _mask(unnamed, quoted)

    vouched_squashed = re.sub(r"\s+", "", vouched_low)
    for claim in commitments(unnamed):
        if re.sub(r"\s+", "", claim.lower()) not in vouched_squashed:
            problems.append(f"a commitment the vendor does not vouch for: {claim}")
    # Whole numbers, not substrings: "2" is not supported by "2026".
    known_numbers = set(_NUMBER.findall(vouched_low)) | set(_NUMBER.findall(context_f.lower()))
    for number in _NUMBER.findall(masked):
        if number not in known_numbers and number.rstrip("%") not in known_numbers:
            problems.append(f"a number that is not among the inputs: {number}")
    known_words = set(re.findall(r"[a-z0-9][a-z0-9&'-]*", vouched_low))
    known_words |= {w for n in names for w in re.findall(r"[a-z0-9][a-z0-9&'-]*", n.lower())}
    # A capitalised word or acronym is a name (a customer, partner, certification, place): the
    # vendor must vouch for it, or it is the lead's own. Sentence openers are ordinary words.
    for match in _NAME_LIKE.finditer(masked):
        word = match.group(0).rstrip("'-")
        low = word.lower()
        if (
            low in known_words
            or low.rstrip("s") in known_words
            or low.split("'")[0] in SENTENCE_OPENERS  # I'd, We're, Let's
        ):
            continue
        if low in EVERYDAY_SALES_WORDS and not word.isupper():
            continue
        problems.append(f"a name that is not among the inputs: {word}")
    trusted_low = vouched_low + "\n" + context_f.lower()
    vocabulary = set(re.findall(r"[a-z][a-z'-]{3,}", trusted_low)) | EVERYDAY_SALES_WORDS
    # Sentences end at punctuation or a blank line; a single newline is only line wrapping.
    for sentence in re.split(r"(?<=[.!?])\s+|\n\s*\n", masked):
        words = re.findall(r"[a-z][a-z'-]{3,}", sentence.lower())
        novel = [w for w in words if w not in vocabulary and w.rstrip("s") not in vocabulary]
        if len(novel) >= 3 and len(novel) > 0.35 * len(words):
            problems.append(f"a sentence the inputs do not support: {sentence.strip()[:80]}")
    return problems
