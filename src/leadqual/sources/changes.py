"""What changed in a CRM since the last look: the records a change-tracking source reports.

A source that can say what changed (Dataverse change tracking, a Salesforce change data capture
feed, a database's change table) implements :class:`ChangeTracking`; the agent's events are made
from its :class:`RecordChange` records by :mod:`leadqual.change_feed`, which sits above the
agent (a source knows nothing of the agent).

Examples:
    >>> from datetime import datetime, UTC
    >>> gone = RecordChange(kind="lead", id="L-1", deleted=True)
    >>> ChangePage(changes=(gone,), token="tok-2").changes[0].deleted
    True
"""

from __future__ import annotations

from typing import Annotated, Literal, Protocol, runtime_checkable

from pydantic import Field

from leadqual._base import FrozenModel
from leadqual.models import Account, Contact, Lead

__all__ = ["ChangePage", "ChangeTracking", "RecordChange", "TrackedKind"]

TrackedKind = Literal["lead", "contact", "account"]
"""The record kinds whose changes the agent reacts to."""


class RecordChange(FrozenModel):
    """One record created, changed or deleted since the last token."""

    kind: TrackedKind
    id: Annotated[str, Field(min_length=1)]
    deleted: bool = False
    """The record was deleted (``record`` is then ``None``)."""
    record: Lead | Contact | Account | None = None
    """The record as it is now, when it could be read."""
    problem: str | None = None
    """Why a record that was not deleted could not be read (the change is still reported: the
    agent reads the record again when it handles the event)."""


class ChangePage(FrozenModel):
    """The changes since a token, and the token to ask with next time."""

    changes: tuple[RecordChange, ...] = ()
    token: Annotated[str, Field(min_length=1)]
    """Opaque; store it and pass it back to get the changes after these."""


@runtime_checkable
class ChangeTracking(Protocol):
    """A source that reports what changed since a token it gave before."""

    def changes(self, kind: TrackedKind, /, *, token: str | None = None) -> ChangePage:
        """The changes of ``kind`` records since ``token``; without a token, no changes and
        the token marking now (tracking starts here)."""
        ...
