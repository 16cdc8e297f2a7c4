"""The model report: how well a scorer ranks, how calibrated it is, how its grades convert.

:func:`evaluate` measures a scorer honestly: every figure comes from leads the model under test did
not see (stratified cross-validation, and a time-ordered split that trains on older leads and tests
on newer ones when closing dates are given). The result is a :class:`ModelReport` (a pydantic
model) rendered with :meth:`ModelReport.to_markdown` or, with plots, :meth:`ModelReport.to_html`.

Example:
    >>> import pandas as pd
    >>> from leadqual.scoring import LeadScorer
    >>> X = pd.DataFrame({"source": ["web", "ad", "event", "web"] * 30, "size": list(range(120))})
    >>> y = [1, 0, 1, 1] * 30
    >>> report = evaluate(LeadScorer(), X, y)
    >>> report.cv.roc_auc > 0.9
    True
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ConfigDict, Field
from sklearn.base import clone
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold

from leadqual._base import LeadqualModel
from leadqual._html import block, details, grid, paragraph
from leadqual._progress import Progress, Steps, check_progress, restored_on_error
from leadqual.errors import InsufficientTrainingData
from leadqual.scoring.features import FeatureDecision, as_frame
from leadqual.scoring.grading import GradeScheme
from leadqual.scoring.scorer import LeadScorer
from leadqual.scoring.training import LeakageFinding

__all__ = [
    "CalibrationBin",
    "GradeRow",
    "Importance",
    "Metrics",
    "ModelReport",
    "evaluate",
]


class Metrics(LeadqualModel):
    """Ranking and calibration figures on held-out leads."""

    model_config = ConfigDict(frozen=True)

    roc_auc: float
    """Chance that a random qualified lead outscores a random disqualified one (0.5: a coin)."""
    roc_auc_std: float | None = None
    """Standard deviation across folds."""
    pr_auc: float
    """Average precision: area under the precision-recall curve (base rate: no skill)."""
    brier: float
    """Mean squared error of the probabilities (lower is better; 0.25 for a constant 50%)."""
    rows: int
    folds: int | None = None
    split: str
    """How the held-out leads were chosen."""


class GradeRow(LeadqualModel):
    """One grade: how many held-out leads got it, and how many of those qualified."""

    model_config = ConfigDict(frozen=True)

    grade: str
    min_score: float
    leads: int
    share: float
    conversion_rate: float | None
    """Share of the grade's leads that qualified (``None`` when the grade is empty)."""


class Importance(LeadqualModel):
    """How much one attribute moves scores: the mean absolute effect (log-odds) over training leads."""

    model_config = ConfigDict(frozen=True)

    column: str
    importance: float


class CalibrationBin(LeadqualModel):
    """Predicted against observed qualification rate in one score band."""

    model_config = ConfigDict(frozen=True)

    predicted: float
    observed: float
    leads: int


