"""Lead scoring benchmark: accuracy against plain scikit-learn baselines, and speed.

Reads ../shared/data/scoring/ (see its README), drops the label-leaking columns, and reports, side
by side in one run:

* 5-fold stratified CV ROC-AUC (random_state=0) and a time-ordered split (train on the oldest 80%,
  test on the newest 20%) for LeadScorer (model="auto") and two plain scikit-learn references
  (one-hot + standardised logistic regression; ordinal-encoded HistGradientBoosting), on each
  dataset, with all rows, 500 training rows and 40+40 training rows (small sizes: 10 random draws,
  scored on the rest of the data);
* fit time on 100k rows, batch throughput (rows/s), and single-lead latency p50/p99 with and
  without explanation.

Run: ``.venv/bin/python benchmarks/scoring.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, median_seconds, write_results

from leadqual.scoring import LeadScorer

DATA = SHARED_DATA / "scoring"


def load_bank() -> tuple[pd.DataFrame, np.ndarray, pd.Series | None]:
    df = pd.read_csv(DATA / "bank-marketing" / "bank-additional-full.csv", sep=";")
    y = (df.pop("y") == "yes").astype(int).to_numpy()
    df = df.drop(columns=["duration"])  # known only after the call: leaks the label
    # the file is in time order (May 2008 - Nov 2010) but carries no date column
    order = pd.Series(np.arange(len(df)), index=df.index)
    return df, y, order


def load_olist() -> tuple[pd.DataFrame, np.ndarray, pd.Series | None]:
    df = pd.read_csv(DATA / "olist-mql" / "olist_mql_labeled.csv")
    y = df.pop("won").to_numpy()
    order = pd.to_datetime(df["first_contact_date"]).rank(method="first")
    return df, y, order


def _prep_plain(df: pd.DataFrame) -> pd.DataFrame:
    """What a plain baseline gets: ids dropped, ISO dates as day numbers, everything else as is."""
    out = df.drop(
        columns=[c for c in df.columns if c.endswith("_id") and df[c].nunique() > 0.9 * len(df)]
    )
    for c in out.columns:
        if c.endswith("_date"):
            out[c] = pd.to_datetime(out[c]).astype("int64") / 86_400e9
    return out


def plain_logistic(df: pd.DataFrame) -> Any:
    cats = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    nums = [c for c in df.columns if c not in cats]
    ct = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), cats),
            (
                "num",
                make_pipeline(FunctionTransformer(lambda a: np.nan_to_num(a)), StandardScaler()),
                nums,
            ),
        ]
    )
    return make_pipeline(ct, LogisticRegression(max_iter=2000))


def plain_hgb(df: pd.DataFrame) -> Any:
    cats = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    nums = [c for c in df.columns if c not in cats]
    ct = ColumnTransformer(
        [
            (
                "cat",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=-1,
                    encoded_missing_value=-2,
                    max_categories=250,
                ),
                cats,
            ),
            ("num", "passthrough", nums),
        ]
    )
    mask = [True] * len(cats) + [False] * len(nums)
    return make_pipeline(
        ct, HistGradientBoostingClassifier(categorical_features=mask, random_state=0)
    )


def _astype_str(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].astype(object).where(out[c].notna(), "NA").astype(str)
    return out


Model = tuple[str, Callable[[pd.DataFrame], Any], bool]
TIME_COLUMN: dict[str, str | None] = {"olist-mql": "first_contact_date", "bank-marketing": None}
"""The column that orders a dataset's rows in time (None: the file is in time order)."""
_current: dict[str, str | None] = {"time_column": None}


def _time_scorer(df: pd.DataFrame) -> LeadScorer:
    # what train_from_crm uses: model choice and calibration validated forward in time
    return LeadScorer(validation="time", time_column=_current["time_column"])


MODELS: list[Model] = [
    ("LeadScorer()", lambda df: LeadScorer(), False),
    # the same without the extrapolation guard: what the guard is worth
    ('LeadScorer(extrapolation="trees")', lambda df: LeadScorer(extrapolation="trees"), False),
    ('LeadScorer(validation="time")', _time_scorer, False),
    ("sklearn LogisticRegression", plain_logistic, True),
    ("sklearn HistGradientBoosting", plain_hgb, True),
]


def fit_predict(
    name: str,
    make: Callable[[pd.DataFrame], Any],
    plain: bool,
    Xtr: pd.DataFrame,
    ytr: np.ndarray,
    Xte: pd.DataFrame,
) -> np.ndarray:
    if plain:
        Xtr, Xte = _astype_str(_prep_plain(Xtr)), _astype_str(_prep_plain(Xte))
    est = make(Xtr).fit(Xtr, ytr)
    return np.asarray(est.predict_proba(Xte))[:, 1]


