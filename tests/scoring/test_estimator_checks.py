"""scikit-learn conformance of LeadFeaturizer and LeadScorer: every check passes, none skipped."""

from __future__ import annotations

from typing import Any

from sklearn.utils.estimator_checks import parametrize_with_checks

from leadqual.scoring import LeadFeaturizer, LeadScorer


@parametrize_with_checks([LeadFeaturizer(), LeadScorer(cv=3)])
def test_sklearn_conformance(estimator: Any, check: Any) -> None:
    check(estimator)
