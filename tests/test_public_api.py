"""The public surface is deliberate: an accidental export or removal fails here."""

from __future__ import annotations

import importlib

import leadqual

EXPECTED = {
    "Account",
    "Activity",
    "ActivityCondition",
    "Address",
    "AgentConfig",
    "Appointment",
    "AttachmentMeta",
    "ChatMessage",
    "CompanyKnowledge",
    "ConfigurationError",
    "Consent",
    "ConsentRequired",
    "Contact",
    "CrmSource",
    "CrmWriter",
    "EmailMessage",
    "FieldCondition",
    "HandraiserSegment",
    "IcpCharacteristic",
    "IcpProfile",
    "InsufficientTrainingData",
    "Lead",
    "LeadContext",
    "LeadStatus",
    "LeadqualError",
    "MemorySource",
    "MergeError",
    "Note",
    "NotFittedError",
    "NotScorable",
    "Opportunity",
    "OpportunityStatus",
    "Phone",
    "PhoneCall",
    "PluginError",
    "PrioritizationOrder",
    "ProductKnowledge",
    "ProviderError",
    "ProviderTimeout",
    "RateLimited",
    "RecordNotFound",
    "RecordRef",
    "RefreshPolicy",
    "Seller",
    "SqliteSource",
    "Task",
    "TeamAccess",
    "TierCutoffs",
    "UnsafeUrlError",
    "ValidationFailed",
    "build_context",
    "load_sample",
    "load_sample_config",
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
