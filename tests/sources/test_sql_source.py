"""SqlSource reads a user's own tables on SQLite and PostgreSQL, the same as MemorySource reads
the same records, and writes nothing unless asked.

The PostgreSQL tests read a database URL from ``LEADQUAL_TEST_POSTGRES_DSN``; each test gets a
schema of its own, dropped afterwards. Without the variable they skip, except on CI (``CI``
set), where they fail: a CI run must not pass without PostgreSQL.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    URL,
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    inspect,
    make_url,
    text,
)

from leadqual._text import clean_cell
from leadqual.errors import (
    ConfigurationError,
    CrmWriteError,
    RecordNotFound,
    RowConversionError,
    ValidationFailed,
)
from leadqual.models import (
    Account,
    Lead,
    LeadStatus,
    Note,
    OpportunityStatus,
    RecordRef,
    Seller,
)
from leadqual.sources import (
    CrmSnapshot,
    CrmSource,
    CrmWriter,
    MemorySource,
    SqlMapping,
    SqlSource,
    TableMap,
    WritableSqlSource,
    build_context,
)
from leadqual.sources.sample import SampleData

DSN_VARIABLE = "LEADQUAL_TEST_POSTGRES_DSN"
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def postgres_dsn() -> URL:
    """The test database's URL; skip without one, fail on CI without one."""
    dsn = os.environ.get(DSN_VARIABLE, "").strip()
    if not dsn:
        if os.environ.get("CI"):
            pytest.fail(
                f"CI is set but {DSN_VARIABLE} is not: the PostgreSQL source tests must run on "
                "CI (.ci/run sets up a server and the variable)"
            )
        pytest.skip(f"set {DSN_VARIABLE} to a PostgreSQL database URL to run these tests")
    url = make_url(dsn)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


@dataclass
class Db:
    """A database holding a user's tables: ``engine`` is the user's own (it may write)."""

    backend: str
    engine: Engine
    url: str | URL
    schema: str | None = None
    path: Path | None = None

    def mapping(self, preset: str = "leadqual", **tables: Any) -> SqlMapping:
        base = getattr(SqlMapping, preset)(schema_name=self.schema)
        return base.model_copy(update=tables) if tables else base

    def table(self, name: str) -> str:
        return f'"{self.schema}"."{name}"' if self.schema else f'"{name}"'

    def state(self) -> tuple[object, ...]:
        """Everything that must not change when only reads happen."""
        if self.path is not None:
            return (hashlib.sha256(self.path.read_bytes()).hexdigest(),)
        with self.engine.connect() as conn:
            names = inspect(conn).get_table_names(schema=self.schema)
            rows = tuple(
                tuple(map(tuple, conn.execute(text(f"SELECT * FROM {self.table(n)}"))))
                for n in sorted(names)
            )
            indexes = tuple(
                str(inspect(conn).get_indexes(n, schema=self.schema)) for n in sorted(names)
            )
        return (tuple(sorted(names)), indexes, hash(rows))


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """An SQLite file and a PostgreSQL schema, each in turn."""
    if request.param == "sqlite":
        path = tmp_path / "crm.db"
        engine = create_engine(f"sqlite:///{path}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS unrelated (x INTEGER)"))
        yield Db("sqlite", engine, f"sqlite:///{path}", path=path)
        engine.dispose()
        return
    url = postgres_dsn()
    schema = f"leadqual_sqlsrc_{uuid.uuid4().hex[:12]}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield Db("postgres", engine, url, schema=schema)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


# -- building a user's tables from records ----------------------------------------------------

_TYPES = {"text": Text, "texts": Text, "int": Integer, "float": Float, "bool": Boolean,
          "datetime": DateTime(timezone=True), "scalar": Text}  # fmt: skip


def _shape(kind: str, target: str) -> str:
    from leadqual.sources._records import shape_of

    return shape_of(kind, target)


def _value(record: Any, target: str) -> Any:
    head, _, rest = target.partition(".")
    value = getattr(record, head, None)
    if rest and head == "phones":
        return next((p.number for p in value or () if p.kind == rest), None)
    if rest and head == "custom_fields":
        return (value or {}).get(rest)
    if rest:
        return getattr(value, rest, None) if value is not None else None
    if isinstance(value, tuple):
        return ";".join(value) if value else None
    return value.value if hasattr(value, "value") and not isinstance(value, bool) else value


KINDS = {"leads": "lead", "accounts": "account", "contacts": "contact",
         "opportunities": "opportunity", "activities": "activity", "notes": "note",
         "sellers": "seller"}  # fmt: skip