class ModelReport(LeadqualModel):
    """What a model is worth, measured on leads it did not see."""

    model_config = ConfigDict(frozen=True)

    model: str
    """The chosen model kind (``linear``, ``boosting``, ``blend`` or ``custom``)."""
    line_of_business: str | None = None
    trained_at: datetime | None = None
    rows: int
    qualified: int
    disqualified: int
    cv: Metrics
    time_ordered: Metrics | None = None
    validation_auc: dict[str, float] = Field(default_factory=dict)
    """Out-of-fold ROC-AUC of each candidate model the scorer compared when fitting."""
    grades: tuple[GradeRow, ...] = ()
    importances: tuple[Importance, ...] = ()
    features: tuple[FeatureDecision, ...] = ()
    leakage: tuple[LeakageFinding, ...] = ()
    calibration: tuple[CalibrationBin, ...] = ()
    roc_points: tuple[tuple[float, float], ...] = ()
    """(false-positive rate, true-positive rate) of the cross-validated ROC curve, for plots."""

    @property
    def headline(self) -> str:
        """One line: the figures a person looks at first."""
        std = f" ± {self.cv.roc_auc_std:.3f}" if self.cv.roc_auc_std is not None else ""
        t = (
            f", time-ordered {self.time_ordered.roc_auc:.3f}"
            if self.time_ordered is not None
            else ""
        )
        return (
            f"{self.model} model on {self.rows} leads ({self.qualified} qualified): "
            f"CV ROC-AUC {self.cv.roc_auc:.3f}{std}{t}, PR-AUC {self.cv.pr_auc:.3f}, "
            f"Brier {self.cv.brier:.3f}"
        )

    def to_markdown(self) -> str:
        """The report as Markdown text."""
        lob = f" — {self.line_of_business}" if self.line_of_business else ""
        out = [f"# Lead scoring model{lob}", "", self.headline, ""]
        out += ["## Held-out performance", ""]
        out += ["| split | leads | ROC-AUC | PR-AUC | Brier |", "|---|---|---|---|---|"]
        for m in (self.cv, self.time_ordered):
            if m is None:
                continue
            std = f" ± {m.roc_auc_std:.3f}" if m.roc_auc_std is not None else ""
            out.append(
                f"| {m.split} | {m.rows} | {m.roc_auc:.3f}{std} | {m.pr_auc:.3f} | {m.brier:.3f} |"
            )
        base = self.qualified / self.rows if self.rows else 0.0
        out += ["", f"Base rate (PR-AUC of a random ranking): {base:.3f}."]
        if self.validation_auc:
            cands = ", ".join(f"{k} {v:.3f}" for k, v in self.validation_auc.items())
            out += ["", f"Candidates compared when fitting (out-of-fold ROC-AUC): {cands}."]
        if self.grades:
            out += ["", "## Grades (cross-validated scores)", ""]
            out += ["| grade | from score | leads | share | qualified |", "|---|---|---|---|---|"]
            for g in self.grades:
                conv = "—" if g.conversion_rate is None else f"{g.conversion_rate:.0%}"
                out.append(f"| {g.grade} | {g.min_score:g} | {g.leads} | {g.share:.0%} | {conv} |")
        if self.importances:
            out += ["", "## What drives scores", ""]
            out += ["| attribute | mean effect (log-odds) |", "|---|---|"]
            out += [f"| {i.column} | {i.importance:.3f} |" for i in self.importances]
        if self.leakage:
            out += ["", "## Possible leakage", ""]
            out += [f"- **{f.column}**: {f.reason}" for f in self.leakage]
        if self.features:
            out += ["", "## Attributes", ""]
            out += ["| column | kind | used | why |", "|---|---|---|---|"]
            out += [
                f"| {d.column} | {d.kind} | {'yes' if d.kept else 'no'} | {d.reason} |"
                for d in self.features
            ]
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        """A self-contained HTML page (no scripts, no external files) with plots."""
        return _html(self)

    def _repr_html_(self) -> str:
        """The report in a notebook, compact: held-out figures, grades, what drives scores and
        any leakage; the attributes folded away. :meth:`to_html` is the full page with plots."""
        splits = grid(
            ("split", "leads", "ROC-AUC", "PR-AUC", "Brier"),
            [
                (
                    m.split,
                    m.rows,
                    f"{m.roc_auc:.3f}"
                    + (f" ± {m.roc_auc_std:.3f}" if m.roc_auc_std is not None else ""),
                    f"{m.pr_auc:.3f}",
                    f"{m.brier:.3f}",
                )
                for m in (self.cv, self.time_ordered)
                if m is not None
            ],
        )
        parts = [paragraph(self.headline), splits]
        parts += [paragraph(f"{f.column} may leak the outcome: {f.reason}") for f in self.leakage]
        if self.grades:
            parts.append(
                grid(
                    ("grade", "from score", "leads", "share", "qualified"),
                    [
                        (
                            g.grade,
                            f"{g.min_score:g}",
                            g.leads,
                            f"{g.share:.0%}",
                            None if g.conversion_rate is None else f"{g.conversion_rate:.0%}",
                        )
                        for g in self.grades
                    ],
                )
            )
        if self.importances:
            parts.append(
                grid(
                    ("attribute", "mean effect (log-odds)"),
                    [(i.column, f"{i.importance:.3f}") for i in self.importances],
                    limit=10,
                )
            )
        if self.features:
            parts.append(
                details(
                    f"Attributes ({len(self.features)})",
                    grid(
                        ("column", "kind", "used", "why"),
                        [
                            (d.column, d.kind, "yes" if d.kept else "no", d.reason)
                            for d in self.features
                        ],
                        limit=50,
                    ),
                )
            )
        lob = f" — {self.line_of_business}" if self.line_of_business else ""
        return block(f"Lead scoring model{lob}", *parts)


