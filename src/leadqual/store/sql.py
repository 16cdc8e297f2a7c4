"""An insight store in SQLite (embedded, the default) or PostgreSQL, on SQLAlchemy 2."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from sqlalchemy import (
    URL,
    Connection,
    CursorResult,
    Engine,
    Table,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    exists,
    func,
    inspect,
    make_url,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from leadqual.errors import (
    ConfigurationError,
    StoreCorrupt,
    StoreError,
    StoreSchemaError,
)
from leadqual.insight import (
    AuditRecord,
    ConsentRecord,
    Feedback,
    InsightSummary,
    LeadInsight,
    ReviewItem,
)
from leadqual.store import _schema
from leadqual.store._common import (
    Encoded,
    check_batch,
    check_ids,
    check_limit,
    check_members,
    check_save_many,
    check_status,
    conflict,
    decode,
    decode_audit,
    encode,
    encode_insight,
    next_member,
    utc,
)
from leadqual.store._schema import (
    AUDIT,
    BATCHES,
    CONSENT,
    FEEDBACK,
    INSIGHTS,
    LATEST,
    META,
    METADATA,
    REVIEW,
    ROTATION,
    STORE_MARK,
    TABLE_NAMES,
)

__all__ = ["SqlInsightStore"]

_WRITE = "leadqual_write"
"""Execution option marking a write transaction (SQLite takes the write lock at BEGIN then)."""
_OPEN_LOCK = 0x6C71_7374  # any constant: the PostgreSQL advisory lock held while a store is set up
_SQLITE_BROKEN = {"SQLITE_NOTADB", "SQLITE_CORRUPT"}


def _leadqual_version() -> str:
    try:
        return metadata.version("leadqual")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


def _url(url: str | URL) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise ConfigurationError(
            f"not a database URL: {url!r}; use e.g. sqlite:///insights.db or "
            "postgresql+psycopg://user:password@host/dbname"
        ) from err
    # A plain libpq URL means psycopg 3, the driver leadqual's ``postgres`` extra installs.
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"SqlInsightStore supports SQLite and PostgreSQL, not {parsed.get_backend_name()!r}"
        )
    return parsed


logger = logging.getLogger("leadqual.store")

_GROUP_ATTEMPTS = 3
"""How often a group save is tried when the database rolled it back for a deadlock."""

_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
"""PostgreSQL's serialization failure and deadlock: the transaction may simply be run again."""


