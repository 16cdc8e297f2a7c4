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

from leadqual.drafting._normalize import skeleton, spoken_numbers

__all__ = [
    "EVERYDAY_SALES_WORDS",
    "SENTENCE_OPENERS",
    "commitments",
    "money_terms",
    "ungrounded",
]

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
    r"limited[- ]time|last\s+chance|only\s+until|valid\s+(?:until|through|till)|offer\s+ends|"
    # gifts said as idioms: "on us", "on the house", "every cent back", "two for the price of one"
    r"on\s+us|on\s+the\s+house|(?:our|my)\s+treat|gratis|at\s+(?:our|my)\s+(?:own\s+)?expense|"
    r"for\s+the\s+price\s+of|(?:money|cents?|penny|pennies|dollars?|euros?|pounds?)\s+back|"
    r"(?:every|a)\s+(?:single\s+)?(?:cent|penny)|buy\s+one|bogo|"
    r"(?:zero|no|nothing|nil)\s+(?:(?:setup|set-up|hidden|extra|upfront|up-front|licen[cs]e)\s+)?"
    r"(?:cost|costs|fees?|charges?|to\s+pay)|"
    r"(?:won'?t|will\s+not|don'?t|do\s+not|never|not|needn'?t)\s+(?:have\s+to\s+|need\s+to\s+)?"
    r"(?:pay|be\s+charged|charge|be\s+billed|bill)|"
    r"(?:half|a\s+third|a\s+quarter|\d+\s*/\s*\d+)\s+(?:off|the\s+price)|"
    # pressure to decide by a date: "this week only", "two seats left", "the price goes up"
    r"(?:today|tonight|this\s+(?:week|month|quarter|year))\s+only|"
    r"only\s+(?:today|tonight|this\s+(?:week|month|quarter))|"
    r"(?:seats?|spots?|places?|licen[cs]es?|openings?)\s+(?:are\s+)?left|"
    r"while\s+(?:stocks?|supplies|seats|spots)\s+last|lock\s+in|"
    r"(?:price|prices|pricing|rate|rates)\s+(?:goes|go|will\s+go|rises?|increases?|changes?)|"
    r"(?:sign|order|buy|commit|decide|book)\s+(?:by|before)\s+(?:the\s+)?(?:end|\w+day|\d))\b",
    re.IGNORECASE,
)
# Money talk: what the lead would pay is the vendor's to state, so a draft may speak of paying,
# charges, costs, fees, prices, bills or rates only in words the vendor's own inputs hold.
_MONEY_TERMS = re.compile(
    r"\b(?:pay|pays|paid|paying|payments?|charges?|charged|charging|costs?|costing|fees?|"
    r"pric(?:e|es|ed|ing)|bill(?:s|ed|ing)?|invoic\w*|money|cash|refunds?|credits?|credited|"
    r"(?:your|this|that|our|the\s+same|current|today'?s|last\s+year'?s|same)\s+rates?)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(
    r"(?<![\d.,])\d+(?:[.,]\d+)?\s*(?:%|percent\b|per\s+cent\b|pct\b)|"
    r"\b[a-z]+(?:-[a-z]+)?\s+(?:percent|per\s+cent)\b",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"(?:[$\u00a2-\u00a5\u058f\u060b\u09f2\u09f3\u0e3f\u17db\u20a0-\u20c0\ufdfc\ufe69\uff04"
    r"\uffe0\uffe1\uffe5\uffe6]|\b(?:usd|eur|gbp|chf|cad|aud|jpy|inr|us\$)\s?)\s?\d[\d,.]*"
    r"(?:\s?(?:k|m|bn|million|thousand|grand)\b)?|"
    r"\b\d[\d,.]*\s?(?:k|m|bn|million|thousand|hundred)?\s?(?:usd|eur|gbp|chf|dollars?|euros?|"
    r"pounds?|bucks|quid|grand|yen|rupees?|francs?|cents?|pence)\b",
    re.IGNORECASE,
)
_QUOTE = re.compile(
    r"\u201c([^\u201d]{1,400})\u201d|\"([^\"\n]{1,400})\"|\u00ab([^\u00bb]{1,400})\u00bb"
)


def _stem(word: str) -> str:
    """A crude stem, enough to take "prices" and "pricing" for "price"."""
    return re.sub(r"(?:ments?|ing|ed|es|s|e)$", "", word) or word


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


def commitments(text: str) -> list[str]:
    """Commitments in ``text`` (read on its skeleton): percentages, money amounts, and promises
    such as a discount, refund, free trial, guarantee, deadline, case study or reference."""
    folded = skeleton(text)
    numeric = spoken_numbers(folded)  # "forty-nine dollars" is $49 too
    found = [m.group(0) for view in (folded, numeric) for m in _PERCENT.finditer(view)]
    found += [m.group(0) for view in (folded, numeric) for m in _MONEY.finditer(view)]
    found += [m.group(0) for m in _COMMITMENTS.finditer(folded)]
    return list(dict.fromkeys(" ".join(f.split()) for f in found))


def money_terms(text: str) -> list[str]:
    """Words about what the lead would pay (pay, charge, cost, fee, price, bill, rate...) in
    ``text``, read on its skeleton: a draft may use them only as the vendor does."""
    return [" ".join(m.group(0).split()) for m in _MONEY_TERMS.finditer(skeleton(text))]


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
    vouched_numeric = re.sub(r"\s+", "", spoken_numbers(vouched_low))
    for claim in commitments(unnamed):
        squashed = re.sub(r"\s+", "", claim.lower())
        if squashed not in vouched_squashed and squashed not in vouched_numeric:
            problems.append(f"a commitment the vendor does not vouch for: {claim}")
    # Money talk: in the vendor's words, or inside a verbatim copy of what the lead wrote (the
    # template's "You mentioned cutting the cost of ..."), never the model's own.
    vouched_stems = {_stem(w) for w in re.findall(r"[a-z][a-z']+", vouched_low)}
    copied = [line for line in context_f.splitlines() if len(line.split()) >= 3]
    for term in money_terms(_mask(unnamed, [*quoted, *copied])):
        if _stem(term.lower().split()[-1]) not in vouched_stems:
            problems.append(f"money talk the vendor does not vouch for: {term}")
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
