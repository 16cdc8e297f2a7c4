"""The public surface is deliberate: an accidental export or removal fails here."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import warnings

import pytest

import leadqual

EXPECTED = {
    "QualificationAgent",
    "LeadInsight",
    "SellerCard",
    "SellerView",
    "PrioritizedEntry",
    "InsightStore",
    "MemoryInsightStore",
    "SqlInsightStore",
    "AccessDenied",
    "AgentPaused",
    "Account",
    "ActionAdvisor",
    "Activity",
    "ActivityCondition",
    "Address",
    "AgentConfig",
    "Appointment",
    "AttachmentMeta",
    "CharacteristicResult",
    "ChatMessage",
    "CompanyKnowledge",
    "CompanyQuery",
    "ConfigurationError",
    "Consent",
    "ConsentRequired",
    "Contact",
    "CrmInsights",
    "CrmSource",
    "CrmWriter",
    "DedupeSettings",
    "Draft",
    "DraftBlocked",
    "Drafter",
    "DuplicateDetector",
    "DuplicateIndex",
    "DuplicatePair",
    "DuplicateReport",
    "EmailCheck",
    "EmailInputError",
    "EmailMessage",
    "EmailValidator",
    "FetchError",
    "FieldCondition",
    "GradeScheme",
    "HandraiserEvaluator",
    "HandraiserResult",
    "HandraiserSegment",
    "HttpStatusError",
    "IcpCharacteristic",
    "IcpFit",
    "IcpMatcher",
    "IcpProfile",
    "IncompatibleModelError",
    "InsufficientTrainingData",
    "Lead",
    "LeadContext",
    "LeadFeaturizer",
    "LeadRating",
    "LeadResearch",
    "LeadScore",
    "LeadScorer",
    "LeadStatus",
    "LeadqualError",
    "LlmClient",
    "LlmDrafter",
    "MalformedResponse",
    "MemorySource",
    "MergeError",
    "MergePlan",
    "ModelFileError",
    "ModelIntegrityError",
    "ModelRegistry",
    "ModelReport",
    "NextAction",
    "NotFittedError",
    "NotScorable",
    "Note",
    "NothingToDraft",
    "OpenAICompatibleClient",
    "Opportunity",
    "OpportunityStatus",
    "Phone",
    "PhoneCall",
    "PluginError",
    "PrioritizationOrder",
    "PrioritizedLead",
    "PrioritizedList",
    "Prioritizer",
    "ProductKnowledge",
    "Progress",
    "ProviderError",
    "ProviderTimeout",
    "QualificationCheck",
    "QualificationChecker",
    "RateLimited",
    "RatingPolicy",
    "RecordNotFound",
    "RecordRef",
    "RefreshPolicy",
    "ReplyClassifier",
    "ReplyIntent",
    "ResearchProvider",
    "Researcher",
    "ResponseTooLarge",
    "Seller",
    "SqliteSource",
    "SuppressionList",
    "SurvivorshipPolicy",
    "Task",
    "TeamAccess",
    "TemplateDrafter",
    "TierCutoffs",
    "UnexpectedContentType",
    "UnsafeUrlError",
    "ValidationFailed",
    "build_context",
    "classify_reply",
    "load_sample",
    "load_sample_config",
    "load_sample_data",
    "notebook_progress",
    "train_from_crm",
}


def test_all_lists_exactly_the_public_names() -> None:
    assert set(leadqual.__all__) == EXPECTED
    assert list(leadqual.__all__) == sorted(leadqual.__all__, key=str)


def test_every_exported_name_resolves() -> None:
    for name in leadqual.__all__:
        assert getattr(leadqual, name) is not None


def test_public_names_have_docstrings() -> None:
    for name in leadqual.__all__:
        obj = getattr(leadqual, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), name


def test_subpackages_declare_their_surface() -> None:
    for module in ("leadqual.models", "leadqual.config", "leadqual.errors", "leadqual.sources"):
        mod = importlib.import_module(module)
        assert mod.__all__, module
        for name in mod.__all__:
            assert hasattr(mod, name), f"{module}.{name}"


MOVED = {
    "BacktestReport": "leadqual.icp",
    "CrmInsightsBuilder": "leadqual.research",
    "MergeJournal": "leadqual.dedupe",
    "OpportunityScorer": "leadqual.scoring",
    "SafeFetcher": "leadqual.research",
    "check_qualification": "leadqual.dedupe",
    "find_duplicates": "leadqual.dedupe",
    "measure_engagement": "leadqual.prioritize",
    "suggest_icp": "leadqual.icp",
}


@pytest.mark.parametrize(("name", "home"), sorted(MOVED.items()))
def test_names_dropped_from_the_top_level_still_resolve_with_a_warning_naming_their_home(
    name: str, home: str
) -> None:
    with pytest.warns(DeprecationWarning, match=home.replace(".", r"\.")):
        value = getattr(leadqual, name)
    assert value is getattr(importlib.import_module(home), name)
    assert name not in leadqual.__all__


@pytest.mark.parametrize(("name", "home"), sorted(leadqual._MOVED.items()))
def test_every_moved_name_imports_from_the_module_its_warning_names(name: str, home: str) -> None:
    module = importlib.import_module(home)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the named home is the real one: no second warning
        value = getattr(module, name)
    assert name in module.__all__
    with pytest.warns(DeprecationWarning, match=f"import it from {re.escape(home)}$"):
        assert getattr(leadqual, name) is value


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'EmailValidatr'"):
        _ = leadqual.EmailValidatr  # type: ignore[attr-defined]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


def test_importing_the_package_loads_no_component_or_heavy_dependency() -> None:
    loaded = _modules_after("import leadqual")
    assert not {"pandas", "sklearn", "numpy", "httpx", "leadqual.scoring"} & loaded


def test_the_version_command_imports_neither_pandas_nor_scikit_learn() -> None:
    loaded = _modules_after(
        "import contextlib, io\nfrom leadqual.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    main(['version'])"
    )
    assert "pandas" not in loaded
    assert "sklearn" not in loaded
    assert "leadqual.cli" in loaded
