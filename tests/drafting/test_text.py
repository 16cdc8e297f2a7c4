from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual.drafting._text import clean_reply, mark_negation, split_sentences


@pytest.mark.parametrize(
    ("raw", "kept", "dropped"),
    [
        (
            "Yes, let's talk.\n\nOn Mon, 3 Nov 2025 at 09:12, Avery <a@b.example> wrote:\n> Call?",
            "Yes, let's talk.",
            "Call?",
        ),
        (
            "Send pricing.\n\n-----Original Message-----\nFrom: Jordan\nSent: Tuesday\n\nHi",
            "Send pricing.",
            "Jordan",
        ),
        (
            "Not now.\n\nFrom: Jordan Patel <j@t.example>\nSent: 2 Oct 2025\nSubject: RE\n\nDemo?",
            "Not now.",
            "Demo?",
        ),
        ("Please remove me.\n\n--\nSam\nBook a meeting: https://cal.example", "remove me", "Book"),
        ("Thanks, noted.\n\nSent from my iPhone", "noted", "iPhone"),
        ("Quote please.\n\nBest regards,\nHelen\nCONFIDENTIALITY NOTICE: ...", "Quote", "Helen"),
        ("Hi Avery,\n\nCan we meet Friday?", "Can we meet Friday?", "Avery"),
    ],
)
def test_clean_reply_drops_quotes_signatures_and_greeting(
    raw: str, kept: str, dropped: str
) -> None:
    body = clean_reply(raw)
    assert kept in body
    assert dropped not in body


def test_clean_reply_keeps_a_reply_that_is_only_a_sign_off_word() -> None:
    assert clean_reply("Thanks!") == "Thanks!"


def test_mark_negation_prefixes_tokens_until_the_clause_ends() -> None:
    marked = mark_negation("We are not looking to meet, but send info")
    assert "NEG_meet" in marked
    assert "NEG_send" not in marked and "send" in marked


def test_split_sentences_splits_on_punctuation_and_lines() -> None:
    assert split_sentences("One. Two?\nThree") == ["One.", "Two?", "Three"]


@given(st.text(max_size=400))
def test_clean_reply_never_keeps_a_quoted_line(text: str) -> None:
    body = clean_reply(text)
    assert not any(line.lstrip().startswith(">") for line in body.splitlines())
    assert len(body) <= len(text.replace("\r\n", "\n")) + 1
