"""Syntax, sales policy and bad input of the EmailValidator (offline: deliverability off)."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import email_validator
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.email import REASON_CODES, EmailCheck, EmailValidator, StaticResolver
from leadqual.email import _syntax as _email_syntax
from leadqual.errors import EmailInputError, LeadqualError, ValidationFailed

SLICE = Path(__file__).resolve().parents[1] / "fixtures" / "email" / "corpus_slice.csv"

# Rows where the documented policy (docs/email.md) deliberately differs from the corpus.
POLICY_DISAGREEMENTS = {
    "test@io": "dotless_domain",
    "test@xn--example.com": "invalid_domain",
    '"s\u0323\u0307" <s\u0323\u0307@nfc.tld>': "display_name",  # decomposed, as the source
}


@pytest.fixture(scope="module")
def offline() -> EmailValidator:
    return EmailValidator(check_deliverability=False)


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ('"john doe"@acme.com', "quoted_local_part"),
        ("john@[192.0.2.1]", "ip_literal"),
        ("john@[IPv6:2001:db8::1]", "ip_literal"),
        ("john@acme", "dotless_domain"),
        ("john@localhost", "reserved_domain"),
        ("john@example.com", "reserved_domain"),
        ("john@mail.example.org", "reserved_domain"),
        ("john@shop.example", "reserved_domain"),
        ("john@acme.test", "reserved_domain"),
        ("john@acme.invalid", "reserved_domain"),
        ("john@acme.123", "invalid_tld"),
        ("Jane Doe <jane@acme.com>", "display_name"),
        ("no-at-sign.acme.com", "missing_at_sign"),
        ("", "empty"),
        ("jo..hn@acme.com", "invalid_syntax"),
        ("john@acme.com\n", "invalid_characters"),
        ("jo\x00hn@acme.com", "invalid_characters"),
        ("p\u0430ypal@p\u0430ypal.com", "mixed_script_domain"),  # Cyrillic a in both parts
    ],
)
def test_policy_refuses_with_the_rule_that_refused(
    offline: EmailValidator, address: str, code: str
) -> None:
    check = offline.validate(address)
    assert check.status == "invalid"
    assert not check.is_valid
    assert check.normalized is None
    assert check.reason_codes[0] == code
    assert check.email_type == "unknown"


def test_display_name_form_suggests_the_bare_address(offline: EmailValidator) -> None:
    assert offline.validate("Jane Doe <jane@acme.com>").suggestion == "jane@acme.com"


def test_reserved_domains_can_be_allowed_but_special_use_names_cannot() -> None:
    lenient = EmailValidator(check_deliverability=False, allow_reserved_domains=True)
    assert lenient.validate("john@example.com").is_valid
    assert lenient.validate("john@acme.test").reason_codes == ("reserved_domain",)


def test_valid_address_is_normalized_and_flagged_unchecked(offline: EmailValidator) -> None:
    check = offline.validate("Kim.Ode@Contoso.COM")
    assert check.is_valid
    assert check.status == "valid"
    assert check.normalized == "Kim.Ode@contoso.com"
    assert check.domain == "contoso.com"
    assert check.email_type == "work"
    assert check.reason_codes == ("deliverability_not_checked",)
    assert not check.deliverability_checked


def test_internationalised_address_is_valid_and_needs_smtputf8(offline: EmailValidator) -> None:
    check = offline.validate("jürgen@müller.de")
    assert check.is_valid
    assert check.smtputf8
    assert check.has("smtputf8")
    assert check.domain == "xn--mller-kva.de"


def test_mixed_script_local_part_is_risky_not_invalid(offline: EmailValidator) -> None:
    check = offline.validate("j\u043ehn@contoso.com")  # Cyrillic o
    assert check.is_valid
    assert check.status == "risky"
    assert check.has("mixed_script_local")


def test_megabyte_input_is_refused_quickly(offline: EmailValidator) -> None:
    started = time.perf_counter()
    check = offline.validate("a" * 1_000_000 + "@acme.com")
    assert time.perf_counter() - started < 1.0
    assert check.reason_codes == ("too_long",)


@pytest.mark.parametrize("value", [None, 42, b"kim@contoso.com", ["kim@contoso.com"]])
def test_non_string_input_raises_a_typed_error_naming_the_field(
    offline: EmailValidator, value: object
) -> None:
    with pytest.raises(EmailInputError) as info:
        offline.validate(value)  # type: ignore[arg-type]
    assert isinstance(info.value, ValidationFailed | LeadqualError | TypeError)
    assert info.value.field == "address"


def test_validate_many_names_the_bad_item(offline: EmailValidator) -> None:
    with pytest.raises(EmailInputError) as info:
        offline.validate_many(["a@contoso.com", "b@contoso.com", None])  # type: ignore[list-item]
    assert info.value.field == "addresses[2]"


def test_validate_many_refuses_a_single_string(offline: EmailValidator) -> None:
    with pytest.raises(EmailInputError):
        offline.validate_many("kim@contoso.com")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_consistent_verdict_never_an_exception(text: str) -> None:
    check = EmailValidator(check_deliverability=False).validate(text)
    assert isinstance(check, EmailCheck)
    assert check.is_valid == (check.status != "invalid")
    assert check.is_valid == (check.normalized is not None)
    assert all(r.code in REASON_CODES for r in check.reasons)
    assert all(r.severity == REASON_CODES[r.code] for r in check.reasons)


_local = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=20)
_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(_local, st.lists(_label, min_size=1, max_size=3), st.sampled_from(["com", "de", "co.uk"]))
def test_normalization_is_idempotent(local: str, labels: list[str], tld: str) -> None:
    validator = EmailValidator(check_deliverability=False)
    first = validator.validate(f"{local}@{'.'.join(labels)}.{tld}".upper())
    if first.normalized is None:
        return
    again = validator.validate(first.normalized)
    assert again.normalized == first.normalized
    assert again.status == first.status


@pytest.mark.parametrize(
    ("domain", "refused_by"),
    [
        # legitimate: letters, a public suffix of two labels, internationalised A-labels
        ("acme.com", None),
        ("acme.co.uk", None),
        ("acme.museum", None),
        ("acme.xn--p1ai", None),  # .рф
        ("acme.\u0440\u0444", None),  # .рф as people type it
        ("ACME.COM", None),
        ("acme.XN--P1AI", None),
        # hostile: a digit or a hyphen in a top-level label that is not an A-label
        ("bad.tld-2", "invalid_tld"),
        ("acme.c0m", "invalid_tld"),
        ("acme.123", "invalid_tld"),
        ("acme.a1", "invalid_tld"),
        ("acme.co-uk", "invalid_tld"),
        ("acme.-com", "invalid_syntax"),  # a label may not start with a hyphen
        ("acme.com-", "invalid_syntax"),  # nor end with one
    ],
)
def test_a_top_level_label_with_a_digit_or_hyphen_is_undeliverable(
    domain: str, refused_by: str | None
) -> None:
    resolver = StaticResolver(well_known=False, missing="servfail")
    validator = EmailValidator(resolver=resolver)
    check = validator.validate(f"me@{domain}")
    if refused_by is None:
        assert check.normalized is not None
        assert check.is_valid
        assert not check.has("invalid_tld")
        return
    assert check.status == "invalid"
    assert not check.is_valid
    assert check.reason_codes == (refused_by,)
    assert check.reasons[0].message.strip()
    assert not resolver.lookups, "a malformed TLD is refused before DNS is asked"


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=2, max_size=10).filter(
        lambda t: not t.isalpha() and not t.startswith("xn--")
    )
)
def test_no_top_level_label_with_a_digit_or_hyphen_is_ever_valid(tld: str) -> None:
    check = EmailValidator(check_deliverability=False).validate(f"kim@contoso.{tld}")
    assert check.status == "invalid"
    assert check.reason_codes[0] in {"invalid_tld", "invalid_syntax", "invalid_domain"}


def _slice() -> list[dict[str, str]]:
    with SLICE.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_corpus_slice_agrees_with_sales_policy_except_documented_choices() -> None:
    # The corpus accepts documentation domains as placeholders; judge the syntax rules alone.
    validator = EmailValidator(check_deliverability=False, allow_reserved_domains=True)
    disagreements = {}
    for row in _slice():
        expected = row["sales_policy"].startswith("accept")
        check = validator.validate(row["address"])
        if check.is_valid != expected:
            disagreements[row["address"]] = check.reason_codes[0] if check.reasons else None
    assert set(disagreements) == set(POLICY_DISAGREEMENTS)
    for address, code in POLICY_DISAGREEMENTS.items():
        if code is not None:
            assert disagreements[address] == code


def test_corpus_documentation_domain_rows_are_refused_by_default() -> None:
    rows = [
        r
        for r in _slice()
        if r["address"].endswith("@example.com") and r["sales_policy"].startswith("accept")
    ]
    assert rows
    validator = EmailValidator(check_deliverability=False)
    assert {validator.validate(r["address"]).reason_codes[0] for r in rows} == {"reserved_domain"}


def _outcome(fn: object, address: str) -> tuple[object, ...]:
    try:
        info = fn(address)  # type: ignore[operator]
    except email_validator.EmailNotValidError as err:
        return ("error", str(err))
    return (info.normalized, info.local_part, info.domain, info.ascii_domain, info.smtputf8,
            info.ascii_email)  # fmt: skip


_simple_text = st.text(
    alphabet="abcXYZ019!#$%&'*+/=?^_`{|}~.-", min_size=0, max_size=70
)  # fmt: skip
_domain_text = st.text(alphabet="abcXYZ019.-", min_size=1, max_size=70)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.builds(lambda a, b: f"{a}@{b}", _simple_text, _domain_text),
        st.builds(
            lambda a, b, t: f"{a}@{b}.{t}",
            _simple_text,
            _domain_text,
            st.sampled_from(["com", "de", "123", "co.uk", "x2", "xn--p1ai", "COM"]),
        ),
        st.sampled_from(["Postmaster@Contoso.com", "a" * 64 + "@b.com", "a" * 65 + "@b.com"]),
    )
)
def test_cached_plain_ascii_path_agrees_with_email_validator(address: str) -> None:
    if not _email_syntax._SIMPLE.match(address):
        return
    assert _outcome(_email_syntax.validate_simple, address) == _outcome(
        _email_syntax.validate_full, address
    )


def test_cached_path_agrees_on_every_plain_corpus_row() -> None:
    compared = 0
    for row in _slice():
        if _email_syntax._SIMPLE.match(row["address"]):
            compared += 1
            assert _outcome(_email_syntax.validate_simple, row["address"]) == _outcome(
                _email_syntax.validate_full, row["address"]
            ), row["address"]
    assert compared > 30


def test_the_public_reason_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        REASON_CODES["valid"] = "invalid"  # type: ignore[index]
