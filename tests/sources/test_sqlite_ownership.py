"""SqliteSource keeps its records in a file of its own and refuses a database that holds others."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadqual.errors import ConfigurationError, ForeignDatabaseError
from leadqual.models import Lead
from leadqual.sources import SqliteSource

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _users_crm(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE leads (id TEXT PRIMARY KEY, last_name TEXT, created TEXT)")
        db.execute("INSERT INTO leads VALUES ('L-1', 'Ng', '2026-01-01')")
    db.close()


def test_a_database_with_the_users_own_tables_is_refused_byte_for_byte_unchanged(
    tmp_path: Path,
) -> None:
    path = tmp_path / "crm.db"
    _users_crm(path)
    before = _digest(path)
    with pytest.raises(ForeignDatabaseError) as info:
        SqliteSource(path)
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.db"]  # no journal left behind
    assert info.value.tables == ("leads",)
    assert info.value.path == str(path)
    message = str(info.value)
    assert "SqlSource" in message
    assert "new file" in message
    assert isinstance(info.value, ConfigurationError)


def test_a_users_table_that_happens_to_be_called_records_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE records (id INTEGER, payload BLOB)")
    db.close()
    before = _digest(path)
    with pytest.raises(ForeignDatabaseError) as info:
        SqliteSource(path)
    assert info.value.tables == ("records",)
    assert _digest(path) == before


def test_a_view_counts_as_the_users_own(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE VIEW open_leads AS SELECT 1 AS id")
    db.close()
    with pytest.raises(ForeignDatabaseError, match="open_leads"):
        SqliteSource(path)


def test_a_file_that_is_not_a_database_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("id,last_name\nL-1,Ng\n" * 200, encoding="utf-8")
    before = _digest(path)
    with pytest.raises(ForeignDatabaseError, match="not a SQLite database"):
        SqliteSource(path)
    assert _digest(path) == before


def test_its_own_file_reopens_with_its_records(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with SqliteSource(path) as crm:
        crm.add(Lead(id="L-1", last_name="Ng", created_at=T0))
    with SqliteSource(path) as crm:
        assert [lead.id for lead in crm.leads()] == ["L-1"]


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_a_new_or_empty_file_becomes_its_own(tmp_path: Path, make: str) -> None:
    path = tmp_path / "crm.db"
    if make == "empty":
        path.touch()
    with SqliteSource(path) as crm:
        crm.add(Lead(id="L-1", last_name="Ng", created_at=T0))
        assert crm.get_lead("L-1").last_name == "Ng"


def test_in_memory_databases_still_work() -> None:
    with SqliteSource(":memory:") as crm:
        assert crm.leads() == []
