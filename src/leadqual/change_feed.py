"""A CRM's change feed turned into the agent's events.

A source that tracks changes (:class:`~leadqual.sources.changes.ChangeTracking`, e.g.
:class:`~leadqual.sources.dataverse.DataverseSource`) says which leads, contacts and accounts
were created, changed or deleted since a token; :class:`ChangeFeed` keeps the tokens, asks for
the changes, and turns them into the :data:`~leadqual.agent.events.CrmEvent` records
:meth:`QualificationAgent.handle <leadqual.QualificationAgent.handle>` reacts to.

This module sits above the agent (it makes the agent's events from a source's records); the
source knows nothing of the agent.

Examples:
    >>> from datetime import datetime, UTC
    >>> from leadqual.models import Lead
    >>> from leadqual.sources.changes import RecordChange
    >>> at = datetime(2026, 1, 5, tzinfo=UTC)
    >>> new = Lead(id="L-1", created_at=at, modified_at=at)
    >>> [e.type for e in events_from_changes([RecordChange(kind="lead", id="L-1", record=new),
    ...                                       RecordChange(kind="lead", id="L-2", deleted=True)],
    ...                                      now=at)]
    ['lead_created', 'lead_deleted']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from leadqual._base import to_utc
from leadqual.agent.events import (
    AccountUpdated,
    ContactUpdated,
    CrmEvent,
    LeadCreated,
    LeadDeleted,
    LeadUpdated,
    coalesce,
)
from leadqual.errors import ConfigurationError
from leadqual.models import Account, Contact, Lead
from leadqual.sources.changes import ChangeTracking, RecordChange, TrackedKind

__all__ = ["ChangeFeed", "events_from_changes"]

_KINDS: tuple[TrackedKind, ...] = ("lead", "contact", "account")


def _when(record: Lead | Contact | Account | None, now: datetime) -> datetime:
    if record is None:
        return now
    return record.modified_at or record.created_at


def events_from_changes(changes: Iterable[RecordChange], /, *, now: datetime) -> list[CrmEvent]:
    """The agent's events for a batch of changes, one per change, in order.

    A lead the CRM has not modified since it created it is :class:`LeadCreated`, any other lead
    change :class:`LeadUpdated` (the CRM does not say which fields changed: the agent compares
    the lead with what it concluded before), a deleted lead :class:`LeadDeleted`. A changed or
    deleted account or contact is :class:`AccountUpdated` / :class:`ContactUpdated`: every lead
    linked to it is looked at again. A change whose record could not be read still counts (the
    agent reads the record itself), stamped ``now``.
    """
    at = to_utc(now)
    out: list[CrmEvent] = []
    for change in changes:
        when = _when(change.record, at)
        if change.kind == "lead":
            if change.deleted:
                out.append(LeadDeleted(lead_id=change.id, occurred_at=at))
            elif isinstance(change.record, Lead) and change.record.modified_at in (
                None,
                change.record.created_at,
            ):
                out.append(LeadCreated(lead_id=change.id, occurred_at=when))
            else:
                out.append(LeadUpdated(lead_id=change.id, occurred_at=when))
        elif change.kind == "account":
            out.append(AccountUpdated(account_id=change.id, occurred_at=when))
        else:
            out.append(ContactUpdated(contact_id=change.id, occurred_at=when))
    return out


class ChangeFeed:
    """Polls a change-tracking source and returns what changed as the agent's events.

    Start it once (:meth:`start` reads each table through for the service's token and reports
    nothing: the agent processes existing leads by activation, not by event), then
    :meth:`poll` as often as you like. Store :attr:`tokens` between runs and pass them back to
    resume where the last poll left off.

    Args:
        source: the change-tracking source.
        kinds: the tables followed.
        tokens: the tokens of an earlier run (kind -> token).

    Examples:
        >>> from leadqual.testing.dataverse import FakeDataverse
        >>> server = FakeDataverse()
        >>> feed = ChangeFeed(server.source())
        >>> _ = feed.start()
        >>> lead = server.add("lead", {"lastname": "Ng"})
        >>> [e.type for e in feed.poll()]
        ['lead_created']
    """

    def __init__(
        self,
        source: ChangeTracking,
        /,
        *,
        kinds: Sequence[TrackedKind] = _KINDS,
        tokens: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(source, ChangeTracking):
            raise ConfigurationError(
                f"ChangeFeed needs a source with a changes(kind, token=...) method, got "
                f"{type(source).__name__}"
            )
        unknown = [k for k in kinds if k not in _KINDS]
        if unknown or not kinds:
            raise ConfigurationError(f"kinds must be among {', '.join(_KINDS)}, got {list(kinds)}")
        self._source = source
        self.kinds = tuple(kinds)
        self.tokens: dict[str, str] = dict(tokens or {})
        """kind -> the token the next poll asks with; store it to resume later."""

    def start(self) -> dict[str, str]:
        """Set the baseline of every table that has no token yet; return the tokens."""
        for kind in self.kinds:
            if kind not in self.tokens:
                self.tokens[kind] = self._source.changes(kind).token
        return dict(self.tokens)

    def poll(self, *, now: datetime | None = None) -> list[CrmEvent]:
        """The events since the last poll, a burst coalesced into one event per record
        (:func:`~leadqual.agent.events.coalesce`). A table with no token is started first and
        reports nothing this time.

        The tokens move on only once every table was read: when reading one fails, the next
        poll asks again from the same place (the agent handles an event twice without harm).
        """
        when = to_utc(now) if now is not None else datetime.now(UTC)
        pending = dict(self.tokens)
        changes: list[RecordChange] = []
        for kind in self.kinds:
            token = pending.get(kind)
            page = self._source.changes(kind, token=token)
            pending[kind] = page.token
            if token is not None:
                changes.extend(page.changes)
        self.tokens = pending
        return coalesce(events_from_changes(changes, now=when))
