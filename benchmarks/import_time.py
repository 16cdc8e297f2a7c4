"""What importing leadqual costs: the package, a component, and the ``leadqual version`` command.

Each figure is the median of ``--repeats`` fresh interpreters, measured with ``python -X importtime``
(the cumulative microseconds of the top-level import), beside ``import pydantic`` measured the same
way in the same run: the target is the package import within pydantic's cost plus 50 ms.
``leadqual version`` is timed as a whole process, beside ``python -c pass``, and the modules it
loads are checked for pandas and scikit-learn.

Run: ``.venv/bin/python benchmarks/import_time.py [--repeats 9]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_results

IMPORTS = ["pydantic", "leadqual", "leadqual.email", "leadqual.icp", "leadqual.scoring"]


def import_ms(module: str) -> float:
    """Cumulative import time of ``module`` in a fresh interpreter, in milliseconds."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    for line in reversed(err.splitlines()):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1000
    raise RuntimeError(f"no import time for {module}")


def process_ms(code: str) -> float:
    """Wall time of a fresh interpreter running ``code``, in milliseconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    """Measure, print and write ``benchmarks/results/import_time.md``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    imports = {m: statistics.median(import_ms(m) for _ in range(args.repeats)) for m in IMPORTS}
    version = "from leadqual.cli import main; main(['version'])"
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, io, contextlib\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    from leadqual.cli import main; main(['version'])\n"
            "print(' '.join(sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    heavy = sorted({"pandas", "sklearn", "numpy", "scipy"} & set(loaded))
    bare = statistics.median(process_ms("pass") for _ in range(args.repeats))
    command = statistics.median(process_ms(version) for _ in range(args.repeats))
    budget = imports["pydantic"] + 50
    rows = [
        "| import | median ms | ratio to pydantic |",
        "|---|---|---|",
        *(f"| `{m}` | {ms:.1f} | {ms / imports['pydantic']:.2f} |" for m, ms in imports.items()),
    ]
    body = "\n".join(
        [
            f"Median of {args.repeats} fresh interpreters each (`python -X importtime`).",
            "",
            *rows,
            "",
            f"`import leadqual`: {imports['leadqual']:.1f} ms against a budget of "
            f"{budget:.1f} ms (pydantic + 50 ms): "
            f"{'within' if imports['leadqual'] <= budget else 'OVER'} budget.",
            "",
            f"`leadqual version` as a process: {command:.0f} ms (a bare interpreter: {bare:.0f} ms); "
            f"heavy modules it loads: {', '.join(heavy) or 'none'}.",
        ]
    )
    print(body)
    print(f"\nwrote {write_results('import_time', body)}")


if __name__ == "__main__":
    main()
