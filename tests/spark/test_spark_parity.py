"""leadqual on Spark gives the single-machine answers: scores, fits, email verdicts, training,
duplicate pairs and clusters, and the batch insights; bad input fails before the job, and a row
that fails is kept with its reason. Few tests, one shared local session (see conftest)."""

from __future__ import annotations

import inspect
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pytest

from leadqual.dedupe import (
    DuplicateDetector,
    lead_settings,
)
from leadqual.dedupe.synthetic import synthetic_leads
from leadqual.email import EmailValidator, validate_frame
from leadqual.errors import InsufficientTrainingData, ValidationFailed
from leadqual.icp import IcpMatcher
from leadqual.scoring import LeadScorer
from leadqual.sources import load_sample_config
from leadqual.spark import (
    ExecutorVersionMismatch,
    SchemaMismatch,
    find_duplicates,
    match_icp,
    qualify_leads,
    score_leads,
    train_scorer,
    validate_emails,
)
from leadqual.spark._common import Fitted, compare_versions, library_versions

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def _leads(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray[Any, Any]]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": [f"L{i:04d}" for i in range(n)],
            "lead_source": rng.choice(["web", "ad", "event", None], size=n).astype(object),
            "employees": rng.integers(1, 5000, size=n).astype(float),
            "budget": np.where(rng.random(n) < 0.3, np.nan, rng.normal(50, 20, size=n)),
        }
    )
    logit = 0.001 * frame["employees"] - 2 + (frame["lead_source"] == "event") * 1.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame, y


def test_scores_and_factors_equal_the_single_machine_scorer(spark: Any) -> None:
    frame, y = _leads(300)
    scorer = LeadScorer(n_jobs=1).fit(frame.drop(columns=["id"]), y)
    sdf = spark.createDataFrame(frame).repartition(3)  # several partitions, rows shuffled
    got = score_leads(sdf, scorer, top_factors=2).toPandas().set_index("id").loc[frame["id"]]
    want = scorer.score_frame(frame.drop(columns=["id"]))
    assert got["score"].tolist() == want["score"].tolist()
    assert np.allclose(got["probability"], want["probability"], rtol=0, atol=1e-12)
    assert got["grade"].tolist() == want["grade"].tolist()
    assert got["error"].isna().all()
    for i in (0, 7, 123):
        one = scorer.score_record(frame.drop(columns=["id"]).iloc[i].to_dict(), explain=2)
        ups = [(f["column"], f["effect"], f["points"]) for f in got["factors_up"].iloc[i]]
        assert ups == [(f.column, f.effect, f.points) for f in one.factors_up]
        downs = [(f["column"], f["effect"]) for f in got["factors_down"].iloc[i]]
        assert downs == [(f.column, f.effect) for f in one.factors_down]
    # a column the scorer was trained on is missing: refused before any job runs
    with pytest.raises(SchemaMismatch, match="'employees' is missing"):
        score_leads(sdf.drop("employees"), scorer)


def test_training_in_spark_fits_what_one_machine_fits(spark: Any) -> None:
    frame, y = _leads(240, seed=4)
    frame["qualified"] = y
    frame["closed_at"] = [NOW - timedelta(days=int(d)) for d in np.arange(240) + 1]
    frame.loc[5, "closed_at"] = NOW - timedelta(days=900)  # outside the window: left out
    sdf = spark.createDataFrame(frame)
    trained = train_scorer(
        sdf,
        label_column="qualified",
        closed_column="closed_at",
        id_column="id",
        now=NOW,
        scorer=LeadScorer(n_jobs=1),
    )
    local = frame[frame["closed_at"] >= NOW - 12 * timedelta(days=30.4375)]
    local = local.sort_values(["closed_at", "id"])
    ref = LeadScorer(n_jobs=1).fit(
        local.drop(columns=["qualified", "closed_at", "id"]), local["qualified"]
    )
    X = frame.drop(columns=["qualified", "closed_at", "id"])
    assert trained.rows == len(local) == 239
    assert np.allclose(trained.scorer.predict_proba(X), ref.predict_proba(X), atol=1e-12)
    # the 40/40 check runs in Spark and says how far to widen the window
    few = sdf.filter("closed_at >= '2025-04-20'")
    with pytest.raises(InsufficientTrainingData, match="40 of each are needed") as err:
        train_scorer(few, label_column="qualified", closed_column="closed_at", now=NOW)
    assert err.value.qualified + err.value.disqualified == few.count()


