"""A text cell reads the same from a CSV export and from a SQL table: both remove the C0 and C1
control characters (tab and line breaks kept) and strip the text, through one cleaner. Keys
(ids) a SQL source looks records up by are kept as stored."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from leadqual._text import CONTROL_CHARACTERS, clean_cell
from leadqual.sources import SqlMapping, SqlSource, TableMap
from leadqual.sources.tabular import LeadMapping, leads_from_frame

CONTROLS = st.sampled_from(["\x00", "\x07", "\x1b", "\x1c", "\x7f", "\x85", "\x9b", "\t", "\n"])
CELL = st.lists(st.text(min_size=0, max_size=4) | CONTROLS, min_size=1, max_size=6).map("".join)
FIELDS = ("first_name", "last_name", "company_name", "job_title", "address.city", "email")


def _sql_leads(path: Path, rows: list[dict[str, str]]) -> dict[str, object]:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS people"))
        conn.execute(
            text(
                "CREATE TABLE people (lead_no TEXT PRIMARY KEY, first_name TEXT, last_name TEXT,"
                " company TEXT, title TEXT, city TEXT, email TEXT, entered TEXT)"
            )
        )
        for row in rows:
            conn.execute(
                text(
                    "INSERT INTO people VALUES (:id, :first_name, :last_name, :company_name,"
                    " :job_title, :city, :email, '2026-01-05 09:30:00')"
                ),
                {**row, "city": row["address.city"]},
            )
    engine.dispose()
    mapping = SqlMapping(
        leads=TableMap(
            table="people",
            columns={
                "id": "lead_no",
                "first_name": "first_name",
                "last_name": "last_name",
                "company_name": "company",
                "job_title": "title",
                "address.city": "city",
                "email": "email",
                "created_at": "entered",
            },
        )
    )
    with SqlSource(f"sqlite:///{path}", mapping) as sql:
        return {lead.id: lead for lead in sql.leads()}


@given(st.lists(st.fixed_dictionaries(dict.fromkeys(FIELDS, CELL)), min_size=1, max_size=4))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_text_cell_reads_the_same_from_sql_and_from_a_table(
    tmp_path: Path, rows: list[dict[str, str]]
) -> None:
    rows = [
        {**row, "id": f"L{i}", "last_name": f"Ng{row['last_name']}"} for i, row in enumerate(rows)
    ]
    from_sql = _sql_leads(tmp_path / "crm.db", rows)
    frame = pd.DataFrame(rows).assign(created_at="2026-01-05 09:30:00")
    mapping = LeadMapping(columns={c: c for c in ["id", *FIELDS, "created_at"]})
    from_table = {lead.id: lead for lead in leads_from_frame(frame, mapping).records}
    assert from_sql.keys() == from_table.keys()
    for lead_id, lead in from_table.items():
        other = from_sql[lead_id]
        for name in ("first_name", "last_name", "company_name", "job_title", "email"):
            assert getattr(other, name) == getattr(lead, name), name
            value = getattr(lead, name)
            assert value is None or not CONTROL_CHARACTERS.search(value)
        assert (other.address.city if other.address else None) == (
            lead.address.city if lead.address else None
        )


def test_sql_text_loses_terminal_escapes_and_c1_controls_but_keeps_line_breaks(
    tmp_path: Path,
) -> None:
    row = {
        "id": "L1",
        "first_name": "Ada\x1b[31m",
        "last_name": " Love\x85lace\x00 ",
        "company_name": "Analytical\x9b Ltd",
        "job_title": "CTO\tand\nfounder",
        "address.city": "\x07",
        "email": "ada@example.com\x7f",
    }
    lead = _sql_leads(tmp_path / "crm.db", [row])["L1"]
    assert lead.first_name == "Ada[31m"
    assert lead.last_name == "Lovelace"
    assert lead.company_name == "Analytical Ltd"
    assert lead.job_title == "CTO\tand\nfounder"
    assert lead.address is None  # nothing left of the city
    assert lead.email == "ada@example.com"


def test_a_sql_key_with_a_control_character_is_kept_so_the_record_can_be_looked_up(
    tmp_path: Path,
) -> None:
    row = dict.fromkeys(FIELDS, "x") | {"id": "L\x1b1", "last_name": "Ng"}
    leads = _sql_leads(tmp_path / "crm.db", [row])
    assert list(leads) == ["L\x1b1"]


def test_the_cleaner_is_the_one_the_cell_readers_use() -> None:
    assert clean_cell("\x1c a\x85b \x9f") == "ab"
    assert clean_cell("\t keep\tinner\n") == "keep\tinner"