def _metrics(y: NDArray[np.int64], p: NDArray[np.float64], split: str, **kw: Any) -> Metrics:
    return Metrics(
        roc_auc=round(float(roc_auc_score(y, p)), 4),
        pr_auc=round(float(average_precision_score(y, p)), 4),
        brier=round(float(brier_score_loss(y, p)), 4),
        rows=len(y),
        split=split,
        **kw,
    )


def _grade_rows(
    scheme: GradeScheme, scores: NDArray[np.float64], y: NDArray[np.int64]
) -> tuple[GradeRow, ...]:
    labels = np.asarray(scheme.grade_many(scores))
    rows = []
    mins = [*scheme.cutoffs, 0.0]
    for label, lo in zip(scheme.labels, mins, strict=True):
        mask = labels == label
        n = int(mask.sum())
        rows.append(
            GradeRow(
                grade=label,
                min_score=float(lo),
                leads=n,
                share=round(n / len(y), 4) if len(y) else 0.0,
                conversion_rate=round(float(y[mask].mean()), 4) if n else None,
            )
        )
    return tuple(rows)


def _calibration(
    y: NDArray[np.int64], p: NDArray[np.float64], bins: int = 10
) -> tuple[CalibrationBin, ...]:
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    out = []
    for b in range(bins):
        mask = idx == b
        if mask.any():
            out.append(
                CalibrationBin(
                    predicted=round(float(p[mask].mean()), 4),
                    observed=round(float(y[mask].mean()), 4),
                    leads=int(mask.sum()),
                )
            )
    return tuple(out)


def evaluate(
    scorer: LeadScorer,
    X: pd.DataFrame,
    y: Any,
    /,
    *,
    times: Sequence[datetime] | pd.Series | None = None,
    cv: int = 5,
    test_share: float = 0.2,
    line_of_business: str | None = None,
    leakage: Sequence[LeakageFinding] = (),
    trained_at: datetime | None = None,
    random_state: int = 0,
    progress: Progress | None = None,
) -> ModelReport:
    """Measure ``scorer`` on held-out leads and describe the model fitted on all of them.

    The scorer's settings are cloned for every fold; ``scorer`` itself is fitted on all rows when
    it is not fitted yet (and then describes the deployed model: importances, attributes).

    Args:
        scorer: an unfitted or fitted :class:`~leadqual.scoring.LeadScorer`.
        X: lead attributes.
        y: 1 qualified, 0 disqualified.
        times: when each lead was closed (or created); enables the time-ordered split.
        cv: cross-validation folds (fewer when a class has fewer rows).
        test_share: share of the newest leads tested in the time-ordered split.
        line_of_business: shown in the report.
        leakage: leakage findings to include.
        trained_at: shown in the report.
        random_state: seed of the folds.
        progress: called as ``progress(done, total, stage)`` after each fold, the time-ordered
            split and the description of the model (see :func:`leadqual.notebook_progress`).
            A callback that raises stops the evaluation and leaves ``scorer`` as it was.

    Raises:
        InsufficientTrainingData: fewer than 2 leads of a class.
    """
    check_progress(progress)
    X = as_frame(X)
    yb = (np.asarray(y) == np.unique(np.asarray(y))[-1]).astype(np.int64)
    q = int(yb.sum())
    d = len(yb) - q
    k = min(cv, q, d)
    if k < 2:
        raise InsufficientTrainingData(
            f"evaluation needs at least 2 qualified and 2 disqualified leads; found {q} and {d}",
            qualified=q,
            disqualified=d,
            needed=2,
        )
    steps = (
        None
        if progress is None
        else Steps(progress, k + (0 if times is None else 1) + 1, f"cross-validating on {k} folds")
    )
    # the scorer is fitted on all rows when it is not yet: a stop half way leaves it unfitted
    with restored_on_error(scorer):
        oof = np.zeros(len(yb))
        fold_auc = []
        skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=random_state)
        for i, (tr, te) in enumerate(skf.split(np.zeros(len(yb)), yb), start=1):
            m = clone(scorer).fit(X.iloc[tr], yb[tr])
            oof[te] = m.predict_proba(X.iloc[te])[:, 1]
            if len(np.unique(yb[te])) == 2:
                fold_auc.append(float(roc_auc_score(yb[te], oof[te])))
            if steps is not None:
                steps.advance(1, f"fold {i} of {k}")
        cv_m = _metrics(
            yb,
            oof,
            f"{k}-fold stratified CV",
            folds=k,
            roc_auc_std=round(float(np.std(fold_auc)), 4) if fold_auc else None,
        )
        time_m = None
        if times is not None:
            order = np.argsort(
                pd.to_datetime(pd.Series(list(times)), utc=True).to_numpy(), kind="stable"
            )
            cut = round(len(order) * (1 - test_share))
            tr, te = order[:cut], order[cut:]
            if len(np.unique(yb[te])) == 2 and yb[tr].sum() >= 2 and (len(tr) - yb[tr].sum()) >= 2:
                m = clone(scorer).fit(X.iloc[tr], yb[tr])
                pt = m.predict_proba(X.iloc[te])[:, 1]
                time_m = _metrics(
                    yb[te], pt, f"time-ordered: oldest {1 - test_share:.0%} train, newest test"
                )
            if steps is not None:
                steps.advance(1, "time-ordered split")
        try:
            scorer._ensure_fitted()
        except AttributeError:
            scorer.fit(X, yb)
        sample = X if len(X) <= 2000 else X.sample(2000, random_state=random_state)
        imps = scorer.importances(sample)
        scores = np.rint(oof * 100)
        fpr, tpr, _ = roc_curve(yb, oof)
        keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), 60)).astype(int))
        report = ModelReport(
            model=scorer.model_kind_,
            line_of_business=line_of_business,
            trained_at=trained_at,
            rows=len(yb),
            qualified=q,
            disqualified=d,
            cv=cv_m,
            time_ordered=time_m,
            validation_auc={k2: round(v, 4) for k2, v in scorer.validation_auc_.items()},
            grades=_grade_rows(scorer.grade_scheme, scores, yb),
            importances=tuple(
                Importance(column=c, importance=round(v, 4)) for c, v in list(imps.items())[:15]
            ),
            features=scorer.featurizer_.decisions_,
            leakage=tuple(leakage),
            calibration=_calibration(yb, oof),
            roc_points=tuple((round(float(fpr[i]), 4), round(float(tpr[i]), 4)) for i in keep),
        )
        if steps is not None:
            steps.finish(f"described the {scorer.model_kind_} model")
        return report


