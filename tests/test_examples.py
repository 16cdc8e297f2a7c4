"""Every script in examples/ runs, offline, and prints something."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))
# A Spark job pays for starting a JVM and its Python workers, which on a busy two-core machine
# takes minutes rather than seconds; every other example stays under the short limit.
SLOW = {"spark_job.py": 900}


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=SLOW.get(script.name, 120),
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip()
    if os.environ.get("CI"):
        # CI installs every extra and Java, so an example that skips its work there has lost it
        assert not result.stdout.startswith("skipped:"), result.stdout
