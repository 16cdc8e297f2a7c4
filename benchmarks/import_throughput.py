"""Import throughput of CRM exports: the columnar import into the lead table and the import
into ``Lead`` records, against ``pandas.read_csv`` of the same file in the same run; peak memory
when streaming; and ``leadqual process`` over the export without research.

Generates a Dynamics-365-shaped CSV export (16 columns: id, names, company, email, title, lead
source, status, US-format creation dates, phone, city, country, employees, revenue, industry,
owner), then times, per size: ``pandas.read_csv`` (default type inference), the columnar import
(``iter_lead_batches`` batch by batch, only each batch's lead table used: every row read and
reported, no ``Lead`` made) and the record import (the same batches, each batch's ``records``
made from its table). Smaller sizes take the median of ``--repeats`` runs; the largest runs
once. Peak memory is the peak resident set of a fresh process (pyarrow's buffers are outside
tracemalloc's view): the streamed columnar import at two file sizes, against ``read_csv`` of the
larger file. ``leadqual process`` runs as its own process at ``--process-rows`` sizes with the
sample configuration (no research providers, email checked offline), against ``read_csv`` of
the same file.

Run: ``.venv/bin/python benchmarks/import_throughput.py [--rows 1000000] [--repeats 3]
[--process-rows 10000,20000]``
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from _common import median_seconds, write_results

from leadqual.sources import load_sample_config
from leadqual.sources.tabular import iter_lead_batches

FIRST = ["Ada", "Alan", "Grace", "Linus", "Margaret", "Tim", "Barbara", "Ken", "Radia", "Hedy"]
LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Liskov", "Thompson", "Lamarr"]
TITLES = ["CTO", "Head of IT", "Procurement Manager", "CEO", "Engineer", "Operations Lead"]
SOURCES = ["Web", "Trade Show", "Partner", "Advertisement", "Employee Referral"]
STATUS = ["New", "Contacted", "Qualified", "Lost", "Cannot Contact"]
CITIES = [
    ("Redmond", "United States"),
    ("Berlin", "Germany"),
    ("Lyon", "France"),
    ("Madrid", "Spain"),
]
INDUSTRIES = ["Software", "Manufacturing", "Retail", "Financial Services", "Healthcare"]
HEADER = [
    "(Do Not Modify) Lead", "First Name", "Last Name", "Company Name", "Email", "Job Title",
    "Lead Source", "Status Reason", "Created On", "Business Phone", "City", "Country/Region",
    "No. of Employees", "Annual Revenue", "Industry", "Owner",
]  # fmt: skip


def generate(path: Path, rows: int, seed: int = 5) -> Path:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = f"Company {i % 5003}"
            city, country = rng.choice(CITIES)
            month, day, hour = rng.randint(1, 12), rng.randint(1, 28), rng.randint(1, 12)
            out.writerow(
                [f"{i:08d}-0b1d-ef11-8409-000d3a5b1c01", first, last, company,
                 f"{first.lower()}.{last.lower()}{i}@company{i % 5003}.example", rng.choice(TITLES),
                 rng.choice(SOURCES), rng.choice(STATUS),
                 f"{month}/{day}/2025 {hour}:{rng.randint(0, 59):02d} {rng.choice(['AM', 'PM'])}",
                 f"+1 425 555 {rng.randint(0, 9999):04d}", city, country,
                 str(rng.choice([12, 250, 1200, 5000])), f"{rng.randint(1, 900) * 10000}",
                 rng.choice(INDUSTRIES), f"Seller {i % 40}"]
            )  # fmt: skip
    return path


def stream(path: Path, chunk_rows: int = 50_000) -> int:
    """The record import: each batch's leads made (from its table)."""
    return sum(len(batch.records) for batch in iter_lead_batches(path, chunk_rows=chunk_rows))


def stream_table(path: Path, chunk_rows: int = 50_000) -> int:
    """The columnar import: each batch's lead table, no ``Lead`` made."""
    total = 0
    for batch in iter_lead_batches(path, chunk_rows=chunk_rows):
        assert batch.table is not None
        total += len(batch.table)
    return total


