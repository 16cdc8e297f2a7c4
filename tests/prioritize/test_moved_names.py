"""Names that moved keep working from their old homes, with a warning that says where to go."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest

import leadqual.prioritization
import leadqual.prioritize
from leadqual.prioritize import PrioritizedList

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
OLD_NAMES = [
    "DEFAULT_PRIORITY_ORDER",
    "ActivityCondition",
    "ConditionResult",
    "Engagement",
    "EngagementLevel",
    "FactorValue",
    "FieldCondition",
    "HandraiserEvaluator",
    "HandraiserResult",
    "HandraiserSegment",
    "LeadRating",
    "PrioritizedLead",
    "PrioritizedList",
    "Prioritizer",
    "PriorityFactor",
    "RankBand",
    "Rating",
    "RatingFactor",
    "RatingPart",
    "RatingPolicy",
    "ScoreInput",
    "SegmentResult",
    "SupportsScore",
    "measure_engagement",
    "rate_lead",
]


@pytest.mark.parametrize("name", OLD_NAMES)
def test_every_name_of_the_old_prioritization_module_resolves_with_a_warning(name: str) -> None:
    with pytest.warns(DeprecationWarning, match=r"import it from leadqual\.prioritize"):
        value = getattr(leadqual.prioritization, name)
    assert value is getattr(leadqual.prioritize, name)
    assert name in leadqual.prioritize.__all__


def test_from_import_of_the_old_module_warns_too() -> None:
    with pytest.warns(DeprecationWarning, match="leadqual.prioritization.Prioritizer"):
        from leadqual.prioritization import Prioritizer
    assert Prioritizer is leadqual.prioritize.Prioritizer


def test_an_unknown_name_of_the_old_module_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="Prioritiser"):
        _ = leadqual.prioritization.Prioritiser


def test_the_new_package_declares_exactly_names_it_has() -> None:
    public = leadqual.prioritize.__all__
    assert len(set(public)) == len(public)
    assert set(OLD_NAMES) | {"Factor", "PrioritizationOrder"} == set(public)
    for name in public:
        assert getattr(leadqual.prioritize, name) is not None


@pytest.mark.parametrize(
    ("home", "name"),
    [
        ("leadqual.icp", "IcpProfile"),
        ("leadqual.icp", "IcpCharacteristic"),
        ("leadqual.icp", "TierCutoffs"),
        ("leadqual.icp.profile", "IcpProfile"),
        ("leadqual.prioritize", "HandraiserSegment"),
        ("leadqual.prioritize", "FieldCondition"),
        ("leadqual.prioritize", "ActivityCondition"),
        ("leadqual.prioritize", "RatingPolicy"),
        ("leadqual.prioritize", "PrioritizationOrder"),
        ("leadqual.prioritize", "DEFAULT_PRIORITY_ORDER"),
    ],
)
def test_schema_types_are_one_object_whichever_package_they_are_imported_from(
    home: str, name: str
) -> None:
    config = importlib.import_module("leadqual.config")
    assert getattr(importlib.import_module(home), name) is getattr(config, name)


def test_prioritized_list_as_of_is_now_with_a_warning() -> None:
    ranked = PrioritizedList(now=NOW, order=("handraiser",), total=0, entries=())
    with pytest.warns(DeprecationWarning, match="PrioritizedList.now"):
        assert ranked.as_of == NOW
    with pytest.warns(DeprecationWarning, match="'as_of' is deprecated"):
        old = PrioritizedList(as_of=NOW, order=("handraiser",), total=0, entries=())  # type: ignore[call-arg]
    assert old == ranked
    assert "as_of" not in ranked.model_dump()


@pytest.mark.parametrize("name", ["Factor", "PrioritizationOrder"])
def test_names_added_after_the_move_are_not_served_by_the_old_module(name: str) -> None:
    with pytest.raises(AttributeError, match=name):
        getattr(leadqual.prioritization, name)
