"""A leadqual batch job on Apache Spark: qualify a DataFrame of leads (email check, ICP fit,
hand-raiser segment, rating), write the insights table as Parquet and read it back.

Runs on a local one-core session over twelve sample leads, offline. On a cluster, read the
leads from a table (``spark.read.table("crm.leads")``) and write to the lake instead; see
docs/spark.md. Needs ``pip install 'leadqual[spark]'`` and Java 17+; without them it says
so and stops. ``--duplicates`` also runs the duplicate detection on Spark (slower: a minute
on a small machine, mostly Spark's fixed cost per stage).
"""

from __future__ import annotations

import builtins
import os
import shutil
import sys
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from leadqual.sources import load_sample_config, load_sample_data

NOW = datetime(2025, 10, 1, tzinfo=UTC)


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install 'leadqual[spark]'"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Spark needs a Java runtime (17 or newer)"
    return None


def _leads(n: int) -> pd.DataFrame:
    """Sample leads as a table whose columns are named as the Lead model's fields."""
    rows = []
    for lead in load_sample_data().crm.leads[:n]:
        rows.append(
            {
                "id": lead.id,
                "created_at": lead.created_at,
                "first_name": lead.first_name,
                "last_name": lead.last_name,
                "email": lead.email,
                "company_name": lead.company_name,
                "industry": lead.industry,
                "employee_count": lead.employee_count,
                "job_title": lead.job_title,
                "lead_source": lead.lead_source,
                "phones": [p.number for p in lead.phones],
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    why = _spark_missing()
    if why is not None:
        print(f"skipped: {why}")
        return
    # pyspark 4 warns about pandas 3 (support not yet complete, a deprecated ``copy`` keyword);
    # its Arrow paths used here work with it, so the job keeps those two warnings out of its
    # output, on the driver and on the executors
    quiet = [
        ("PySpark does not yet fully support pandas", "FutureWarning"),
        ("The copy keyword is deprecated", "Warning"),
    ]
    for message, category in quiet:
        warnings.filterwarnings("ignore", message=message, category=getattr(builtins, category))
    os.environ["PYTHONWARNINGS"] = ",".join(
        [os.environ.get("PYTHONWARNINGS", ""), *(f"ignore:{m}:{c}" for m, c in quiet)]
    ).strip(",")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors use this Python

    from pyspark.sql import SparkSession

    from leadqual.spark import find_duplicates, qualify_leads, write_insights

    spark = (
        SparkSession.builder.master("local[1]")
        .appName("leadqual-example")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        leads = spark.createDataFrame(_leads(12))
        # the executors are this Python here; on a cluster keep the versions check (default)
        insights = qualify_leads(leads, load_sample_config(), now=NOW, check_versions=False)
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "insights")
            write_insights(insights, path)  # table_format="delta" on Databricks / Fabric
            table = spark.read.parquet(path).orderBy("lead_id").collect()
        print(f"{len(table)} leads qualified on Spark; insights written as Parquet:")
        for row in table:
            print(
                f"  {row.lead_id}  email {row.email_status or '-':<14} ICP {row.icp_tier or '-':<10} "
                f"rating {row.rating or '-':<5} {'' if row.error is None else row.error}"
            )
        if "--duplicates" in sys.argv[1:]:
            found = find_duplicates(leads.drop("created_at").cache())
            print(f"duplicates: {found.report}")
            found.pairs.show(truncate=False)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
