"""Scoring from the first closed lead: a smoothed naive-Bayes frequency model, and the handover.

The commercial scorers score nothing until 40 qualified and 40 disqualified leads exist.
:class:`ColdStartScorer` scores from the first closed lead of each outcome: every attribute value
contributes the log of how much more often it occurs among qualified than disqualified leads
(Laplace-smoothed), and a team's (line of business's) own counts are shrunk towards the pool of all
teams, so a team with three closed leads borrows strength from everyone else's. Summed naive-Bayes
evidence is over-confident (attributes are not independent), so once each outcome has a handful of
leads the sum is recalibrated on out-of-fold predictions; before that it is damped by
``1/sqrt(number of attributes)``.

:func:`handover` decides between the cold-start model and :class:`~leadqual.scoring.LeadScorer` by
measuring both on the same cross-validation folds, not by a fixed count. Each candidate's figure is
the mean of its per-fold ROC-AUCs over repeated stratified folds. The ROC-AUC of the folds' pooled
predictions would not do on small data: each fold's model is trained on the other folds, so a
fold rich in qualified leads is scored by a model that saw fewer of them and gives them lower
scores. On 20 samples of 30 leads of pure noise the pooled figure averaged 0.48 (down to 0.17), and
samples with a real signal were read as worse than chance; within one fold every lead is scored by
the same model, so the per-fold figure has no such bias (on the same samples it averages 0.50).

Example:
    >>> import pandas as pd
    >>> X = pd.DataFrame({"source": ["event", "web", "event", "cold"],
    ...                   "team": ["north", "north", "south", "south"]})
    >>> m = ColdStartScorer(group="team").fit(X, [1, 0, 1, 0])
    >>> p = m.predict_proba(pd.DataFrame({"source": ["event", "cold"], "team": ["north"] * 2}))
    >>> bool(p[0, 1] > p[1, 1])
    True
"""

from __future__ import annotations

import math
from typing import Any, Self

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ConfigDict
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold

from leadqual._base import LeadqualModel
from leadqual.errors import ConfigurationError
from leadqual.scoring.features import (
    LeadClassifier,
    _as_fitted_frame,
    _is_missing,
    _looks_datetime,
    _to_utc_ns,
    as_frame,
    binary_target,
)
from leadqual.scoring.scorer import LeadScorer

__all__ = ["ColdStartScorer", "Handover", "handover"]

_MISSING = "(missing)"
_OTHER = "(unseen)"


