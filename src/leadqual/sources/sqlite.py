"""A CRM kept in a SQLite file: a durable :class:`CrmSource` and :class:`CrmWriter` with no server.

Records are stored as validated JSON documents beside the columns the filters need, so the source
reads back exactly what was written and filters in SQL rather than in Python.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from pydantic import TypeAdapter

from leadqual._base import to_utc
from leadqual.errors import ForeignDatabaseError, RecordNotFound, ValidationFailed
from leadqual.models import (
    Account,
    Activity,
    Contact,
    Lead,
    LeadStatus,
    Note,
    Opportunity,
    OpportunityStatus,
    RecordRef,
    Seller,
)
from leadqual.sources._writer import WriterMethods, id_taken
from leadqual.sources.memory import CrmSnapshot

__all__ = ["SqliteSource"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    owner_id TEXT,
    status TEXT,
    account_id TEXT,
    contact_id TEXT,
    lead_id TEXT,
    regarding_kind TEXT,
    regarding_id TEXT,
    created TEXT,
    touched TEXT,
    doc TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS records_owner ON records (kind, owner_id);
CREATE INDEX IF NOT EXISTS records_account ON records (kind, account_id);
CREATE INDEX IF NOT EXISTS records_regarding ON records (kind, regarding_kind, regarding_id);
"""

_ACTIVITY: TypeAdapter[Activity] = TypeAdapter(Activity)
_COLUMNS = (
    "kind", "id", "owner_id", "status", "account_id", "contact_id", "lead_id", "regarding_kind",
    "regarding_id", "created", "touched", "doc",
)  # fmt: skip
"""The columns of the ``records`` table, in order: how a file this source wrote is recognised."""


def _check_own(db: sqlite3.Connection, path: str) -> None:
    """Refuse a database holding anything but this source's own ``records`` table, before any
    write: the source would otherwise add its table to someone else's file and see nothing."""
    try:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
            )
        ]
        columns = tuple(row[1] for row in db.execute("PRAGMA table_info(records)"))
    except sqlite3.DatabaseError as err:
        raise ForeignDatabaseError(
            f"{path} is not a SQLite database SqliteSource can use ({err}); give SqliteSource a "
            "new file, or the path of a file it wrote",
            path=path,
        ) from err
    foreign = [t for t in tables if t != "records"]
    if "records" in tables and columns != _COLUMNS:
        foreign.insert(0, "records")
    if foreign:
        shown = ", ".join(foreign[:10]) + (
            f" and {len(foreign) - 10} more" if len(foreign) > 10 else ""
        )
        raise ForeignDatabaseError(
            f"{path} holds tables SqliteSource did not create ({shown}); SqliteSource keeps its "
            "own records and would not see yours. To read your own tables, use "
            "leadqual.sources.SqlSource with a mapping of their columns; to keep a leadqual CRM, "
            "give SqliteSource a new file. The database was not changed.",
            path=path,
            tables=foreign,
        )


def _ts(value: datetime | None) -> str | None:
    # A fixed-width UTC format sorts lexicographically in time order.
    return None if value is None else to_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _cols(
    table: str,
    record: Any,
    *,
    owner: str | None = None,
    status: str | None = None,
    account: str | None = None,
    contact: str | None = None,
    lead: str | None = None,
    regarding: RecordRef | None = None,
    created: datetime | None = None,
    touched: datetime | None = None,
) -> tuple[Any, ...]:
    return (
        table,
        record.id,
        owner,
        status,
        account,
        contact,
        lead,
        regarding.kind if regarding else None,
        regarding.id if regarding else None,
        _ts(created),
        _ts(touched or created),
        record.model_dump_json(),
    )