# -- HTML with inline SVG plots --------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#1f2933;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #d9e2ec}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #d9e2ec;border-radius:8px;
padding:.8em 1.2em;min-width:8em}.card b{display:block;font-size:1.6em}
.plots{display:flex;gap:1.5em;flex-wrap:wrap}table{border-collapse:collapse;margin:.5em 0}
td,th{border-bottom:1px solid #e4e7eb;padding:.3em .8em;text-align:left}
.warn{background:#fff3c4;border-left:4px solid #f0b429;padding:.5em 1em}
"""


def _svg_roc(points: Sequence[tuple[float, float]], auc: float) -> str:
    w = h = 260
    pad = 30

    def xy(fx: float, ty: float) -> str:
        return f"{pad + fx * (w - 2 * pad):.1f},{h - pad - ty * (h - 2 * pad):.1f}"

    line = " ".join(xy(f, t) for f, t in points)
    return (
        f'<svg width="{w}" height="{h}" role="img" aria-label="ROC curve">'
        f'<rect x="{pad}" y="{pad}" width="{w - 2 * pad}" height="{h - 2 * pad}" fill="none" '
        'stroke="#9aa5b1"/>'
        f'<polyline points="{xy(0, 0)} {xy(1, 1)}" fill="none" stroke="#cbd2d9" stroke-dasharray="4"/>'
        f'<polyline points="{line}" fill="none" stroke="#2186eb" stroke-width="2"/>'
        f'<text x="{w / 2}" y="18" text-anchor="middle">ROC curve (AUC {auc:.3f})</text>'
        f'<text x="{w / 2}" y="{h - 6}" text-anchor="middle" font-size="11">false-positive rate</text>'
        "</svg>"
    )


def _svg_calibration(bins: Sequence[CalibrationBin]) -> str:
    w = h = 260
    pad = 30

    def xy(px: float, oy: float) -> tuple[float, float]:
        return pad + px * (w - 2 * pad), h - pad - oy * (h - 2 * pad)

    dots = []
    for b in bins:
        x, y = xy(b.predicted, b.observed)
        r = 3 + min(9.0, b.leads**0.5 / 2)
        dots.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#f0b429" fill-opacity=".8">'
            f"<title>{b.leads} leads: predicted {b.predicted:.0%}, observed {b.observed:.0%}"
            "</title></circle>"
        )
    x0, y0 = xy(0, 0)
    x1, y1 = xy(1, 1)
    return (
        f'<svg width="{w}" height="{h}" role="img" aria-label="calibration plot">'
        f'<rect x="{pad}" y="{pad}" width="{w - 2 * pad}" height="{h - 2 * pad}" fill="none" '
        'stroke="#9aa5b1"/>'
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#cbd2d9" stroke-dasharray="4"/>'
        + "".join(dots)
        + f'<text x="{w / 2}" y="18" text-anchor="middle">Calibration</text>'
        f'<text x="{w / 2}" y="{h - 6}" text-anchor="middle" font-size="11">predicted → observed'
        "</text></svg>"
    )


def _svg_bars(rows: Sequence[tuple[str, float, str]], title: str, color: str) -> str:
    w = 420
    bar_h = 20
    h = 34 + bar_h * len(rows)
    top = max((v for _, v, _ in rows), default=1.0) or 1.0
    parts = [f'<svg width="{w}" height="{h}" role="img" aria-label="{html.escape(title)}">']
    parts.append(f'<text x="0" y="16">{html.escape(title)}</text>')
    for i, (label, v, note) in enumerate(rows):
        y = 28 + i * bar_h
        bw = 220 * v / top
        parts.append(
            f'<text x="150" y="{y + 14}" text-anchor="end" font-size="12">'
            f"{html.escape(label[:24])}</text>"
            f'<rect x="156" y="{y + 2}" width="{bw:.1f}" height="{bar_h - 6}" fill="{color}"/>'
            f'<text x="{160 + bw:.1f}" y="{y + 14}" font-size="11">{html.escape(note)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _html(r: ModelReport) -> str:
    e = html.escape
    cards = [
        ("CV ROC-AUC", f"{r.cv.roc_auc:.3f}"),
        ("PR-AUC", f"{r.cv.pr_auc:.3f}"),
        ("Brier", f"{r.cv.brier:.3f}"),
        ("leads", f"{r.rows}"),
    ]
    if r.time_ordered is not None:
        cards.insert(1, ("time-ordered AUC", f"{r.time_ordered.roc_auc:.3f}"))
    card_html = "".join(f'<div class="card">{e(k)}<b>{e(v)}</b></div>' for k, v in cards)
    grade_rows = [
        (
            f"{g.grade} (≥ {g.min_score:g})",
            g.conversion_rate or 0.0,
            f"{(g.conversion_rate or 0):.0%} of {g.leads} qualified",
        )
        for g in r.grades
    ]
    imp_rows = [(i.column, i.importance, f"{i.importance:.2f}") for i in r.importances]
    feat_rows = "".join(
        f"<tr><td>{e(d.column)}</td><td>{e(d.kind)}</td><td>{'yes' if d.kept else 'no'}</td>"
        f"<td>{e(d.reason)}</td></tr>"
        for d in r.features
    )
    leak = "".join(
        f'<p class="warn"><b>{e(f.column)}</b> may leak the outcome: {e(f.reason)}</p>'
        for f in r.leakage
    )
    lob = f" — {e(r.line_of_business)}" if r.line_of_business else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>Lead scoring model{lob}</title><style>{_CSS}</style></head><body>"
        f"<h1>Lead scoring model{lob}</h1><p>{e(r.headline)}</p>"
        f'<div class="cards">{card_html}</div>{leak}'
        f'<h2>Ranking and calibration</h2><div class="plots">{_svg_roc(r.roc_points, r.cv.roc_auc)}'
        f"{_svg_calibration(r.calibration)}</div>"
        f"<h2>Grades</h2>{_svg_bars(grade_rows, 'Share qualified per grade', '#3ebd93')}"
        f"<h2>What drives scores</h2>{_svg_bars(imp_rows, 'Mean effect (log-odds)', '#2186eb')}"
        "<h2>Attributes</h2><table><tr><th>column</th><th>kind</th><th>used</th><th>why</th></tr>"
        f"{feat_rows}</table></body></html>"
    )
