"""Table cells that pandas cannot turn into text the same way twice: bytes (pandas 3 decodes them
as UTF-8 in ``astype(str)`` and fails on anything else, while ``str()`` prints ``b'...'``) and
strings holding a lone surrogate (what ``"\\ud800"`` in JSON decodes to). Each table entry point
refuses them with a ValidationFailed naming the column, and the tabular reader reports them per
row; none lets a UnicodeDecodeError out or reads bytes that happen to spell a value."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

from leadqual.config import AgentConfig
from leadqual.dedupe import DuplicateDetector
from leadqual.errors import ValidationFailed
from leadqual.icp import IcpMatcher
from leadqual.prioritize import Prioritizer
from leadqual.sources import leads_from_frame

NOT_UTF8 = b"\xf9\xfa"
SURROGATE = "\ud800"


def cells(*values: Any) -> pd.Series:
    """A column of Python objects, as a frame built from records or a database driver holds."""
    return pd.Series(list(values), dtype=object)


@pytest.mark.parametrize("bad", [NOT_UTF8, b"High", bytearray(b"Low"), SURROGATE + "High"])
def test_rank_frame_refuses_a_tier_that_is_not_text(bad: Any) -> None:
    # b"High" used to be decoded into a tier; b"\xf9\xfa" raised UnicodeDecodeError
    frame = pd.DataFrame({"lead_id": ["a", "b"], "icp_tier": cells(bad, None)})
    with pytest.raises(ValidationFailed) as info:
        Prioritizer().rank_frame(frame)
    assert info.value.field == "icp_tier"


@pytest.mark.parametrize("column", ["lead_id", "owner_id", "handraiser", "icp_score"])
def test_rank_frame_refuses_bytes_in_any_column_naming_it(column: str) -> None:
    frame = pd.DataFrame({"lead_id": cells("a", "b"), "owner_id": ["S-1", "S-1"]})
    frame[column] = cells(NOT_UTF8, frame[column].iloc[1] if column in frame else None)
    with pytest.raises(ValidationFailed, match=f"column '{column}' holds bytes") as info:
        Prioritizer().rank_frame(frame, seller_id="S-1")
    assert info.value.field == column


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, pd.NaT])
def test_rank_frame_refuses_a_row_without_a_lead_id(missing: Any) -> None:
    frame = pd.DataFrame({"lead_id": cells("a", missing, "c")})
    with pytest.raises(ValidationFailed, match="lead_id is missing in row 1"):
        Prioritizer().rank_frame(frame)


@pytest.mark.parametrize("bad", [datetime(2025, 1, 1), [1], 1.5, True])
def test_rank_frame_refuses_a_lead_id_that_is_not_text_or_a_whole_number(bad: Any) -> None:
    with pytest.raises(ValidationFailed, match="lead_id must be text or a whole number"):
        Prioritizer().rank_frame(pd.DataFrame({"lead_id": cells("a", bad)}))


def test_rank_frame_orders_whole_number_ids_as_text_for_the_last_tie_break() -> None:
    frame = pd.DataFrame({"lead_id": cells(30, "b", 4)})
    assert Prioritizer().rank_frame(frame)["lead_id"].tolist() == [30, 4, "b"]


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, pd.NaT])
def test_rank_frame_reads_any_missing_marker_in_a_flag_as_false(missing: Any) -> None:
    # pd.NA used to raise "boolean value of NA is ambiguous"
    frame = pd.DataFrame({"lead_id": ["a", "b"], "handraiser": cells(missing, "yes")})
    ranked = Prioritizer().rank_frame(frame)
    assert ranked["lead_id"].tolist() == ["b", "a"]


@pytest.mark.parametrize("bad", [datetime(2025, 1, 1), [True], object()])
def test_rank_frame_refuses_a_flag_python_would_call_true(bad: Any) -> None:
    # bool(datetime) and bool([True]) are True: such a cell used to make a hand-raiser
    frame = pd.DataFrame({"lead_id": ["a", "b"], "handraiser": cells(bad, False)})
    with pytest.raises(ValidationFailed, match="handraiser must be true or false"):
        Prioritizer().rank_frame(frame)


def _leads(column: str, bad: Any) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "id": cells("L1", "L2", "L3"),
            "first_name": ["Ana", "Ana", "Bo"],
            "last_name": ["Diaz", "Diaz", "Lee"],
            "company_name": ["Contoso", "Contoso", "Fabrikam"],
            "emails": [("ana@contoso.com",), ("ana@contoso.com",), ()],
            "phones": [(), (), ()],
        }
    )
    frame[column] = cells(bad, *frame[column].iloc[1:])
    return frame


@pytest.mark.parametrize("column", ["id", "first_name", "company_name"])
@pytest.mark.parametrize("bad", [NOT_UTF8, SURROGATE])
@pytest.mark.parametrize("find", ["find", "find_frame"])
def test_duplicate_detection_refuses_cells_that_are_not_text(
    column: str, bad: Any, find: str
) -> None:
    # a bytes id raised UnicodeDecodeError while ids were compared as text
    with pytest.raises(ValidationFailed, match=f"column '{column}' holds") as info:
        getattr(DuplicateDetector(), find)(_leads(column, bad))
    assert info.value.field == column


def test_duplicate_detection_still_finds_the_pair_in_a_clean_object_frame() -> None:
    pairs = DuplicateDetector().find_frame(_leads("id", "L0"))
    assert {tuple(sorted(p)) for p in zip(pairs["left_id"], pairs["right_id"], strict=True)} == {
        ("L0", "L2")
    }


@pytest.mark.parametrize("bad", [b"Retail", NOT_UTF8, SURROGATE])
def test_match_frame_refuses_cells_that_are_not_text(sample_config: AgentConfig, bad: Any) -> None:
    frame = pd.DataFrame({"account.industry": cells(bad, "Retail")})
    with pytest.raises(ValidationFailed, match=r"'account\.industry' holds"):
        IcpMatcher.from_config(sample_config).match_frame(frame)


Load = Callable[[pd.DataFrame], Any]


@pytest.mark.parametrize("bad", [NOT_UTF8, b"Contoso", SURROGATE])
def test_tabular_reader_reports_a_cell_that_is_not_text_and_keeps_the_row(bad: Any) -> None:
    frame = pd.DataFrame({"Email": ["a@contoso.com", "b@fabrikam.com"], "Company": cells(bad, "F")})
    result = leads_from_frame(frame)
    assert [lead.company_name for lead in result.records] == [None, "F"]
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.skipped) == (2, "Company", False)
    assert "not text" in problem.reason or "not valid Unicode" in problem.reason


def test_tabular_reader_does_not_take_a_row_of_bytes_for_a_blank_row() -> None:
    # the bytes cell is in a column the mapping does not read: the row still has content, so it
    # is reported (nothing identifies it) rather than dropped as blank, and ids are still made
    frame = pd.DataFrame(
        {
            "Email": ["a@contoso.com", None],
            "Company": ["C", None],
            "Blob": cells(NOT_UTF8, NOT_UTF8),
        }
    )
    result = leads_from_frame(frame)
    assert [lead.email for lead in result.records] == ["a@contoso.com"]
    assert [(p.row, p.skipped) for p in result.problems] == [(3, True)]
    assert "nothing identifies the record" in result.problems[0].reason


def test_tabular_reader_skips_a_row_whose_id_is_not_text_and_reports_it() -> None:
    frame = pd.DataFrame({"Lead ID": cells(SURROGATE, "L2"), "Email": ["a@c.com", "b@c.com"]})
    result = leads_from_frame(frame)
    assert [lead.id for lead in result.records] == ["L2"]
    assert any(p.column == "Lead ID" and p.skipped for p in result.problems)
