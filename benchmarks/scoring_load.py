"""Lead scorer fit time on a busy machine: quiet, then beside processes that keep cores busy.

Fits ``LeadScorer()`` on bank-marketing rows (5,000 sampled, and all 41,188) with the machine as it
is, then with one busy-loop process per core but one running beside it, and reports the median of
``--repeats`` fits each time, with one plain scikit-learn ``HistGradientBoostingClassifier`` fit
(OpenMP threads at their default) under the same conditions as the reference. A fit whose
native thread pools are nested or oversubscribed slows down many times over once another process
holds a core; one that is not slows down at most by the share of the machine it lost.

Run: ``.venv/bin/python benchmarks/scoring_load.py [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.preprocessing import OrdinalEncoder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median_seconds, write_results

from leadqual.scoring import LeadScorer
from scoring import load_bank


@contextmanager
def busy(processes: int) -> Iterator[None]:
    """``processes`` busy-loop processes running for the duration of the block."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def plain_matrix(X: pd.DataFrame) -> np.ndarray:
    cats = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    out = X.copy()
    out[cats] = OrdinalEncoder().fit_transform(X[cats].astype(str))
    return out.to_numpy(dtype=float)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    X, y, _ = load_bank()
    rng = np.random.default_rng(0)
    idx = np.sort(rng.choice(len(y), 5000, replace=False))
    sizes = {
        "5,000 rows": (X.iloc[idx].reset_index(drop=True), y[idx]),
        "41,188 rows": (X, y),
    }
    cores = len(os.sched_getaffinity(0))
    lines = [
        "## LeadScorer().fit, median seconds (bank-marketing attributes)",
        "",
        "| rows | machine | LeadScorer().fit | plain HistGradientBoosting fit |",
        "|---|---|---|---|",
    ]
    for load in (0, max(1, cores - 1)):
        label = "as it is" if load == 0 else f"{load} busy process(es) beside it"
        with busy(load):
            for name, (Xs, ys) in sizes.items():
                fit = median_seconds(lambda Xs=Xs, ys=ys: LeadScorer().fit(Xs, ys), args.repeats)
                Z = plain_matrix(Xs)
                ref = median_seconds(
                    lambda Z=Z, ys=ys: HistGradientBoostingClassifier(random_state=0).fit(Z, ys),
                    args.repeats,
                )
                row = f"| {name} | {label} | {fit:.2f} s | {ref:.2f} s |"
                print(row, flush=True)
                lines.append(row)
    body = "\n".join(lines)
    print(body)
    write_results("scoring_load", body)


if __name__ == "__main__":
    main()
