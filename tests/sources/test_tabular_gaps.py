"""Tables in, where they used to break: a frame already in the lead table's own column names, an
encoding name Python does not know, and C1 control characters in cells."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.errors import ConfigurationError
from leadqual.sources.tabular import (
    LeadMapping,
    guess_mapping,
    iter_lead_batches,
    leads_from_frame,
    preset_mapping,
)

LEAD_TARGETS = [
    "id",
    "first_name",
    "last_name",
    "job_title",
    "email",
    "other_emails",
    "company_name",
    "website",
    "industry",
    "employee_count",
    "annual_revenue",
    "lead_source",
    "campaign",
    "topic",
    "need",
    "description",
    "line_of_business",
    "created_at",
    "modified_at",
    "status",
    "status_reason",
    "closed_at",
    "owner_id",
    "account_id",
    "contact_id",
    "address.street",
    "address.city",
    "address.state",
    "address.postal_code",
    "address.country",
    "phones.business",
    "phones.mobile",
    "phones.home",
    "phones.other",
]


# -- guess_mapping on the lead table's own names ------------------------------------------------


def test_every_canonical_column_maps_to_itself() -> None:
    guess = guess_mapping(pd.DataFrame(columns=LEAD_TARGETS))
    assert dict(guess.mapping.columns) == {t: t for t in LEAD_TARGETS}
    assert guess.unmapped_columns == ()
    assert guess.empty_fields == ()
    assert guess.preset is None
    assert all(guess.scores[t] == 100.0 for t in LEAD_TARGETS)


@given(st.lists(st.sampled_from(LEAD_TARGETS), min_size=1, unique=True))
@settings(max_examples=60, deadline=None)
def test_any_subset_of_canonical_columns_maps_to_itself(columns: list[str]) -> None:
    guess = guess_mapping(pd.DataFrame(columns=columns))
    # a canonical column is never read as another field, nor left unmapped
    for column in columns:
        assert guess.mapping.columns.get(column) == column, (column, guess.mapping.columns)


def test_a_canonical_name_wins_over_a_vendor_label_for_the_same_field() -> None:
    # "Email" is every preset's name for the address; "email" is the lead table's: the table's
    # own column is the address, the label is left to the caller
    guess = guess_mapping(pd.DataFrame(columns=["email", "Email", "First Name", "Last Name"]))
    assert guess.mapping.columns["email"] == "email"
    assert "Email" not in guess.mapping.columns.values()


def test_a_canonical_frame_loads_as_the_leads_it_came_from() -> None:
    frame = pd.DataFrame(
        {
            "id": ["L-1", "L-2"],
            "first_name": ["Ada", "Alan"],
            "last_name": ["Lovelace", "Turing"],
            "company_name": ["Analytical", "Bletchley"],
            "address.city": ["London", "Wilmslow"],
            "phones.mobile": ["+44 7700 900123", None],
            "created_at": ["2025-03-01T09:00:00Z", "2025-03-02T10:30:00Z"],
            "employee_count": [12, 250],
            "status": ["open", "qualified"],
        }
    )
    result = leads_from_frame(frame)
    assert result.problems == ()
    ada, alan = result.records
    assert ada.id == "L-1" and ada.address is not None and ada.address.city == "London"
    assert [p.kind for p in ada.phones] == ["mobile"]
    assert alan.status.value == "qualified" and alan.employee_count == 250


# -- encoding names ---------------------------------------------------------------------------


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text("First Name,Last Name,Company\nAda,Lovelace,Analytical\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "encoding",
    ["no-such-codec", "", "utf-8\x00", "base64", "rot13", "zlib_codec", "hex", "x" * 500],
)
def test_an_unusable_encoding_is_a_configuration_error(tmp_path: Path, encoding: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        list(iter_lead_batches(_csv(tmp_path), encoding=encoding))
    assert not isinstance(caught.value, LookupError)
    assert "encoding" in str(caught.value)
    assert len(str(caught.value)) < 300  # a long name is cut, not echoed whole


def test_an_encoding_that_is_not_a_string_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        list(iter_lead_batches(_csv(tmp_path), encoding=b"utf-8"))  # type: ignore[arg-type]


def test_a_known_alias_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("First Name,Last Name,Company\nRené,Müller,Café\n".encode("latin-1"))
    [batch] = list(iter_lead_batches(path, encoding="Latin-1"))
    assert batch.records[0].first_name == "René" and batch.records[0].company_name == "Café"


def test_the_command_line_says_an_unknown_or_non_text_encoding_is_a_usage_error(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from leadqual.cli import app

    for encoding in ("no-such-codec", "base64"):
        result = CliRunner().invoke(app, ["dedupe", str(_csv(tmp_path)), "--encoding", encoding])
        assert result.exit_code == 2, (encoding, result.output)
        assert "Traceback" not in result.output


# -- C1 control characters ------------------------------------------------------------------------

C0 = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]
C1 = [chr(c) for c in range(0x80, 0xA0)]


@pytest.mark.parametrize("control", C1)
def test_each_c1_control_is_removed_from_text_cells_like_c0(control: str) -> None:
    frame = pd.DataFrame(
        {
            "First Name": [f"A{control}da"],
            "Last Name": ["Love\x1blace"],
            "Company": [f"{control}Analytical{control}"],
            "Job Title": [f"C{control}TO"],
        }
    )
    [lead] = leads_from_frame(frame).records
    assert (lead.first_name, lead.company_name, lead.job_title) == ("Ada", "Analytical", "CTO")
    assert lead.last_name == "Lovelace"  # C0, as before


def test_c1_and_c0_are_treated_alike_in_a_file_and_in_a_frame(tmp_path: Path) -> None:
    # the CSI control (U+009B) starts a terminal escape sequence just as ESC [ does
    path = tmp_path / "controls.csv"
    path.write_text(
        "First Name,Last Name,Company\nA\x9bda,Lo\x1bve\x85lace,\x9b31mAcme\x9dx\n",
        encoding="utf-8",
    )
    [batch] = list(iter_lead_batches(path))
    lead = batch.records[0]
    assert lead.first_name == "Ada" and lead.last_name == "Lovelace"
    assert lead.company_name == "31mAcmex"
    assert batch.problems == ()
    assert not any(ord(c) in range(0x80, 0xA0) for c in lead.model_dump_json())


@given(
    st.text(
        st.characters(min_codepoint=0, max_codepoint=0x2FF, blacklist_categories=("Cs",)),
        min_size=1,
        max_size=20,
    )
)
@settings(max_examples=150, deadline=None)
def test_no_control_but_tab_and_line_breaks_survives_in_an_object_column(text: str) -> None:
    # an object column holding other values too takes the per-cell path; a pure text column the
    # vectorised one: both must remove the same characters
    for column in (pd.Series([text], dtype=object), pd.Series([text, 1.5], dtype=object)):
        frame = pd.DataFrame({"Company": column, "Last Name": ["X"] * len(column)})
        mapping = LeadMapping(columns={"company_name": "Company", "last_name": "Last Name"})
        result = leads_from_frame(frame, mapping=mapping)
        for lead in result.records:
            kept = lead.company_name or ""
            assert not any(c in kept for c in C0 + C1), repr(kept)


def test_a_preset_still_reads_its_own_export() -> None:
    # a Dynamics 365 export has no canonical names: the preset is still found
    columns = ["(Do Not Modify) Lead", "First Name", "Last Name", "Company Name", "Email"]
    guess = guess_mapping(pd.DataFrame(columns=columns))
    assert guess.preset == "dynamics365"
    assert guess.mapping.columns == preset_mapping("dynamics365", columns).columns
