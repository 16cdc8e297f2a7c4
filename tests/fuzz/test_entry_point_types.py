"""The wrong kind of argument at a public entry point: a typed error that says what was
expected, not an AttributeError or TypeError from deep inside."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from leadqual.config import AgentConfig
from leadqual.dedupe import DuplicateDetector, QualificationChecker
from leadqual.email import EmailValidator
from leadqual.errors import ConfigurationError, EmailInputError, ValidationFailed
from leadqual.icp import IcpMatcher
from leadqual.prioritize import HandraiserEvaluator, Prioritizer
from leadqual.scoring import GradeScheme


def test_match_frame_refuses_a_repeated_column_naming_it(sample_config: AgentConfig) -> None:
    frame = pd.DataFrame([["Retail", "Software"]], columns=["account.industry"] * 2)
    with pytest.raises(ValidationFailed, match=r"repeated column names: 'account\.industry'") as e:
        IcpMatcher.from_config(sample_config).match_frame(frame)
    assert e.value.field == "account.industry"


@pytest.mark.parametrize(
    "call",
    [
        lambda f: DuplicateDetector().find_frame(f),
        lambda f: Prioritizer().rank_frame(f),
    ],
    ids=["find_frame", "rank_frame"],
)
def test_table_entry_points_refuse_a_repeated_column(call: Any) -> None:
    frame = pd.DataFrame([["a", "b"]], columns=["id", "id"]).rename(columns={"id": "lead_id"})
    with pytest.raises(ValidationFailed, match="repeated column names"):
        call(frame)


@pytest.mark.parametrize("cls", [IcpMatcher, Prioritizer, HandraiserEvaluator])
def test_from_config_refuses_what_is_not_a_configuration(cls: Any) -> None:
    with pytest.raises(ConfigurationError, match="needs an AgentConfig"):
        cls.from_config({"company": {"name": "x"}})


@pytest.mark.parametrize("lead", ["L-0001", None, {"id": "L-1"}])
def test_qualification_check_refuses_what_is_not_a_lead(lead: Any) -> None:
    with pytest.raises(ValidationFailed, match="needs a Lead"):
        QualificationChecker().find(lead)


@pytest.mark.parametrize("score", ["80", None, float("nan"), True, [80]])
def test_grading_refuses_what_is_not_a_score(score: Any) -> None:
    with pytest.raises(ValidationFailed, match="score must be a number"):
        GradeScheme().grade(score)


def test_validate_many_refuses_what_is_not_iterable() -> None:
    with pytest.raises(EmailInputError, match="iterable of strings"):
        EmailValidator(check_deliverability=False).validate_many(42)  # type: ignore[arg-type]


def test_rank_frame_refuses_an_integer_no_float_holds() -> None:
    frame = pd.DataFrame({"lead_id": ["L0", "L1"], "icp_score": [10**400, 5]})
    with pytest.raises(ValidationFailed, match="'icp_score' holds an integer too large"):
        Prioritizer().rank_frame(frame)
