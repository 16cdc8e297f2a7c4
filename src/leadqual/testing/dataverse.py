"""An in-memory Dataverse Web API for tests: :class:`FakeDataverse`, served through
``httpx.MockTransport``.

It answers in the shapes the service documents and the recorded responses show (compact JSON,
``@odata.context``, ``@odata.etag``, ``@odata.nextLink`` with the service's ``$skiptoken``
paging cookie, ``Preference-Applied``, the ``x-ms-ratelimit-*`` headers, the
``{"error": {"code", "message"}}`` envelope, ``@odata.deltaLink`` and ``$deletedEntity`` rows,
``multipart/mixed`` ``$batch`` answers), and enforces what the service enforces and a connector
gets wrong most often: a ``$select``, ``$filter`` or ``$orderby`` naming a column the table does
not have is refused, change tracking refuses ``$filter``/``$orderby``/``$expand``/``$top``, a
page is never larger than 5000 rows, a token it did not issue (or one expired) gets a 401, and a
``PATCH`` with ``If-Match: *`` never creates a row.

Faults are injected with :meth:`FakeDataverse.throttle` (HTTP 429 with ``Retry-After`` and the
service's throttling body), :meth:`FakeDataverse.expire_tokens`, and
:meth:`FakeDataverse.interpose` (any answer to any request, e.g. a nextLink to another host).

Examples:
    >>> server = FakeDataverse()
    >>> a = server.add("account", {"name": "Contoso", "createdon": "2026-01-05T09:30:00Z"})
    >>> with server.source() as crm:
    ...     print(crm.get_account(a).name, crm.stats.requests)
    Contoso 1
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import quote

import httpx

from leadqual.errors import ConfigurationError
from leadqual.models import RecordRef
from leadqual.sources.dataverse import (
    AccessToken,
    DataverseSource,
    WritableDataverseSource,
    record_body,
)
from leadqual.sources.memory import CrmSnapshot
from leadqual.sources.sql_mapping import SqlMapping

__all__ = ["FakeDataverse", "FakeTokens", "with_guid_ids"]

ORG_URL = "https://contoso.crm.dynamics.com"
"""The organisation a fake serves unless told otherwise."""

_SETS = {
    "leads": "lead", "accounts": "account", "contacts": "contact",
    "opportunities": "opportunity", "emails": "email", "phonecalls": "phonecall",
    "appointments": "appointment", "tasks": "task", "annotations": "annotation",
    "systemusers": "systemuser", "campaigns": "campaign", "teams": "team", "roles": "role",
}  # fmt: skip
_ENTITY_SET = {logical: name for name, logical in _SETS.items()}
_KEYS = {
    "lead": "leadid", "account": "accountid", "contact": "contactid",
    "opportunity": "opportunityid", "email": "activityid", "phonecall": "activityid",
    "appointment": "activityid", "task": "activityid", "annotation": "annotationid",
    "systemuser": "systemuserid", "role": "roleid",
}  # fmt: skip
_LOOKUPS = frozenset({
    "ownerid", "owninguser", "parentaccountid", "parentcontactid", "campaignid",
    "parentcustomerid", "customerid", "primarycontactid", "originatingleadid",
    "regardingobjectid", "objectid", "createdby", "transactioncurrencyid",
    "qualifyingopportunityid",
})  # fmt: skip
_EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "lead": ("qualificationcomments", "fullname", "_customerid_value",
             "_qualifyingopportunityid_value"),
    "opportunity": ("_customerid_value",),
    "account": ("accountnumber", "fax"),
}  # fmt: skip
"""Columns the tables have besides those leadqual maps (a few, for tests that write them)."""
_SINGLE_NAVS: dict[tuple[str, str], tuple[str, str]] = {
    ("lead", "parentaccountid"): ("account", "_parentaccountid_value"),
    ("lead", "parentcontactid"): ("contact", "_parentcontactid_value"),
    ("lead", "owninguser"): ("systemuser", "_ownerid_value"),
    ("account", "primarycontactid"): ("contact", "_primarycontactid_value"),
}
"""(table, single-valued navigation property) -> (table it reaches, the lookup it follows)."""
_COLLECTION_NAVS: dict[tuple[str, str], tuple[str, str]] = {
    ("lead", "Lead_Emails"): ("email", "_regardingobjectid_value"),
    ("lead", "Lead_Phonecalls"): ("phonecall", "_regardingobjectid_value"),
    ("lead", "Lead_Appointments"): ("appointment", "_regardingobjectid_value"),
    ("lead", "Lead_Tasks"): ("task", "_regardingobjectid_value"),
    ("lead", "Lead_Annotation"): ("annotation", "_objectid_value"),
    ("lead", "opportunity_originating_lead"): ("opportunity", "_originatingleadid_value"),
}
"""(table, collection-valued navigation property) -> (table it lists, the lookup pointing back)."""
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_PATH = re.compile(rf"^(\w+)(?:\(({_GUID})\))?(?:/Microsoft\.Dynamics\.CRM\.(\w+))?$")
_PAGE = re.compile(r'pagenumber="(\d+)"')
_MAX_PAGE = 5000
_FORMATTED = "@OData.Community.Display.V1.FormattedValue"
_LOGICAL = "@Microsoft.Dynamics.CRM.lookuplogicalname"
_THROTTLED = {
    "error": {
        "code": "0x80072322",
        "message": "Number of requests exceeded the limit of 8000 over time window of 300 seconds.",
    }
}
"""The recorded body of a throttled request (``error_429_0x80072322_observed.json``)."""


class _Refused(Exception):
    """An error answer of the fake, raised inside the handler."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class FakeTokens:
    """The token provider of a :class:`FakeDataverse`: tokens ``fake-token-1``, ``-2``... each
    valid until the fake's :meth:`~FakeDataverse.expire_tokens` (or ``lifetime`` seconds)."""

    def __init__(self, server: FakeDataverse, *, lifetime: int = 3600) -> None:
        self._server = server
        self.lifetime = lifetime
        self.issued: list[str] = []
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """A new token the fake accepts."""
        token = f"fake-token-{len(self.issued) + 1}"
        self.issued.append(token)
        self.scopes.append(scopes)
        self._server.valid_tokens.add(token)
        expires = int(self._server.clock()) + self.lifetime
        return AccessToken(token, expires)


