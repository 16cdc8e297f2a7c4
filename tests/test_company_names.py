"""The package's one company-name normaliser: a normalised name normalises to itself, so a key
stored once (a suppression list, a duplicate-detection key) still matches the name it came from."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from leadqual._text import normalize_company_name

# Words that make names hard to normalise: legal forms, "&"/"and", "The", punctuation.
_PIECES = st.sampled_from(
    [
        "The", "the", "and", "&", "Co", "Co.", "co", "KG", "GmbH", "AG", "Inc", "Inc.", "Ltd",
        "Ltd.", "LLC", "S.A.", "de", "C.V.", "plc", "SE", "AB", "A/S", "Oy", "B.V.", "N.V.",
        "Holdings", "Acme", "Smith", "Société", "Générale", "Straße", ",", "-", "'", "ﬀ", "İ",
    ]
)  # fmt: skip
COMPANY_LIKE = st.lists(_PIECES, max_size=8).map(" ".join)


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("AG & Co. KG", "ag"),
        ("ag and co", "ag"),
        ("Smith & Co.", "smith"),
        ("Smith and Co", "smith"),
        ("The Acme Holdings GmbH & Co. KG", "acme holdings"),
        ("Johnson & Johnson", "johnson and johnson"),
        ("Marks & Spencer plc", "marks and spencer"),
        ("The The", "the the"),
    ],
)
def test_legal_forms_uncovered_by_folding_are_removed_too(written: str, key: str) -> None:
    assert normalize_company_name(written) == key


@given(st.text(max_size=40))
@example("AG & Co. KG")
@example("Acme GmbH & Co. KG, Ltd.")
def test_normalising_a_normalised_name_changes_nothing(name: str) -> None:
    once = normalize_company_name(name)
    assert normalize_company_name(once) == once


@given(COMPANY_LIKE)
def test_normalising_a_name_made_of_legal_forms_is_idempotent(name: str) -> None:
    once = normalize_company_name(name)
    assert normalize_company_name(once) == once
