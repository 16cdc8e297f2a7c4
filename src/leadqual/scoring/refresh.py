"""Which leads to (re)score now: new leads at once, changed or stale scores on a schedule.

Example:
    >>> from datetime import datetime, timedelta, UTC
    >>> from leadqual.models import Lead
    >>> now = datetime(2026, 11, 1, tzinfo=UTC)
    >>> fresh = Lead(id="L-1", created_at=now - timedelta(hours=1))
    >>> stale = Lead(id="L-2", created_at=now - timedelta(days=9))
    >>> last_scored = {"L-2": now - timedelta(days=2)}
    >>> for lead, why in due_for_scoring([fresh, stale], last_scored, now=now, every_hours=24):
    ...     print(lead.id, why)
    L-1 new
    L-2 stale
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Literal

from leadqual._base import to_utc
from leadqual._compat import renamed_kwarg
from leadqual.models import Lead
from leadqual.scoring.training import MAX_LEAD_AGE_DAYS, resolve_now

__all__ = ["RescoreReason", "due_for_scoring"]

RescoreReason = Literal["new", "changed", "stale"]
"""Why a lead is due: never scored, modified since its last score, or its score is too old."""


@renamed_kwarg("as_of", "now")
def due_for_scoring(
    leads: Iterable[Lead],
    last_scored: Mapping[str, datetime],
    /,
    *,
    now: datetime | None = None,
    every_hours: int = 24,
    max_age_days: int = MAX_LEAD_AGE_DAYS,
) -> list[tuple[Lead, RescoreReason]]:
    """Open, scorable leads whose score is missing, outdated by a change, or older than
    ``every_hours`` (``AgentConfig.refresh.score_every_hours``) at ``now`` (default: the current
    time); new leads first, newest first.
    """
    now = resolve_now(now)
    horizon = timedelta(hours=every_hours)
    due: list[tuple[Lead, RescoreReason]] = []
    for lead in leads:
        if not lead.is_open or now - lead.created_at > timedelta(days=max_age_days):
            continue
        when = last_scored.get(lead.id)
        if when is None:
            due.append((lead, "new"))
        elif lead.modified_at is not None and lead.modified_at > to_utc(when):
            due.append((lead, "changed"))
        elif now - to_utc(when) >= horizon:
            due.append((lead, "stale"))
    order = {"new": 0, "changed": 1, "stale": 2}
    due.sort(key=lambda item: (order[item[1]], -item[0].created_at.timestamp()))
    return due
