"""LeadFeaturizer: column typing, encodings, and the single-row fast path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.errors import ConfigurationError, NotFittedError
from leadqual.scoring import LeadFeaturizer


def _mixed(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return pd.DataFrame(
        {
            "lead_id": [f"L-{i:04d}" for i in range(n)],
            "industry": rng.choice(["Retail", "Fintech", "Health", None], n).tolist(),
            "employees": np.where(rng.random(n) < 0.2, np.nan, rng.integers(5, 5000, n)),
            "revenue": rng.lognormal(15, 2, n),
            "has_phone": rng.random(n) < 0.5,
            "created": [start + timedelta(days=int(d)) for d in rng.integers(0, 300, n)],
            "notes": [
                f"call back about pricing and the pilot next week number {i} please"
                for i in range(n)
            ],
            "constant": ["x"] * n,
        }
    )


def _decision(f: LeadFeaturizer, column: str) -> tuple[str, bool]:
    d = next(d for d in f.decisions_ if d.column == column)
    return d.kind, d.kept


def test_featurizer_types_each_column_and_says_why() -> None:
    f = LeadFeaturizer().fit(_mixed())
    assert _decision(f, "lead_id") == ("identifier", False)
    assert _decision(f, "industry") == ("categorical", True)
    assert _decision(f, "employees") == ("numeric", True)
    assert _decision(f, "has_phone") == ("boolean", True)
    assert _decision(f, "created") == ("datetime", True)
    assert _decision(f, "notes") == ("text", False)
    assert _decision(f, "constant") == ("categorical", False)
    assert all(d.reason for d in f.decisions_)


def test_featurizer_flags_missing_numbers_and_log_scales_skewed_ones() -> None:
    f = LeadFeaturizer().fit(_mixed())
    names = f.get_feature_names_out().tolist()
    assert "employees (missing)" in names
    revenue = next(d for d in f.decisions_ if d.column == "revenue")
    assert "log-scaled" in revenue.reason


def test_featurizer_groups_rare_levels_and_sends_unseen_levels_there() -> None:
    X = pd.DataFrame({"source": ["web"] * 30 + ["ad"] * 30 + ["fax"] * 2})
    f = LeadFeaturizer(min_frequency=5).fit(X)
    assert f.get_feature_names_out().tolist() == ["source=ad", "source=web", "source=(other)"]
    Z = f.transform(pd.DataFrame({"source": ["fax", "carrier pigeon", "web"]}))
    assert Z.tolist() == [[0, 0, 1], [0, 0, 1], [0, 1, 0]]


def test_featurizer_reads_iso_date_strings_as_datetimes_and_ages_them() -> None:
    X = pd.DataFrame({"first_contact": ["2026-01-01", "2026-01-11", "2026-01-21"] * 10})
    f = LeadFeaturizer(reference_time=datetime(2026, 1, 31, tzinfo=UTC)).fit(X)
    assert _decision(f, "first_contact") == ("datetime", True)
    ages = f.transform(X)[:3, 0]
    # ages are standardised; the oldest lead has the largest age
    assert ages[0] > ages[1] > ages[2]


def test_featurizer_hashes_free_text_when_asked() -> None:
    f = LeadFeaturizer(text="hash", text_buckets=8).fit(_mixed())
    assert _decision(f, "notes") == ("text", True)
    assert sum(name.startswith("notes:") for name in f.get_feature_names_out()) == 8


def test_featurizer_uses_only_the_listed_features() -> None:
    f = LeadFeaturizer(features=["industry", "employees"]).fit(_mixed())
    kept = [d.column for d in f.decisions_ if d.kept]
    assert kept == ["industry", "employees"]
    reason = next(d.reason for d in f.decisions_ if d.column == "revenue")
    assert reason == "not in `features`"


def test_featurizer_excludes_columns_on_request() -> None:
    f = LeadFeaturizer(exclude=["revenue"]).fit(_mixed())
    assert _decision(f, "revenue")[1] is False


def test_featurizer_names_unknown_feature_columns() -> None:
    with pytest.raises(ConfigurationError, match="budget"):
        LeadFeaturizer(features=["industry", "budget"]).fit(_mixed())


def test_featurizer_refuses_transform_before_fit() -> None:
    with pytest.raises(NotFittedError):
        LeadFeaturizer().transform(_mixed())


def test_featurizer_accepts_pandas_string_and_nullable_dtypes() -> None:
    X = pd.DataFrame(
        {
            "city": pd.array(["Oslo", "Rome", None] * 10, dtype="string"),
            "seats": pd.array([1, None, 3] * 10, dtype="Int64"),
            "vip": pd.array([True, False, None] * 10, dtype="boolean"),
        }
    )
    Z = LeadFeaturizer(min_frequency=2).fit_transform(X)
    assert Z.shape[0] == 30
    assert np.isfinite(Z).all()


def test_featurizer_reorders_columns_by_name() -> None:
    X = _mixed()
    f = LeadFeaturizer().fit(X)
    shuffled = X[list(reversed(X.columns))]
    assert np.array_equal(f.transform(shuffled), f.transform(X))


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=0, max_value=59),
    st.sampled_from(["Retail", "Unknown Industry", None]),
    st.one_of(st.none(), st.floats(min_value=0, max_value=1e6)),
)
def test_single_record_path_matches_batch_transform(
    row: int, industry: str | None, employees: float | None
) -> None:
    X = _mixed()
    f = LeadFeaturizer().fit(X)
    record = X.iloc[row].to_dict()
    record["industry"] = industry
    record["employees"] = employees
    batch = f.transform(pd.DataFrame([record], columns=X.columns))
    assert np.allclose(f.transform_record(record), batch[0])


def test_featurizer_names_duplicate_columns() -> None:
    X = pd.DataFrame([[1, 2], [3, 4]], columns=["size", "size"])
    with pytest.raises(ValueError, match="duplicate column names: size"):
        LeadFeaturizer().fit(X)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.just(float("nan")),
            st.sampled_from(["web", " web ", "event", "", "  ", "cold"]),
            st.integers(min_value=0, max_value=3),
            st.text(max_size=4),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_categorical_batch_matches_one_value_at_a_time(values: list[object]) -> None:
    # padded spellings, numbers read as text, blanks and NaN: the batch path hashes each distinct
    # value once and must agree with the per-lead path on every one of them
    train = pd.DataFrame({"source": ["web", "event", "cold", "1", None] * 12})
    f = LeadFeaturizer(min_frequency=2).fit(train)
    batch = f.transform(pd.DataFrame({"source": pd.Series(values, dtype=object)}))
    for i, v in enumerate(values):
        assert np.array_equal(f.transform_record({"source": v}), batch[i]), v


def test_transform_is_column_major() -> None:
    # scikit-learn's tree predictors walk a Fortran-ordered matrix about three times faster
    Z = LeadFeaturizer().fit(_mixed()).transform(_mixed())
    assert Z.flags["F_CONTIGUOUS"]


def _aging_frame() -> pd.DataFrame:
    created = pd.to_datetime(["2025-01-01", "2025-06-01", "2026-01-01", None], utc=True)
    closed = pd.to_datetime(["2025-01-08", "2025-07-01", None, "2026-03-01"], utc=True)
    return pd.DataFrame({"created": created, "closed": closed, "source": ["a", "b", "a", "b"]})


def test_dates_are_aged_from_each_rows_own_as_of_time() -> None:
    X = _aging_frame()
    f = LeadFeaturizer(as_of_column="closed", min_frequency=1).fit(X)
    decisions = {d.column: d for d in f.decisions_}
    assert not decisions["closed"].kept and "as_of_column" in decisions["closed"].reason
    assert "each row's closed" in decisions["created"].reason
    plan = f.plans_[f.block_columns_.index("created")]
    ages = plan.age.median, plan.reference  # type: ignore[attr-defined]
    # 7 days, 30 days, and a row without an as-of time aged from the latest one (2026-03-01)
    got = f.transform(X)[:, f.blocks_[f.block_columns_.index("created")][0]]
    age_days = got * plan.age.scale + plan.age.center  # type: ignore[attr-defined]
    assert np.allclose(age_days[:3], [7, 30, 59])
    assert ages[1] == pd.Timestamp("2026-03-01", tz="UTC").timestamp()


def test_as_of_column_scores_an_open_lead_at_its_own_age() -> None:
    X = _aging_frame()
    f = LeadFeaturizer(as_of_column="closed", min_frequency=1).fit(X)
    # created a week before scoring: the same age as the first training row at its close
    now = {"created": "2026-11-24", "closed": "2026-12-01", "source": "a"}
    week_old = f.transform_record(now)
    assert np.allclose(week_old, f.transform(X.iloc[[0]])[0])
    # the batch path agrees
    batch = f.transform(pd.DataFrame([now]).astype({"created": "datetime64[ns, UTC]"}))
    assert np.allclose(batch[0], week_old)


def test_as_of_column_must_exist() -> None:
    with pytest.raises(ConfigurationError, match="as_of_column"):
        LeadFeaturizer(as_of_column="decided").fit(_aging_frame())


def test_month_and_weekday_are_read_in_the_given_time_zone() -> None:
    # Monday 2026-03-02 01:30 in Tokyo is Sunday 2026-03-01 16:30 in UTC
    when = pd.Timestamp("2026-03-01 16:30", tz="UTC")
    X = pd.DataFrame(
        {"created": [when + pd.Timedelta(days=7 * i + 2 * (i % 2)) for i in range(30)]}
    )
    utc = LeadFeaturizer(date_parts=True, min_frequency=1).fit(X)
    tokyo = LeadFeaturizer(date_parts=True, min_frequency=1, timezone="Asia/Tokyo").fit(X)
    assert {"created: weekday=6", "created: weekday=1"} <= set(utc.get_feature_names_out())
    assert {"created: weekday=0", "created: weekday=2"} <= set(tokyo.get_feature_names_out())
    assert "(Asia/Tokyo)" in tokyo.decisions_[0].reason
    # the single-lead path reads the same day
    assert np.array_equal(tokyo.transform_record({"created": when}), tokyo.transform(X)[0])


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd"])
def test_unknown_time_zone_is_a_configuration_error(zone: str) -> None:
    with pytest.raises(ConfigurationError, match="IANA"):
        LeadFeaturizer(timezone=zone).fit(_mixed())


def test_categorical_batch_keeps_equal_numbers_of_different_types_apart() -> None:
    # 1, 1.0 and True compare equal, so one hashing pass would key them all as the first one
    # seen; their keys ("1", "1.0", "True") are different levels, as in the per-lead path
    train = pd.DataFrame({"tier": pd.Series(["1", "1.0", "True", "gold"] * 10, dtype=object)})
    f = LeadFeaturizer(min_frequency=1).fit(train)
    values = [1, 1.0, True, "gold", 2, None]
    batch = f.transform(pd.DataFrame({"tier": pd.Series(values, dtype=object)}))
    for i, v in enumerate(values):
        assert np.array_equal(f.transform_record({"tier": v}), batch[i]), v
    assert len({tuple(row) for row in batch[:4]}) == 4


def test_local_date_past_the_year_9999_is_read_alike_in_both_paths() -> None:
    # CRMs write "no date" as 9999-12-31 23:59:59 UTC: in Tokyo that is already the year 10000,
    # which Python's datetime cannot hold; the single-lead path once raised OverflowError
    start = pd.Timestamp("2026-01-01", tz="UTC")
    created = [start + pd.Timedelta(days=i) for i in range(40)]
    created[0] = pd.Timestamp("9999-12-31 23:59:59", tz="UTC")
    X = pd.DataFrame({"created": created})
    f = LeadFeaturizer(date_parts=True, min_frequency=1, timezone="Asia/Tokyo").fit(X)
    row = f.transform_record({"created": created[0]})
    assert np.array_equal(row, f.transform(X.iloc[[0]])[0])


def test_lead_records_read_a_country_however_it_is_written() -> None:
    from datetime import UTC, datetime

    from leadqual.models import Address, Lead
    from leadqual.scoring.records import lead_record

    at = datetime(2026, 1, 1, tzinfo=UTC)
    countries = {
        lead_record(Lead(id=str(i), last_name="Ng", created_at=at, address=Address(country=c)))[
            "country"
        ]
        for i, c in enumerate(["México", "Mexico", "MX", "Mexique"])
    }
    assert countries == {"MX"}
    odd = Lead(id="x", last_name="Ng", created_at=at, address=Address(country="Atlantis"))
    assert lead_record(odd)["country"] == "Atlantis"


def test_an_address_at_a_disposable_or_relay_domain_is_a_personal_one() -> None:
    from datetime import UTC, datetime

    from leadqual.models import Lead
    from leadqual.scoring.records import lead_record

    at = datetime(2026, 1, 1, tzinfo=UTC)
    types = [
        lead_record(Lead(id=str(i), last_name="Ng", created_at=at, email=e))["email_type"]
        for i, e in enumerate(["a@gmail.com", "a@mailinator.com", "a@contoso.com"])
    ]
    assert types == ["personal", "personal", "work"]
