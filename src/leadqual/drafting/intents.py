"""Reply intent classification: what a lead's email reply asks for, with the sentence that says so.

The default :class:`ReplyClassifier` needs no service: hand-written rules find the clear cases
sentence by sentence, and a small TF-IDF + logistic-regression model, trained on the labelled replies
that ship with the package, decides the rest. Quoted earlier mail, signatures and greetings are
removed first, and negation is marked ("we are not looking to meet" is not a meeting request).

When a reply carries two intents, the one that decides the next action wins, in this order:
``bounce``, ``out_of_office``, ``not_interested``, ``referral``, ``meeting_request``,
``pricing_request``, ``information_request``, ``objection``, ``other``; the others are listed in
:attr:`ReplyIntent.secondary`.

Examples:
    >>> from leadqual.drafting import classify_reply
    >>> reply = classify_reply("Thanks. Could we meet Tuesday afternoon?\\n\\nOn Mon, Ann wrote:\\n> Hi")
    >>> reply.intent, reply.evidence
    ('meeting_request', 'Could we meet Tuesday afternoon?')
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal, Protocol, get_args, runtime_checkable

from pydantic import ConfigDict, Field

from leadqual._base import LeadqualModel
from leadqual.drafting._dates import parse_return_date
from leadqual.drafting._rules import BOUNCE, match_rules
from leadqual.drafting._text import clean_reply, mark_negation, split_sentences
from leadqual.drafting.guards import find_emails
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.models import EmailMessage

__all__ = [
    "INTENT_PRIORITY",
    "Intent",
    "LabelledReply",
    "EmailClassifier",
    "ReplyClassifier",
    "ReplyIntent",
    "classify_reply",
    "default_classifier",
    "load_labelled_replies",
]

logger = logging.getLogger(__name__)

Intent = Literal[
    "meeting_request",
    "information_request",
    "pricing_request",
    "objection",
    "not_interested",
    "out_of_office",
    "referral",
    "bounce",
    "other",
]
"""What a reply asks for or says."""

INTENT_PRIORITY: tuple[Intent, ...] = (
    "bounce",
    "out_of_office",
    "not_interested",
    "referral",
    "meeting_request",
    "pricing_request",
    "information_request",
    "objection",
    "other",
)
"""Which intent wins when a reply carries several: the one that decides the next action."""

_INTENTS: frozenset[str] = frozenset(get_args(Intent))
_SPECIFIC = re.compile(
    r"\?|\d|\b(?:mon|tues|wednes|thurs|fri)day\b|\btomorrow\b|\bnext week\b", re.IGNORECASE
)
_MAX_CHARS = 20_000
_DECISIVE = frozenset({"bounce", "out_of_office", "not_interested", "referral"})
_NAME = re.compile(r"\b([A-Z][a-zà-öø-ÿ'\u2019-]+(?:\s+[A-Z][a-zà-öø-ÿ'\u2019-]+){1,2})\b")
_NOT_NAMES = frozenset(
    [
        "head",
        "sales",
        "operations",
        "revenue",
        "director",
        "manager",
        "vp",
        "chief",
        "officer",
        "team",
        "business",
        "systems",
        "commercial",
        "excellence",
        "regional",
        "group",
        "country",
        "new",
        "our",
        "my",
        "the",
        "please",
        "try",
        "best",
        "not",
        "i",
        "cfo",
        "cro",
        "coo",
        "cio",
        "cto",
        "ceo",
        "hr",
        "it",
        "ops",
        "lead",
        "enablement",
        "procurement",
        "purchasing",
    ]
)


class ReplyIntent(LeadqualModel):
    """The classified intent of one email reply.

    Examples:
        >>> r = ReplyIntent(intent="pricing_request", confidence=0.9, evidence="Send a quote.")
        >>> r.is_negative
        False
    """

    model_config = ConfigDict(frozen=True)

    intent: Intent
    confidence: Annotated[float, Field(ge=0.0, le=1.0)]
    """0-1: how sure the classifier is (rules that fire and agree with the model score highest)."""
    evidence: str
    """The sentence of the reply that decided the intent ("" when the reply has no text)."""
    secondary: tuple[Intent, ...] = ()
    """Other intents the reply also carries, most decisive first."""
    method: Literal["rules", "model", "llm", "empty"] = "model"
    """What decided: a rule, the statistical model, an LLM, or nothing to read."""
    return_date: date | None = None
    """For ``out_of_office``: the day the writer says they are back, when it could be read."""
    referred_to: tuple[str, ...] = ()
    """For ``referral``: names and addresses of the people the writer points to (untrusted text)."""

    @property
    def is_negative(self) -> bool:
        """Whether the reply declines (``not_interested``) or pushes back (``objection``)."""
        return self.intent in ("not_interested", "objection")


@runtime_checkable
class EmailClassifier(Protocol):
    """Anything that classifies an inbound email: :class:`ReplyClassifier`, an LLM classifier."""

    def classify_email(self, message: EmailMessage, /) -> ReplyIntent:
        """The intent of ``message``."""
        ...


class LabelledReply(LeadqualModel):
    """One labelled reply of a training or evaluation set."""

    model_config = ConfigDict(frozen=True)

    text: str
    intent: Intent


def load_labelled_replies() -> list[LabelledReply]:
    """The labelled replies that ship with the package (the default model's training set)."""
    raw = resources.files("leadqual.drafting").joinpath("data", "reply_intents.csv")
    reader = csv.DictReader(io.StringIO(raw.read_text(encoding="utf-8")))
    return [LabelledReply(text=row["text"], intent=row["intent"]) for row in reader]


def _features(texts: Sequence[str]) -> list[str]:
    return [mark_negation(t) for t in texts]


def _build_model(examples: Sequence[LabelledReply]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    labels = {e.intent for e in examples}
    if len(labels) < 2:
        raise ConfigurationError(
            f"training a reply classifier needs examples of at least two intents, got {labels}"
        )
    union = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+"),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
                ),
            ),
        ]
    )
    model = Pipeline(
        [
            ("features", union),
            # Logistic loss by SGD: probabilities like logistic regression, trained in ~0.1 s.
            (
                "clf",
                SGDClassifier(
                    loss="log_loss",
                    alpha=1e-4,
                    class_weight="balanced",
                    max_iter=50,
                    tol=None,
                    random_state=0,
                ),
            ),
        ]
    )
    texts = [clean_reply(e.text) or e.text for e in examples]
    model.fit(_features(texts), [e.intent for e in examples])
    return model


