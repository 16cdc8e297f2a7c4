"""Domains are compared in one form everywhere: lower case, IDNA A-labels, no trailing dot."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual._domains import ascii_domain, email_domain, is_free_email_domain, registrable_domain
from leadqual.dedupe import Normalizer


@pytest.mark.parametrize(
    ("written", "ascii"),
    [
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example.", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example"),
        ("straße.de", "xn--strae-oqa.de"),  # IDNA 2008: ß is kept, not read as "ss"
        ("Contoso.COM", "contoso.com"),
        (" a..b.example ", "a..b.example"),  # not a valid domain: only folded
    ],
)
def test_ascii_domain_writes_one_form(written: str, ascii: str) -> None:
    assert ascii_domain(written) == ascii


@given(st.text(max_size=30))
def test_ascii_domain_never_raises_and_is_idempotent(text: str) -> None:
    once = ascii_domain(text)
    assert ascii_domain(once) == once


def test_email_and_registrable_domains_match_across_idna_forms() -> None:
    assert email_domain("ann@Bücher.example") == email_domain("ann@xn--bcher-kva.example")
    assert registrable_domain("https://www.münchen.de/") == registrable_domain("xn--mnchen-3ya.de")
    assert is_free_email_domain("GMAIL.com.")


def test_duplicate_detection_reads_both_idna_forms_as_one_domain_and_address() -> None:
    n = Normalizer()
    assert n.email_domain("ann@mail.bücher.de") == n.email_domain("bob@xn--bcher-kva.de")
    assert n.email("Ann@Bücher.de") == n.email("ann@xn--bcher-kva.de") == "ann@xn--bcher-kva.de"
    assert n.domain("https://www.münchen.de/x") == "xn--mnchen-3ya.de"
