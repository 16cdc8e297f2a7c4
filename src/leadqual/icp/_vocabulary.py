"""The ICP's multilingual vocabulary: data files of words, read once and folded for matching.

Entries are written as people write them ("Geschäftsführerin", "Directora Comercial"); a ``*``
inside an entry stands for any letters within one word, for compounds ("*leiter" is
"Vertriebsleiter", "versicher*" is "Versicherungsmakler"). Matching is on whole words of text
folded by :func:`leadqual._text.fold`, with hyphens and slashes read as spaces.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

from leadqual._text import fold

__all__ = ["fold_words", "load", "word_pattern"]

_SPLIT = re.compile(r"[\s/-]+")
# "*" does not survive folding; "_" does, and no entry or title word needs it
_GLOB = "_"


def fold_words(text: str, /) -> str:
    """Folded text with hyphens and slashes as spaces: ``"IT-Leiter/CIO"`` -> ``"it leiter cio"``."""
    return " ".join(_SPLIT.split(fold(text))).strip()


def word_pattern(entry: str, /) -> tuple[str, int]:
    """A regular expression matching ``entry`` as whole words of folded text, and the length of
    its literal part (how specific it is: the longer, the more specific).

    >>> pattern, length = word_pattern("*leiter")
    >>> bool(re.search(pattern, "vertriebsleiter nord")), bool(re.search(pattern, "leitern")), length
    (True, False, 6)
    """
    folded = fold_words(entry.replace("*", _GLOB))
    literal = folded.replace(_GLOB, "")
    return r"\b" + re.escape(folded).replace(_GLOB, r"\w*") + r"\b", len(literal)


@cache
def load(name: str, /) -> Any:
    """The parsed YAML file ``name`` of the ICP's data folder (read once)."""
    import yaml

    text = resources.files("leadqual.icp").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)
