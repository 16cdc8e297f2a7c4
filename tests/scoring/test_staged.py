"""Per-stage opportunity models: trained on the opportunities that reached each stage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from leadqual.errors import (
    ConfigurationError,
    InsufficientTrainingData,
    NotFittedError,
    NotScorable,
    ValidationFailed,
)
from leadqual.models import Opportunity, OpportunityStatus
from leadqual.scoring import OpportunityScorer
from leadqual.scoring.staged import StagedOpportunityScorer, train_staged_opportunity_scorer
from leadqual.sources import MemorySource

STAGES = ["Qualify", "Develop", "Propose", "Close"]
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def _pipeline(n: int = 900, seed: int = 0) -> list[Opportunity]:
    """Closed opportunities moving through the stages; a good ``fit`` keeps them moving."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        fit = float(rng.normal())
        stage = 0
        # each step forward is likelier with a better fit; losing at any step ends the deal
        while stage < 3 and rng.random() < 1 / (1 + np.exp(-(0.4 + 1.2 * fit))):
            stage += 1
        won = stage == 3 and rng.random() < 0.9
        created = AS_OF - timedelta(days=int(rng.integers(60, 300)))
        out.append(
            Opportunity(
                id=f"O-{i:04d}",
                name=f"Deal {i}",
                status=OpportunityStatus.WON if won else OpportunityStatus.LOST,
                stage=STAGES[stage] if i % 50 else None,  # a few without a recorded stage
                estimated_value=float(rng.integers(5, 100)) * 1000,
                created_at=created,
                close_date=created + timedelta(days=40),
                custom_fields={"fit": round(fit, 3)},
            )
        )
    return out


@pytest.fixture(scope="module")
def staged() -> tuple[StagedOpportunityScorer, MemorySource]:
    source = MemorySource(opportunities=_pipeline())
    scorer = train_staged_opportunity_scorer(
        source, now=AS_OF, stages=STAGES, months=24, scorer=OpportunityScorer(model="linear")
    )
    return scorer, source


def test_each_stage_with_enough_outcomes_gets_its_own_model(
    staged: tuple[StagedOpportunityScorer, MemorySource],
) -> None:
    scorer, _ = staged
    summary = scorer.stage_summary_
    assert list(summary) == STAGES
    # won deals reached every stage, so each later stage holds fewer lost ones
    lost = [summary[s].lost for s in STAGES]
    assert lost == sorted(lost, reverse=True)
    assert all(summary[s].won == summary["Qualify"].won for s in STAGES)
    assert summary["Qualify"].model == "own"
    # few deals are lost in the last stage: that stage falls back, and says why
    assert summary["Close"].model == "all stages"
    assert "40 of each" in summary["Close"].reason
    assert set(scorer.stage_models_) == {s for s in STAGES if summary[s].model == "own"}


def test_a_later_stage_scores_the_same_deal_higher(
    staged: tuple[StagedOpportunityScorer, MemorySource],
) -> None:
    scorer, _ = staged
    base = {
        "id": "O-open",
        "name": "Open deal",
        "estimated_value": 40_000.0,
        "created_at": AS_OF - timedelta(days=10),
        "custom_fields": {"fit": 0.0},
    }
    scores = {
        stage: scorer.score_opportunity(Opportunity(**base, stage=stage), now=AS_OF)
        for stage in ("Qualify", "Develop", "Propose")
    }
    # a deal that survived more stages is likelier to close: the stage models know, one
    # model of every stage cannot
    assert scores["Qualify"].score < scores["Develop"].score < scores["Propose"].score
    assert scores["Propose"].model.endswith("(stage Propose)")
    overall = scorer.overall_.score_opportunity(Opportunity(**base, stage="Propose"), now=AS_OF)
    assert overall.score < scores["Propose"].score


def test_unknown_and_missing_stages_use_the_all_stage_model(
    staged: tuple[StagedOpportunityScorer, MemorySource],
) -> None:
    scorer, _ = staged
    assert scorer.model_for(None) is scorer.overall_
    assert scorer.model_for("Negotiate") is scorer.overall_
    assert scorer.model_for("Close") is scorer.overall_  # no model of its own
    assert scorer.model_for("  develop ") is scorer.stage_models_["Develop"]


def test_batch_scores_match_single_scores_and_name_the_model(
    staged: tuple[StagedOpportunityScorer, MemorySource],
) -> None:
    scorer, source = staged
    opps = [
        Opportunity(
            id=f"O-new-{i}",
            name="New",
            stage=stage,
            estimated_value=20_000.0 + i,
            created_at=AS_OF - timedelta(days=5),
            custom_fields={"fit": 0.1 * i},
        )
        for i, stage in enumerate(["Propose", "Qualify", None, "Close", "Develop"])
    ]
    closed = Opportunity(
        id="O-closed",
        name="Old",
        status=OpportunityStatus.WON,
        created_at=AS_OF - timedelta(days=50),
    )
    batch = scorer.score_opportunities([*opps, closed], source=source)
    assert list(batch.index) == [o.id for o in opps]
    assert batch["model"].tolist() == [
        "stage Propose",
        "stage Qualify",
        "all stages",
        "all stages",
        "stage Develop",
    ]
    for o in opps:
        assert batch.loc[o.id, "score"] == scorer.score_opportunity(o, now=AS_OF).score
    with pytest.raises(NotScorable):
        scorer.score_opportunity(closed, now=AS_OF)
    assert scorer.score_opportunities([], source=source).empty


def test_fit_checks_its_inputs() -> None:
    X = pd.DataFrame({"v": [1.0, 2.0] * 50})
    y = [0, 1] * 50
    staged = StagedOpportunityScorer(STAGES, min_per_class=5)
    with pytest.raises(ValidationFailed, match="must match"):
        staged.fit(X, y, reached=["Qualify"] * 99)
    with pytest.raises(ValidationFailed, match="Negotiate"):
        staged.fit(X, y, reached=["Negotiate"] * 100)
    with pytest.raises(NotFittedError):
        staged.model_for("Qualify")


@pytest.mark.parametrize(
    ("stages", "message"),
    [("Qualify", "list"), ([], "list"), (["a", " "], "non-empty"), (["a", "A "], "distinct")],
)
def test_stage_list_is_validated(stages: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        StagedOpportunityScorer(stages)  # type: ignore[arg-type]


def test_training_from_a_thin_crm_says_how_many_were_found() -> None:
    source = MemorySource(opportunities=_pipeline(n=60, seed=3))
    with pytest.raises(InsufficientTrainingData) as info:
        train_staged_opportunity_scorer(source, now=AS_OF, stages=STAGES, months=24)
    assert info.value.needed == 40


def test_won_rows_may_end_in_a_stage_outside_the_process() -> None:
    # CRMs commonly close a won deal in "Closed Won": a won row reached every stage whatever its
    # stage says, so it must not be refused as an unknown stage
    X = pd.DataFrame({"v": np.arange(100.0)})
    y = [0, 1] * 50
    reached = ["Qualify", "Closed Won"] * 50
    staged = StagedOpportunityScorer(
        STAGES, min_per_class=5, scorer=OpportunityScorer(model="linear")
    ).fit(X, y, reached=reached)
    assert staged.stage_summary_["Qualify"].won == 50
    assert staged.stage_summary_["Qualify"].lost == 50
    assert staged.stage_summary_["Close"].won == 50
    assert staged.stage_summary_["Close"].lost == 0
    with pytest.raises(ValidationFailed, match="Closed Lost"):
        staged.fit(X, y, reached=["Closed Lost", "Closed Won"] * 50)
