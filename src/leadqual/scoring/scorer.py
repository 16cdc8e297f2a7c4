"""The predictive lead scorer: a scikit-learn classifier with lead-level scores, grades and reasons.

How a model is chosen (``model="auto"``): below :data:`AUTO_MIN_ROWS` training rows (or fewer than
:data:`AUTO_MIN_MINORITY` of the rarer class) a regularised logistic regression is used, its
regularisation picked by cross-validation; above, the regularised linear model, gradient boosting
and their blend (the average of their log-odds) are compared on the same validation folds, and the
simplest whose ROC-AUC is within one standard error of the best is kept. Each fold's models are
judged on that fold's rows only and the folds' ROC-AUCs averaged; the standard error of a paired
difference is the larger of its sampling error within the folds (DeLong's method, :func:`delong`)
and its spread between them (see ``_fold_aucs``). The thresholds come from the benchmark
on the shared public data (``benchmarks/scoring.py``): with 40+40 rows boosting lost to the linear
model on every dataset, and at 500 rows (about 55 positives) the comparison itself cost more than
it gained.

How the trees extrapolate (``extrapolation="linear"``): a tree ensemble gives every lead beyond the
largest value of a numeric attribute in training the edge's score, so a trend (bigger budgets
convert better; falling interest rates lift a bank's subscriptions) stops dead at the edge. Past
the edge the score moves from the trees' to the linear model's, which continues the trend, in
proportion to how far past it the lead is (its out-of-range part as the linear model weighs it,
all linear from :data:`EXTRAPOLATION_RAMP` log-odds), so scores stay continuous; from
:data:`EXTRAPOLATION_TOLERANCE` the lead is marked ``extrapolated``. On the bank benchmark's
time-ordered split, where the newer leads lie past the economic indicators' training range, this
lifts boosting from 0.65 to 0.75 ROC-AUC without changing its cross-validated figure.

How the work is shared: each model is fitted once. Rows that are identical once featurized (a
lead entered twice, a resampled table) stay on one side of every validation split and of boosting's
early-stopping split, so that neither rewards memorising them; boosting keeps the fewest trees
whose validation loss is within :data:`TREES_LOSS_TOLERANCE` of its best. The blend's and the extrapolation guard's linear part is the linear model
of the same fold, the blend's out-of-fold scores are averaged from its parts', and the final parts
(linear, boosting) are fitted on all rows beside the validation folds rather than after the choice.
The trees read one column per categorical attribute (split natively as categories) rather than its
one-hot columns, which costs about a third of the time.

How a batch is scored: featurized once into one matrix that the linear part (a matrix-vector
product), the extrapolation guard and the trees all read; the trees read the columns they split
on straight from it, through leaf tables for more than a few dozen rows (see
``leadqual.scoring._forest``), with no thread pool: the matrix-vector products run on one BLAS
thread (BLAS's own threads spin while they wait for each other, which on a busy machine cost more
than they saved).

How probabilities are calibrated (``calibrate=True``): Platt scaling fitted on the chosen model's
out-of-fold scores, so the 0-100 score reads as a probability in percent and ranking is unchanged.

How a score is explained: each attribute's *effect* is the change in the model's log-odds when that
attribute alone is reset to its typical training value (median, or most frequent level) with the
lead's other attributes unchanged (a baseline-difference, or occlusion, attribution). For the linear
model this is exact: the effects add up to the lead's log-odds minus the typical lead's. For boosting
and the blend it is the model's own answer to "what if this were typical?", so it stays faithful to
the model; interactions mean the effects need not add up exactly. No sampling, no approximation, and
no extra dependency (TreeSHAP would need ``shap``, and with one baseline point its values for a
linear model are the same as ours).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal, Self, TypedDict, Unpack

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import rankdata
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit, TimeSeriesSplit
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import ThreadpoolController, threadpool_limits

from leadqual._compat import renamed_kwarg
from leadqual._progress import Progress, Steps, check_progress, restored_on_error
from leadqual.errors import ConfigurationError, NotScorable, ValidationFailed
from leadqual.models import Lead, LeadContext
from leadqual.scoring._fitting import TreeLayout, group_folds, row_groups
from leadqual.scoring._forest import CompiledForest
from leadqual.scoring.features import (
    FeatureDecision,
    LeadClassifier,
    LeadFeaturizer,
    _DatetimePlan,
    _NumericPlan,
    _one_ts,
    as_frame,
    binary_target,
    sigmoid,
)
from leadqual.scoring.grading import Factor, GradeScheme, LeadScore, WhatIf, score_trend
from leadqual.scoring.records import lead_record, leads_frame
from leadqual.scoring.training import MAX_LEAD_AGE_DAYS, check_scorable, resolve_now

__all__ = [
    "AUTO_MIN_MINORITY",
    "AUTO_MIN_ROWS",
    "EXTRAPOLATION_RAMP",
    "EXTRAPOLATION_TOLERANCE",
    "TREES_LOSS_TOLERANCE",
    "LeadScorer",
    "ModelKind",
    "ScoreOptions",
    "delong",
]

logger = logging.getLogger(__name__)

ModelKind = Literal["linear", "boosting", "blend", "custom"]

AUTO_MIN_ROWS = 500
"""Below this many training rows ``model="auto"`` uses the regularised linear model only."""
AUTO_MIN_MINORITY = 100
"""... or below this many rows of the rarer class: with fewer, choosing among models on
out-of-fold ROC-AUC costs more in selection noise than it gains (measured at 500 rows, about 55
positives, on both benchmark datasets: the linear model alone scored higher)."""

EXTRAPOLATION_RAMP = 0.5
"""Log-odds past the training range (as the linear model weighs them) at which a lead's score is
the linear model's alone (see ``extrapolation``). Closer to the edge the score moves from the
trees' to the linear model's in proportion, so it is continuous across the edge."""
EXTRAPOLATION_TOLERANCE = 0.1
"""Log-odds past the range from which a score is marked ``extrapolated`` (the linear model then
carries a fifth of it or more): about 2.5 points of probability near 50%, below what a grade ever
turns on, so an attribute the model barely uses never flags a lead."""

TREES_LOSS_TOLERANCE = 1e-3
"""Boosting keeps the fewest trees whose validation log-loss is within this share (0.1%) of its
best. On the bank benchmark the last third of the trees up to the best improved the validation
loss by less than that and held-out ROC-AUC not at all (0.8101 with them, 0.8104 without), while
every tree costs prediction time."""

_LINEAR_CS = (0.03, 0.1, 0.3, 1.0)
_GRID_MAX_ROWS = 20_000
_LARGE = 20_000
_HOLDOUT_SHARE = 0.25
_COMPILED_MAX_ROWS = 64
_MIN_TRAIN_PER_CLASS = 5
_EARLY_STOPPING_MIN_PER_CLASS = 20


class ScoreOptions(TypedDict, total=False):
    """What a lead-level score holds besides the score (see :meth:`LeadScorer.score_record`)."""

    previous_score: int | None
    explain: bool | int
    band: bool
    what_if: bool


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


@functools.cache
def _native_libraries() -> ThreadpoolController:
    """The thread pools of the native libraries loaded (found once: ``threadpool_limits`` looks
    them up on every call, about 10 ms in a process holding pandas and scikit-learn)."""
    return ThreadpoolController()


def _single_threaded(task: Callable[[], Any]) -> Any:
    # OpenMP's thread count is per calling thread, so it is limited inside each worker
    with threadpool_limits(limits=1, user_api="openmp"):
        return task()


def _at_best_iteration(
    model: HistGradientBoostingClassifier,
) -> HistGradientBoostingClassifier:
    """``model`` cut to the fewest trees whose validation loss is within
    :data:`TREES_LOSS_TOLERANCE` of its best.

    Early stopping waits ``n_iter_no_change`` trees for an improvement that does not come, and
    scikit-learn keeps them; and the last trees before the best improve the validation loss by
    ten-thousandths that held-out ROC-AUC does not see. Both cost prediction time (each lead is
    walked down every tree) and fit the training rows a little more.
    """
    scores = getattr(model, "validation_score_", None)
    if scores is None or len(scores) < 2 or not model.early_stopping:
        return model
    # the scores are minus the log-loss; scores[0] is before the first tree
    top = float(np.max(scores[1:]))
    near = np.flatnonzero(scores[1:] >= top - TREES_LOSS_TOLERANCE * abs(top))
    best = int(near[0]) + 1
    if best < model.n_iter_:
        model._predictors = model._predictors[:best]  # n_iter_ counts them
        model.train_score_ = model.train_score_[: best + 1]
        model.validation_score_ = scores[: best + 1]
    return model


def _sigmoid_one(x: float) -> float:
    # clipped like sigmoid: a lead far beyond the training range (scored by the linear trend)
    # can reach log-odds whose exp() overflows a float
    return 1.0 / (1.0 + math.exp(-min(max(x, -35.0), 35.0)))


def _logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    q = np.clip(p, 1e-9, 1 - 1e-9)
    out: NDArray[np.float64] = np.log(q / (1 - q))
    return out


def _fmt(value: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return "(missing)"
    if isinstance(value, float):
        if math.isnan(value):
            return "(missing)"
        if value.is_integer():
            return f"{value:,.0f}"
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def delong(
    y: NDArray[np.int64], scores: Sequence[NDArray[np.float64]]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """ROC-AUCs of several scores of the same rows and the covariance of their estimates.

    DeLong, DeLong and Clarke-Pearson (1988), "Comparing the areas under two or more correlated
    receiver operating characteristic curves", Biometrics 44(3), in the fast midrank form of Sun
    and Xu (2014). The variance of the difference of two AUCs is ``cov[i, i] + cov[j, j] -
    2 * cov[i, j]``.
    """
    pos = y == 1
    m, n = int(pos.sum()), int((~pos).sum())
    k = len(scores)
    aucs = np.zeros(k)
    v10 = np.zeros((k, m))
    v01 = np.zeros((k, n))
    for r, sc in enumerate(scores):
        x, yy = sc[pos], sc[~pos]
        tx, ty, tz = rankdata(x), rankdata(yy), rankdata(np.concatenate([x, yy]))
        aucs[r] = (tz[:m].sum() - m * (m + 1) / 2) / (m * n)
        v10[r] = (tz[:m] - tx) / n
        v01[r] = 1.0 - (tz[m:] - ty) / m
    # with one lead of an outcome its component of the variance is unknown: left out (zero)
    cov = np.zeros((k, k))
    if m >= 2:
        cov += np.atleast_2d(np.cov(v10)) / m
    if n >= 2:
        cov += np.atleast_2d(np.cov(v01)) / n
    return aucs, cov


def _fold_aucs(
    y: NDArray[np.int64],
    scores: Sequence[NDArray[np.float64]],
    tests: Sequence[NDArray[np.int64]],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Several models' validation ROC-AUC over folds, and the standard error of each paired
    difference.

    ``scores`` are out-of-fold scores of every row and ``tests`` the rows each fold scores. Each
    fold's models are judged on that fold's rows only, and the AUC is the mean of the folds'
    (folds holding one outcome only are left out). Pooling the folds' scores into one AUC would
    also rank rows of one fold against another's, scored by models fitted on other rows: with
    time-ordered folds that rewards following the base rate from period to period, which says
    nothing of how a model ranks the leads of one coming period.

    The standard error of a difference is the larger of two estimates: the sampling error within
    the folds (:func:`delong` per fold, the folds independent), and the spread of the per-fold
    differences between folds (their standard deviation over the square root of their number),
    which also holds how much the difference moves from one fold (one period, with time-ordered
    folds) to the next. With one fold only the first exists.
    """
    k = len(scores)
    per_fold: list[NDArray[np.float64]] = []
    within = np.zeros((k, k))
    for te in tests:
        yt = y[te]
        if len(np.unique(yt)) < 2:
            continue
        aucs, cov = delong(yt, [sc[te] for sc in scores])
        per_fold.append(aucs)
        within += cov
    if not per_fold:
        return np.full(k, 0.5), np.zeros((k, k))
    table = np.asarray(per_fold)
    m = len(per_fold)
    mean: NDArray[np.float64] = table.mean(axis=0)
    d = np.diag(within)
    within_var = (d[:, None] + d[None, :] - 2 * within) / m**2
    se = np.sqrt(np.maximum(within_var, 0.0))
    if m >= 2:
        diffs = table[:, :, None] - table[:, None, :]
        between = diffs.std(axis=0, ddof=1) / math.sqrt(m)
        se = np.maximum(se, between)
    out: NDArray[np.float64] = se
    return mean, out


