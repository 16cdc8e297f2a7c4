"""Tables in: vendor exports, the row report, mappings and the errors bad files get."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.models import LeadStatus, RecordRef
from leadqual.sources import CrmSource, build_context
from leadqual.sources.tabular import (
    PRESETS,
    AccountMapping,
    ActivityMapping,
    LeadMapping,
    LoadResult,
    TabularSource,
    guess_mapping,
    iter_lead_batches,
    leads_from_frame,
    preset_mapping,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tabular"
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def load(name: str, **kwargs: object) -> LoadResult:  # type: ignore[type-arg]
    return LoadResult.combine(iter_lead_batches(FIXTURES / name, now=NOW, **kwargs))  # type: ignore[arg-type]


# -- vendor exports -------------------------------------------------------------------------------


def test_dynamics_export_with_bom_maps_without_help_and_reads_us_dates_and_money() -> None:
    result = load("dynamics365_leads.csv")
    assert result.problems == ()
    assert result.mapping is not None
    assert result.mapping.columns["id"] == "(Do Not Modify) Lead"
    ada = result.records[0]
    assert ada.id == "3f2a1c9e-0b1d-ef11-8409-000d3a5b1c01"
    assert ada.created_at == datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
    assert (ada.employee_count, ada.annual_revenue) == (1200, 1_500_000.0)
    assert ada.topic == "Analytics platform for 200 users"
    assert [p.number for p in ada.phones] == ["+14255550100", "+14255550101"]
    alan = result.records[1]
    assert alan.status is LeadStatus.QUALIFIED
    assert alan.annual_revenue == 25_000_000.0  # 2.5E+07
    assert alan.phones[0].number == "+49301234567"  # national number read in the row's country
    grace = result.records[2]
    assert (grace.status, grace.status_reason) == (LeadStatus.DISQUALIFIED, "Cannot Contact")


def test_salesforce_api_export_reads_offsets_and_default_statuses() -> None:
    result = load("salesforce_leads.csv")
    assert result.problems == ()
    assert [lead.status for lead in result.records] == [
        LeadStatus.OPEN,
        LeadStatus.OPEN,
        LeadStatus.QUALIFIED,
        LeadStatus.DISQUALIFIED,
    ]
    first = result.records[0]
    assert first.address is not None and first.address.postal_code == "02110"  # zeros kept
    assert first.owner_id == "0055j000001AbCdAAK"
    assert first.modified_at == datetime(2025, 2, 3, 10, 0, tzinfo=UTC)


def test_salesforce_report_footer_rows_are_reported_not_loaded() -> None:
    result = load("salesforce_report.csv")
    assert [lead.last_name for lead in result.records] == ["Perlman", "Knuth", "Allen"]
    assert result.blank_rows == 1
    assert result.skipped_rows == (6, 7)
    assert all("nothing identifies" in p.reason for p in result.problems)
    assert result.records[0].annual_revenue == 450_000_000.0  # "USD 450,000,000.00"


def test_hubspot_export_reports_a_repeated_record_id_on_its_row() -> None:
    result = load("hubspot_contacts.csv")
    assert [lead.id for lead in result.records] == ["51", "52", "53"]
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.value, problem.skipped) == (
        5,
        "Record ID",
        "53",
        True,
    )
    assert "row 4" in problem.reason
    hedy = result.records[0]
    assert hedy.lead_source == "Organic search"
    assert hedy.custom_fields == {"lifecycle_stage": "Lead"}
    assert result.records[2].status is LeadStatus.DISQUALIFIED  # UNQUALIFIED


def test_cp1252_semicolon_export_warns_and_keeps_umlauts_zip_codes_and_reports_mangled_phone() -> (
    None
):
    with pytest.warns(UserWarning, match="not UTF-8"):
        result = load("german_semicolon.csv", mapping=None)
    juergen, zoe = result.records
    assert (juergen.first_name, juergen.company_name) == ("Jürgen", "Bäckerei Müller GmbH")
    assert juergen.created_at == datetime(2025, 3, 13, tzinfo=UTC)
    assert juergen.employee_count == 1200
    assert zoe.address is not None and zoe.address.postal_code == "00123"
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.skipped) == (3, "Telefon", False)
    assert "digits are lost" in problem.reason
    assert zoe.phones == ()


def test_the_thirty_row_export_loads_thirty_leads() -> None:
    result = load("thirty_leads.csv")
    assert len(result.records) == 30
    assert result.problems == ()
    frame = pd.read_csv(FIXTURES / "thirty_leads.csv", dtype=str)
    for lead, (_, row) in zip(result.records, frame.iterrows(), strict=True):
        assert (lead.first_name, lead.last_name, lead.email) == (
            row["First Name"],
            row["Last Name"],
            row["Email"],
        )
        assert lead.company_name == row["Company"]
        assert lead.address is not None and lead.address.country == row["Country"]
    assert result.records[7].employee_count == 1200  # "1.2E+03"
    assert result.records[0].created_at == datetime(
        2025, 1, 1, 10, 15, tzinfo=UTC
    )  # 1/1/2025 10:15 AM
    assert result.records[1].created_at == datetime(2025, 2, 2, tzinfo=UTC)
    statuses = {lead.status for lead in result.records}
    assert statuses == {LeadStatus.OPEN, LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED}


def test_ids_made_for_a_file_without_an_id_column_are_the_same_on_every_read() -> None:
    first = load("thirty_leads.csv")
    again = load("thirty_leads.csv")
    assert [lead.id for lead in first.records] == [lead.id for lead in again.records]
    assert len({lead.id for lead in first.records}) == 30
    assert all(lead.id.startswith("lead-") for lead in first.records)


# -- mapping --------------------------------------------------------------------------------------


def test_guess_mapping_reads_german_french_and_spanish_headers() -> None:
    frame = pd.DataFrame(
        columns=["Prénom", "Apellido", "Unternehmen", "Courriel", "Fecha de creación", "Notes?"]
    )
    guess = guess_mapping(frame)
    assert dict(guess.mapping.columns) == {
        "first_name": "Prénom",
        "last_name": "Apellido",
        "company_name": "Unternehmen",
        "email": "Courriel",
        "created_at": "Fecha de creación",
        "description": "Notes?",
    }
    assert guess.preset is None
    assert "industry" in guess.empty_fields
    assert "first_name" not in guess.empty_fields


def test_guess_mapping_says_what_it_could_not_place() -> None:
    guess = guess_mapping(pd.DataFrame(columns=["Email", "Shoe size", "Favourite colour"]))
    assert guess.unmapped_columns == ("Shoe size", "Favourite colour")
    assert guess.mapping.columns == {"email": "Email"}


def test_guess_mapping_fuzzy_matches_misspelt_headers() -> None:
    guess = guess_mapping(pd.DataFrame(columns=["Frist Name", "Last Nmae", "Company Nmae"]))
    assert dict(guess.mapping.columns) == {
        "first_name": "Frist Name",
        "last_name": "Last Nmae",
        "company_name": "Company Nmae",
    }
    assert all(70 <= s < 100 for s in guess.scores.values())


def test_guess_mapping_notices_day_first_dates_and_unknown_statuses() -> None:
    frame = pd.DataFrame(
        {"Name": ["Ada Lovelace"], "Created": ["31/01/2025"], "Status": ["Nurture - Q3"]}
    )
    guess = guess_mapping(frame)
    assert guess.mapping.dayfirst is True
    assert any("Nurture - Q3" in note for note in guess.notes)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_maps_its_own_column_names(name: str) -> None:
    from leadqual.sources._columns import PRESET_COLUMNS

    columns = [names[0] for names in PRESET_COLUMNS[name].values()]
    mapping = preset_mapping(name, columns)
    assert guess_mapping(pd.DataFrame(columns=columns)).preset == name
    assert mapping.columns["first_name"] in columns


def test_a_full_name_column_is_split_with_nameparser() -> None:
    frame = pd.DataFrame(
        {"Full Name": ["Dr. Ada King Lovelace", "Turing, Alan", "Cher"], "Company": ["A", "B", "C"]}
    )
    result = leads_from_frame(frame, now=NOW)
    assert [(lead.first_name, lead.last_name) for lead in result.records] == [
        ("Ada King", "Lovelace"),
        ("Alan", "Turing"),
        ("Cher", None),
    ]


def test_a_mapping_to_a_missing_column_names_the_close_match() -> None:
    frame = pd.DataFrame({"First Name": ["Ada"], "Last Name": ["Lovelace"]})
    mapping = LeadMapping(columns={"first_name": "Frist Name"})
    with pytest.raises(ConfigurationError, match=r"'Frist Name'.*close matches: 'First Name'"):
        leads_from_frame(frame, mapping)


def test_a_mapping_to_an_unknown_field_suggests_the_field() -> None:
    with pytest.raises(ValidationFailed, match="did you mean 'company_name'"):
        LeadMapping(columns={"company_nme": "Company"})
    with pytest.raises(ValidationFailed, match="unknown time zone"):
        LeadMapping(timezone="Mars/Olympus")


def test_status_values_and_time_zone_of_the_mapping_are_used() -> None:
    frame = pd.DataFrame(
        {
            "id": ["1", "2"],
            "last": ["A", "B"],
            "st": ["In Bearbeitung", "Mystery"],
            "at": ["2025-07-01 12:00"] * 2,
        }
    )
    mapping = LeadMapping(
        columns={"id": "id", "last_name": "last", "status": "st", "created_at": "at"},
        status_values={"in bearbeitung": LeadStatus.OPEN},
        timezone="Europe/Berlin",
    )
    result = leads_from_frame(frame, mapping)
    (lead,) = result.records
    assert lead.created_at == datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
    (problem,) = result.problems
    assert (problem.row, problem.value, problem.skipped) == (3, "Mystery", True)
    assert "status_values" in problem.reason


def test_an_unreadable_optional_value_loads_the_row_without_it() -> None:
    frame = pd.DataFrame(
        {
            "Last Name": ["Ng", "Ode"],
            "Employees": ["about fifty", "-3"],
            "Created On": ["2025-01-01"] * 2,
        }
    )
    result = leads_from_frame(frame)
    assert [lead.employee_count for lead in result.records] == [None, None]
    assert [(p.row, p.skipped) for p in result.problems] == [(2, False), (3, False)]


def test_mixed_date_formats_in_one_column() -> None:
    cells = [
        "2025-03-01",
        "03/02/2025",
        "2025-03-03T10:00:00+02:00",
        "4 Mar 2025",
        "45721",
        "05.03.2025",
    ]
    frame = pd.DataFrame({"Last Name": list("ABCDEF"), "Created On": cells})
    result = leads_from_frame(frame)
    assert [lead.created_at for lead in result.records] == [
        datetime(2025, 3, 1, tzinfo=UTC),
        datetime(2025, 3, 2, tzinfo=UTC),
        datetime(2025, 3, 3, 8, tzinfo=UTC),
        datetime(2025, 3, 4, tzinfo=UTC),
        datetime(2025, 3, 5, tzinfo=UTC),
        datetime(2025, 3, 5, tzinfo=UTC),
    ]


def test_an_empty_creation_date_is_the_import_time_and_reported() -> None:
    frame = pd.DataFrame({"Last Name": ["Ng"], "Created On": [None]})
    result = leads_from_frame(frame, now=NOW)
    assert result.records[0].created_at == NOW
    assert result.problems[0].skipped is False


def test_a_model_rule_broken_by_a_row_is_reported_with_its_column() -> None:
    frame = pd.DataFrame(
        {"Last Name": ["Ng"], "Created On": ["2025-02-01"], "Modified On": ["2025-01-01"]}
    )
    result = leads_from_frame(frame)
    assert result.records == ()
    (problem,) = result.problems
    assert problem.skipped and "modified_at is earlier than created_at" in problem.reason


def test_problem_frame_is_a_table_of_the_report() -> None:
    result = load("hubspot_contacts.csv")
    table = result.problem_frame()
    assert list(table.columns) == ["row", "column", "value", "reason", "skipped"]
    assert table.loc[0, "row"] == 5


# -- bad files ------------------------------------------------------------------------------------


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"")
    with pytest.raises(ValidationFailed, match="is empty"):
        list(iter_lead_batches(path))


def test_a_header_only_file_loads_nothing(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("First Name,Last Name,Company\n", encoding="utf-8")
    result = LoadResult.combine(iter_lead_batches(path))
    assert (result.records, result.problems, result.rows) == ((), (), 0)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"PK\x03\x04" + b"\x00" * 200, "Excel workbook"),
        (bytes(range(256)) * 20, "binary data"),
    ],
)
def test_a_binary_file_is_refused(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(content)
    with pytest.raises(ValidationFailed, match=match):
        list(iter_lead_batches(path))


def test_the_wrong_delimiter_is_named(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("First Name;Last Name\nAda;Lovelace\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="delimiter=';'"):
        list(iter_lead_batches(path, delimiter=","))
    (lead,) = LoadResult.combine(iter_lead_batches(path)).records  # detected
    assert lead.last_name == "Lovelace"


def test_a_line_with_too_many_fields_is_reported_and_the_rest_loads(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Last Name,Company\nNg,Acme\nOde,Beta,extra,cells\nPatel,Gamma\n", encoding="utf-8"
    )
    result = LoadResult.combine(iter_lead_batches(path))
    assert [lead.last_name for lead in result.records] == ["Ng", "Patel"]
    assert result.skipped_rows == (3,)
    assert result.rows == 3


def test_row_numbers_stay_right_across_chunks_and_bad_lines(tmp_path: Path) -> None:
    lines = ["Id,Last Name,Created On"]
    lines += [f"{i},N{i},2025-01-01" for i in range(10)]
    lines[4] = "3,N3,2025-01-01,oops"  # row 5
    lines.append("7,Again,2025-01-01")  # row 12, a repeated id
    path = tmp_path / "leads.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = LoadResult.combine(iter_lead_batches(path, chunk_rows=3))
    assert result.skipped_rows == (5, 12)
    assert "row 9" in result.problems[-1].reason


def test_a_missing_file_and_excel_files_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no such file"):
        list(iter_lead_batches(tmp_path / "nope.csv"))
    book = tmp_path / "leads.xlsx"
    book.write_bytes(b"PK")
    with pytest.raises(ConfigurationError, match="read_excel"):
        list(iter_lead_batches(book))


def test_a_frame_with_a_bom_in_its_first_header_maps() -> None:
    frame = pd.DataFrame({"\ufeffFirst Name": ["Ada"], "Last Name": ["Lovelace"]})
    (lead,) = leads_from_frame(frame).records
    assert lead.first_name == "Ada"


# -- the source -----------------------------------------------------------------------------------


def test_tabular_source_is_a_crm_source_with_related_tables() -> None:
    leads = pd.DataFrame(
        {
            "Id": ["L1", "L2"],
            "Last Name": ["Ng", "Ode"],
            "Company": ["Acme", "Beta"],
            "Account": ["A1", None],
            "Created On": ["2025-01-01", "2025-01-02"],
            "Owner": ["Sam", "Lee"],
        }
    )
    accounts = pd.DataFrame(
        {
            "Account ID": ["A1"],
            "Account Name": ["Acme"],
            "Employees": ["1,000"],
            "Created": ["2024-01-01"],
        }
    )
    calls = pd.DataFrame(
        {
            "Lead": ["L1", "L1"],
            "When": ["2025-02-01 10:00", "2025-02-03 10:00"],
            "Answered": ["yes", "nein"],
            "Direction": ["outbound", "inbound"],
        }
    )
    source = TabularSource(
        leads,
        mapping=LeadMapping(
            columns={
                "id": "Id",
                "last_name": "Last Name",
                "company_name": "Company",
                "account_id": "Account",
                "created_at": "Created On",
                "owner_id": "Owner",
            }
        ),
        accounts=accounts,
        account_mapping=AccountMapping(
            columns={
                "id": "Account ID",
                "name": "Account Name",
                "employee_count": "Employees",
                "created_at": "Created",
            }
        ),
        activities=[
            (
                calls,
                ActivityMapping(
                    kind="phone_call",
                    regarding_kind="lead",
                    columns={
                        "regarding.id": "Lead",
                        "started_at": "When",
                        "answered": "Answered",
                        "direction": "Direction",
                    },
                ),
            )
        ],
        now=NOW,
    )
    assert isinstance(source, CrmSource)
    context = build_context(source, "L1")
    assert context.account is not None and context.account.employee_count == 1000
    assert [c.answered for c in context.phone_calls] == [True, False]
    assert [s.id for s in source.sellers()] == ["Lee", "Sam"]
    assert [lead.id for lead in source.leads(owner_id="Sam")] == ["L1"]
    assert source.activities(regarding=RecordRef(kind="lead", id="L2")) == []
    assert all(not r.problems for r in source.results.values())


def test_tabular_source_over_a_csv_file_keeps_the_report() -> None:
    source = TabularSource(FIXTURES / "hubspot_contacts.csv", mapping="hubspot", now=NOW)
    assert [lead.id for lead in source.leads()] == ["51", "52", "53"]
    assert [p.row for p in source.problems] == [5]
    assert source.mapping.columns["owner_id"] == "Contact owner"


def test_parquet_is_read_in_batches(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    frame = pd.read_csv(FIXTURES / "thirty_leads.csv", dtype=str)
    path = tmp_path / "leads.parquet"
    frame.to_parquet(path)
    source = TabularSource(path, chunk_rows=7, now=NOW)
    assert len(source.leads()) == 30


def test_parquet_without_pyarrow_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    path = tmp_path / "leads.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ConfigurationError, match=r"leadqual\[parquet\]"):
        TabularSource(path)


def test_importing_the_sources_package_does_not_load_pandas() -> None:
    import subprocess
    import sys

    code = "import sys, leadqual.sources\nprint('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    import leadqual.sources as sources

    assert sources.TabularSource is TabularSource
