"""A :class:`~leadqual.sources.CrmSource` over the Dataverse (Dynamics 365) Web API."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Literal, Self

import httpx
from pydantic import Field

from leadqual._base import FrozenModel, to_utc
from leadqual.errors import (
    ConfigurationError,
    CrmWriteError,
    LeadqualError,
    MalformedResponse,
    RecordNotFound,
    RowConversionError,
    ValidationFailed,
)
from leadqual.models import (
    Account,
    Activity,
    Contact,
    Lead,
    LeadContext,
    LeadStatus,
    Note,
    Opportunity,
    OpportunityStatus,
    RecordRef,
    Seller,
)
from leadqual.sources._records import OCCURRED
from leadqual.sources._writer import InsertCreates, ListsInOrder, ReadByKind, id_taken
from leadqual.sources.base import with_changes, with_status
from leadqual.sources.changes import ChangePage, RecordChange, TrackedKind
from leadqual.sources.dataverse._odata import (
    ANNOTATIONS,
    PROVIDER,
    Answer,
    ClientStats,
    ODataClient,
    service_code,
    service_error,
)
from leadqual.sources.dataverse._tables import WebTable, is_guid, regarding_bind, web_tables
from leadqual.sources.dataverse.auth import TokenProvider
from leadqual.sources.sql_mapping import SqlMapping

__all__ = [
    "DataverseSource",
    "QualifiedRecords",
    "WritableDataverseSource",
    "batch_parts",
    "record_body",
    "table_for",
]

logger = logging.getLogger("leadqual.sources.dataverse")

_KEEP_ERRORS = 1000
_BATCH_LIMIT = 1000
"""Requests one ``$batch`` may hold (the service's limit)."""
_LEAD_NAVS = {
    "email": "Lead_Emails", "phonecall": "Lead_Phonecalls", "appointment": "Lead_Appointments",
    "task": "Lead_Tasks", "annotation": "Lead_Annotation",
    "opportunity": "opportunity_originating_lead",
}  # fmt: skip
"""The lead's collection-valued navigation properties to the tables a context reads."""
_ROLES = "systemuserroles_association"
"""The system user's security roles (an N:N relationship to ``role``): a seller's roles, which
the agent's access rules read."""
_ROLES_EXPAND = f"{_ROLES}($select=name)"
_DUPLICATE_KEY = "0x80040237"
"""The service's code for a create whose primary key is already used."""
_STAMPS = frozenset({"modified_at", "closed_at", "status_reason", "status"})
_DEFAULT_STATUS = {0: 1, 1: 3, 2: 4}
"""The lead's default status reason of each state (New, Qualified, Lost)."""


class QualifiedRecords(FrozenModel):
    """What the QualifyLead action created: references to the new records."""

    lead_id: str
    created: tuple[RecordRef, ...] = Field(default=())
    """The account, contact and opportunity the service created, in the order it listed them."""


class DataverseSource(ListsInOrder, ReadByKind):
    """Leads, contacts, accounts, opportunities, activities and notes read from a Dataverse
    (Dynamics 365 Sales) environment through its Web API.

    Columns and choice values are those of :meth:`SqlMapping.dataverse
    <leadqual.sources.SqlMapping.dataverse>` (pass ``mapping`` to add your own columns or
    option values). Listings are OData queries with ``$select``, ``$filter`` and ``$orderby``,
    read page by page (``Prefer: odata.maxpagesize``, following ``@odata.nextLink`` as sent):
    ``iter_leads`` and :meth:`iter_contexts` stream, whatever the table's size.

    The token comes from ``token_provider`` (an ``azure-identity`` credential,
    :class:`~leadqual.sources.dataverse.ClientCredentials` or
    :class:`~leadqual.sources.dataverse.StaticToken`), is cached, and is renewed
    ``refresh_margin`` seconds before it expires, and once more when the service answers 401
    (a listing resumes at the page it was on). Throttled requests (HTTP 429, the service
    protection limits) wait ``Retry-After`` seconds (at most ``max_wait``) and are retried up to
    ``max_retries`` times. A link the service hands back is followed only to the organisation's
    own Web API (:class:`~leadqual.errors.UnsafeUrlError` otherwise), a listing whose nextLink
    returns to a page already read or that passes ``max_pages`` is stopped, and a page larger
    than ``max_bytes`` is refused.

    A row that cannot be read as a record (a state code leadqual does not know, a missing
    column a field needs) is skipped in a listing with a warning and kept in
    :attr:`row_errors` (``on_error="raise"`` raises it); look-ups by id raise it. Record ids are
    the rows' GUIDs; an id that is not a GUID is not found.

    Read-only unless built with ``writable=True``: then it is a
    :class:`WritableDataverseSource`, a :class:`~leadqual.sources.CrmWriter`.

    Args:
        org_url: the environment's URL, e.g. ``https://contoso.crm.dynamics.com``.
        token_provider: gives bearer tokens (see :mod:`leadqual.sources.dataverse.auth`).
        writable: allow the writes qualification needs.
        mapping: tables, columns and choice values (default :meth:`SqlMapping.dataverse`).
        entity_sets: table logical name -> entity set name, for tables of your own.
        api_version: the Web API version.
        page_size: rows per page (``Prefer: odata.maxpagesize``), at most 5000.
        max_pages: pages one listing may take before it is taken for a loop.
        max_bytes: the largest answer read.
        timeout: seconds per network operation of one request.
        total_timeout: seconds one answer may take to arrive in full.
        max_retries: retries of a throttled (429) or briefly unavailable (502-504) request, or
            one that timed out.
        max_wait: the longest wait between attempts (also the cap on ``Retry-After``).
        backoff: the first wait when the service gives no ``Retry-After``; it doubles per retry.
        refresh_margin: seconds before expiry a token is renewed.
        on_error: ``"skip"`` an unreadable row in a listing, or ``"raise"`` it.
        transport: an httpx transport (tests pass ``httpx.MockTransport``).
        sleep: waits between attempts (tests pass one that records and returns).
        clock: the time now in Unix seconds, for token expiry.

    Examples:
        >>> from leadqual.testing.dataverse import FakeDataverse
        >>> server = FakeDataverse()
        >>> lead = server.add("lead", {"lastname": "Ng", "createdon": "2026-01-05T09:30:00Z"})
        >>> with server.source() as crm:
        ...     print(crm.get_lead(lead).last_name, len(crm.leads()))
        Ng 1
    """

    def __new__(cls, *args: Any, writable: bool = False, **kwargs: Any) -> DataverseSource:
        # A writable source is the subclass, so ``isinstance(source, CrmWriter)`` says truly
        # whether the agent may write.
        chosen = WritableDataverseSource if writable and cls is DataverseSource else cls
        return object.__new__(chosen)

    def __init__(
        self,
        org_url: str,
        /,
        *,
        token_provider: TokenProvider,
        writable: bool = False,
        mapping: SqlMapping | None = None,
        entity_sets: Mapping[str, str] | None = None,
        api_version: str = "v9.2",
        page_size: int = 5000,
        max_pages: int = 10_000,
        max_bytes: int = 64 * 1024 * 1024,
        timeout: float = 30.0,
        total_timeout: float = 120.0,
        max_retries: int = 5,
        max_wait: float = 300.0,
        backoff: float = 1.0,
        refresh_margin: float = 300.0,
        on_error: Literal["skip", "raise"] = "skip",
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if on_error not in ("skip", "raise"):
            raise ConfigurationError(f"on_error must be 'skip' or 'raise', got {on_error!r}")
        self.mapping = mapping if mapping is not None else SqlMapping.dataverse()
        self.writable = writable
        self.on_error = on_error
        self._tables = web_tables(self.mapping, entity_sets)
        if not self._tables["lead"]:
            raise ConfigurationError("the mapping has no lead table")
        self._client = ODataClient(
            org_url,
            token_provider=token_provider,
            api_version=api_version,
            timeout=timeout,
            total_timeout=total_timeout,
            max_retries=max_retries,
            max_wait=max_wait,
            backoff=backoff,
            max_bytes=max_bytes,
            max_pages=max_pages,
            page_size=page_size,
            refresh_margin=refresh_margin,
            transport=transport,
            sleep=sleep,
            clock=clock,
        )
        self.row_errors: list[RowConversionError] = []
        """The unreadable rows skipped so far (the first 1000), each naming entity set, id and
        column."""
        self.skipped = 0
        """How many unreadable rows were skipped so far."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._client.origin!r})"

    @property
    def stats(self) -> ClientStats:
        """Requests sent, retries, pages read and tokens asked for, since the source was built."""
        return self._client.stats

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------------------------

    def _table(self, kind: str) -> WebTable:
        tables = self._tables[kind]
        if not tables:
            raise ConfigurationError(f"the mapping has no table for {kind} records")
        return tables[0]

    def _skip(self, err: RowConversionError) -> None:
        self.skipped += 1
        if len(self.row_errors) < _KEEP_ERRORS:
            self.row_errors.append(err)
        # The message names the entity set, the row's GUID and the column: no personal data.
        logger.warning("skipped an unreadable row: %s", err)

    def _read(self, table: WebTable, row: Mapping[str, Any], regarding: RecordRef | None) -> Any:
        """The row's record, or ``None`` when it is skipped."""
        try:
            return table.record(row, regarding=regarding, extra=_extra(table, row))
        except RowConversionError as err:
            if self.on_error == "raise":
                raise
            self._skip(err)
            return None

    def _rows(
        self, table: WebTable, conditions: Sequence[str | None], *, action: str
    ) -> Iterator[dict[str, Any]]:
        if any(c is None for c in conditions):
            return  # a value no row can hold: nothing to ask for
        params = {"$select": ",".join(table.select)}
        kept = [c for c in conditions if c]
        if kept:
            params["$filter"] = " and ".join(kept)
        order = table.order()
        if order:
            params["$orderby"] = order
        if table.kind == "seller":
            params["$expand"] = _ROLES_EXPAND
        url = self._client.url(table.entity_set)
        for page in self._client.pages(url, action=action, params=params):
            for row in page.get("value", []):
                if isinstance(row, dict):
                    yield row

    def _iter(
        self,
        kind: str,
        conditions: Callable[[WebTable], Sequence[str | None]],
        keep: Callable[[Any], bool],
        *,
        regarding: RecordRef | None = None,
    ) -> Iterator[Any]:
        for table in self._tables[kind]:
            action = f"listing {table.entity_set}"
            for row in self._rows(table, conditions(table), action=action):
                record = self._read(table, row, regarding)
                if record is not None and keep(record):
                    yield record

    def _get(self, kind: str, record_id: str) -> Any:
        if not is_guid(record_id):
            raise RecordNotFound(kind, record_id)
        table = self._table(kind)
        params = {"$select": ",".join(table.select)}
        if table.kind == "seller":
            params["$expand"] = _ROLES_EXPAND
        answer = self._client.send(
            "GET",
            self._client.url(f"{table.entity_set}({record_id.lower()})"),
            action=f"reading {kind} {record_id}",
            params=params,
            headers={"Prefer": ANNOTATIONS},
            allow=frozenset({404}),
        )
        if answer.status_code == 404:
            raise RecordNotFound(kind, record_id)
        row = answer.json_object()
        return table.record(row, extra=_extra(table, row))

    def _lead_conditions(
        self,
        table: WebTable,
        owner_id: str | None,
        status: LeadStatus | None,
        since: datetime | None,
    ) -> list[str | None]:
        out: list[str | None] = []
        if owner_id is not None:
            out.append(table.condition("owner_id", owner_id))
        if status is not None:
            out.append(table.condition("status", status))
        if since is not None:
            out.append(table.since("modified_at", since) or table.since("created_at", since))
        return out

    def iter_leads(
        self,
        *,
        owner_id: str | None = None,
        status: LeadStatus | None = None,
        modified_since: datetime | None = None,
    ) -> Iterator[Lead]:
        """Leads as :meth:`leads` reads them, page by page in the service's order (creation,
        then id): a table of any size streams."""
        state = LeadStatus(status) if status is not None else None
        since = to_utc(modified_since, "modified_since") if modified_since else None
        return self._iter(
            "lead",
            lambda t: self._lead_conditions(t, owner_id, state, since),
            lambda lead: (
                (owner_id is None or (lead.owner_id or "").lower() == owner_id.lower())
                and (state is None or lead.status is state)
                and (since is None or (lead.modified_at or lead.created_at) >= since)
            ),
        )

    def iter_contacts(
        self, *, account_id: str | None = None, modified_since: datetime | None = None
    ) -> Iterator[Contact]:
        """Contacts as :meth:`contacts` reads them, page by page."""
        since = to_utc(modified_since, "modified_since") if modified_since else None
        return self._iter(
            "contact",
            lambda t: [
                t.condition("account_id", account_id) if account_id is not None else "",
                t.since("modified_at", since) if since is not None else "",
            ],
            lambda c: (
                (account_id is None or (c.account_id or "").lower() == account_id.lower())
                and (since is None or (c.modified_at or c.created_at) >= since)
            ),
        )

    def iter_accounts(self, *, modified_since: datetime | None = None) -> Iterator[Account]:
        """Accounts as :meth:`accounts` reads them, page by page."""
        since = to_utc(modified_since, "modified_since") if modified_since else None
        return self._iter(
            "account",
            lambda t: [t.since("modified_at", since) if since is not None else ""],
            lambda a: since is None or (a.modified_at or a.created_at) >= since,
        )

    def opportunities(
        self,
        *,
        account_id: str | None = None,
        contact_id: str | None = None,
        lead_id: str | None = None,
        status: OpportunityStatus | None = None,
    ) -> Sequence[Opportunity]:
        """Opportunities of an account, a contact, or originating from a lead."""
        state = OpportunityStatus(status) if status is not None else None
        wanted = {"account_id": account_id, "contact_id": contact_id,
                  "originating_lead_id": lead_id}  # fmt: skip

        def conditions(t: WebTable) -> list[str | None]:
            out = [t.condition(k, v) for k, v in wanted.items() if v is not None]
            if state is not None:
                out.append(t.condition("status", state))
            return out

        def keep(o: Opportunity) -> bool:
            return all(
                v is None or (getattr(o, k) or "").lower() == v.lower() for k, v in wanted.items()
            ) and (state is None or o.status is state)

        found: Iterable[Opportunity] = self._iter("opportunity", conditions, keep)
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def activities(
        self, *, regarding: RecordRef | None = None, since: datetime | None = None
    ) -> Sequence[Activity]:
        """Activities (emails, phone calls, appointments, tasks) regarding a record, oldest
        first."""
        after = to_utc(since, "since") if since else None

        def conditions(t: WebTable) -> list[str | None]:
            out: list[str | None] = []
            if regarding is not None:
                out.append(t.condition("regarding.id", regarding.id))
            if after is not None:
                out.append(t.since(OCCURRED.get(t.activity_kind or "", ""), after) or "")
            return out

        found: Iterable[Activity] = self._iter(
            "activity",
            conditions,
            lambda a: (
                (regarding is None or _same_ref(a.regarding, regarding))
                and (after is None or a.occurred_at >= after)
            ),
            regarding=regarding,
        )
        return sorted(found, key=lambda a: (a.occurred_at, a.id))

    def notes(self, *, regarding: RecordRef | None = None) -> Sequence[Note]:
        """Notes (annotations) regarding a record, oldest first."""
        found: Iterable[Note] = self._iter(
            "note",
            lambda t: [t.condition("regarding.id", regarding.id)] if regarding else [],
            lambda n: regarding is None or _same_ref(n.regarding, regarding),
            regarding=regarding,
        )
        return sorted(found, key=lambda n: (n.created_at, n.id))

    def sellers(self) -> Sequence[Seller]:
        """Every seller (system user), by id."""
        found: Iterable[Seller] = self._iter("seller", lambda t: [], lambda s: True)
        return sorted(found, key=lambda s: s.id)

    # -- leads with their related records, in one listing -------------------------------------------

    def iter_contexts(
        self,
        *,
        owner_id: str | None = None,
        status: LeadStatus | None = None,
        modified_since: datetime | None = None,
    ) -> Iterator[LeadContext]:
        """Leads with their related records, read with ``$expand`` in the same pages as the
        leads: the parent account and contact, the owner, and the lead's own emails, phone
        calls, appointments, tasks, notes and the opportunities it originated.

        One request per page of leads (plus one per related collection longer than the
        service puts inline), so a table of any size streams. The opportunities of the lead's
        account and contact and the contact's own activities are not part of it:
        :func:`~leadqual.sources.build_context` reads those, with more requests.
        """
        state = LeadStatus(status) if status is not None else None
        since = to_utc(modified_since, "modified_since") if modified_since else None
        leads = self._table("lead")
        conditions = self._lead_conditions(leads, owner_id, state, since)
        if any(c is None for c in conditions):
            return
        expand, related = self._expansions()
        params = {"$select": ",".join(leads.select), "$expand": expand}
        kept = [c for c in conditions if c]
        if kept:
            params["$filter"] = " and ".join(kept)
        params["$orderby"] = leads.order()
        url = self._client.url(leads.entity_set)
        for page in self._client.pages(url, action="listing leads with related records",
                                       params=params):  # fmt: skip
            for row in page.get("value", []):
                if not isinstance(row, dict):
                    continue
                lead = self._read(leads, row, None)
                if lead is None:
                    continue
                if owner_id is not None and (lead.owner_id or "").lower() != owner_id.lower():
                    continue
                yield self._context(lead, row, related)

    def _expansions(self) -> tuple[str, list[tuple[str, str, WebTable]]]:
        """``$expand`` of a lead listing, and (navigation property, role, table) for each."""
        related: list[tuple[str, str, WebTable]] = []
        lead = self._table("lead")
        for role, kind in (("account", "account"), ("contact", "contact")):
            target = "account_id" if role == "account" else "contact_id"
            column = lead.spec.column_names(target)
            if column and self._tables[kind]:
                related.append((column[0], role, self._tables[kind][0]))
        if self._tables["seller"]:
            related.append(("owninguser", "owner", self._tables["seller"][0]))
        for kind in ("activity", "note", "opportunity"):
            for table in self._tables[kind]:
                nav = _LEAD_NAVS.get(table.logical)
                if nav:
                    related.append((nav, kind, table))
        parts = [
            f"{nav}($select={','.join(t.select)}"
            + (f";$expand={_ROLES_EXPAND})" if t.kind == "seller" else ")")
            for nav, _, t in related
        ]
        return ",".join(parts), related

    def _context(
        self, lead: Lead, row: Mapping[str, Any], related: list[tuple[str, str, WebTable]]
    ) -> LeadContext:
        ref = RecordRef(kind="lead", id=lead.id)
        single: dict[str, Any] = {}
        many: dict[str, list[Any]] = {"activity": [], "note": [], "opportunity": []}
        for nav, role, table in related:
            value = row.get(nav)
            if role in single or role in ("account", "contact", "owner"):
                if isinstance(value, dict):
                    single[role] = self._read(table, value, None)
                continue
            rows = [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []
            link = row.get(f"{nav}@odata.nextLink")
            if link is not None:
                # More related rows than the service put inline: read them from the link. Whether
                # it lists the rest or the whole collection again, each row is kept once.
                url = self._client.follow(link, what=f"{nav} nextLink")
                seen = {table.row_id(r) for r in rows}
                for page in self._client.pages(url, action=f"listing {nav} of a lead"):
                    for r in page.get("value", []):
                        if isinstance(r, dict) and table.row_id(r) not in seen:
                            seen.add(table.row_id(r))
                            rows.append(r)
            for item in rows:
                record = self._read(table, item, ref)
                if record is not None:
                    many[role].append(record)
        return LeadContext(
            lead=lead,
            account=single.get("account"),
            contact=single.get("contact"),
            owner=single.get("owner"),
            opportunities=tuple(sorted(many["opportunity"], key=lambda o: (o.created_at, o.id))),
            activities=tuple(sorted(many["activity"], key=lambda a: (a.occurred_at, a.id))),
            notes=tuple(sorted(many["note"], key=lambda n: (n.created_at, n.id))),
        )

    # -- change tracking ----------------------------------------------------------------------------

    def changes(self, kind: TrackedKind, /, *, token: str | None = None) -> ChangePage:
        """What changed in the ``kind`` table since ``token`` (a delta link this method
        returned), through Dataverse change tracking (``Prefer: odata.track-changes``).

        Without a token, tracking starts: the table is read through once (page by page, rows
        discarded) for the service's delta link, and no changes are reported. Change tracking
        must be enabled on the table; delta links expire after the organisation's
        ``ExpireChangeTrackingInDays`` (7 days by default).

        Raises:
            UnsafeUrlError: the token or a link in the answer points at another host.
            MalformedResponse: no delta link in the answer (change tracking is not enabled on
                the table).
            HttpStatusError: the service refused the token (expired: start again without one
                and read the table through).
        """
        if kind not in ("lead", "contact", "account"):
            raise ValidationFailed(
                f"changes are tracked for leads, contacts and accounts, not {kind!r}",
                field="kind",
            )
        table = self._table(kind)
        if token is None:
            url = self._client.url(table.entity_set)
            params: dict[str, str] | None = {"$select": ",".join(table.select)}
        else:
            url = self._client.follow(token, what="delta link")
            params = None
        found: list[RecordChange] = []
        delta: str | None = None
        action = f"tracking changes of {table.entity_set}"
        for page in self._client.pages(url, action=action, params=params, track_changes=True):
            link = page.get("@odata.deltaLink")
            if link is not None:
                delta = self._client.follow(link, what="delta link")
            if token is None:
                continue  # the first read only sets the baseline
            for row in page.get("value", []):
                if isinstance(row, dict):
                    change = self._change(kind, table, row)
                    if change is not None:
                        found.append(change)
        if delta is None:
            if token is not None and not found:
                return ChangePage(changes=(), token=token)  # "an empty JSON response"
            raise MalformedResponse(
                f"{PROVIDER}: {action}: the answer has no @odata.deltaLink; enable change "
                f"tracking on the {table.logical} table",
                provider=PROVIDER,
            )
        return ChangePage(changes=tuple(found), token=delta)

    def _change(
        self, kind: TrackedKind, table: WebTable, row: Mapping[str, Any]
    ) -> RecordChange | None:
        context = str(row.get("@odata.context", ""))
        if context.endswith("/$deletedEntity") or row.get("reason") == "deleted":
            record_id = row.get("id")
            if not isinstance(record_id, str) or not record_id:
                return None
            return RecordChange(kind=kind, id=record_id, deleted=True)
        record_id = table.row_id(row)
        if record_id is None:
            return None
        try:
            record = table.record(row)
        except RowConversionError as err:
            return RecordChange(kind=kind, id=record_id, problem=str(err))
        return RecordChange(kind=kind, id=record_id, record=record)


def _extra(table: WebTable, row: Mapping[str, Any]) -> dict[str, list[Any]] | None:
    """A seller's security role names, from the expanded role rows."""
    if table.kind != "seller":
        return None
    roles = row.get(_ROLES)
    if not isinstance(roles, list):
        return None
    names = [r.get("name") for r in roles if isinstance(r, dict)]
    return {"roles": [n for n in names if isinstance(n, str) and n.strip()]}


def _say_dropped(table: WebTable, dropped: Sequence[str]) -> None:
    if dropped:
        # Field names only: the values may be a person's.
        logger.warning(
            "%s: no choice value stands for the %s given; not stored (add the option to the "
            "mapping's values to store it)",
            table.entity_set,
            ", ".join(sorted(set(dropped))),
        )


def _same_ref(a: RecordRef, b: RecordRef) -> bool:
    return a.kind == b.kind and a.id.lower() == b.id.lower()


class WritableDataverseSource(InsertCreates, DataverseSource):
    """What ``DataverseSource(..., writable=True)`` builds: a :class:`DataverseSource` that is
    also a :class:`~leadqual.sources.CrmWriter`.

    Each write is one request, or one ``$batch`` change set (moving notes and activities), which
    the service applies entirely or not at all. Records come back as the service stored them
    (``Prefer: return=representation``): the service stamps ``createdon`` and ``modifiedon``,
    and assigns a new GUID to a record whose id is not one. An opportunity is created open.
    """

    def _create(self, kind: str, record: Account | Contact | Opportunity) -> Any:
        """POST ``record`` to its table and return it as the service stored it."""
        table = self._table(kind)
        dropped: list[str] = []
        body = table.encode(record, creating=True, dropped=dropped)
        _say_dropped(table, dropped)
        if kind == "opportunity":
            opportunity = record
            assert isinstance(opportunity, Opportunity)
            if opportunity.status is not OpportunityStatus.OPEN:
                raise ValidationFailed(
                    "an opportunity is created open (close it with the service's WinOpportunity "
                    "or LoseOpportunity action)",
                    field="status",
                )
            # The potential customer is required by the application: the account, else the
            # contact.
            if opportunity.account_id and is_guid(opportunity.account_id):
                body["customerid_account@odata.bind"] = (
                    f"/accounts({opportunity.account_id.lower()})"
                )
            elif opportunity.contact_id and is_guid(opportunity.contact_id):
                body["customerid_contact@odata.bind"] = (
                    f"/contacts({opportunity.contact_id.lower()})"
                )
        answer = self._client.send(
            "POST",
            self._client.url(table.entity_set),
            action=f"creating {kind}",
            params={"$select": ",".join(table.select)},
            json_body=body,
            headers={"Prefer": f"return=representation,{ANNOTATIONS}"},
            allow=frozenset({400, 409, 412, 500}),
        )
        if answer.status_code >= 400:
            if answer.status_code == 412 or service_code(answer) == _DUPLICATE_KEY:
                raise id_taken(kind, record.id)
            raise CrmWriteError(
                f"cannot create {kind} (nothing was written): "
                f"{service_error(answer, action=f'creating {kind}')}"
            )
        if answer.status_code == 204:  # the service ignored return=representation
            link = answer.headers.get("OData-EntityId")
            created_id = _id_in(self._client.follow(link, what="OData-EntityId"))
            return self._get(kind, created_id)
        return table.record(answer.json_object())

    def _patch(self, lead_id: str, body: Mapping[str, Any], *, action: str) -> Lead:
        table = self._table("lead")
        answer = self._client.send(
            "PATCH",
            self._client.url(f"{table.entity_set}({lead_id.lower()})"),
            action=action,
            params={"$select": ",".join(table.select)},
            json_body=dict(body),
            # If-Match: * makes it an update only: a PATCH to a missing row would create it.
            headers={"Prefer": f"return=representation,{ANNOTATIONS}", "If-Match": "*"},
            allow=frozenset({404}),
        )
        if answer.status_code == 404:
            raise RecordNotFound("lead", lead_id)
        if answer.status_code == 204:
            return self.get_lead(lead_id)
        lead: Lead = table.record(answer.json_object())
        return lead

    def update_lead(
        self, lead_id: str, changes: Mapping[str, Any], /, *, at: datetime | None = None
    ) -> Lead:
        """Change a lead's fields and links and return it as stored (``modifiedon`` is the
        service's: ``at`` is not stored).

        Raises:
            RecordNotFound: no such lead.
            ValidationFailed: an unknown or protected field, a value the field refuses, a field
                no writable column holds, or a link that is not a Dataverse id.
        """
        before = self.get_lead(lead_id)
        after = with_changes(before, changes, at=at)
        table = self._table("lead")
        changed = {f for f in Lead.model_fields if getattr(before, f) != getattr(after, f)}
        unstored = sorted(f for f in changed - _STAMPS if not table.stores(f))
        if unstored:
            raise ValidationFailed(
                f"cannot store lead field {unstored[0]!r}: no writable column of "
                f"{table.entity_set} is mapped to it",
                field=unstored[0],
            )
        targets = [t for t in table.spec.columns if t.split(".")[0] in changed - _STAMPS]
        dropped: list[str] = []
        body = table.encode(after, targets=targets, dropped=dropped)
        _say_dropped(table, dropped)
        if not body:
            return before
        return self._patch(before.id, body, action=f"updating lead {lead_id}")

    def update_lead_status(
        self,
        lead_id: str,
        /,
        status: LeadStatus,
        *,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> Lead:
        """Set a lead's ``statecode`` and ``statuscode`` and return it as stored.

        A reason that is a status reason label of that state (``"Lost"``, ``"Cannot
        Contact"``...) sets that status reason; any other text leaves the state's default and
        is kept in ``qualificationcomments``.
        """
        before = self.get_lead(lead_id)
        with_status(before, status, reason=reason, at=at)  # the shared checks
        table = self._table("lead")
        state, code = table.status_codes(LeadStatus(status), reason)
        # Without a matching label: the state's default status reason (New, Qualified, Lost).
        body: dict[str, Any] = {"statecode": state, "statuscode": code or _DEFAULT_STATUS[state]}
        if code is None and reason and reason.strip():
            body["qualificationcomments"] = reason.strip()[:2000]
        return self._patch(before.id, body, action=f"setting the status of lead {lead_id}")

    def _move(self, kind: str, source: RecordRef, target: RecordRef) -> int:
        """Re-point every activity or note regarding ``source`` to ``target``, in change sets of
        at most 1000 updates, each applied entirely or not at all."""
        if not is_guid(target.id):
            raise ValidationFailed(
                f"cannot move {kind} records to {target.kind} {target.id!r}: not a Dataverse id",
                field="target.id",
            )
        found: list[tuple[WebTable, str]] = []
        getter = self.activities if kind == "activity" else self.notes
        by_kind = {t.activity_kind or t.logical: t for t in self._tables[kind]}
        for record in getter(regarding=source):
            table = by_kind[
                getattr(record, "kind", "annotation") if kind == "activity" else "annotation"
            ]
            found.append((table, record.id))
        done: list[str] = []
        for start in range(0, len(found), _BATCH_LIMIT):
            chunk = found[start : start + _BATCH_LIMIT]
            try:
                self._batch_patch(
                    [
                        (f"{t.entity_set}({rid.lower()})", dict([regarding_bind(t, target)]))
                        for t, rid in chunk
                    ],
                    action=f"moving {kind} records",
                )
            except LeadqualError as err:
                if not done:
                    raise
                raise CrmWriteError(
                    f"moved {len(done)} of {len(found)} {kind} records, then: {err}", done=done
                ) from err
            done.extend(f"{kind}:{rid}" for _, rid in chunk)
        return len(found)

    def move_activities(self, source: RecordRef, target: RecordRef, /) -> int:
        """Re-point every activity regarding ``source`` to ``target`` (one change set per 1000)."""
        return self._move("activity", source, target)

    def move_notes(self, source: RecordRef, target: RecordRef, /) -> int:
        """Re-point every note regarding ``source`` to ``target`` (one change set per 1000)."""
        return self._move("note", source, target)

    def _batch_patch(
        self, updates: Sequence[tuple[str, Mapping[str, Any]]], *, action: str
    ) -> None:
        """PATCH every (path, body) in one ``$batch`` change set.

        Raises:
            CrmWriteError: the change set failed (the service applied none of it).
        """
        if not updates:
            return
        batch, changeset = f"batch_{uuid.uuid4()}", f"changeset_{uuid.uuid4()}"
        lines = [f"--{batch}", f"Content-Type: multipart/mixed; boundary={changeset}", ""]
        for i, (path, body) in enumerate(updates, start=1):
            lines += [
                f"--{changeset}",
                "Content-Type: application/http",
                "Content-Transfer-Encoding: binary",
                f"Content-ID: {i}",
                "",
                f"PATCH {self._client.url(path)} HTTP/1.1",
                "Content-Type: application/json",
                "If-Match: *",
                "",
                _json(body),
            ]
        lines += [f"--{changeset}--", f"--{batch}--", ""]
        answer = self._client.send(
            "POST",
            self._client.url("$batch"),
            action=action,
            content="\r\n".join(lines).encode("utf-8"),
            headers={"Content-Type": f"multipart/mixed; boundary={batch}"},
            allow=frozenset({400, 404, 412, 500}),
        )
        failures = [p for p in batch_parts(answer) if p.status_code >= 400]
        if answer.status_code >= 400 or failures:
            first = failures[0] if failures else answer
            raise CrmWriteError(
                f"{action}: the change set was refused, nothing was changed: "
                f"{service_error(first, action=action)}"
            )

    def qualify_lead(
        self,
        lead_id: str,
        /,
        *,
        create_account: bool = True,
        create_contact: bool = True,
        create_opportunity: bool = True,
        status: int = 3,
    ) -> QualifiedRecords:
        """Qualify a lead with the service's own ``QualifyLead`` action, which creates the
        account, contact and opportunity from it as Dynamics 365 would and closes the lead.

        The agent's :meth:`~leadqual.QualificationAgent.qualify` does the same through the
        generic :class:`~leadqual.sources.CrmWriter` writes (and checks for duplicates first);
        this is for callers who want the service's own mapping of lead fields.

        Raises:
            RecordNotFound: no such lead.
            CrmWriteError: the service refused (an already qualified lead, a duplicate...).
        """
        if not is_guid(lead_id):
            raise RecordNotFound("lead", lead_id)
        table = self._table("lead")
        answer = self._client.send(
            "POST",
            self._client.url(
                f"{table.entity_set}({lead_id.lower()})/Microsoft.Dynamics.CRM.QualifyLead"
            ),
            action=f"qualifying lead {lead_id}",
            json_body={
                "CreateAccount": create_account,
                "CreateContact": create_contact,
                "CreateOpportunity": create_opportunity,
                "Status": status,
            },
            allow=frozenset({400, 404, 500}),
        )
        if answer.status_code == 404:
            raise RecordNotFound("lead", lead_id)
        if answer.status_code >= 400:
            raise CrmWriteError(
                f"cannot qualify lead {lead_id} (nothing was written): "
                f"{service_error(answer, action='QualifyLead')}"
            )
        created: list[RecordRef] = []
        for item in answer.json_object().get("value", []):
            if not isinstance(item, dict):
                continue
            kind = str(item.get("@odata.type", "")).rpartition(".")[2]
            record_id = item.get(f"{kind}id")
            if kind in ("account", "contact", "opportunity") and isinstance(record_id, str):
                created.append(RecordRef.model_validate({"kind": kind, "id": record_id}))
        return QualifiedRecords(lead_id=lead_id, created=tuple(created))


def table_for(
    record: Any,
    /,
    *,
    mapping: SqlMapping | None = None,
    entity_sets: Mapping[str, str] | None = None,
) -> WebTable:
    """The table that holds ``record`` under ``mapping`` (default :meth:`SqlMapping.dataverse`)."""
    tables = web_tables(mapping if mapping is not None else SqlMapping.dataverse(), entity_sets)
    kinds: dict[type, str] = {Lead: "lead", Account: "account", Contact: "contact",
                               Opportunity: "opportunity", Note: "note", Seller: "seller"}  # fmt: skip
    kind = kinds.get(type(record), "activity")
    for table in tables[kind]:
        if kind != "activity" or table.activity_kind == getattr(record, "kind", None):
            return table
    raise ConfigurationError(f"the mapping has no table for {type(record).__name__} records")


def record_body(
    record: Any, /, *, mapping: SqlMapping | None = None, server_columns: bool = False
) -> tuple[str, dict[str, Any]]:
    """The entity set and the Web API JSON body that create ``record`` (what
    :class:`WritableDataverseSource` sends for it).

    With ``server_columns``, the body also holds what the service stamps or computes
    (``createdon``, ``modifiedon``, ``statecode``, ``sender``...) and lookups as their
    ``_x_value`` properties: the row as the service would serve it, for test doubles.

    Examples:
        >>> from datetime import datetime, UTC
        >>> from leadqual.models import Account
        >>> record_body(Account(id="A-1", name="Contoso", industry="Consulting",
        ...                     created_at=datetime(2026, 1, 5, tzinfo=UTC)))
        ('accounts', {'name': 'Contoso', 'industrycode': 7})

    Raises:
        ValidationFailed: a value the table cannot store.
    """
    table = table_for(record, mapping=mapping)
    return table.entity_set, table.encode(record, creating=True, server_columns=server_columns)


def _id_in(link: str) -> str:
    """The GUID in an entity link such as ``…/accounts(7eb6…)``."""
    inside = link.rpartition("(")[2].partition(")")[0]
    if not is_guid(inside):
        raise MalformedResponse(
            f"{PROVIDER}: the OData-EntityId names no record id", provider=PROVIDER
        )
    return inside


def _json(body: Mapping[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"))


def batch_parts(answer: Answer, /) -> list[Answer]:
    """The answers inside a ``$batch`` answer (change sets opened), in order.

    The boundary comes from the answer's ``Content-Type``, else from the body's first line.

    Raises:
        MalformedResponse: a body that is not a multipart batch answer.
    """
    content_type = answer.headers.get("content-type", "")
    if "boundary=" not in content_type:
        first = answer.body.lstrip().split(b"\n", 1)[0].strip()
        if not first.startswith(b"--"):
            if answer.status_code >= 400:
                return []
            raise MalformedResponse(f"{PROVIDER}: a $batch answer without parts", provider=PROVIDER)
        content_type = f"multipart/mixed; boundary={first[2:].decode('ascii', 'replace')}"
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + answer.body)
    if not message.is_multipart():
        raise MalformedResponse(f"{PROVIDER}: a $batch answer without parts", provider=PROVIDER)
    out: list[Answer] = []
    for part in message.walk():
        if part.get_content_type() != "application/http":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        out.append(_http_message(payload, answer.url))
    return out


def _http_message(raw: bytes, url: str) -> Answer:
    text = raw.replace(b"\r\n", b"\n")
    head, _, body = text.partition(b"\n\n")
    lines = head.decode("utf-8", "replace").split("\n")
    status_line = lines[0].split(" ", 2)
    try:
        status = int(status_line[1])
    except (IndexError, ValueError):
        raise MalformedResponse(
            f"{PROVIDER}: a $batch part without a status line", provider=PROVIDER
        ) from None
    pairs = [line.split(":", 1) for line in lines[1:] if ":" in line]
    headers = httpx.Headers([(name.strip(), value.strip()) for name, value in pairs])
    return Answer(status, headers, body.strip(), url)
