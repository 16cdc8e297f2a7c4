"""Erasure is one operation over every store the research layer keeps about a lead.

The check does not list the stores: it walks everything reachable from the Researcher (caches,
links, providers, fetchers, DNS pins, rate-limit buckets) and looks for the lead's id and its
company's domain, so a store added later is inspected too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel

from leadqual.config import AgentConfig, Consent
from leadqual.models import Lead, LeadContext
from leadqual.research.http import SafeFetcher
from leadqual.research.providers import CompanyOverview, CompanyQuery, Provenance, ResearchResult
from leadqual.research.researcher import Researcher
from leadqual.testing.research import StaticHostResolver, mock_fetcher

DOMAIN = "janeroe-design.example"
NOW = datetime(2026, 10, 1, tzinfo=UTC)


class SiteProvider:
    """Reads the company's home page through a SafeFetcher (as the website provider does)."""

    name = "site"

    def __init__(self, fetcher: SafeFetcher) -> None:
        self.fetcher = fetcher

    async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
        page = await self.fetcher.fetch(f"https://www.{company.domain}/", provider=self.name)
        prov = Provenance(source=self.name, url=page.final_url, retrieved_at=NOW)
        overview = CompanyOverview(provenance=prov, name=page.text.strip(), website=page.final_url)
        return ResearchResult(provider=self.name, overviews=(overview,), requests=1)


def strings(root: object) -> Iterator[str]:
    """Every string reachable from ``root`` through containers, models and leadqual objects."""
    seen: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            yield obj
        elif isinstance(obj, BaseModel):
            stack.append(obj.model_dump(mode="json"))
        elif isinstance(obj, Mapping):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif type(obj).__module__.startswith("leadqual.testing"):
            continue  # the test doubles' own call logs (the resolver's) are not stores
        elif type(obj).__module__.startswith(("leadqual", "tests", __name__)):
            stack.extend(getattr(obj, "__dict__", {}).values())
            for slot in getattr(type(obj), "__slots__", ()):
                stack.append(getattr(obj, slot, None))


def mentions(root: object, *needles: str) -> list[str]:
    return sorted({s for s in strings(root) if any(n in s for n in needles)})


def sole_trader(lead_id: str) -> LeadContext:
    lead = Lead(
        id=lead_id, first_name="Jane", last_name="Roe", company_name="Jane Roe Design",
        website=f"https://{DOMAIN}", created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    return LeadContext(lead=lead)


def test_erasure_leaves_nothing_about_a_sole_trader_in_any_store(
    sample_config: AgentConfig,
) -> None:
    resolver = StaticHostResolver(default=["93.184.216.34"])
    fetcher = mock_fetcher(
        lambda r: httpx.Response(
            200, text="Jane Roe Design", headers={"Content-Type": "text/html"}
        ),
        resolver=resolver,
        rate_limits={"*": 1.0},  # a bucket per website host, as deployments set
    )
    consented = sample_config.replace(consent=Consent(web_research=True, granted_by="admin"))
    r = Researcher(config=consented, providers=[SiteProvider(fetcher)])
    r.research(sole_trader("L-77"), now=NOW)
    r.links.link("L-77", account_id="A-9")
    assert mentions(r, DOMAIN) and mentions(r, "L-77")  # the walk does reach the stores

    first = r.erase("L-77", company_data=False)  # keep company data: it still names her
    assert mentions(r, DOMAIN) and not mentions(r, "L-77")
    second = r.erase("L-77")
    assert mentions(r, DOMAIN, "L-77") == []
    assert (first.research_records, first.manual_links, first.host_entries) == (1, 1, 2)
    assert second.company_cache_entries == 1
    assert r.cache.to_json().count(DOMAIN) == 0

    # the pin is really gone: the next research resolves the host again
    calls = len(resolver.calls)
    r.research(sole_trader("L-78"), now=NOW)
    assert len(resolver.calls) == calls + 1


def test_erasure_keeps_what_another_lead_of_the_company_still_uses(
    sample_config: AgentConfig,
) -> None:
    fetcher = mock_fetcher(
        lambda r: httpx.Response(200, text="Jane Roe Design", headers={"Content-Type": "text/html"})
    )
    consented = sample_config.replace(consent=Consent(web_research=True, granted_by="admin"))
    provider = SiteProvider(fetcher)
    r = Researcher(config=consented, providers=[provider])
    r.research(sole_trader("L-1"), now=NOW)
    r.research(sole_trader("L-2"), now=NOW)
    receipt = r.erase("L-1")
    assert receipt.company_cache_entries == 0 and r.cache.company_entries == 1
    assert r.cache.lead("L-2") is not None and not mentions(r, "L-1")
    assert r.erase("L-2").company_cache_entries == 1 and r.cache.company_entries == 0


def test_a_provider_with_its_own_per_domain_state_is_asked_to_forget_it(
    sample_config: AgentConfig,
) -> None:
    class Remembering:
        name = "remembering"
        external = False

        def __init__(self) -> None:
            self.seen: set[str] = set()

        async def aresearch(self, company: CompanyQuery, /) -> ResearchResult:
            self.seen.add(str(company.domain))
            return ResearchResult(provider=self.name, no_match="not_found", notes=("none",))

        def forget(self, domain: str) -> int:
            before = len(self.seen)
            self.seen.discard(domain)
            return before - len(self.seen)

    provider = Remembering()
    r = Researcher(config=sample_config, providers=[provider])
    r.research(sole_trader("L-5"), now=NOW)
    assert provider.seen == {DOMAIN}
    assert r.erase("L-5").host_entries == 1 and provider.seen == set()
