"""Reply intent classification on the held-out labelled replies: accuracy, per-intent P/R, latency.

The held-out set (``tests/fixtures/drafting/reply_intents_holdout.csv``, 200 hand-written replies,
two thirds wrapped in greetings, misleading signatures and quoted mail) is never used for training
or tuning; the model trains on the package's own labelled set. Run:
``.venv/bin/python benchmarks/intents.py``.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path

from _common import median_seconds, write_results
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from leadqual.drafting import INTENT_PRIORITY, ReplyClassifier

FIXTURES = Path(__file__).resolve().parents[1] / "tests/fixtures/drafting"
HOLDOUT = FIXTURES / "reply_intents_holdout.csv"
NEGATION = FIXTURES / "reply_intents_negation.tsv"


def main() -> None:
    with HOLDOUT.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    texts = [r["text"] for r in rows]
    truth = [r["intent"] for r in rows]
    labels = list(INTENT_PRIORITY)

    t0 = time.perf_counter()
    default = ReplyClassifier()
    _ = default.model
    train_s = time.perf_counter() - t0
    variants = {
        "default (rules + model)": default,
        "model only": ReplyClassifier(use_rules=False),
    }
    lines = [
        f"Held-out set: {len(rows)} replies ({Counter(truth).most_common()}), "
        f"{sum(1 for r in rows if r['wrapped'])} wrapped in signatures and/or quoted mail; subset "
        "columns give the accuracy on each kind of hard case.",
        f"Training the default model on the shipped set: {train_s:.2f} s (one run).",
        "",
        "| classifier | accuracy | macro-F1 | quoted | signature | negation | two intents |",
        "|---|---|---|---|---|---|---|",
    ]
    predictions: dict[str, list[str]] = {}
    for name, clf in variants.items():
        pred = [clf.classify(t).intent for t in texts]
        predictions[name] = pred
        quoted = [i for i, r in enumerate(rows) if "quoted" in r["wrapped"]]
        signed = [i for i, r in enumerate(rows) if "signature" in r["wrapped"]]
        negated = [i for i, r in enumerate(rows) if "negation" in r["hard"]]
        two = [i for i, r in enumerate(rows) if "two_intents" in r["hard"]]

        def subset(idx: list[int], pred: list[str] = pred) -> float:
            return sum(pred[i] == truth[i] for i in idx) / len(idx)

        lines.append(
            f"| {name} | {accuracy_score(truth, pred):.3f} | "
            f"{f1_score(truth, pred, labels=labels, average='macro'):.3f} | "
            f"{subset(quoted):.3f} (n={len(quoted)}) | {subset(signed):.3f} (n={len(signed)}) | "
            f"{subset(negated):.3f} (n={len(negated)}) | {subset(two):.3f} (n={len(two)}) |"
        )
    pred = predictions["default (rules + model)"]
    p, r, f, n = precision_recall_fscore_support(truth, pred, labels=labels, zero_division=0)
    lines += ["", "Default classifier, per intent:", "", "| intent | precision | recall | F1 | n |"]
    lines.append("|---|---|---|---|---|")
    for i, label in enumerate(labels):
        lines.append(f"| {label} | {p[i]:.3f} | {r[i]:.3f} | {f[i]:.3f} | {n[i]} |")
    confusions = Counter((t, q) for t, q in zip(truth, pred, strict=True) if t != q)
    lines += [
        "",
        "Most frequent confusions (truth -> predicted): "
        + ", ".join(f"{a} -> {b} x{k}" for (a, b), k in confusions.most_common(6)),
    ]

    with NEGATION.open(encoding="utf-8") as fh:
        neg = [line.rstrip("\n").split("\t", 1) for line in fh if line.strip()]
    neg_right = sum(default.classify(text).intent == intent for intent, text in neg)
    lines += [
        "",
        f"Second held-out set, negation-heavy (written after the first run, {len(neg)} replies, "
        f"`reply_intents_negation.tsv`): {neg_right}/{len(neg)} = {neg_right / len(neg):.3f} "
        "accuracy.",
    ]

    per_default = median_seconds(lambda: [default.classify(t) for t in texts], repeats=5)
    model_only = variants["model only"]
    per_model = median_seconds(lambda: [model_only.classify(t) for t in texts], repeats=5)
    lines += [
        "",
        f"Latency (median of 5 runs over the {len(texts)} replies): default "
        f"{per_default / len(texts) * 1e3:.2f} ms per reply; model only "
        f"{per_model / len(texts) * 1e3:.2f} ms per reply (ratio default/model "
        f"{per_default / per_model:.2f}).",
    ]
    body = "\n".join(lines)
    print(body)
    write_results("intents", body)


if __name__ == "__main__":
    main()
