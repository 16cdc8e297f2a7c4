"""``tabular`` and ``sql`` are CRM sources by name: leadqual's own ``leadqual.crm_sources``
entry points, built by the plugin loader from options written as text."""

from __future__ import annotations

import sqlite3
from importlib import metadata
from pathlib import Path

import pytest

from leadqual.errors import ConfigurationError, PluginError, ValidationFailed
from leadqual.plugins import CRM_SOURCES_GROUP, PluginRegistry
from leadqual.sources import CrmSource, CrmWriter, SqlSource
from leadqual.sources.registry import crm_source_registry
from leadqual.sources.tabular import TabularSource

EXPORT = "Id,First Name,Last Name,Company,Created On,Owner\nL-1,Ada,Lovelace,Analytical,2025-03-01,S-1\nL-2,Alan,Turing,Bletchley,2025-03-02,S-2\n"


def _registry() -> PluginRegistry[object]:
    return crm_source_registry(load_plugins=False)


def test_both_are_declared_entry_points_of_the_installed_package() -> None:
    ours = {
        ep.name: ep.value
        for ep in metadata.entry_points(group=CRM_SOURCES_GROUP)
        if ep.dist is not None and ep.dist.name == "leadqual"
    }
    assert ours["tabular"] == "leadqual.sources.named:tabular_source"
    assert ours["sql"] == "leadqual.sources.named:sql_source"


def test_tabular_loads_an_export_through_the_loader(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(EXPORT, encoding="utf-8")
    source = _registry().create("tabular", leads=str(path))
    assert isinstance(source, TabularSource) and isinstance(source, CrmSource)
    assert [lead.id for lead in source.leads()] == ["L-1", "L-2"]
    assert {s.id for s in source.sellers()} == {"S-1", "S-2"}


def test_tabular_takes_a_preset_name_or_a_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("Ref;Surname;Firm\n7;Ng;Acme\n", encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns:\n  id: Ref\n  last_name: Surname\n  company_name: Firm\n", encoding="utf-8"
    )
    source = _registry().create(
        "tabular", leads=str(path), mapping=str(mapping), delimiter=";", chunk_rows="1"
    )
    [lead] = source.leads()
    assert (lead.id, lead.last_name, lead.company_name) == ("7", "Ng", "Acme")
    export = tmp_path / "sf.csv"
    export.write_text("Id,FirstName,LastName,Company\n00Q1,Ada,Lovelace,X\n", encoding="utf-8")
    assert _registry().create("tabular", leads=str(export), mapping="salesforce").get_lead("00Q1")


def test_tabular_refuses_a_bad_mapping_file_with_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(EXPORT, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  no_such_field: Id\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="not a valid LeadMapping"):
        _registry().create("tabular", leads=str(path), mapping=str(bad))
    with pytest.raises(ConfigurationError):
        _registry().create("tabular", leads=str(path), mapping=str(tmp_path / "none.yaml"))
    with pytest.raises(ConfigurationError, match="chunk_rows"):
        _registry().create("tabular", leads=str(path), chunk_rows="many")
    with pytest.raises(ConfigurationError, match="no such file"):
        _registry().create("tabular", leads=str(tmp_path / "missing.csv"))


def test_an_unknown_option_is_a_plugin_error_naming_the_source(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match="'tabular'"):
        _registry().create("tabular", leads="x.csv", colour="blue")


def _crm_db(path: Path) -> str:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE prospects (no INTEGER, surname TEXT, added TEXT)")
        db.execute("INSERT INTO prospects VALUES (7, 'Ng', '2026-01-05 09:30:00')")
    db.close()
    return f"sqlite:///{path}"


def test_sql_reads_existing_tables_through_the_loader_read_only(tmp_path: Path) -> None:
    url = _crm_db(tmp_path / "crm.db")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        'leads:\n  table: prospects\n  columns: {id: "no", last_name: surname, created_at: added}\n',
        encoding="utf-8",
    )
    before = (tmp_path / "crm.db").read_bytes()
    source = _registry().create("sql", url=url, mapping=str(mapping))
    try:
        assert isinstance(source, SqlSource) and not isinstance(source, CrmWriter)
        assert source.get_lead("7").last_name == "Ng"
    finally:
        source.close()
    assert (tmp_path / "crm.db").read_bytes() == before  # nothing created or altered
    tables = sqlite3.connect(tmp_path / "crm.db").execute("SELECT name FROM sqlite_master")
    assert [t[0] for t in tables] == ["prospects"]


def test_sql_writable_as_text_and_a_mapping_as_fields(tmp_path: Path) -> None:
    url = _crm_db(tmp_path / "crm.db")
    fields = {
        "leads": {
            "table": "prospects",
            "columns": {"id": "no", "last_name": "surname", "created_at": "added"},
        }
    }
    source = _registry().create("sql", url=url, mapping=fields, writable="true", page_size="2")
    try:
        assert isinstance(source, CrmWriter)
    finally:
        source.close()
    for bad in ({"writable": "perhaps"}, {"page_size": "-1"}, {"on_error": "ignore"}):
        with pytest.raises(ConfigurationError):
            _registry().create("sql", url=url, mapping=fields, **bad)


def test_sql_refuses_a_mapping_to_a_missing_table_without_creating_it(tmp_path: Path) -> None:
    url = _crm_db(tmp_path / "crm.db")
    with pytest.raises(ConfigurationError):
        _registry().create("sql", url=url, mapping={"leads": {"table": "nope", "columns": {}}})
    tables = sqlite3.connect(tmp_path / "crm.db").execute("SELECT name FROM sqlite_master")
    assert [t[0] for t in tables] == ["prospects"]


def test_a_yaml_column_named_no_read_as_false_is_a_field_error_not_a_crash(tmp_path: Path) -> None:
    # YAML 1.1 reads an unquoted `no` as false: the error names the field to quote
    url = _crm_db(tmp_path / "crm.db")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "leads:\n  table: prospects\n  columns: {id: no, last_name: surname, created_at: added}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as caught:
        _registry().create("sql", url=url, mapping=str(mapping))
    assert caught.value.field is not None and caught.value.field.startswith("leads.columns.id")