def create_tables(db: Db, mapping: SqlMapping, snapshot: CrmSnapshot) -> None:
    """The user's tables for ``mapping`` (one column per target, typed), holding ``snapshot``."""
    metadata = MetaData(schema=db.schema)
    filled: list[tuple[Table, list[dict[str, Any]]]] = []
    for name, kind in KINDS.items():
        specs = getattr(mapping, name)
        spec = (specs[0] if specs else None) if isinstance(specs, tuple) else specs
        if spec is None:
            continue
        columns = {
            col: _TYPES["text" if target == "id" else _shape(kind, target)]
            for target, col in spec.columns.items()
            if isinstance(col, str)
        }
        table = Table(spec.table, metadata, *(Column(c, t) for c, t in columns.items()))
        rows = [
            {col: _value(r, t) for t, col in spec.columns.items() if isinstance(col, str)}
            for r in getattr(snapshot, name)
        ]
        filled.append((table, rows))
    metadata.create_all(db.engine)
    with db.engine.begin() as conn:
        for table, rows in filled:
            if rows:
                conn.execute(insert(table), rows)


def _sample_mapping(db: Db) -> SqlMapping:
    base = db.mapping()
    assert base.leads is not None
    leads = base.leads.model_copy(
        update={
            "columns": {
                **base.leads.columns,
                "custom_fields.preferred_language": "preferred_language",
            }
        }
    )
    return base.model_copy(update={"leads": leads})


def _without_attachments(snapshot: CrmSnapshot) -> CrmSnapshot:
    # Attachment metadata has no column in a flat table.
    notes = tuple(n.replace(attachments=()) for n in snapshot.notes)
    return snapshot.model_copy(update={"notes": notes})


# -- the CrmSource contract: the same answers as MemorySource ----------------------------------


def test_the_sample_crm_reads_back_the_same_as_from_memory(db: Db, sample_data: SampleData) -> None:
    snapshot = _without_attachments(sample_data.crm)
    mapping = _sample_mapping(db)
    create_tables(db, mapping, snapshot)
    memory = MemorySource.from_snapshot(snapshot)
    with SqlSource(db.url, mapping) as sql:
        assert isinstance(sql, CrmSource)
        assert not isinstance(sql, CrmWriter)
        assert sql.leads() == memory.leads()
        assert sql.contacts() == memory.contacts()
        assert sql.accounts() == memory.accounts()
        assert sql.opportunities() == memory.opportunities()
        assert sql.activities() == memory.activities()
        assert sql.notes() == memory.notes()
        assert sql.sellers() == memory.sellers()
        seller = memory.sellers()[1].id
        since = sample_data.as_of - timedelta(days=30)
        for status in LeadStatus:
            assert sql.leads(status=status) == memory.leads(status=status)
            assert sql.leads(owner_id=seller, status=status, modified_since=since) == (
                memory.leads(owner_id=seller, status=status, modified_since=since)
            )
        assert sql.leads(modified_since=since) == memory.leads(modified_since=since)
        assert sql.leads(owner_id="nobody") == []
        account = memory.accounts()[0]
        assert sql.contacts(account_id=account.id) == memory.contacts(account_id=account.id)
        assert sql.accounts(modified_since=since) == memory.accounts(modified_since=since)
        for status in OpportunityStatus:
            assert sql.opportunities(account_id=account.id, status=status) == (
                memory.opportunities(account_id=account.id, status=status)
            )
        assert sql.sellers() and sql.get_seller(seller) == memory.get_seller(seller)
        assert sql.row_errors == []
        for lead in memory.leads()[::25]:
            assert sql.get_lead(lead.id) == lead
            assert build_context(sql, lead.id) == build_context(memory, lead.id)
        with pytest.raises(RecordNotFound):
            sql.get_lead("L-404")
        with pytest.raises(RecordNotFound):
            sql.get_account("A-404")


# -- read-only means no DDL and no DML ------------------------------------------------------------


def test_a_read_only_source_runs_only_selects_and_leaves_the_database_unchanged(
    db: Db, sample_data: SampleData
) -> None:
    snapshot = _without_attachments(sample_data.crm)
    mapping = _sample_mapping(db)
    create_tables(db, mapping, snapshot)
    before = db.state()
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        with SqlSource(db.url, mapping) as sql:
            lead = sql.leads(status=LeadStatus.OPEN)[0]
            build_context(sql, lead.id)
            list(sql.iter_leads(modified_since=T0))
            sql.sellers()
            for method in ("update_lead_status", "create_account", "move_notes"):
                assert not hasattr(sql, method)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert statements
    for statement in statements:
        words = statement.lstrip().split(None, 1)
        first = words[0].upper()
        assert first in ("SELECT", "PRAGMA", "SHOW", "WITH"), statement
        if first == "PRAGMA":
            assert "=" not in statement, statement
    assert db.state() == before


