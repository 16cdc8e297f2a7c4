"""Research: email validation, CRM insights, and web research through safe, pluggable providers.

Web research runs only with consent and sends only company identifiers out. Providers are
discovered through the entry-point group ``leadqual.research_providers`` (see the plugins page);
the built-in provider classes are read from leadqual's own entry points and imported on first use.
"""

import importlib
from typing import TYPE_CHECKING, Any

from leadqual.plugins import RESEARCH_PROVIDERS_GROUP, builtin_entry_points
from leadqual.research.cache import ResearchCache
from leadqual.research.citations import Citation
from leadqual.research.consent import Authorization, ConsentPolicy, ResearchPolicy
from leadqual.research.defaults import (
    default_providers,
)
from leadqual.research.email import (
    REASON_CODES,
    DnsAnswer,
    DnsPythonResolver,
    EmailCacheInfo,
    EmailCheck,
    EmailInputError,
    EmailOverride,
    EmailOverrides,
    EmailReason,
    EmailStatus,
    EmailType,
    EmailValidator,
    FieldEmailCheck,
    MxRecord,
    RecordEmailReport,
    Resolver,
)
from leadqual.research.http import (
    FetchError,
    FetchPolicy,
    HttpStatusError,
    MalformedResponse,
    ResponseTooLarge,
    SafeFetcher,
    UnexpectedContentType,
)
from leadqual.research.insights import (
    AccountSummary,
    ColleagueInteraction,
    CrmInsights,
    CrmInsightsBuilder,
    LeadSummary,
    LinkSuggestion,
    ManualLinks,
    OpportunityBrief,
    SuggestedContact,
    SummaryField,
)
from leadqual.research.providers import (
    ENTRY_POINT_GROUP,
    NEWS_TOPICS,
    CompanyFinancials,
    CompanyOverview,
    CompanyQuery,
    FinancialMetric,
    NewsItem,
    NewsTopic,
    Provenance,
    ProviderRegistry,
    ResearchProvider,
    ResearchResult,
    classify_news_topic,
    provider_from_function,
)
from leadqual.research.researcher import Researcher
from leadqual.research.results import (
    ErasureReceipt,
    LeadResearch,
    MergedField,
    RankedNews,
    ResearchDiff,
    ResearchStep,
    SignalStrength,
    SourceStatus,
)
from leadqual.suppression import SuppressionList

if TYPE_CHECKING:  # for type checkers only: at run time the entry points name these classes
    from leadqual.research.companies_house import CompaniesHouseProvider
    from leadqual.research.gdelt import GdeltProvider
    from leadqual.research.gleif import GleifProvider
    from leadqual.research.sample_provider import SampleResearchProvider
    from leadqual.research.sec import SecEdgarProvider
    from leadqual.research.website import WebsiteProvider
    from leadqual.research.wikidata import WikidataProvider
    from leadqual.research.wikipedia import WikipediaProvider


def __getattr__(name: str) -> Any:
    """A built-in provider class, imported on first use from the entry point naming it."""
    for target in builtin_entry_points(RESEARCH_PROVIDERS_GROUP).values():
        module, _, attribute = target.partition(":")
        if attribute == name:
            value = getattr(importlib.import_module(module), attribute)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AccountSummary",
    "Authorization",
    "Citation",
    "ColleagueInteraction",
    "CompaniesHouseProvider",
    "CompanyFinancials",
    "CompanyOverview",
    "CompanyQuery",
    "ConsentPolicy",
    "CrmInsights",
    "CrmInsightsBuilder",
    "DnsAnswer",
    "DnsPythonResolver",
    "ENTRY_POINT_GROUP",
    "EmailCacheInfo",
    "EmailCheck",
    "EmailInputError",
    "EmailOverride",
    "EmailOverrides",
    "EmailReason",
    "EmailStatus",
    "EmailType",
    "EmailValidator",
    "ErasureReceipt",
    "FetchError",
    "FetchPolicy",
    "FieldEmailCheck",
    "FinancialMetric",
    "GdeltProvider",
    "GleifProvider",
    "HttpStatusError",
    "LeadResearch",
    "LeadSummary",
    "LinkSuggestion",
    "MalformedResponse",
    "ManualLinks",
    "MergedField",
    "MxRecord",
    "NEWS_TOPICS",
    "NewsItem",
    "NewsTopic",
    "OpportunityBrief",
    "Provenance",
    "ProviderRegistry",
    "REASON_CODES",
    "RankedNews",
    "RecordEmailReport",
    "ResearchCache",
    "ResearchDiff",
    "ResearchPolicy",
    "ResearchProvider",
    "ResearchResult",
    "ResearchStep",
    "Researcher",
    "Resolver",
    "ResponseTooLarge",
    "SafeFetcher",
    "SampleResearchProvider",
    "SecEdgarProvider",
    "SignalStrength",
    "SourceStatus",
    "SuggestedContact",
    "SummaryField",
    "SuppressionList",
    "UnexpectedContentType",
    "WebsiteProvider",
    "WikidataProvider",
    "WikipediaProvider",
    "classify_news_topic",
    "default_providers",
    "provider_from_function",
]