def _referred(sentence: str) -> tuple[str, ...]:
    found: list[str] = find_emails(sentence)
    for match in _NAME.finditer(sentence):
        words = match.group(1).split()
        if words[0].lower() in _NOT_NAMES:
            words = words[1:]
        if len(words) >= 2 and not any(w.lower() in _NOT_NAMES for w in words):
            found.append(" ".join(words))
    return tuple(dict.fromkeys(found))


class ReplyClassifier:
    """The default reply classifier: rules, then a small model trained on labelled replies.

    Args:
        examples: labelled replies to train on; ``None`` uses the set shipped with the package.
        use_rules: apply the hand-written rules first (turn off to measure the model alone).
        min_confidence: below this model probability, a reply no rule explains is ``other``.

    Examples:
        >>> clf = ReplyClassifier()
        >>> clf.classify("We are not looking to meet. Please remove me from your list.").intent
        'not_interested'
    """

    def __init__(
        self,
        examples: Iterable[LabelledReply] | None = None,
        *,
        use_rules: bool = True,
        min_confidence: float = 0.5,
    ) -> None:
        if not 0.0 <= min_confidence <= 1.0:
            raise ConfigurationError(f"min_confidence must be within 0-1, got {min_confidence}")
        self._examples = list(examples) if examples is not None else None
        self.use_rules = use_rules
        self.min_confidence = min_confidence
        self._model: Any = None

    @property
    def model(self) -> Any:
        """The fitted scikit-learn pipeline (trained on first use)."""
        if self._model is None:
            examples = self._examples if self._examples is not None else load_labelled_replies()
            self._model = _build_model(examples)
            logger.debug("trained reply intent model on %d examples", len(examples))
        return self._model

    def classify(self, text: str, /, *, received_at: datetime | date | None = None) -> ReplyIntent:
        """Classify one reply.

        Args:
            text: the reply's body, as received (quoted mail and signature are ignored).
            received_at: when it arrived; lets an out-of-office return date be read.
        """
        if not isinstance(text, str):
            raise ValidationFailed("text must be a string", field="text")
        reference = received_at.date() if isinstance(received_at, datetime) else received_at
        # The new text of a reply sits at the top; a mail thread can run to megabytes.
        text = text[:_MAX_CHARS]
        head = text[:800]
        if self.use_rules and BOUNCE.search(head) and _looks_like_dsn(head):
            evidence = next((s for s in split_sentences(head) if BOUNCE.search(s)), head.strip())
            return ReplyIntent(intent="bounce", confidence=0.97, evidence=evidence, method="rules")
        body = clean_reply(text)
        if not body:
            return ReplyIntent(intent="other", confidence=0.0, evidence="", method="empty")
        sentences = split_sentences(body) or [body]
        classes: list[str] = list(self.model.classes_)
        probs = self.model.predict_proba(_features([body]))[0]
        p_doc = dict(zip(classes, (float(p) for p in probs), strict=True))

        hits = match_rules(sentences) if self.use_rules else []
        fired = [h for h in hits if not h.declined_meeting]
        ranked = [i for i in INTENT_PRIORITY if any(h.intent == i for h in fired)]
        if ranked:
            label: Intent = ranked[0]
            candidates = list(dict.fromkeys(h.sentence for h in fired if h.intent == label))
            evidence = self._best_sentence(candidates, label, classes)
            confidence = 0.65 + 0.3 * p_doc.get(label, 0.0) - (0.05 if len(ranked) > 1 else 0.0)
            method: Literal["rules", "model"] = "rules"
            secondary = tuple(ranked[1:])
        elif any(h.declined_meeting for h in hits) and p_doc.get("not_interested", 0.0) >= max(
            p_doc.get("pricing_request", 0.0), p_doc.get("information_request", 0.0)
        ):
            label = "not_interested"
            evidence = next(h.sentence for h in hits if h.declined_meeting)
            confidence = 0.6 + 0.3 * p_doc.get(label, 0.0)
            method = "rules"
            secondary = ()
        else:
            best = max(p_doc, key=lambda c: p_doc[c])
            # Intents that stop or pause outreach need more than a weak statistical hunch.
            needed = 0.5 if best in _DECISIVE else self.min_confidence
            label = best if p_doc[best] >= needed else "other"  # type: ignore[assignment]
            confidence = p_doc[best] if label == best else 1.0 - p_doc[best]
            evidence = self._best_sentence(sentences, label, classes)
            method = "model"
            second = sorted(
                (c for c in p_doc if c not in (label, "other")), key=lambda c: -p_doc[c]
            )
            secondary = tuple(c for c in second[:1] if p_doc[c] >= 0.25)  # type: ignore[misc]
        return_date = None
        if label == "out_of_office" and reference is not None:
            return_date = parse_return_date(body, reference=reference)
        referred = _referred(" ".join(sentences)) if label == "referral" else ()
        return ReplyIntent(
            intent=label,
            confidence=round(min(max(confidence, 0.0), 0.99), 3),
            evidence=evidence,
            secondary=secondary,
            method=method,
            return_date=return_date,
            referred_to=referred,
        )

    def classify_email(self, message: EmailMessage, /) -> ReplyIntent:
        """Classify an inbound :class:`~leadqual.models.EmailMessage`, its subject and sender too.

        A delivery failure from a mailer daemon or an "Automatic reply" subject count even when
        the body alone is ambiguous.
        """
        subject = message.subject or ""
        sender = message.from_address.lower()
        result = self.classify(message.body, received_at=message.sent_at)
        if result.intent != "bounce" and (
            sender.startswith(("mailer-daemon@", "postmaster@"))
            or re.search(
                r"undeliver|delivery status notification|returned to sender", subject, re.I
            )
        ):
            return result.replace(
                intent="bounce",
                confidence=0.95,
                evidence=subject or result.evidence,
                method="rules",
                secondary=(),
            )
        if result.intent in ("other", "referral") and re.search(
            r"^(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|out of (?:the )?office)",
            subject,
            re.I,
        ):
            back = parse_return_date(message.body, reference=message.sent_at.date())
            return result.replace(
                intent="out_of_office",
                confidence=0.9,
                evidence=subject,
                method="rules",
                return_date=back,
                referred_to=(),
            )
        return result

    def _best_sentence(self, sentences: list[str], label: str, classes: list[str]) -> str:
        if len(sentences) == 1 or label not in classes:
            return sentences[0]
        column = classes.index(label)
        probs = self.model.predict_proba(_features(sentences))[:, column]
        # A concrete ask (a question, a day, a number) says more than "Happy to talk."
        scores = [
            float(p) + (0.25 if _SPECIFIC.search(s) else 0.0)
            for p, s in zip(probs, sentences, strict=True)
        ]
        return sentences[scores.index(max(scores))]


def _looks_like_dsn(head: str) -> bool:
    """A delivery-status notice, not a person writing "the quote wasn't delivered to me"."""
    return bool(
        re.search(
            r"mail (?:system|delivery)|delivery (?:status|has failed|failed|to the following|"
            r"incomplete)|undeliver|\b5\.\d\.\d|\b55\d\b|mailbox|recipient|returned|bounced|"
            r"failure notice|address (?:not found|rejected|couldn't)|permanent|no such|"
            r"no longer|account (?:you|that)|domain|server|rejected",
            head,
            re.I,
        )
    )


@cache
def default_classifier() -> ReplyClassifier:
    """The default :class:`ReplyClassifier`, trained once per process and then shared.

    Sharing is safe: the classifier holds no state that changes after training.
    """
    return ReplyClassifier()


def classify_reply(text: str, *, received_at: datetime | date | None = None) -> ReplyIntent:
    """Classify a lead's email reply with the default classifier (no service needed).

    Args:
        text: the reply body as received; quoted earlier mail and signatures are ignored.
        received_at: when it arrived, so an out-of-office return date can be read.

    Returns:
        The intent, its confidence and the sentence that decided it.
    """
    return default_classifier().classify(text, received_at=received_at)