def _transient(cause: BaseException | None) -> bool:
    return isinstance(cause, DBAPIError) and (
        getattr(cause.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES
    )


class _GroupConflict(Exception):
    """A group save met a version already stored; raised to roll the transaction back."""


class SqlInsightStore:
    """An :class:`~leadqual.store.InsightStore` in an SQL database: SQLite or PostgreSQL.

    Each record is stored whole as JSON beside indexed copies of the fields that are queried;
    every write is one transaction. Opening a store checks what is there: a new or empty
    database is set up, an older store is migrated, and a newer store
    (:class:`~leadqual.errors.StoreSchemaError`) or something that is not a leadqual store
    (:class:`~leadqual.errors.StoreCorrupt`) is refused without writing to it. Safe to share
    between threads; several processes may use one store.

    Args:
        url: a database URL: ``sqlite:///insights.db`` (a file), ``sqlite://`` (in memory), or
            ``postgresql+psycopg://user:password@host/dbname`` (``postgresql://`` also means
            psycopg 3; install it with ``pip install leadqual[postgres]``).
        busy_timeout: seconds an SQLite write waits for another writer before giving up.
        durability: for an SQLite file, ``"normal"`` (the default) keeps every committed write
            when the process crashes, and may lose the last writes (never consistency) when the
            machine loses power; ``"full"`` also survives a power loss, at the cost of a disk
            sync per write (SQLite's ``synchronous`` setting in WAL mode).
        engine_options: more keyword arguments for :func:`sqlalchemy.create_engine`
            (``pool_size``, ``echo``...).

    Raises:
        ConfigurationError: the URL is not SQLite or PostgreSQL, or its driver is missing.
        StoreCorrupt: the database is not a leadqual store, or is damaged.
        StoreSchemaError: the store was written by a newer leadqual.
        StoreError: the database cannot be reached or opened.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from leadqual.insight import LeadInsight, SellerCard
        >>> store = SqlInsightStore("sqlite://")
        >>> card = SellerCard(name="Ada", next_action="Call", reason="Asked", call_to_action="Call")
        >>> at = datetime(2025, 3, 1, tzinfo=UTC)
        >>> store.save(LeadInsight(lead_id="L-1", refreshed_at=at, card=card))
        >>> store.latest("L-1").refreshed_at == at
        True
        >>> store.close()
    """

    schema_version: int
    """The version of the stored schema this store reads and writes."""

    def __init__(
        self,
        url: str | URL,
        /,
        *,
        busy_timeout: float = 30.0,
        durability: Literal["normal", "full"] = "normal",
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        if durability not in ("normal", "full"):
            raise ConfigurationError(f"durability must be 'normal' or 'full', got {durability!r}")
        self._url = _url(url)
        self._backend = self._url.get_backend_name()
        self._closed = False
        options: dict[str, Any] = dict(engine_options or {})
        connect_args: dict[str, Any] = dict(options.pop("connect_args", {}))
        self._in_memory = self._backend == "sqlite" and self._url.database in (None, "", ":memory:")
        self._lock: AbstractContextManager[Any] = nullcontext()
        if self._in_memory:
            # One connection holds the database, so its users must take turns.
            options.setdefault("poolclass", StaticPool)
            connect_args.setdefault("check_same_thread", False)
            self._lock = threading.RLock()
        if self._backend == "sqlite":
            connect_args.setdefault("timeout", busy_timeout)
        else:
            options.setdefault("pool_pre_ping", True)
        try:
            self._engine: Engine = create_engine(self._url, connect_args=connect_args, **options)
        except ModuleNotFoundError as err:
            raise ConfigurationError(
                f"the {self._url.drivername} driver is not installed ({err.name}): "
                "pip install 'leadqual[postgres]'"
            ) from err
        if self._backend == "sqlite":
            # A list, so the level can be raised for later connections if WAL is refused.
            self._sync_level = [durability.upper()]
            event.listen(self._engine, "connect", _sqlite_connect(busy_timeout, self._sync_level))
            event.listen(self._engine, "begin", _sqlite_begin)
        self._writer = self._engine.execution_options(**{_WRITE: True})
        # The statements every save and read runs, built once: building a statement costs more
        # than running it on SQLite.
        moving = self._insert_or(LATEST)
        self._move_latest = moving.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={
                "version": moving.excluded.version,
                "owner_id": moving.excluded.owner_id,
                "refreshed_at": moving.excluded.refreshed_at,
                "summary": moving.excluded.summary,
            },
            where=LATEST.c.version < moving.excluded.version,
        ).returning(LATEST.c.version)
        self._latest_body = (
            select(INSIGHTS.c.body)
            .join(
                LATEST,
                (LATEST.c.lead_id == INSIGHTS.c.lead_id) & (LATEST.c.version == INSIGHTS.c.version),
            )
            .where(LATEST.c.lead_id == bindparam("lead"))
        )
        # An audit record with the body of its insight, which holds the record's research
        # when it is shared (read only then).
        self._audit_rows = (
            select(
                AUDIT.c.body,
                AUDIT.c.research_shared,
                case((AUDIT.c.research_shared, INSIGHTS.c.body), else_=None),
            )
            .select_from(
                AUDIT.outerjoin(
                    INSIGHTS,
                    (INSIGHTS.c.lead_id == AUDIT.c.lead_id)
                    & (INSIGHTS.c.version == AUDIT.c.insight_version),
                )
            )
            .where(AUDIT.c.lead_id == bindparam("lead"))
        )
        self._latest_audit = self._audit_rows.order_by(
            AUDIT.c.insight_version.desc(), AUDIT.c.id.desc()
        ).limit(1)
        try:
            self.schema_version = self._prepare()
        except BaseException:
            self._engine.dispose()
            raise

    @classmethod
    def sqlite(
        cls,
        path: str | os.PathLike[str],
        /,
        *,
        busy_timeout: float = 30.0,
        durability: Literal["normal", "full"] = "normal",
    ) -> SqlInsightStore:
        """The store in an SQLite file, created when missing (its folder must exist).

        Examples:
            >>> import tempfile, pathlib
            >>> folder = tempfile.mkdtemp()
            >>> store = SqlInsightStore.sqlite(pathlib.Path(folder) / "insights.db")
            >>> store.schema_version
            2
            >>> store.close()
        """
        file = Path(path)
        if not file.parent.is_dir():
            raise StoreError(f"cannot create the insight store {file}: its folder does not exist")
        return cls(
            URL.create("sqlite", database=str(file)),
            busy_timeout=busy_timeout,
            durability=durability,
        )

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._url.render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for backups, monitoring or instrumentation)."""
        return self._engine

    def __repr__(self) -> str:
        return f"SqlInsightStore({self.url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- connections, transactions and errors --------------------------------------------------

    def _where(self) -> str:
        if self._backend == "sqlite":
            return self._url.database or "the in-memory database"
        return self.url

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        try:
            yield
        except DBAPIError as err:
            name = getattr(err.orig, "sqlite_errorname", "")
            if name in _SQLITE_BROKEN:
                raise StoreCorrupt(
                    f"{self._where()} is not a leadqual insight store or is damaged ({err.orig}); "
                    "nothing was changed: give SqlInsightStore a new file, or restore this one "
                    "from a backup"
                ) from err
            raise StoreError(f"could not {doing} the insight store {self.url}: {err.orig}") from err
        except SQLAlchemyError as err:
            raise StoreError(f"could not {doing} the insight store {self.url}: {err}") from err

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if self._closed:
            raise StoreError("the insight store is closed")
        with self._lock, self._guard("read"), self._engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        if self._closed:
            raise StoreError("the insight store is closed")
        with self._lock, self._guard("write"), self._writer.begin() as conn:
            yield conn

    def _insert_or(self, table: Table) -> SqliteInsert | PostgresInsert:
        """An INSERT that can say what to do on a key conflict, in this database's dialect."""
        if self._backend == "sqlite":
            return SqliteInsert(table)
        return PostgresInsert(table)

    # -- opening: check, create, migrate ------------------------------------------------------

    def _prepare(self) -> int:
        with self._lock, self._guard("open"):
            with self._engine.connect() as conn:
                found = self._found_version(conn)
            if found != _schema.SCHEMA_VERSION:
                with self._writer.begin() as conn:
                    if self._backend == "postgresql":
                        # Two processes opening a new database at once: one sets it up.
                        conn.execute(select(func.pg_advisory_xact_lock(_OPEN_LOCK)))
                    found = self._found_version(conn)
                    if found is None:
                        self._create(conn)
                    else:
                        self._migrate(conn, found)
            if self._backend == "sqlite" and not self._in_memory:
                # Only now that the file is known to be a store: WAL changes the file itself.
                raw = self._engine.raw_connection()
                try:
                    cursor = raw.cursor()
                    cursor.execute("PRAGMA journal_mode=WAL")
                    mode = str((cursor.fetchone() or ("?",))[0]).lower()
                finally:
                    raw.close()
                if mode != "wal":
                    self._no_wal(mode)
        return _schema.SCHEMA_VERSION

    def _no_wal(self, mode: str) -> None:
        """SQLite kept another journal mode (a file system without shared memory, a read-only
        folder): "normal" durability is only safe in WAL mode, so every connection syncs fully."""
        logger.warning(
            "SQLite store %s stays in journal mode %r, not WAL: commits sync fully "
            "(durability='full'), which is slower",
            self._where(),
            mode,
        )
        if self._sync_level[0] != "FULL":
            self._sync_level[0] = "FULL"
            self._engine.dispose()

    def _found_version(self, conn: Connection) -> int | None:
        """The store's schema version, ``None`` for an empty database; refuse anything else."""
        names = set(inspect(conn).get_table_names())
        if META.name not in names:
            ours = sorted(names & TABLE_NAMES)
            if ours:
                raise StoreCorrupt(
                    f"{self._where()} has leadqual tables ({', '.join(ours)}) but no "
                    f"{META.name}: it is damaged or was partly deleted; nothing was changed. "
                    "Restore it from a backup, or drop those tables to start afresh"
                )
            if self._backend == "sqlite" and names:
                shown = ", ".join(sorted(names)[:5])
                raise StoreCorrupt(
                    f"{self._where()} is an SQLite database of something else (tables: {shown}), "
                    "not a leadqual insight store; nothing was changed. Give the store a file "
                    "of its own"
                )
            return None
        rows: dict[str, str] = {
            str(key): str(value) for key, value in conn.execute(select(META.c.key, META.c.value))
        }
        if rows.get("store") != STORE_MARK:
            raise StoreCorrupt(
                f"{self._where()} has a {META.name} table that is not leadqual's; nothing was "
                "changed. Give the store a database of its own"
            )
        try:
            version = int(rows["schema_version"])
        except (KeyError, ValueError) as err:
            raise StoreCorrupt(
                f"{self._where()} records no readable schema version "
                f"({rows.get('schema_version')!r}); restore it from a backup"
            ) from err
        supported = _schema.SCHEMA_VERSION
        if version > supported:
            raise StoreSchemaError(
                f"{self._where()} has schema version {version} (written by leadqual "
                f"{rows.get('written_by', 'unknown')}); this leadqual ({_leadqual_version()}) "
                f"reads versions up to {supported}: upgrade leadqual to use it. Nothing was "
                "changed",
                found=version,
                supported=supported,
            )
        if version < 1:
            raise StoreCorrupt(f"{self._where()} records schema version {version}, never used")
        missing = sorted(TABLE_NAMES - names)
        if version == supported and missing:
            raise StoreCorrupt(
                f"{self._where()} lacks the tables {', '.join(missing)}: it is damaged; restore "
                "it from a backup"
            )
        return version

    def _create(self, conn: Connection) -> None:
        METADATA.create_all(conn)
        conn.execute(
            META.insert(),
            [
                {"key": "store", "value": STORE_MARK},
                {"key": "schema_version", "value": str(_schema.SCHEMA_VERSION)},
                {"key": "written_by", "value": _leadqual_version()},
            ],
        )

    def _migrate(self, conn: Connection, found: int) -> None:
        for version in range(found, _schema.SCHEMA_VERSION):
            _schema.MIGRATIONS[version](conn)
        for key, value in (
            ("schema_version", str(_schema.SCHEMA_VERSION)),
            ("written_by", _leadqual_version()),
        ):
            stmt = self._insert_or(META).values(key=key, value=value)
            conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))
        self._found_version(conn)  # the migrated store must now be complete

    # -- insights ----------------------------------------------------------------------------

    def save(self, insight: LeadInsight, audit: AuditRecord | None = None, /) -> None:
        """Store ``insight`` as the lead's latest, with its audit record; see the protocol."""
        # Serialise before the transaction: a record that cannot be written changes nothing.
        item = encode_insight(insight, audit)
        lead, version = insight.lead_id, insight.version
        row = {
            "lead_id": lead,
            "version": version,
            "owner_id": insight.owner_id,
            "refreshed_at": insight.refreshed_at,
        }
        with self._write() as conn:
            try:
                conn.execute(INSIGHTS.insert(), {**row, "body": item.body})
            except IntegrityError:
                raise conflict(lead, version, None) from None
            # Move the lead's pointer only forwards. A concurrent writer of another version
            # waits on the row and then sees the newer version here (PostgreSQL re-checks the
            # condition; SQLite runs one writer at a time).
            moved = conn.scalar(self._move_latest, {**row, "summary": item.summary})
            if moved is None:
                stored = conn.scalar(select(LATEST.c.version).where(LATEST.c.lead_id == lead))
                raise conflict(lead, version, stored)
            if item.audit is not None and item.audit_body is not None:
                conn.execute(AUDIT.insert(), _audit_row(item, item.audit))

    def save_many(
        self,
        items: Sequence[tuple[LeadInsight, AuditRecord | None]],
        /,
        *,
        batch_id: str | None = None,
    ) -> None:
        """Store several insights in one transaction, all or none; see the protocol."""
        checked = check_save_many(items)
        if not checked:
            return
        # In lead id order: two writers saving overlapping groups then take their row locks in
        # one order, so neither waits for the other in a cycle (a PostgreSQL deadlock).
        rows = sorted(checked, key=lambda item: item.insight.lead_id)
        for attempt in range(_GROUP_ATTEMPTS):
            try:
                with self._write() as conn:
                    self._write_group(conn, rows, batch_id)
                return
            except _GroupConflict:
                # Rolled back; which lead it was is read afresh (a failed PostgreSQL
                # transaction answers nothing more).
                raise self._first_conflict(rows) from None
            except StoreError as err:
                # A deadlock or serialisation failure rolled everything back: try again, a
                # bounded number of times.
                if attempt + 1 >= _GROUP_ATTEMPTS or not _transient(err.__cause__):
                    raise
                time.sleep(0.02 * (attempt + 1))

    def _write_group(self, conn: Connection, rows: Sequence[Encoded], batch_id: str | None) -> None:
        latest = [
            {
                "lead_id": item.insight.lead_id,
                "version": item.insight.version,
                "owner_id": item.insight.owner_id,
                "refreshed_at": item.insight.refreshed_at,
            }
            for item in rows
        ]
        try:
            conn.execute(
                INSIGHTS.insert(),
                [{**row, "body": item.body} for row, item in zip(latest, rows, strict=True)],
            )
        except IntegrityError:
            raise _GroupConflict from None
        # One multi-row statement (SQLAlchemy sends it as INSERT ... VALUES (...), (...)): a
        # row whose stored version is as new or newer is not updated and returns nothing.
        moved = conn.execute(
            self._move_latest,
            [{**row, "summary": item.summary} for row, item in zip(latest, rows, strict=True)],
        ).all()
        if len(moved) != len(latest):
            raise _GroupConflict
        audit_rows = [
            _audit_row(item, item.audit)
            for item in rows
            if item.audit is not None and item.audit_body is not None
        ]
        if audit_rows:
            conn.execute(AUDIT.insert(), audit_rows)
        if batch_id is not None:
            ids = [item.insight.lead_id for item in rows]
            # In slices: databases cap the parameters of one statement.
            for start in range(0, len(ids), 500):
                conn.execute(
                    update(BATCHES)
                    .where(
                        (BATCHES.c.batch_id == batch_id)
                        & BATCHES.c.lead_id.in_(ids[start : start + 500])
                    )
                    .values(done=True)
                )

    def _first_conflict(self, rows: Sequence[Encoded]) -> StoreError:
        """The conflict to report for a group save that was rolled back."""
        with self._read() as conn:
            for insight in (item.insight for item in rows):
                stored = conn.scalar(
                    select(func.max(INSIGHTS.c.version)).where(
                        INSIGHTS.c.lead_id == insight.lead_id
                    )
                )
                if stored is not None and stored >= insight.version:
                    return conflict(insight.lead_id, insight.version, stored)
        return StoreError("the group of insights could not be saved; nothing was stored: try again")

    def versions(self, lead_ids: Collection[str], /) -> dict[str, int]:
        """The newest stored version of each of these leads that has an insight."""
        ids = check_ids(lead_ids)
        found: dict[str, int] = {}
        with self._read() as conn:
            # In slices: databases cap the parameters of one statement.
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                rows = conn.execute(
                    select(LATEST.c.lead_id, LATEST.c.version).where(LATEST.c.lead_id.in_(part))
                )
                found.update((str(lead), int(version)) for lead, version in rows)
        return found

    def latest(self, lead_id: str, /) -> LeadInsight | None:
        """The lead's newest insight, or ``None``."""
        with self._read() as conn:
            body = conn.scalar(self._latest_body, {"lead": lead_id})
        return None if body is None else decode(LeadInsight, body, f"insight of lead {lead_id!r}")

    def history(self, lead_id: str, /) -> Sequence[LeadInsight]:
        """Every stored insight of the lead, oldest first."""
        query = (
            select(INSIGHTS.c.body)
            .where(INSIGHTS.c.lead_id == lead_id)
            .order_by(INSIGHTS.c.version)
        )
        with self._read() as conn:
            bodies = conn.scalars(query).all()
        return [decode(LeadInsight, b, f"insight of lead {lead_id!r}") for b in bodies]

    def insights(self, *, owner_ids: Collection[str] | None = None) -> Sequence[LeadInsight]:
        """The newest insight of every lead (of these owners, when given), by lead id."""
        query = (
            select(INSIGHTS.c.lead_id, INSIGHTS.c.body)
            .join(
                LATEST,
                (LATEST.c.lead_id == INSIGHTS.c.lead_id) & (LATEST.c.version == INSIGHTS.c.version),
            )
            .order_by(LATEST.c.lead_id)
        )
        if owner_ids is not None:
            owners = sorted(set(owner_ids))
            if not owners:
                return []
            query = query.where(LATEST.c.owner_id.in_(owners))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [decode(LeadInsight, body, f"insight of lead {lead!r}") for lead, body in rows]

    def summaries(self, *, owner_ids: Collection[str] | None = None) -> Sequence[InsightSummary]:
        """The summary of every lead's newest insight (of these owners, when given), by lead
        id; only the summaries are read, not the insights."""
        query = (
            select(LATEST.c.lead_id, LATEST.c.summary, INSIGHTS.c.body)
            .join(
                INSIGHTS,
                (LATEST.c.lead_id == INSIGHTS.c.lead_id)
                & (LATEST.c.version == INSIGHTS.c.version)
                # The insight itself only where no summary was kept.
                & LATEST.c.summary.is_(None),
                isouter=True,
            )
            .order_by(LATEST.c.lead_id)
        )
        if owner_ids is not None:
            owners = sorted(set(owner_ids))
            if not owners:
                return []
            query = query.where(LATEST.c.owner_id.in_(owners))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [_summary(lead, summary, body) for lead, summary, body in rows]

    def due(self, before: datetime, /, *, limit: int | None = None) -> Sequence[str]:
        """Ids of leads whose newest insight was refreshed before ``before``, oldest first."""
        query = (
            select(LATEST.c.lead_id)
            .where(LATEST.c.refreshed_at < utc(before, "before"))
            .order_by(LATEST.c.refreshed_at, LATEST.c.lead_id)
        )
        rows = check_limit(limit)
        if rows is not None:
            query = query.limit(rows)
        with self._read() as conn:
            return list(conn.scalars(query).all())

    def audit(self, lead_id: str, /) -> Sequence[AuditRecord]:
        """The audit records of the lead, oldest first."""
        query = self._audit_rows.order_by(AUDIT.c.insight_version, AUDIT.c.id)
        with self._read() as conn:
            rows = conn.execute(query, {"lead": lead_id}).all()
        what = f"audit record of lead {lead_id!r}"
        return [decode_audit(body, bool(shared), insight, what) for body, shared, insight in rows]

    def latest_audit(self, lead_id: str, /) -> AuditRecord | None:
        """The lead's newest audit record, or ``None``."""
        with self._read() as conn:
            row = conn.execute(self._latest_audit, {"lead": lead_id}).first()
        if row is None:
            return None
        body, shared, insight = row
        return decode_audit(body, bool(shared), insight, f"audit of lead {lead_id!r}")

    def erase(self, lead_id: str, /) -> int:
        """Delete everything stored about the lead; return how many records went.

        Each insight version, audit record, feedback, review item and batch entry counts one.
        """
        with self._write() as conn:
            # Children before parents, for the foreign keys.
            gone = _count(conn.execute(delete(AUDIT).where(AUDIT.c.lead_id == lead_id)))
            conn.execute(delete(LATEST).where(LATEST.c.lead_id == lead_id))  # an index: not counted
            for table in (INSIGHTS, FEEDBACK, REVIEW, BATCHES):
                gone += _count(conn.execute(delete(table).where(table.c.lead_id == lead_id)))
            return gone

    # -- consent -----------------------------------------------------------------------------

    def record_consent(self, record: ConsentRecord, /) -> None:
        """Append a consent record; the newest per seller is in force."""
        body = encode(record, "record")
        with self._write() as conn:
            conn.execute(
                CONSENT.insert().values(
                    seller_id=record.seller_id, recorded_at=record.recorded_at, body=body
                )
            )

    def consent(self, seller_id: str, /) -> ConsentRecord | None:
        """The consent in force for the seller, or ``None`` when none was ever recorded."""
        query = (
            select(CONSENT.c.body)
            .where(CONSENT.c.seller_id == seller_id)
            .order_by(CONSENT.c.recorded_at.desc(), CONSENT.c.id.desc())
            .limit(1)
        )
        with self._read() as conn:
            body = conn.scalar(query)
        return None if body is None else decode(ConsentRecord, body, f"consent of {seller_id!r}")

    def consent_history(self, seller_id: str, /) -> Sequence[ConsentRecord]:
        """Every consent record of the seller, oldest first."""
        query = (
            select(CONSENT.c.body)
            .where(CONSENT.c.seller_id == seller_id)
            .order_by(CONSENT.c.recorded_at, CONSENT.c.id)
        )
        with self._read() as conn:
            bodies = conn.scalars(query).all()
        return [decode(ConsentRecord, b, f"consent of {seller_id!r}") for b in bodies]

    # -- feedback and review -----------------------------------------------------------------

    def add_feedback(self, feedback: Feedback, /) -> None:
        """Store a seller's verdict on a suggestion."""
        body = encode(feedback, "feedback")
        with self._write() as conn:
            conn.execute(
                FEEDBACK.insert().values(
                    lead_id=feedback.lead_id,
                    seller_id=feedback.seller_id,
                    insight_version=feedback.insight_version,
                    at=feedback.at,
                    body=body,
                )
            )

    def feedback(self, *, lead_id: str | None = None) -> Sequence[Feedback]:
        """Feedback, of one lead or all, oldest first."""
        query = select(FEEDBACK.c.body).order_by(FEEDBACK.c.at, FEEDBACK.c.id)
        if lead_id is not None:
            query = query.where(FEEDBACK.c.lead_id == lead_id)
        with self._read() as conn:
            bodies = conn.scalars(query).all()
        return [decode(Feedback, b, "feedback") for b in bodies]

    def put_review(self, item: ReviewItem, /) -> None:
        """Add or replace the lead's review item."""
        values = {
            "lead_id": item.lead_id,
            "status": item.status,
            "proposed_at": item.proposed_at,
            "body": encode(item, "item"),
        }
        upsert = self._insert_or(REVIEW).values(**values)
        with self._write() as conn:
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=["lead_id"],
                    set_={k: v for k, v in values.items() if k != "lead_id"},
                )
            )

    def reviews(self, *, status: str | None = "open") -> Sequence[ReviewItem]:
        """Review items with this status (``None``: all), oldest proposal first."""
        query = select(REVIEW.c.lead_id, REVIEW.c.body).order_by(
            REVIEW.c.proposed_at, REVIEW.c.lead_id
        )
        if check_status(status) is not None:
            query = query.where(REVIEW.c.status == status)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [decode(ReviewItem, body, f"review of lead {lead!r}") for lead, body in rows]

    def review(self, lead_id: str, /) -> ReviewItem | None:
        """The lead's review item, or ``None``."""
        with self._read() as conn:
            body = conn.scalar(select(REVIEW.c.body).where(REVIEW.c.lead_id == lead_id))
        return None if body is None else decode(ReviewItem, body, f"review of lead {lead_id!r}")

    # -- batches and rotation ----------------------------------------------------------------

    def start_batch(self, batch_id: str, lead_ids: Sequence[str], /) -> None:
        """Record a batch's leads as pending; a batch id that exists keeps its progress (the
        lead ids given again are ignored)."""
        ids = check_batch(lead_ids)
        rows = [
            {"batch_id": batch_id, "position": i, "lead_id": lead, "done": False}
            for i, lead in enumerate(ids)
        ]
        try:
            with self._write() as conn:
                started = conn.scalar(select(exists().where(BATCHES.c.batch_id == batch_id)))
                if not started and rows:
                    conn.execute(BATCHES.insert(), rows)
        except StoreError as err:
            # Another process started the same batch in the meantime: its progress stands.
            if not isinstance(err.__cause__, IntegrityError):
                raise

    def mark_done(self, batch_id: str, lead_id: str, /) -> None:
        """Record that the batch's lead is processed (a lead not in the batch is ignored)."""
        with self._write() as conn:
            conn.execute(
                update(BATCHES)
                .where((BATCHES.c.batch_id == batch_id) & (BATCHES.c.lead_id == lead_id))
                .values(done=True)
            )

    def pending(self, batch_id: str, /) -> Sequence[str]:
        """The batch's leads not yet processed, in the batch's order."""
        query = (
            select(BATCHES.c.lead_id)
            .where((BATCHES.c.batch_id == batch_id) & BATCHES.c.done.is_(False))
            .order_by(BATCHES.c.position)
        )
        with self._read() as conn:
            return list(conn.scalars(query).all())

    def next_turn(self, team: str, members: Sequence[str], /) -> str:
        """The member whose turn it is in the team's round-robin, and advance the turn."""
        team_members = check_members(members)
        with self._write() as conn:
            conn.execute(
                self._insert_or(ROTATION)
                .values(team=team, last_member=None, members="[]")
                .on_conflict_do_nothing(index_elements=["team"])
            )
            # FOR UPDATE: concurrent turns of one team queue here (SQLite already writes alone).
            row = conn.execute(
                select(ROTATION.c.last_member, ROTATION.c.members)
                .where(ROTATION.c.team == team)
                .with_for_update()
            ).one()
            previous = tuple(str(m) for m in json.loads(row.members))
            member = next_member(team_members, row.last_member, previous)
            conn.execute(
                update(ROTATION)
                .where(ROTATION.c.team == team)
                .values(last_member=member, members=json.dumps(list(team_members)))
            )
        return member

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""
        self._closed = True
        self._engine.dispose()


