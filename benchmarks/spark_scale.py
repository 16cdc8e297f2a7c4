"""leadqual on Spark (``local[2]``) against the single-machine path on the same data, and
splink on Spark for the same duplicate detection, in the same run.

    .venv/bin/python benchmarks/spark_scale.py [--rows 20000 ...] [--no-splink]
        [--splink-limit 900] [--no-dedupe] [--partitions 8] [--driver-memory 8g]
        [--results spark_scale]

For each size: synthetic leads (:func:`leadqual.dedupe.synthetic.synthetic_leads`, 10 %
planted duplicates of the seeds' four kinds and look-alikes) and a scoring table of the same
length.

1. Scoring: a :class:`~leadqual.LeadScorer` fitted once on 5,000 rows scores every row,
   ``score_frame`` on one machine against ``score_leads`` on Spark (``top_factors=0``, written
   to Spark's ``noop`` sink), timed twice: first as a job runs in a fresh session (Python
   workers start and import the scorer), then again with the workers up; parity: every score
   and grade equal.
2. Duplicates: ``DuplicateDetector.find_frame`` against ``leadqual.spark.find_duplicates``
   (pairs read back); parity: the same pairs, rules and clusters. Precision / recall / F1
   against the planted pairs.
3. splink 5 on Spark (``SparkAPI``, same session): u by random sampling, m by EM, threshold
   0.5, blocking on email, phone, surname + company; the same F1. It gets ``--splink-limit``
   seconds: past them its Spark jobs are cancelled and it is reported as not finished.
4. Plans: the physical plans of the scoring output and of the duplicate pairs are checked for
   operators that bring all rows to the driver (``CollectLimit``, ``TakeOrderedAndProject``,
   ``CollectTail``); broadcast exchanges are counted (Spark broadcasts only sides estimated
   under ``spark.sql.autoBroadcastJoinThreshold``). The driver-side reads the job itself makes
   are aggregates (counts per blocking key, per oversized key value, per round).

Per-core rates (records per second per core) are printed for the paper estimate in docs/spark.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import write_results  # noqa: E402

COLLECT_ALL = ("CollectLimit", "TakeOrderedAndProject", "CollectTail")
CORES = 2


def _quiet() -> None:
    for message in ("PySpark does not yet fully support pandas", "The copy keyword is deprecated"):
        warnings.filterwarnings("ignore", message=message)
    os.environ["PYTHONWARNINGS"] = (
        "ignore:PySpark does not yet fully support pandas:FutureWarning,"
        "ignore:The copy keyword is deprecated:Warning"
    )
    logging.getLogger("splink").setLevel(logging.WARNING)
    logging.getLogger("py4j").setLevel(logging.WARNING)


def _session(partitions: int, driver_memory: str) -> Any:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    try:  # splink's similarity functions (Jaro-Winkler, ...) are Scala UDFs in its jar
        from splink.backends.spark import similarity_jar_location

        builder = builder.config("spark.jars", similarity_jar_location())
    except ImportError:
        pass
    spark = (
        builder.master(f"local[{CORES}]")
        .appName("leadqual-spark-scale")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.default.parallelism", str(CORES))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", driver_memory)
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _score_table(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray[Any, Any]]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": [f"S{i:08d}" for i in range(n)],
            "lead_source": rng.choice(["web", "ad", "event", "partner", None], size=n).astype(
                object
            ),
            "industry": rng.choice(["software", "retail", "banking", None], size=n).astype(object),
            "employees": rng.integers(1, 5000, size=n).astype(float),
            "budget": np.where(rng.random(n) < 0.3, np.nan, rng.normal(50, 20, size=n)),
        }
    )
    logit = 0.001 * frame["employees"] - 2 + (frame["lead_source"] == "event") * 1.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame, y


def _plan(df: Any) -> tuple[list[str], int]:
    text = str(df._jdf.queryExecution().executedPlan().toString())
    return [op for op in COLLECT_ALL if op in text], text.count("BroadcastExchange")


def _f1(found: set[frozenset[str]], truth: set[frozenset[str]]) -> tuple[float, float, float]:
    tp = len(found & truth)
    p = tp / len(found) if found else 0.0
    r = tp / len(truth) if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _scoring(spark: Any, n: int) -> dict[str, Any]:
    from leadqual.scoring import LeadScorer
    from leadqual.spark import score_leads

    frame, y = _score_table(n, seed=1)
    fit_rows = min(5000, n)
    scorer = LeadScorer(n_jobs=1).fit(frame.drop(columns=["id"]).iloc[:fit_rows], y[:fit_rows])
    X = frame.drop(columns=["id"])
    t0 = time.perf_counter()
    want = scorer.score_frame(X)
    local = time.perf_counter() - t0
    sdf = spark.createDataFrame(frame).repartition(CORES * 2).cache()
    sdf.count()
    scored = score_leads(sdf, scorer, top_factors=0)
    t0 = time.perf_counter()
    scored.write.format("noop").mode("overwrite").save()
    on_spark = time.perf_counter() - t0
    t0 = time.perf_counter()  # again, with the Python workers started and their imports done
    scored.write.format("noop").mode("overwrite").save()
    again = time.perf_counter() - t0
    got = scored.select("id", "score", "grade").toPandas().set_index("id").loc[frame["id"]]
    parity = (
        got["score"].tolist() == want["score"].tolist()
        and got["grade"].tolist() == want["grade"].astype(object).tolist()
    )
    collect_all, broadcasts = _plan(scored)
    sdf.unpersist()
    return {
        "local": local,
        "spark": on_spark,
        "again": again,
        "parity": parity,
        "collect_all": collect_all,
        "broadcasts": broadcasts,
    }


def _dedupe(spark: Any, n: int) -> tuple[dict[str, Any], pd.DataFrame, set[frozenset[str]], Any]:
    from leadqual.dedupe import DuplicateDetector
    from leadqual.dedupe.synthetic import synthetic_leads
    from leadqual.spark import find_duplicates

    frame, planted, _ = synthetic_leads(n, seed=7)
    frame["emails"] = frame["emails"].apply(list)
    frame["phones"] = frame["phones"].apply(list)
    truth = {frozenset((a, b)) for _, a, b in planted}
    sdf = spark.createDataFrame(frame).repartition(CORES * 2).cache()
    ordered = sdf.toPandas()  # the Spark frame's row order decides left / right
    t0 = time.perf_counter()
    want = DuplicateDetector().find_frame(ordered)
    local = time.perf_counter() - t0
    sc = spark.sparkContext
    sc.setJobGroup("dedupe", "find_duplicates")
    t0 = time.perf_counter()
    result = find_duplicates(sdf)
    got = result.pairs.toPandas()
    on_spark = time.perf_counter() - t0
    jobs = len(sc.statusTracker().getJobIdsForGroup("dedupe"))
    sc.setJobGroup("other", "other")
    cols = ["left_id", "right_id", "rule", "cluster"]
    parity = sorted(map(tuple, got[cols].values.tolist())) == sorted(
        map(tuple, want[cols].values.tolist())
    )
    found = {frozenset((a, b)) for a, b in zip(got["left_id"], got["right_id"], strict=True)}
    collect_all, broadcasts = _plan(result.pairs)
    return (
        {
            "local": local,
            "spark": on_spark,
            "parity": parity,
            "pairs": len(got),
            "f1": _f1(found, truth),
            "jobs": jobs,
            "iterations": result.report.iterations,
            "collect_all": collect_all,
            "broadcasts": broadcasts,
        },
        ordered,
        truth,
        sdf,
    )


def _splink(spark: Any, frame: pd.DataFrame, truth: set[frozenset[str]]) -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.spark import SparkAPI

    flat = pd.DataFrame(
        {
            "unique_id": frame["id"],
            "first_name": frame["first_name"],
            "last_name": frame["last_name"],
            "company": frame["company_name"],
            "email": [e[0].lower() if len(e) else None for e in frame["emails"]],
            "phone": [
                "".join(ch for ch in p[0] if ch.isdigit())[-9:] if len(p) else None
                for p in frame["phones"]
            ],
        }
    ).replace("", None)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.JaroWinklerAtThresholds("company", [0.9, 0.75]),
            cl.ExactMatch("email"),
            cl.ExactMatch("phone"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("last_name", "company"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    t0 = time.perf_counter()
    db_api = SparkAPI(spark_session=spark, break_lineage_method="persist")
    linker = Linker(db_api.register(spark.createDataFrame(flat)), settings)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e5)
    for rule in (block_on("email"), block_on("last_name")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    wall = time.perf_counter() - t0
    found = {
        frozenset((a, b)) for a, b in zip(pred["unique_id_l"], pred["unique_id_r"], strict=True)
    }
    return {"spark": wall, "pairs": len(found), "f1": _f1(found, truth)}


def _splink_limited(
    spark: Any, frame: pd.DataFrame, truth: set[frozenset[str]], limit: float
) -> dict[str, Any]:
    """:func:`_splink` in a thread of its own Spark job group; past ``limit`` seconds the group's
    jobs are cancelled and ``{"limit": limit}`` comes back instead of figures."""
    sc = spark.sparkContext
    out: dict[str, Any] = {}

    def run() -> None:
        sc.setJobGroup("splink", "splink on Spark", interruptOnCancel=True)
        try:
            out.update(_splink(spark, frame, truth))
        except Exception as err:  # a cancelled job surfaces here; reported by the caller
            out["error"] = err

    worker = threading.Thread(target=run, name="splink", daemon=True)
    t0 = time.perf_counter()
    worker.start()
    worker.join(limit)
    if not worker.is_alive():
        if "error" in out and "spark" not in out:
            raise out["error"]
        return out
    while worker.is_alive():  # splink may start another job after one is cancelled
        sc.cancelJobGroup("splink")
        worker.join(5)
    print(f"splink stopped after {time.perf_counter() - t0:.0f} s", flush=True)
    return {"limit": limit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000])
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--splink-limit", type=float, default=900.0)
    parser.add_argument("--no-dedupe", action="store_true", help="scoring only")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--results", default="spark_scale", help="results file name")
    args = parser.parse_args()
    _quiet()
    load_start = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    spark = _session(args.partitions, args.driver_memory)
    lines = [
        f"`local[{CORES}]`, {args.partitions} shuffle partitions, AQE on (Spark's default); "
        f"sizes run: {', '.join(f'{n:,}' for n in args.rows)} leads (only these). Single-machine "
        "times are one run of the in-process path on the same data; Spark times include Spark's "
        "fixed cost per stage and the executors' Python.",
        "",
        "| rows | step | single machine | Spark local[2] | Spark / single | parity | "
        "P / R / F1 vs planted | collect-all ops / broadcasts in plan |",
        "|---:|---|---:|---:|---:|---|---|---|",
    ]
    rates: list[str] = []
    try:
        for n in args.rows:
            score = _scoring(spark, n)
            print(f"{n:,} scoring: {score}", flush=True)
            lines.append(
                f"| {n:,} | scoring | {score['local']:.1f} s | {score['spark']:.1f} s "
                f"(again: {score['again']:.1f} s) | "
                f"{score['spark'] / score['local']:.1f}x | {'exact' if score['parity'] else 'DIFFERS'}"
                f" | | {score['collect_all'] or 'none'} / {score['broadcasts']} |"
            )
            if args.no_dedupe:
                rates.append(
                    f"- {n:,} rows: scoring {n / score['spark'] / CORES:,.0f} rows/s per core on "
                    f"Spark, {n / score['again'] / CORES:,.0f} run again "
                    f"({n / score['local']:,.0f} rows/s in one process)"
                )
                continue
            dd, frame, truth, sdf = _dedupe(spark, n)
            print(f"{n:,} dedupe: {dd}", flush=True)
            p, r, f = dd["f1"]
            lines.append(
                f"| {n:,} | duplicates ({dd['pairs']:,} pairs, {dd['jobs']} Spark jobs, "
                f"{dd['iterations']} round(s)) | {dd['local']:.1f} s | {dd['spark']:.1f} s | "
                f"{dd['spark'] / dd['local']:.1f}x | {'exact' if dd['parity'] else 'DIFFERS'} | "
                f"{p:.4f} / {r:.4f} / {f:.4f} | {dd['collect_all'] or 'none'} / "
                f"{dd['broadcasts']} |"
            )
            rates.append(
                f"- {n:,} rows: scoring {n / score['spark'] / CORES:,.0f} rows/s per core on "
                f"Spark, {n / score['again'] / CORES:,.0f} run again "
                f"({n / score['local']:,.0f} rows/s in one process); duplicates "
                f"{n / dd['spark'] / CORES:,.0f} rows/s per core on Spark "
                f"({n / dd['local']:,.0f} rows/s in one process)"
            )
            if not args.no_splink:
                try:
                    sp = _splink_limited(spark, frame, truth, args.splink_limit)
                    print(f"{n:,} splink: {sp}", flush=True)
                    if "limit" in sp:
                        lines.append(
                            f"| {n:,} | splink 5 on Spark | | not finished in "
                            f"{sp['limit']:.0f} s (jobs cancelled) | leadqual < "
                            f"{dd['spark'] / sp['limit']:.2f}x splink's time | | | |"
                        )
                        sdf.unpersist()
                        continue
                    p, r, f = sp["f1"]
                    lines.append(
                        f"| {n:,} | splink 5 on Spark ({sp['pairs']:,} pairs; train + predict) | "
                        f"| {sp['spark']:.1f} s | leadqual {dd['spark'] / sp['spark']:.2f}x "
                        f"splink's time | | {p:.4f} / {r:.4f} / {f:.4f} | |"
                    )
                except Exception as err:  # reported, not hidden
                    text = str(err).strip().splitlines()
                    reason = f"{type(err).__name__}: {text[-1] if text else ''}"[:200]
                    print(f"{n:,} splink failed: {reason}", flush=True)
                    lines.append(f"| {n:,} | splink 5 on Spark | | failed: {reason} | | | | |")
            sdf.unpersist()
    finally:
        spark.stop()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    body = (
        "\n".join(lines)
        + "\n\nPer-core rates on Spark (2 cores):\n\n"
        + "\n".join(rates)
        + f"\n\nLoad average (1, 5, 15 min) at the start of the run: {load_start}; at the end: "
        f"{load}."
    )
    path = write_results(args.results, body)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