def peak_rss(*argv: str) -> tuple[float, int]:
    """Wall seconds and peak resident set (bytes) of a fresh process running this script with
    ``argv`` (it reports its own high-water mark, ``VmHWM``: what a forked parent held before
    ``exec`` is not counted, as it would be in ``ru_maxrss``)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", *argv], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{argv} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, int(done.stdout.strip().splitlines()[-1])


def peak_streaming(path: Path) -> int:
    """Peak resident set of a fresh process streaming the columnar import of ``path`` in
    batches of 10,000 rows."""
    return peak_rss("stream", str(path))[1]


def peak_read_csv(path: Path) -> int:
    return peak_rss("read_csv", str(path))[1]


def child(task: str, path: Path, *rest: str) -> int:
    if task == "stream":
        stream_table(path, chunk_rows=10_000)
    elif task == "read_csv":
        pd.read_csv(path)
    elif task == "process":
        from leadqual.cli import app

        config, out = rest
        app(
            ["process", str(path), "--config", config, "--quiet", "--csv", out,
             "--now", "2026-01-01T00:00:00Z"],
            standalone_mode=False,
        )  # fmt: skip
    # "imports": the interpreter with pandas, pyarrow and leadqual loaded, nothing read
    with open("/proc/self/status", encoding="ascii") as fh:
        peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    print(peak * 1024)
    return 0


def process_run(path: Path, config: Path, out: Path) -> tuple[float, int]:
    """Wall seconds and peak memory of ``leadqual process`` over ``path`` (its command line
    run in a fresh process)."""
    return peak_rss("process", str(path), str(config), str(out))


def where_time_goes(path: Path) -> list[tuple[str, float]]:
    """Shares of the columnar import's time, from cProfile's cumulative times."""
    profile = cProfile.Profile()
    profile.enable()
    stream_table(path)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = max(v[3] for v in stats.values())

    def own(module: str, *names: str) -> Any:
        return lambda f, n: f.endswith(module) and n in names

    parts = {
        "the file's cells as text (pyarrow's CSV reader, UTF-8 check)": own(
            "_files.py", "_csv_chunks"
        ),
        "text cells (controls removed, stripped)": own("_cells.py", "text_column"),
        "dates (common shapes by Arrow's strptime, the rest by the format chain)": own(
            "_cells.py", "date_column"
        ),
        "amounts, counts, phone numbers (once per distinct cell)": own("_cells.py", "per_distinct"),
        "countries of phone numbers (once per distinct cell)": own("tabular.py", "_region_codes"),
        "statuses and lead sources (per distinct value)": lambda f, n: (
            f.endswith("tabular.py") and n in ("_statuses", "_looked_up")
        ),
        "ids (made, repeats found)": own("tabular.py", "_id_column"),
        "assembling the typed table": own("tabular.py", "_assemble"),
    }
    return [
        (label, sum(v[3] for (f, _, n), v in stats.items() if match(f, n)) / total)
        for label, match in parts.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--process-rows", default="10000,20000")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child[0], Path(args.child[1]), *args.child[2:])
    sizes = sorted({min(10_000, args.rows), min(100_000, args.rows), args.rows})
    tmp = Path(tempfile.mkdtemp())
    lines = [
        "| rows | file MB | read_csv s | columnar s | rows/s | ratio | records s | rows/s | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    loads = []
    for rows in sizes:
        path = generate(tmp / f"leads_{rows}.csv", rows)
        repeats = args.repeats if rows < args.rows or rows <= 100_000 else 1
        base = median_seconds(lambda p=path: pd.read_csv(p), repeats=repeats, warmup=1)  # type: ignore[misc]
        table = median_seconds(lambda p=path: stream_table(p), repeats=repeats, warmup=1)  # type: ignore[misc]
        records = median_seconds(lambda p=path: stream(p), repeats=repeats, warmup=0)  # type: ignore[misc]
        loads.append(os.getloadavg()[0])
        mb = path.stat().st_size / 1e6
        lines.append(
            f"| {rows:,} | {mb:.1f} | {base:.2f} | {table:.2f} | {rows / table:,.0f} | "
            f"{table / base:.1f}x | {records:.2f} | {rows / records:,.0f} | {records / base:.1f}x |"
        )
        print(lines[-1], flush=True)
        if rows != args.rows:
            path.unlink()
    large = tmp / f"leads_{args.rows}.csv"
    small = generate(tmp / "peak_small.csv", max(1, args.rows // 10))
    idle = peak_rss("imports", str(small))[1]
    p_small, p_large = peak_streaming(small), peak_streaming(large)
    p_csv = peak_read_csv(large)
    memory = (
        f"| nothing read (pandas, pyarrow, leadqual loaded) | | {idle / 1e6:.0f} |\n"
        f"| columnar import, {args.rows // 10:,} rows | {small.stat().st_size / 1e6:.1f} | "
        f"{p_small / 1e6:.0f} |\n"
        f"| columnar import, {args.rows:,} rows | {large.stat().st_size / 1e6:.1f} | "
        f"{p_large / 1e6:.0f} |\n"
        f"| `pandas.read_csv`, {args.rows:,} rows | {large.stat().st_size / 1e6:.1f} | "
        f"{p_csv / 1e6:.0f} |"
    )
    print(memory, flush=True)
    loads.append(os.getloadavg()[0])
    profile_rows = "\n".join(
        f"| {label} | {share:.0%} |" for label, share in where_time_goes(small)
    )
    print(profile_rows, flush=True)
    config = tmp / "agent.yaml"
    config.write_text(load_sample_config().to_yaml(), encoding="utf-8")
    process_lines = [
        "| rows | read_csv s | process s | rows/s | ratio | peak MB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for rows in [int(r) for r in args.process_rows.split(",") if r]:
        path = generate(tmp / f"process_{rows}.csv", rows)
        base = median_seconds(lambda p=path: pd.read_csv(p), repeats=3, warmup=1)  # type: ignore[misc]
        seconds, peak = process_run(path, config, tmp / "ranked.csv")
        loads.append(os.getloadavg()[0])
        process_lines.append(
            f"| {rows:,} | {base:.3f} | {seconds:.1f} | {rows / seconds:,.0f} | "
            f"{seconds / base:,.0f}x | {peak / 1e6:,.0f} |"
        )
        print(process_lines[-1], flush=True)
        path.unlink()
    body = f"""Import of a generated Dynamics-365-shaped CSV export (16 columns; US dates with AM/PM,
phone numbers, counts, amounts, statuses) with the row report, against `pandas.read_csv` of the
same file (default type inference) in the same run, all streamed in batches of 50,000 rows.
"Columnar" is the lead table of each batch (`iter_lead_batches(...).table`, what
`read_lead_table` joins), no `Lead` made; "records" also makes each batch's `Lead` records from
its table. Median of {args.repeats} runs below {args.rows:,} rows, one run at {args.rows:,}.
Load average (1 min) during the run: {", ".join(f"{x:.1f}" for x in loads)} on
{os.cpu_count()} cores (the machine is shared with other jobs): compare ratios within a run.

{chr(10).join(lines)}

Target: within 3x of `read_csv`.

Peak memory: the peak resident set of a fresh process, streaming the columnar import in
batches of 10,000 rows, against `pandas.read_csv` of the whole large file:

| process | file MB | peak MB |
|---|---:|---:|
{memory}

Where the columnar import's time goes (cProfile, {args.rows // 10:,} rows; cumulative shares):

| part | share |
|---|---:|
{profile_rows}

`leadqual process FILE --config agent.yaml --csv out.csv` over the same export, as its own
process (the sample configuration: no research providers, email addresses checked offline),
against `pandas.read_csv` of the same file:

{chr(10).join(process_lines)}
"""
    print(write_results("import_throughput", body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