def _columns() -> dict[str, set[str]]:
    """Table -> the properties it serves: those the Dataverse preset maps, plus a few."""
    out: dict[str, set[str]] = {}
    mapping = SqlMapping.dataverse()
    for spec in mapping.tables():
        cols = out.setdefault(spec.table, set())
        for target in spec.columns:
            for column in spec.column_names(target):
                if column in ("regardingobjecttypecode", "objecttypecode"):
                    continue
                cols.add(f"_{column}_value" if column in _LOOKUPS else column)
    for table, extra in _EXTRA_COLUMNS.items():
        out.setdefault(table, set()).update(extra)
    out.setdefault("role", set()).add("name")
    for table, key in _KEYS.items():
        out.setdefault(table, set()).update({key, "versionnumber"})
    return out


def _labels() -> dict[tuple[str, str], dict[int, str]]:
    """(table, column) -> {code: label}: the FormattedValue of each choice the preset knows."""
    out: dict[tuple[str, str], dict[int, str]] = {}
    for spec in SqlMapping.dataverse().tables():
        for target, values in spec.values.items():
            column = spec.column_names(target)[0]
            labels = {
                int(code): str(label)[:1].upper() + str(label)[1:]
                for code, label in values.items()
                if isinstance(code, int) and not isinstance(code, bool) and label is not None
            }
            if labels:
                out[(spec.table, column)] = labels
    return out