def _row(record: Any) -> tuple[Any, ...]:
    if isinstance(record, Lead):
        return _cols("lead", record, owner=record.owner_id, status=record.status.value,
                     account=record.account_id, contact=record.contact_id,
                     created=record.created_at, touched=record.modified_at)  # fmt: skip
    if isinstance(record, Contact):
        return _cols("contact", record, owner=record.owner_id, account=record.account_id,
                     lead=record.originating_lead_id, created=record.created_at,
                     touched=record.modified_at)  # fmt: skip
    if isinstance(record, Account):
        return _cols("account", record, owner=record.owner_id, lead=record.originating_lead_id,
                     created=record.created_at, touched=record.modified_at)  # fmt: skip
    if isinstance(record, Opportunity):
        return _cols("opportunity", record, owner=record.owner_id, status=record.status.value,
                     account=record.account_id, contact=record.contact_id,
                     lead=record.originating_lead_id, created=record.created_at,
                     touched=record.modified_at)  # fmt: skip
    if isinstance(record, Note):
        return _cols("note", record, owner=record.author_id, regarding=record.regarding,
                     created=record.created_at)  # fmt: skip
    if isinstance(record, Seller):
        return _cols("seller", record)
    if getattr(record, "kind", None) in ("email", "chat", "appointment", "phone_call", "task"):
        return _cols("activity", record, owner=record.owner_id, regarding=record.regarding,
                     created=record.occurred_at)  # fmt: skip
    raise ValidationFailed(f"cannot store a {type(record).__name__} in a CRM source")


