"""What only the SQL store does: opening and refusing databases, schema versions and migrations,
transactions that survive failures and crashes, and the SQLite and PostgreSQL specifics."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import URL, Connection, create_engine, event, inspect, make_url, text

from leadqual.errors import (
    ConfigurationError,
    StoreConflict,
    StoreCorrupt,
    StoreError,
    StoreSchemaError,
)
from leadqual.insight import AuditRecord, InsightSummary, LeadInsight
from leadqual.store import SCHEMA_VERSION, SqlInsightStore, _schema

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "store"
MakeInsight = Callable[..., LeadInsight]


@pytest.fixture
def sql_url(file_place: Any) -> URL:
    """The URL of an empty database (an SQLite file, or a PostgreSQL schema)."""
    url = file_place.url
    assert isinstance(url, URL)
    return url


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    return tmp_path / "insights.db"


@pytest.fixture
def opened_sql() -> Iterator[list[SqlInsightStore]]:
    stores: list[SqlInsightStore] = []
    yield stores
    for store in stores:
        store.close()


@pytest.fixture
def open_sql(opened_sql: list[SqlInsightStore]) -> Callable[..., SqlInsightStore]:
    def open_(url: str | URL, **options: Any) -> SqlInsightStore:
        store = SqlInsightStore(url, **options)
        opened_sql.append(store)
        return store

    return open_


def _run_sql(url: URL, sql: str) -> None:
    """Run statements separated by ``;`` outside the store (to build or damage a database)."""
    statements = [
        s
        for s in (
            "\n".join(line for line in chunk.splitlines() if not line.startswith("--")).strip()
            for chunk in sql.split(";\n")
        )
        if s
    ]
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement.rstrip(";"))
    finally:
        engine.dispose()


def _scalar(url: URL, sql: str) -> Any:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text(sql))
    finally:
        engine.dispose()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _schema_of(url: URL) -> dict[str, Any]:
    """Tables with their columns (name, type, nullability), keys and indexes."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            return {
                table: {
                    "columns": [
                        (c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)
                    ],
                    "pk": found.get_pk_constraint(table)["constrained_columns"],
                    "fks": sorted(
                        (fk["referred_table"], tuple(fk["constrained_columns"]))
                        for fk in found.get_foreign_keys(table)
                    ),
                    "indexes": sorted(
                        (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                        for i in found.get_indexes(table)
                    ),
                    "unique": sorted(
                        tuple(u["column_names"]) for u in found.get_unique_constraints(table)
                    ),
                }
                for table in sorted(found.get_table_names())
            }
    finally:
        engine.dispose()


# -- opening: what is refused, and what is not touched -------------------------------------------


def test_a_text_file_is_refused_as_corrupt_and_left_as_it_was(sqlite_file: Path) -> None:
    sqlite_file.write_text("name,email\nAda,ada@contoso.com\n" * 50)
    before = _digest(sqlite_file)
    with pytest.raises(StoreCorrupt, match=r"not a leadqual insight store.*nothing was changed"):
        SqlInsightStore.sqlite(sqlite_file)
    assert _digest(sqlite_file) == before


def test_random_bytes_are_refused_as_corrupt(sqlite_file: Path) -> None:
    sqlite_file.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(StoreCorrupt):
        SqlInsightStore.sqlite(sqlite_file)


def test_an_sqlite_database_of_something_else_is_refused_and_not_changed(
    sqlite_file: Path,
) -> None:
    with sqlite3.connect(sqlite_file) as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        db.execute("INSERT INTO invoices VALUES (1, 99.5)")
    db.close()
    before = _digest(sqlite_file)
    with pytest.raises(StoreCorrupt, match=r"something else \(tables: invoices\)"):
        SqlInsightStore.sqlite(sqlite_file)
    assert _digest(sqlite_file) == before
    with sqlite3.connect(sqlite_file) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
        assert db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall() == [
            ("invoices",)
        ]
    db.close()


def test_an_empty_file_becomes_a_new_store(sqlite_file: Path) -> None:
    sqlite_file.touch()
    store = SqlInsightStore.sqlite(sqlite_file)
    assert store.schema_version == SCHEMA_VERSION
    store.close()