class FakeDataverse:
    """A Dataverse environment in memory, answering Web API requests through
    ``httpx.MockTransport``.

    Rows are kept as the service serves them: logical column names, lookups as
    ``_<column>_value`` with their ``lookuplogicalname`` annotation, choices as codes, times as
    ISO strings. Add rows with :meth:`add` (or load records with :meth:`from_snapshot`), then
    read them through :meth:`source`.

    Args:
        org_url: the organisation's URL.
        api_version: the Web API version served.
        now: the server's clock (stamps ``createdon`` and ``modifiedon`` of writes).

    Attributes:
        tables: table logical name -> {id: row}.
        requests: every request received, in order.
        labels: (table, column) -> {code: label}: the FormattedValue of choices (add an option
            the organisation defined to see how a source reads a code leadqual does not know).
        sleeps: the waits a source built by :meth:`source` asked for (it does not really wait).
    """

    def __init__(
        self,
        *,
        org_url: str = ORG_URL,
        api_version: str = "v9.2",
        now: datetime | None = None,
    ) -> None:
        self.org_url = org_url.rstrip("/")
        self.api = f"{self.org_url}/api/data/{api_version}/"
        self._prefix = f"/api/data/{api_version}/"
        self.now = now or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self.tables: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in _KEYS}
        self.columns = _columns()
        self.labels = _labels()
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.valid_tokens: set[str] = set()
        self.tokens = FakeTokens(self)
        self.user_roles: dict[str, list[str]] = {}
        """System user id -> the ids of their security roles (``systemuserroles_association``)."""
        self.version = 1000
        self._deleted: list[tuple[int, str, str]] = []
        self._throttle_every: int | None = None
        self._retry_after = "0"
        self._interposers: list[Callable[[httpx.Request], httpx.Response | None]] = []
        self._lock = threading.Lock()

    # -- set-up -------------------------------------------------------------------------------------

    def clock(self) -> float:
        """The server's clock in Unix seconds (token expiry)."""
        return self.now.timestamp()

    def add(self, table: str, row: Mapping[str, Any], /) -> str:
        """Store a row (logical names, lookups as ``_x_value``) and return its id (a new GUID
        unless the row names one). ``createdon``/``modifiedon`` default to the server's clock,
        ``statecode``/``statuscode`` to 0 and 1 where the table has them."""
        if table not in _KEYS:
            raise ConfigurationError(f"FakeDataverse has no table {table!r}")
        key = _KEYS[table]
        data = dict(row)
        record_id = str(data.get(key) or uuid.uuid4()).lower()
        data[key] = record_id
        stamp = _stamp(self.now)
        data.setdefault("createdon", stamp)
        data.setdefault("modifiedon", data["createdon"])
        if table in ("lead", "opportunity", "account", "contact", "email", "phonecall",
                     "appointment", "task"):  # fmt: skip
            data.setdefault("statecode", 0)
            data.setdefault("statuscode", 1)
        self.columns[table].update(k for k in data if "@" not in k)
        self.columns[table].update({"createdon", "modifiedon"})
        self._bump(data)
        self.tables[table][record_id] = data
        return record_id

    def update(self, table: str, record_id: str, changes: Mapping[str, Any], /) -> None:
        """Change a row (as a CRM user would): ``modifiedon`` moves to the server's clock."""
        row = self.tables[table][record_id.lower()]
        row.update(changes)
        row["modifiedon"] = _stamp(self.now)
        self._bump(row)

    def delete(self, table: str, record_id: str, /) -> None:
        """Delete a row (change tracking reports it as a ``$deletedEntity``)."""
        del self.tables[table][record_id.lower()]
        self.version += 1
        self._deleted.append((self.version, table, record_id.lower()))

    def _bump(self, row: dict[str, Any]) -> None:
        self.version += 1
        row["versionnumber"] = self.version

    @classmethod
    def from_snapshot(cls, snapshot: CrmSnapshot, /, **options: Any) -> FakeDataverse:
        """A fake holding the snapshot's records as the Dataverse preset stores them (ids must be
        GUIDs: :func:`with_guid_ids` rewrites a snapshot's ids). Fields the preset has no column
        for, labels no choice value stands for and chat messages are not kept, as in a real
        environment."""
        if "now" not in options:
            # The server's clock runs after every time in the records, as a real one does.
            options["now"] = max(_times(snapshot), default=datetime(2026, 1, 5, tzinfo=UTC)) + (
                timedelta(days=1)
            )
        server = cls(**options)
        records: Iterable[Any] = (
            *snapshot.sellers, *snapshot.accounts, *snapshot.contacts, *snapshot.leads,
            *snapshot.opportunities, *snapshot.activities, *snapshot.notes,
        )  # fmt: skip
        for record in records:
            if getattr(record, "kind", None) == "chat":
                continue  # Dataverse has no chat table in the preset
            entity_set, body = record_body(record, server_columns=True)
            table = _SETS[entity_set]
            if table == "systemuser":
                server.grant(body.get("systemuserid", ""), *getattr(record, "roles", ()))
            if _KEYS[table] not in body:
                raise ConfigurationError(
                    f"FakeDataverse keeps GUID ids; {type(record).__name__} {record.id!r} is not "
                    "one (with_guid_ids(snapshot) rewrites them)"
                )
            server.add(table, body)
        return server

    def grant(self, user_id: str, /, *roles: str) -> None:
        """Give a system user security roles by name (each role row made once)."""
        by_name = {r["name"]: i for i, r in self.tables["role"].items()}
        for name in roles:
            role_id = by_name.get(name) or self.add("role", {"name": name})
            by_name[name] = role_id
            self.user_roles.setdefault(user_id.lower(), []).append(role_id)

    def throttle(self, *, every: int | None, retry_after: str = "0") -> None:
        """Answer every ``every``-th request with HTTP 429, ``Retry-After: retry_after`` and the
        service's throttling body (``None``: stop)."""
        self._throttle_every = every
        self._retry_after = retry_after

    def expire_tokens(self) -> None:
        """Make every token issued so far invalid: the next request with one gets a 401."""
        self.valid_tokens.clear()

    def interpose(self, answer: Callable[[httpx.Request], httpx.Response | None], /) -> None:
        """Let ``answer`` see each request first; a response it returns is sent instead."""
        self._interposers.append(answer)

    def transport(self) -> httpx.MockTransport:
        """The transport a source is built with."""
        return httpx.MockTransport(self.handle)

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def source(self, **options: Any) -> DataverseSource:
        """A :class:`~leadqual.sources.dataverse.DataverseSource` reading this fake (its token
        provider, transport and a sleep that only records)."""
        options.setdefault("token_provider", self.tokens)
        options.setdefault("transport", self.transport())
        options.setdefault("sleep", self._sleep)
        options.setdefault("clock", self.clock)
        return DataverseSource(self.org_url, **options)

    def writable_source(self, **options: Any) -> WritableDataverseSource:
        """:meth:`source`, writable."""
        options.setdefault("token_provider", self.tokens)
        options.setdefault("transport", self.transport())
        options.setdefault("sleep", self._sleep)
        options.setdefault("clock", self.clock)
        return WritableDataverseSource(self.org_url, writable=True, **options)

    # -- answering ----------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request (the ``httpx.MockTransport`` handler)."""
        with self._lock:
            self.requests.append(request)
            for interposer in self._interposers:
                answer = interposer(request)
                if answer is not None:
                    return answer
            if self._throttle_every and len(self.requests) % self._throttle_every == 0:
                return httpx.Response(
                    429,
                    headers={"Retry-After": self._retry_after, "OData-Version": "4.0",
                             "Content-Type": "application/json; odata.metadata=minimal"},
                    content=_compact(_THROTTLED),
                )  # fmt: skip
            auth = request.headers.get("authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.valid_tokens:
                return httpx.Response(
                    401,
                    headers={
                        "WWW-Authenticate": "Bearer authorization_uri=https://login."
                        f"microsoftonline.com/common/oauth2/authorize, resource_id={self.org_url}/"
                    },
                )
            try:
                return self._route(request)
            except _Refused as err:
                return _error(err.status, err.code, err.message)

    def _route(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if f"{url.scheme}://{url.netloc.decode()}" != self.org_url or not url.path.startswith(
            self._prefix
        ):
            raise _Refused(404, "0x80060888", f"Resource not found for the segment '{url.path}'.")
        rest = url.path[len(self._prefix) :]
        if rest == "$batch" and request.method == "POST":
            return self._batch(request)
        match = _PATH.match(rest)
        table = _SETS.get(match.group(1)) if match else None
        if match is None or table is None or table not in _KEYS:
            segment = rest.split("(")[0]
            raise _Refused(404, "0x80060888", f"Resource not found for the segment '{segment}'.")
        record_id, action = match.group(2), match.group(3)
        record_id = record_id.lower() if record_id else None
        prefer = _preferences(request.headers.get_list("prefer"))
        if action is not None:
            if (
                action == "QualifyLead"
                and table == "lead"
                and record_id
                and request.method == "POST"
            ):
                return self._qualify(record_id, json.loads(request.content or b"{}"))
            raise _Refused(400, "0x80060888", f"Resource not found for the segment '{action}'.")
        if request.method == "GET" and record_id:
            return self._get(table, record_id, url.params, prefer)
        if request.method == "GET":
            return self._list(table, url, prefer)
        if request.method == "POST" and not record_id:
            return self._create(table, _body(request), url.params, prefer)
        if request.method == "PATCH" and record_id:
            return self._patch(
                table, record_id, _body(request), url.params, prefer,
                must_exist=request.headers.get("if-match") == "*",
            )  # fmt: skip
        raise _Refused(405, "", f"The method {request.method} is not allowed here.")

    # -- reading ------------------------------------------------------------------------------------

    def _headers(self, applied: Iterable[str] = ()) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json; odata.metadata=minimal",
            "OData-Version": "4.0",
            "x-ms-ratelimit-burst-remaining-xrm-requests": "5999",
            "x-ms-ratelimit-time-remaining-xrm-requests": "1,200.00",
        }
        applied = list(applied)
        if applied:
            headers["Preference-Applied"] = ",".join(applied)
        return headers

    def _select(self, table: str, params: httpx.QueryParams) -> list[str] | None:
        raw = params.get("$select")
        if raw is None:
            return None
        names = [n.strip() for n in raw.split(",") if n.strip()]
        for name in names:
            if name not in self.columns[table]:
                raise _Refused(
                    400,
                    "0x80060888",
                    f"Could not find a property named '{name}' on type "
                    f"'Microsoft.Dynamics.CRM.{table}'.",
                )
        return names

    def _shape(
        self, table: str, row: Mapping[str, Any], select: list[str] | None, prefer: dict[str, str]
    ) -> dict[str, Any]:
        """A row as the service serves it: etag, annotations before their value, the key."""
        wanted = prefer.get("odata.include-annotations", "")
        formatted = "*" in wanted or "FormattedValue" in wanted
        logical = "*" in wanted or "lookuplogicalname" in wanted
        out: dict[str, Any] = {"@odata.etag": f'W/"{row.get("versionnumber", 0)}"'}
        names = select if select is not None else [k for k in row if "@" not in k]
        key = _KEYS[table]
        for name in names:
            value = row.get(name)
            labels = self.labels.get((table, name))
            if formatted and labels is not None and isinstance(value, int):
                label = labels.get(value)
                if label is not None:
                    out[f"{name}{_FORMATTED}"] = label
            if logical and name.endswith("_value") and row.get(f"{name}{_LOGICAL}"):
                out[f"{name}{_LOGICAL}"] = row[f"{name}{_LOGICAL}"]
            out[name] = value
        out[key] = row[key]
        return out

    def _context(self, table: str, select: list[str] | None, suffix: str = "") -> str:
        columns = f"({','.join(select)})" if select else ""
        return f"{self.api}$metadata#{_ENTITY_SET[table]}{columns}{suffix}"

    def _get(
        self, table: str, record_id: str, params: httpx.QueryParams, prefer: dict[str, str]
    ) -> httpx.Response:
        select = self._select(table, params)
        row = self.tables[table].get(record_id)
        if row is None:
            # The shape of the recorded 404 (error_404_upsert_if_match_star.json), with the code
            # the service documents for a row that does not exist.
            raise _Refused(404, "0x80040217", f"{table} With Id = {record_id} Does Not Exist")
        body = {"@odata.context": self._context(table, select, "/$entity")}
        body.update(self._shape(table, row, select, prefer))
        if params.get("$expand"):
            self._expand(table, row, body, params["$expand"], prefer)
        applied = [k for k in ("odata.include-annotations",) if k in prefer]
        return httpx.Response(200, headers=self._headers(_applied(prefer, applied)),
                              content=_compact(body))  # fmt: skip

    def _list(self, table: str, url: httpx.URL, prefer: dict[str, str]) -> httpx.Response:
        params = url.params
        select = self._select(table, params)
        tracking = "odata.track-changes" in prefer or "$deltatoken" in params
        if tracking:
            for option in ("$filter", "$orderby", "$expand", "$top"):
                if option in params:
                    raise _Refused(
                        400, "", f"The query option {option} is not supported with change tracking."
                    )
        size = min(int(prefer.get("odata.maxpagesize", _MAX_PAGE) or _MAX_PAGE), _MAX_PAGE)
        if tracking:
            rows, deleted = self._changed(table, params.get("$deltatoken"))
        else:
            rows = list(self.tables[table].values())
            if "$filter" in params:
                keep = _parse_filter(params["$filter"], self.columns[table], table)
                rows = [r for r in rows if keep(r)]
            if "$orderby" in params:
                rows = _ordered(rows, params["$orderby"], self.columns[table], table)
            deleted = []
        everything: list[Any] = [*rows, *deleted]
        page = 1
        token = params.get("$skiptoken")
        if token is not None:
            found = _PAGE.search(token)
            if found is None:
                raise _Refused(400, "", "The $skiptoken is not valid.")
            page = int(found.group(1))
        start = (page - 1) * size
        chunk = everything[start : start + size]
        suffix = "/$delta" if params.get("$deltatoken") else ""
        body: dict[str, Any] = {"@odata.context": self._context(table, select, suffix)}
        more = start + size < len(everything)
        if tracking and not more:
            stamp = self.now.strftime("%m/%d/%Y %H:%M:%S")
            query = [(k, v) for k, v in params.multi_items() if k not in ("$skiptoken",
                                                                           "$deltatoken")]  # fmt: skip
            query.append(("$deltatoken", f"{self.version}!{stamp}"))
            body["@odata.deltaLink"] = _link(self.api + _ENTITY_SET[table], query)
        values = []
        for item in chunk:
            if isinstance(item, tuple):
                values.append({
                    "@odata.context": f"{self.api}$metadata#{_ENTITY_SET[table]}/$deletedEntity",
                    "id": item[1], "reason": "deleted",
                })  # fmt: skip
                continue
            shaped = self._shape(table, item, select, prefer)
            if "$expand" in params:
                self._expand(table, item, shaped, params["$expand"], prefer)
            values.append(shaped)
        body["value"] = values
        if more:
            last = chunk[-1]
            last_id = last[1] if isinstance(last, tuple) else last[_KEYS[table]]
            query = [(k, v) for k, v in params.multi_items() if k != "$skiptoken"]
            query.append(("$skiptoken", _skiptoken(page + 1, page, _KEYS[table], last_id,
                                                   _first_id(chunk, table))))  # fmt: skip
            body["@odata.nextLink"] = _link(self.api + _ENTITY_SET[table], query)
        applied = [f"odata.maxpagesize={size}"] if "odata.maxpagesize" in prefer else []
        applied += _applied(prefer, ["odata.include-annotations", "odata.track-changes"])
        return httpx.Response(200, headers=self._headers(applied), content=_compact(body))

    def _changed(
        self, table: str, token: str | None
    ) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
        if token is None:
            rows = sorted(self.tables[table].values(), key=lambda r: r.get("versionnumber", 0))
            return rows, []
        head = token.split("!", 1)[0]
        if not head.isdigit():
            raise _Refused(400, "", "The delta token is not valid.")
        since = int(head)
        rows = sorted(
            (r for r in self.tables[table].values() if r.get("versionnumber", 0) > since),
            key=lambda r: r.get("versionnumber", 0),
        )
        gone = [(v, rid) for v, t, rid in self._deleted if t == table and v > since]
        return rows, gone

    def _expand(
        self,
        table: str,
        row: Mapping[str, Any],
        out: dict[str, Any],
        expand: str,
        prefer: dict[str, str],
    ) -> None:
        for item in _split_top(expand):
            nav, _, inner = item.partition("(")
            nav = nav.strip()
            options = _expand_options(inner) if inner else None
            if (table, nav) in _SINGLE_NAVS:
                target, lookup = _SINGLE_NAVS[(table, nav)]
                select = self._select(target, options) if options else None
                linked = self.tables[target].get(str(row.get(lookup) or "").lower())
                out[nav] = self._shape(target, linked, select, prefer) if linked else None
                if linked and options is not None and options.get("$expand"):
                    self._expand(target, linked, out[nav], options["$expand"], prefer)
            elif (table, nav) == ("systemuser", "systemuserroles_association"):
                select = self._select("role", options) if options else None
                roles = self.user_roles.get(row[_KEYS[table]], [])
                out[nav] = [self._shape("role", self.tables["role"][r], select, prefer)
                            for r in roles if r in self.tables["role"]]  # fmt: skip
            elif (table, nav) in _COLLECTION_NAVS:
                target, lookup = _COLLECTION_NAVS[(table, nav)]
                select = self._select(target, options) if options else None
                key = row[_KEYS[table]]
                related = [r for r in self.tables[target].values()
                           if str(r.get(lookup) or "").lower() == key]  # fmt: skip
                out[nav] = [self._shape(target, r, select, prefer) for r in related[:_MAX_PAGE]]
                if len(related) > _MAX_PAGE:
                    query = [("$select", ",".join(select or [])),
                             ("$filter", f"{lookup} eq {key}"),
                             ("$skiptoken", _skiptoken(2, 1, _KEYS[target], "", ""))]  # fmt: skip
                    out[f"{nav}@odata.nextLink"] = _link(self.api + _ENTITY_SET[target], query)
            else:
                raise _Refused(
                    400,
                    "0x80060888",
                    f"Could not find a property named '{nav}' on type "
                    f"'Microsoft.Dynamics.CRM.{table}'.",
                )

    # -- writing ------------------------------------------------------------------------------------

    def _apply(
        self, tables: dict[str, dict[str, dict[str, Any]]], table: str, row: dict[str, Any],
        body: Mapping[str, Any],
    ) -> None:  # fmt: skip
        """Set ``body``'s columns and bindings on ``row``."""
        for name, value in body.items():
            if name.endswith("@odata.bind"):
                column, target = self._bound(table, name[: -len("@odata.bind")], value)
                row[f"_{column}_value"] = target[1] if target else None
                row[f"_{column}_value{_LOGICAL}"] = target[0] if target else None
                if target and target[1] not in tables.get(target[0], {}) and target[0] in tables:
                    raise _Refused(
                        404, "0x80040217", f"{target[0]} With Id = {target[1]} Does Not Exist"
                    )
                continue
            if name not in self.columns[table] or name.startswith("_"):
                raise _Refused(
                    400,
                    "0x80060888",
                    f"The property '{name}' does not exist on type "
                    f"'Microsoft.Dynamics.CRM.{table}'. Make sure to only use property names "
                    "that are defined by the type.",
                )
            if name in ("createdon", "modifiedon", "versionnumber"):
                continue  # the service stamps these
            row[name] = value

    def _bound(self, table: str, nav: str, value: Any) -> tuple[str, tuple[str, str] | None]:
        """The lookup column a navigation property sets, and the (table, id) it points to."""
        target: tuple[str, str] | None = None
        if value is not None:
            found = re.fullmatch(rf"(?:.*/)?(\w+)\(({_GUID})\)", str(value))
            if found is None or found.group(1) not in _SETS:
                raise _Refused(400, "", f"The value of '{nav}@odata.bind' is not a record link.")
            target = (_SETS[found.group(1)], found.group(2).lower())
        kinds = [target[0]] if target else list(_KEYS)
        options = [nav]
        for kind in kinds:
            options += [nav.removesuffix(f"_{kind}_{table}"), nav.removesuffix(f"_{kind}")]
        for column in options:
            if f"_{column}_value" in self.columns[table]:
                return column, target
        raise _Refused(
            400,
            "0x80060888",
            f"An undeclared property '{nav}' which only has property annotations in the payload "
            "but no property value was found in the payload.",
        )

    def _create(
        self, table: str, body: Mapping[str, Any], params: httpx.QueryParams, prefer: dict[str, str]
    ) -> httpx.Response:
        select = self._select(table, params)
        key = _KEYS[table]
        record_id = str(body.get(key) or uuid.uuid4()).lower()
        if record_id in self.tables[table]:
            # DuplicateRecord is documented as a 412; the code is the service's for it.
            raise _Refused(412, "0x80040237", "A record with matching key values already exists.")
        row: dict[str, Any] = {key: record_id}
        if table in ("lead", "opportunity", "account", "contact"):
            row.update(statecode=0, statuscode=1)
        self._apply(self.tables, table, row, {k: v for k, v in body.items() if k != key})
        row["createdon"] = row["modifiedon"] = _stamp(self.now)
        self._bump(row)
        self.tables[table][record_id] = row
        entity = f"{self.api}{_ENTITY_SET[table]}({record_id})"
        if prefer.get("return") == "representation":
            shaped = {"@odata.context": self._context(table, None, "/$entity")}
            shaped.update(self._shape(table, row, select, prefer))
            return httpx.Response(201, headers=self._headers(["return=representation"]),
                                  content=_compact(shaped))  # fmt: skip
        return httpx.Response(204, headers={"OData-Version": "4.0", "OData-EntityId": entity})

    def _patch(
        self,
        table: str,
        record_id: str,
        body: Mapping[str, Any],
        params: httpx.QueryParams,
        prefer: dict[str, str],
        *,
        must_exist: bool,
    ) -> httpx.Response:
        select = self._select(table, params)
        row = self.tables[table].get(record_id)
        if row is None:
            if must_exist:
                raise _Refused(404, "", f"{table} With Id = {record_id} Does Not Exist")
            return self._create(table, {**body, _KEYS[table]: record_id}, params, prefer)
        changed = copy.deepcopy(row)
        self._apply(self.tables, table, changed, body)
        changed["modifiedon"] = _stamp(self.now)
        self._bump(changed)
        self.tables[table][record_id] = changed
        if prefer.get("return") == "representation":
            shaped = {"@odata.context": self._context(table, None, "/$entity")}
            shaped.update(self._shape(table, changed, select, prefer))
            return httpx.Response(200, headers=self._headers(["return=representation"]),
                                  content=_compact(shaped))  # fmt: skip
        entity = f"{self.api}{_ENTITY_SET[table]}({record_id})"
        return httpx.Response(204, headers={"OData-Version": "4.0", "OData-EntityId": entity})

    def _batch(self, request: httpx.Request) -> httpx.Response:
        content_type = request.headers.get("content-type", "")
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + request.content)
        if not message.is_multipart():
            raise _Refused(400, "", "The batch request is not multipart.")
        before = copy.deepcopy(self.tables)
        version = self.version
        ids: list[str] = []
        try:
            for part in message.walk():
                if part.get_content_type() != "application/http":
                    continue
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                ids.append(str(part.get("Content-ID", "")))
                self._batch_part(payload)
        except _Refused as err:
            self.tables = before  # a change set is applied entirely or not at all
            self.version = version
            boundary = f"batchresponse_{uuid.uuid4()}"
            text = (
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                "Content-Transfer-Encoding: binary\r\n\r\n"
                f"HTTP/1.1 {err.status} Bad Request\r\nContent-Type: application/json; "
                "odata.metadata=minimal\r\nOData-Version: 4.0\r\n\r\n"
                + _compact({"error": {"code": err.code, "message": err.message}}).decode()
                + f"\r\n--{boundary}--\r\n"
            )
            return httpx.Response(
                400,
                headers={"Content-Type": f"multipart/mixed; boundary={boundary}",
                         "OData-Version": "4.0"},
                content=text.encode(),
            )  # fmt: skip
        outer, inner = f"batchresponse_{uuid.uuid4()}", f"changesetresponse_{uuid.uuid4()}"
        lines = [f"--{outer}", f"Content-Type: multipart/mixed; boundary={inner}", ""]
        for content_id in ids:
            lines += [f"--{inner}", "Content-Type: application/http",
                      "Content-Transfer-Encoding: binary", f"Content-ID: {content_id}", "",
                      "HTTP/1.1 204 No Content", "OData-Version: 4.0", ""]  # fmt: skip
        lines += [f"--{inner}--", f"--{outer}--", ""]
        return httpx.Response(
            200,
            headers={"Content-Type": f"multipart/mixed; boundary={outer}", "OData-Version": "4.0"},
            content="\r\n".join(lines).encode(),
        )

    def _batch_part(self, payload: bytes) -> None:
        text = payload.replace(b"\r\n", b"\n")
        head, _, body = text.partition(b"\n\n")
        lines = head.decode().split("\n")
        method, url, _version = lines[0].split(" ", 2)
        headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
        target = httpx.URL(url)
        match = _PATH.match(target.path[len(self._prefix) :])
        if method != "PATCH" or match is None or match.group(2) is None:
            raise _Refused(400, "", f"{method} {target.path} is not supported in a change set.")
        table = _SETS[match.group(1)]
        must_exist = headers.get("If-Match", "").strip() == "*"
        self._patch(table, match.group(2).lower(), json.loads(body or b"{}"), httpx.QueryParams(),
                    {}, must_exist=must_exist)  # fmt: skip

    def _qualify(self, lead_id: str, body: Mapping[str, Any]) -> httpx.Response:
        """QualifyLead, as its reference describes it (no recorded answer exists): the account,
        contact and opportunity made from the lead, the lead closed as qualified."""
        lead = self.tables["lead"].get(lead_id)
        if lead is None:
            raise _Refused(404, "0x80040217", f"lead With Id = {lead_id} Does Not Exist")
        if lead.get("statecode") != 0:
            raise _Refused(400, "", "The lead is closed and cannot be qualified.")
        created: list[dict[str, Any]] = []
        origin = {
            "_originatingleadid_value": lead_id,
            f"_originatingleadid_value{_LOGICAL}": "lead",
        }
        account = contact = None
        if body.get("CreateAccount") and lead.get("companyname"):
            account = self.add("account", {"name": lead["companyname"], **origin})
            created.append({"@odata.type": "#Microsoft.Dynamics.CRM.account", "accountid": account})
        if body.get("CreateContact"):
            parent = ({"_parentcustomerid_value": account,
                       f"_parentcustomerid_value{_LOGICAL}": "account"} if account else {})  # fmt: skip
            contact = self.add("contact", {
                "firstname": lead.get("firstname"), "lastname": lead.get("lastname"),
                "emailaddress1": lead.get("emailaddress1"), **parent, **origin,
            })  # fmt: skip
            created.append({"@odata.type": "#Microsoft.Dynamics.CRM.contact", "contactid": contact})
        if body.get("CreateOpportunity"):
            opportunity = self.add("opportunity", {
                "name": lead.get("subject") or lead.get("companyname") or "Opportunity",
                "_parentaccountid_value": account, "_parentcontactid_value": contact, **origin,
            })  # fmt: skip
            created.append(
                {"@odata.type": "#Microsoft.Dynamics.CRM.opportunity", "opportunityid": opportunity}
            )
            lead["_qualifyingopportunityid_value"] = opportunity
        status = body.get("Status", -1)
        self.update("lead", lead_id, {"statecode": 1, "statuscode": 3 if status == -1 else status})
        answer = {
            "@odata.context": f"{self.api}$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)",
            "value": created,
        }
        return httpx.Response(200, headers=self._headers(), content=_compact(answer))


