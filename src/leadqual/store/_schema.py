"""The SQL store's tables, and the migrations that bring an older store up to date.

Each record is kept whole as its JSON document (``body``); the other columns copy the fields
that are queried or ordered by, so they can be indexed.

Schema history (add a line, a step in :data:`MIGRATIONS`, and a test with a database of the
previous version, for every change):

- 1: insights (every version), latest (one row per lead), audit, consent, feedback, review,
  batches, rotation, meta.
- 2: ``latest.summary``, the newest insight's :class:`~leadqual.insight.InsightSummary` (what a
  seller's ranked list reads, so listing leads decodes no whole insight), filled in from the
  stored insights on migration; ``audit.research_shared``: a record whose research is its
  insight's keeps it there only (its body has no ``research``), old records keep theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Dialect,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    bindparam,
    false,
    select,
    update,
)
from sqlalchemy.schema import CreateColumn

from leadqual.insight import InsightSummary, LeadInsight
from leadqual.store._common import SCHEMA_VERSION, decode, encode

__all__ = [
    "AUDIT",
    "BATCHES",
    "CONSENT",
    "FEEDBACK",
    "INSIGHTS",
    "LATEST",
    "META",
    "METADATA",
    "MIGRATIONS",
    "REVIEW",
    "ROTATION",
    "SCHEMA_VERSION",
    "STORE_MARK",
    "TABLE_NAMES",
    "Migration",
    "UtcDateTime",
]

STORE_MARK = "leadqual insight store"
"""The ``meta`` row ``store`` of every store: tells a leadqual store from any other database."""


class UtcDateTime(TypeDecorator[datetime]):
    """A UTC timestamp: aware in Python, ``timestamptz`` in PostgreSQL, sortable text in SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        # SQLite drops the offset, so everything is converted to UTC before it is written.
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Ids compare byte-wise (PostgreSQL's "C" collation; SQLite's default), so "by lead id" is the
# same order in both databases and in Python.
Id = String().with_variant(String(collation="C"), "postgresql")
Serial = BigInteger().with_variant(Integer(), "sqlite")  # SQLite's rowid must be INTEGER

METADATA = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

META = Table(
    "leadqual_meta",
    METADATA,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

INSIGHTS = Table(
    "leadqual_insights",
    METADATA,
    Column("lead_id", Id, nullable=False),
    Column("version", Integer, nullable=False),
    Column("owner_id", Id),
    Column("refreshed_at", UtcDateTime, nullable=False),
    Column("body", Text, nullable=False),
    # The primary key is the uniqueness that lets one writer of a version win, the other fail.
    PrimaryKeyConstraint("lead_id", "version"),
)

LATEST = Table(
    "leadqual_latest",
    METADATA,
    Column("lead_id", Id, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("owner_id", Id, index=True),
    Column("refreshed_at", UtcDateTime, nullable=False, index=True),
    # The newest insight's InsightSummary (JSON), what a seller's list reads (version 2).
    Column("summary", Text),
    ForeignKeyConstraint(
        ["lead_id", "version"], ["leadqual_insights.lead_id", "leadqual_insights.version"]
    ),
)

AUDIT = Table(
    "leadqual_audit",
    METADATA,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("lead_id", Id, nullable=False),
    Column("insight_version", Integer, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("body", Text, nullable=False),
    # True: the record's research is its insight's, kept there only (version 2).
    Column("research_shared", Boolean, nullable=False, server_default=false()),
    ForeignKeyConstraint(
        ["lead_id", "insight_version"], ["leadqual_insights.lead_id", "leadqual_insights.version"]
    ),
    Index(None, "lead_id", "insight_version"),
)

CONSENT = Table(
    "leadqual_consent",
    METADATA,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("seller_id", Id, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("body", Text, nullable=False),
    Index(None, "seller_id", "recorded_at"),
)

FEEDBACK = Table(
    "leadqual_feedback",
    METADATA,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("lead_id", Id, nullable=False, index=True),
    Column("seller_id", Id, nullable=False),
    Column("insight_version", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("body", Text, nullable=False),
)

REVIEW = Table(
    "leadqual_review",
    METADATA,
    Column("lead_id", Id, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("proposed_at", UtcDateTime, nullable=False),
    Column("body", Text, nullable=False),
    Index(None, "status", "proposed_at"),
)

BATCHES = Table(
    "leadqual_batches",
    METADATA,
    Column("batch_id", Id, nullable=False),
    Column("position", Integer, nullable=False),
    Column("lead_id", Id, nullable=False, index=True),
    Column("done", Boolean, nullable=False, default=False),
    PrimaryKeyConstraint("batch_id", "position"),
    UniqueConstraint("batch_id", "lead_id"),
)

ROTATION = Table(
    "leadqual_rotation",
    METADATA,
    Column("team", Id, primary_key=True),
    Column("last_member", Id),
    # The team as it was at the last turn (a JSON list), to pass the turn on when someone left.
    Column("members", Text, nullable=False),
)

TABLE_NAMES = frozenset(METADATA.tables)

Migration = Callable[[Connection], None]
"""One step: changes a store of version N into version N + 1, inside the opening transaction."""

_PAGE = 500
"""Rows a migration reads at a time."""


def _add_column(conn: Connection, table: Table, name: str) -> None:
    spec = CreateColumn(table.c[name]).compile(dialect=conn.dialect)
    conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {spec}")


def _v1_to_v2(conn: Connection) -> None:
    """Version 2: the summary beside each lead's newest insight, and audit records that may
    share their insight's research. Old audit records keep their research (``research_shared``
    is false for them); every lead's summary is made from its stored newest insight."""
    _add_column(conn, LATEST, "summary")
    _add_column(conn, AUDIT, "research_shared")
    page = (
        select(LATEST.c.lead_id, INSIGHTS.c.body)
        .join(
            INSIGHTS,
            (INSIGHTS.c.lead_id == LATEST.c.lead_id) & (INSIGHTS.c.version == LATEST.c.version),
        )
        .order_by(LATEST.c.lead_id)
        .limit(_PAGE)
    )
    fill = (
        update(LATEST)
        .where(LATEST.c.lead_id == bindparam("lead"))
        .values(summary=bindparam("text"))
    )
    after: str | None = None
    while True:
        query = page if after is None else page.where(LATEST.c.lead_id > after)
        rows = conn.execute(query).all()
        if not rows:
            return
        conn.execute(
            fill,
            [
                {
                    "lead": lead,
                    "text": encode(
                        InsightSummary.of(decode(LeadInsight, body, f"insight of lead {lead!r}")),
                        "insight",
                    ),
                }
                for lead, body in rows
            ],
        )
        after = rows[-1][0]


MIGRATIONS: Mapping[int, Migration] = {1: _v1_to_v2}
"""Step from version N (the key) to N + 1. Applied in order on open, all in one transaction, so a
failed step leaves the store at its old version. Version 1 has no predecessor: a new store is
created at :data:`SCHEMA_VERSION` directly."""