def test_a_read_only_connection_refuses_a_write_at_the_database(db: Db) -> None:
    create_tables(db, db.mapping(), CrmSnapshot(leads=(Lead(id="L-1", created_at=T0),)))
    before = db.state()
    with SqlSource(db.url, db.mapping()) as sql:
        engine: Engine = sql._engine  # the connection the source opened for itself
        with pytest.raises(Exception, match=r"(?i)read.?only"), engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {db.table('leads')}"))
    assert db.state() == before


# -- a wrong mapping is refused, naming what would fit ----------------------------------------


def _one_lead_table(db: Db) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE {db.table('people')} (lead_no VARCHAR(20), last_name TEXT, "
                "entered TIMESTAMP, employees TEXT, status_code INTEGER, notes TEXT)"
            )
        )


def _people(**columns: str) -> TableMap:
    return TableMap(
        table="people",
        columns={"id": "lead_no", "last_name": "last_name", "created_at": "entered", **columns},
    )


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            lambda s: SqlMapping(schema_name=s, leads=_people(first_name="lastname")),
            "no column 'lastname'.*did you mean 'last_name'",
        ),
        (
            lambda s: SqlMapping(
                schema_name=s, leads=_people().model_copy(update={"table": "peoples"})
            ),
            "no table 'peoples'.*did you mean 'people'",
        ),
        (
            lambda s: SqlMapping(schema_name=s, leads=_people(emial="notes")),
            "no field 'emial'.*did you mean 'email'",
        ),
        (
            lambda s: SqlMapping(
                schema_name=s,
                leads=TableMap(table="people", columns={"id": "lead_no", "last_name": "notes"}),
            ),
            "need 'created_at'",
        ),
        (
            lambda s: SqlMapping(
                schema_name=s,
                leads=_people(),
                activities=(
                    TableMap(
                        table="people",
                        columns={"id": "lead_no", "regarding.id": "lead_no"},
                        constants={"regarding.kind": "lead"},
                    ),
                ),
            ),
            "which kind of activity",
        ),
        (
            lambda s: SqlMapping(
                schema_name=s, leads=_people(), accounts=TableMap(table="people", columns={})
            ),
            "need 'id', 'name', 'created_at'",
        ),
    ],
    ids=["column", "table", "target", "required", "activity-kind", "account"],
)
def test_a_wrong_mapping_is_a_configuration_error_naming_what_fits(
    db: Db, mapping: Any, message: str
) -> None:
    _one_lead_table(db)
    before = db.state()
    with pytest.raises(ConfigurationError, match=message):
        SqlSource(db.url, mapping(db.schema))
    assert db.state() == before


def test_a_missing_file_is_refused_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    with pytest.raises(ConfigurationError, match="no SQLite database"):
        SqlSource(f"sqlite:///{path}")
    assert not path.exists()


def test_optional_tables_of_a_preset_may_be_missing(db: Db) -> None:
    create_tables(
        db,
        SqlMapping(leads=db.mapping().leads, schema_name=db.schema),
        CrmSnapshot(leads=(Lead(id="L-1", created_at=T0),)),
    )
    with SqlSource(db.url, db.mapping()) as sql:
        assert [lead.id for lead in sql.leads()] == ["L-1"]
        assert sql.accounts() == sql.activities() == sql.sellers() == []
        with pytest.raises(RecordNotFound):
            sql.get_account("A-1")


def test_a_column_name_differing_only_in_case_is_found(db: Db) -> None:
    _one_lead_table(db)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO {db.table('people')} (lead_no, last_name, entered) "
                "VALUES ('7', 'Ng', '2026-01-05 09:30:00')"
            )
        )
    mapping = SqlMapping(
        schema_name=db.schema,
        leads=TableMap(
            table="PEOPLE",
            columns={"id": "Lead_No", "last_name": "LAST_NAME", "created_at": "entered"},
        ),
    )
    with SqlSource(db.url, mapping) as sql:
        assert sql.get_lead("7").last_name == "Ng"


# -- NULLs and values that do not convert -----------------------------------------------------


def _insert_people(db: Db, *rows: tuple[Any, ...]) -> None:
    with db.engine.begin() as conn:
        for row in rows:
            conn.execute(
                text(
                    f"INSERT INTO {db.table('people')} "
                    "(lead_no, last_name, entered, employees, status_code, notes) "
                    "VALUES (:a, :b, :c, :d, :e, :f)"
                ),
                dict(zip("abcdef", row, strict=True)),
            )


PEOPLE = _people(
    employee_count="employees",
    status="status_code",
    description="notes",
    first_name="notes",
    **{"address.city": "notes", "custom_fields.note": "notes"},
)
PEOPLE = PEOPLE.model_copy(update={"values": {"status": {0: "open", 1: "qualified"}}})


