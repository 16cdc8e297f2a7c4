"""Duplicate detection at scale: a million FEBRL-style records, a million leads, and the
single-lead incremental check against them.

    .venv/bin/python benchmarks/dedupe_scale.py [--records 1000000] [--leads 1000000]
        [--tools-python /path/to/venv-with-splink/bin/python] [--tools-timeout 1200]

1. FEBRL-style person records from :func:`leadqual.dedupe.synthetic.synthetic_person_records`
   on two generators (``febrl``: typos, blanked fields, swapped names, digit changes, 0-5
   duplicates per person; ``household``: people sharing addresses and surnames, 0-9 duplicates,
   heavy blanking with placeholders, larger blocks, skewed surnames), written to CSV and
   deduplicated through the contract command ``dedupe_febrl.py`` in a child process (all
   cores): wall time, peak memory (the sum of the proportional set size of the child and its
   worker processes, sampled), cores used (CPU time / wall), precision / recall / F1. With
   ``--tools-python``, splink runs on the same CSV in the same run, stopped after
   ``--tools-timeout`` seconds (reported as not finished). Load averages are printed before
   and after each method.
2. Leads with the seeds' four duplicate kinds and look-alikes
   (:func:`leadqual.dedupe.synthetic.synthetic_leads`), deduplicated in batch with the default
   rules in a child process: wall time, peak memory, F1, look-alikes flagged.
3. The incremental check: the leads indexed, then 1,000 new leads checked one at a time:
   index build time, p50 and p99 latency per check.

The data is generated here, never read from the test fixtures; nothing is tuned on it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _tree_pss_mb(pid: int) -> float:
    """Proportional set size of a process and its descendants, in MB (shared pages counted
    once across them)."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total / 1024


class TimedOut(RuntimeError):
    """A child ran past its time limit and was stopped."""