def test_duplicates_equal_the_single_machine_detector_with_a_block_of_half_the_rows(
    spark: Any,
) -> None:
    frame, _, _ = synthetic_leads(160, seed=3)
    frame["emails"] = frame["emails"].apply(list)
    frame["phones"] = frame["phones"].apply(list)
    # skew: half the rows at one company, and nulls everywhere in a tenth of them
    frame.loc[::2, "company_name"] = "Acme Holdings Inc."
    frame.loc[::10, ["first_name", "country"]] = None
    frame.loc[3, "emails"] = [frame.loc[1, "emails"][0]] if frame.loc[1, "emails"] else []
    from pyspark.sql import functions as sf

    detector = DuplicateDetector(lead_settings(max_block_size=30))
    # persisted: a repartitioned frame read twice may come back in another row order
    sdf = spark.createDataFrame(frame).repartition(2).cache()
    result = find_duplicates(sdf, detector)
    ordered = sdf.toPandas()  # the same rows in the Spark frame's order
    want = DuplicateDetector(lead_settings(max_block_size=30)).find_frame(ordered)
    got = result.pairs.toPandas()
    cols = ["left_id", "right_id", "rule", "cluster"]
    assert sorted(map(tuple, got[cols].values.tolist())) == sorted(
        map(tuple, want[cols].values.tolist())
    )
    assert len(got) == result.report.duplicate_pairs > 0
    summary = want.attrs["blocking"]
    assert result.report.pairs_per_key == summary.pairs_per_key
    assert [(b.key, b.records) for b in result.report.oversized] == sorted(summary.dropped_keys)
    clusters = result.clusters.toPandas()
    assert set(clusters["cluster"]) == set(want["cluster"])
    assert result.rejected.count() == 0
    assert result.report.records == len(frame)
    # ids are checked in one job before any pair is made: missing, then repeated
    first = frame["id"].iloc[0]
    blank = sdf.withColumn("id", sf.when(sf.col("id") == first, None).otherwise(sf.col("id")))
    with pytest.raises(ValidationFailed, match="1 record"):
        find_duplicates(blank, detector, check_versions=False)
    twice = sdf.unionByName(sdf.filter(sf.col("id").isin(frame["id"].iloc[[5, 9]].tolist())))
    with pytest.raises(ValidationFailed, match=r"2 id\(s\) repeat, such as"):
        find_duplicates(twice, detector, check_versions=False)


