"""An erasure request reaches the email checker: one domain's cached verdict goes, in whatever
form the domain is written, and nothing else a check needs."""

from __future__ import annotations

import pytest

from leadqual.email import EmailValidator, StaticResolver, cache_info, forget_domain
from leadqual.errors import EmailInputError

RECORDS = {
    "soletrader.example": {"mx": ["mx.soletrader.example"]},
    "xn--bcher-kva.example": {"mx": ["mx.xn--bcher-kva.example"]},
    "bigco.example": {"mx": ["mx.bigco.example"]},
}


def _validator() -> EmailValidator:
    return EmailValidator(resolver=StaticResolver(RECORDS), allow_reserved_domains=True)


def test_only_the_named_domain_is_forgotten() -> None:
    v = _validator()
    v.validate("jo@soletrader.example")
    v.validate("ann@bigco.example")
    assert cache_info(v).size == 2
    assert forget_domain(v, "SoleTrader.example.") == 1
    assert cache_info(v).size == 1
    assert forget_domain(v, "soletrader.example") == 0
    assert v.validate("ann@bigco.example").is_valid  # still answered


def test_a_unicode_domain_is_forgotten_by_either_spelling() -> None:
    v = _validator()
    v.validate("jo@bücher.example")
    assert forget_domain(v, "bücher.example") == 1
    v.validate("jo@bücher.example")
    assert forget_domain(v, "xn--bcher-kva.example") == 1


def test_a_domain_that_is_not_text_is_refused() -> None:
    with pytest.raises(EmailInputError, match="domain"):
        forget_domain(_validator(), None)  # type: ignore[arg-type]