def test_a_postgres_database_shared_with_other_tables_is_fine(
    postgres_url: URL, open_sql: Callable[..., SqlInsightStore], make_insight: MakeInsight
) -> None:
    _run_sql(postgres_url, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    store = open_sql(postgres_url)
    store.save(make_insight())
    assert _scalar(postgres_url, "SELECT count(*) FROM invoices") == 0


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("DROP TABLE leadqual_meta", "partly deleted"),
        ("DROP TABLE leadqual_rotation", "lacks the tables leadqual_rotation"),
        ("UPDATE leadqual_meta SET value = 'someone else' WHERE key = 'store'", "not leadqual's"),
        ("UPDATE leadqual_meta SET value = 'one' WHERE key = 'schema_version'", "no readable"),
        ("DELETE FROM leadqual_meta WHERE key = 'schema_version'", "no readable"),
        ("UPDATE leadqual_meta SET value = '0' WHERE key = 'schema_version'", "never used"),
    ],
)
def test_a_damaged_store_is_refused(sql_url: URL, damage: str, message: str) -> None:
    SqlInsightStore(sql_url).close()
    _run_sql(sql_url, damage)
    with pytest.raises(StoreCorrupt, match=message):
        SqlInsightStore(sql_url)


def test_a_record_changed_outside_leadqual_reads_as_corrupt(
    sql_url: URL, open_sql: Callable[..., SqlInsightStore], make_insight: MakeInsight
) -> None:
    store = open_sql(sql_url)
    store.save(make_insight("L-1"))
    _run_sql(sql_url, """UPDATE leadqual_insights SET body = '{"lead_id": "L-1"}'""")
    with pytest.raises(StoreCorrupt, match=r"insight of lead 'L-1' does not read as a LeadInsight"):
        store.latest("L-1")


def test_a_store_from_a_newer_leadqual_is_refused_and_not_changed(
    file_place: Any, sql_url: URL
) -> None:
    SqlInsightStore(sql_url).close()
    _run_sql(sql_url, "UPDATE leadqual_meta SET value = '99' WHERE key = 'schema_version'")
    before = _digest(file_place.path) if file_place.path else None
    with pytest.raises(StoreSchemaError, match="upgrade leadqual") as caught:
        SqlInsightStore(sql_url)
    assert (caught.value.found, caught.value.supported) == (99, SCHEMA_VERSION)
    assert "Nothing was changed" in str(caught.value)
    if file_place.path:
        assert _digest(file_place.path) == before
    assert _scalar(sql_url, "SELECT value FROM leadqual_meta WHERE key = 'schema_version'") == "99"


def test_urls_other_than_sqlite_and_postgres_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="SQLite and PostgreSQL, not 'mysql'"):
        SqlInsightStore("mysql://user@localhost/crm")
    with pytest.raises(ConfigurationError, match="not a database URL"):
        SqlInsightStore("insights.db")


def test_a_file_in_a_missing_folder_is_refused_and_no_folder_is_made(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="folder does not exist"):
        SqlInsightStore.sqlite(tmp_path / "missing" / "insights.db")
    assert not (tmp_path / "missing").exists()


def test_a_folder_is_not_a_store_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="could not open") as caught:
        SqlInsightStore(URL.create("sqlite", database=str(tmp_path)))
    assert not isinstance(caught.value, StoreCorrupt)


# -- schema versions and migrations ---------------------------------------------------------------


def _create_v1(url: URL) -> None:
    dialect = url.get_backend_name()
    _run_sql(url, (FIXTURES / f"v1.{dialect}.sql").read_text(encoding="utf-8"))


