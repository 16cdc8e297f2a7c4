"""A :class:`~leadqual.sources.CrmSource` over existing SQL tables, through SQLAlchemy 2.

The tables are the user's: the source reflects them when it is built, checks the
:class:`~leadqual.sources.SqlMapping` against them, and then only reads (``SELECT``), unless it
is built with ``writable=True``; it never creates or alters a table.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Self, overload

from sqlalchemy import (
    URL,
    Column,
    ColumnElement,
    Connection,
    Engine,
    MetaData,
    Table,
    create_engine,
    false,
    func,
    inspect,
    make_url,
    or_,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy import insert as sql_insert
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.sql import sqltypes
from sqlalchemy.types import NullType

from leadqual._base import to_utc
from leadqual.errors import (
    ConfigurationError,
    CrmWriteError,
    RecordNotFound,
    RowConversionError,
    ValidationFailed,
)
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
from leadqual.sources._records import OCCURRED as _OCCURRED
from leadqual.sources._records import Unreadable as _Unreadable
from leadqual.sources._records import build_record
from leadqual.sources._records import candidates as _candidates_of
from leadqual.sources._records import check_targets as _check_targets
from leadqual.sources._records import close_matches as _close
from leadqual.sources._records import required as _required
from leadqual.sources._records import text as _text
from leadqual.sources._records import value_of as _value_of
from leadqual.sources._writer import InsertCreates, ListsInOrder, ReadByKind, id_taken
from leadqual.sources.base import with_changes, with_status
from leadqual.sources.sql_mapping import SqlMapping, TableMap, normalize_code

__all__ = ["SqlSource", "WritableSqlSource"]

logger = logging.getLogger(__name__)

Kind = Literal["lead", "account", "contact", "opportunity", "activity", "note", "seller"]
_MAPPING_FIELDS: dict[Kind, str] = {
    "lead": "leads", "account": "accounts", "contact": "contacts",
    "opportunity": "opportunities", "activity": "activities", "note": "notes", "seller": "sellers",
}  # fmt: skip
_STAMPS = frozenset({"modified_at", "closed_at", "status_reason"})
"""Lead fields a write may leave unstored when no column holds them."""
_KEEP_ERRORS = 1000
"""How many unreadable rows a source remembers (it counts them all)."""


@dataclass
class _Bound:
    """A mapped table, reflected: its columns for each target."""

    kind: str
    spec: TableMap
    table: Table
    columns: dict[str, tuple[Column[Any], ...]]
    codes: dict[str, dict[str, Any]]
    selected: list[Column[Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.table.schema}.{self.table.name}" if self.table.schema else self.table.name

    def cols(self, target: str) -> tuple[Column[Any], ...]:
        return self.columns.get(target, ())

    def fixed_kind(self) -> str | None:
        value = self.spec.constants.get("kind")
        return str(value) if value is not None else None

    @cached_property
    def column_names(self) -> dict[str, list[str]]:
        """Target -> the names of its columns, for error messages."""
        return {t: [c.name for c in cols] for t, cols in self.columns.items()}


def _candidates(bound: _Bound, target: str, model_value: Any) -> list[Any]:
    """The stored values that read as ``model_value``: the codes that map to it, and itself."""
    return _candidates_of(bound.spec, target, model_value)


# -- the source --------------------------------------------------------------------------------


class SqlSource(ListsInOrder, ReadByKind):
    """A :class:`~leadqual.sources.CrmSource` over existing tables in any database SQLAlchemy
    reaches (SQLite, PostgreSQL, SQL Server...), read through a :class:`SqlMapping`.

    The tables are reflected when the source is built and the mapping is checked against them: a
    mapped table or column that does not exist raises :class:`~leadqual.errors.ConfigurationError`
    naming the close matches. Rows are read in pages (a server-side cursor where the database has
    one), so :meth:`iter_leads` streams a large table. A row that cannot be read as a record (a
    value of the wrong type, an unknown code, an empty required column) is skipped with a warning
    and kept in :attr:`row_errors` (or raised, with ``on_error="raise"``); ``get_lead`` and the
    other look-ups by id always raise it.

    Read-only by default: the source runs only ``SELECT`` statements, and the connections it
    opens itself are read-only (SQLite opens the file with ``mode=ro``, PostgreSQL sessions are
    ``default_transaction_read_only``). With ``writable=True`` it is a
    :class:`WritableSqlSource`, a :class:`~leadqual.sources.CrmWriter` that writes only to
    mapped tables and columns, each write one transaction. It never creates or alters a table.

    Args:
        url: a database URL (``sqlite:///crm.db``, ``postgresql+psycopg://user:pw@host/db``) or
            an :class:`sqlalchemy.Engine` (then used as it is, and not closed by :meth:`close`).
        mapping: which tables and columns to read; default :meth:`SqlMapping.leadqual`.
        writable: allow the :class:`~leadqual.sources.CrmWriter` writes.
        page_size: rows fetched per round trip.
        on_error: ``"skip"`` (default) an unreadable row in a listing, or ``"raise"`` it.
        engine_options: more keyword arguments for :func:`sqlalchemy.create_engine`.

    Raises:
        ConfigurationError: the URL, the driver, the file, a table, a column or a target is wrong.

    Examples:
        >>> import sqlite3, tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "crm.db"
        >>> with sqlite3.connect(path) as db:
        ...     _ = db.execute("CREATE TABLE prospects (no INTEGER, surname TEXT, added TEXT)")
        ...     _ = db.execute("INSERT INTO prospects VALUES (7, 'Ng', '2026-01-05 09:30:00')")
        >>> db.close()
        >>> leads = TableMap(table="prospects",
        ...                  columns={"id": "no", "last_name": "surname", "created_at": "added"})
        >>> with SqlSource(f"sqlite:///{path}", SqlMapping(leads=leads)) as crm:
        ...     print(crm.get_lead("7").last_name, len(crm.leads()))
        Ng 1
    """

    @overload
    def __new__(
        cls,
        url: str | URL | Engine,
        mapping: SqlMapping | None = ...,
        /,
        *,
        writable: Literal[False] = ...,
        page_size: int = ...,
        on_error: Literal["skip", "raise"] = ...,
        engine_options: Mapping[str, Any] | None = ...,
    ) -> SqlSource: ...

    @overload
    def __new__(
        cls,
        url: str | URL | Engine,
        mapping: SqlMapping | None = ...,
        /,
        *,
        writable: Literal[True],
        page_size: int = ...,
        on_error: Literal["skip", "raise"] = ...,
        engine_options: Mapping[str, Any] | None = ...,
    ) -> WritableSqlSource: ...

    @overload
    def __new__(
        cls,
        url: str | URL | Engine,
        mapping: SqlMapping | None = ...,
        /,
        *,
        writable: bool,
        page_size: int = ...,
        on_error: Literal["skip", "raise"] = ...,
        engine_options: Mapping[str, Any] | None = ...,
    ) -> SqlSource: ...

    def __new__(cls, *args: Any, writable: bool = False, **kwargs: Any) -> SqlSource:
        # A writable source is the subclass, so ``isinstance(source, CrmWriter)`` tells the agent
        # truthfully whether it may write.
        chosen = WritableSqlSource if writable and cls is SqlSource else cls
        return object.__new__(chosen)

    def __init__(
        self,
        url: str | URL | Engine,
        mapping: SqlMapping | None = None,
        /,
        *,
        writable: bool = False,
        page_size: int = 1000,
        on_error: Literal["skip", "raise"] = "skip",
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        if page_size < 1:
            raise ConfigurationError(f"page_size must be at least 1, got {page_size}")
        if on_error not in ("skip", "raise"):
            raise ConfigurationError(f"on_error must be 'skip' or 'raise', got {on_error!r}")
        self.mapping = mapping if mapping is not None else SqlMapping.leadqual()
        self.writable = writable
        self.page_size = page_size
        self.on_error = on_error
        self.row_errors: list[RowConversionError] = []
        """The unreadable rows skipped so far (the first 1000), each naming table, id and
        column."""
        self.skipped = 0
        """How many unreadable rows were skipped so far."""
        self._owned = not isinstance(url, Engine)
        self._engine = url if isinstance(url, Engine) else _engine(url, writable, engine_options)
        try:
            self._bound = self._reflect()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Release the connections (an engine passed in is left to its owner)."""
        if self._owned:
            self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- construction: reflect and check ----------------------------------------------------------

    def _reflect(self) -> dict[str, list[_Bound]]:
        bound: dict[str, list[_Bound]] = {kind: [] for kind in _MAPPING_FIELDS}
        try:
            with self._engine.connect() as conn:
                for kind, name in _MAPPING_FIELDS.items():
                    specs = getattr(self.mapping, name)
                    for spec in specs if isinstance(specs, tuple) else (specs,):
                        if spec is None:
                            continue
                        _check_targets(kind, spec)
                        found = self._bind(conn, kind, spec)
                        if found is not None:
                            bound[kind].append(found)
        except SQLAlchemyError as err:
            raise ConfigurationError(f"cannot read the database's tables: {err}") from err
        return bound

    def _bind(self, conn: Connection, kind: str, spec: TableMap) -> _Bound | None:
        schema = spec.schema_name or self.mapping.schema_name
        inspector = inspect(conn)
        names = [*inspector.get_table_names(schema), *inspector.get_view_names(schema)]
        name = _resolve(spec.table, names)
        where = f" in schema {schema!r}" if schema else ""
        if name is None:
            if spec.optional:
                logger.info("no table %r%s: no %s records", spec.table, where, kind)
                return None
            raise ConfigurationError(
                f"no table {spec.table!r}{where} (mapped for {kind} records)"
                + _close(spec.table, names)
            )
        table = Table(name, MetaData(), schema=schema, autoload_with=conn, resolve_fks=False)
        by_name = {c.name: c for c in table.columns}
        columns: dict[str, tuple[Column[Any], ...]] = {}
        required = _required(kind)
        absent: list[str] = []
        for target in spec.columns:
            found = []
            for col in spec.column_names(target):
                actual = _resolve(col, list(by_name))
                if actual is not None:
                    found.append(by_name[actual])
                elif spec.missing_columns == "ignore" and target not in required:
                    absent.append(col)
                else:
                    raise ConfigurationError(
                        f"table {name!r} has no column {col!r} (mapped to {kind} field "
                        f"{target!r})" + _close(col, list(by_name))
                    )
            if found:
                columns[target] = tuple(found)
        if absent:
            logger.info("table %r has no column %s: read as NULL", name, ", ".join(absent))
        codes = {
            target: {normalize_code(code): value for code, value in table_codes.items()}
            for target, table_codes in spec.values.items()
        }
        selected = list({c.name: c for cols in columns.values() for c in cols}.values())
        return _Bound(kind, spec, table, columns, codes, selected)

    # -- reading ----------------------------------------------------------------------------------

    def _rows(
        self, bound: _Bound, where: Sequence[ColumnElement[bool]], order: Sequence[Any]
    ) -> Generator[Mapping[Any, Any]]:
        stmt = _select(bound).where(*where).order_by(*order)
        with self._engine.connect() as conn:
            result = conn.execution_options(yield_per=self.page_size).execute(stmt)
            try:
                for row in result:
                    yield dict(zip(bound.selected, row, strict=True))
            finally:
                # Closed here, not when collected: a server-side cursor holds the connection.
                result.close()

    def _record(self, bound: _Bound, row: Mapping[Any, Any]) -> Any:
        """The record a row holds; :class:`RowConversionError` when it cannot be read."""
        row_id: str | None = None
        id_cols = bound.cols("id")
        if id_cols and row[id_cols[0]] is not None:
            row_id = _text_or_none(row[id_cols[0]])
        raw = {
            target: [row[c] for c in cols if row[c] is not None]
            for target, cols in bound.columns.items()
        }
        return build_record(
            bound.kind,
            bound.spec,
            raw,
            bound.codes,
            label=bound.label,
            row_id=row_id,
            columns=bound.column_names,
        )

    def _iter(
        self,
        kind: str,
        where: Callable[[_Bound], Sequence[ColumnElement[bool]]],
        keep: Callable[[Any], bool],
    ) -> Iterator[Any]:
        for bound in self._bound[kind]:
            for row in self._rows(bound, where(bound), _order(bound)):
                try:
                    record = self._record(bound, row)
                except RowConversionError as err:
                    if self.on_error == "raise":
                        raise
                    self._skip(err)
                    continue
                if keep(record):
                    yield record

    def _skip(self, err: RowConversionError) -> None:
        self.skipped += 1
        if len(self.row_errors) < _KEEP_ERRORS:
            self.row_errors.append(err)
        logger.warning("skipped an unreadable row: %s", err)

    def _get(self, kind: str, record_id: str) -> Any:
        for bound in self._bound[kind]:
            stmt = _select(bound).where(_match(bound, "id", record_id)).limit(1)
            with self._engine.connect() as conn:
                row = conn.execute(stmt).first()
            if row is not None:
                return self._record(bound, dict(zip(bound.selected, row, strict=True)))
        raise RecordNotFound(kind, record_id)

    def iter_leads(
        self,
        *,
        owner_id: str | None = None,
        status: LeadStatus | None = None,
        modified_since: datetime | None = None,
    ) -> Iterator[Lead]:
        """Leads as :meth:`leads` reads them, one at a time: a large table streams."""
        state = LeadStatus(status) if status is not None else None
        since = to_utc(modified_since, "modified_since") if modified_since else None

        def where(b: _Bound) -> list[ColumnElement[bool]]:
            return [
                _match(b, "owner_id", owner_id),
                _match(b, "status", state.value if state else None),
                _since(b, since, self._engine),
            ]

        def keep(lead: Lead) -> bool:
            return (
                (owner_id is None or lead.owner_id == owner_id)
                and (state is None or lead.status is state)
                and (since is None or (lead.modified_at or lead.created_at) >= since)
            )

        return self._iter("lead", where, keep)

    def iter_contacts(
        self, *, account_id: str | None = None, modified_since: datetime | None = None
    ) -> Iterator[Contact]:
        """Contacts as :meth:`contacts` reads them, one at a time."""
        since = to_utc(modified_since, "modified_since") if modified_since else None
        return self._iter(
            "contact",
            lambda b: [_match(b, "account_id", account_id), _since(b, since, self._engine)],
            lambda c: (
                (account_id is None or c.account_id == account_id)
                and (since is None or (c.modified_at or c.created_at) >= since)
            ),
        )

    def iter_accounts(self, *, modified_since: datetime | None = None) -> Iterator[Account]:
        """Accounts as :meth:`accounts` reads them, one at a time."""
        since = to_utc(modified_since, "modified_since") if modified_since else None
        return self._iter(
            "account",
            lambda b: [_since(b, since, self._engine)],
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
        found: Iterable[Opportunity] = self._iter(
            "opportunity",
            lambda b: [
                _match(b, "account_id", account_id),
                _match(b, "contact_id", contact_id),
                _match(b, "originating_lead_id", lead_id),
                _match(b, "status", state.value if state else None),
            ],
            lambda o: (
                (account_id is None or o.account_id == account_id)
                and (contact_id is None or o.contact_id == contact_id)
                and (lead_id is None or o.originating_lead_id == lead_id)
                and (state is None or o.status is state)
            ),
        )
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def activities(
        self, *, regarding: RecordRef | None = None, since: datetime | None = None
    ) -> Sequence[Activity]:
        """Activities regarding a record, oldest first."""
        after = to_utc(since, "since") if since else None
        found: Iterable[Activity] = self._iter(
            "activity",
            lambda b: _regarding(b, regarding),
            lambda a: (
                (regarding is None or a.regarding == regarding)
                and (after is None or a.occurred_at >= after)
            ),
        )
        return sorted(found, key=lambda a: (a.occurred_at, a.id))

    def notes(self, *, regarding: RecordRef | None = None) -> Sequence[Note]:
        """Notes regarding a record, oldest first."""
        found: Iterable[Note] = self._iter(
            "note",
            lambda b: _regarding(b, regarding),
            lambda n: regarding is None or n.regarding == regarding,
        )
        return sorted(found, key=lambda n: (n.created_at, n.id))

    def sellers(self) -> Sequence[Seller]:
        """Every seller, by id."""
        found: Iterable[Seller] = self._iter("seller", lambda b: [], lambda s: True)
        return sorted(found, key=lambda s: s.id)


class WritableSqlSource(InsertCreates, SqlSource):
    """What ``SqlSource(..., writable=True)`` builds: a :class:`SqlSource` that is also a
    :class:`~leadqual.sources.CrmWriter`.

    Writes go only to mapped tables and columns, each in one transaction; a field with no column
    is not stored (a warning names it), and a change the mapping cannot store (a status with no
    column, a value no code stands for) raises :class:`~leadqual.errors.ValidationFailed`
    before anything is written.
    """

    def update_lead_status(
        self,
        lead_id: str,
        /,
        status: LeadStatus,
        *,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> Lead:
        """Set a lead's status; closing stamps ``closed_at``, reopening clears it."""
        before = self.get_lead(lead_id)
        return self._update(before, with_status(before, status, reason=reason, at=at))

    def update_lead(
        self, lead_id: str, changes: Mapping[str, Any], /, *, at: datetime | None = None
    ) -> Lead:
        """Change a lead's fields and links; the id, creation time and status stay."""
        before = self.get_lead(lead_id)
        return self._update(before, with_changes(before, changes, at=at))

    def move_activities(self, source: RecordRef, target: RecordRef, /) -> int:
        """Re-point every activity regarding ``source`` to ``target`` in one transaction."""
        return self._move("activity", source, target)

    def move_notes(self, source: RecordRef, target: RecordRef, /) -> int:
        """Re-point every note regarding ``source`` to ``target`` in one transaction."""
        return self._move("note", source, target)

    # -- the writes -------------------------------------------------------------------------------

    def _table(self, kind: str) -> _Bound:
        if not self._bound[kind]:
            raise ValidationFailed(
                f"no table is mapped for {kind} records: map one to store them", field=kind
            )
        return self._bound[kind][0]

    def _insert(self, kind: str, record: Account | Contact | Opportunity) -> None:
        bound = self._table(kind)
        values = _encode_record(bound, record)
        id_column = bound.cols("id")[0]
        try:
            with self._engine.begin() as conn:
                taken = conn.execute(select(id_column).where(_match(bound, "id", record.id)))
                if taken.first() is not None:
                    raise id_taken(kind, record.id)
                conn.execute(sql_insert(bound.table).values(values))
        except DBAPIError as err:
            raise CrmWriteError(
                f"cannot insert {kind} {record.id!r} into {bound.label} (nothing was written): "
                f"{err.orig}"
            ) from err

    def _update(self, before: Lead, after: Lead) -> Lead:
        bound = self._table("lead")
        changed = {f for f in Lead.model_fields if getattr(before, f) != getattr(after, f)}
        # What the CRM stamps or explains may go unstored; a change the caller asked for not.
        unstored = sorted(f for f in changed - _STAMPS if not _stores(bound, f))
        if unstored:
            raise ValidationFailed(
                f"cannot store lead field {unstored[0]!r}: no column of {bound.label} is mapped "
                "to it",
                field=unstored[0],
            )
        values = _encode_record(
            bound, after, targets=[t for t in bound.columns if t.split(".")[0] in changed]
        )
        if not values:
            return after
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    update(bound.table).where(_match(bound, "id", before.id)).values(values)
                )
        except DBAPIError as err:
            raise CrmWriteError(
                f"cannot update lead {before.id!r} in {bound.label} (nothing was written): "
                f"{err.orig}"
            ) from err
        return after

    def _move(self, kind: str, source: RecordRef, target: RecordRef) -> int:
        moved = 0
        try:
            with self._engine.begin() as conn:
                for bound in self._bound[kind]:
                    if not bound.cols("regarding.id"):
                        continue
                    values = {
                        c.name: _encode(bound, "regarding.id", c, target.id)
                        for c in bound.cols("regarding.id")[:1]
                    }
                    for c in bound.cols("regarding.kind")[:1]:
                        values[c.name] = _encode(bound, "regarding.kind", c, target.kind)
                    fixed = bound.spec.constants.get("regarding.kind")
                    if fixed is not None and fixed != target.kind:
                        continue  # this table only holds records regarding another kind
                    where = _regarding(bound, source)
                    result = conn.execute(update(bound.table).where(*where).values(values))
                    moved += max(result.rowcount, 0)
        except DBAPIError as err:
            raise CrmWriteError(f"cannot move {kind} records: {err.orig}") from err
        return moved


# -- SQL building blocks ---------------------------------------------------------------------------


def _engine(url: str | URL, writable: bool, options: Mapping[str, Any] | None) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise ConfigurationError(
            f"not a database URL: {url!r}; use e.g. sqlite:///crm.db or "
            "postgresql+psycopg://user:password@host/dbname"
        ) from err
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = dict(options or {})
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            raise ConfigurationError(
                "an in-memory SQLite database has no tables to read; give the path of a file, "
                "or an Engine whose connection holds the tables"
            )
        path = Path(database)
        if not path.is_file():
            raise ConfigurationError(
                f"no SQLite database at {database!r}: SqlSource reads existing tables and does "
                "not create a file"
            )
        if not writable:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            kwargs.setdefault("creator", lambda: _sqlite_ro(uri))
    elif backend == "postgresql" and not writable:
        connect_args = dict(kwargs.pop("connect_args", {}))
        options_arg = connect_args.get("options", "")
        connect_args["options"] = f"{options_arg} -c default_transaction_read_only=on".strip()
        kwargs["connect_args"] = connect_args
    try:
        return create_engine(parsed, **kwargs)
    except ModuleNotFoundError as err:
        raise ConfigurationError(
            f"the {parsed.drivername} driver is not installed ({err.name})"
            + (": pip install 'leadqual[postgres]'" if backend == "postgresql" else "")
        ) from err


def _sqlite_ro(uri: str) -> Any:
    import sqlite3

    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def _select(bound: _Bound) -> Any:  # a Select; its type parameters differ between 2.0 and 2.1
    """The mapped columns as the driver returns them: SQLAlchemy's own conversions are skipped,
    as they raise on a value the declared type does not hold (SQLite keeps any value in any
    column), which would end a listing rather than skip the row."""
    return select(*(type_coerce(c, NullType()) for c in bound.selected))


def _resolve(name: str, names: Sequence[str]) -> str | None:
    """``name`` as the database spells it: exactly, else the only one equal but for case."""
    if name in names:
        return name
    folded = [n for n in names if n.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def _text_or_none(value: Any) -> str | None:
    try:
        return _text(value)
    except _Unreadable:
        return None


def _as_param(column: Column[Any], value: Any) -> Any:
    """``value`` as the column's type wants it; ``_NO_MATCH`` when it cannot be one."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return value
    if isinstance(value, str):
        if python_type is int:
            try:
                return int(value.strip())
            except ValueError:
                return _NO_MATCH
        if python_type is uuid.UUID:
            try:
                return uuid.UUID(value)
            except ValueError:
                return _NO_MATCH
        if python_type is Decimal:
            try:
                return Decimal(value)
            except ArithmeticError:
                return _NO_MATCH
    elif python_type is str and not isinstance(value, str):
        return str(value)
    return value


_NO_MATCH = object()


def _is_text(column: Column[Any]) -> bool:
    return isinstance(column.type, sqltypes.String)


def _match(bound: _Bound, target: str, value: Any) -> ColumnElement[bool]:
    """Rows whose ``target`` may hold ``value`` (``None``: every row). The result is checked
    again on the record, so this only has to keep every row that matches."""
    if value is None:
        return true()
    if target in bound.spec.constants:
        return true() if bound.spec.constants[target] == value else false()
    cols = bound.cols(target)
    if not cols:
        return false()
    coded = target in bound.spec.values or target == "status"
    conditions: list[ColumnElement[bool]] = []
    for col in cols:
        wanted = [_as_param(col, c) for c in _candidates(bound, target, value)]
        wanted = [w for w in wanted if w is not _NO_MATCH]
        if not wanted:
            continue
        if coded and _is_text(col):
            folded = sorted({normalize_code(w) for w in wanted})
            conditions.append(func.lower(func.trim(col)).in_(folded))
        else:
            conditions.append(col.in_(wanted))
    # With fallback columns the value may come from any of them: over-select, then check.
    return or_(*conditions) if conditions else false()


def _regarding(bound: _Bound, ref: RecordRef | None) -> list[ColumnElement[bool]]:
    if ref is None:
        return []
    return [_match(bound, "regarding.kind", ref.kind), _match(bound, "regarding.id", ref.id)]


def _since(bound: _Bound, since: datetime | None, engine: Engine) -> ColumnElement[bool]:
    """Rows that may have been touched at or after ``since``; pushed down where the columns'
    types allow it (the records are checked again)."""
    if since is None:
        return true()
    cols = [*bound.cols("modified_at"), *bound.cols("created_at")]
    if not cols:
        return true()
    touched = func.coalesce(*cols) if len(cols) > 1 else cols[0]
    if engine.dialect.name == "sqlite":
        # SQLite keeps times as text in many formats; julianday reads them all, and a value it
        # cannot read is kept for the check on the record.
        stamp = since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return func.coalesce(func.julianday(touched) >= func.julianday(stamp), True)
    kinds = {(type(c.type), getattr(c.type, "timezone", None)) for c in cols}
    if len(kinds) != 1:
        return true()
    ((kind, aware),) = kinds
    if not issubclass(kind, sqltypes.DateTime | sqltypes.Date):
        return true()
    param = since if aware else since.astimezone(UTC).replace(tzinfo=None)
    return or_(touched >= param, touched.is_(None))


def _order(bound: _Bound) -> list[Any]:
    first = "created_at"
    fixed = bound.fixed_kind()
    if bound.kind == "activity":
        first = _OCCURRED.get(fixed or "", "")
    elif bound.kind == "seller":
        first = ""
    return [*bound.cols(first)[:1], *bound.cols("id")[:1]]


# -- encoding records for writes -------------------------------------------------------------------


def _encode(bound: _Bound, target: str, column: Column[Any], value: Any) -> Any:
    """The stored form of a model value for ``column``."""
    if value is None:
        return None
    if target in bound.spec.values:
        for candidate in _candidates(bound, target, value):
            stored = _as_param(column, candidate)
            if stored is not _NO_MATCH:
                return stored
        raise ValidationFailed(
            f"cannot store {target} {value!r} in column {column.name!r} of {bound.label}: no "
            "code in the mapping's values stands for it",
            field=target,
        )
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime):
        aware = getattr(column.type, "timezone", False)
        if _is_text(column):
            return value.isoformat()
        return value if aware else value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, tuple):
        return ";".join(str(v) for v in value) if value else None
    stored = _as_param(column, value)
    if stored is _NO_MATCH:
        raise ValidationFailed(
            f"cannot store {target} {value!r} in column {column.name!r} of {bound.label} "
            f"({column.type})",
            field=target,
        )
    return stored


def _stores(bound: _Bound, field_name: str) -> bool:
    return any(t == field_name or t.startswith(f"{field_name}.") for t in bound.columns)


def _encode_record(
    bound: _Bound, record: Any, *, targets: Sequence[str] | None = None
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for target in bound.columns if targets is None else targets:
        cols = bound.columns[target]
        value = _value_of(record, target)
        if isinstance(value, tuple) and len(cols) > 1:
            for col, part in zip(cols, (*value, *([None] * len(cols))), strict=False):
                values[col.name] = _encode(bound, target, col, part)
            continue
        values[cols[0].name] = _encode(bound, target, cols[0], value)
    for target, fixed in bound.spec.constants.items():
        if _value_of(record, target) != fixed:
            raise ValidationFailed(
                f"{bound.label} holds only records whose {target} is {fixed!r}", field=target
            )
    if targets is None:
        lost = [
            name
            for name in type(record).model_fields
            if getattr(record, name) not in (None, (), {})
            and not _stores(bound, name)
            and name not in bound.spec.constants
        ]
        if lost:
            logger.warning("%s: no column for %s; not stored", bound.label, ", ".join(sorted(lost)))
    return values