def _load() -> str:
    """The machine's load averages (1, 5, 15 minutes) as printed by uptime."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _run_measured(
    args: list[str], timeout: float | None = None
) -> tuple[float, float, float, str, str]:
    """Run a child: (wall seconds, peak memory MB of it and its workers, cores used, stdout,
    stderr). Past ``timeout`` seconds the child and its process group are killed and
    :class:`TimedOut` is raised."""
    import signal
    import threading

    t0 = time.perf_counter()
    peak = [0.0]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        # its own process group (not its own session, which would change its share of the CPU)
        proc = subprocess.Popen(args, stdout=out, stderr=err, text=True, process_group=0)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer is not None:
            timer.start()
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_pss_mb(proc.pid))
                done.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        if timer is not None:
            timer.cancel()
        if killed.is_set():
            raise TimedOut(f"stopped after {wall:.0f} s (time limit {timeout:.0f} s)")
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed:\n{stderr[-3000:]}")
    cores = (usage.ru_utime + usage.ru_stime) / wall
    # The sampler can miss a short peak: never report less than the largest single process.
    return wall, max(peak[0], usage.ru_maxrss / 1024), cores, stdout, stderr


def _f1(found: set[frozenset[str]], truth: set[frozenset[str]]) -> tuple[float, float, float]:
    tp = len(found & truth)
    p = tp / len(found) if found else 0.0
    r = tp / len(truth) if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# -- part 1: FEBRL-style records ---------------------------------------------------------------


_RECORDS_PER_ENTITY = {"febrl": 1.8, "household": 3.3}
"""Records per person on average, so both generators give about the requested records."""


def febrl_part(
    n_records: int, tools_python: str | None, tmp: Path, profile: str, tools_timeout: float
) -> list[str]:
    from leadqual.dedupe.synthetic import synthetic_person_records, true_pairs

    n_entities = max(10, int(n_records / _RECORDS_PER_ENTITY[profile]))
    records, entity = synthetic_person_records(
        n_entities,
        seed=2026,
        profile="household" if profile == "household" else "febrl",
    )
    csv_path = tmp / "records.csv"
    records.to_csv(csv_path, index=False)
    truth = true_pairs(records["rec_id"], entity)
    lines = [
        f"### `{profile}` generator: {len(records):,} records ({n_entities:,} people, "
        f"{len(truth):,} true pairs)\n",
        "| method | wall | peak memory | cores used | pairs | precision | recall | F1 | load before / after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    out_path = tmp / "pairs.csv"
    load_before = _load()
    wall, rss, cores, stdout, _ = _run_measured(
        [sys.executable, str(HERE / "dedupe_febrl.py"), "--input", str(csv_path), "--output",
         str(out_path)]
    )  # fmt: skip
    found_frame = pd.read_csv(out_path, dtype=str)
    found = {frozenset(p) for p in zip(found_frame.left_id, found_frame.right_id, strict=True)}
    p, r, f = _f1(found, truth)
    lines.append(
        f"| leadqual `dedupe_febrl.py` (all cores; read CSV + match + write) | {wall:.1f} s | "
        f"{rss:,.0f} MB | {cores:.2f} | {len(found):,} | {p:.4f} | {r:.4f} | {f:.4f} | "
        f"{load_before} / {_load()} |"
    )
    print(lines[-1], "\n   ", stdout.strip(), flush=True)
    ours_wall = wall
    if tools_python:
        json_path = tmp / "splink.json"
        load_before = _load()
        try:
            wall, rss, cores, _, _ = _run_measured(
                [
                    tools_python,
                    str(HERE / "dedupe_compare.py"),
                    "--tool",
                    "splink",
                    "--input",
                    str(csv_path),
                    "--output",
                    str(json_path),
                ],
                timeout=tools_timeout,
            )
            result = json.loads(json_path.read_text(encoding="utf-8"))
            ids = records["rec_id"].tolist()
            found = {frozenset((ids[a], ids[b])) for a, b in result["pairs"]}
            p, r, f = _f1(found, truth)
            lines.append(
                f"| splink 5 + DuckDB (all threads; read CSV + train + predict) | {wall:.1f} s | "
                f"{rss:,.0f} MB | {cores:.2f} | {len(found):,} | {p:.4f} | {r:.4f} | {f:.4f} | "
                f"{load_before} / {_load()} |"
            )
            lines.append(f"\nleadqual is {wall / ours_wall:.2f}x as fast as splink here.")
        except TimedOut as err:
            lines.append(
                f"| splink 5 + DuckDB | did not finish: {err} | | | | | | | "
                f"{load_before} / {_load()} |"
            )
            lines.append(
                f"\nsplink did not finish within {tools_timeout:.0f} s, so leadqual is at least "
                f"{tools_timeout / ours_wall:.2f}x as fast as splink here."
            )
        except RuntimeError as err:
            lines.append(f"| splink | failed: {str(err).splitlines()[-1][:120]} | | | | | | | |")
        print(lines[-1], flush=True)
    return lines


# -- part 2 and 3: leads ------------------------------------------------------------------------


def leads_child(n_leads: int, checks: int) -> None:
    """Child process: batch dedupe of synthetic leads, then the incremental check."""
    from leadqual.dedupe import DuplicateDetector
    from leadqual.dedupe.synthetic import synthetic_leads

    t0 = time.perf_counter()
    frame, planted, look_alikes = synthetic_leads(n_leads, seed=2026)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    found_frame = DuplicateDetector().find_frame(frame)
    t_batch = time.perf_counter() - t0
    found = {frozenset(p) for p in zip(found_frame.left_id, found_frame.right_id, strict=True)}
    truth = {frozenset(p[1:]) for p in planted}
    p, r, f = _f1(found, truth)
    flagged = sum(1 for a, b in look_alikes if frozenset((a, b)) in found)
    # Incremental: index everything except the second record of some planted pairs, then check
    # those one at a time, as if each were being created now.
    rng = np.random.default_rng(7)
    probe_ids = {
        planted[i][2]
        for i in rng.choice(len(planted), size=min(checks, len(planted)), replace=False)
    }
    indexed = frame[~frame["id"].isin(probe_ids)]
    probes = frame[frame["id"].isin(probe_ids)].to_dict("records")
    det = DuplicateDetector()
    t0 = time.perf_counter()
    index = det.index(indexed)
    t_index = time.perf_counter() - t0
    latencies = []
    hits = 0
    expected = {p[2]: p[1] for p in planted}
    for rec in probes:
        t1 = time.perf_counter()
        pairs = index.find(rec)
        latencies.append(time.perf_counter() - t1)
        hits += any(pr.left_id == expected[rec["id"]] for pr in pairs)
    lat = np.array(latencies) * 1000
    print(
        json.dumps(
            {
                "leads": len(frame),
                "planted": len(truth),
                "gen_s": t_gen,
                "batch_s": t_batch,
                "pairs": len(found),
                "precision": p,
                "recall": r,
                "f1": f,
                "look_alikes": len(look_alikes),
                "look_alikes_flagged": flagged,
                "index_s": t_index,
                "indexed": len(indexed),
                "checks": len(probes),
                "check_hits": hits,
                "p50_ms": float(np.percentile(lat, 50)),
                "p99_ms": float(np.percentile(lat, 99)),
            }
        )
    )


def leads_part(n_leads: int, checks: int) -> list[str]:
    wall, rss, _, stdout, _ = _run_measured(
        [
            sys.executable,
            __file__,
            "--part",
            "leads",
            "--leads",
            str(n_leads),
            "--checks",
            str(checks),
        ]
    )
    d = json.loads(stdout.strip().splitlines()[-1])
    lines = [
        f"### {d['leads']:,} synthetic leads ({d['planted']:,} planted duplicates of the seeds' four "
        f"kinds, {d['look_alikes']:,} look-alikes)\n",
        "| measure | value |",
        "|---|---|",
        f"| batch dedupe, default rules (1 thread) | {d['batch_s']:.1f} s |",
        f"| precision / recall / F1 on planted pairs | {d['precision']:.4f} / {d['recall']:.4f} / "
        f"{d['f1']:.4f} |",
        f"| look-alikes flagged | {d['look_alikes_flagged']} of {d['look_alikes']} |",
        f"| peak memory of the child (generation + batch + index) | {rss:,.0f} MB |",
        f"| index build over {d['indexed']:,} leads | {d['index_s']:.1f} s |",
        f"| single-lead check, p50 / p99 ({d['checks']:,} checks) | {d['p50_ms']:.2f} ms / "
        f"{d['p99_ms']:.2f} ms |",
        f"| checks that found their planted original | {d['check_hits']} of {d['checks']} |",
        f"| child wall time (all of the above + data generation {d['gen_s']:.1f} s) | {wall:.1f} s |",
    ]
    print("\n".join(lines), flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--tools-python", default=os.environ.get("DEDUPE_TOOLS_PYTHON"))
    parser.add_argument("--part", choices=["all", "febrl", "leads"], default="all")
    parser.add_argument(
        "--tools-timeout", type=float, default=1200.0, help="seconds splink may run per generator"
    )
    parser.add_argument(
        "--profiles", default="febrl,household", help="generators for part 1, comma-separated"
    )
    args = parser.parse_args()
    if args.part == "leads" and os.environ.get("_DEDUPE_SCALE_CHILD"):
        leads_child(args.leads, args.checks)
        return
    from _common import write_results

    lines: list[str] = []
    start_load = _load()
    with tempfile.TemporaryDirectory(prefix="dedupe_scale_") as tmp:
        if args.part in ("all", "febrl") and args.records:
            for profile in args.profiles.split(","):
                lines += febrl_part(
                    args.records, args.tools_python, Path(tmp), profile, args.tools_timeout
                )
                lines.append("")
        if args.part in ("all", "leads") and args.leads:
            os.environ["_DEDUPE_SCALE_CHILD"] = "1"
            lines += leads_part(args.leads, args.checks)
    body = (
        "Synthetic data generated in the run (seeded); every time is one run on a shared "
        "2-core machine, so compare within a run. Load average (1, 5, 15 min) at the start of "
        f"the run {start_load}, at the end {_load()}; each row gives it before and after its "
        "method ran. Cores used is CPU time / wall of the child and its workers.\n\n"
        + "\n".join(lines)
    )
    print(f"wrote {write_results('dedupe_scale', body)}")


if __name__ == "__main__":
    main()