class SqliteSource(WriterMethods):
    """A CRM in a SQLite database file (or in memory with ``":memory:"``).

    Implements :class:`~leadqual.sources.CrmSource` and :class:`~leadqual.sources.CrmWriter` with
    the same behaviour as :class:`~leadqual.sources.MemorySource`; records survive the process.
    Not safe to share one instance between threads; open one per thread.

    The file is the source's own: a new file, or one it wrote. A database holding other tables is
    refused unchanged (to read your own tables, use :class:`~leadqual.sources.SqlSource`).

    Raises:
        ForeignDatabaseError: the file holds tables this source did not create, or is not a
            SQLite database.

    Examples:
        >>> from datetime import datetime, UTC
        >>> src = SqliteSource(":memory:")
        >>> src.add(Lead(id="L-1", last_name="Ng", created_at=datetime(2026, 1, 1, tzinfo=UTC)))
        >>> src.get_lead("L-1").last_name
        'Ng'
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path)
        try:
            _check_own(self._db, self.path)
        except BaseException:
            self._db.close()
            raise
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._db:
            yield self._db

    # -- loading ------------------------------------------------------------------------------

    def add(self, *records: Any) -> None:
        """Add or replace records of any kind in one transaction."""
        rows = [_row(r) for r in records]
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)

    def import_snapshot(self, snapshot: CrmSnapshot, /) -> None:
        """Add every record of a snapshot (e.g. ``load_sample_data().crm``)."""
        self.add(
            *snapshot.sellers,
            *snapshot.accounts,
            *snapshot.contacts,
            *snapshot.leads,
            *snapshot.opportunities,
            *snapshot.activities,
            *snapshot.notes,
        )

    @classmethod
    def from_snapshot(cls, snapshot: CrmSnapshot, path: str | Path = ":memory:") -> SqliteSource:
        """A source at ``path`` holding the records of ``snapshot``."""
        src = cls(path)
        src.import_snapshot(snapshot)
        return src

    # -- queries ------------------------------------------------------------------------------

    def _docs(self, where: str, params: Iterable[Any], order: str = "created, id") -> list[str]:
        sql = f"SELECT doc FROM records WHERE {where} ORDER BY {order}"
        return [doc for (doc,) in self._db.execute(sql, tuple(params))]

    def _one(self, kind: str, record_id: str) -> str:
        row = self._db.execute(
            "SELECT doc FROM records WHERE kind = ? AND id = ?", (kind, record_id)
        ).fetchone()
        if row is None:
            raise RecordNotFound(kind, record_id)
        return str(row[0])

    @staticmethod
    def _filters(**conditions: Any) -> tuple[str, list[Any]]:
        clauses, params = [], []
        for column, value in conditions.items():
            if value is None:
                continue
            if column == "touched":
                clauses.append("touched >= ?")
                params.append(_ts(value))
            else:
                clauses.append(f"{column} = ?")
                params.append(value)
        return (" AND ".join(clauses) or "1"), params

    def get_lead(self, lead_id: str, /) -> Lead:
        """The lead with this id."""
        return Lead.model_validate_json(self._one("lead", lead_id))

    def get_contact(self, contact_id: str, /) -> Contact:
        """The contact with this id."""
        return Contact.model_validate_json(self._one("contact", contact_id))

    def get_account(self, account_id: str, /) -> Account:
        """The account with this id."""
        return Account.model_validate_json(self._one("account", account_id))

    def get_opportunity(self, opportunity_id: str, /) -> Opportunity:
        """The opportunity with this id."""
        return Opportunity.model_validate_json(self._one("opportunity", opportunity_id))

    def get_seller(self, seller_id: str, /) -> Seller:
        """The seller with this id."""
        return Seller.model_validate_json(self._one("seller", seller_id))

    def leads(
        self,
        *,
        owner_id: str | None = None,
        status: LeadStatus | None = None,
        modified_since: datetime | None = None,
    ) -> Sequence[Lead]:
        """Leads, filtered by owner, status and last modification."""
        where, params = self._filters(
            kind="lead",
            owner_id=owner_id,
            status=LeadStatus(status).value if status is not None else None,
            touched=modified_since,
        )
        return [Lead.model_validate_json(d) for d in self._docs(where, params)]

    def contacts(
        self, *, account_id: str | None = None, modified_since: datetime | None = None
    ) -> Sequence[Contact]:
        """Contacts, optionally those of one account."""
        where, params = self._filters(kind="contact", account_id=account_id, touched=modified_since)
        return [Contact.model_validate_json(d) for d in self._docs(where, params)]

    def accounts(self, *, modified_since: datetime | None = None) -> Sequence[Account]:
        """Accounts."""
        where, params = self._filters(kind="account", touched=modified_since)
        return [Account.model_validate_json(d) for d in self._docs(where, params)]

    def opportunities(
        self,
        *,
        account_id: str | None = None,
        contact_id: str | None = None,
        lead_id: str | None = None,
        status: OpportunityStatus | None = None,
    ) -> Sequence[Opportunity]:
        """Opportunities of an account, a contact, or originating from a lead."""
        where, params = self._filters(
            kind="opportunity",
            account_id=account_id,
            contact_id=contact_id,
            lead_id=lead_id,
            status=OpportunityStatus(status).value if status is not None else None,
        )
        return [Opportunity.model_validate_json(d) for d in self._docs(where, params)]

    def activities(
        self, *, regarding: RecordRef | None = None, since: datetime | None = None
    ) -> Sequence[Activity]:
        """Activities regarding a record, oldest first."""
        where, params = self._filters(
            kind="activity",
            regarding_kind=regarding.kind if regarding else None,
            regarding_id=regarding.id if regarding else None,
            touched=since,
        )
        return [_ACTIVITY.validate_json(d) for d in self._docs(where, params)]

    def notes(self, *, regarding: RecordRef | None = None) -> Sequence[Note]:
        """Notes regarding a record, oldest first."""
        where, params = self._filters(
            kind="note",
            regarding_kind=regarding.kind if regarding else None,
            regarding_id=regarding.id if regarding else None,
        )
        return [Note.model_validate_json(d) for d in self._docs(where, params)]

    def sellers(self) -> Sequence[Seller]:
        """Every seller, by id."""
        return [Seller.model_validate_json(d) for d in self._docs("kind = 'seller'", (), "id")]

    # -- CrmWriter (its methods come from WriterMethods) ---------------------------------------

    def _insert(self, kind: str, record: Account | Contact | Opportunity) -> None:
        try:
            with self._tx() as db:
                db.execute("INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", _row(record))
        except sqlite3.IntegrityError:
            raise id_taken(kind, record.id) from None
