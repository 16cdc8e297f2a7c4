"""Research: email validation, CRM insights, and web research through safe, pluggable providers.

Web research runs only with consent and sends only company identifiers out. Providers are
discovered through the entry-point group ``leadqual.research_providers`` (see the plugins page).
"""

from leadqual.research.companies_house import (
    CompaniesHouseProvider,
)
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
from leadqual.research.gdelt import (
    GdeltProvider,
)
from leadqual.research.gleif import (
    GleifProvider,
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
from leadqual.research.researcher import (
    Authorization,
    Citation,
    ConsentPolicy,
    ErasureReceipt,
    LeadResearch,
    MergedField,
    RankedNews,
    ResearchCache,
    ResearchDiff,
    Researcher,
    ResearchPolicy,
    ResearchStep,
    SignalStrength,
    SourceStatus,
    SuppressionList,
)
from leadqual.research.sample_provider import (
    SampleResearchProvider,
)
from leadqual.research.sec import (
    SecEdgarProvider,
)
from leadqual.research.website import (
    WebsiteProvider,
)
from leadqual.research.wikidata import (
    WikidataProvider,
)
from leadqual.research.wikipedia import (
    WikipediaProvider,
)

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