def _audit_row(item: Encoded, audit: AuditRecord) -> dict[str, Any]:
    return {
        "lead_id": item.insight.lead_id,
        "insight_version": item.insight.version,
        "recorded_at": audit.recorded_at,
        "body": item.audit_body,
        "research_shared": item.research_shared,
    }


def _summary(lead: str, summary: str | None, body: str | None) -> InsightSummary:
    """A lead's summary as stored, or (none stored) made from its insight."""
    if summary is not None:
        return decode(InsightSummary, summary, f"summary of lead {lead!r}")
    if body is None:
        raise StoreCorrupt(
            f"lead {lead!r} has neither a summary nor an insight stored; restore the store from "
            "a backup"
        )
    return InsightSummary.of(decode(LeadInsight, body, f"insight of lead {lead!r}"))


def _count(result: CursorResult[Any]) -> int:
    return max(result.rowcount, 0)


def _sqlite_connect(busy_timeout: float, sync_level: list[str]) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # sqlite3's own transaction handling is switched off: the "begin" listener below emits
        # BEGIN, so reads see one snapshot and writes take the write lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the process
        # loses nothing committed.
        cursor.execute(f"PRAGMA synchronous = {sync_level[0]}")
        cursor.close()

    return on_connect


def _sqlite_begin(conn: Connection) -> None:
    # IMMEDIATE for writes: a deferred write transaction that must upgrade its read lock fails
    # at once under contention instead of waiting for the busy timeout.
    mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")