def cv_auc(X: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
    skf = StratifiedKFold(5, shuffle=True, random_state=0)
    oof = {name: np.zeros(len(y)) for name, _, _ in MODELS}
    for tr, te in skf.split(X, y):
        for name, make, plain in MODELS:
            oof[name][te] = fit_predict(name, make, plain, X.iloc[tr], y[tr], X.iloc[te])
    return {name: float(roc_auc_score(y, p)) for name, p in oof.items()}


def time_auc(X: pd.DataFrame, y: np.ndarray, order: pd.Series) -> dict[str, float]:
    idx = np.argsort(order.to_numpy(), kind="stable")
    cut = int(0.8 * len(idx))
    tr, te = idx[:cut], idx[cut:]
    return {
        name: float(
            roc_auc_score(y[te], fit_predict(name, make, plain, X.iloc[tr], y[tr], X.iloc[te]))
        )
        for name, make, plain in MODELS
    }


def small_auc(
    X: pd.DataFrame, y: np.ndarray, size: str, draws: int
) -> dict[str, tuple[float, float]]:
    rng = np.random.default_rng(0)
    res: dict[str, list[float]] = {name: [] for name, _, _ in MODELS}
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    for _ in range(draws):
        if size == "40+40":
            tr = np.concatenate(
                [rng.choice(pos, 40, replace=False), rng.choice(neg, 40, replace=False)]
            )
        else:
            tr = rng.choice(len(y), 500, replace=False)
        tr = np.sort(tr)  # keep the rows in their (time) order
        rest = np.setdiff1d(np.arange(len(y)), tr)
        te = rng.choice(rest, min(len(rest), 8000), replace=False)
        for name, make, plain in MODELS:
            p = fit_predict(name, make, plain, X.iloc[tr], y[tr], X.iloc[te])
            res[name].append(float(roc_auc_score(y[te], p)))
    return {
        k: (statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0) for k, v in res.items()
    }


def held_out_split(X: pd.DataFrame, share: float = 0.2) -> NDArray[np.bool_]:
    """Rows held out for testing, chosen by distinct row: every copy of a row lands on one side."""
    key = pd.util.hash_pandas_object(X, index=False).to_numpy()
    _, group = np.unique(key, return_inverse=True)
    held: NDArray[np.bool_] = (np.random.default_rng(0).random(int(group.max()) + 1) < share)[group]
    return held


def speed(X: pd.DataFrame, y: np.ndarray, lines: list[str], repeats: int = 3) -> None:
    # 100,000 rows drawn with replacement from 80% of the distinct rows; the other 20% share no
    # row with them and measure ROC-AUC (a split that separated copies of a row would reward
    # memorising them)
    load_at_start = os.getloadavg()
    held = held_out_split(X)
    rng = np.random.default_rng(1)
    big_idx = rng.choice(np.flatnonzero(~held), 100_000, replace=True)
    Xb, yb = X.iloc[big_idx].reset_index(drop=True), y[big_idx]
    Xt, yt = X[held], y[held]
    times: dict[str, list[float]] = {"ours": [], "plain": [], "plain, one thread": []}
    scorer = plain = None
    for _ in range(repeats):  # interleaved, so a busy spell on the machine hits all three
        t0 = time.perf_counter()
        scorer = LeadScorer().fit(Xb, yb)
        times["ours"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        plain = plain_hgb(Xb).fit(_astype_str(Xb), yb)
        times["plain"].append(time.perf_counter() - t0)
        with threadpool_limits(limits=1):
            t0 = time.perf_counter()
            plain_hgb(Xb).fit(_astype_str(Xb), yb)
            times["plain, one thread"].append(time.perf_counter() - t0)
    assert scorer is not None and plain is not None
    fit_s, ref_s, ref1_s = (statistics.median(times[k]) for k in times)
    auc = float(roc_auc_score(yt, scorer.predict_proba(Xt)[:, 1]))
    auc_plain = float(roc_auc_score(yt, plain.predict_proba(_astype_str(Xt))[:, 1]))
    trees = scorer.n_trees_
    lines.append(
        f"- fit on 100,000 rows (bank, drawn with replacement from 80% of the distinct rows), "
        f"median of {repeats}: {fit_s:.1f} s (model chosen: {scorer.model_kind_}"
        f"{f', {trees} trees' if trees else ''}; validation AUC "
        f"{ {k: round(v, 4) for k, v in scorer.validation_auc_.items()} }); one plain "
        f"HistGradientBoosting fit: {ref_s:.1f} s (ratio {fit_s / ref_s:.1f}x), the same on one "
        f"thread: {ref1_s:.1f} s (ratio {fit_s / ref1_s:.1f}x); all fits "
        f"{ {k: [round(t, 1) for t in v] for k, v in times.items()} }"
    )
    lines.append(
        f"- ROC-AUC on the held-out 20% ({len(yt):,} rows, none shared with training): "
        f"LeadScorer {auc:.4f}, plain HistGradientBoosting {auc_plain:.4f}"
    )
    batch = Xb.iloc[:50_000]
    plain_batch = _astype_str(batch)
    ref = plain_logistic(_astype_str(X)).fit(_astype_str(X), y)
    # every kind fitted on the real 41,188 rows: the resampled 100k set repeats rows, so its
    # early stopping never triggers and its boosting model is an artefact of 400 trees
    kinds = {kind: LeadScorer(model=kind).fit(X, y) for kind in ("linear", "boosting", "blend")}
    # batches timed in rounds, the reference and each kind one after another in every round, so
    # that a busy spell on the shared machine hits all of them (median of the rounds)
    batch_s: dict[str, list[float]] = {"reference": [], **{k: [] for k in kinds}}
    for _ in range(7):
        batch_s["reference"].append(median_seconds(lambda: ref.predict_proba(plain_batch), 1))
        for kind, s in kinds.items():
            batch_s[kind].append(median_seconds(lambda s=s: s.predict_proba(batch), 1))
    ref_sec = statistics.median(batch_s["reference"])
    lines.append(
        f"- reference: plain scikit-learn one-hot + logistic regression pipeline, batch "
        f"{len(batch) / ref_sec:,.0f} rows/s (batches of {len(batch):,} rows, median of 7 rounds, "
        f"each round timing the reference and every kind one after another)"
    )
    for kind, s in kinds.items():
        trees = s.n_trees_
        sec = statistics.median(batch_s[kind])
        ratios = sorted(r / b for r, b in zip(batch_s["reference"], batch_s[kind], strict=True))
        records = X.iloc[:300].to_dict(orient="records")
        lat_plain: list[float] = []
        lat_expl: list[float] = []
        for _ in range(2):
            for r in records:
                t = time.perf_counter()
                s.score_record(r, explain=False)
                lat_plain.append(time.perf_counter() - t)
                t = time.perf_counter()
                s.score_record(r)
                lat_expl.append(time.perf_counter() - t)
        p50 = np.percentile(lat_plain, 50) * 1e3
        p99 = np.percentile(lat_plain, 99) * 1e3
        e50 = np.percentile(lat_expl, 50) * 1e3
        e99 = np.percentile(lat_expl, 99) * 1e3
        lines.append(
            f"- {kind}{f' ({trees} trees)' if trees else ''}: batch {len(batch) / sec:,.0f} rows/s "
            f"({ref_sec / sec:.2f}x the reference; per round {ratios[0]:.2f}x to "
            f"{ratios[-1]:.2f}x); single lead p50 {p50:.2f} ms, "
            f"p99 {p99:.2f} ms; with 5 up + 5 down factors p50 {e50:.2f} ms, p99 {e99:.2f} ms"
        )
    lines.append(
        "- load average (1, 5, 15 minutes) on the 2 cores, at the start "
        f"{', '.join(f'{v:.1f}' for v in load_at_start)} and at the end "
        f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}: other work shared the machine"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer small-sample draws, no speed runs")
    ap.add_argument("--repeats", type=int, default=3, help="fits timed on 100,000 rows")
    ap.add_argument(
        "--part",
        choices=["all", "accuracy", "speed"],
        default="all",
        help="run one part only (results go to scoring_<part>.md)",
    )
    args = ap.parse_args()
    draws = 3 if args.quick else 10
    name = "scoring" if args.part == "all" else f"scoring_{args.part}"
    if args.part == "speed":
        lines = ["## Speed (bank-marketing features)", ""]
        X, y, _ = load_bank()
        speed(X, y, lines, args.repeats)
        print("\n".join(lines))
        write_results(name, "\n".join(lines))
        return
    lines = ["## ROC-AUC (leaking columns dropped)", ""]
    lines.append("| dataset | split | " + " | ".join(n for n, _, _ in MODELS) + " |")
    lines.append("|---|---|" + "---|" * len(MODELS))
    for ds, loader in (("olist-mql", load_olist), ("bank-marketing", load_bank)):
        X, y, order = loader()
        _current["time_column"] = TIME_COLUMN[ds]
        rows: list[tuple[str, dict[str, str]]] = []
        cv = cv_auc(X, y)
        rows.append(("5-fold CV, all rows", {k: f"{v:.3f}" for k, v in cv.items()}))
        print(ds, "cv", cv, flush=True)
        if order is not None:
            ta = time_auc(X, y, order)
            rows.append(("time-ordered 80/20", {k: f"{v:.3f}" for k, v in ta.items()}))
            print(ds, "time", ta, flush=True)
        for size in ("500", "40+40"):
            sa = small_auc(X, y, size, draws)
            rows.append(
                (
                    f"{size} training rows ({draws} draws)",
                    {k: f"{m:.3f} ± {s:.3f}" for k, (m, s) in sa.items()},
                )
            )
            print(ds, size, sa, flush=True)
        for split, vals in rows:
            lines.append(f"| {ds} | {split} | " + " | ".join(vals[n] for n, _, _ in MODELS) + " |")
    if not args.quick and args.part == "all":
        lines += ["", "## Speed (bank-marketing features)", ""]
        X, y, _ = load_bank()
        speed(X, y, lines, args.repeats)
    body = "\n".join(lines)
    print(body)
    write_results(name, body)


if __name__ == "__main__":
    main()
