"""Text helpers for email replies: strip quoted mail and signatures, split sentences, mark negation.

Everything here treats the text as untrusted data: it is only matched, never interpreted.
"""

from __future__ import annotations

import re

__all__ = [
    "clause_after_contrast",
    "clean_reply",
    "mark_negation",
    "resolve_litotes",
    "split_sentences",
]

# A line that introduces quoted earlier mail ("On Mon, Ann wrote:"). When ">" lines follow it, the
# header and those lines are dropped and any text after them is kept (a bottom-posted or inline
# reply); otherwise everything from the header on is the old mail.
_WROTE_HEADERS = (
    re.compile(r"^\s*On\b[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\bwrote:\s*$", re.IGNORECASE | re.M),
    re.compile(
        r"^\s*(?:Le|Am|El|Il)\s[^\n]{0,200}(?:a écrit|schrieb|escribió|ha scritto)\s*:\s*$", re.M
    ),
)
# A line from which everything on is the old mail (Outlook and forwarding headers).
_QUOTE_HEADERS = (
    re.compile(r"^\s*-{2,}\s*(?:Original|Forwarded) Message\s*-{2,}", re.IGNORECASE | re.M),
    re.compile(r"^\s*_{8,}\s*$", re.M),
    re.compile(
        r"^\s*From:\s[^\n]*\n(?:[^\n]*\n){0,3}?\s*(?:Sent|Date|To|Subject):", re.IGNORECASE | re.M
    ),
)
_QUOTED_LINE = re.compile(r"^[ \t]*>[^\n]*(?:\n|$)", re.M)
_BEFORE_QUOTE = re.compile(r"\A\s*\n?[ \t]*>")

_SIGNATURE_MARKERS = (
    re.compile(r"^--\s*$", re.M),
    re.compile(r"^\s*(?:Sent from my|Get Outlook for|Sent from Mail for)\b", re.IGNORECASE | re.M),
    re.compile(
        r"^\s*(?:CONFIDENTIALITY|DISCLAIMER|This (?:e-?mail|message)(?: and any attachments?)? "
        r"(?:is|are|may be) (?:confidential|intended))",
        re.IGNORECASE | re.M,
    ),
)
# A signature without a sign-off or "--": after a blank line, a line that is only a name (two to
# four capitalised words), a name and "| title", or a short rule ("__"), with text above it.
_SIGNATURE_BLOCK = re.compile(
    r"\n[ \t]*\n[ \t]*(?:_{2,}|-{2,}|[A-Z][\w.'\u2019-]*(?:[ \t]+[A-Z][\w.'\u2019-]*){1,3}|"
    r"[A-Z][\w.'\u2019-]*(?:[ \t]+[A-Z][\w.'\u2019-]*){0,3}[ \t]*\|[^\n]*)[ \t]*(?=\n|$)"
)
# A line holding only a sign-off ("Best,", "Kind regards") ends the message body.
_SIGN_OFF = re.compile(
    r"^\s*(?:best|best wishes|best regards|kind regards|regards|warm regards|warmest regards|"
    r"many thanks|thanks|thanks again|thank you|thx|cheers|sincerely|yours sincerely|"
    r"yours truly|all the best|br|rgds|take care|talk soon|mit freundlichen grüßen|cordialement)"
    r"\s*[,.!]?\s*$",
    re.IGNORECASE | re.M,
)
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|hallo|bonjour)\b[^\n]{0,60}?"
    r"[,!:]?\s*$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(])|(?<=[.!?])\s*\n+|\n+")
_NEGATORS = re.compile(
    r"^(?:not|no|never|none|nothing|neither|nor|without|cannot|can't|won't|don't|doesn't|"
    r"didn't|isn't|aren't|wasn't|weren't|wouldn't|shouldn't|couldn't|haven't|hasn't|"
    r"hadn't|rather|dont|wont|cant|isnt|arent|n't)$",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"^(?:[.,;:!?]|but|however|though|although|yet|instead|and)$", re.I)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*|\d+(?:[.:/]\d+)*|[.,;:!?]")
