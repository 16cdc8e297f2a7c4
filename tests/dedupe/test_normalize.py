"""Normalisers: email, phone, names, companies, domains."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual.dedupe import Normalizer
from leadqual.dedupe.normalize import fold_text


@pytest.fixture(scope="module")
def norm() -> Normalizer:
    return Normalizer(default_region="US")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mateo.Kowalski@TIDALSAVINGS.COM", "mateo.kowalski@tidalsavings.com"),
        ("j.o.h.n+news@gmail.com", "john@gmail.com"),
        ("John.Smith@GoogleMail.com", "johnsmith@gmail.com"),
        ("ana+crm@outlook.com", "ana@outlook.com"),
        # A company server may deliver dots and plus tags to different mailboxes: kept.
        ("a.b+sales@acme.com", "a.b+sales@acme.com"),
        ("mailto:Ana@Acme.com", "ana@acme.com"),
        ("no-at-sign.example.com", None),
        ("x@@acme.com", None),
        ("", None),
        (None, None),
        # Copied from a mail client: the display name is not part of the address.
        ("Ana Lima <Ana.Lima@Acme.com>", "ana.lima@acme.com"),
        ("ana lima@acme.com", None),
    ],
)
def test_email_folds_only_what_the_provider_ignores(
    norm: Normalizer, raw: str | None, expected: str | None
) -> None:
    assert norm.email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 (512) 555-0148", None, "+15125550148"),
        ("512.555.0148", None, "+15125550148"),
        ("512-555-0148 ext. 12", None, "+15125550148"),
        ("020 7946 0106", "GB", "+442079460106"),
        ("+44 20 7946 0106", "US", "+442079460106"),
        ("12", None, None),
        ("call me", None, None),
        # Seven digits without an area code could be any of hundreds of lines: not a key.
        ("555-0148", None, None),
        ("555-0148", "US", None),
    ],
)
def test_phone_is_e164_read_in_the_records_region(
    norm: Normalizer, raw: str, region: str | None, expected: str | None
) -> None:
    assert norm.phone(raw, region) == expected


def test_phone_extension_is_kept_apart(norm: Normalizer) -> None:
    assert norm.phone_extension("512-555-0148 x 204") == "204"
    assert norm.phone_extension("512-555-0148") is None


def test_default_region_is_configurable() -> None:
    assert Normalizer(default_region="DE").phone("030 9478513") == "+49309478513"


@pytest.mark.parametrize(
    ("country", "region"),
    [
        ("USA", "US"),
        ("United States of America", "US"),
        ("Great Britain", "GB"),
        ("México", "MX"),
        ("Mexique", "MX"),
        ("Korea, Republic of", "KR"),
        ("Россия", "RU"),
        ("DE", "DE"),
        ("de", None),  # codes are read in capitals: "and", "can", "no" are words
        ("Atlantis", None),
        ("ZZ", None),
        (None, None),
    ],
)
def test_region_of_reads_countries_as_crms_write_them(
    norm: Normalizer, country: str | None, region: str | None
) -> None:
    assert norm.region_of(country) == region


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The Acme Holdings, Inc.", "acme holdings"),
        ("Kestrel Pay plc", "kestrel pay"),
        ("Ironwood Care B.V.", "ironwood care"),
        ("Smith & Sons Ltd", "smith and sons"),
        ("Smith and Sons Limited", "smith and sons"),
        ("Société Générale S.A.", "societe generale"),
        ("PIONEER DIGITAL", "pioneer digital"),
    ],
)
def test_company_drops_legal_form_the_punctuation_and_accents(
    norm: Normalizer, raw: str, expected: str
) -> None:
    assert norm.company(raw) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ana@mail.kestrelpay.co.uk", "kestrelpay.co.uk"),
        ("https://www.valiantbiotech.com/about", "valiantbiotech.com"),
        ("bob@gmail.com", None),
        ("liz@outlook.com", None),
        ("", None),
    ],
)
def test_email_domain_is_registrable_and_never_free_mail(
    norm: Normalizer, value: str, expected: str | None
) -> None:
    if value.startswith("http"):
        assert norm.website_domain(value) == expected
    else:
        assert norm.email_domain(value) == expected


def test_free_mail_domain_is_kept_when_asked(norm: Normalizer) -> None:
    assert norm.email_domain("bob@gmail.com", keep_free=True) == "gmail.com"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Bob", "Robert"),
        ("Liz", "Elizabeth"),
        ("Bill", "William"),
        ("Kathy", "Katherine"),
        ("Jon", "Jonathan"),
        ("Maggie", "Margaret"),
        ("ROBERT", "robert"),
        ("Léa", "Lea"),
    ],
)
def test_nicknames_and_spellings_of_one_given_name_are_equivalent(
    norm: Normalizer, a: str, b: str
) -> None:
    assert norm.given_names_equivalent(a, b)
    assert norm.given_names_equivalent(b, a)


@pytest.mark.parametrize(("a", "b"), [("Ngozi", "Robert"), ("Mateo", "Ingrid"), ("Ana", None)])
def test_different_given_names_are_not_equivalent(norm: Normalizer, a: str, b: str | None) -> None:
    assert not norm.given_names_equivalent(a, b)


def test_person_name_parses_full_names_and_drops_titles(norm: Normalizer) -> None:
    assert norm.person_name(full="Dr. Robert J. Cohen Jr.") == ("robert", "cohen")
    assert norm.person_name(full="Cohen, Robert") == ("robert", "cohen")
    parts = norm.person_name("Björn", "Rogers")
    assert (parts.given, parts.family) == ("bjorn", "rogers")


@given(st.text(max_size=40))
def test_fold_text_is_idempotent(text: str) -> None:
    once = fold_text(text)
    assert fold_text(once) == once


_SHARED = Normalizer()


@given(st.emails())
def test_email_normalisation_is_idempotent(address: str) -> None:
    norm = _SHARED
    once = norm.email(address)
    assert once is None or norm.email(once) == once


def test_fold_text_folds_case_beyond_lowercase() -> None:
    assert fold_text("Straße") == fold_text("STRASSE") == "strasse"


@pytest.mark.parametrize(
    "placeholder", ["000-000-0000", "+1 000 000 0000", "111-111-1111", "123-456-7890", "9999999999"]
)
def test_placeholder_phone_numbers_are_no_key(norm: Normalizer, placeholder: str) -> None:
    # Typed to get past a required field: every lead with it would share "one" phone.
    assert norm.phone(placeholder) is None


@pytest.mark.parametrize("placeholder", ["N/A", "n.a.", "None", "Unknown", "TBD", "Not provided"])
def test_placeholder_company_names_are_missing_not_a_shared_company(
    norm: Normalizer, placeholder: str
) -> None:
    assert norm.company(placeholder) is None


@pytest.mark.parametrize(
    "placeholder",
    ["none@none.com", "noreply@acme.com", "test@test.com", "ana@example.com", "n/a@acme.com"],
)
def test_placeholder_email_addresses_are_no_key(norm: Normalizer, placeholder: str) -> None:
    assert norm.email(placeholder) is None


def test_placeholder_person_names_are_missing(norm: Normalizer) -> None:
    assert norm.person_name("Unknown", "N/A") == (None, None)
    # "Na" is a real family name; only the written-out placeholders are dropped.
    assert norm.person_name("Min", "Na") == ("min", "na")


def test_two_leads_with_placeholder_values_are_not_duplicates() -> None:
    import pandas as pd

    from leadqual.dedupe import DuplicateDetector

    frame = pd.DataFrame(
        {
            "id": ["1", "2"],
            "first_name": ["Maria", "Mario"],
            "last_name": ["Rossi", "Russo"],
            "company_name": ["N/A", "n/a"],
            "emails": [("none@none.com",), ("none@none.com",)],
            "phones": [("000-000-0000",), ("000-000-0000",)],
            "country": ["US", "US"],
        }
    )
    assert len(DuplicateDetector().find_frame(frame)) == 0


def test_family_name_particles_written_on_either_side_give_one_family_name(
    norm: Normalizer,
) -> None:
    assert norm.person_name("Ludwig", "van Beethoven") == ("ludwig", "beethoven")
    assert norm.person_name("Ludwig van", "Beethoven") == ("ludwig", "beethoven")
    assert norm.person_name("Ana", "De la Cruz").family == "cruz"
    # A family name that is only a particle stays as it is.
    assert norm.person_name("Kim", "Van").family == "van"


def test_names_with_particles_split_differently_are_duplicates() -> None:
    import pandas as pd

    from leadqual.dedupe import DuplicateDetector

    frame = pd.DataFrame(
        {
            "id": ["1", "2"],
            "first_name": ["Ana", "Ana de la"],
            "last_name": ["de la Cruz", "Cruz"],
            "company_name": ["Bonn Music GmbH", "Bonn Music"],
            "emails": [(), ()],
            "phones": [(), ()],
            "country": ["DE", "DE"],
        }
    )
    assert DuplicateDetector().find_frame(frame)["rule"].tolist() == ["similar_name_company"]
