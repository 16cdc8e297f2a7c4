"""Views of a text the guards read besides the raw one: folded to an ASCII skeleton, and with
spelled-out links undone.

A regex over raw text misses a link written with look-alike letters from another script
(a Cyrillic ``a``, U+0430, for the Latin one), fullwidth forms, invisible characters (zero-width space, soft hyphen,
bidi controls, tag characters), other digits (superscript, Arabic-Indic), spelled-out dots
("evil dot com", "x[.]com", "hxxp") or numbers in words ("nine zero zero, five five five",
"forty-nine dollars", "1-800-FLOWERS"). :func:`views` returns the raw text, its :func:`skeleton`,
its deobfuscated skeleton and that with numbers written as digits (:func:`spoken_numbers`), each
with a map from every character back to the raw text, so a guard finds what any view shows and
judges the raw characters it came from.

Examples:
    >>> skeleton("\\u0435vil\\u200b.\\uff43om")
    'evil.com'
    >>> [v.text for v in views("mail ann at evil dot shop")][-1]
    'mail ann@evil.shop'
    >>> spoken_numbers("call nine zero zero, five five five, zero one nine nine")
    'call 900 555 0199'
    >>> spoken_numbers("forty-nine dollars, or 1-800-FLOWERS on (9OO) 555-O199")
    '49 dollars, or 1-800-3569377 on (900) 555-0199'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "TextView",
    "has_bidi_controls",
    "has_invisible",
    "mixed_script_words",
    "skeleton",
    "spoken_numbers",
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


# Numbers in words: units, tens and scales. "oh" and "nought" are zero only beside other digits.
_UNIT_WORDS = {
    "zero": 0, "nought": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TEN_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALE_WORDS = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_NUMBER_WORD = "|".join(sorted([*_UNIT_WORDS, *_TEN_WORDS, *_SCALE_WORDS], key=len, reverse=True))
_NUMBER_RUN = re.compile(
    rf"\b(?:{_NUMBER_WORD})(?:(?:\s*,\s*|[\s-]+|\s+and\s+)(?:{_NUMBER_WORD}))*\b",
    re.IGNORECASE,
)
# A digit group where O/o stand for 0 and l/I for 1 ("9OO", "O199").
_DIGIT_LOOKALIKES = re.compile(r"(?<![^\W\d_])(?=[OolI]*\d)[\dOolI]{2,}(?![^\W\d_])")
# A vanity number: at least three digits, then letters on a phone keypad ("1-800-FLOWERS").
# It starts only where a digit run starts, so a long run of digits is read once (linear time).
_VANITY = re.compile(
    r"(?<!\d)(?<!\d[\s().-])(?<!\d[\s().-]{2})(?<!\d[\s().-]{3})"
    r"(\+?\(?\d(?:[\s().-]{0,3}\d){2,}\)?[\s.-])([A-Za-z]{4,10})\b"
)
# Chinese and Japanese numerals written digit by digit ("九〇〇五五五"): three or more in a row.
_CJK_DIGITS = "\u3007\u96f6\u4e00\u4e8c\u4e09\u56db\u4e94\u516d\u4e03\u516b\u4e5d"
_CJK_RUN = re.compile(f"[{_CJK_DIGITS}]{{3,}}")
_CJK_TABLE = str.maketrans(_CJK_DIGITS, "00123456789")
_KEYPAD = str.maketrans("abcdefghijklmnopqrstuvwxyz", "22233344455566677778889999")


def _number_words(words: list[str]) -> str:
    """Number words as digits: "forty nine" -> "49", "nine zero zero" -> "900",
    "one eight hundred" -> "1800" (a run of numbers said one after another is their digits)."""
    chunks: list[int] = []
    total = current = 0
    last = ""  # "unit", "ten" or "scale": what the previous word was
    started = False
    for word in words:
        low = word.lower()
        if low in _SCALE_WORDS:
            scale = _SCALE_WORDS[low]
            if scale == 100:
                current = (current or 1) * 100
            else:
                total += (current or 1) * scale
                current = 0
            last = "scale"
            started = True
            continue
        value = _UNIT_WORDS.get(low, _TEN_WORDS.get(low, 0))
        kind = "ten" if low in _TEN_WORDS else "unit"
        joins = not started or last == "scale" or (last == "ten" and kind == "unit" and value < 10)
        if not joins:
            chunks.append(total + current)
            total = current = 0
        current += value
        last = kind
        started = True
    chunks.append(total + current)
    return "".join(str(c) for c in chunks)


def _spoken_run(match: re.Match[str]) -> str:
    groups = re.split(r"\s*,\s*", match.group(0))
    out = []
    for group in groups:
        words = [w for w in re.split(r"[\s-]+", group) if w and w.lower() != "and"]
        if all(w.lower() in ("oh", "nought") for w in words):
            out.append(group)  # "oh" alone is a word, not a zero
            continue
        out.append(_number_words(words))
    return " ".join(out) if len(groups) > 1 else out[0]


def _lookalike_digits(match: re.Match[str]) -> str:
    return match.group(0).translate(str.maketrans("OolI", "0011"))


def _vanity(match: re.Match[str]) -> str:
    letters = match.group(2)
    if not (letters.isupper() or match.group(1)[-1] in "-."):
        return match.group(0)
    return match.group(1) + letters.lower().translate(_KEYPAD)


def spoken_numbers(text: str) -> str:
    """``text`` with numbers written as digits: number words ("forty-nine", "nine zero zero"),
    Chinese numerals said digit by digit, letters standing for digits ("9OO", "O199") and
    phone-keypad letters ("1-800-FLOWERS")."""
    return _numeric_view(TextView(text, tuple(range(len(text))))).text


def _numeric_view(view: TextView) -> TextView:
    view = _substitute(view, _NUMBER_RUN, _spoken_run)
    view = _substitute(view, _CJK_RUN, lambda m: m.group(0).translate(_CJK_TABLE))
    view = _substitute(view, _DIGIT_LOOKALIKES, _lookalike_digits)
    return _substitute(view, _VANITY, _vanity)


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
    # Format characters (zero-width, bidi, BOM, interlinear annotation, the tag characters of
    # U+E0000 that spell hidden ASCII), fillers, and variation selectors in both their blocks.
    code = ord(char)
    return (
        char in _FILLERS
        or unicodedata.category(char) == "Cf"
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0000 <= code <= 0xE0FFF
    )


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


def _substitute(
    view: TextView, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str]
) -> TextView:
    if pattern.search(view.text) is None:
        return view
    chars: list[str] = []
    origin: list[int] = []
    last = 0
    for match in pattern.finditer(view.text):
        chars.append(view.text[last : match.start()])
        origin.extend(view.origin[last : match.start()])
        new = match.expand(repl) if isinstance(repl, str) else repl(match)
        first, final = view.origin[match.start()], view.origin[max(match.end() - 1, match.start())]
        chars.append(new)
        if len(new) == match.end() - match.start():
            # left as it was, or one for one ("9OO" -> "900"): each keeps its own origin
            origin.extend(view.origin[match.start() : match.end()])
        else:
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
    """The raw text, its skeleton, its deobfuscated skeleton (spelled-out dots, ``at`` and
    defanged schemes undone) and that with numbers as digits (:func:`spoken_numbers`); views equal
    to an earlier one are left out."""
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
    numeric = _numeric_view(plain)
    if numeric.text != plain.text:
        out.append(numeric)
    return out


def has_invisible(text: str) -> bool:
    """Whether ``text`` holds invisible characters (zero-width space, soft hyphen, BOM, tag
    characters, ...); the zero-width (non-)joiners that some scripts need and an emoji's
    presentation selector are not counted."""
    for i, char in enumerate(text):
        if char.isascii() or char in "\u200c\u200d" or not _invisible(char):
            continue
        if char in "\ufe0e\ufe0f" and i and unicodedata.category(text[i - 1]) == "So":
            continue  # an emoji's presentation selector
        return True
    return False


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