class ColdStartScorer(LeadClassifier):
    """A smoothed naive-Bayes frequency scorer that works from one closed lead of each outcome.

    Args:
        group: the column naming the team or line of business whose counts are shrunk towards
            the pool (``None``: one pool).
        alpha: Laplace smoothing added to every count.
        group_strength: how many pooled leads a group's own counts are worth against the pool
            (higher: groups borrow more).
        bins: numeric columns are cut into at most this many quantile bins.
        calibrate: recalibrate on out-of-fold predictions once each outcome has 5 leads.
        random_state: seed of the calibration folds.
    """

    _fitted_attribute = "tables_"

    def __init__(
        self,
        *,
        group: str | None = "line_of_business",
        alpha: float = 1.0,
        group_strength: float = 10.0,
        bins: int = 4,
        calibrate: bool = True,
        random_state: int | None = 0,
    ) -> None:
        self.group = group
        self.alpha = alpha
        self.group_strength = group_strength
        self.bins = bins
        self.calibrate = calibrate
        self.random_state = random_state

    # -- encoding -------------------------------------------------------------------------

    def _keys(self, df: pd.DataFrame) -> dict[str, NDArray[np.object_]]:
        out: dict[str, NDArray[np.object_]] = {}
        for col in self.columns_:
            s = df[col] if col in df.columns else pd.Series([None] * len(df))
            edges = self.edges_.get(col)
            if edges is not None:
                v = (
                    _to_utc_ns(s)
                    if col in self.dates_
                    else pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64)
                )
                idx = np.searchsorted(edges, v, side="right")
                keys = np.where(np.isnan(v), _MISSING, np.char.add("bin", idx.astype(str)))
                out[col] = keys.astype(object)
            else:
                out[col] = np.array(
                    [_MISSING if _is_missing(x) else str(x).strip() for x in s.tolist()],
                    dtype=object,
                )
        return out

    def _groups(self, df: pd.DataFrame) -> NDArray[np.object_]:
        if self.group is None or self.group not in df.columns:
            return np.full(len(df), "", dtype=object)
        return np.array(
            ["" if _is_missing(x) else str(x).strip().casefold() for x in df[self.group].tolist()],
            dtype=object,
        )

    # -- sklearn API ----------------------------------------------------------------------

    def fit(self, X: Any, y: Any) -> Self:
        """Count attribute values per outcome (and per group)."""
        if self.alpha <= 0 or self.group_strength < 0 or self.bins < 1:
            raise ConfigurationError("alpha must be positive, group_strength >= 0, bins >= 1")
        df = as_frame(X)
        if df.shape[1] == 0:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={df.shape}) while a minimum of 1 is required."
            )
        self.classes_, yb = binary_target(y, len(df))
        self.n_features_in_ = df.shape[1]
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(df.columns, dtype=object)
        self._learn(df, yb)
        self.calibration_ = (1.0 / math.sqrt(max(1, len(self.columns_))), 0.0)
        self.calibrated_ = False
        n_min = int(min(yb.sum(), len(yb) - yb.sum()))
        if self.calibrate and n_min >= 5:
            k = min(5, n_min)
            oof = np.zeros(len(yb))
            for tr, te in StratifiedKFold(k, shuffle=True, random_state=self.random_state).split(
                np.zeros(len(yb)), yb
            ):
                part = clone(self).set_params(calibrate=False)
                part._setup(df.iloc[tr])
                part._learn(df.iloc[tr], yb[tr])
                oof[te] = part._evidence(df.iloc[te])
            platt = LogisticRegression(C=1e4).fit(oof[:, None], yb)
            a = float(platt.coef_[0, 0])
            if a > 0:
                self.calibration_ = (a, float(platt.intercept_[0]))
                self.calibrated_ = True
        return self

    def _setup(self, df: pd.DataFrame) -> None:
        self.n_features_in_ = df.shape[1]

    def _learn(self, df: pd.DataFrame, yb: NDArray[np.int64]) -> None:
        columns: list[str] = []
        edges: dict[str, NDArray[np.float64]] = {}
        dates: set[str] = set()
        for col in df.columns:
            name = str(col)
            if name == self.group:
                continue
            s = df[col]
            nn = s[s.notna()]
            # numbers held in an object column (e.g. from a mixed array) are numbers, not ids
            numeric = pd.api.types.is_numeric_dtype(s.dtype) or bool(
                len(nn) and pd.to_numeric(nn, errors="coerce").notna().all()
            )
            if (
                len(nn) >= 20
                and nn.astype(str).nunique() / len(nn) > 0.9
                and not numeric
                and not _looks_datetime(nn)
            ):
                continue  # an identifier: every lead its own level teaches nothing
            if len(nn) and _looks_datetime(nn):
                dates.add(name)
                num: pd.Series | None = pd.Series(_to_utc_ns(nn))
            elif pd.api.types.is_bool_dtype(s.dtype):
                num = None
            else:
                num = pd.to_numeric(nn, errors="coerce")
            if num is not None and len(nn) and num.notna().all() and num.nunique() > self.bins:
                qs = np.unique(
                    np.quantile(num.to_numpy(dtype=float), np.linspace(0, 1, self.bins + 1)[1:-1])
                )
                edges[name] = qs.astype(np.float64)
            columns.append(name)
        self.columns_ = tuple(columns)
        self.edges_ = edges
        self.dates_ = tuple(sorted(dates))
        keys = self._keys(df)
        groups = self._groups(df)
        a = self.alpha
        n1, n0 = int(yb.sum()), int(len(yb) - yb.sum())
        self.prior_ = (n1 + a) / (n1 + n0 + 2 * a)
        tables: dict[str, dict[str, tuple[float, float]]] = {}
        # nested by group, then level: a model file's maps are keyed by strings only
        gtables: dict[str, dict[str, dict[str, tuple[float, float]]]] = {}
        for col in self.columns_:
            k = keys[col]
            frame = pd.DataFrame({"k": k, "g": groups, "y": yb})
            levels = sorted(set(k.tolist()))
            lv = len(levels) + 1  # + the unseen level
            c1 = frame[frame.y == 1].groupby("k").size()
            c0 = frame[frame.y == 0].groupby("k").size()
            table = {
                lvl: (
                    (float(c1.get(lvl, 0)) + a) / (n1 + a * lv),
                    (float(c0.get(lvl, 0)) + a) / (n0 + a * lv),
                )
                for lvl in levels
            }
            table[_OTHER] = (a / (n1 + a * lv), a / (n0 + a * lv))
            tables[col] = table
            gcounts = frame.groupby(["g", "k", "y"]).size()
            gt: dict[str, dict[str, tuple[float, float]]] = {}
            for g in set(groups.tolist()):
                g1 = int(((groups == g) & (yb == 1)).sum())
                g0 = int(((groups == g) & (yb == 0)).sum())
                m = self.group_strength
                own = gt.setdefault(g, {})
                for lvl in levels:
                    p1, p0 = table[lvl]
                    x1 = float(gcounts.get((g, lvl, 1), 0))
                    x0 = float(gcounts.get((g, lvl, 0), 0))
                    own[lvl] = ((x1 + m * p1) / (g1 + m), (x0 + m * p0) / (g0 + m))
            gtables[col] = gt
        self.tables_ = tables
        self.group_tables_ = gtables
        gp: dict[str, float] = {}
        for g in set(groups.tolist()):
            mask = groups == g
            gn1 = float(yb[mask].sum())
            gp[g] = (gn1 + self.group_strength * self.prior_) / (mask.sum() + self.group_strength)
        self.group_prior_ = gp

    def _contributions(self, df: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        keys = self._keys(df)
        groups = self._groups(df)
        prior = np.array(
            [math.log(p / (1 - p)) for p in (self.group_prior_.get(g, self.prior_) for g in groups)]
        )
        out = np.zeros((len(df), len(self.columns_)))
        for j, col in enumerate(self.columns_):
            table, gt = self.tables_[col], self.group_tables_[col]
            for i, (k, g) in enumerate(zip(keys[col].tolist(), groups.tolist(), strict=True)):
                p1, p0 = gt.get(g, {}).get(k) or table.get(k) or table[_OTHER]
                out[i, j] = math.log(p1 / p0)
        return prior, out

    def _evidence(self, df: pd.DataFrame) -> NDArray[np.float64]:
        prior, contrib = self._contributions(df)
        base_prior = math.log(self.prior_ / (1 - self.prior_))
        # the calibration slope applies to the attribute evidence; the group's prior stays as is
        evidence: NDArray[np.float64] = contrib.sum(axis=1) + (prior - base_prior)
        return evidence

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Calibrated log-odds of qualifying."""
        self._ensure_fitted()
        df = self._align(X)
        a, b = self.calibration_
        if self.calibrated_:
            return a * self._evidence(df) + b
        # too few leads to calibrate: damped evidence on top of the group's own prior
        prior, contrib = self._contributions(df)
        damped: NDArray[np.float64] = a * contrib.sum(axis=1) + prior
        return damped

    def contributions(self, X: pd.DataFrame, /) -> pd.DataFrame:
        """Each attribute's additive push (calibrated log-odds) on each row; exact for this model."""
        self._ensure_fitted()
        _, contrib = self._contributions(self._align(X))
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(
            contrib * self.calibration_[0], columns=list(self.columns_), index=index
        )

    def _align(self, X: Any) -> pd.DataFrame:
        df = _as_fitted_frame(X, self)
        if not isinstance(X, pd.DataFrame) and hasattr(self, "feature_names_in_"):
            df = df.set_axis(list(self.feature_names_in_), axis=1)
        return df


class Handover(LeadqualModel):
    """Which scorer the measured validation chose, and the figures it chose by."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    chosen: str
    """``"cold_start"`` or ``"main"``."""
    estimator: Any
    """The chosen scorer, fitted on all rows."""
    auc: dict[str, float]
    """Each candidate's mean ROC-AUC over the same validation folds (empty with too few leads)."""
    folds: int = 0
    """How many validation folds the figures average (folds times repeats)."""
    reason: str


def handover(
    X: pd.DataFrame,
    y: Any,
    /,
    *,
    cold_start: ColdStartScorer | None = None,
    main: LeadScorer | None = None,
    cv: int = 5,
    repeats: int | None = None,
    margin: float = 0.0,
    random_state: int = 0,
) -> Handover:
    """Choose between the cold-start scorer and the main scorer by cross-validated ROC-AUC.

    With fewer than 5 leads of an outcome nothing can be measured and the cold-start scorer is
    used. Otherwise both are fitted and scored on the same stratified folds, ``cv`` of them
    repeated ``repeats`` times with other shuffles (default: enough repeats for about 200
    validation predictions, at most 10), and the main scorer takes over when its mean per-fold
    AUC beats the cold-start one by more than ``margin``.
    """
    X = as_frame(X)
    cold = cold_start if cold_start is not None else ColdStartScorer()
    main_est = main if main is not None else LeadScorer()
    yb = np.asarray(y)
    yb = (yb == np.unique(yb)[-1]).astype(np.int64)
    n_min = int(min(yb.sum(), len(yb) - yb.sum()))
    if n_min < 5:
        return Handover(
            chosen="cold_start",
            estimator=clone(cold).fit(X, yb),
            auc={},
            reason=f"only {n_min} leads of one outcome: too few to measure, cold start used",
        )
    if isinstance(cv, bool) or not isinstance(cv, int) or cv < 2:
        raise ConfigurationError(f"cv must be an integer of at least 2, not {cv!r}")
    if repeats is not None and (isinstance(repeats, bool) or not isinstance(repeats, int)):
        raise ConfigurationError(f"repeats must be a positive integer or None, not {repeats!r}")
    if repeats is not None and repeats < 1:
        raise ConfigurationError(f"repeats must be a positive integer or None, not {repeats!r}")
    k = min(cv, n_min)
    n_rep = repeats if repeats is not None else max(1, min(10, math.ceil(200 / len(yb))))
    splits = RepeatedStratifiedKFold(n_splits=k, n_repeats=n_rep, random_state=random_state)
    per_fold: dict[str, list[float]] = {"cold_start": [], "main": []}
    for tr, te in splits.split(np.zeros(len(yb)), yb):
        for name, est in (("cold_start", cold), ("main", main_est)):
            m = clone(est).fit(X.iloc[tr], yb[tr])
            per_fold[name].append(float(roc_auc_score(yb[te], m.predict_proba(X.iloc[te])[:, 1])))
    auc = {name: round(float(np.mean(v)), 4) for name, v in per_fold.items()}
    folds = k * n_rep
    if auc["main"] > auc["cold_start"] + margin:
        chosen, est = "main", main_est
        reason = f"main model measured better ({auc['main']:.3f} vs {auc['cold_start']:.3f})"
    else:
        chosen, est = "cold_start", cold
        reason = f"cold start still measures as well ({auc['cold_start']:.3f} vs {auc['main']:.3f})"
    return Handover(
        chosen=chosen, estimator=clone(est).fit(X, yb), auc=auc, folds=folds, reason=reason
    )
