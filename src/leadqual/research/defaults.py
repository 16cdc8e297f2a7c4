"""The default set of web research providers, wired to one shared fetcher (built by name through
the :class:`~leadqual.research.ProviderRegistry`, so the entry points stay the one list).

Examples:
    >>> from leadqual.research.http import SafeFetcher
    >>> [p.name for p in default_providers(SafeFetcher(user_agent="docs"))]
    ['website', 'wikidata', 'wikipedia', 'gleif', 'gdelt']
"""

from __future__ import annotations

from leadqual.research.http import SafeFetcher
from leadqual.research.providers import ProviderRegistry, ResearchProvider

__all__ = ["default_providers"]


def default_providers(
    fetcher: SafeFetcher,
    /,
    *,
    sec_user_agent: str | None = None,
    companies_house_key: str | None = None,
    news: bool = True,
) -> list[ResearchProvider]:
    """The keyless default set (website, Wikidata, Wikipedia, GLEIF, GDELT news), plus SEC
    EDGAR when you give the contact user agent the SEC requires, and Companies House when you give
    an API key. Order matters only for ties in merged fields (earlier wins).

    Args:
        fetcher: the shared :class:`~leadqual.research.http.SafeFetcher`.
        sec_user_agent: ``"Your Organisation contact@your-domain"`` to enable SEC EDGAR.
        companies_house_key: a Companies House API key to enable that provider.
        news: include GDELT news (best effort; it sheds load with 429s).
    """
    registry = ProviderRegistry(load_plugins=False)
    providers: list[ResearchProvider] = [
        registry.create(name, fetcher) for name in ("website", "wikidata", "wikipedia", "gleif")
    ]
    if sec_user_agent is not None:
        providers.append(registry.create("sec_edgar", fetcher, user_agent=sec_user_agent))
    if companies_house_key is not None:
        providers.append(registry.create("companies_house", fetcher, api_key=companies_house_key))
    if news:
        providers.append(registry.create("gdelt", fetcher))
    return providers
