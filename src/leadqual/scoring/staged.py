"""One opportunity model per sales stage: :class:`StagedOpportunityScorer`.

An opportunity in "propose" has already survived "qualify" and "develop": its chances are those of
the opportunities that got as far, not of all opportunities. The per-stage model for a stage is
trained on the closed opportunities that *reached* it, so its probabilities are conditional on
having got there, and the attributes that separate won from lost may differ by stage.

How far a closed opportunity got is read from its ``stage`` (the stage it was in when it closed)
and the sales process's stage order: a lost opportunity that closed in "propose" reached
"qualify", "develop" and "propose". A won opportunity reached every stage, whatever its ``stage``
says. A caller whose process is not a straight line, or who keeps a stage history, passes
``reached=`` explicitly. A stage with fewer than ``min_per_class`` won or lost opportunities gets
no model of its own; its opportunities are scored by the model of every stage, and
:attr:`StagedOpportunityScorer.stage_summary_` says so.

Example:
    >>> import pandas as pd
    >>> X = pd.DataFrame({"estimated_value": [10_000, 90_000] * 60})
    >>> y = [0, 1] * 60
    >>> reached = ["qualify", "close"] * 30 + ["propose", "close"] * 30
    >>> staged = StagedOpportunityScorer(["qualify", "propose", "close"], min_per_class=10)
    >>> staged = staged.fit(X, y, reached=reached)
    >>> sorted(staged.stage_models_)
    ['propose', 'qualify']
    >>> staged.stage_summary_["close"].model
    'all stages'
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Self, Unpack

import numpy as np
import pandas as pd
from pydantic import ConfigDict
from sklearn.base import clone

from leadqual._base import LeadqualModel
from leadqual._compat import renamed_kwarg
from leadqual.errors import ConfigurationError, NotFittedError, ValidationFailed
from leadqual.models import Account, Opportunity, OpportunityStatus
from leadqual.scoring.grading import LeadScore
from leadqual.scoring.opportunity import (
    OpportunityScorer,
    build_opportunity_training_set,
    opportunities_frame,
)
from leadqual.scoring.scorer import ScoreOptions
from leadqual.scoring.training import MIN_PER_CLASS
from leadqual.sources.base import CrmSource

__all__ = ["StageModel", "StagedOpportunityScorer", "train_staged_opportunity_scorer"]


class StageModel(LeadqualModel):
    """What was trained for one sales stage."""

    model_config = ConfigDict(frozen=True)

    stage: str
    won: int
    """Won opportunities that reached the stage."""
    lost: int
    """Lost opportunities that reached the stage."""
    model: str
    """``"own"`` (a model of its own) or ``"all stages"`` (too few; the overall model scores it)."""
    reason: str = ""


def _key(stage: str | None) -> str | None:
    return stage.strip().casefold() if isinstance(stage, str) and stage.strip() else None


class StagedOpportunityScorer:
    """Per-stage :class:`~leadqual.scoring.OpportunityScorer` models, with an all-stage fallback.

    Args:
        stages: the sales process's stages in order, e.g. ``["qualify", "develop", "propose",
            "close"]`` (matched without regard to case or surrounding spaces).
        min_per_class: won and lost opportunities a stage needs for a model of its own.
        scorer: the model to train for each stage and for all of them (cloned; default
            ``OpportunityScorer()``).

    Attributes (after ``fit``):
        overall_: the all-stage model, trained on every row.
        stage_models_: stage name to its own model, for the stages with enough outcomes.
        stage_summary_: stage name to a :class:`StageModel` (counts, and which model scores it).
    """

    def __init__(
        self,
        stages: Sequence[str],
        /,
        *,
        min_per_class: int = MIN_PER_CLASS,
        scorer: OpportunityScorer | None = None,
    ) -> None:
        if isinstance(stages, str) or not stages:
            raise ConfigurationError("stages must be a non-empty list of stage names, in order")
        keys = [_key(s) for s in stages]
        if any(k is None for k in keys):
            raise ConfigurationError("stage names must be non-empty strings")
        if len(set(keys)) != len(keys):
            raise ConfigurationError(f"stage names must be distinct: {list(stages)}")
        if (
            isinstance(min_per_class, bool)
            or not isinstance(min_per_class, int)
            or min_per_class < 1
        ):
            raise ConfigurationError(
                f"min_per_class must be a positive integer, not {min_per_class!r}"
            )
        self.stages = tuple(str(s).strip() for s in stages)
        self._rank = {k: i for i, k in enumerate(keys) if k is not None}
        self.min_per_class = min_per_class
        self.scorer = scorer if scorer is not None else OpportunityScorer()

    def fit(self, X: pd.DataFrame, y: Any, /, *, reached: Sequence[str | None]) -> Self:
        """Train the all-stage model on every row and one model per stage with enough data.

        Args:
            X: opportunity attributes (one row per closed opportunity).
            y: 1 won, 0 lost.
            reached: for each row, the furthest stage the opportunity reached (for a closed one,
                the stage it closed in); ``None`` when unknown, which puts the row in the
                all-stage model only. Won rows count as having reached every stage.

        Raises:
            ValidationFailed: ``reached`` does not match ``X``, or names a stage not in ``stages``
                for a lost row (a won row's stage is not read).
        """
        y_arr = np.asarray(y)
        if len(reached) != len(X) or len(y_arr) != len(X):
            raise ValidationFailed(
                f"X has {len(X)} rows, y {len(y_arr)} and reached {len(reached)}: they must match",
                field="reached",
            )
        won = y_arr == 1
        # a won row reached every stage whatever it says (a CRM often ends it in "Closed Won"),
        # so only a lost row's stage has to be one of the process's
        unknown = sorted(
            {
                str(r)
                for r, w in zip(reached, won, strict=True)
                if not w and _key(r) is not None and _key(r) not in self._rank
            }
        )
        if unknown:
            raise ValidationFailed(
                f"reached names stages not in the process {list(self.stages)}: {unknown[:5]}",
                field="reached",
            )
        last = len(self.stages) - 1
        depth = np.array(
            [
                last if w else (self._rank[k] if (k := _key(r)) is not None else -1)
                for r, w in zip(reached, won, strict=True)
            ]
        )
        self.overall_: OpportunityScorer = clone(self.scorer).fit(X, y_arr)
        models: dict[str, OpportunityScorer] = {}
        summary: dict[str, StageModel] = {}
        for i, stage in enumerate(self.stages):
            rows = depth >= i
            n_won = int(won[rows].sum())
            n_lost = int(rows.sum()) - n_won
            if n_won < self.min_per_class or n_lost < self.min_per_class:
                summary[stage] = StageModel(
                    stage=stage,
                    won=n_won,
                    lost=n_lost,
                    model="all stages",
                    reason=(
                        f"{n_won} won and {n_lost} lost reached it; {self.min_per_class} of each "
                        "are needed for a model of its own"
                    ),
                )
                continue
            models[stage] = clone(self.scorer).fit(X.loc[rows], y_arr[rows])
            summary[stage] = StageModel(stage=stage, won=n_won, lost=n_lost, model="own")
        self.stage_models_ = models
        self.stage_summary_ = summary
        return self

    def model_for(self, stage: str | None, /) -> OpportunityScorer:
        """The model that scores opportunities in ``stage``: its own, or the all-stage model."""
        self._ensure_fitted()
        name = self._own_stage(stage)
        return self.overall_ if name is None else self.stage_models_[name]

    def _own_stage(self, stage: str | None) -> str | None:
        """The process's name for ``stage`` when it has a model of its own, else ``None``."""
        k = _key(stage)
        name = self.stages[self._rank[k]] if k is not None and k in self._rank else None
        return name if name in self.stage_models_ else None

    def _label(self, stage: str | None) -> str:
        name = self._own_stage(stage)
        return "all stages" if name is None else f"stage {name}"

    @renamed_kwarg("as_of", "now")
    def score_opportunity(
        self,
        opportunity: Opportunity,
        /,
        *,
        now: datetime | None = None,
        account: Account | None = None,
        **options: Unpack[ScoreOptions],
    ) -> LeadScore:
        """Score an open opportunity with its stage's model (``model`` in the result names it);
        arguments as :meth:`OpportunityScorer.score_opportunity`.

        Raises:
            NotScorable: as :meth:`OpportunityScorer.score_opportunity`.
        """
        scorer = self.model_for(opportunity.stage)
        result = scorer.score_opportunity(opportunity, now=now, account=account, **options)
        return result.replace(model=f"{result.model} ({self._label(opportunity.stage)})")

    def score_opportunities(
        self, opportunities: Sequence[Opportunity], /, *, source: CrmSource
    ) -> pd.DataFrame:
        """Batch scores of the open opportunities, each by its stage's model, indexed by id.

        Columns as :meth:`LeadScorer.score_frame`, plus ``model`` (``"stage propose"`` or
        ``"all stages"``).
        """
        self._ensure_fitted()
        open_opps = [o for o in opportunities if o.status is OpportunityStatus.OPEN]
        frames = []
        by_label: dict[str, list[Opportunity]] = {}
        for o in open_opps:
            by_label.setdefault(self._label(o.stage), []).append(o)
        for label, group in by_label.items():
            scorer = self.model_for(group[0].stage)
            frame = scorer.score_table(opportunities_frame(group, source=source))
            frame["model"] = label
            frames.append(frame)
        if not frames:
            return pd.DataFrame(
                {"probability": [], "score": [], "grade": [], "extrapolated": [], "model": []},
                index=pd.Index([], name="opportunity_id"),
            )
        return pd.concat(frames).reindex([o.id for o in open_opps])

    def _ensure_fitted(self) -> None:
        if not hasattr(self, "overall_"):
            raise NotFittedError(
                "This StagedOpportunityScorer is not fitted yet: call fit, or train it with "
                "train_staged_opportunity_scorer"
            )


@renamed_kwarg("as_of", "now")
def train_staged_opportunity_scorer(
    source: CrmSource,
    /,
    *,
    now: datetime | None = None,
    stages: Sequence[str],
    months: int = 12,
    line_of_business: str | None = None,
    min_per_class: int = MIN_PER_CLASS,
    scorer: OpportunityScorer | None = None,
) -> StagedOpportunityScorer:
    """Per-stage models from the won and lost opportunities closed in the window.

    The all-stage model needs ``min_per_class`` won and lost opportunities (as
    :func:`~leadqual.scoring.build_opportunity_training_set`); each stage gets a model of its own
    when as many reached it. A closed opportunity's ``stage`` is read as the furthest it got.

    Raises:
        InsufficientTrainingData: too few won or lost opportunities in the window overall.
    """
    ts = build_opportunity_training_set(
        source,
        now=now,
        months=months,
        line_of_business=line_of_business,
        min_per_class=min_per_class,
    )
    reached = [source.get_opportunity(str(i)).stage for i in ts.X.index]
    staged = StagedOpportunityScorer(stages, min_per_class=min_per_class, scorer=scorer)
    return staged.fit(ts.X, ts.y, reached=reached)
