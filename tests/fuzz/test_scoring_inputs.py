"""Training and scoring tables with cells no feature can be made from: each refused with a
ValidationFailed naming the column, never a pandas, numpy or scikit-learn error."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from leadqual.errors import ValidationFailed
from leadqual.scoring import LeadScorer


def _frame(n: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    X = pd.DataFrame(
        {"source": rng.choice(["web", "ad", "event"], n), "employees": rng.integers(1, 900, n)}
    )
    y = ((X["source"] == "event").to_numpy() ^ (rng.random(n) < 0.2)).astype(int)
    return X, y


@pytest.fixture(scope="module")
def scorer() -> LeadScorer:
    X, y = _frame()
    return LeadScorer().fit(X, y)


# bytes (b"web" would be a category apart from "web") and a lone surrogate (UnicodeEncodeError
# while the column was planned) are not values either
BAD_CELLS = [{"plan": "pro"}, ["a", "b"], {1, 2}, 10**400, 1e308, -1e308, b"web", "Contoso\udc80"]


@pytest.mark.parametrize("column", ["source", "employees"])
@pytest.mark.parametrize("value", BAD_CELLS, ids=repr)
def test_a_bad_cell_is_refused_at_fit_naming_its_column(column: str, value: Any) -> None:
    X, y = _frame()
    X = X.astype({column: object})
    X[column] = pd.Series([value] * len(X), index=X.index, dtype=object)
    with pytest.raises(ValidationFailed, match=repr(column)) as info:
        LeadScorer().fit(X, y)
    assert info.value.field == column


@pytest.mark.parametrize("value", BAD_CELLS, ids=repr)
@pytest.mark.parametrize("method", ["predict_proba", "score_frame", "explain"])
def test_a_bad_cell_is_refused_when_scoring_naming_its_column(
    scorer: LeadScorer, value: Any, method: str
) -> None:
    X, _ = _frame(5)
    X = X.astype({"employees": object})
    X.at[2, "employees"] = value
    with pytest.raises(ValidationFailed, match="'employees'") as info:
        getattr(scorer, method)(X)
    assert info.value.field == "employees"


@pytest.mark.parametrize("value", BAD_CELLS, ids=repr)
def test_a_bad_value_in_one_record_is_refused(scorer: LeadScorer, value: Any) -> None:
    with pytest.raises(ValidationFailed, match="'employees'"):
        scorer.score_record({"source": "web", "employees": value})


def test_infinity_is_read_as_missing_not_refused(scorer: LeadScorer) -> None:
    X, _ = _frame(4)
    X["source"] = "web"
    X["employees"] = [math.inf, -math.inf, math.nan, 10.0]
    p = scorer.predict_proba(X)[:, 1]
    assert np.isfinite(p).all()
    assert p[0] == pytest.approx(p[2])  # infinity counts as missing, as NaN does


@pytest.mark.parametrize(
    "y", [[1, "no"] * 30, ["1", 1] * 30, [{"a": 1}, 0] * 30], ids=["int+str", "str+int", "dict"]
)
def test_outcomes_of_mixed_types_are_refused(y: list[Any]) -> None:
    X, _ = _frame()
    with pytest.raises(ValidationFailed, match="y mixes") as info:
        LeadScorer().fit(X, y)
    assert info.value.field == "y"


def test_words_and_flags_are_still_outcomes() -> None:
    X, y = _frame()
    assert list(LeadScorer().fit(X, np.where(y == 1, "won", "lost")).classes_) == ["lost", "won"]
    assert list(LeadScorer().fit(X, y.astype(bool)).classes_) == [False, True]


def test_duplicated_column_names_are_refused_naming_the_column() -> None:
    X, y = _frame()
    X2 = pd.concat([X, X[["source"]]], axis=1)
    with pytest.raises(ValidationFailed, match="duplicate column names: source") as info:
        LeadScorer().fit(X2, y)
    assert info.value.field == "source"
