"""leadqual against recordlinkage and splink on the same FEBRL data, in the same run.

The tools are not dependencies of leadqual: they live in their own environment (a venv with
``recordlinkage splink duckdb``; pass its interpreter with ``--tools-python`` or the
``DEDUPE_TOOLS_PYTHON`` environment variable). This script re-runs itself under that interpreter
with ``--tool NAME`` for each tool (only pandas and the tool are imported there), and scores
every method against the same true pairs. Each method sees opaque ids, never rec_id, and times
only its matching (reading the CSV and interpreter start-up excluded).

    .venv/bin/python benchmarks/dedupe_compare.py --tools-python ../tools-venv/bin/python

Set-ups follow ../shared/data/febrl/README.md: recordlinkage 5 standard blocks + a sorted
neighbourhood, 9 comparisons, ECM; splink DuckDB, u by random sampling, m by EM, threshold 0.5.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

try:
    from leadqual.dedupe.settings import FEBRL_COLUMNS
except ImportError:  # under the tools' interpreter, which has no leadqual
    FEBRL_COLUMNS = (
        "given_name", "surname", "street_number", "address_1", "address_2", "suburb",
        "postcode", "state", "date_of_birth", "soc_sec_id",
    )  # fmt: skip

HERE = Path(__file__).resolve().parent
COLUMNS = list(FEBRL_COLUMNS)


def _opaque(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = frame[COLUMNS].copy()
    out.insert(0, "uid", range(len(frame)))
    return out


# -- the tools (run under the tools' interpreter) -------------------------------------------------


def run_recordlinkage(frame: pd.DataFrame) -> list[tuple[int, int]]:
    """recordlinkage 0.16: 5 blocks + sorted neighbourhood, 9 comparisons, ECM."""
    import recordlinkage

    df = frame.set_index("uid").replace("", None)
    indexer = recordlinkage.Index()
    for col in ("given_name", "surname", "date_of_birth", "soc_sec_id", "postcode"):
        indexer.block(col)
    indexer.sortedneighbourhood("surname", window=5)
    pairs = indexer.index(df)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85)
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85)
    compare.exact("street_number", "street_number")
    compare.string("address_1", "address_1", method="jarowinkler", threshold=0.85)
    compare.string("address_2", "address_2", method="jarowinkler", threshold=0.85)
    compare.string("suburb", "suburb", method="jarowinkler", threshold=0.85)
    compare.exact("postcode", "postcode")
    compare.exact("date_of_birth", "date_of_birth")
    compare.exact("soc_sec_id", "soc_sec_id")
    features = compare.compute(pairs, df)
    matches = recordlinkage.ECMClassifier().fit_predict(features)
    return [(int(a), int(b)) for a, b in matches]


def run_splink(frame: pd.DataFrame) -> list[tuple[int, int]]:
    """splink 5 + DuckDB: u by random sampling, m by EM, threshold 0.5 (memory capped by
    ``DEDUPE_SPLINK_MEMORY``, default 6GB)."""
    import logging

    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    logging.getLogger("splink").setLevel(logging.WARNING)
    df = frame.rename(columns={"uid": "unique_id"}).replace("", None)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("address_2", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
            cl.LevenshteinAtThresholds("postcode", [1]),
            cl.ExactMatch("state"),
            cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
        ],
        # Two-field rules: single-field rules (given_name alone) explode at a million records.
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
            block_on("date_of_birth", "postcode"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    import duckdb

    # A memory cap keeps the shared benchmark machine usable; DuckDB spills beyond it.
    limit = os.environ.get("DEDUPE_SPLINK_MEMORY", "6GB")
    db_api = DuckDBAPI(connection=duckdb.connect(config={"memory_limit": limit}))
    linker = Linker(db_api.register(df), settings, log_level=logging.WARNING)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in (block_on("given_name", "surname"), block_on("date_of_birth")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    return [(int(a), int(b)) for a, b in zip(pred["unique_id_l"], pred["unique_id_r"], strict=True)]


TOOLS = {"recordlinkage": run_recordlinkage, "splink": run_splink}


def tool_main(tool: str, input_path: Path, output_path: Path) -> None:
    """Run one tool on one file and write its pairs and time as JSON."""
    frame = _opaque(input_path)
    t0 = time.perf_counter()
    pairs = TOOLS[tool](frame)
    seconds = time.perf_counter() - t0
    output_path.write_text(json.dumps({"seconds": seconds, "pairs": pairs}), encoding="utf-8")


# -- the comparison (run under leadqual's interpreter) ---------------------------------------------


def run_leadqual(frame: pd.DataFrame) -> list[tuple[int, int]]:
    """leadqual: person_record_settings, unsupervised EM, transitive clusters."""
    from leadqual.dedupe import DuplicateDetector, person_record_settings

    records = frame.rename(columns={"uid": "rec_id"}).astype({"rec_id": str})
    out = DuplicateDetector(person_record_settings()).find_frame(records, transitive=True)
    return [(int(a), int(b)) for a, b in zip(out.left_id, out.right_id, strict=True)]


def _score(
    pairs: list[tuple[int, int]], ids: list[str], truth: set[frozenset[str]]
) -> tuple[float, float, float]:
    got = {frozenset((ids[a], ids[b])) for a, b in pairs if a != b}
    tp = len(got & truth)
    p = tp / len(got) if got else 0.0
    r = tp / len(truth) if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def compare_main(tools_python: str | None, repeats: int) -> None:
    """Run every method on febrl3 and febrl4, score, and write the results file."""
    sys.path.insert(0, str(HERE))
    from _common import SHARED_DATA, median_seconds, write_results
    from dedupe_febrl import read_truth

    febrl = SHARED_DATA / "febrl"
    tmp = Path(tempfile.mkdtemp(prefix="dedupe_compare_"))
    four = pd.concat(
        [
            pd.read_csv(febrl / f, dtype=str, keep_default_na=False)
            for f in ("febrl4a.csv", "febrl4b.csv")
        ],
        ignore_index=True,
    )
    four.to_csv(tmp / "febrl4.csv", index=False)
    sets = [
        ("febrl3", febrl / "febrl3.csv", read_truth(febrl / "febrl3_true_pairs.csv")),
        ("febrl4 (4a+4b)", tmp / "febrl4.csv", read_truth(febrl / "febrl4_true_pairs.csv")),
    ]
    lines = [
        "| data | method | pairs | precision | recall | F1 | wall (median) | leadqual speed-up |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, path, truth in sets:
        ids = pd.read_csv(path, dtype=str, keep_default_na=False)["rec_id"].tolist()
        frame = _opaque(path)
        ours = run_leadqual(frame)
        t_ours = median_seconds(lambda frame=frame: run_leadqual(frame), repeats=repeats)
        p, r, f = _score(ours, ids, truth)
        lines.append(
            f"| {name} | leadqual (blocking + EM, 1 thread) | {len(ours)} | {p:.4f} | {r:.4f} "
            f"| {f:.4f} | {t_ours:.2f} s | 1.0x |"
        )
        print(lines[-1], flush=True)
        if not tools_python:
            continue
        for tool in TOOLS:
            out = tmp / f"{tool}.json"
            times = []
            result: dict[str, object] = {}
            for _ in range(repeats):
                proc = subprocess.run(
                    [
                        tools_python,
                        __file__,
                        "--tool",
                        tool,
                        "--input",
                        str(path),
                        "--output",
                        str(out),
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=1800,
                )
                if proc.returncode != 0:
                    print(f"{tool} failed: {proc.stderr[-2000:]}", file=sys.stderr)
                    break
                result = json.loads(out.read_text(encoding="utf-8"))
                times.append(float(result["seconds"]))  # type: ignore[arg-type]
            if not times:
                continue
            pairs = [tuple(x) for x in result["pairs"]]  # type: ignore[attr-defined]
            tp, tr, tf = _score(pairs, ids, truth)  # type: ignore[arg-type]
            t_tool = sorted(times)[len(times) // 2]
            lines.append(
                f"| {name} | {tool} | {len(pairs)} | {tp:.4f} | {tr:.4f} | {tf:.4f} | "
                f"{t_tool:.2f} s | {t_tool / t_ours:.1f}x |"
            )
            print(lines[-1], flush=True)
    body = (
        "Same machine, same run, same data; every method sees opaque ids. Times are matching "
        "only (median of the runs); the tools run in their own environment "
        f"({'a separate virtual environment' if tools_python else 'not available'}).\n\n"
        + "\n".join(lines)
    )
    print(f"wrote {write_results('dedupe_compare', body)}")


def main() -> None:
    """Parse arguments: compare mode, or one tool run (used internally)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tools-python", default=os.environ.get("DEDUPE_TOOLS_PYTHON"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tool", choices=sorted(TOOLS))
    parser.add_argument("--input", type=Path)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    if args.tool:
        tool_main(args.tool, args.input, args.output)
    else:
        compare_main(args.tools_python, args.repeats)


if __name__ == "__main__":
    main()