class _Guard:
    """Where the tree model would extrapolate flat, the linear model's log-odds take over.

    A tree ensemble predicts a constant beyond the largest (or smallest) value it was trained on, so
    every lead past the edge of a numeric attribute gets the edge's score. The linear model's
    weight on the part of a lead's values beyond the training range (its *reach*, in log-odds)
    decides how much of the score the linear model, which continues the trend, carries: all of it
    from :data:`EXTRAPOLATION_RAMP`, in proportion below. Within the range, and for attributes the
    linear model gives no weight, nothing changes.
    """

    def __init__(
        self,
        cols: NDArray[np.int64],
        Z_train: NDArray[np.float64],
        linear: LogisticRegression,
    ) -> None:
        self.cols = cols
        x = Z_train[:, cols]
        self.lo: NDArray[np.float64] = x.min(axis=0) if len(x) else np.zeros(len(cols))
        self.hi: NDArray[np.float64] = x.max(axis=0) if len(x) else np.zeros(len(cols))
        self.coef: NDArray[np.float64] = linear.coef_[0].astype(np.float64)
        self.intercept = float(linear.intercept_[0])
        self.weight: NDArray[np.float64] = np.abs(self.coef[cols])

    def reach(self, Z: NDArray[np.float64]) -> NDArray[np.float64]:
        """How far past the training range each row is, in the linear model's log-odds."""
        if not len(self.cols):
            return np.zeros(Z.shape[0])
        x = Z[:, self.cols]
        # np.clip's dispatch costs more than the arithmetic on one lead's row
        beyond = np.maximum(x - self.hi, 0.0) + np.maximum(self.lo - x, 0.0)
        out: NDArray[np.float64] = beyond @ self.weight
        return out

    def linear(self, Z: NDArray[np.float64]) -> NDArray[np.float64]:
        out: NDArray[np.float64] = Z @ self.coef + self.intercept
        return out