def test_rows_full_of_nulls_read_as_records_with_defaults(db: Db) -> None:
    _one_lead_table(db)
    _insert_people(db, ("1", None, datetime(2026, 1, 2), None, None, None))
    with SqlSource(db.url, SqlMapping(schema_name=db.schema, leads=PEOPLE)) as sql:
        lead = sql.get_lead("1")
    assert lead == Lead(id="1", created_at=datetime(2026, 1, 2, tzinfo=UTC))
    assert lead.status is LeadStatus.OPEN and lead.address is None and lead.custom_fields == {}


def test_an_unreadable_row_is_skipped_and_reported_and_the_others_are_read(
    db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    _one_lead_table(db)
    _insert_people(
        db,
        ("1", "Ok", datetime(2026, 1, 2), "12", 1, "x"),
        ("2", "Many", datetime(2026, 1, 3), "lots", 0, None),
        ("3", "Undated", None, None, 0, None),
        ("4", "Unknown", datetime(2026, 1, 4), None, 7, None),
        ("5", "Ok", datetime(2026, 1, 5), None, None, None),
    )
    mapping = SqlMapping(schema_name=db.schema, leads=PEOPLE)
    with caplog.at_level(logging.WARNING), SqlSource(db.url, mapping) as sql:
        assert [lead.id for lead in sql.leads()] == ["1", "5"]
        assert sql.get_lead("1").status is LeadStatus.QUALIFIED
        assert sql.skipped == 3
        errors = {e.row_id: e for e in sql.row_errors}
        assert (errors["2"].column, errors["2"].field) == ("employees", "employee_count")
        assert errors["3"].column == "entered"
        assert errors["4"].column == "status_code"
        assert all(e.table.endswith("people") for e in errors.values())
        with pytest.raises(RowConversionError, match="employees") as info:
            sql.get_lead("2")
        assert isinstance(info.value, ValidationFailed)
    assert "skipped an unreadable row" in caplog.text
    assert "Many" not in caplog.text  # names are personal data; the log holds ids and columns
    with (
        SqlSource(db.url, mapping, on_error="raise") as strict,
        pytest.raises(RowConversionError, match=r"people row '[234]'"),
    ):
        strict.leads()


# -- a large table streams --------------------------------------------------------------------


def _fill(db: Db, rows: int) -> None:
    metadata = MetaData(schema=db.schema)
    table = Table(
        "big_leads",
        metadata,
        Column("id", String(20), primary_key=True),
        Column("last_name", Text),
        Column("company", Text),
        Column("created", DateTime(timezone=True)),
    )
    metadata.create_all(db.engine)
    with db.engine.begin() as conn:
        for start in range(0, rows, 5000):
            conn.execute(
                insert(table),
                [
                    {"id": f"L-{i:06d}", "last_name": f"Name {i}", "company": "Contoso " * 8,
                     "created": T0 + timedelta(seconds=i)}
                    for i in range(start, min(rows, start + 5000))
                ],
            )  # fmt: skip


def _peak_while_reading(db: Db, limit: int | None = None) -> tuple[int, int]:
    mapping = SqlMapping(
        schema_name=db.schema,
        leads=TableMap(
            table="big_leads",
            columns={"id": "id", "last_name": "last_name", "company_name": "company",
                     "created_at": "created"},
        ),
    )  # fmt: skip
    with SqlSource(db.url, mapping, page_size=500) as sql:
        tracemalloc.start()
        try:
            count = 0
            for lead in sql.iter_leads():
                count += 1
                if count == limit:
                    break
                assert lead.company_name
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return count, peak


def test_a_50000_row_table_streams_in_flat_memory(db: Db) -> None:
    _fill(db, 50_000)
    count_small, peak_small = _peak_while_reading(db, limit=2_000)
    count, peak = _peak_while_reading(db)
    assert (count_small, count) == (2_000, 50_000)
    # Holding the 50,000 leads would take well over 50 MB; streaming holds a page at a time,
    # so reading 25 times as many rows costs about the same memory.
    assert peak < 4_000_000, peak
    assert peak < 2 * peak_small + 1_000_000, (peak_small, peak)


# -- hostile values are plain data ---------------------------------------------------------------

HOSTILE = [
    "Robert'); DROP TABLE leads;--",
    "' OR '1'='1",
    'x" ; DELETE FROM leads; --',
    "%_\\ LIKE wildcards",
    "名前 🚀 ü",
    "A" * 100_000,
]


def test_hostile_values_round_trip_as_plain_data(db: Db) -> None:
    values = [*HOSTILE, *(["nul\x00inside"] if db.backend == "sqlite" else [])]
    leads = tuple(
        Lead(id=f"L-{i}", last_name=v, company_name=v, owner_id=v, created_at=T0)
        for i, v in enumerate(values)
    )
    weird = Lead(id=HOSTILE[0], last_name="Id", created_at=T0)
    create_tables(db, db.mapping(), CrmSnapshot(leads=(*leads, weird)))
    # text loses its control characters as a CSV cell does; keys (the owner) are kept as stored
    read = [
        lead.model_copy(
            update={
                "last_name": clean_cell(lead.last_name or ""),
                "company_name": clean_cell(lead.company_name or ""),
            }
        )
        for lead in leads
    ]
    with SqlSource(db.url, db.mapping()) as sql:
        assert sql.leads() == sorted([*read, weird], key=lambda r: (r.created_at, r.id))
        for lead in read:
            assert sql.leads(owner_id=lead.owner_id) == [lead]
        assert sql.get_lead(HOSTILE[0]) == weird
        with pytest.raises(RecordNotFound):
            sql.get_lead("' OR '1'='1")
    with db.engine.connect() as conn:
        assert "leads" in inspect(conn).get_table_names(schema=db.schema)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"])))
def test_any_text_reads_back_as_the_model_holds_it(db: Db, name: str) -> None:
    stored = Lead(id="L-1", last_name=name, created_at=T0)
    with db.engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {db.table('leads')}"))
    create_tables(db, db.mapping(), CrmSnapshot(leads=(stored,)))
    # as a CSV cell reads: control characters out, stripped, nothing left is no value
    expected = stored.model_copy(update={"last_name": clean_cell(name) or None})
    with SqlSource(db.url, db.mapping()) as sql:
        assert sql.get_lead("L-1") == expected


# -- codes, links and time filters -----------------------------------------------------------


def test_modified_since_falls_back_to_creation_and_reads_naive_times_as_utc(db: Db) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text(f"CREATE TABLE {db.table('leads')} (id TEXT, created TIMESTAMP, changed TEXT)")
        )
        conn.execute(
            text(f"INSERT INTO {db.table('leads')} VALUES (:i, :c, :m)"),
            [
                {"i": "old", "c": datetime(2025, 1, 1), "m": None},
                {"i": "new", "c": datetime(2026, 2, 1), "m": None},
                {"i": "touched", "c": datetime(2025, 1, 1), "m": "2026-02-01T10:00:00+02:00"},
                {"i": "touched-before", "c": datetime(2025, 1, 1), "m": "2026-01-31T23:00:00Z"},
            ],
        )
    mapping = SqlMapping(
        schema_name=db.schema,
        leads=TableMap(
            table="leads", columns={"id": "id", "created_at": "created", "modified_at": "changed"}
        ),
    )
    since = datetime(2026, 2, 1, 3, 0, tzinfo=UTC) - timedelta(hours=3)
    with SqlSource(db.url, mapping) as sql:
        assert {lead.id for lead in sql.leads(modified_since=since)} == {"new", "touched"}
        assert {lead.id for lead in sql.leads(modified_since=since.replace(tzinfo=None))} == {
            "new",
            "touched",
        }