# Double negations that mean yes ("I wouldn't say no to a call"): read as "happy to".
_LITOTES = re.compile(
    r"\b(?:(?:would|could|do|does|did|am|are|is|was|were|'m|'re|'s)?\s*(?:n't|not)\s+"
    r"(?:say no to|object to|be opposed to|be against|be averse to|opposed to|against|"
    r"averse to|mind|be unhappy to|be unwilling to|unwilling to)|(?:have|has|there'?s|is) no "
    r"objection(?:s)? to|no objection(?:s)? to)\b",
    re.IGNORECASE,
)
_CONTRAST = re.compile(r"\b(?:but|however|though|although|yet|instead)\b", re.IGNORECASE)


def _cut_at_first(text: str, patterns: tuple[re.Pattern[str], ...]) -> str:
    cut = len(text)
    for pattern in patterns:
        match = pattern.search(text)
        if match is not None:
            cut = min(cut, match.start())
    return text[:cut]


def _drop_quotes(text: str) -> str:
    """``text`` without "> " quoted lines and their "On ... wrote:" headers.

    A header not followed by quoted lines starts old mail quoted without markers: cut there.
    """
    for pattern in _WROTE_HEADERS:
        while (match := pattern.search(text)) is not None:
            if _BEFORE_QUOTE.match(text[match.end() :]):
                text = text[: match.start()] + text[match.end() :]
            else:
                text = text[: match.start()]
    return _QUOTED_LINE.sub("", text)


def clean_reply(text: str) -> str:
    """The lead's own new words in an email reply: quoted mail, signature and greeting removed.

    A sign-off line ("Best,") only ends the body when text precedes it, so a reply that is just
    "Thanks!" is kept.
    """
    # Every line break Python knows (\r\n, form feed, U+2028, ...) becomes a plain newline.
    text = "\n".join(text.replace("\u00a0", " ").splitlines())
    text = _drop_quotes(text)
    text = _cut_at_first(text, _QUOTE_HEADERS)
    text = _cut_at_first(text, _SIGNATURE_MARKERS)
    for match in _SIGN_OFF.finditer(text):
        if text[: match.start()].strip():
            text = text[: match.start()]
            break
    block = _SIGNATURE_BLOCK.search(text)
    if block is not None and text[: block.start()].strip():
        text = text[: block.start()]
    lines = text.strip().split("\n")
    if len(lines) > 1 and _GREETING.match(lines[0]):
        lines = lines[1:]
    return "\n".join(lines).strip()


def split_sentences(text: str) -> list[str]:
    """Sentences (and separate lines) of ``text``, stripped, empties dropped."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def resolve_litotes(text: str) -> str:
    """``text`` with double negations that mean yes rewritten as "happy to".

    "I wouldn't say no to a call" and "we are not opposed to meeting" accept a meeting; without
    this, the negator would make them read as refusals.
    """
    return _LITOTES.sub(" happy to", text.replace("\u2019", "'"))


def mark_negation(text: str) -> str:
    """Lower-cased tokens where those after a negator (to the clause end) carry a ``NEG_`` prefix.

    "we are not looking to meet" becomes "we are not NEG_looking NEG_to NEG_meet", so a bag-of-words
    model tells a declined meeting from a requested one.
    """
    out: list[str] = []
    negated = False
    for token in _TOKEN.findall(resolve_litotes(text)):
        low = token.lower()
        if _CLAUSE_END.match(low):
            negated = False
            out.append(low)
            continue
        if _NEGATORS.match(low) or low.endswith("n't"):
            negated = True
            out.append(low)
            continue
        out.append(f"NEG_{low}" if negated else low)
    return " ".join(out)


def clause_after_contrast(sentence: str) -> str | None:
    """The part of ``sentence`` after its last "but"/"however", or ``None`` when there is none."""
    parts = _CONTRAST.split(sentence)
    if len(parts) < 2:
        return None
    tail = parts[-1].strip(" ,;:-")
    return tail or None
