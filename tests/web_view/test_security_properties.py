"""Invariants of the session signing and the mail link, for any input."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from leadqual.web.app import _mailto, _safe_href
from leadqual.web.security import Session, SessionKeys, same_origin, tokens_match

KEYS = SessionKeys(b"k" * 32)
sellers = st.one_of(st.none(), st.text(min_size=1, max_size=40))


@given(seller=sellers, csrf=st.text(min_size=1, max_size=64))
def test_a_session_reads_back_as_written(seller: str | None, csrf: str) -> None:
    session = Session(csrf=csrf, seller_id=seller)
    assert KEYS.load(KEYS.dump(session)) == session


@given(seller=sellers, position=st.integers(min_value=0), char=st.characters(codec="ascii"))
def test_any_edit_of_a_session_cookie_makes_it_nobody(
    seller: str | None, position: int, char: str
) -> None:
    value = KEYS.dump(Session(csrf="token", seller_id=seller))
    i = position % len(value)
    edited = value[:i] + char + value[i + 1 :]
    if edited != value:
        assert KEYS.load(edited) is None or KEYS.load(edited) == KEYS.load(value)
    assert SessionKeys(b"j" * 32).load(value) is None


@given(st.text(max_size=300))
def test_any_cookie_text_loads_as_a_session_or_nothing(value: str) -> None:
    loaded = KEYS.load(value)
    assert loaded is None or isinstance(loaded, Session)


@given(st.text(min_size=1, max_size=50), st.one_of(st.none(), st.text(max_size=50)))
def test_a_token_matches_only_itself(expected: str, given_token: str | None) -> None:
    assert tokens_match(expected, given_token) == (given_token == expected)


@given(
    to=st.lists(
        st.from_regex(r"[a-z0-9._%+-]{1,20}@[a-z0-9-]{1,20}\.[a-z]{2,5}", fullmatch=True),
        min_size=1,
        max_size=3,
    ),
    subject=st.text(max_size=200),
    body=st.text(max_size=2000),
)
def test_the_mail_link_carries_exactly_the_draft(to: list[str], subject: str, body: str) -> None:
    link = _mailto(to, subject, body)
    parts = urlsplit(link)
    assert parts.scheme == "mailto"
    assert [unquote(p) for p in parts.path.split(",")] == to
    query = parse_qs(parts.query, keep_blank_values=True)
    expected_body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    assert query.get("subject", [""]) == [subject]
    assert query.get("body", [""]) == [expected_body]
    assert not any(c in link for c in "\"'<> \n\r")


@given(st.text(max_size=200))
def test_a_link_from_data_is_plain_http_or_nothing(value: str) -> None:
    href = _safe_href(value)
    if href is not None:
        assert href.lower().startswith(("http://", "https://"))
        assert not any(c in href for c in "\"'<> \t\r\n\\")


def test_the_origin_check() -> None:
    assert same_origin(None, "http", "testserver")
    assert same_origin("http://testserver", "http", "testserver")
    assert not same_origin("https://testserver", "http", "testserver")
    assert not same_origin("null", "http", "testserver")
    assert not same_origin("http://testserver.evil.example", "http", "testserver")
    assert not same_origin("http://testserver", "http", None)