def _dataverse_tables(db: Db) -> None:
    statements = [
        "CREATE TABLE {lead} (leadid UUID, subject TEXT, firstname TEXT, lastname TEXT, "
        "companyname TEXT, emailaddress1 TEXT, emailaddress2 TEXT, jobtitle TEXT, "
        "leadsourcecode INTEGER, industrycode INTEGER, statecode INTEGER, statuscode INTEGER, "
        "createdon TIMESTAMP, modifiedon TIMESTAMP, ownerid UUID, parentaccountid UUID, "
        "revenue DECIMAL(18, 4), numberofemployees INTEGER, address1_city TEXT, "
        "leadqualitycode INTEGER, versionnumber BIGINT)",
        "CREATE TABLE {account} (accountid UUID, name TEXT, createdon TIMESTAMP, "
        "industrycode INTEGER)",
        "CREATE TABLE {email} (activityid UUID, subject TEXT, regardingobjectid UUID, "
        "regardingobjecttypecode TEXT, directioncode BOOLEAN, sender TEXT, torecipients TEXT, "
        "description TEXT, senton TIMESTAMP, createdon TIMESTAMP, ownerid UUID)",
        "CREATE TABLE {annotation} (annotationid UUID, subject TEXT, notetext TEXT, "
        "objectid UUID, objecttypecode TEXT, createdby UUID, createdon TIMESTAMP)",
        "CREATE TABLE {systemuser} (systemuserid UUID, fullname TEXT, "
        "internalemailaddress TEXT, title TEXT, isdisabled BOOLEAN)",
    ]
    if db.backend == "sqlite":  # Synapse Link copies to SQLite keep GUIDs as text
        statements = [s.replace("UUID", "VARCHAR(36)") for s in statements]
    names = {n: db.table(n) for n in ("lead", "account", "email", "annotation", "systemuser")}
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement.format(**names)))


