"""validate_frame: verdict columns for a DataFrame column of addresses."""

from __future__ import annotations

import pandas as pd
import pytest

from leadqual.email import (
    EmailValidator,
    validate_frame,
)
from leadqual.errors import ConfigurationError
from leadqual.testing.dns import StaticResolver


def test_frame_helper_adds_verdict_columns_and_handles_missing_values() -> None:
    frame = pd.DataFrame(
        {"id": [1, 2, 3, 4, 5], "email": ["kim@gmail.com", None, float("nan"), 7, "info@acme.io"]}
    )
    out = validate_frame(EmailValidator(check_deliverability=False), frame)
    assert list(out["id"]) == [1, 2, 3, 4, 5]
    assert list(out["email_is_valid"]) == [True, False, False, False, True]
    assert list(out["email_type"]) == ["personal", "unknown", "unknown", "unknown", "work"]
    assert list(out["email_reasons"])[1:4] == ["empty", "empty", "not_text"]
    assert bool(out["email_is_role_account"].iloc[4])
    assert "email_suggestion" in out.columns
    assert list(frame.columns) == ["id", "email"]  # the input is not modified


def test_frame_helper_reads_a_nullable_string_column_with_missing_values() -> None:
    # what read_csv(dtype="string") and convert_dtypes() give: missing values are pd.NA
    frame = pd.DataFrame({"email": pd.array(["kim@contoso.com", None], dtype="string")})
    out = validate_frame(EmailValidator(check_deliverability=False), frame)
    assert list(out["email_reasons"])[1] == "empty"
    assert list(out["email_is_valid"]) == [True, False]


def test_frame_helper_run_twice_replaces_its_columns() -> None:
    validator = EmailValidator(check_deliverability=False)
    once = validate_frame(validator, pd.DataFrame({"email": ["kim@contoso.com"]}))
    twice = validate_frame(validator, once.assign(email=["kim@gmial.com"]))
    assert list(twice.columns) == list(once.columns)
    assert twice["email_suggestion"].iloc[0] == "kim@gmail.com"


def test_frame_helper_looks_each_domain_up_once() -> None:
    resolver = StaticResolver({"contoso.com": {"mx": ["mx.contoso.com"]}})
    frame = pd.DataFrame({"mail": [f"u{i}@contoso.com" for i in range(100)]})
    out = validate_frame(EmailValidator(resolver=resolver), frame, column="mail", prefix="v_")
    assert set(out["v_status"]) == {"valid"}
    assert resolver.lookups["contoso.com"] == 1


def test_frame_helper_names_a_missing_column() -> None:
    with pytest.raises(ConfigurationError, match="'mail'"):
        validate_frame(
            EmailValidator(check_deliverability=False), pd.DataFrame({"email": []}), column="mail"
        )