def test_a_version_1_store_opens_with_everything_in_it(
    sql_url: URL, open_sql: Callable[..., SqlInsightStore], make_insight: MakeInsight
) -> None:
    _create_v1(sql_url)
    store = open_sql(sql_url)
    assert store.schema_version == SCHEMA_VERSION
    assert [i.version for i in store.history("L-1")] == [1, 2]
    latest = store.latest("L-1")
    assert latest is not None and latest.version == 2 and latest.card.name == "Ada Lovelace"
    assert [a.context.lead.email for a in store.audit("L-1")] == ["ada@contoso.com"]
    consent = store.consent("S-1")
    assert consent is not None and consent.web_research is True
    assert [f.reason for f in store.feedback(lead_id="L-1")] == ["wrong_timing"]
    assert [r.lead_id for r in store.reviews()] == ["L-1"]
    assert list(store.pending("B-1")) == ["L-2"]
    assert store.next_turn("east", ["S-a", "S-b"]) == "S-b"
    with pytest.raises(StoreConflict):
        store.save(make_insight("L-1", 2))
    store.save(make_insight("L-1", 3))
    assert _scalar(sql_url, "SELECT value FROM leadqual_meta WHERE key = 'schema_version'") == str(
        SCHEMA_VERSION
    )


def test_a_migrated_version_1_store_has_the_schema_of_a_new_store(
    file_place: Any, sql_url: URL, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    _create_v1(sql_url)
    SqlInsightStore(sql_url).close()
    if file_place.backend == "sqlite":
        fresh = URL.create("sqlite", database=str(tmp_path / "fresh.db"))
    else:
        base = make_url(sql_url)
        schema = base.query["options"]
        fresh_schema = f"{str(schema).split('=')[1]}_fresh"
        _run_sql(base, f'CREATE SCHEMA "{fresh_schema}"')
        request.addfinalizer(lambda: _run_sql(base, f'DROP SCHEMA "{fresh_schema}" CASCADE'))
        fresh = base.update_query_dict({"options": f"-csearch_path={fresh_schema}"})
    SqlInsightStore(fresh).close()
    assert _schema_of(sql_url) == _schema_of(fresh)


def _add_note_column(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE leadqual_review ADD COLUMN note TEXT")


def test_an_older_store_is_migrated_on_open_and_then_refused_by_the_older_leadqual(
    sql_url: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    _create_v1(sql_url)
    newer = SCHEMA_VERSION + 1
    with monkeypatch.context() as patched:
        # A leadqual whose next schema version adds a column to the review table.
        patched.setattr(_schema, "SCHEMA_VERSION", newer)
        patched.setattr(
            _schema, "MIGRATIONS", {**_schema.MIGRATIONS, SCHEMA_VERSION: _add_note_column}
        )
        store = SqlInsightStore(sql_url)
        assert store.schema_version == newer
        assert [r.lead_id for r in store.reviews()] == ["L-1"]
        store.close()
        assert "note" in [c["name"] for c in _columns(sql_url, "leadqual_review")]
        assert _scalar(
            sql_url, "SELECT value FROM leadqual_meta WHERE key='schema_version'"
        ) == str(newer)
    # This leadqual meets the store migrated by the newer one.
    with pytest.raises(StoreSchemaError) as caught:
        SqlInsightStore(sql_url)
    assert (caught.value.found, caught.value.supported) == (newer, SCHEMA_VERSION)


def test_a_failed_migration_leaves_the_store_as_it_was(
    sql_url: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    _create_v1(sql_url)

    def half_done(conn: Connection) -> None:
        conn.exec_driver_sql("ALTER TABLE leadqual_review ADD COLUMN reviewer TEXT")
        raise RuntimeError("the last step of the migration failed")

    with monkeypatch.context() as patched:
        # Every real step runs (and is rolled back) before the failing ones.
        patched.setattr(_schema, "SCHEMA_VERSION", SCHEMA_VERSION + 2)
        patched.setattr(
            _schema,
            "MIGRATIONS",
            {**_schema.MIGRATIONS, SCHEMA_VERSION: _add_note_column, SCHEMA_VERSION + 1: half_done},
        )
        with pytest.raises(RuntimeError, match="last step"):
            SqlInsightStore(sql_url)
    columns = [c["name"] for c in _columns(sql_url, "leadqual_review")]
    assert "note" not in columns
    assert "reviewer" not in columns
    assert "summary" not in [c["name"] for c in _columns(sql_url, "leadqual_latest")]
    assert _scalar(sql_url, "SELECT value FROM leadqual_meta WHERE key='schema_version'") == "1"
    store = SqlInsightStore(sql_url)
    assert [i.version for i in store.history("L-1")] == [1, 2]
    store.close()


def _columns(url: URL, table: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(inspect(conn).get_columns(table))
    finally:
        engine.dispose()


# -- transactions: failures and crashes -----------------------------------------------------------


def test_a_failure_between_the_insight_and_its_audit_stores_neither(
    sql_url: URL,
    open_sql: Callable[..., SqlInsightStore],
    make_insight: MakeInsight,
    realistic: list[tuple[LeadInsight, AuditRecord]],
) -> None:
    item, record = realistic[0]
    store = open_sql(sql_url)

    def disk_full(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO LEADQUAL_AUDIT"):
            raise OSError("disk full")

    event.listen(store.engine, "before_cursor_execute", disk_full)
    with pytest.raises(OSError, match="disk full"):
        store.save(item, record)
    event.remove(store.engine, "before_cursor_execute", disk_full)
    assert store.latest(item.lead_id) is None
    assert list(store.history(item.lead_id)) == []
    assert list(store.insights()) == []
    assert list(store.audit(item.lead_id)) == []
    store.save(item, record)  # nothing half-written blocks the retry
    assert list(store.audit(item.lead_id)) == [record]


CRASHING_WRITER = textwrap.dedent(
    """
    import os, sys
    from sqlalchemy import event
    from leadqual.insight import AuditRecord, LeadInsight
    from leadqual.store import SqlInsightStore

    url, insight_file, audit_file = sys.argv[1:4]
    store = SqlInsightStore(url)
    item = LeadInsight.model_validate_json(open(insight_file).read())
    record = AuditRecord.model_validate_json(open(audit_file).read())

    def power_cut(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO LEADQUAL_AUDIT"):
            os._exit(17)  # the process dies mid-transaction: no rollback, no cleanup

    event.listen(store.engine, "before_cursor_execute", power_cut)
    store.save(item, record)
    """
)


def test_a_process_killed_in_the_middle_of_a_save_leaves_the_earlier_state(
    sql_url: URL,
    tmp_path: Path,
    make_insight: MakeInsight,
    realistic: list[tuple[LeadInsight, AuditRecord]],
) -> None:
    item, record = realistic[0]
    store = SqlInsightStore(sql_url)
    store.save(item, record)
    store.close()
    newer = item.model_copy(update={"version": 2})
    (tmp_path / "insight.json").write_text(newer.model_dump_json())
    (tmp_path / "audit.json").write_text(
        record.model_copy(update={"insight_version": 2}).model_dump_json()
    )
    crashed = subprocess.run(
        [
            sys.executable,
            "-c",
            CRASHING_WRITER,
            sql_url.render_as_string(hide_password=False),
            str(tmp_path / "insight.json"),
            str(tmp_path / "audit.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert crashed.returncode == 17, crashed.stderr

    store = SqlInsightStore(sql_url)
    try:
        assert [i.version for i in store.history(item.lead_id)] == [1]
        assert list(store.audit(item.lead_id)) == [record]
        store.save(newer)  # the lead is not locked or half-written
        assert [i.version for i in store.history(item.lead_id)] == [1, 2]
    finally:
        store.close()
    if sql_url.get_backend_name() == "sqlite":
        assert _scalar(sql_url, "PRAGMA integrity_check") == "ok"


WRITER = textwrap.dedent(
    """
    import json, sys
    from datetime import UTC, datetime
    from leadqual.errors import StoreConflict
    from leadqual.insight import LeadInsight, SellerCard
    from leadqual.store import SqlInsightStore

    store = SqlInsightStore(sys.argv[1])
    card = SellerCard(name="Ada", next_action="Call", reason="Asked", call_to_action="Call")
    saved = []
    for version in range(1, 21):
        try:
            store.save(LeadInsight(lead_id="L-1", version=version, card=card,
                                   refreshed_at=datetime.now(UTC)))
            saved.append(version)
        except StoreConflict:
            pass
    store.close()
    print(json.dumps(saved))
    """
)


def test_processes_refreshing_one_lead_never_store_a_version_twice_or_backwards(
    sql_url: URL,
) -> None:
    SqlInsightStore(sql_url).close()
    url = sql_url.render_as_string(hide_password=False)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err.decode()
        results.append(json.loads(out))
    store = SqlInsightStore(sql_url)
    try:
        versions = [i.version for i in store.history("L-1")]
    finally:
        store.close()
    won = sorted(v for saved in results for v in saved)
    assert versions == won  # every version stored was saved by exactly one process
    assert versions == sorted(set(versions))
    assert versions[-1] == 20


# -- SQLite and PostgreSQL specifics --------------------------------------------------------------


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(sqlite_file: Path) -> None:
    store = SqlInsightStore.sqlite(sqlite_file, busy_timeout=12.5)
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 12500
    finally:
        store.close()


def test_an_in_memory_sqlite_store_works_and_is_gone_when_closed(
    make_insight: MakeInsight,
) -> None:
    store = SqlInsightStore("sqlite://")
    store.save(make_insight())
    assert store.latest("L-1") is not None
    store.close()
    again = SqlInsightStore("sqlite://")
    assert again.latest("L-1") is None
    again.close()


def test_a_plain_postgresql_url_uses_psycopg_and_the_password_is_hidden(
    postgres_url: URL, open_sql: Callable[..., SqlInsightStore]
) -> None:
    plain = postgres_url.set(drivername="postgresql")
    store = open_sql(plain)
    assert store.engine.dialect.driver == "psycopg"
    if postgres_url.password:
        assert f":{postgres_url.password}@" not in store.url
        assert f":{postgres_url.password}@" not in repr(store)
        assert ":***@" in store.url


def test_a_database_that_cannot_be_reached_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="could not open") as caught:
        SqlInsightStore(
            "postgresql+psycopg://nobody:secret@127.0.0.1:1/none",
            engine_options={"connect_args": {"connect_timeout": 2}},
        )
    assert "secret" not in str(caught.value)


# -- group saves under contention ----------------------------------------------------------------


def test_two_writers_saving_one_group_in_opposite_orders_end_in_a_conflict_not_a_deadlock(
    sql_url: URL, make_insight: MakeInsight, opened_sql: list[SqlInsightStore]
) -> None:
    import threading

    one, two = SqlInsightStore(sql_url), SqlInsightStore(sql_url)
    opened_sql.extend([one, two])
    for round_ in range(3):
        ids = [f"L-{round_}-{k:03d}" for k in range(120)]
        groups = {
            one: [(make_insight(i, 1), None) for i in ids],
            two: [(make_insight(i, 1), None) for i in reversed(ids)],
        }
        outcomes: dict[SqlInsightStore, BaseException | None] = {}
        start = threading.Barrier(2)

        threads = [
            threading.Thread(target=_save_group, args=(s, groups[s], start, outcomes))
            for s in (one, two)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        errors = [e for e in outcomes.values() if e is not None]
        assert len(outcomes) == 2 and len(errors) == 1, outcomes
        assert isinstance(errors[0], StoreConflict), repr(errors[0])
        assert all(one.latest(i) is not None for i in ids)


def _save_group(
    store: SqlInsightStore,
    group: list[tuple[LeadInsight, None]],
    start: Any,
    outcomes: dict[SqlInsightStore, BaseException | None],
) -> None:
    start.wait()
    try:
        store.save_many(group)
        outcomes[store] = None
    except BaseException as err:
        outcomes[store] = err


class _Deadlocked(Exception):
    sqlstate = "40P01"


def test_a_group_rolled_back_for_a_deadlock_is_tried_again(
    sqlite_file: Path, make_insight: MakeInsight, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    store = SqlInsightStore.sqlite(sqlite_file)
    real = store._write_group
    calls: list[int] = []

    def flaky(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT ...", {}, _Deadlocked("deadlock detected"))
        real(*args)

    monkeypatch.setattr(store, "_write_group", flaky)
    try:
        store.save_many([(make_insight("L-1", 1), None)])
        assert len(calls) == 2 and store.latest("L-1") is not None
        # Not forever: a deadlock every time is reported.
        calls.clear()
        monkeypatch.setattr(
            store,
            "_write_group",
            lambda *a: (_ for _ in ()).throw(OperationalError("X", {}, _Deadlocked("again"))),
        )
        with pytest.raises(StoreError, match="again"):
            store.save_many([(make_insight("L-2", 1), None)])
        assert store.latest("L-2") is None
    finally:
        store.close()


def test_a_group_marks_a_batch_of_any_size_done_within_the_parameter_limits(
    sql_url: URL, make_insight: MakeInsight, opened_sql: list[SqlInsightStore]
) -> None:
    store = SqlInsightStore(sql_url)
    opened_sql.append(store)
    ids = [f"L-{k:05d}" for k in range(1500)]
    store.start_batch("big", ids)
    widest: list[int] = []

    @event.listens_for(store._writer, "before_cursor_execute")
    def count(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if not many and statement.lstrip().upper().startswith("UPDATE"):
            widest.append(len(params) if params else 0)

    store.save_many([(make_insight(i, 1), None) for i in ids], batch_id="big")
    assert list(store.pending("big")) == []
    assert widest and max(widest) <= 1000


def test_an_sqlite_file_that_refuses_wal_is_synced_fully(
    sqlite_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SqlInsightStore.sqlite(sqlite_file)  # durability "normal", safe only in WAL mode
    try:
        with caplog.at_level("WARNING", logger="leadqual.store"):
            store._no_wal("delete")
        assert "not WAL" in caplog.text
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        store.close()


def test_a_version_1_store_with_research_in_its_audit_gets_summaries_and_reads_it_back(
    sql_url: URL,
    open_sql: Callable[..., SqlInsightStore],
    realistic: list[tuple[LeadInsight, AuditRecord]],
) -> None:
    _create_v1(sql_url)
    # Rows as version 1 wrote them: the audit record holds its research itself.
    item, record = realistic[0]
    assert record.research is not None
    engine = create_engine(sql_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO leadqual_insights (lead_id, version, owner_id, refreshed_at, body) "
                    "VALUES (:lead, 1, :owner, :at, :body)"
                ),
                {
                    "lead": item.lead_id,
                    "owner": item.owner_id,
                    "at": item.refreshed_at,
                    "body": item.model_dump_json(),
                },
            )
            conn.execute(
                text(
                    "INSERT INTO leadqual_latest (lead_id, version, owner_id, refreshed_at) "
                    "VALUES (:lead, 1, :owner, :at)"
                ),
                {"lead": item.lead_id, "owner": item.owner_id, "at": item.refreshed_at},
            )
            conn.execute(
                text(
                    "INSERT INTO leadqual_audit (lead_id, insight_version, recorded_at, body) "
                    "VALUES (:lead, 1, :at, :body)"
                ),
                {"lead": item.lead_id, "at": record.recorded_at, "body": record.model_dump_json()},
            )
    finally:
        engine.dispose()
    store = open_sql(sql_url)
    assert store.schema_version == SCHEMA_VERSION == 2
    assert list(store.audit(item.lead_id)) == [record]
    assert _scalar(sql_url, "SELECT COUNT(*) FROM leadqual_audit WHERE research_shared") == 0
    # Every lead has its summary, made from its stored newest insight.
    assert _scalar(sql_url, "SELECT COUNT(*) FROM leadqual_latest WHERE summary IS NULL") == 0
    assert list(store.summaries()) == [InsightSummary.of(i) for i in store.insights()]
    # A record saved now keeps the research once, in the insight, and reads back whole.
    newer = item.replace(version=2)
    store.save(newer, record.replace(insight_version=2))
    assert _scalar(sql_url, "SELECT COUNT(*) FROM leadqual_audit WHERE research_shared") == 1
    shared = _scalar(sql_url, "SELECT body FROM leadqual_audit WHERE insight_version = 2")
    assert '"research"' not in shared and len(shared) < len(record.model_dump_json()) - 1000
    assert store.latest_audit(item.lead_id) == record.replace(insight_version=2)


def test_a_shared_audit_record_whose_insight_was_tampered_with_reads_as_corrupt(
    sql_url: URL,
    open_sql: Callable[..., SqlInsightStore],
    realistic: list[tuple[LeadInsight, AuditRecord]],
) -> None:
    store = open_sql(sql_url)
    item, record = realistic[0]
    store.save(item, record)
    _run_sql(sql_url, "UPDATE leadqual_insights SET body = 'not json'")
    with pytest.raises(StoreCorrupt, match="research"):
        store.latest_audit(item.lead_id)