LEAD_ID = "0a3e4c1e-0000-4000-8000-000000000001"
LEAD_2 = "0a3e4c1e-0000-4000-8000-000000000002"
OWNER = "5b000000-0000-4000-8000-00000000000a"
ACCOUNT = "acc00000-0000-4000-8000-000000000001"


def _dataverse_rows(db: Db) -> None:
    lead = (
        f"INSERT INTO {db.table('lead')} (leadid, subject, firstname, lastname, companyname, "
        "emailaddress1, emailaddress2, jobtitle, leadsourcecode, industrycode, statecode, "
        "statuscode, createdon, modifiedon, ownerid, parentaccountid, revenue, "
        "numberofemployees, address1_city, leadqualitycode) VALUES (:id, 'Fleet software', "
        "'Kim', 'Ode', 'Contoso', 'kim@contoso.com', :email2, 'CFO', :source, 16, :state, "
        ":status, :created, :modified, :owner, :account, 1250000.5000, 120, 'Leeds', 1)"
    )
    with db.engine.begin() as conn:
        conn.execute(
            text(lead),
            [
                {"id": LEAD_ID, "email2": None, "source": 8, "state": 0, "status": 2,
                 "created": datetime(2026, 1, 5, 9), "modified": datetime(2026, 1, 6, 9),
                 "owner": OWNER, "account": ACCOUNT},
                {"id": LEAD_2, "email2": "ode@home.example", "source": 100000001, "state": 2,
                 "status": 6, "created": datetime(2026, 1, 7, 9), "modified": None,
                 "owner": OWNER, "account": None},
            ],
        )  # fmt: skip
        conn.execute(
            text(f"INSERT INTO {db.table('account')} VALUES (:id, 'Contoso Ltd', :at, 7)"),
            {"id": ACCOUNT, "at": datetime(2025, 6, 1)},
        )
        conn.execute(
            text(
                f"INSERT INTO {db.table('email')} VALUES ('e0000000-0000-4000-8000-000000000001',"
                " 'Pricing?', :lead, 'lead', FALSE, 'kim@contoso.com', 'sales@vendor.example; "
                "ceo@vendor.example', 'Can you send prices?', NULL, :at, :owner)"
            ),
            {"lead": LEAD_ID, "at": datetime(2026, 1, 5, 10), "owner": OWNER},
        )
        conn.execute(
            text(
                f"INSERT INTO {db.table('annotation')} VALUES "
                "('a0000000-0000-4000-8000-000000000001', 'Call notes', 'Budget in Q2', :lead, "
                "'lead', :owner, :at)"
            ),
            {"lead": LEAD_ID, "owner": OWNER, "at": datetime(2026, 1, 5, 11)},
        )
        conn.execute(
            text(
                f"INSERT INTO {db.table('systemuser')} VALUES (:owner, 'Sam Seller', "
                "'sam@vendor.example', 'Account Executive', FALSE)"
            ),
            {"owner": OWNER},
        )


def test_a_dataverse_export_reads_out_of_the_box(db: Db) -> None:
    _dataverse_tables(db)
    _dataverse_rows(db)
    before = db.state()
    with SqlSource(db.url, db.mapping("dataverse")) as sql:
        lead = sql.get_lead(LEAD_ID)
        assert (lead.first_name, lead.last_name, lead.company_name, lead.job_title) == (
            "Kim", "Ode", "Contoso", "CFO",
        )  # fmt: skip
        assert (lead.topic, lead.email, lead.lead_source, lead.industry) == (
            "Fleet software", "kim@contoso.com", "Web", "Financial",
        )  # fmt: skip
        assert (lead.status, lead.status_reason) == (LeadStatus.OPEN, "Contacted")
        assert (lead.owner_id, lead.account_id) == (OWNER, ACCOUNT)
        assert (lead.annual_revenue, lead.employee_count) == (1250000.5, 120)
        assert lead.address is not None and lead.address.city == "Leeds"
        assert lead.custom_fields == {"rating": "Hot"}
        assert lead.created_at == datetime(2026, 1, 5, 9, tzinfo=UTC)
        lost = sql.get_lead(LEAD_2)
        assert (lost.status, lost.status_reason) == (
            LeadStatus.DISQUALIFIED,
            "No Longer Interested",
        )
        assert lost.lead_source == "100000001"  # a code the preset does not know stays the code
        assert lost.other_emails == ("ode@home.example",)
        assert [x.id for x in sql.leads(status=LeadStatus.DISQUALIFIED)] == [LEAD_2]
        assert [x.id for x in sql.leads(owner_id=OWNER.upper())] == []
        assert [x.id for x in sql.leads(owner_id="not-a-guid")] == []
        context = build_context(sql, LEAD_ID)
        assert context.account is not None and context.account.industry == "Consulting"
        (email,) = context.emails
        assert (email.direction, email.to_addresses) == (
            "inbound", ("sales@vendor.example", "ceo@vendor.example"),
        )  # fmt: skip
        assert email.sent_at == datetime(2026, 1, 5, 10, tzinfo=UTC)  # createdon: never sent
        assert [n.text for n in context.notes] == ["Budget in Q2"]
        assert context.owner == Seller(
            id=OWNER, name="Sam Seller", email="sam@vendor.example", title="Account Executive"
        )
        assert sql.activities(regarding=RecordRef(kind="contact", id=LEAD_ID)) == []
        assert sql.row_errors == []
    assert db.state() == before


