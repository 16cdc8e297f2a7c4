"""Evidence from the CRM's email history: hard bounces (delivery status notifications) that prove an
address undeliverable, unless the person wrote from it afterwards.

Message bodies are untrusted text: they are only matched against fixed patterns, never executed or
followed, and only the first ``_MAX_BODY`` characters are read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from leadqual.email._reasons import Finding, finding
from leadqual.models import EmailMessage

__all__ = ["BounceEvidence", "bounce_findings", "collect"]

_MAX_BODY: Final = 20_000
_MAX_LINE: Final = 1_000
_DSN_SENDERS: Final = frozenset(
    {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "bounce", "bounces"}
)
_DSN_SUBJECT: Final = re.compile(
    r"undeliver|delivery status notification|returned mail|delivery fail|failure notice|"
    r"mail delivery failed|non-?delivery|could not be delivered",
    re.I,
)
# RFC 3463 permanent failures (5.x.x) and the classic SMTP reply codes and phrases for them. A
# status code is not part of a dotted quad: the quoted headers of a bounce carry IPv4 addresses
# ("[5.61.2.3]", "10.5.1.1") next to the recipient's address.
_HARD: Final = re.compile(
    r"(?<!\d)(?<!\d\.)5\.\d{1,3}\.\d{1,3}(?!\.?\d)|\b55[0-4]\b|"
    r"user unknown|no such user|does not exist|"
    r"mailbox unavailable|address rejected|recipient rejected|unknown recipient",
    re.I,
)
_ADDRESS: Final = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+\.[^\s<>\"'(),;:]+")


@dataclass(frozen=True, slots=True)
class _Bounce:
    at: datetime
    detail: str


@dataclass(slots=True)
class BounceEvidence:
    """Latest hard bounce and latest message written from each address (keys case-folded)."""

    bounces: dict[str, _Bounce]
    replies: dict[str, datetime]


def _is_dsn(message: EmailMessage) -> bool:
    sender = message.from_address.split("@", 1)[0].casefold()
    return sender in _DSN_SENDERS or bool(_DSN_SUBJECT.search(message.subject or ""))


def collect(messages: Iterable[EmailMessage]) -> BounceEvidence:
    """Scan ``messages`` once for hard bounces and for messages sent by each address."""
    evidence = BounceEvidence({}, {})
    for message in messages:
        if not isinstance(message, EmailMessage) or message.direction != "inbound":
            continue
        sender = message.from_address.strip().casefold()
        # a person wrote from this address (even a forwarded "Undeliverable"): it works
        if (
            sender.split("@", 1)[0] not in _DSN_SENDERS
            and evidence.replies.get(sender, message.sent_at) <= message.sent_at
        ):
            evidence.replies[sender] = message.sent_at
        if not _is_dsn(message):
            continue
        for line in message.body[:_MAX_BODY].splitlines():
            # A status line is short; skipping long ones keeps the address pattern linear on
            # hostile input (a long run without '@' would otherwise be rescanned per position).
            if len(line) > _MAX_LINE or not _HARD.search(line):
                continue
            for raw in _ADDRESS.findall(line):
                key = raw.strip(".").casefold()
                if key == sender:
                    continue  # a person forwarding an old bounce: writing from it proves it works
                known = evidence.bounces.get(key)
                if known is None or known.at <= message.sent_at:
                    evidence.bounces[key] = _Bounce(message.sent_at, line.strip()[:200])
    return evidence


def bounce_findings(
    address: str, normalized: str | None, evidence: BounceEvidence
) -> tuple[Finding, ...]:
    """A ``hard_bounce`` finding when ``address`` bounced and was not written from since."""
    keys = {address.strip().casefold()}
    if normalized:
        keys.add(normalized.casefold())
    for key in keys:
        bounce = evidence.bounces.get(key)
        if bounce is None:
            continue
        replied = evidence.replies.get(key)
        if replied is not None and replied > bounce.at:
            continue  # the person wrote from the address after the bounce: it works again
        return (
            finding(
                "hard_bounce",
                f"Mail to this address bounced permanently on {bounce.at:%Y-%m-%d} "
                f"({bounce.detail!r}).",
            ),
        )
    return ()
