"""The email draft a drafter returns, and the :class:`Drafter` protocol. leadqual never sends email.

The drafters live beside this module: :class:`~leadqual.drafting.TemplateDrafter` (deterministic,
from known facts only) and :class:`~leadqual.drafting.LlmDrafter` (an LLM rewrites the template
draft, guarded). Both are importable from :mod:`leadqual.drafting`.

Examples:
    >>> from leadqual.sources import build_context, load_sample, load_sample_config
    >>> from leadqual.drafting import ActionAdvisor, TemplateDrafter
    >>> ctx = build_context(load_sample(), "L-0179")
    >>> action = ActionAdvisor().advise(ctx, now=datetime(2026, 11, 1, tzinfo=UTC))
    >>> draft = TemplateDrafter(load_sample_config()).draft(ctx, action)
    >>> draft.to == (ctx.lead.email,), draft.drafter
    (True, 'template')
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime
from typing import Literal, Protocol, runtime_checkable
from urllib.parse import quote

from pydantic import Field, field_validator

from leadqual._base import FrozenModel
from leadqual._compat import moved_names
from leadqual.drafting.advisor import ActionKind, NextAction
from leadqual.drafting.guards import PLACEHOLDER_PATTERN
from leadqual.drafting.inputs import FactKind, IcpFitLike, ResearchInput
from leadqual.errors import DraftBlocked, NothingToDraft
from leadqual.models import LeadContext

__all__ = ["Draft", "DraftBlocked", "DraftFact", "Drafter", "NothingToDraft"]

# Old import paths of the drafters and the fact reader, which moved to modules of their own.
__getattr__ = moved_names(
    __name__,
    {
        "TemplateDrafter": "leadqual.drafting",
        "LlmDrafter": "leadqual.drafting",
        "collect_facts": "leadqual.drafting",
    },
)

ADDRESS_PATTERN = re.compile(r"[^\s@,;<>?&\"()\[\]]+@[^\s@,;<>?&\"()\[\]/]+")
"""One email address: no separators, spaces or ``mailto`` parameters that would add recipients."""


class DraftFact(FrozenModel):
    """A fact a draft uses, with where it came from."""

    text: str
    source: str
    kind: FactKind | Literal["product", "seller"] = "other"


class Draft(FrozenModel):
    """An email draft: recipient, subject, body, and why it says what it says. Never sent.

    Examples:
        >>> d = Draft(to=("ann@contoso.example",), subject="Hi", body="Hello Ann",
        ...           action="follow_up_email")
        >>> d.mailto().startswith("mailto:ann@contoso.example?subject=Hi")
        True
    """

    to: tuple[str, ...] = Field(min_length=1)
    """One address each; no separators or ``mailto`` parameters that would add recipients."""
    subject: str
    body: str
    action: ActionKind
    from_address: str | None = None
    in_reply_to: str | None = None
    """``message_id`` of the email this draft answers."""
    reasons: tuple[str, ...] = ()
    """Why this email (the action's reasons)."""
    facts: tuple[DraftFact, ...] = ()
    """The facts the draft uses, with their sources."""
    placeholders: tuple[str, ...] = ()
    """What the seller must fill in: the text inside each ``[[FILL: ...]]`` of the body."""
    drafter: Literal["template", "llm"] = "template"
    notes: tuple[str, ...] = ()
    """What the drafter left out or fell back from, and why (e.g. an unsafe research fact)."""

    @field_validator("to", mode="after")
    @classmethod
    def _one_address_each(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if not ADDRESS_PATTERN.fullmatch(address):
                raise ValueError(f"not a single email address: {address!r}")
        return value

    @field_validator("from_address", mode="after")
    @classmethod
    def _one_sender(cls, value: str | None) -> str | None:
        if value is not None and not ADDRESS_PATTERN.fullmatch(value):
            raise ValueError(f"not a single email address: {value!r}")
        return value

    @field_validator("subject", "in_reply_to", mode="after")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        # A line break in a header would let the text add headers (Bcc:) to the .eml.
        if value is not None and ("\n" in value or "\r" in value):
            raise ValueError("must be a single line (no line breaks)")
        return value

    @property
    def is_ready(self) -> bool:
        """Whether no placeholder is left to fill."""
        return not PLACEHOLDER_PATTERN.search(self.body + self.subject)

    def to_eml(self, *, date: datetime | None = None) -> str:
        """The draft as an RFC 5322 message (``.eml``) for a mail client to open; not sent.

        Args:
            date: the ``Date`` header (default: now).
        """
        message = MimeMessage()
        if self.from_address:
            message["From"] = self.from_address
        message["To"] = ", ".join(self.to)
        message["Subject"] = self.subject
        message["Date"] = format_datetime(date or datetime.now(UTC))
        message["X-Unsent"] = "1"  # Outlook and others open it as a draft to edit
        if self.in_reply_to:
            message["In-Reply-To"] = self.in_reply_to
            message["References"] = self.in_reply_to
        message.set_content(self.body)
        return message.as_string()

    def mailto(self) -> str:
        """A ``mailto:`` link that opens the draft in the seller's mail client."""
        to = ",".join(quote(a, safe="@") for a in self.to)
        return f"mailto:{to}?subject={quote(self.subject)}&body={quote(self.body)}"


@runtime_checkable
class Drafter(Protocol):
    """Writes the email for a suggested action. Implementations never send it.

    Drafting may call a service (an LLM), so the protocol is async: implement ``adraft``. The
    built-in drafters also offer a sync ``draft`` (safe inside a running event loop).

    Examples:
        >>> class Fixed:
        ...     async def adraft(self, context, action, /, *, research=None, icp_fit=None):
        ...         return Draft(to=("ann@contoso.example",), subject="Hi", body="Hello",
        ...                      action=action.kind)
        >>> isinstance(Fixed(), Drafter)
        True
    """

    async def adraft(
        self,
        context: LeadContext,
        action: NextAction,
        /,
        *,
        research: ResearchInput | None = None,
        icp_fit: IcpFitLike | None = None,
    ) -> Draft:
        """A draft for ``action``; raises :class:`NothingToDraft` or :class:`DraftBlocked`."""
        ...
