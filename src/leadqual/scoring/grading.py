"""Scores, grades, factors and trends: what a seller sees for one lead.

Example:
    >>> scheme = GradeScheme()
    >>> scheme.grade(81), scheme.grade(50), scheme.grade(3)
    ('A', 'B', 'D')
    >>> score_trend(64, previous=71)
    ('down', -7)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal, Self

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from leadqual._base import LeadqualModel
from leadqual._html import block, grid, kv
from leadqual.errors import ValidationFailed

__all__ = [
    "Factor",
    "external_score",
    "GradeScheme",
    "LeadScore",
    "ScoreTrend",
    "WhatIf",
    "score_trend",
]

ScoreTrend = Literal["new", "up", "down", "steady"]
"""How a score moved since the lead's previous score."""


class GradeScheme(LeadqualModel):
    """Score cut-offs that group scores into grades; the admin configures them.

    ``cutoffs[i]`` is the lowest score of ``labels[i]``; the last label takes every score below
    the last cut-off. The default is four buckets: A from 75, B from 50, C from 25, D below.

    Example:
        >>> GradeScheme(labels=("Hot", "Warm", "Cold"), cutoffs=(70, 40)).grade(55)
        'Warm'
    """

    model_config = ConfigDict(frozen=True)

    labels: tuple[str, ...] = ("A", "B", "C", "D")
    cutoffs: tuple[Annotated[float, Field(ge=0, le=100)], ...] = (75.0, 50.0, 25.0)
    """Lowest score of each label but the last, highest first."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(self.labels) < 2:
            raise ValueError("a grade scheme needs at least two labels")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("grade labels must be unique")
        if len(self.cutoffs) != len(self.labels) - 1:
            raise ValueError(
                f"{len(self.labels)} labels need {len(self.labels) - 1} cutoffs, "
                f"got {len(self.cutoffs)}"
            )
        if any(a <= b for a, b in zip(self.cutoffs, self.cutoffs[1:], strict=False)):
            raise ValueError("cutoffs must be strictly decreasing (highest grade first)")
        return self

    def grade(self, score: float, /) -> str:
        """The label of ``score`` (0-100).

        Raises:
            ValidationFailed: ``score`` is not a number, or is NaN.
        """
        if (
            isinstance(score, bool)
            or not isinstance(score, int | float | np.integer | np.floating)
            or score != score  # NaN would fall through every cutoff to the lowest grade
        ):
            raise ValidationFailed(
                f"score must be a number from 0 to 100, got {score!r:.40}", field="score"
            )
        for label, cut in zip(self.labels, self.cutoffs, strict=False):
            if score >= cut:
                return label
        return self.labels[-1]

    def grade_many(self, scores: Sequence[float] | np.ndarray, /) -> list[str]:
        """Labels of many scores at once."""
        arr = np.asarray(scores, dtype=np.float64)
        cuts = np.asarray(self.cutoffs, dtype=np.float64)
        # index = how many cutoffs the score is below
        idx = (arr[:, None] < cuts[None, :]).sum(axis=1)
        return [self.labels[i] for i in idx]

    @classmethod
    def from_quantiles(
        cls,
        scores: Sequence[float] | np.ndarray,
        /,
        *,
        labels: Sequence[str] = ("A", "B", "C", "D"),
    ) -> Self:
        """Cut-offs that split ``scores`` (e.g. last quarter's) into equally sized grades."""
        arr = np.asarray(scores, dtype=np.float64)
        if arr.size == 0:
            raise ValueError("from_quantiles needs at least one score")
        k = len(labels)
        qs = np.quantile(arr, [1 - (i + 1) / k for i in range(k - 1)])
        cuts: list[float] = []
        for q in qs:
            c = float(np.clip(np.round(q, 1), 0, 100))
            if cuts and c >= cuts[-1]:
                c = round(cuts[-1] - 0.1, 1)
            cuts.append(max(c, 0.0))
        return cls(labels=tuple(labels), cutoffs=tuple(cuts))


class Factor(LeadqualModel):
    """One attribute's push on a lead's score, against the typical lead's value."""

    model_config = ConfigDict(frozen=True)

    column: str
    value: str
    """The lead's value, as shown to a seller (``"(missing)"`` when empty)."""
    typical: str
    """The training set's typical value this attribute is compared with."""
    effect: float
    """Change in the model's log-odds when the attribute is reset to ``typical`` (sign: direction)."""
    points: float
    """The same change in score points (0-100 scale)."""


class WhatIf(LeadqualModel):
    """A counterfactual: the score the lead would get with one attribute changed."""

    model_config = ConfigDict(frozen=True)

    column: str
    current: str
    suggested: str
    new_score: Annotated[int, Field(ge=0, le=100)]
    gain: int
    """Score points gained (new minus current score)."""


class LeadScore(LeadqualModel):
    """The predictive score of one lead, with its grade, reasons and trend."""

    model_config = ConfigDict(frozen=True)

    lead_id: str | None = None
    score: Annotated[int, Field(ge=0, le=100)]
    """0-100: the calibrated probability of qualifying, in percent."""
    probability: Annotated[float, Field(ge=0, le=1)]
    grade: str
    factors_up: tuple[Factor, ...] = ()
    """Attributes pushing the score up, strongest first."""
    factors_down: tuple[Factor, ...] = ()
    """Attributes pushing the score down, strongest first."""
    trend: ScoreTrend = "new"
    previous_score: int | None = None
    change: int | None = None
    """Score minus ``previous_score``."""
    band: tuple[int, int] | None = None
    """Lowest and highest score the cross-validation models give (an uncertainty band)."""
    what_if: tuple[WhatIf, ...] = ()
    model: str = ""
    """Which model scored the lead (kind and line of business)."""
    extrapolated: bool = False
    """The lead lies beyond the training range of a numeric attribute the model relies on, so its
    score continues the linear model's trend (see ``LeadScorer(extrapolation=...)``)."""

    def summary(self) -> str:
        """One line a seller can read: score, grade, trend and the strongest reasons."""
        trend = {
            "new": "new",
            "up": f"up {self.change}",
            "down": f"down {-(self.change or 0)}",
        }.get(self.trend, "steady")
        ups = ", ".join(f"{f.column}={f.value}" for f in self.factors_up[:2])
        downs = ", ".join(f"{f.column}={f.value}" for f in self.factors_down[:2])
        band = f" [{self.band[0]}-{self.band[1]}]" if self.band else ""
        return (
            f"{self.score}{band} {self.grade} ({trend})"
            + (f"  up: {ups}" if ups else "")
            + (f"  down: {downs}" if downs else "")
        )

    def _repr_html_(self) -> str:
        """The score as a small table in a notebook, with the factors behind it."""
        band = f"{self.band[0]}-{self.band[1]}" if self.band else None
        change = None if self.change is None else f"{self.change:+d}"
        rows: list[tuple[object, object]] = [
            ("score", f"{self.score} ({self.grade})"),
            ("probability", f"{self.probability:.1%}"),
            ("trend", self.trend if change is None else f"{self.trend} ({change})"),
            ("band", band),
            ("model", self.model or None),
            ("extrapolated", "yes: beyond the training range" if self.extrapolated else None),
        ]
        head = kv((k, v) for k, v in rows if v is not None)
        factors = [("up", f) for f in self.factors_up] + [("down", f) for f in self.factors_down]
        parts = [head]
        if factors:
            parts.append(
                grid(
                    ("", "attribute", "value", "typical", "points"),
                    [(d, f.column, f.value, f.typical, f"{f.points:+.1f}") for d, f in factors],
                )
            )
        if self.what_if:
            parts.append(
                grid(
                    ("what if", "now", "instead", "new score", "gain"),
                    [
                        (w.column, w.current, w.suggested, w.new_score, f"{w.gain:+d}")
                        for w in self.what_if
                    ],
                )
            )
        return block(f"Lead score {self.lead_id or ''}".strip(), *parts)


def score_trend(
    score: int, /, *, previous: int | None, tolerance: int = 2
) -> tuple[ScoreTrend, int | None]:
    """The trend of ``score`` against ``previous``: ``new`` without one, ``steady`` within tolerance.

    Returns:
        The trend and the change in points (``None`` for a new score).
    """
    if previous is None:
        return "new", None
    change = int(score) - int(previous)
    if abs(change) <= tolerance:
        return "steady", change
    return ("up" if change > 0 else "down"), change


def external_score(
    probability: float,
    /,
    *,
    lead_id: str | None = None,
    grades: GradeScheme | None = None,
    previous_score: int | None = None,
    factors_up: tuple[Factor, ...] = (),
    factors_down: tuple[Factor, ...] = (),
    model: str = "external",
) -> LeadScore:
    """A :class:`LeadScore` from an outside model's probability (bring your own model).

    The score, grade and trend follow the same rules as leadqual's own scores, so the rest of the
    agent (prioritisation, insights) treats both alike.

    Example:
        >>> external_score(0.82, lead_id="L-1", previous_score=70).summary()
        '82 A (up 12)'
    """
    if not 0.0 <= probability <= 1.0:
        raise ValidationFailed(
            f"probability must be between 0 and 1, got {probability}", field="probability"
        )
    score = round(probability * 100)
    trend, change = score_trend(score, previous=previous_score)
    return LeadScore(
        lead_id=lead_id,
        score=score,
        probability=probability,
        grade=(grades or GradeScheme()).grade(score),
        factors_up=factors_up,
        factors_down=factors_down,
        trend=trend,
        previous_score=previous_score,
        change=change,
        model=model,
    )
