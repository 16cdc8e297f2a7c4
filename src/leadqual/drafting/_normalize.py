"""Views of a text the guards read besides the raw one: folded to an ASCII skeleton, and with
spelled-out links undone.

A regex over raw text misses a link written with look-alike letters from another script
(a Cyrillic ``a``, U+0430, for the Latin one), fullwidth forms, invisible characters (zero-width space, soft hyphen,
bidi controls), other digits (superscript, Arabic-Indic) or spelled-out dots ("evil dot com",
"x[.]com", "hxxp"). :func:`views` returns the raw text, its :func:`skeleton` and its deobfuscated
skeleton, each with a map from every character back to the raw text, so a guard finds what any
view shows and judges the raw characters it came from.

Examples:
    >>> skeleton("\\u0435vil\\u200b.\\uff43om")
    'evil.com'
    >>> [v.text for v in views("mail ann at evil dot shop")][-1]
    'mail ann@evil.shop'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "TextView",
    "has_bidi_controls",
    "has_invisible",
    "mixed_script_words",
    "skeleton",
    "views",
]

# Look-alikes NFKC keeps apart from Latin: the Cyrillic, Greek, Armenian and Cherokee letters (and a
# few Latin and punctuation variants) that render like an ASCII letter, digit or separator. A
# compact subset of Unicode's confusables.txt: the letters a host name or a word can be spelled with.
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "\u0430": "a", "\u0432": "b", "\u0441": "c", "\u0501": "d", "\u0435": "e",
        "\u0451": "e", "\u04bb": "h", "\u0456": "i", "\u0457": "i", "\u0458": "j", "\u043a": "k",
        "\u04cf": "l", "\u043c": "m", "\u043d": "h", "\u043f": "n", "\u043e": "o", "\u0440": "p",
        "\u051b": "q", "\u0433": "r", "\u0455": "s", "\u0442": "t", "\u0443": "y", "\u0445": "x",
        "\u051d": "w", "\u0461": "w", "\u0475": "v", "\u04af": "y", "\u0491": "r",
        "\u0410": "A", "\u0412": "B", "\u0421": "C", "\u0415": "E", "\u0401": "E", "\u041d": "H",
        "\u0406": "I", "\u0407": "I", "\u0408": "J", "\u041a": "K", "\u041c": "M", "\u041e": "O",
        "\u0420": "P", "\u051a": "Q", "\u0405": "S", "\u0422": "T", "\u0425": "X", "\u0423": "Y",
        "\u04ae": "Y", "\u051c": "W", "\u0417": "3", "\u04e0": "3",
        # Greek
        "\u03b1": "a", "\u03b2": "b", "\u03f2": "c", "\u03b5": "e", "\u03b9": "i", "\u03ba": "k",
        "\u03bd": "v", "\u03bf": "o", "\u03c1": "p", "\u03c4": "t", "\u03c5": "u", "\u03c7": "x",
        "\u03b3": "y", "\u03b7": "n", "\u03c9": "w", "\u03f3": "j", "\u03c2": "s",
        "\u0391": "A", "\u0392": "B", "\u0395": "E", "\u0396": "Z", "\u0397": "H", "\u0399": "I",
        "\u039a": "K", "\u039c": "M", "\u039d": "N", "\u039f": "O", "\u03a1": "P", "\u03a4": "T",
        "\u03a5": "Y", "\u03a7": "X", "\u03f9": "C", "\u037f": "J",
        # Armenian
        "\u0561": "w", "\u0563": "q", "\u0566": "q", "\u0570": "h", "\u0578": "n", "\u057c": "n",
        "\u057d": "u", "\u0581": "g", "\u0585": "o", "\u0555": "O", "\u054d": "U",
        # Cherokee capitals
        "\u13aa": "A", "\u13f4": "B", "\u13df": "C", "\u13a0": "D", "\u13ac": "E", "\u13c0": "G",
        "\u13bb": "H", "\u13a5": "I", "\u13ab": "J", "\u13e6": "K", "\u13de": "L", "\u13b7": "M",
        "\u13a2": "T", "\u13d2": "R", "\u13da": "S", "\u13b3": "W", "\u13bd": "Y", "\u13c3": "Z",
        "\u13be": "O", "\u13e2": "P",
        # Latin variants and IPA
        "\u0131": "i", "\u0237": "j", "\u0251": "a", "\u0261": "g", "\u0269": "i", "\u029f": "l",
        "\u1d0f": "o", "\u0280": "r", "\u0274": "n", "\u026a": "i", "\u1d04": "c", "\u1d1c": "u",
        "\u1d20": "v", "\u1d21": "w", "\u1d22": "z", "\u0299": "b", "\u1d05": "d", "\u1d07": "e",
        "\u0262": "g", "\u029c": "h", "\u1d0a": "j", "\u1d0b": "k", "\u1d0d": "m", "\u1d18": "p",
        "\ua731": "s", "\u1d1b": "t", "\u028f": "y", "\u01c0": "l", "\u0138": "k",
        # separators a host name, an address or a number can be written with
        "\u3002": ".", "\uff61": ".", "\u2024": ".", "\ufe52": ".", "\u2027": ".", "\u00b7": ".",
        "\u2215": "/", "\u2044": "/", "\u29f8": "/", "\u2236": ":", "\ua789": ":", "\u02d0": ":",
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
        "\u2043": "-", "\ufe6b": "@", "\u00a0": " ", "\u2007": " ", "\u202f": " ",
    }
)  # fmt: skip
# Characters with no glyph, or that only steer layout: dropped from every view but the raw one.
_FILLERS = frozenset("\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0\u2800")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")

# Spelled-out or defanged separators: "dot", "[.]", "(dot)", " . ", "[at]", "hxxp", "[:]".
_SPELLED = (
    (re.compile(r"\bh(?:xx|\*\*|tt)p(s?)\b", re.IGNORECASE), r"http\1"),
    (re.compile(r"\s*[\[({<]\s*:\s*[\])}>]\s*"), ":"),
    (re.compile(r"\s*[\[({<]\s*(?:\.|dot|punkt|point)\s*[\])}>]\s*", re.IGNORECASE), "\x00"),
    (re.compile(r"(?<=[\w-])\s+dot\s+(?=[\w-])", re.IGNORECASE), "\x00"),
    (re.compile(r"(?<=[\w-]) \. (?=[a-z])"), "\x00"),
    (re.compile(r"(?<=[\w])\s*/\s*(?=\w)|(?<=[\w-])\s+slash\s+(?=\w)", re.IGNORECASE), "/"),
    (re.compile(r"\s*[\[({<]\s*(?:at|@)\s*[\])}>]\s*", re.IGNORECASE), "@"),
    # "ann at evil dot shop": an " at " counts only before a spelled-out dotted host.
    (re.compile(r"(?<=[\w.+-])\s+at\s+(?=[\w-]+(?:\x00[\w-]+)+)", re.IGNORECASE), "@"),
    (re.compile("\x00"), "."),
)


@dataclass(frozen=True, slots=True)
class TextView:
    """One way of reading a text: ``text``, and for each of its characters the index of the raw
    character it came from."""

    text: str
    origin: tuple[int, ...]

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the raw text behind ``text[start:end]``."""
        if end <= start:
            at = self.origin[start] if start < len(self.origin) else len(self.origin)
            return at, at
        return self.origin[start], self.origin[end - 1] + 1


