from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.drafting import (
    INTENT_PRIORITY,
    LabelledReply,
    ReplyClassifier,
    ReplyIntent,
    classify_reply,
    load_labelled_replies,
)
from leadqual.drafting._text import clean_reply
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.sources import MemorySource, SampleData, build_context

from .conftest import email

HOLDOUT = Path(__file__).parents[1] / "fixtures" / "drafting" / "reply_intents_holdout.csv"


def test_every_planted_reply_intent_of_the_sample_is_classified_right(
    sample: SampleData, source: MemorySource, classifier: ReplyClassifier
) -> None:
    truth: dict[str, str] = sample.truth["reply_intents"]
    assert len(truth) >= 20
    wrong = {}
    for lead_id, planted in truth.items():
        inbound = [m for m in build_context(source, lead_id).emails if m.direction == "inbound"]
        if planted == "no_reply":
            assert not inbound, lead_id
            continue
        got = classify_reply(inbound[-1].body)
        if got.intent != planted:
            wrong[lead_id] = (planted, got.intent, got.evidence)
        assert got.evidence and got.evidence in clean_reply(inbound[-1].body) + inbound[-1].body
    assert wrong == {}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # negation
        ("We are not looking to meet. Please take us off your list.", "not_interested"),
        ("I'm not interested in a demo or a call, thank you.", "not_interested"),
        ("No need for a call, just send the pricing for 40 seats.", "pricing_request"),
        (
            "I'm not ready to talk yet, but can you send over the security whitepaper?",
            "information_request",
        ),
        (
            "We aren't ready to sign anything, but a call next Tuesday would be fine.",
            "meeting_request",
        ),
        # two intents: the one that decides the action wins
        ("Send me your price list, and let's set up a demo on Thursday.", "meeting_request"),
        ("I'm on holiday until 2 May. If you need pricing, contact my colleague.", "out_of_office"),
        ("Not the right person, but our CRO Ann Lee might want a demo.", "referral"),
        ("Looks expensive. Is there a discount for a two-year term?", "pricing_request"),
        # the rest
        ("We already use Clari and the budget is spent for this year.", "objection"),
        ("Thanks, got it.", "other"),
        ("Delivery has failed to these recipients: 550 5.1.1 user unknown", "bounce"),
    ],
)
def test_hard_cases_are_classified_as_their_decisive_intent(text: str, intent: str) -> None:
    assert classify_reply(text).intent == intent


def test_quoted_mail_and_signature_do_not_decide_the_intent() -> None:
    text = (
        "Hi Avery,\n\nPlease remove me from your list.\n\n--\nSam Ortega\nDirector of Sales\n"
        "Book a meeting with me: https://cal.example/sam\n\n"
        "On Mon, 3 Nov 2025 at 09:12, Avery Brooks wrote:\n> Would a call next week be useful?"
    )
    result = classify_reply(text)
    assert result.intent == "not_interested"
    assert result.evidence == "Please remove me from your list."


def test_out_of_office_signature_line_is_ignored() -> None:
    text = "Can you send pricing for 30 seats?\n\nThanks,\nK.\nI am out of the office on Fridays."
    assert classify_reply(text).intent == "pricing_request"


def test_two_intents_report_the_other_as_secondary() -> None:
    result = classify_reply("Send me your price list, and let's set up a demo on Thursday.")
    assert result.intent == "meeting_request"
    assert "pricing_request" in result.secondary


def test_out_of_office_return_date_is_read_when_the_receipt_date_is_known() -> None:
    result = classify_reply(
        "I am out of the office until 4 November.", received_at=datetime(2026, 10, 28, tzinfo=UTC)
    )
    assert result.intent == "out_of_office"
    assert result.return_date == date(2026, 11, 4)


def test_referral_names_the_people_pointed_to() -> None:
    result = classify_reply(
        "I'm not the right person. Please reach out to Dana Whitfield (dana@contoso.example)."
    )
    assert result.intent == "referral"
    assert "dana@contoso.example" in result.referred_to
    assert "Dana Whitfield" in result.referred_to


def test_an_empty_reply_is_other_with_no_evidence() -> None:
    result = classify_reply("\n\nOn Mon, Ann wrote:\n> hello")
    assert (result.intent, result.evidence, result.method) == ("other", "", "empty")


def test_classify_email_uses_sender_and_subject_for_bounces_and_auto_replies(
    classifier: ReplyClassifier,
) -> None:
    bounce = email("Sorry, it did not work.", sender="MAILER-DAEMON@mx.example")
    assert classifier.classify_email(bounce).intent == "bounce"
    auto = email("Back on 5 November.", subject="Automatic reply: Tailspin")
    result = classifier.classify_email(auto)
    assert result.intent == "out_of_office"
    assert result.return_date == date(2026, 11, 5)


def test_a_classifier_trains_on_the_callers_examples() -> None:
    examples = [
        LabelledReply(text=t, intent=i)  # type: ignore[arg-type]
        for t, i in [
            ("banana please", "pricing_request"),
            ("more bananas needed", "pricing_request"),
            ("apples are fine", "other"),
            ("i like apples", "other"),
        ]
    ]
    clf = ReplyClassifier(examples, use_rules=False, min_confidence=0.0)
    assert clf.classify("bananas").intent == "pricing_request"


def test_bad_training_data_and_options_raise_clear_errors() -> None:
    with pytest.raises(ConfigurationError, match="two intents"):
        _ = ReplyClassifier([LabelledReply(text="x", intent="other")]).model
    with pytest.raises(ConfigurationError, match="min_confidence"):
        ReplyClassifier(min_confidence=2.0)
    with pytest.raises(ValidationFailed):
        classify_reply(42)  # type: ignore[arg-type]


def test_shipped_training_set_is_large_varied_and_separate_from_the_holdout() -> None:
    train = load_labelled_replies()
    assert len(train) >= 300
    assert {e.intent for e in train} == set(INTENT_PRIORITY)
    with HOLDOUT.open(encoding="utf-8") as fh:
        holdout = list(csv.DictReader(fh))
    assert len(holdout) >= 200
    train_texts = {clean_reply(e.text) for e in train}
    assert not [r for r in holdout if clean_reply(r["text"]) in train_texts]


def test_holdout_slice_scores_well_above_chance() -> None:
    # The benchmark measures the full figure; this guards against a collapse (e.g. a rule
    # that swallows everything), not a target.
    with HOLDOUT.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    right = sum(classify_reply(r["text"]).intent == r["intent"] for r in rows)
    assert right / len(rows) > 0.75


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_valid_intent_with_evidence_from_the_text(text: str) -> None:
    result = classify_reply(text)
    assert isinstance(result, ReplyIntent)
    assert result.intent in INTENT_PRIORITY
    assert 0.0 <= result.confidence <= 1.0
    assert result.evidence == "" or result.evidence in text or result.evidence in clean_reply(text)
