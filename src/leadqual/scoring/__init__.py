"""Predictive lead scoring: train on closed leads, score open ones, explain every score.

See docs/scoring.md for a tour. The core is :class:`LeadScorer` (a scikit-learn classifier) and
:class:`LeadFeaturizer` (its feature preparation); :func:`train_from_crm` trains from a CRM source
with the training-window rules, :class:`ModelRegistry` publishes one model per line of business.
"""

from leadqual.scoring.coldstart import ColdStartScorer, Handover, handover
from leadqual.scoring.crm import TrainedModel, train_from_crm
from leadqual.scoring.drift import ColumnDrift, DriftReport, check_drift, population_stability
from leadqual.scoring.features import FeatureDecision, LeadFeaturizer
from leadqual.scoring.grading import (
    Factor,
    GradeScheme,
    LeadScore,
    WhatIf,
    external_score,
    score_trend,
)
from leadqual.scoring.opportunity import (
    OpportunityScorer,
    build_opportunity_training_set,
    opportunity_features,
)
from leadqual.scoring.records import lead_record, leads_frame
from leadqual.scoring.refresh import due_for_scoring
from leadqual.scoring.registry import (
    IncompatibleModelError,
    ModelFileError,
    ModelIntegrityError,
    ModelRegistry,
    load_model,
    save_model,
)
from leadqual.scoring.report import ModelReport, evaluate
from leadqual.scoring.scorer import LeadScorer
from leadqual.scoring.staged import (
    StagedOpportunityScorer,
    StageModel,
    train_staged_opportunity_scorer,
)
from leadqual.scoring.training import (
    LeakageFinding,
    LeakageWarning,
    TrainingSet,
    build_training_set,
    check_scorable,
    closed_leads,
    find_leakage,
)

__all__ = [
    "ColdStartScorer",
    "ColumnDrift",
    "DriftReport",
    "Factor",
    "FeatureDecision",
    "GradeScheme",
    "Handover",
    "IncompatibleModelError",
    "LeadFeaturizer",
    "LeadScore",
    "LeadScorer",
    "LeakageFinding",
    "LeakageWarning",
    "ModelFileError",
    "ModelIntegrityError",
    "ModelRegistry",
    "ModelReport",
    "OpportunityScorer",
    "StageModel",
    "StagedOpportunityScorer",
    "TrainedModel",
    "TrainingSet",
    "WhatIf",
    "build_opportunity_training_set",
    "build_training_set",
    "check_drift",
    "check_scorable",
    "closed_leads",
    "due_for_scoring",
    "evaluate",
    "external_score",
    "find_leakage",
    "handover",
    "lead_record",
    "leads_frame",
    "load_model",
    "opportunity_features",
    "population_stability",
    "save_model",
    "score_trend",
    "train_from_crm",
    "train_staged_opportunity_scorer",
]