# -- helpers ----------------------------------------------------------------------------------------


def _times(snapshot: CrmSnapshot) -> Iterator[datetime]:
    records: tuple[Any, ...] = (*snapshot.leads, *snapshot.contacts, *snapshot.accounts,
                                *snapshot.opportunities, *snapshot.notes)  # fmt: skip
    for record in records:
        yield record.created_at
        for name in ("modified_at", "closed_at"):
            value = getattr(record, name, None)
            if value is not None:
                yield value
    for activity in snapshot.activities:
        yield activity.occurred_at


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _compact(data: Any) -> bytes:
    """JSON as the service sends it: compact, on one line."""
    return json.dumps(data, separators=(",", ":")).encode()


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(
        status,
        headers={
            "Content-Type": "application/json; odata.metadata=minimal",
            "OData-Version": "4.0",
        },
        content=_compact({"error": {"code": code, "message": message}}),
    )


def _body(request: httpx.Request) -> dict[str, Any]:
    try:
        data = json.loads(request.content or b"{}")
    except ValueError:
        raise _Refused(400, "", "The request body is not JSON.") from None
    if not isinstance(data, dict):
        raise _Refused(400, "", "The request body is not a JSON object.")
    return data


def _preferences(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        for part in _split_top(value):
            name, _, setting = part.strip().partition("=")
            out[name.strip()] = setting.strip().strip('"')
    return out


def _applied(prefer: Mapping[str, str], names: Iterable[str]) -> list[str]:
    out = []
    for name in names:
        if name in prefer:
            out.append(f'{name}="{prefer[name]}"' if prefer[name] else name)
    return out


def _split_top(text: str) -> list[str]:
    """``text`` split on the commas outside parentheses and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        parts.append("".join(current))
    return [p for p in (p.strip() for p in parts) if p]


_SAFE = ",()='$!"
"""Characters the service leaves unencoded in the links it builds."""


def _expand_options(inner: str) -> httpx.QueryParams:
    """The options of one ``$expand`` item, ``$select=a,b;$expand=x($select=c))`` read without
    its closing parenthesis and split on the semicolons outside parentheses."""
    text = inner[:-1] if inner.endswith(")") else inner
    pairs: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ";" and depth == 0:
            pairs.append("".join(current))
            current = []
        else:
            current.append(char)
    pairs.append("".join(current))
    return httpx.QueryParams(
        [(p.partition("=")[0], p.partition("=")[2]) for p in pairs if "=" in p]
    )


def _link(base: str, query: list[tuple[str, str]]) -> str:
    return base + "?" + "&".join(f"{k}={quote(v, safe=_SAFE)}" for k, v in query)


def _first_id(chunk: list[Any], table: str) -> str:
    first = chunk[0]
    return str(first[1] if isinstance(first, tuple) else first[_KEYS[table]])


def _skiptoken(number: int, page: int, key: str, last: str, first: str) -> str:
    """The service's paging cookie (as in ``contacts_page1_maxpagesize2.json``): the inner
    cookie is URL-encoded twice inside the outer one."""
    inner = (
        f'<cookie page="{page}"><{key} last="{{{last.upper()}}}" first="{{{first.upper()}}}" />'
        "</cookie>"
    )
    return (
        f'<cookie pagenumber="{number}" pagingcookie="{quote(quote(inner))}" istracking="False" />'
    )


# -- $filter and $orderby ---------------------------------------------------------------------------

_TOKEN = re.compile(
    rf"\s*(?:(?P<open>\()|(?P<close>\))|(?P<string>'(?:[^']|'')*')"
    rf"|(?P<date>\d{{4}}-\d{{2}}-\d{{2}}T[0-9:.]+Z)|(?P<guid>{_GUID})"
    r"|(?P<number>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][\w.]*))"
)
_OPS = {"eq", "ne", "gt", "ge", "lt", "le"}


def _value(kind: str, text: str) -> Any:
    if kind == "string":
        return text[1:-1].replace("''", "'")
    if kind == "date":
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    if kind == "guid":
        return text.lower()
    if kind == "number":
        return float(text) if "." in text else int(text)
    return {"null": None, "true": True, "false": False}[text]


def _comparable(value: Any) -> Any:
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}(T|$)", value):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(value, str):
        return value.lower()
    return value


def _compare(left: Any, op: str, right: Any) -> bool:
    if op in ("eq", "ne"):
        same = _comparable(left) == _comparable(right)
        return same if op == "eq" else not same
    if left is None or right is None:
        return False
    a, b = _comparable(left), _comparable(right)
    try:
        return bool({"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op])
    except TypeError:
        return False


def _parse_filter(text: str, columns: set[str], table: str) -> Callable[[Mapping[str, Any]], bool]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            raise _Refused(400, "0x80060888", f"Syntax error at position {position} in '{text}'.")
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        position = found.end()
    at = 0

    def peek() -> tuple[str, str] | None:
        return tokens[at] if at < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal at
        if at >= len(tokens):
            raise _Refused(400, "0x80060888", f"Syntax error: '{text}' ends too early.")
        at += 1
        return tokens[at - 1]

    def disjunction() -> Callable[[Mapping[str, Any]], bool]:
        parts = [conjunction()]
        while peek() == ("name", "or"):
            take()
            parts.append(conjunction())
        return lambda row: any(p(row) for p in parts)

    def conjunction() -> Callable[[Mapping[str, Any]], bool]:
        parts = [unary()]
        while peek() == ("name", "and"):
            take()
            parts.append(unary())
        return lambda row: all(p(row) for p in parts)

    def unary() -> Callable[[Mapping[str, Any]], bool]:
        token = take()
        if token == ("name", "not"):
            inner = unary()
            return lambda row: not inner(row)
        if token[0] == "open":
            inner = disjunction()
            if take()[0] != "close":
                raise _Refused(400, "0x80060888", f"Syntax error: ')' expected in '{text}'.")
            return inner
        if token[0] != "name" or token[1] not in columns:
            raise _Refused(
                400,
                "0x80060888",
                f"Could not find a property named '{token[1]}' on type "
                f"'Microsoft.Dynamics.CRM.{table}'.",
            )
        op = take()
        if op[0] != "name" or op[1] not in _OPS:
            raise _Refused(400, "0x80060888", f"Syntax error: an operator expected in '{text}'.")
        kind, raw = take()
        if kind == "name" and raw not in ("null", "true", "false"):
            raise _Refused(400, "0x80060888", f"Syntax error: a value expected in '{text}'.")
        right = _value(kind, raw)
        name = token[1]
        return lambda row: _compare(row.get(name), op[1], right)

    predicate = disjunction()
    if at != len(tokens):
        raise _Refused(
            400, "0x80060888", f"Syntax error: unexpected '{tokens[at][1]}' in '{text}'."
        )
    return predicate


def _ordered(
    rows: list[dict[str, Any]], orderby: str, columns: set[str], table: str
) -> list[dict[str, Any]]:
    keys = []
    for part in orderby.split(","):
        name, _, direction = part.strip().partition(" ")
        if name not in columns:
            raise _Refused(
                400,
                "0x80060888",
                f"Could not find a property named '{name}' on type "
                f"'Microsoft.Dynamics.CRM.{table}'.",
            )
        keys.append((name, direction.strip() == "desc"))
    out = list(rows)
    for name, descending in reversed(keys):
        # Nulls first ascending, as SQL Server sorts them.
        out.sort(key=functools.partial(_row_key, name), reverse=descending)
    return out


def _row_key(name: str, row: Mapping[str, Any]) -> tuple[int, Any]:
    return _sort_key(row.get(name))


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    converted = _comparable(value)
    if isinstance(converted, datetime):
        return (1, converted.timestamp())
    if isinstance(converted, bool | int | float):
        return (2, float(converted))
    return (3, str(converted))


# -- ids ------------------------------------------------------------------------------------------

_ID_FIELDS: dict[str, str] = {
    "owner_id": "seller", "author_id": "seller", "account_id": "account",
    "parent_account_id": "account", "contact_id": "contact", "primary_contact_id": "contact",
    "originating_lead_id": "lead",
}  # fmt: skip


def with_guid_ids(snapshot: CrmSnapshot, /) -> CrmSnapshot:
    """The snapshot with every id (and every reference to one) replaced by a GUID derived from
    it, so a Dataverse double can hold it; the same id always becomes the same GUID.

    Examples:
        >>> from datetime import datetime, UTC
        >>> from leadqual.models import Lead
        >>> snap = CrmSnapshot(leads=(Lead(id="L-1", created_at=datetime(2026, 1, 1)),))
        >>> with_guid_ids(snap).leads[0].id
        '42f5fc68-2c64-5001-8d15-2985c85d6b39'
    """

    def guid(kind: str, value: str | None) -> str | None:
        if value is None:
            return None
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"leadqual:{kind}:{value}"))

    def rewrite(kind: str, record: Any) -> Any:
        changes: dict[str, Any] = {"id": guid(kind, record.id)}
        for name, target in _ID_FIELDS.items():
            if name in type(record).model_fields and getattr(record, name) is not None:
                changes[name] = guid(target, getattr(record, name))
        regarding = getattr(record, "regarding", None)
        if isinstance(regarding, RecordRef):
            changes["regarding"] = RecordRef(
                kind=regarding.kind, id=guid(regarding.kind, regarding.id) or regarding.id
            )
        return record.model_copy(update=changes)

    return CrmSnapshot(
        leads=tuple(rewrite("lead", r) for r in snapshot.leads),
        contacts=tuple(rewrite("contact", r) for r in snapshot.contacts),
        accounts=tuple(rewrite("account", r) for r in snapshot.accounts),
        opportunities=tuple(rewrite("opportunity", r) for r in snapshot.opportunities),
        activities=tuple(rewrite("activity", r) for r in snapshot.activities),
        notes=tuple(rewrite("note", r) for r in snapshot.notes),
        sellers=tuple(rewrite("seller", r) for r in snapshot.sellers),
    )
