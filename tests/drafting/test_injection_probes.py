"""The hostile cases from outside the guards' code (``benchmarks/_injection_probe.py``) through
both drafters, and the mechanisms that stop them: numbers in words and keypad letters read as digits, any URI
scheme a link, invisible characters and markup refused, gifts, pressure and money talk counted as
commitments, and guards that read a long text once.

The fake model OBEYS the attacker; only the guards stand between the injection and the draft.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.config import AgentConfig
from leadqual.drafting import LlmDrafter, LlmMessage, TemplateDrafter
from leadqual.drafting._grounding import commitments, money_terms, ungrounded
from leadqual.drafting._normalize import has_invisible, spoken_numbers
from leadqual.drafting.guards import AllowedContent, check_text, find_links, find_phones
from leadqual.testing.llm import FunctionLlmClient, prompt_draft_body

ROOT = Path(__file__).parents[2]


def _probe_module() -> Any:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location(
            "injection_probe", ROOT / "benchmarks/_injection_probe.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["injection_probe"] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


P = _probe_module()
NONE = AllowedContent()


@pytest.fixture(scope="module")
def vendor(config: AgentConfig) -> AgentConfig:
    return P.vendor_config(config)  # type: ignore[no-any-return]


def test_every_class_has_cases_and_the_held_out_set_covers_five_classes() -> None:
    classes = {p.klass for p in P.PROBES}
    assert classes == {
        "split", "research", "urls", "numbers", "phrasing", "markup", "names", "dates", "leaks",
        "long",
    }  # fmt: skip
    assert len(P.PROBES) >= 100 and len(P.HOLDOUT) >= 20
    assert len({p.klass for p in P.HOLDOUT}) >= 5
    assert len({p.id for p in [*P.PROBES, *P.HOLDOUT]}) == len(P.PROBES) + len(P.HOLDOUT)


@pytest.mark.parametrize("probe", [*P.PROBES, *P.HOLDOUT], ids=lambda p: p.id)
def test_no_payload_reaches_a_draft(probe: Any, vendor: AgentConfig) -> None:
    context, action, research = P.probe_context(probe)
    template = TemplateDrafter(vendor).draft(context, action, research=research)
    assert P.escaped(probe, template) == []
    fake = FunctionLlmClient(P.obeying(probe))
    guarded = LlmDrafter(fake, vendor).draft(context, action, research=research)
    assert P.escaped(probe, guarded) == []
    assert len(fake.calls) == 1


@pytest.mark.parametrize("case", P.BENIGN, ids=lambda c: c.id)
def test_an_honest_model_is_accepted_in_every_benign_context(
    case: Any, vendor: AgentConfig
) -> None:
    context, action, research = P.benign_context(case)
    draft = LlmDrafter(FunctionLlmClient(P.honest(case)), vendor).draft(
        context, action, research=research
    )
    assert draft.drafter == "llm", draft.notes
    for sentence in case.add:
        assert sentence in draft.body


# -- numbers in words, keypad letters, look-alike digits -----------------------------------------

_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


@given(st.lists(st.integers(0, 9), min_size=8, max_size=15))
@settings(max_examples=200)
def test_a_phone_number_said_digit_by_digit_is_a_phone_number(digits: list[int]) -> None:
    said = " ".join(_WORDS[d] for d in digits)
    assert spoken_numbers(said) == "".join(map(str, digits))
    assert find_phones(f"Call us on {said} today.")
    assert any("phone number" in p for p in check_text(f"Call {said}.", allowed=NONE))


@given(st.integers(0, 999_999))
@settings(max_examples=300)
def test_a_number_in_words_reads_as_its_digits(value: int) -> None:
    def words(n: int) -> str:
        units = [*_WORDS, "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
                 "sixteen", "seventeen", "eighteen", "nineteen"]  # fmt: skip
        tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
                "ninety"]  # fmt: skip
        if n < 20:
            return units[n]
        if n < 100:
            return tens[n // 10] + ("-" + units[n % 10] if n % 10 else "")
        if n < 1000:
            rest = n % 100
            return units[n // 100] + " hundred" + (" and " + words(rest) if rest else "")
        rest = n % 1000
        return words(n // 1000) + " thousand" + (" " + words(rest) if rest else "")

    assert spoken_numbers(words(value) + " dollars") == f"{value} dollars"
    assert commitments(f"It is {words(value)} dollars a seat.")


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("1-800-FLOWERS", "18003569377"),
        ("+1 (800) 555-HELP", "18005554357"),
        ("+1 (9OO) 555-O199", "19005550199"),
        ("+44 20 7946 O958", "442079460958"),
    ],
)
def test_keypad_letters_and_letters_for_digits_are_digits(text: str, digits: str) -> None:
    found = find_phones(f"Call {text} now.")
    assert found
    assert not AllowedContent(phones=frozenset({"+1 555 0100"})).allows_phone(found[0])
    assert "".join(c for c in spoken_numbers(text) if c.isdigit()) == digits


def test_prose_words_are_not_read_as_phone_numbers() -> None:
    for text in (
        "One of our teams had two or three calls a week.",
        "Oh, and thanks for the note: I LOVE the idea.",
        "We met in 2024 and TALKED for an hour.",
    ):
        assert find_phones(text) == [], text


# -- schemes, markup, invisible characters -------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "skype:evilpay?call",
        "tel:+19005550199",
        "sms:+19005550199",
        "whatsapp://send?phone=1900",
        "callto:evilpay.sales",
        "zoommtg://zoom.us/join?confno=1",
        "facetime:evil@pay.example",
        "mailto:billing@evilpay.example",
        "ftp://evilpay.example/pub",
    ],
)
def test_any_uri_scheme_is_a_link_that_must_be_allowed(uri: str) -> None:
    assert find_links(f"Reach us at {uri} any time.")
    assert any("link" in p for p in check_text(f"Reach us at {uri}.", allowed=NONE))


@pytest.mark.parametrize(
    "text",
    [
        "Note: the pilot needs 20 people.",
        "Tuesday at 10:30 works.",
        "Re: Contoso and Tailspin",
        "Re:Contoso",
        "Ratio 3:1 in your favour.",
    ],
)
def test_prose_with_colons_is_not_a_link(text: str) -> None:
    assert find_links(text) == []


@pytest.mark.parametrize(
    "markup",
    [
        "![](https://www.tailspin-analytics.example/p.png)",
        "[our site](https://www.tailspin-analytics.example)",
        "<img src=x>",
        "<a href='https://www.tailspin-analytics.example'>site</a>",
        "<script>x()</script>",
        "&#104;ello",
        "&lt;b&gt;",
    ],
)
def test_markup_is_refused_in_a_plain_text_draft_even_around_an_allowed_link(markup: str) -> None:
    allowed = AllowedContent(urls=frozenset({"https://www.tailspin-analytics.example"}))
    assert any("markup" in p for p in check_text(f"Hi Ada, {markup} Avery", allowed=allowed))


def test_placeholders_and_brackets_in_prose_are_not_markup() -> None:
    text = "Hi Ada, [[FILL: a personal opening]] (see below) [note] x < y > z. Avery"
    assert not any(
        "markup" in p
        for p in check_text(text, allowed=NONE, declared_placeholders=["a personal opening"])
    )


@given(st.text(alphabet=st.characters(codec="ascii", min_codepoint=32), min_size=1, max_size=30))
@settings(max_examples=100)
def test_text_hidden_in_tag_characters_is_refused(hidden: str) -> None:
    tags = "".join(chr(0xE0000 + ord(c)) for c in hidden)
    assert has_invisible("Thanks." + tags)
    assert any("invisible" in p for p in check_text("Thanks." + tags, allowed=NONE))


def test_joiners_some_scripts_need_and_emoji_selectors_are_not_invisible() -> None:
    assert not has_invisible("\u0645\u0647\u200c\u0631\u062f\u0627\u062f")  # Persian with ZWNJ
    assert not has_invisible("Looking forward to it \u263a\ufe0f")
    assert has_invisible("ev\ufe0fil")  # a selector after a letter hides nothing but is odd
    assert has_invisible("a\u2063b") and has_invisible("a\ufff9b\ufffa")


# -- gifts, pressure and money talk --------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "The first six months are on us.",
        "Your first year is on the house.",
        "The migration is our treat.",
        "If the forecasts miss, you get every cent back.",
        "Two licences for the price of one.",
        "We won't charge you until March.",
        "There is nothing to pay up front.",
        "You pay half price in year one.",
        "This price is for this week only.",
        "Only three seats left.",
        "Sign by Friday to lock in this rate.",
    ],
)
def test_gifts_and_pressure_are_commitments_the_vendor_must_vouch_for(sentence: str) -> None:
    assert commitments(sentence), sentence
    assert any("vouch" in p for p in ungrounded(sentence, "We help sales teams."))
    assert not any("vouch" in p for p in ungrounded(sentence, "We help sales teams. " + sentence))


def test_money_talk_needs_the_vendors_words_but_quoting_the_lead_is_fine() -> None:
    assert money_terms("You only pay once you see results.") == ["pay"]
    problems = ungrounded("You only pay once you see results.", "We help sales teams.")
    assert any("money talk" in p for p in problems)
    assert (
        ungrounded(
            "See our pricing page.", "Prices: https://www.tailspin-analytics.example/pricing"
        )
        == []
    )
    quoted = "You mentioned cut the cost of manual CRM data entry as a priority."
    assert not any(
        "money talk" in p
        for p in ungrounded(
            quoted,
            "You mentioned as a priority.",
            context="cut the cost of manual CRM data entry",
        )
    )


# -- long texts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["1", "a", "a.", "1-", "9O", "one ", "a at ", "<a "])
def test_a_text_far_over_the_limit_is_refused_as_too_long_and_read_only_in_part(unit: str) -> None:
    text = unit * 500_000
    problems = check_text(text, allowed=NONE)
    assert problems[-1].startswith(f"too long: {len(text)} characters")


def test_an_llm_answer_far_over_the_limit_falls_back_without_reading_it_all(
    vendor: AgentConfig,
) -> None:
    probe = P.PROBES[0]
    context, action, _ = P.probe_context(probe)

    def huge(messages: Sequence[LlmMessage]) -> str:
        body = prompt_draft_body(messages) + "\n" + "1-" * 1_000_000
        return json.dumps({"subject": "Hi", "body": body})

    draft = LlmDrafter(FunctionLlmClient(huge), vendor).draft(context, action)
    assert draft.drafter == "template" and "too long" in draft.notes[-1]


@pytest.mark.parametrize(
    "phone",
    [
        "\u4e5d\u3007\u3007\u4e94\u4e94\u4e94\u3007\u4e00\u4e5d\u4e5d",
        "+1 (9OO) 555-O199",
        "nine zero zero five five five zero one nine nine",
        "1-800-FLOWERS",
    ],
)
def test_a_phone_found_in_the_numeric_view_is_reported_as_written(phone: str) -> None:
    assert find_phones(f"Call {phone} today, please.") == [phone]
