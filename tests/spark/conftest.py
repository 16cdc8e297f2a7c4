"""One local Spark session for every Spark test (starting one costs seconds).

Without pyspark or Java the Spark tests skip, except in CI (``CI`` set), where they fail: CI
installs both (``.ci/run``), so a missing one is a broken build, not a reason to skip.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest


def _unavailable() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'leadqual[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (Java 17+) for Spark"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    why = _unavailable()
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Spark tests: {why}")
        pytest.skip(why)
    from pyspark.sql import SparkSession

    # the executors' Python is this one, where leadqual is installed
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    session = (
        SparkSession.builder.master("local[2]")
        .appName("leadqual-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