class _Model:
    """One fitted raw-score function over featurized rows (log-odds before calibration)."""

    def __init__(
        self,
        kind: ModelKind,
        parts: Sequence[Any],
        guard: _Guard | None = None,
        layout: TreeLayout | None = None,
    ) -> None:
        self.kind = kind
        self.parts = list(parts)
        self.guard = guard
        self.layout = layout
        """How the boosting part's columns are made from the one-hot matrix (``None``: as is)."""
        self.compiled: list[CompiledForest | tuple[NDArray[np.float64], float] | None] = []

    def _tree_input(self, Z: NDArray[np.float64]) -> NDArray[np.float64]:
        # model files written before the compact layout have none: their trees read Z itself
        layout = getattr(self, "layout", None)
        return Z if layout is None else layout.compact(Z)

    def compile(self, Z_check: NDArray[np.float64], *, tables: bool = True) -> None:
        """The fast paths of each part (``tables``: the trees' leaf tables for batches too)."""
        compiled: list[CompiledForest | tuple[NDArray[np.float64], float] | None] = []
        for part in self.parts:
            if isinstance(part, LogisticRegression):
                compiled.append((part.coef_[0].astype(np.float64), float(part.intercept_[0])))
            elif isinstance(part, HistGradientBoostingClassifier):
                try:
                    compiled.append(
                        CompiledForest(
                            part, check=self._tree_input(Z_check[:50]), leaf_tables=tables
                        )
                    )
                except (AttributeError, KeyError, ValueError) as err:  # pragma: no cover
                    logger.warning("fast path unavailable for boosting: %s", err)
                    compiled.append(None)
            else:
                compiled.append(None)
        self.compiled = compiled

    def raw(self, Z: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.raw_flagged(Z)[0]

    def raw_flagged(
        self, Z: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_] | None]:
        """Raw log-odds, and which rows are marked extrapolated (``None`` without a guard)."""
        if Z.shape[0] <= _COMPILED_MAX_ROWS:
            return self._raw_flagged(Z)
        # the matrix-vector products of a batch (the linear part, the trees' categorical
        # columns, the guard) on one BLAS thread: BLAS's own threads wait for each other by
        # spinning, and on a machine whose other core was busy the linear part of a
        # 50,000-row batch took 8 ms at the median instead of 1 ms
        with _native_libraries().limit(limits=1, user_api="blas"):
            return self._raw_flagged(Z)

    def _raw_flagged(
        self, Z: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_] | None]:
        out = self._raw(Z)
        if self.guard is None:
            return out, None
        reach = self.guard.reach(Z)
        moved = reach > 0
        if moved.any():
            # the linear model's share grows with the distance past the edge, so a score
            # never jumps when a value crosses it
            w = np.minimum(reach[moved] / EXTRAPOLATION_RAMP, 1.0)
            out = np.array(out, dtype=np.float64, copy=True)
            out[moved] = (1 - w) * out[moved] + w * self.guard.linear(Z[moved])
        flagged: NDArray[np.bool_] = reach > EXTRAPOLATION_TOLERANCE
        return out, flagged

    def _raw(self, Z: NDArray[np.float64]) -> NDArray[np.float64]:
        outs = []
        small = Z.shape[0] <= _COMPILED_MAX_ROWS
        for i, part in enumerate(self.parts):
            fast = self.compiled[i] if i < len(self.compiled) else None
            if isinstance(fast, tuple):
                # a linear part is one matrix-vector product at any size; scikit-learn's
                # decision_function would first validate (and copy) the whole batch
                outs.append(Z @ fast[0] + fast[1])
                continue
            if isinstance(fast, CompiledForest) and not small and fast.has_tables:
                # leaf tables: a few array lookups per tree over the whole batch, reading the
                # columns the trees split on straight from Z
                layout = getattr(self, "layout", None)
                outs.append(fast.raw_batch(Z, None if layout is None else layout.column))
                continue
            X = self._tree_input(Z) if isinstance(part, HistGradientBoostingClassifier) else Z
            if isinstance(fast, CompiledForest) and small:
                outs.append(fast.raw(X))
            elif isinstance(part, HistGradientBoostingClassifier):
                # one thread, as in fitting: OpenMP's spinning workers made a 50,000-row batch
                # over twice as slow on a machine whose other core was busy
                outs.append(np.ravel(part._raw_predict(X, n_threads=1)).astype(np.float64))
            elif hasattr(part, "decision_function"):
                outs.append(np.ravel(part.decision_function(X)).astype(np.float64))
            else:
                outs.append(_logit(np.asarray(part.predict_proba(X))[:, 1].astype(np.float64)))
        if len(outs) == 1:
            return outs[0]
        total = outs[0].copy()
        for o in outs[1:]:
            total += o
        total /= len(outs)
        return total