def test_an_executor_running_duplicates_does_not_import_the_scorer() -> None:
    """Each Python worker imports what the pickled job function's module imports: duplicate
    detection must not pay for scikit-learn (seconds per worker), nor any job for pyspark's
    absence on the driver."""
    code = (
        "import sys; import leadqual.spark.dedupe; "
        "print(sorted(m for m in ('sklearn', 'leadqual.scoring', 'leadqual.spark.apply', "
        "'pyspark') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
    import leadqual.spark as package

    assert set(package.__all__) <= set(dir(package))
    assert package.find_duplicates is on_spark_find_duplicates()
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        package.nothing  # noqa: B018


def on_spark_find_duplicates() -> Any:
    from leadqual.spark.dedupe import find_duplicates as fn

    return fn


def test_spark_has_no_exact_keys_of_its_own() -> None:
    """Oversized blocks are split by ``DedupeSettings.exact_keys`` on both paths: a second
    implementation in the Spark module could drift from the detector's."""
    from leadqual.spark import dedupe as on_spark

    assert not hasattr(on_spark, "_exact_keys")
    assert "exact_keys()" in inspect.getsource(on_spark.find_duplicates)


_HOSTILE_EMAILS = [
    "kim@contoso.com",
    "  Kim@Contoso.COM ",
    "sam@gmial.com",
    "not an address",
    "",
    "a@b",
    "info@acme.io",
    "x@mailinator.com",
    "abc@privaterelay.appleid.com",
    "用户@例子.广告",
    "josé.garcía@correo.es",
    "\uff46\uff55\uff4c\uff4c\uff20\uff57\uff49\uff44\uff54\uff48.com",  # fullwidth
    "zero\u200bwidth@example.com",
    '"quoted local"@example.com',
    "a" * 300 + "@example.com",
    "two@@example.com",
    "trailing.dot.@example.com",
    "x@gmail.con",
    "\u202eevil@example.com",
    None,
]
_HOSTILE_TEXT = [
    "Software",
    "Société Générale",
    "Tür\u0308kiye",
    "🚀 Startups",
    "",
    "   ",
    "Government",
    "Financial Services",
    "نظام",
    "x" * 2000,
    None,
]


def _hostile_rows(n: int, seed: int = 11) -> pd.DataFrame:
    """``n`` leads of hostile text, numbers and addresses; half of them share one email and
    one industry (the block holding half the rows), and a third of every column is null."""
    rng = np.random.default_rng(seed)

    def pick(values: list[Any]) -> list[Any]:
        return [values[i] for i in rng.integers(len(values), size=n)]

    rows = pd.DataFrame(
        {
            "lead_id": [f"h{i:04d}" for i in range(n)],
            "lead.industry": pick(_HOSTILE_TEXT),
            "lead.employee_count": pick([250.0, None, 12.0, 3000.0, -5.0, 0.0, 1e12, np.nan]),
            "lead.job_title": pick(["CTO", None, "intern", "VP Sales", "Chief 🤖 Officer", ""]),
            "lead.address.country": pick(["US", None, "France", "DE", "Türkiye", "??", "ZZ"]),
            "lead.need": pick(["faster invoicing", None, "fraud checks", "", "\x00\x01"]),
            "email": pick(_HOSTILE_EMAILS),
        }
    )
    half = rng.random(n) < 0.5
    rows.loc[half, "email"] = "same@bigcorp.com"
    rows.loc[half, "lead.industry"] = "Software"
    nulls = rng.random((n, 5)) < 0.33
    for j, name in enumerate(
        ["lead.industry", "lead.employee_count", "lead.job_title", "lead.need", "email"]
    ):
        rows.loc[nulls[:, j], name] = None
    rows["skew"] = np.where(half, 0, rng.integers(1, 4, size=n))
    return rows


def test_icp_email_and_insights_keep_failing_rows(spark: Any) -> None:
    config = load_sample_config()
    assert config.icp is not None
    rows = _hostile_rows(300)
    # skewed partitions: the half-of-the-rows value lands in one of them
    sdf = spark.createDataFrame(rows).repartition(4, "skew").drop("skew")
    assert sdf.rdd.getNumPartitions() == 4
    local = rows.drop(columns=["skew", "email"])
    icp = match_icp(sdf, config.icp).toPandas().set_index("lead_id").loc[rows["lead_id"]]
    want = IcpMatcher(config.icp).match_frame(local)
    assert len(icp) == len(rows)  # nothing dropped
    assert icp["error"].isna().all()
    assert icp["icp_score"].tolist() == want["icp_score"].tolist()
    assert icp["icp_tier"].tolist() == want["icp_tier"].astype(str).tolist()
    assert np.allclose(icp["icp_coverage"], want["icp_coverage"], equal_nan=True)
    assert icp["icp_score"].nunique() > 3  # the data is varied enough to mean something
    with pytest.raises(SchemaMismatch, match="none of its columns"):
        match_icp(sdf.select("lead_id", "email"), config.icp)

    factory = partial(EmailValidator, check_deliverability=False)
    emails = validate_emails(sdf, factory).toPandas().set_index("lead_id").loc[rows["lead_id"]]
    ref = validate_frame(factory(), rows.drop(columns=["skew"]))
    assert len(emails) == len(rows)
    assert emails["error"].isna().all()
    for name in ("normalized", "status", "type", "reasons", "suggestion"):
        got_col = emails[f"email_{name}"].tolist()
        want_col = [None if pd.isna(v) else v for v in ref[f"email_{name}"].tolist()]
        assert [None if pd.isna(v) else v for v in got_col] == want_col, name
    for name in ("is_valid", "is_disposable", "is_role_account", "is_free_provider"):
        assert (
            emails[f"email_{name}"].astype(object).tolist()
            == ref[f"email_{name}"].astype(object).tolist()
        ), name
    assert emails["email_status"].nunique() >= 3
    with pytest.raises(Exception, match="function that builds the validator"):
        validate_emails(sdf, factory())  # type: ignore[arg-type]

    leads = pd.DataFrame(
        {
            "id": ["L1", "L2", "L3"],
            "email": ["kim@contoso.com", "x@gmail.com", "bo@acme.io"],
            "industry": ["Software", "Retail", None],
            "employee_count": [250, 10, -5],  # a negative head count cannot be a Lead
            "lead_source": ["Web form", None, "Event"],
            "created_at": [NOW - timedelta(days=3)] * 3,
        }
    )
    got = qualify_leads(spark.createDataFrame(leads), config, now=NOW).toPandas()
    assert got["lead_id"].tolist() == ["L1", "L2", "L3"]  # nothing dropped
    assert got["error"].iloc[:2].isna().all()
    assert "employee_count" in got["error"].iloc[2]
    assert got["rating"].iloc[0] in ("Hot", "Warm", "Cold")


def test_versions_that_differ_from_the_executors_are_refused() -> None:
    mine = library_versions()
    theirs = {**mine, "scikit-learn": "0.1.0"}
    assert compare_versions(mine, [mine, {**mine, "numpy": mine["numpy"] + ".post1"}]) == {}
    assert set(compare_versions(mine, [mine, theirs])) == {"scikit-learn"}
    stale = Fitted(obj=object(), versions={**mine, "scikit-learn": "0.1.0"})
    with pytest.raises(ExecutorVersionMismatch, match=r"scikit-learn 0\.1\.0 on the driver"):
        stale.checked()
