"""Helpers the hand-raiser, engagement and ranking stages share: days between two times in words,
and telling machine-written mail from the lead's own."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from leadqual._base import to_utc
from leadqual.models import EmailMessage

__all__ = ["ago", "is_automatic", "is_reply", "reference_time", "whole_days"]


def reference_time(now: datetime | None) -> datetime:
    """``now`` in UTC, or the current time when it is ``None``."""
    return to_utc(now) if now is not None else datetime.now(UTC)


def whole_days(now: datetime, then: datetime) -> int:
    """Whole days from ``then`` to ``now``, never below zero."""
    return max(0, (now - then).days)


def ago(now: datetime, then: datetime) -> str:
    """``today``, ``1 day ago``, ``12 days ago``."""
    days = (now - then).days
    if days <= 0:
        return "today"
    return "1 day ago" if days == 1 else f"{days} days ago"


_REPLY_PREFIX = re.compile(
    r"^\s*(re|aw|sv|antw|vs|r|wg)\s*:|^\s*(automatic reply|auto[- ]?reply|out of (the )?office)",
    re.IGNORECASE,
)


def is_reply(email: EmailMessage) -> bool:
    """Whether an inbound email answers an earlier message (a reply or an automatic reply)."""
    return bool(email.in_reply_to) or bool(_REPLY_PREFIX.match(email.subject or ""))


_AUTOMATIC_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|out of (the )?office|undeliverable|"
    r"delivery status notification|mail delivery (failed|failure)|returned mail)",
    re.IGNORECASE,
)


def is_automatic(email: EmailMessage) -> bool:
    """An out-of-office answer or a delivery failure: written by a machine, not the lead."""
    sender = email.from_address.casefold()
    return bool(_AUTOMATIC_SUBJECT.match(email.subject or "")) or sender.startswith(
        ("mailer-daemon@", "postmaster@", "no-reply@", "noreply@")
    )