class LeadScorer(LeadClassifier):
    """Predicts whether a lead qualifies: a scikit-learn classifier over any table of attributes.

    ``fit(X, y)`` takes a DataFrame of lead attributes (numeric, categorical, boolean, datetime and
    missing values mixed; see :class:`~leadqual.scoring.features.LeadFeaturizer`) and ``y`` with 1
    for qualified or converted and 0 for disqualified. ``predict_proba(X)[:, 1]`` is the calibrated
    probability. Beside the scikit-learn API sit the lead-level helpers: :meth:`score_record` (the
    fast single-lead path), :meth:`score_lead` (a :class:`~leadqual.models.Lead`),
    :meth:`score_frame` (a batch) and :meth:`explain`.

    Args:
        model: ``"auto"`` (chosen by data size and out-of-fold validation, see the module docs),
            ``"linear"``, ``"boosting"`` or ``"blend"``.
        estimator: bring your own model: any scikit-learn classifier; it is fitted on the
            featurized matrix and calibrated and explained like the built-in ones.
        calibrate: Platt-scale the scores on out-of-fold predictions.
        features: ``"auto"`` or the list of columns to use.
        exclude: columns never to use.
        grades: the grade cut-offs (default: A from 75, B from 50, C from 25, D below).
        reference_time: the "now" datetime columns are aged from (default: the latest in training).
        min_frequency: rarer categorical levels are grouped (see the featurizer).
        max_levels: most levels kept per categorical column.
        cv: folds for the out-of-fold predictions used to choose, calibrate and bound scores
            (above 20,000 rows one held-out quarter is used instead).
        validation: ``"random"`` (stratified folds) or ``"time"``: forward-chaining folds that
            always validate on leads newer than those trained on, so the model is chosen and
            calibrated for next quarter's leads rather than a random slice of the past.
        time_column: with ``validation="time"``, the column that orders the rows (default: the
            rows' own order, oldest first). It stays an attribute unless excluded: a closing
            date orders well but leaks (it is empty for every open lead), so exclude it.
        as_of_column: a column holding each row's own "now" that its dates are aged from (see
            :class:`~leadqual.scoring.features.LeadFeaturizer`): when the lead was closed, for
            training rows; the time of scoring, for open leads.
        timezone: the IANA time zone dates' month and weekday are read in (default UTC).
        extrapolation: ``"linear"``: a lead beyond the training range of a numeric attribute the
            model relies on is scored more and more by the linear model, which continues the
            trend, where trees would repeat the edge's score (see :data:`EXTRAPOLATION_RAMP`; the
            lead's :attr:`~leadqual.scoring.LeadScore.extrapolated` says so). ``"trees"``:
            never. Only boosting and the blend are affected.
        random_state: seed for the folds and the boosting model.
        n_jobs: how many models are fitted at the same time (the validation folds' and the final
            ones), each in a thread of its own (``-1``: one per core; ``1``: one after
            another). The models' own native code (OpenMP in boosting, BLAS) runs
            single-threaded meanwhile: nested thread pools oversubscribe the cores and, on a
            busy machine, made a fit many times slower. Scoring starts no thread pool.

    Example:
        >>> import pandas as pd
        >>> X = pd.DataFrame({"source": ["web", "ad", "event", "web"] * 25,
        ...                   "employees": [500, 20, 1200, 50] * 25})
        >>> y = [1, 0, 1, 0] * 25
        >>> scorer = LeadScorer().fit(X, y)
        >>> scorer.model_kind_
        'linear'
        >>> s = scorer.score_record({"source": "event", "employees": 1500})
        >>> s.score > 50, s.grade in "ABCD"
        (True, True)
    """

    _fitted_attribute = "model_"

    def __init__(
        self,
        *,
        model: str = "auto",
        estimator: Any = None,
        calibrate: bool = True,
        features: str | Sequence[str] = "auto",
        exclude: Sequence[str] = (),
        grades: GradeScheme | None = None,
        reference_time: datetime | None = None,
        min_frequency: int | float = 5,
        max_levels: int = 50,
        cv: int = 5,
        validation: str = "random",
        time_column: str | None = None,
        as_of_column: str | None = None,
        timezone: str = "UTC",
        extrapolation: str = "linear",
        random_state: int | None = 0,
        n_jobs: int = -1,
    ) -> None:
        self.model = model
        self.estimator = estimator
        self.calibrate = calibrate
        self.features = features
        self.exclude = exclude
        self.grades = grades
        self.reference_time = reference_time
        self.min_frequency = min_frequency
        self.max_levels = max_levels
        self.cv = cv
        self.validation = validation
        self.time_column = time_column
        self.as_of_column = as_of_column
        self.timezone = timezone
        self.extrapolation = extrapolation
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- scikit-learn API -------------------------------------------------------------------

    def fit(self, X: Any, y: Any, *, progress: Progress | None = None) -> Self:
        """Learn from lead attributes ``X`` and outcomes ``y`` (1 qualified, 0 disqualified).

        Args:
            X: lead attributes, one row per closed lead.
            y: the outcomes.
            progress: called as ``progress(done, total, stage)`` after each stage: the
                attributes prepared, each candidate model validated, the chosen model fitted,
                and calibration (see :func:`leadqual.notebook_progress`). A callback that
                raises stops the fit and leaves the scorer as it was before.
        """
        if self.model not in ("auto", "linear", "boosting", "blend"):
            raise ConfigurationError(
                f"model must be 'auto', 'linear', 'boosting' or 'blend', not {self.model!r}"
            )
        if isinstance(self.cv, bool) or not isinstance(self.cv, int | np.integer) or self.cv < 2:
            raise ConfigurationError(f"cv must be an integer of at least 2, not {self.cv!r}")
        if isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, int) or self.n_jobs == 0:
            raise ConfigurationError(
                f"n_jobs must be a non-zero integer (-1: one per core), not {self.n_jobs!r}"
            )
        if self.grades is not None and not isinstance(self.grades, GradeScheme):
            raise ConfigurationError(
                f"grades must be a GradeScheme or None, not {type(self.grades).__name__}"
            )
        if self.extrapolation not in ("linear", "trees"):
            raise ConfigurationError(
                f"extrapolation must be 'linear' or 'trees', not {self.extrapolation!r}"
            )
        if self.validation not in ("random", "time"):
            raise ConfigurationError(
                f"validation must be 'random' or 'time', not {self.validation!r}"
            )
        check_progress(progress)
        # whatever stops the fit half way (a callback, an error), the scorer is never left
        # holding a new featurizer beside an old model
        with restored_on_error(self):
            self._fit(X, y, progress)
        return self

    def _fit(self, X: Any, y: Any, progress: Progress | None) -> None:
        df = as_frame(X)
        classes, yb = binary_target(y, len(df))
        if self.time_column is not None and self.time_column not in df.columns:
            raise ConfigurationError(f"time_column {self.time_column!r} is not a column of X")
        steps = None
        if progress is not None:
            n = len(yb)
            minority = int(min(yb.sum(), n - yb.sum()))
            runs = self._validation_runs(
                self._candidates(n, minority, usable=True), min(self.cv, minority) >= 2, n
            )
            steps = Steps(progress, runs + 3, "preparing attributes")
        self.classes_ = classes
        self.featurizer_ = LeadFeaturizer(
            features=self.features,
            exclude=self.exclude,
            reference_time=self.reference_time,
            min_frequency=self.min_frequency,
            max_levels=self.max_levels,
            as_of_column=self.as_of_column,
            timezone=self.timezone,
        ).fit(df)
        self.n_features_in_ = self.featurizer_.n_features_in_
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = self.featurizer_.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_  # a refit on an array must not keep the old names
        Z = self._matrix(df)
        # identical rows (a lead entered twice, a resampled table) stay on one side of every
        # validation split: one on each side would reward memorising them
        groups = row_groups(Z)
        folds, seen = self._folds(yb, df, groups)
        if steps is not None:
            steps.advance(1, f"prepared {len(self.featurizer_.plans_)} attribute(s)")
        # plain numeric attributes only: a date's age runs past the training range for every
        # lead created after training, which says nothing about the lead
        guarded = [
            (start, plan.column)
            for plan, (start, _) in zip(
                self.featurizer_.plans_, self.featurizer_.blocks_, strict=True
            )
            if isinstance(plan, _NumericPlan)
        ]
        self.guard_idx_ = np.asarray([g[0] for g in guarded], dtype=np.int64)
        self.guarded_columns_ = tuple(g[1] for g in guarded)
        # native code single-threaded in this thread (and in each worker's, see _run): the
        # parallelism is whole fits, which a busy machine cannot slow down more than its share
        with threadpool_limits(limits=1):
            self._fit_models(Z, yb, folds, seen, groups, steps)
        self.baseline_row_ = self._row(self.featurizer_.typical_values())
        if steps is not None:
            steps.finish(f"ready: the {self.model_kind_} model")

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Calibrated log-odds of qualifying."""
        self._ensure_fitted()
        return self._calibrated(self.model_.raw(self._matrix(X)))

    @property
    def n_trees_(self) -> int:
        """Trees in the fitted model's boosting part (0 for a model without one)."""
        self._ensure_fitted()
        return sum(
            int(p.n_iter_)
            for p in self.model_.parts
            if isinstance(p, HistGradientBoostingClassifier)
        )

    # -- fitting ----------------------------------------------------------------------------

    def _folds(
        self,
        yb: NDArray[np.int64],
        df: pd.DataFrame,
        groups: NDArray[np.int64] | None = None,
    ) -> tuple[list[tuple[NDArray[np.int64], NDArray[np.int64]]], NDArray[np.bool_]]:
        """Validation folds and which rows they test (all of them unless validating in time).

        With ``groups`` (see :func:`~leadqual.scoring._fitting.row_groups`) random folds keep
        each group on one side; time-ordered folds follow time alone.
        """
        n = len(yb)
        minority = int(min(yb.sum(), n - yb.sum()))
        k = min(self.cv, minority)
        if k < 2:
            return [], np.zeros(n, dtype=bool)
        if n > _LARGE:
            # plenty of rows: one held-out quarter measures and calibrates as well as k folds,
            # at a fraction of the fitting time
            return self._holdout(yb, df, groups)
        if self.validation == "time":
            order = self._time_order(df)
            folds = []
            for tr, te in TimeSeriesSplit(n_splits=k).split(order):
                a, b = order[tr], order[te]
                # an early prefix may hold almost no leads of one outcome: skip it
                if min(int(yb[a].sum()), int(len(a) - yb[a].sum())) >= _MIN_TRAIN_PER_CLASS:
                    folds.append((a, b))
            covered = np.zeros(n, dtype=bool)
            for _, te in folds:
                covered[te] = True
            if folds and len(np.unique(yb[covered])) == 2:
                return folds, covered
            logger.info(
                "too few leads of an outcome for time-ordered validation; using random folds"
            )
        if groups is not None:
            grouped = self._group_split(yb, groups, k)
            if len(grouped) >= 2:
                return grouped, np.ones(n, dtype=bool)
        skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=self.random_state)
        return [(tr, te) for tr, te in skf.split(np.zeros(n), yb)], np.ones(n, dtype=bool)

    def _group_split(
        self, yb: NDArray[np.int64], groups: NDArray[np.int64], k: int
    ) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
        """Stratified folds that keep each group on one side; folds that test nothing or train
        on one outcome only are left out."""
        fold = group_folds(yb, groups, k, self.random_state)
        out = []
        for i in range(k):
            te = np.flatnonzero(fold == i)
            tr = np.flatnonzero(fold != i)
            if len(te) and len(np.unique(yb[tr])) == 2:
                out.append((tr, te))
        return out

    def _time_order(self, df: pd.DataFrame) -> NDArray[np.int64]:
        """Row positions oldest first: by ``time_column``, or the rows' own order."""
        if self.time_column is None:
            return np.arange(len(df), dtype=np.int64)
        when = pd.to_datetime(df[self.time_column], utc=True, errors="coerce", format="mixed")
        return np.argsort(when.to_numpy(), kind="stable").astype(np.int64)

    def _holdout(
        self,
        yb: NDArray[np.int64],
        df: pd.DataFrame,
        groups: NDArray[np.int64] | None = None,
    ) -> tuple[list[tuple[NDArray[np.int64], NDArray[np.int64]]], NDArray[np.bool_]]:
        n = len(yb)
        tr = te = None
        if self.validation == "time":
            order = self._time_order(df)
            cut = int(n * (1 - _HOLDOUT_SHARE))
            tr, te = np.sort(order[:cut]), np.sort(order[cut:])
        elif groups is not None:
            grouped = self._group_split(yb, groups, round(1 / _HOLDOUT_SHARE))
            if grouped and len(np.unique(yb[grouped[0][1]])) == 2:
                tr, te = grouped[0]
        if tr is None or te is None:
            splitter = StratifiedShuffleSplit(
                n_splits=1, test_size=_HOLDOUT_SHARE, random_state=self.random_state
            )
            tr, te = next(splitter.split(np.zeros(n), yb))
            tr, te = np.sort(tr), np.sort(te)
        covered = np.zeros(n, dtype=bool)
        covered[te] = True
        return [(tr, te)], covered

    def _linear(self, C: float, n: int) -> LogisticRegression:
        # liblinear is several times faster on small tables; its intercept is barely
        # regularised with a large intercept_scaling
        if n <= _GRID_MAX_ROWS:
            return LogisticRegression(
                C=C, solver="liblinear", intercept_scaling=10.0, max_iter=2000
            )
        return LogisticRegression(C=C, max_iter=2000)

    def _fit_trees(
        self,
        Zt: NDArray[np.float64],
        yb: NDArray[np.int64],
        rows: NDArray[np.int64] | None,
        groups: NDArray[np.int64] | None,
        categorical: NDArray[np.bool_],
    ) -> HistGradientBoostingClassifier:
        """Boosting on ``rows`` (``None``: all) of the trees' matrix, stopped early on a tenth of
        them that shares no row with the rest."""
        X = Zt if rows is None else Zt[rows]
        y = yb if rows is None else yb[rows]
        minority = min(int(np.sum(y)), len(y) - int(np.sum(y)))
        model = HistGradientBoostingClassifier(
            learning_rate=0.06,
            max_iter=400,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            # early stopping holds out a tenth, stratified: it needs a few leads of each outcome
            early_stopping=minority >= _EARLY_STOPPING_MIN_PER_CLASS,
            validation_fraction=0.1,
            n_iter_no_change=20,
            categorical_features=categorical if categorical.any() else None,
            random_state=self.random_state,
        )
        g = None if groups is None else (groups if rows is None else groups[rows])
        if model.early_stopping and g is not None:
            val = group_folds(y, g, 10, self.random_state) == 0
            if len(np.unique(y[val])) == 2 and len(np.unique(y[~val])) == 2:
                return _at_best_iteration(model.fit(X[~val], y[~val], X_val=X[val], y_val=y[val]))
        return _at_best_iteration(model.fit(X, y))

    def _run(self, tasks: Sequence[Callable[[], Any]], *, parallel: bool = True) -> list[Any]:
        """Each task's result, ``n_jobs`` tasks at a time, native code single-threaded.

        One thread per fit and one per core inside each (boosting's OpenMP pool, BLAS) would put
        several threads on each core; OpenMP's workers wait for each other by spinning, so on a
        machine whose other cores are busy every one of boosting's thousands of small parallel
        steps waited for a descheduled thread (a 5,000-row fit: 1.1 s quiet, 6.3 s beside one
        busy process). Whole fits in parallel have no such steps.
        """
        jobs = self.n_jobs if self.n_jobs > 0 else _cores() + 1 + self.n_jobs
        jobs = max(1, min(jobs, len(tasks))) if parallel else 1
        if jobs == 1:
            return [task() for task in tasks]
        return list(
            Parallel(n_jobs=jobs, prefer="threads")(
                delayed(_single_threaded)(task) for task in tasks
            )
        )

    def _candidates(self, n: int, minority: int, *, usable: bool) -> list[str]:
        """The model kinds compared, simplest first (``usable``: some attribute is usable)."""
        if self.estimator is not None:
            return ["custom"]
        if self.model == "auto":
            small = n < AUTO_MIN_ROWS or minority < AUTO_MIN_MINORITY or not usable
            return ["linear"] if small else ["linear", "boosting", "blend"]
        return [self.model]

    @staticmethod
    def _validation_runs(kinds: list[str], folds: Any, n: int) -> int:
        """How many out-of-fold validations :meth:`_fit_models` runs for ``kinds`` (none
        without ``folds``)."""
        if not folds:
            return 0
        linear = len(_LINEAR_CS if n <= _GRID_MAX_ROWS else (0.3,))
        runs = linear if "linear" in kinds or "blend" in kinds else 0
        # the blend of linear and boosting is averaged from theirs, not validated again
        return runs + sum(
            1 for k in kinds if k != "linear" and not (k == "blend" and "boosting" in kinds)
        )

    def _fit_models(
        self,
        Z: NDArray[np.float64],
        yb: NDArray[np.int64],
        folds: list[tuple[NDArray[np.int64], NDArray[np.int64]]],
        seen: NDArray[np.bool_],
        groups: NDArray[np.int64] | None,
        steps: Steps | None,
    ) -> None:
        """Validate the candidates on ``folds`` and fit the chosen one on all rows.

        Every model is fitted once: the linear model per fold and regularisation, boosting per
        fold, and each final part (linear, boosting, or the custom estimator) on all rows. The
        linear part of a fold's blend and of its extrapolation guard is that fold's linear
        model; the blend's out-of-fold scores are averaged from its parts'. The boosting and
        final fits run side by side (``n_jobs``); a final boosting fit is made before the choice
        so that it runs beside the folds, and is unused if the linear model wins.
        """
        n = len(yb)
        minority = int(min(yb.sum(), n - yb.sum()))
        if not self.featurizer_.plans_:
            logger.warning("no usable attributes: the model predicts the base rate")
        kinds = self._candidates(n, minority, usable=bool(self.featurizer_.plans_))
        trees = "boosting" in kinds or "blend" in kinds
        guarded = trees and self.extrapolation == "linear" and len(self.guard_idx_) > 0
        compared_linear = "linear" in kinds or "blend" in kinds
        layout = TreeLayout(self.featurizer_) if trees else None
        Zt = layout.compact(Z) if layout is not None else Z
        categorical = layout.categorical if layout is not None else np.zeros(0, dtype=bool)
        oofs: dict[str, NDArray[np.float64]] = {}
        fold_models: dict[str, list[_Model]] = {}

        def oof(models: Sequence[_Model]) -> NDArray[np.float64]:
            out = np.zeros(n)
            for m, (_, te) in zip(models, folds, strict=True):
                out[te] = m.raw(Z[te])
            return out

        def fit_linear(c: float, rows: NDArray[np.int64]) -> LogisticRegression:
            return self._linear(c, len(rows)).fit(Z[rows], yb[rows])

        def fit_custom(rows: NDArray[np.int64]) -> Any:
            return clone(self.estimator).fit(Z[rows], yb[rows])

        def linear_on(c: float) -> list[Callable[[], LogisticRegression]]:
            return [partial(fit_linear, c, tr) for tr, _ in folds]

        C = 0.3
        fold_linear: list[LogisticRegression] = []
        Cs = _LINEAR_CS if compared_linear and n <= _GRID_MAX_ROWS else (0.3,)
        if folds and compared_linear and len(Cs) > 1:
            # pick the regularisation of the linear part on the same folds (linear fits take
            # milliseconds at this size: starting threads for them would cost more than it saves)
            best = -1.0
            for c in Cs:
                fits = self._run(linear_on(c), parallel=False)
                oof_c = oof([_Model("linear", [m]) for m in fits])
                auc = float(roc_auc_score(yb[seen], oof_c[seen]))
                if auc > best + 1e-4:
                    best, C, fold_linear = auc, c, fits
                    oofs["linear"] = oof_c
                if steps is not None:
                    steps.advance(1, f"validated the linear model (C={c:g})")
        self.linear_C_ = C

        # everything left is independent: one batch of fits, side by side
        tasks: dict[tuple[str, int], Callable[[], Any]] = {}
        if trees:
            tasks["boosting", -1] = partial(self._fit_trees, Zt, yb, None, groups, categorical)
            for i, (tr, _) in enumerate(folds):
                tasks["boosting", i] = partial(self._fit_trees, Zt, yb, tr, groups, categorical)
        if self.estimator is not None:
            tasks["custom", -1] = partial(fit_custom, np.arange(n))
            for i, (tr, _) in enumerate(folds):
                tasks["custom", i] = partial(fit_custom, tr)
        if folds and (compared_linear or guarded) and not fold_linear:
            for i, task in enumerate(linear_on(C)):
                tasks["linear", i] = task
        if compared_linear or guarded:
            tasks["linear", -1] = partial(fit_linear, C, np.arange(n))
        fitted = dict(zip(tasks, self._run(list(tasks.values())), strict=True))
        if folds and not fold_linear and ("linear", 0) in fitted:
            fold_linear = [fitted["linear", i] for i in range(len(folds))]
            if compared_linear:
                oofs["linear"] = oof([_Model("linear", [m]) for m in fold_linear])
                if steps is not None:
                    steps.advance(1, f"validated the linear model (C={C:g})")
        if compared_linear and folds:
            fold_models["linear"] = [_Model("linear", [m]) for m in fold_linear]

        def guard(linear: LogisticRegression | None, rows: Any) -> _Guard | None:
            return _Guard(self.guard_idx_, Z[rows], linear) if guarded and linear else None

        if trees and folds:
            boosted = [
                _Model(
                    "boosting",
                    [fitted["boosting", i]],
                    guard(fold_linear[i] if fold_linear else None, tr),
                    layout,
                )
                for i, (tr, _) in enumerate(folds)
            ]
            fold_models["boosting"] = boosted
            oofs["boosting"] = oof(boosted)
            if "blend" in kinds:
                fold_models["blend"] = [
                    _Model("blend", [lin, *b.parts], b.guard, layout)
                    for lin, b in zip(fold_linear, boosted, strict=True)
                ]
                oofs["blend"] = (oofs["linear"] + oofs["boosting"]) / 2
            if steps is not None:
                steps.advance(
                    1, f"validated the {'boosting' if 'boosting' in kinds else 'blend'} model"
                )
        if self.estimator is not None and folds:
            fold_models["custom"] = [
                _Model("custom", [fitted["custom", i]]) for i in range(len(folds))
            ]
            oofs["custom"] = oof(fold_models["custom"])
            if steps is not None:
                steps.advance(1, "validated the custom model")
        chosen, validation = self._choose(kinds, oofs, yb, [te for _, te in folds])
        self.validation_auc_ = dict(validation)
        self.model_kind_ = chosen
        final_linear = fitted.get(("linear", -1))
        if chosen == "custom":
            self.model_ = _Model("custom", [fitted["custom", -1]])
        elif chosen == "linear":
            self.model_ = _Model("linear", [final_linear])
        else:
            tree = fitted["boosting", -1]
            parts = [tree] if chosen == "boosting" else [final_linear, tree]
            self.model_ = _Model(chosen, parts, guard(final_linear, slice(None)), layout)  # type: ignore[arg-type]
        self.model_.compile(Z)
        if steps is not None:
            # past the validations planned for kinds a table without usable attributes skips
            steps.to(steps.total - 1, f"fitted the {chosen} model on all {n} leads")
        for m in fold_models.get(chosen, []):
            m.compile(Z, tables=False)  # they score one lead at a time (its band)
        self.fold_models_ = fold_models.get(chosen, [])
        self.calibration_ = (1.0, 0.0)
        chosen_oof = oofs.get(chosen)
        if (
            self.calibrate
            and chosen_oof is not None
            and int(min(yb[seen].sum(), (1 - yb[seen]).sum())) >= 5
        ):
            platt = LogisticRegression(C=1e4, max_iter=1000).fit(
                chosen_oof[seen][:, None], yb[seen]
            )
            a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
            if a > 0:
                self.calibration_ = (a, b)
        logger.info(
            "scorer fitted: %d rows, %d attributes, model %s, validation AUC %s",
            n,
            len(self.featurizer_.plans_),
            chosen,
            {k: round(v, 3) for k, v in validation.items()},
        )

    @staticmethod
    def _choose(
        kinds: list[str],
        oofs: Mapping[str, NDArray[np.float64]],
        y: NDArray[np.int64],
        tests: Sequence[NDArray[np.int64]],
    ) -> tuple[str, dict[str, float]]:
        """The simplest model whose validation AUC is within one standard error of the best, and
        the validation AUC of each model compared.

        ``kinds`` runs from simplest to most complex (linear, boosting, blend); ``tests`` are the
        rows each validation fold scores (see :func:`_fold_aucs`). Two models a few
        thousandths apart are a coin toss; the one-standard-error rule (Breiman et al., 1984)
        takes the simpler one.
        """
        compared = [k for k in kinds if k in oofs]
        if not compared:
            return kinds[0], {}
        aucs, se = _fold_aucs(y, [oofs[k] for k in compared], tests)
        validation = {k: float(a) for k, a in zip(compared, aucs, strict=True)}
        if len(compared) < 2:
            return max(kinds, key=lambda k: (validation.get(k, -1.0), -kinds.index(k))), validation
        best = int(np.argmax(aucs))
        for i, kind in enumerate(compared):
            if aucs[i] >= aucs[best] - se[i, best]:
                return kind, validation
        return compared[best], validation  # pragma: no cover - the best is within its own band

    def _matrix(self, X: Any) -> NDArray[np.float64]:
        Z = self.featurizer_.transform(X)
        # with no usable attribute the model still needs one (constant) column
        return Z if Z.shape[1] else np.zeros((Z.shape[0], 1))

    def _row(self, record: Mapping[str, Any]) -> NDArray[np.float64]:
        if not isinstance(record, Mapping):
            raise ValidationFailed(
                f"record must be a mapping of attribute to value, not {type(record).__name__}",
                field="record",
            )
        z = self.featurizer_.transform_record(record)
        return z if z.shape[0] else np.zeros(1)

    def _calibrated(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        a, b = self.calibration_
        return a * raw + b

    # -- lead-level API ---------------------------------------------------------------------

    @property
    def grade_scheme(self) -> GradeScheme:
        """The grade cut-offs in use."""
        return self.grades if self.grades is not None else GradeScheme()

    @property
    def decisions(self) -> tuple[FeatureDecision, ...]:
        """What was done with each input column, and why (after ``fit``)."""
        self._ensure_fitted()
        return self.featurizer_.decisions_

    def score_frame(self, X: pd.DataFrame, /) -> pd.DataFrame:
        """Scores of a batch, same index: columns ``probability``, ``score`` (0-100), ``grade`` and
        ``extrapolated`` (see :attr:`~leadqual.scoring.LeadScore.extrapolated`)."""
        self._ensure_fitted()
        Z = self._matrix(X)
        raw, flags = self.model_.raw_flagged(Z)
        p = sigmoid(self._calibrated(raw))
        scores = np.rint(p * 100).astype(np.int64)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(
            {
                "probability": p,
                "score": scores,
                "grade": self.grade_scheme.grade_many(scores),
                "extrapolated": flags if flags is not None else np.zeros(len(p), dtype=bool),
            },
            index=index,
        )

    def score_table(self, X: pd.DataFrame, /) -> pd.DataFrame:
        """:meth:`score_frame` of a table that may have other columns than training had: the
        training columns are taken, and any absent count as missing."""
        self._ensure_fitted()
        return self.score_frame(X.reindex(columns=list(self.featurizer_.input_columns_)))

    def score_record(
        self,
        record: Mapping[str, Any],
        /,
        *,
        lead_id: str | None = None,
        previous_score: int | None = None,
        explain: bool | int = True,
        band: bool = False,
        what_if: bool = False,
    ) -> LeadScore:
        """Score one lead given as a mapping of attribute to value (the fast path).

        Args:
            record: the lead's attributes, keyed like the training columns; absent keys are missing.
            lead_id: copied into the result.
            previous_score: the lead's last score, for the trend.
            explain: include the top factors (``True``: 5 up and 5 down; an int: that many).
            band: include the cross-validation models' score range.
            what_if: include, for the strongest factors pulling the score down, the value that
                would raise the score most.
        """
        self._ensure_fitted()
        z = self._row(record)
        top = 5 if explain is True else int(explain)
        if top > 0 or what_if:
            factors_up, factors_down, logit, extrapolated = self._explain_one(record, z, top)
        else:
            factors_up, factors_down = (), ()
            raw, flags = self.model_.raw_flagged(z[None, :])
            logit = float(self._calibrated(raw)[0])
            extrapolated = flags is not None and bool(flags[0])
        p = float(sigmoid(np.array([logit]))[0])
        score = round(p * 100)
        trend, change = score_trend(score, previous=previous_score)
        rng = self._band(z) if band else None
        whatifs = self._what_if(record, z, score, factors_down) if what_if else ()
        return LeadScore(
            lead_id=lead_id,
            score=score,
            probability=p,
            grade=self.grade_scheme.grade(score),
            factors_up=factors_up,
            factors_down=factors_down,
            trend=trend,
            previous_score=previous_score,
            change=change,
            band=rng,
            what_if=whatifs,
            model=self.model_kind_,
            extrapolated=extrapolated,
        )

    @renamed_kwarg("as_of", "now")
    def score_lead(
        self,
        lead: Lead,
        /,
        *,
        now: datetime | None = None,
        context: LeadContext | None = None,
        max_age_days: int = MAX_LEAD_AGE_DAYS,
        **options: Unpack[ScoreOptions],
    ) -> LeadScore:
        """Score an open :class:`~leadqual.models.Lead` (for a scorer trained on
        :func:`~leadqual.scoring.records.lead_record` columns, e.g. by
        :func:`~leadqual.scoring.train_from_crm`), at ``now`` (default: the current time).
        ``options`` as :meth:`score_record` (``previous_score``, ``explain``, ``band``,
        ``what_if``).

        Raises:
            NotScorable: the lead is closed (``reason="closed"``) or older than ``max_age_days``
                (``reason="too_old"``).
        """
        now = resolve_now(now)
        check_scorable(lead, now=now, max_age_days=max_age_days)
        record = lead_record(lead, context=context, now=now)
        return self.score_record(record, lead_id=lead.id, **options)

    @renamed_kwarg("as_of", "now")
    def score_leads(
        self,
        leads: Sequence[Lead],
        /,
        *,
        now: datetime | None = None,
        contexts: Mapping[str, LeadContext] | None = None,
        max_age_days: int = MAX_LEAD_AGE_DAYS,
    ) -> pd.DataFrame:
        """Batch scores of :class:`~leadqual.models.Lead` records, indexed by lead id.

        Columns ``probability``, ``score``, ``grade``, ``extrapolated`` (missing for a lead not
        scored) and ``not_scored``: the reason code
        (``closed``, ``too_old``, ...) of a lead that was not scored, whose score is then missing.
        ``contexts`` (lead id to :class:`~leadqual.models.LeadContext`) gives a scorer trained
        with activity counts the counts up to ``now``, as :meth:`score_lead` does one by one;
        without them those attributes count as missing.
        """
        self._ensure_fitted()
        now = resolve_now(now)
        twice = sorted(i for i, c in Counter(lead.id for lead in leads).items() if c > 1)
        if twice:
            raise ValidationFailed(
                f"leads must be distinct; given more than once: {', '.join(twice[:5])}",
                field="leads",
            )
        ok: list[Lead] = []
        refused: dict[str, str] = {}
        for lead in leads:
            try:
                check_scorable(lead, now=now, max_age_days=max_age_days)
            except NotScorable as err:
                refused[lead.id] = err.reason
            else:
                ok.append(lead)
        frame = leads_frame(ok, contexts=contexts, now=now)
        absent = [c for c in self.featurizer_.block_columns_ if c not in frame.columns]
        if ok and absent:
            # e.g. activity counts without ``contexts``: scored as missing, which the model may
            # never have seen in training
            logger.warning("score_leads: attributes absent, scored as missing: %s", absent)
        scored = (
            self.score_table(frame)
            if ok
            else pd.DataFrame({"probability": [], "score": [], "grade": [], "extrapolated": []})
        )
        out = scored.reindex([lead.id for lead in leads])
        out["score"] = out["score"].astype("Int64")
        out["extrapolated"] = out["extrapolated"].astype("boolean")
        out["not_scored"] = [refused.get(lead.id) for lead in leads]
        out.index.name = "lead_id"
        return out

    def explain(self, X: pd.DataFrame, /) -> pd.DataFrame:
        """Each attribute's effect (log-odds against its typical value) for every row of ``X``.

        Returns a DataFrame with one column per used attribute, indexed like ``X``.
        """
        self._ensure_fitted()
        effects = self._effects(self._matrix(X))
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(effects, columns=list(self.featurizer_.block_columns_), index=index)

    def importances(self, X: pd.DataFrame, /) -> dict[str, float]:
        """Mean absolute effect of each attribute over ``X``, largest first."""
        effects = self.explain(X)
        imp = effects.abs().mean(axis=0).sort_values(ascending=False)
        return {str(k): float(v) for k, v in imp.items()}

    def _effects(self, Z: NDArray[np.float64]) -> NDArray[np.float64]:
        blocks = self.featurizer_.blocks_
        n, k = Z.shape[0], len(blocks)
        if k == 0:
            return np.zeros((n, 0))
        a = self.calibration_[0]
        if self.model_.kind == "linear":
            w = self.model_.compiled[0]
            assert isinstance(w, tuple)
            diff = (Z - self.baseline_row_) * w[0]
            return np.column_stack([a * diff[:, s:e].sum(axis=1) for s, e in blocks])
        out = np.zeros((n, k))
        base = self.model_.raw(Z)
        chunk = max(1, _COMPILED_MAX_ROWS // (k + 1)) if n <= _COMPILED_MAX_ROWS else 4096
        for lo in range(0, n, chunk):
            zz = Z[lo : lo + chunk]
            stacked = np.repeat(zz, k, axis=0)
            for j, (s, e) in enumerate(blocks):
                stacked[j::k, s:e] = self.baseline_row_[s:e]
            occluded = self.model_.raw(stacked).reshape(len(zz), k)
            out[lo : lo + chunk] = a * (base[lo : lo + chunk, None] - occluded)
        return out

    def _explain_one(
        self, record: Mapping[str, Any], z: NDArray[np.float64], top: int
    ) -> tuple[tuple[Factor, ...], tuple[Factor, ...], float, bool]:
        blocks = self.featurizer_.blocks_
        k = len(blocks)
        a = self.calibration_[0]
        if self.model_.kind == "linear":
            w, b0 = self.model_.compiled[0]  # type: ignore[misc]
            raw = float(z @ w + b0)
            diff = (z - self.baseline_row_) * w
            effects = np.array([a * diff[s:e].sum() for s, e in blocks])
            extrapolated = False
        else:
            stacked = np.repeat(z[None, :], k + 1, axis=0)
            for j, (s, e) in enumerate(blocks):
                stacked[j + 1, s:e] = self.baseline_row_[s:e]
            raws, flags = self.model_.raw_flagged(stacked)
            raw = float(raws[0])
            extrapolated = flags is not None and bool(flags[0])
            effects = a * (raw - raws[1:])
        logit = float(self._calibrated(np.array([raw]))[0])
        p = _sigmoid_one(logit)
        typical = self._typical_at(record)
        order = np.argsort(-np.abs(effects), kind="stable")
        ups: list[Factor] = []
        downs: list[Factor] = []
        for j in order:
            eff = float(effects[j])
            if abs(eff) < 1e-9:
                continue
            col = self.featurizer_.block_columns_[j]
            p_typ = _sigmoid_one(logit - eff)
            f = Factor(
                column=col,
                value=_fmt(record.get(col)),
                typical=_fmt(typical[col]),
                effect=round(eff, 4),
                points=round(100 * (p - p_typ), 1),
            )
            if eff > 0 and len(ups) < top:
                ups.append(f)
            elif eff < 0 and len(downs) < top:
                downs.append(f)
        return tuple(ups), tuple(downs), logit, extrapolated

    def _typical_at(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Typical values as a lead's factors show them: with ``as_of_column`` a date's typical
        value is the one of typical age at the lead's own as-of time (what its effect measures),
        not at the training reference."""
        f = self.featurizer_
        typical = f.typical_values()
        ref = _one_ts(record.get(f.as_of_column)) if f.as_of_column is not None else math.nan
        if math.isnan(ref):
            return typical
        for plan in f.plans_:
            if isinstance(plan, _DatetimePlan):
                # out of datetime's range: keep the training reference's
                with contextlib.suppress(OverflowError, ValueError, OSError):
                    typical[plan.column] = datetime.fromtimestamp(
                        ref - plan.age.median * 86400.0, UTC
                    )
        return typical

    def _band(self, z: NDArray[np.float64]) -> tuple[int, int] | None:
        if not self.fold_models_:
            return None
        raws = np.array([float(m.raw(z[None, :])[0]) for m in self.fold_models_])
        p = sigmoid(self._calibrated(raws))
        full = float(sigmoid(self._calibrated(self.model_.raw(z[None, :])))[0])
        lo = min(float(p.min()), full)
        hi = max(float(p.max()), full)
        return round(lo * 100), round(hi * 100)

    def _what_if(
        self,
        record: Mapping[str, Any],
        z: NDArray[np.float64],
        score: int,
        downs: Sequence[Factor],
    ) -> tuple[WhatIf, ...]:
        out: list[WhatIf] = []
        f = self.featurizer_
        for factor in downs[:3]:
            col = factor.column
            i = f.block_columns_.index(col)
            s, e = f.blocks_[i]
            cands = [v for v in f.candidate_values(col) if _fmt(v) != factor.value]
            if not cands:
                continue
            rows = np.repeat(z[None, :], len(cands), axis=0)
            for r, v in enumerate(cands):
                rows[r, s:e] = f.encode_value(col, v)
            probs = sigmoid(self._calibrated(self.model_.raw(rows)))
            best = int(np.argmax(probs))
            new = round(float(probs[best]) * 100)
            if new > score:
                out.append(
                    WhatIf(
                        column=col,
                        current=factor.value,
                        suggested=_fmt(cands[best]),
                        new_score=new,
                        gain=new - score,
                    )
                )
        return tuple(sorted(out, key=lambda w: -w.gain))
