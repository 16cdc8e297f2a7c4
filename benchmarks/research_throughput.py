"""Research throughput: 1,000 leads over 600 companies against fake providers that answer after
100 ms and fail 5% of the time.

Reports the wall time against the ideal (companies x providers x latency / concurrency) and
against a bare-asyncio reference doing the same sleeps under the same limit, the requests made
(and cache hits), the failures surfaced, and checks that no lead is lost and no lead silently
misses a source.

Run: ``.venv/bin/python benchmarks/research_throughput.py [--leads 1000 --companies 600]``
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_results

from leadqual.config import AgentConfig, CompanyKnowledge, Consent, ProductKnowledge
from leadqual.models import Lead, LeadContext
from leadqual.research.researcher import LeadResearch, Researcher
from leadqual.testing.research import FakeResearchProvider

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def leads(n_leads: int, n_companies: int) -> list[LeadContext]:
    out = []
    for i in range(n_leads):
        c = i % n_companies
        out.append(
            LeadContext(
                lead=Lead(
                    id=f"L-{i:05d}",
                    first_name="Test",
                    last_name=f"Person{i}",
                    email=f"person{i}@company{c}.com",
                    company_name=f"Company {c} Ltd",
                    website=f"https://www.company{c}.com",
                    created_at=NOW,
                )
            )
        )
    return out


def config() -> AgentConfig:
    return AgentConfig(
        company=CompanyKnowledge(name="Bench"),
        products=(ProductKnowledge(name="Product", description="d"),),
        consent=Consent(web_research=True),
    )


async def reference(n_calls: int, latency: float, concurrency: int) -> float:
    """The same sleeps under the same limit, with no library code: the floor on this machine."""
    sem = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with sem:
            await asyncio.sleep(latency)

    t0 = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n_calls)))
    return time.perf_counter() - t0


async def run_once(
    contexts: list[LeadContext],
    n_providers: int,
    latency: float,
    failure: float,
    concurrency: int,
    seed: int,
) -> tuple[float, list[LeadResearch], list[FakeResearchProvider], Researcher]:
    providers = [
        FakeResearchProvider(f"p{k}", latency=latency, failure_rate=failure, seed=seed * 10 + k)
        for k in range(n_providers)
    ]
    r = Researcher(config=config(), providers=providers, max_concurrency=concurrency)
    t0 = time.perf_counter()
    results = await r.aresearch_many(contexts, now=NOW)
    return time.perf_counter() - t0, results, providers, r


def crm_insights_figures() -> list[str]:
    """CRM insights over the bundled sample CRM, against reading each lead's context alone."""
    from _common import median_seconds

    from leadqual.research.insights import CrmInsightsBuilder
    from leadqual.sources import build_context, load_sample, load_sample_config, load_sample_data

    data = load_sample_data()
    source = load_sample()
    ids = [lead.id for lead in source.leads()]
    builder = CrmInsightsBuilder(source, config=load_sample_config())
    read = median_seconds(lambda: [build_context(source, i) for i in ids], repeats=3)
    full = median_seconds(lambda: [builder.build(i, now=data.as_of) for i in ids], repeats=3)
    return [
        f"CRM insights for the {len(ids)} sample leads (summaries, who knows whom, opportunities, "
        "suggested contacts, connect-an-account/contact):",
        "",
        "| measure | value |",
        "|---|---|",
        f"| reading each lead's context (reference) | {read / len(ids) * 1000:.2f} ms per lead |",
        f"| full CRM insights | {full / len(ids) * 1000:.2f} ms per lead |",
        f"| ratio to the reference | {full / read:.1f} |",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--leads", type=int, default=1000)
    ap.add_argument("--companies", type=int, default=600)
    ap.add_argument("--providers", type=int, default=3)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--failure-rate", type=float, default=0.05)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    logging.getLogger("leadqual").setLevel(
        logging.ERROR
    )  # one warning per planted failure is noise here

    contexts = leads(args.leads, args.companies)
    calls = args.companies * args.providers
    ideal = calls * args.latency / args.concurrency
    refs, walls, refresh_walls = [], [], []
    last: (
        tuple[list[LeadResearch], list[FakeResearchProvider], Researcher, tuple[int, int]] | None
    ) = None
    for seed in range(args.repeats):
        refs.append(asyncio.run(reference(calls, args.latency, args.concurrency)))
        wall, results, providers, researcher = asyncio.run(
            run_once(
                contexts, args.providers, args.latency, args.failure_rate, args.concurrency, seed
            )
        )
        walls.append(wall)
        first_pass = (sum(len(p.calls) for p in providers), sum(p.failures for p in providers))
        t0 = time.perf_counter()
        asyncio.run(researcher.aresearch_many(contexts, now=NOW))  # a refresh inside the TTL
        refresh_walls.append(time.perf_counter() - t0)
        last = (results, providers, researcher, first_pass)
    assert last is not None
    results, providers, _researcher, (requests, raised) = last

    # every lead back, in order, each with one status per provider
    lost = args.leads - len(results)
    order_ok = [r.lead_id for r in results] == [c.lead.id for c in contexts]
    missing = sum(
        1
        for r in results
        if sorted(s.provider for s in r.sources) != sorted(p.name for p in providers)
    )
    statuses = [s for r in results for s in r.sources]
    failed = sum(1 for s in statuses if s.state == "failed")
    ok = sum(1 for s in statuses if s.state == "ok")
    retried = sum(len(p.calls) for p in providers) - requests
    companies_failed = {
        (s.provider, r.company.key)
        for r in results
        for s in r.sources
        if s.state == "failed" and r.company
    }

    wall = statistics.median(walls)
    ref = statistics.median(refs)
    refresh = statistics.median(refresh_walls)
    lines = [
        f"{args.leads} leads over {args.companies} companies, {args.providers} fake providers "
        f"(latency {args.latency * 1000:.0f} ms, failure rate {args.failure_rate:.0%}), "
        f"global concurrency {args.concurrency}; median of {args.repeats} runs.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| ideal (companies x providers x latency / concurrency) | {ideal:.2f} s |",
        f"| bare-asyncio reference, same sleeps and limit | {ref:.2f} s |",
        f"| Researcher wall time | {wall:.2f} s |",
        f"| ratio to ideal (target <= 1.5) | {wall / ideal:.2f} |",
        f"| ratio to reference | {wall / ref:.2f} |",
        f"| provider requests made | {requests} (of {args.leads * args.providers} lead x provider pairs; "
        f"{args.leads * args.providers - requests} served by the shared in-flight call or cache) |",
        f"| failures raised by providers / surfaced as `failed` statuses | {raised} / {failed} "
        f"({len(companies_failed)} company x provider pairs) |",
        f"| statuses ok | {ok} |",
        f"| leads lost / out of order / missing a source | {lost} / {not order_ok} / {missing} |",
        f"| refresh inside the TTL (cache hits; the {retried} failed pairs retried) | {refresh:.2f} s |",
    ]
    lines += ["", *crm_insights_figures()]
    body = "\n".join(lines)
    print(body)
    write_results("research_throughput", body)
    if lost or missing or not order_ok or raised != len(companies_failed):
        raise SystemExit("a lead was lost or a source went missing")


if __name__ == "__main__":
    main()
