"""Drift monitoring: are today's open leads still like the leads the model learned from?

The population stability index (PSI) compares two distributions over the same bins:
``sum((a - e) * ln(a / e))`` over bins, with ``e`` the training share and ``a`` the current share.
The usual reading, used here: below 0.1 stable, 0.1-0.25 moderate shift, above 0.25 major shift.
Numeric columns are binned at the training deciles; categorical columns by level (levels unseen in
training form their own bin).

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> round(population_stability(rng.normal(size=2000), rng.normal(size=2000)), 2) < 0.1
    True
    >>> population_stability(rng.normal(size=2000), rng.normal(1.0, size=2000)) > 0.25
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import ConfigDict

from leadqual._base import LeadqualModel
from leadqual.errors import ValidationFailed
from leadqual.scoring.scorer import LeadScorer

__all__ = [
    "EXTRAPOLATED_RETRAIN_SHARE",
    "ColumnDrift",
    "DriftReport",
    "check_drift",
    "population_stability",
]

EXTRAPOLATED_RETRAIN_SHARE = 0.1
"""From this share of current leads beyond the training range, retraining is recommended: the
model then scores one lead in ten by extrapolating rather than from leads like it."""

DriftLevel = Literal["stable", "moderate", "major"]
_EPS = 1e-4


def _level(psi: float) -> DriftLevel:
    return "stable" if psi < 0.1 else ("moderate" if psi < 0.25 else "major")


def population_stability(
    expected: Sequence[Any] | np.ndarray | pd.Series,
    actual: Sequence[Any] | np.ndarray | pd.Series,
    /,
    *,
    bins: int = 10,
) -> float:
    """PSI of ``actual`` against ``expected`` (numbers: decile bins; anything else: levels)."""
    e = pd.Series(expected)
    a = pd.Series(actual)
    if not len(e) or not len(a):
        # an empty side would read as the largest possible shift
        which = "expected" if not len(e) else "actual"
        raise ValidationFailed(f"population_stability: {which} has no values", field=which)
    e_num = pd.to_numeric(e, errors="coerce")
    a_num = pd.to_numeric(a, errors="coerce")
    numeric = e_num.notna().sum() >= 0.9 * e.notna().sum() and e_num.nunique() > bins
    if numeric:
        edges = np.unique(np.nanquantile(e_num.to_numpy(dtype=float), np.linspace(0, 1, bins + 1)))
        edges[0], edges[-1] = -np.inf, np.inf

        def shares(v: pd.Series) -> np.ndarray:
            arr = v.to_numpy(dtype=float)
            counts = np.histogram(arr[~np.isnan(arr)], bins=edges)[0].astype(float)
            counts = np.append(counts, np.isnan(arr).sum())  # missing is a bin of its own
            out: np.ndarray = counts / max(1.0, float(counts.sum()))
            return out

        pe, pa = shares(e_num), shares(a_num)
    else:
        ek = e.astype(object).where(e.notna(), "(missing)").astype(str)
        ak = a.astype(object).where(a.notna(), "(missing)").astype(str)
        levels = sorted(set(ek) | set(ak))
        pe = ek.value_counts(normalize=True).reindex(levels, fill_value=0).to_numpy(dtype=float)
        pa = ak.value_counts(normalize=True).reindex(levels, fill_value=0).to_numpy(dtype=float)
    pe = np.clip(pe, _EPS, None)
    pa = np.clip(pa, _EPS, None)
    return float(np.sum((pa - pe) * np.log(pa / pe)))


class ColumnDrift(LeadqualModel):
    """How far one input column (or the score) has moved since training."""

    model_config = ConfigDict(frozen=True)

    column: str
    psi: float
    level: DriftLevel
    importance: float | None = None
    """The column's mean absolute effect in the model (how much its drift matters)."""


class DriftReport(LeadqualModel):
    """Input and score drift between the training leads and current open leads."""

    model_config = ConfigDict(frozen=True)

    score: ColumnDrift
    columns: tuple[ColumnDrift, ...]
    """Used columns, most drifted first."""
    retrain: bool
    reason: str
    """Why retraining is (or is not) recommended."""
    extrapolated_share: float = 0.0
    """Share of current leads past the training range of an attribute the model relies on
    (scored partly by the linear trend; see ``LeadScorer(extrapolation=...)``)."""


def check_drift(
    scorer: LeadScorer,
    X_train: pd.DataFrame,
    X_current: pd.DataFrame,
    /,
    *,
    important_share: float = 0.8,
) -> DriftReport:
    """Compare training leads with current ones and recommend retraining or not.

    Retraining is recommended when the score distribution shifted majorly (PSI above 0.25), when
    a column carrying much of the model's weight (among those making up ``important_share`` of
    total importance) shifted majorly, or when at least :data:`EXTRAPOLATED_RETRAIN_SHARE` of the
    current leads lie beyond the training range of an attribute the model relies on.
    """
    scorer._ensure_fitted()
    for name, frame in (("X_train", X_train), ("X_current", X_current)):
        if not len(frame):
            raise ValidationFailed(f"check_drift: {name} has no leads to compare", field=name)
    importances = scorer.importances(
        X_train if len(X_train) <= 2000 else X_train.sample(2000, random_state=0)
    )
    total = sum(importances.values()) or 1.0
    important: set[str] = set()
    running = 0.0
    for col, imp in importances.items():
        if running >= important_share * total:
            break
        important.add(col)
        running += imp
    cols = []
    for col in scorer.featurizer_.block_columns_:
        if col not in X_current.columns:
            continue
        psi = population_stability(X_train[col], X_current[col])
        cols.append(
            ColumnDrift(
                column=col,
                psi=round(psi, 4),
                level=_level(psi),
                importance=round(importances.get(col, 0.0), 4),
            )
        )
    cols.sort(key=lambda c: -c.psi)
    s_train = scorer.predict_proba(X_train)[:, 1]
    now = scorer.score_frame(X_current)
    s_now = now["probability"].to_numpy()
    beyond = float(now["extrapolated"].mean())
    psi_s = population_stability(s_train, s_now)
    score = ColumnDrift(column="score", psi=round(psi_s, 4), level=_level(psi_s))
    majors = [c.column for c in cols if c.level == "major" and c.column in important]
    # every reason that holds is named: a shifted score with leads past the training range
    # says more than the shift alone
    reasons: list[str] = []
    if score.level == "major":
        reasons.append(f"the score distribution shifted (PSI {psi_s:.2f} > 0.25)")
    if majors:
        reasons.append(f"important attributes shifted: {', '.join(majors)} (PSI > 0.25)")
    if beyond >= EXTRAPOLATED_RETRAIN_SHARE:
        reasons.append(
            f"{beyond:.0%} of current leads lie beyond the training range of an attribute the "
            "model relies on"
        )
    retrain = bool(reasons)
    reason = "; ".join(reasons) or "inputs and scores are stable enough" + (
        f"; watch {', '.join(c.column for c in cols if c.level != 'stable')}"
        if any(c.level != "stable" for c in cols)
        else ""
    )
    return DriftReport(
        score=score,
        columns=tuple(cols),
        retrain=retrain,
        reason=reason,
        extrapolated_share=round(beyond, 4),
    )
