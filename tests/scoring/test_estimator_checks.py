"""scikit-learn conformance of the scoring estimators: every check passes, none marked expected."""

from __future__ import annotations

from typing import Any

from sklearn.utils.estimator_checks import parametrize_with_checks

from leadqual.scoring import ColdStartScorer, LeadFeaturizer, LeadScorer


@parametrize_with_checks([LeadFeaturizer(), LeadScorer(cv=3), ColdStartScorer()])
def test_sklearn_conformance(estimator: Any, check: Any) -> None:
    check(estimator)
