"""Research: CRM insights and web research through safe, pluggable providers.

Web research runs only with consent and sends only company identifiers out. Providers are
discovered through the entry-point group ``leadqual.research_providers`` (see the plugins page);
the built-in provider classes are read from leadqual's own entry points and imported on first use.
"""

import importlib
from typing import TYPE_CHECKING, Any

from leadqual._compat import moved_names
from leadqual.plugins import RESEARCH_PROVIDERS_GROUP, builtin_entry_points
from leadqual.research.cache import ResearchCache
from leadqual.research.citations import Citation
from leadqual.research.configured import build_providers
from leadqual.research.consent import Authorization, ConsentPolicy, ResearchPolicy
from leadqual.research.defaults import (
    default_providers,
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
    ResearchFact,
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


# Email validation is its own component now: its names still load from here, with a warning.
_EMAIL_MOVES = {
    "DnsAnswer": "leadqual.email",
    "DnsPythonResolver": "leadqual.email",
    "EmailCacheInfo": "leadqual.email",
    "EmailCheck": "leadqual.email",
    "EmailInputError": "leadqual.errors",
    "EmailOverride": "leadqual.email",
    "EmailOverrides": "leadqual.email",
    "EmailReason": "leadqual.email",
    "EmailStatus": "leadqual.email",
    "EmailType": "leadqual.email",
    "EmailValidator": "leadqual.email",
    "FieldEmailCheck": "leadqual.email",
    "MxRecord": "leadqual.email",
    "REASON_CODES": "leadqual.email",
    "RecordEmailReport": "leadqual.email",
    "Resolver": "leadqual.email",
}
_moved_email = moved_names(__name__, _EMAIL_MOVES)


def __getattr__(name: str) -> Any:
    """A built-in provider class, imported on first use from the entry point naming it; or a
    name that moved to :mod:`leadqual.email`, with a deprecation warning."""
    if name in _EMAIL_MOVES:
        return _moved_email(name)
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
    "ENTRY_POINT_GROUP",
    "ErasureReceipt",
    "FetchError",
    "FetchPolicy",
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
    "NEWS_TOPICS",
    "NewsItem",
    "NewsTopic",
    "OpportunityBrief",
    "Provenance",
    "ProviderRegistry",
    "RankedNews",
    "ResearchCache",
    "ResearchDiff",
    "ResearchFact",
    "ResearchPolicy",
    "ResearchProvider",
    "ResearchResult",
    "ResearchStep",
    "Researcher",
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
    "build_providers",
    "classify_news_topic",
    "default_providers",
    "provider_from_function",
]
