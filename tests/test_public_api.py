"""The public surface is deliberate: an accidental export or removal fails here."""

from __future__ import annotations

import importlib

import leadqual

EXPECTED = {
    "Account",
    "ActionAdvisor",
    "Activity",
    "ActivityCondition",
    "Address",
    "AgentConfig",
    "Appointment",
    "AttachmentMeta",
    "BacktestReport",
    "CharacteristicResult",
    "ChatMessage",
    "CompanyKnowledge",
    "CompanyQuery",
    "ConfigurationError",
    "Consent",
    "ConsentRequired",
    "Contact",
    "CrmInsights",
    "CrmInsightsBuilder",
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
    "EmailOverride",
    "EmailOverrides",
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
    "IcpSuggestion",
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
    "MergeJournal",
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
    "OpportunityScorer",
    "OpportunityStatus",
    "Phone",
    "PhoneCall",
    "PluginError",
    "PrioritizationOrder",
    "PrioritizedLead",
    "PrioritizedList",
    "Prioritizer",
    "ProductKnowledge",
    "ProviderError",
    "ProviderRegistry",
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
    "SafeFetcher",
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
    "backtest",
    "build_context",
    "check_qualification",
    "classify_reply",
    "find_duplicates",
    "load_sample",
    "load_sample_config",
    "load_sample_data",
    "measure_engagement",
    "plan_merge",
    "rate_lead",
    "suggest_icp",
    "train_from_crm",
    "undo_merge",
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