# -- writes, only when asked for ----------------------------------------------------------------


def _writable_crm(db: Db) -> SqlMapping:
    mapping = db.mapping()
    snapshot = CrmSnapshot(
        leads=(Lead(id="L-1", last_name="Ng", created_at=T0), Lead(id="L-2", created_at=T0)),
        accounts=(Account(id="A-1", name="Contoso", created_at=T0),),
        notes=(
            Note(id="N-1", regarding=RecordRef(kind="lead", id="L-1"), created_at=T0),
            Note(id="N-2", regarding=RecordRef(kind="lead", id="L-2"), created_at=T0),
        ),
    )
    create_tables(db, mapping, snapshot)
    with db.engine.begin() as conn:  # a column the mapping does not know must keep its value
        conn.execute(text(f"ALTER TABLE {db.table('leads')} ADD COLUMN audit TEXT"))
        conn.execute(text(f"UPDATE {db.table('leads')} SET audit = 'keep'"))
    return mapping


def test_a_writable_source_writes_mapped_columns_each_write_in_one_transaction(db: Db) -> None:
    mapping = _writable_crm(db)
    with db.engine.connect() as conn:
        tables_before = inspect(conn).get_table_names(schema=db.schema)
    at = T0 + timedelta(days=3)
    with SqlSource(db.url, mapping, writable=True) as sql:
        assert isinstance(sql, WritableSqlSource) and isinstance(sql, CrmWriter)
        updated = sql.update_lead_status("L-1", LeadStatus.QUALIFIED, reason="fit", at=at)
        assert sql.get_lead("L-1") == updated
        assert (updated.closed_at, updated.status_reason) == (at, "fit")
        changed = sql.update_lead("L-2", {"company_name": "Fabrikam", "account_id": "A-1"}, at=at)
        assert sql.get_lead("L-2") == changed
        assert sql.get_lead("L-2").modified_at == at
        created = Account(id="A-2", name="Fabrikam", employee_count=40, created_at=at)
        assert sql.create_account(created) is created
        assert sql.get_account("A-2") == created
        with pytest.raises(ValidationFailed, match="a account with id 'A-1' exists"):
            sql.create_account(Account(id="A-1", name="Again", created_at=at))
        assert sql.move_notes(RecordRef(kind="lead", id="L-1"), RecordRef(kind="lead", id="L-2"))
        assert [n.id for n in sql.notes(regarding=RecordRef(kind="lead", id="L-2"))] == [
            "N-1",
            "N-2",
        ]
        with pytest.raises(RecordNotFound):
            sql.update_lead_status("L-404", LeadStatus.QUALIFIED)
        with pytest.raises(ValidationFailed, match="no field 'nickname'"):
            sql.update_lead("L-1", {"nickname": "x"})
    with db.engine.connect() as conn:
        audit = conn.execute(text(f"SELECT audit FROM {db.table('leads')}")).scalars().all()
        tables = inspect(conn).get_table_names(schema=db.schema)
    assert audit == ["keep", "keep"]
    assert tables == tables_before


def test_a_change_the_mapping_cannot_store_is_refused_before_writing(db: Db) -> None:
    mapping = _writable_crm(db)
    assert mapping.leads is not None
    narrow = mapping.model_copy(
        update={
            "leads": mapping.leads.model_copy(
                update={"columns": {"id": "id", "created_at": "created_at", "status": "status"}}
            )
        }
    )
    before = db.state()
    with (
        SqlSource(db.url, narrow, writable=True) as sql,
        pytest.raises(ValidationFailed, match=r"no column .* is mapped to it"),
    ):
        sql.update_lead("L-1", {"industry": "Retail"})
    assert db.state() == before


