"""The research provider protocol, the records providers return, and the plugin registry.

A provider looks up public facts about a *company* (never a person): it receives a
:class:`CompanyQuery` and returns a :class:`ResearchResult` holding typed
:class:`CompanyOverview`, :class:`CompanyFinancials` and :class:`NewsItem` records, each with its
:class:`Provenance` (source URL, retrieval time, licence and attribution, match confidence).

Third-party providers register under the entry-point group ``leadqual.research_providers`` and are
found by a :class:`ProviderRegistry` (see ``docs/plugins.md``).

Examples:
    >>> q = CompanyQuery(name="Contoso Ltd", domain="contoso.com", country="GB")
    >>> q.key
    'domain:contoso.com'
    >>> classify_news_topic("Contoso appoints new chief executive officer")
    'leadership_change'
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from importlib import metadata
from typing import Annotated, Any, Literal, Protocol, Self, get_args, runtime_checkable

from pydantic import ConfigDict, Field, field_validator, model_validator

from leadqual._base import LeadqualModel, UtcDatetime
from leadqual._compat import is_coroutine_function, warn_deprecated
from leadqual._domains import ascii_domain, company_website_domain
from leadqual._geo import country_code
from leadqual._text import normalize_company_name
from leadqual.errors import ConfigurationError
from leadqual.plugins import RESEARCH_PROVIDERS_GROUP, PluginRegistry

__all__ = [
    "ENTRY_POINT_GROUP",
    "NEWS_TOPICS",
    "CompanyFinancials",
    "CompanyOverview",
    "CompanyQuery",
    "FinancialMetric",
    "NewsItem",
    "NewsTopic",
    "NoMatch",
    "Provenance",
    "ProviderRegistry",
    "ResearchProvider",
    "ResearchResult",
    "classify_news_topic",
    "is_external",
    "provider_from_function",
]

logger = logging.getLogger(__name__)

_SCHEME = re.compile(r"\s*([a-zA-Z][a-zA-Z0-9+-]*):")
"""A URL scheme (no dot: ``contoso.com:8080`` is a domain and a port)."""
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")

ENTRY_POINT_GROUP = RESEARCH_PROVIDERS_GROUP
"""The entry-point group third-party research providers register under."""

NewsTopic = Literal[
    "product_launch",
    "leadership_change",
    "contract_won",
    "community_involvement",
    "awards_recognition",
    "financial_results",
    "mergers_acquisitions",
    "risk",
    "other",
]
"""What a news item is about. The first five are the topics a seller is shown first (the
commercial agent's: product launches, leadership changes, contracts and clients won, community
involvement, awards and recognition)."""

NEWS_TOPICS: tuple[NewsTopic, ...] = get_args(NewsTopic)
"""Every :data:`NewsTopic`, in the order they are shown."""

# Keyword rules over titles: ordered, first match wins. Titles are untrusted text; these rules
# only read them, so an injected instruction can at worst mislabel a topic.
_TOPIC_RULES: tuple[tuple[NewsTopic, re.Pattern[str]], ...] = (
    (
        "risk",
        re.compile(
            r"\b(bankrupt\w*|insolven\w*|layoffs?|lays? off|job cuts|restructur\w*|lawsuit|sued|"
            r"fine[ds]?|breach|recall\w*|investigation|restat\w*|default\w*|probe)\b",
            re.I,
        ),
    ),
    (
        "leadership_change",
        re.compile(
            r"\b(appoint\w*|names? (?:new )?(?:ceo|cfo|cto|coo|chief|president|chair\w*)|"
            r"new (?:ceo|cfo|cto|coo|chief \w+ officer)|steps? down|resign\w*|hires?|hired|"
            r"successor|joins as|promot\w*|retire\w*|board of directors|departure)\b",
            re.I,
        ),
    ),
    (
        "mergers_acquisitions",
        re.compile(
            r"\b(acquir\w*|acquisition|merger|merges?|takeover|buys|to buy|divest\w*)\b", re.I
        ),
    ),
    (
        "contract_won",
        re.compile(
            r"\b(wins?|won|awarded (?:a |the )?contract|contract|deal with|signs?|signed|"
            r"selected by|selects|partners? with|partnership|agreement|chosen by|customer)\b",
            re.I,
        ),
    ),
    (
        "awards_recognition",
        re.compile(
            r"\b(awards?|recogni[sz]\w*|honou?r\w*|ranked|named (?:a |one of |to )|"
            r"best places|top \d+|leader in|finalist|certified)\b",
            re.I,
        ),
    ),
    (
        "product_launch",
        re.compile(
            r"\b(launch\w*|unveil\w*|introduc\w*|releases?|released|debuts?|rolls? out|"
            r"announces? (?:new|the)|new (?:product|platform|service|feature)|available now|"
            r"general availability|opens?)\b",
            re.I,
        ),
    ),
    (
        "community_involvement",
        re.compile(
            r"\b(donat\w*|charit\w*|volunteer\w*|foundation|community|sponsor\w*|scholarship|"
            r"non-?profit|fundrais\w*|pledge\w*|sustainab\w*)\b",
            re.I,
        ),
    ),
    (
        "financial_results",
        re.compile(
            r"\b(earnings|results|revenue|quarter\w*|q[1-4]|fiscal|profit\w*|guidance|"
            r"dividend|ipo|funding|raises?|series [a-f]|valuation)\b",
            re.I,
        ),
    ),
)


def classify_news_topic(title: str, /) -> NewsTopic:
    """Sort a news headline into one of the :data:`NewsTopic` values with keyword rules.

    Deterministic and offline; a provider that knows better (SEC 8-K item numbers) sets the topic
    itself.

    Examples:
        >>> classify_news_topic("Fabrikam wins five-year contract with city of Oslo")
        'contract_won'
        >>> classify_news_topic("Weather update")
        'other'
    """
    for topic, pattern in _TOPIC_RULES:
        if pattern.search(title):
            return topic
    return "other"


_EMAIL_LIKE = re.compile(r"[^\s@]+@[^\s@]+")
# Formats of the ids providers put into URL paths and API parameters (GLEIF /lei-records/{lei},
# SEC CIK{cik}.json, Wikidata ids=): anything else could address another endpoint of the API.
_ID_FORMATS: dict[str, re.Pattern[str]] = {
    "wikidata": re.compile(r"Q[1-9][0-9]*"),
    "sec_cik": re.compile(r"[0-9]{1,10}"),
    "lei": re.compile(r"[A-Z0-9]{18}[0-9]{2}"),
    "companies_house": re.compile(r"[A-Z0-9]{1,10}"),
}


def _id_problem(scheme: str, value: str) -> str | None:
    if "@" in scheme or "@" in value:
        return "ids must not contain email addresses"
    pattern = _ID_FORMATS.get(scheme)
    if pattern is not None and not pattern.fullmatch(value):
        return f"{value!r} is not a valid {scheme} id"
    return None


_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?:\.(?!-)[a-z0-9-]{1,63})+$")


class CompanyQuery(LeadqualModel):
    """What a provider is told: company identifiers only, never a person's name or email.

    ``ids`` holds identifiers already known, keyed by scheme: ``wikidata`` (``Q95``), ``sec_cik``,
    ``lei``, ``companies_house``, ``wikipedia`` (an English Wikipedia title). Providers add the ids
    they discover to :attr:`ResearchResult.identifiers` so later providers can use them.

    An ``@`` anywhere in the query is refused: the guard stops an email address from leaving the
    library by mistake.

    Examples:
        >>> CompanyQuery(name="Fabrikam Inc", website="https://www.fabrikam.com/about").domain
        'fabrikam.com'
    """

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    """Company name as written (legal suffixes included)."""
    domain: str | None = None
    """Registrable domain of the company's website or work email (``contoso.com``)."""
    website: str | None = None
    """The company's website URL when known."""
    country: str | None = None
    """Country name or ISO code, as written."""
    ids: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("name", "domain", "website", "country")
    @classmethod
    def _no_email(cls, value: str | None) -> str | None:
        if value is not None and _EMAIL_LIKE.search(value):
            raise ValueError(
                "looks like an email address; providers receive company identifiers only"
            )
        return value or None

    @field_validator("ids")
    @classmethod
    def _ids_clean(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        for k, v in value.items():
            problem = _id_problem(k, v)
            if problem is not None:
                raise ValueError(problem)
        return dict(sorted(value.items()))

    @field_validator("domain")
    @classmethod
    def _domain_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        written = value.strip().lower().rstrip(".")
        # an internationalised domain is sent out as DNS sees it (IDNA A-labels)
        value = ascii_domain(written)
        if not value.isascii():
            raise ValueError(f"{written!r} is not a valid internationalised domain")
        if not _DOMAIN.match(value):
            raise ValueError(f"{value!r} is not a domain name (expected e.g. contoso.com)")
        return value

    @model_validator(mode="before")
    @classmethod
    def _domain_from_website(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and not data.get("domain") and data.get("website"):
            website = data["website"]
            if isinstance(website, str) and not _EMAIL_LIKE.search(website):
                domain = company_website_domain(website)
                # a page on a shared platform (LinkedIn, Wix) names the platform, not the company
                data = {**data, "domain": domain, "website": website if domain else None}
        return data

    @model_validator(mode="after")
    def _has_identifier(self) -> Self:
        if not (self.name or self.domain or self.ids):
            raise ValueError(
                "a CompanyQuery needs a name, a domain or a known id: there is no company "
                "identifier to research"
            )
        return self

    @property
    def key(self) -> str:
        """A stable cache key for the company: the domain when known, else the normalised name."""
        if self.domain:
            return f"domain:{self.domain}"
        if self.name:
            # one key for "México", "Mexico", "MX" and "mx"; an unknown country as written
            country = (country_code(self.country) or self.country or "").casefold()
            return f"name:{normalize_company_name(self.name)}|{country}"
        first = next(iter(self.ids.items()))
        return f"id:{first[0]}={first[1]}"

    def with_ids(self, ids: Mapping[str, str], /) -> CompanyQuery:
        """A copy with ``ids`` merged in (known ids are not overwritten; malformed ones, which a
        provider may have read from an edited source, are dropped)."""
        merged = {}
        for k, v in ids.items():
            problem = _id_problem(k, v)
            if problem is None:
                merged[k] = v
            else:
                logger.warning("research id dropped: %s", problem)
        merged.update(self.ids)
        return self.replace(ids=merged)


class Provenance(LeadqualModel):
    """Where a fact came from: every record a provider returns carries one."""

    model_config = ConfigDict(frozen=True)

    source: Annotated[str, Field(min_length=1)]
    """The provider's name (``wikidata``, ``sec_edgar``, ...)."""
    url: str | None = None
    """The page or API address the fact was read from."""
    retrieved_at: UtcDatetime
    licence: str | None = None
    """Licence of the data (``CC0``, ``CC BY-SA 4.0``, ``US government work``...)."""
    attribution: str | None = None
    """Attribution text to show beside the fact, when the licence requires one."""
    match_confidence: Annotated[float, Field(ge=0, le=1)] = 1.0
    """How sure the provider is that this record is about the queried company (0-1). Below 0.6
    the :class:`~leadqual.research.researcher.Researcher` shows it as a candidate, not a fact."""


class CompanyOverview(LeadqualModel):
    """What a company is: industry, size, products and services, mission."""

    model_config = ConfigDict(frozen=True)

    provenance: Provenance
    name: str | None = None
    legal_name: str | None = None
    description: str | None = None
    """Short description (untrusted text from the web: data, never instructions)."""
    industry: str | None = None
    employee_count: Annotated[int, Field(ge=0)] | None = None
    employee_count_as_of: str | None = None
    headquarters: str | None = None
    country: str | None = None
    founded: str | None = None
    """Founding date at the precision the source gives (``2010`` or ``2010-03-01``)."""
    website: str | None = None
    """The company's site: an http(s) address or a bare domain, never another scheme."""
    products: tuple[str, ...] = ()
    mission: str | None = None
    identifiers: Mapping[str, str] = Field(default_factory=dict)
    raw: Mapping[str, Any] = Field(default_factory=dict)
    """Vendor extras the typed fields do not cover."""

    @field_validator("website")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # browsers drop tabs, newlines and other controls inside a scheme ("java\tscript:")
        scheme = _SCHEME.match(_CONTROLS.sub("", value))
        if scheme and scheme.group(1).lower() not in ("http", "https"):
            raise ValueError(
                f"a company website must be an http(s) address or a domain, not {value!r:.60}"
            )
        return value


class FinancialMetric(LeadqualModel):
    """One reported figure, with its period."""

    model_config = ConfigDict(frozen=True)

    name: Annotated[str, Field(min_length=1)]
    """``revenue``, ``net_income``, ``total_assets``, ``operating_cash_flow``..."""
    value: float
    unit: str = "USD"
    period_end: str | None = None
    """ISO date the period ends."""
    fiscal_year: int | None = None
    form: str | None = None
    """The filing the figure comes from (``10-K``)."""


class CompanyFinancials(LeadqualModel):
    """Financial health and key metrics of a company."""

    model_config = ConfigDict(frozen=True)

    provenance: Provenance
    currency: str | None = "USD"
    revenue: float | None = None
    net_income: float | None = None
    fiscal_year: int | None = None
    metrics: tuple[FinancialMetric, ...] = ()
    health: Literal["strong", "stable", "weak", "unknown"] = "unknown"
    health_reasons: tuple[str, ...] = ()
    """Why the health is what it is, one plain sentence each."""
    listed: bool | None = None
    tickers: tuple[str, ...] = ()


class NewsItem(LeadqualModel):
    """A news item about a company."""

    model_config = ConfigDict(frozen=True)

    provenance: Provenance
    title: Annotated[str, Field(min_length=1, max_length=500)]
    """Headline (untrusted text: data, never instructions)."""
    url: Annotated[str, Field(min_length=1)]
    published_at: UtcDatetime | None = None
    topic: NewsTopic = "other"
    publisher: str | None = None
    language: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("a news url must be http(s)")
        return value


NoMatch = Literal["not_found", "not_a_company"]
"""Why a provider that answered has no record of the company: ``not_found`` (the source holds no
such record, or none that matches) or ``not_a_company`` (the record found is about a person, a
place or a topic, not an organisation)."""


class ResearchResult(LeadqualModel):
    """Everything one provider found about one company.

    Examples:
        >>> ResearchResult(provider="example").is_empty
        True
        >>> ResearchResult(provider="sec_edgar", no_match="not_a_company").no_match
        'not_a_company'
    """

    model_config = ConfigDict(frozen=True)

    provider: Annotated[str, Field(min_length=1)]
    overviews: tuple[CompanyOverview, ...] = ()
    financials: tuple[CompanyFinancials, ...] = ()
    news: tuple[NewsItem, ...] = ()
    identifiers: Mapping[str, str] = Field(default_factory=dict)
    """Ids discovered (``wikidata``, ``sec_cik``, ``lei``...) for other providers to use."""
    notes: tuple[str, ...] = ()
    """What the provider did or why it found nothing ("no Wikidata item matched the domain")."""
    requests: Annotated[int, Field(ge=0)] = 0
    """How many outside requests the provider made for this result."""
    no_match: NoMatch | None = None
    """Why nothing was found, when the provider can tell (see :data:`NoMatch`); ``None`` when
    it found something or did not say. The notes give the detail."""

    @model_validator(mode="after")
    def _no_match_is_empty(self) -> Self:
        if self.no_match is not None and not self.is_empty:
            raise ValueError(
                f"a result with no_match={self.no_match!r} carries no overviews, financials "
                "or news: return the records, or say why there are none"
            )
        return self

    @property
    def is_empty(self) -> bool:
        """Whether the provider found nothing."""
        return not (self.overviews or self.financials or self.news)


@runtime_checkable
class ResearchProvider(Protocol):
    """Looks up public facts about a company. See ``docs/plugins.md``.

    Implementations set ``name`` (unique, lower-case) and write one async method, ``aresearch``
    (one written before the rename, ``async def research``, is adapted with a deprecation warning
    wherever providers are accepted: :func:`adopt_provider`). They may set
    ``external = False`` when they never leave the process (then no consent is needed), and may
    read ``query.ids`` filled by earlier providers; ``depends_on`` (a tuple of provider names)
    asks the :class:`~leadqual.research.researcher.Researcher` to run them after those; and
    ``max_concurrency`` (an int) caps how many of their calls run at once (waiting for a slot
    does not count against the provider timeout).

    Raise :class:`~leadqual.errors.ProviderError` (or let ``httpx`` errors through) on failure:
    the researcher records the failure for this source and carries on with the others.

    Examples:
        >>> class Echo:
        ...     name = "echo"
        ...     async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        ...         return ResearchResult(provider=self.name)
        >>> isinstance(Echo(), ResearchProvider)
        True
    """

    name: str

    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        """Research one company."""
        ...


_REQUIREMENT = "it needs a `name` attribute and an `async def aresearch(self, company, /)` method"


class _LegacyProvider:
    """A provider written before ``aresearch``: its ``async def research`` answers ``aresearch``,
    and every other attribute (``external``, ``depends_on``, ``max_concurrency``...) is its own."""

    def __init__(
        self, provider: Any, research: Callable[[CompanyQuery], Awaitable[ResearchResult]]
    ) -> None:
        self.name: str = provider.name
        self._provider = provider
        self._research = research

    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        return await self._research(company)

    def __getattr__(self, attr: str) -> Any:
        # reached only for names the adapter lacks; a half-built copy has no provider yet
        provider = self.__dict__.get("_provider")
        if provider is None:
            raise AttributeError(attr)
        return getattr(provider, attr)

    def __repr__(self) -> str:
        return repr(self._provider)


def _adapt_legacy(obj: Any, /) -> Any:
    """``obj`` itself, or wrapped in :class:`_LegacyProvider` (with a :class:`DeprecationWarning`)
    when it still names its async method ``research`` and has no ``aresearch``."""
    research = getattr(obj, "research", None)
    if (
        hasattr(obj, "aresearch")
        or not isinstance(getattr(obj, "name", None), str)
        or not is_coroutine_function(research)
    ):
        return obj
    warn_deprecated(
        f"{type(obj).__name__}: a research provider's async method is now named `aresearch`; "
        "rename `async def research` to `async def aresearch` (the old name is deprecated and "
        "will stop working in the next release)"
    )
    return _LegacyProvider(obj, research)  # type: ignore[arg-type]


def adopt_provider(obj: object, /) -> ResearchProvider:
    """``obj`` as a :class:`ResearchProvider`, wherever providers are accepted.

    A provider written before the protocol's method was renamed ``aresearch`` (it has an
    ``async def research`` and no ``aresearch``) keeps working for one release: it is wrapped in
    an adapter, with a :class:`DeprecationWarning` saying what to rename.

    Raises:
        ConfigurationError: ``obj`` is not a research provider (the message names ``aresearch``).
    """
    provider = _adapt_legacy(obj)
    if not isinstance(provider, ResearchProvider):
        raise ConfigurationError(f"{obj!r} is not a ResearchProvider: {_REQUIREMENT}")
    return provider


def is_external(provider: ResearchProvider, /) -> bool:
    """Whether the provider sends data outside the process (the default unless it says not)."""
    return bool(getattr(provider, "external", True))


class _FunctionProvider:
    def __init__(
        self,
        name: str,
        fn: Callable[[CompanyQuery], ResearchResult],
        *,
        external: bool,
    ) -> None:
        self.name = name
        self.external = external
        self._fn = fn

    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        # a sync function (requests, a database driver) runs in a worker thread, so it never
        # blocks the event loop the other providers share
        return await asyncio.to_thread(self._fn, company)

    def __repr__(self) -> str:
        return f"provider_from_function({self.name!r})"


def provider_from_function(
    name: str,
    fn: Callable[[CompanyQuery], ResearchResult],
    /,
    *,
    external: bool = True,
) -> ResearchProvider:
    """Adapt a plain sync function into a :class:`ResearchProvider` (it runs in a thread).

    Examples:
        >>> p = provider_from_function("crm_export", lambda q: ResearchResult(provider="crm_export"))
        >>> p.name
        'crm_export'
    """
    if not name or name != name.strip():
        raise ConfigurationError("a provider name must be a non-empty string without spaces")
    if is_coroutine_function(fn):
        raise ConfigurationError(
            f"{name}: provider_from_function takes a sync function; an async one can be used "
            "directly as the provider's aresearch method"
        )
    return _FunctionProvider(name, fn, external=external)


ProviderFactory = Callable[..., ResearchProvider]


def _is_provider(obj: object) -> bool:
    return isinstance(obj, ResearchProvider) and is_coroutine_function(obj.aresearch)


class ProviderRegistry(PluginRegistry[ResearchProvider]):
    """The research providers available to an agent: the built-ins plus installed plugins.

    The built-ins are leadqual's own entry points in ``leadqual.research_providers`` (the
    package metadata is the one list of them).

    Plugins are entry points in the group ``leadqual.research_providers`` whose value is a class
    (or factory) building a :class:`ResearchProvider`. Nothing is imported until a provider is
    asked for; ``load_plugins=False`` ignores installed plugins entirely (tests, locked-down
    deployments). The registry is an instance: two agents can hold different ones. The
    mechanics are :class:`leadqual.plugins.PluginRegistry`'s, shared with CRM sources and LLM
    clients: an installed provider named like a built-in (``website``) is refused unless
    ``overrides`` names it.

    Examples:
        >>> reg = ProviderRegistry(load_plugins=False)
        >>> "wikidata" in reg.names()
        True
        >>> reg.create("sample").name
        'sample'
    """

    def __init__(
        self,
        *,
        load_plugins: bool = True,
        include_builtins: bool = True,
        entry_points: Iterable[metadata.EntryPoint] | None = None,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            ENTRY_POINT_GROUP,
            kind="research provider",
            check=_is_provider,
            adapt=_adapt_legacy,
            requirement=_REQUIREMENT,
            protocol=ResearchProvider,
            load_plugins=load_plugins,
            include_builtins=include_builtins,
            entry_points=entry_points,
            overrides=overrides,
        )