def _invisible(char: str) -> bool:
    return char in _FILLERS or unicodedata.category(char) == "Cf" or 0xFE00 <= ord(char) <= 0xFE0F


def _fold_char(char: str) -> str:
    """One raw character as its skeleton: NFKC, marks dropped, look-alikes and digits to ASCII."""
    out = []
    for part in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", char)):
        if unicodedata.combining(part):
            continue
        digit = unicodedata.decimal(part, None)
        if digit is not None:
            out.append(str(digit))
            continue
        out.append(part.translate(_CONFUSABLES))
    return "".join(out)


def _skeleton_view(text: str) -> TextView:
    chars: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        if char.isascii():
            chars.append(char)
            origin.append(i)
            continue
        if _invisible(char):
            continue
        for part in _fold_char(char):
            chars.append(part)
            origin.append(i)
    return TextView("".join(chars), tuple(origin))


def _substitute(view: TextView, pattern: re.Pattern[str], repl: str) -> TextView:
    chars: list[str] = []
    origin: list[int] = []
    last = 0
    for match in pattern.finditer(view.text):
        chars.append(view.text[last : match.start()])
        origin.extend(view.origin[last : match.start()])
        new = match.expand(repl)
        first, final = view.origin[match.start()], view.origin[max(match.end() - 1, match.start())]
        chars.append(new)
        origin.extend([first] + [final] * (len(new) - 1) if new else [])
        last = match.end()
    chars.append(view.text[last:])
    origin.extend(view.origin[last:])
    return TextView("".join(chars), tuple(origin))


def skeleton(text: str) -> str:
    """``text`` folded for matching: NFKC, invisible characters dropped, accents stripped,
    look-alike letters and non-ASCII digits mapped to ASCII. ASCII text is returned unchanged."""
    return text if text.isascii() else _skeleton_view(text).text


def views(text: str) -> list[TextView]:
    """The raw text, its skeleton and its deobfuscated skeleton (spelled-out dots, ``at`` and
    defanged schemes undone); views equal to an earlier one are left out."""
    raw = TextView(text, tuple(range(len(text))))
    out = [raw]
    folded = raw if text.isascii() else _skeleton_view(text)
    if folded.text != raw.text:
        out.append(folded)
    plain = folded
    for pattern, repl in _SPELLED:
        plain = _substitute(plain, pattern, repl)
    if plain.text != folded.text:
        out.append(plain)
    return out


def has_invisible(text: str) -> bool:
    """Whether ``text`` holds invisible characters (zero-width space, soft hyphen, BOM, ...);
    the zero-width (non-)joiners that some scripts need are not counted."""
    return any(_invisible(c) for c in text if not c.isascii() and c not in "\u200c\u200d")


def has_bidi_controls(text: str) -> bool:
    """Whether ``text`` holds bidi override or isolate controls, which can show it reversed."""
    return bool(_BIDI_CONTROLS.search(text))


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    if char.isascii():
        return "latin"
    name = unicodedata.name(char, "")
    for script in ("LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"):
        if name.startswith(script) or f" {script} " in name:
            return script.lower()
    return "other"


def mixed_script_words(text: str) -> list[str]:
    """Words (runs of letters, digits, dots and hyphens) that mix Latin letters with Cyrillic,
    Greek, Armenian or Cherokee ones: the mark of a look-alike spelling."""
    found = []
    for word in re.findall(r"[^\W_](?:[\w.@-]*[^\W_])?", text):
        if word.isascii():
            continue
        scripts = {s for s in map(_script, word) if s is not None}
        if "latin" in scripts and scripts & {"cyrillic", "greek", "armenian", "cherokee"}:
            found.append(word)
    return found
