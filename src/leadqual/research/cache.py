"""The research cache: provider results per company (shared by leads of the same company) and
each lead's latest research (the diff baseline and the refresh schedule).

Examples:
    >>> cache = ResearchCache(ttl=timedelta(days=7))
    >>> cache.company_entries
    0
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from leadqual._base import to_utc
from leadqual.errors import ConfigurationError
from leadqual.research.providers import ResearchResult
from leadqual.research.results import LeadResearch

__all__ = ["ResearchCache"]


class _Entry:
    __slots__ = ("result", "stored_at")

    def __init__(self, result: ResearchResult, stored_at: datetime) -> None:
        self.result = result
        self.stored_at = stored_at


class ResearchCache:
    """Provider results per company (shared by leads of the same company) and each lead's latest
    research. In memory; both parts are erasable per lead (a sole trader's company is a person).

    Examples:
        >>> cache = ResearchCache(ttl=timedelta(days=7))
        >>> cache.company_entries
        0
    """

    def __init__(self, *, ttl: timedelta, keep_leads: bool = True) -> None:
        if ttl <= timedelta(0):
            raise ConfigurationError("the research cache TTL must be positive")
        self.ttl = ttl
        self.keep_leads = keep_leads
        """Whether each lead's latest research is kept here; off when the caller keeps it
        itself (the agent's insight store does) and passes it back as ``previous``."""
        self._companies: dict[tuple[str, str], _Entry] = {}
        self._leads: dict[str, LeadResearch] = {}
        self._users: dict[str, set[str]] = {}
        self.hits = 0
        self.misses = 0

    @property
    def company_entries(self) -> int:
        """How many provider results are cached."""
        return len(self._companies)

    def get(self, provider: str, company_key: str, *, now: datetime) -> _Entry | None:
        """A fresh cached result, or ``None``."""
        entry = self._companies.get((provider, company_key))
        if entry is None or entry.stored_at + self.ttl <= now:
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def put(
        self, provider: str, company_key: str, result: ResearchResult, *, now: datetime
    ) -> None:
        """Store a provider result."""
        self._companies[(provider, company_key)] = _Entry(result, now)

    def lead(self, lead_id: str) -> LeadResearch | None:
        """The latest research of a lead."""
        return self._leads.get(lead_id)

    def put_lead(self, research: LeadResearch) -> None:
        """Keep a lead's latest research (for the diff and the refresh schedule); with
        ``keep_leads`` off, only which company entries the lead used (for erasure)."""
        if self.keep_leads:
            self._leads[research.lead_id] = research
        if research.company is not None:
            self._users.setdefault(research.company.key, set()).add(research.lead_id)

    def company_keys(self, lead_id: str, /) -> tuple[str, ...]:
        """The company keys (``domain:contoso.com``, ``name:...``) the lead's research used."""
        return tuple(sorted(k for k, users in self._users.items() if lead_id in users))

    def erase_lead(self, lead_id: str, *, company_data: bool = True) -> tuple[int, int]:
        """Forget a lead: its latest research and its references to company entries.

        With ``company_data`` (the default), company entries no remaining lead references go
        too: this lead's, and any an earlier erasure without ``company_data`` left behind (they
        were nobody's, and a sole trader's company entry names a person). Returns how many
        research records and company entries were removed.
        """
        removed = self._leads.pop(lead_id, None)
        for key in [k for k, users in self._users.items() if lead_id in users]:
            users = self._users[key]
            users.discard(lead_id)
            if not users:
                del self._users[key]
        companies = 0
        if company_data:
            for ck in [ck for ck in self._companies if ck[1] not in self._users]:
                del self._companies[ck]
                companies += 1
        return (1 if removed else 0), companies

    def to_json(self) -> str:
        """The cache as JSON (company results and each lead's latest research), to keep the
        refresh schedule and the diff baseline across restarts. The per-lead part holds CRM
        insights (personal data): store it as you store the CRM, and erase from it too."""
        return json.dumps(
            {
                "ttl_seconds": self.ttl.total_seconds(),
                "companies": [
                    {
                        "provider": provider,
                        "key": key,
                        "stored_at": entry.stored_at.isoformat(),
                        "result": entry.result.model_dump(mode="json"),
                    }
                    for (provider, key), entry in sorted(self._companies.items())
                ],
                "leads": [r.model_dump(mode="json") for _, r in sorted(self._leads.items())],
            }
        )

    @classmethod
    def from_json(cls, text: str, /) -> ResearchCache:
        """Rebuild a cache saved with :meth:`to_json` (validated like any input)."""
        try:
            data = json.loads(text)
            cache = cls(ttl=timedelta(seconds=float(data["ttl_seconds"])))
            for row in data["companies"]:
                cache.put(
                    str(row["provider"]),
                    str(row["key"]),
                    ResearchResult.model_validate(row["result"]),
                    now=to_utc(datetime.fromisoformat(row["stored_at"])),
                )
            for row in data["leads"]:
                cache.put_lead(LeadResearch.model_validate(row))
        except (KeyError, TypeError, ValueError) as err:
            if isinstance(err, ConfigurationError):
                raise
            raise ConfigurationError(f"not a saved research cache: {err}") from err
        return cache