def test_a_write_the_database_refuses_leaves_nothing_written(db: Db) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE {db.table('accounts')} (id VARCHAR(10) PRIMARY KEY, "
                "name TEXT NOT NULL, created_at TIMESTAMP, employee_count INTEGER "
                "CHECK (employee_count < 1000))"
            )
        )
    mapping = SqlMapping(
        schema_name=db.schema,
        leads=None,
        accounts=TableMap(
            table="accounts",
            columns={"id": "id", "name": "name", "created_at": "created_at",
                     "employee_count": "employee_count"},
        ),
    )  # fmt: skip
    before = db.state()
    with SqlSource(db.url, mapping, writable=True) as sql:
        with pytest.raises(CrmWriteError, match="nothing was written"):
            sql.create_account(Account(id="A-1", name="Big", employee_count=5000, created_at=T0))
        assert sql.accounts() == []
    assert db.state() == before


def test_an_engine_passed_in_is_used_and_left_open(db: Db) -> None:
    create_tables(db, db.mapping(), CrmSnapshot(leads=(Lead(id="L-1", created_at=T0),)))
    with SqlSource(db.engine, db.mapping()) as sql:
        assert [lead.id for lead in sql.leads()] == ["L-1"]
    with db.engine.connect() as conn:  # still usable
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_options_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="page_size"):
        SqlSource("sqlite:///x.db", page_size=0)
    with pytest.raises(ConfigurationError, match="not a database URL"):
        SqlSource("not a url")
    with pytest.raises(ConfigurationError, match="in-memory"):
        SqlSource("sqlite://")


def test_the_dataverse_preset_names_the_documented_columns() -> None:
    mapping = SqlMapping.dataverse()
    assert mapping.leads is not None
    assert {mapping.leads.columns[f] for f in ("id", "first_name", "last_name", "status")} == {
        "leadid", "firstname", "lastname", "statecode",
    }  # fmt: skip
    assert mapping.leads.values["status"] == {0: "open", 1: "qualified", 2: "disqualified"}
    assert mapping.leads.values["lead_source"][8] == "Web"
    assert [t.table for t in mapping.activities] == ["email", "phonecall", "appointment", "task"]
    assert not mapping.leads.optional
    assert all(t.optional for t in mapping.tables() if t is not mapping.leads)


def test_an_unknown_table_in_a_memory_database_is_refused_through_an_engine() -> None:
    engine = create_engine("sqlite://")
    try:
        with pytest.raises(ConfigurationError, match="no table 'leads'"):
            SqlSource(engine)
    finally:
        engine.dispose()


def test_types_that_cannot_hold_a_field_are_per_row_errors(db: Db) -> None:
    blob = "BYTEA" if db.backend == "postgres" else "BLOB"
    with db.engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE {db.table('leads')} (id INTEGER, created_at TIMESTAMP, flag {blob})"
            )
        )
        conn.execute(
            text(f"INSERT INTO {db.table('leads')} VALUES (1, :at, :b), (2, :at, NULL)"),
            {"at": datetime(2026, 1, 1), "b": b"\x00\x01"},
        )
    mapping = SqlMapping(
        schema_name=db.schema,
        leads=TableMap(
            table="leads", columns={"id": "id", "created_at": "created_at", "last_name": "flag"}
        ),
    )
    with SqlSource(db.url, mapping) as sql:
        assert [lead.id for lead in sql.leads()] == ["2"]
        assert sql.get_lead("2").last_name is None
        with pytest.raises(RowConversionError, match="not text"):
            sql.get_lead("1")
        with pytest.raises(RecordNotFound):
            sql.get_lead("one")  # not a number: no such id in an integer column


def test_values_sqlite_keeps_against_the_declared_type_are_per_row_errors(tmp_path: Path) -> None:
    path = tmp_path / "loose.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE leads (id TEXT, created TIMESTAMP, revenue DECIMAL(10, 2))")
        )
        conn.execute(
            text(
                "INSERT INTO leads VALUES ('1', '2026-01-05T09:30:00Z', 'lots'), "
                "('2', '2026-01-05 09:30:00+01:00', 5.5), ('3', 'soon', 1)"
            )
        )
    engine.dispose()
    mapping = SqlMapping(
        leads=TableMap(
            table="leads",
            columns={"id": "id", "created_at": "created", "annual_revenue": "revenue"},
        )
    )
    with SqlSource(f"sqlite:///{path}", mapping) as sql:
        (lead,) = sql.leads()
        assert (lead.id, lead.created_at, lead.annual_revenue) == (
            "2",
            datetime(2026, 1, 5, 8, 30, tzinfo=UTC),
            5.5,
        )
        assert {(e.row_id, e.column) for e in sql.row_errors} == {
            ("1", "revenue"),
            ("3", "created"),
        }
