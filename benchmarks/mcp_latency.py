"""Latency of each MCP tool over stdio on the sample CRM: p50 and p99 per tool, measured by the
SDK's own client against ``python -m leadqual.mcp`` in a subprocess.

The server is the command as a desktop assistant starts it: the sample CRM, its scoring model
trained at start, the newest open leads processed first, seller S-01. Each lead tool is called
on each of S-01's leads in turn (one untimed pass first, so a lead processed on first request
does not count against the steady state); ``prioritized_leads`` asks for ten entries;
``qualify_lead`` (a second server, writes allowed) qualifies each open lead of S-01 once. The
reference is the same call made in process on the tools object, without MCP or a transport, so
the difference is what the protocol and the pipe cost.

Run: ``.venv/bin/python benchmarks/mcp_latency.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

from _common import write_results
from mcp import Client, StdioServerParameters, stdio_client

from leadqual.mcp import TOOLS, AgentTools
from leadqual.mcp.command import build_agent

SELLER = "S-01"
TARGET_MS = 50.0
WEB = {"get_lead_research", "get_account_research", "qualify_lead"}
"""Tools that may research the web (for a lead not yet processed): outside the target."""


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


def _params(*extra: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "leadqual.mcp", "--seller", SELLER, *extra]
    )


async def _leads(client: Client) -> list[str]:
    out: list[str] = []
    while True:
        page = await client.call_tool("prioritized_leads", {"limit": 50, "offset": len(out)})
        assert isinstance(page.structured_content, dict)
        ids = [e["lead_id"] for e in page.structured_content["entries"]]
        if not ids:
            return out
        out += ids


async def _over_stdio(rounds: int) -> tuple[dict[str, list[float]], list[str], float]:
    times: dict[str, list[float]] = {t.name: [] for t in TOOLS}
    with tempfile.TemporaryFile("w+") as errlog:
        started = time.perf_counter()
        async with Client(stdio_client(_params(), errlog=errlog), read_timeout_seconds=300) as c:
            startup = time.perf_counter() - started
            leads = await _leads(c)
            for tool in TOOLS:
                if tool.writes:
                    continue
                if tool.name == "prioritized_leads":
                    calls = [{"limit": 10}] * (rounds * len(leads))
                else:
                    for lead in leads:  # untimed: a lead never asked about is processed here
                        await c.call_tool(tool.name, {"lead_id": lead})
                    calls = [{"lead_id": lead} for _ in range(rounds) for lead in leads]
                for args in calls:
                    times[tool.name].append(
                        await _timed(lambda n=tool.name, a=args: c.call_tool(n, a))
                    )
        async with Client(
            stdio_client(_params("--allow-writes"), errlog=errlog), read_timeout_seconds=300
        ) as c:
            for lead in await _leads(c):
                started = time.perf_counter()
                result = await c.call_tool(
                    "qualify_lead", {"lead_id": lead, "allow_duplicates": True}
                )
                times["qualify_lead"].append((time.perf_counter() - started) * 1000)
                assert not result.is_error, result.content
    return times, leads, startup


async def _in_process(leads: list[str], rounds: int) -> dict[str, list[float]]:
    agent, now = build_agent()
    tools = AgentTools(agent, now=now)
    times: dict[str, list[float]] = {t.name: [] for t in TOOLS if not t.writes}
    for name in times:
        calls: list[dict[str, Any]] = (
            [{"limit": 10}] * (rounds * len(leads))
            if name == "prioritized_leads"
            else [{"lead_id": lead} for lead in leads] * (rounds + 1)
        )
        for i, args in enumerate(calls):
            ms = await _timed(lambda n=name, a=args: tools.acall(n, a, seller=SELLER))
            if name == "prioritized_leads" or i >= len(leads):
                times[name].append(ms)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="timed calls per lead per tool")
    args = parser.parse_args()
    stdio, leads, startup = asyncio.run(_over_stdio(args.rounds))
    direct = asyncio.run(_in_process(leads, args.rounds))
    rows = []
    for tool in TOOLS:
        values = stdio[tool.name]
        p50, p99 = statistics.median(values), _quantile(values, 0.99)
        ref = direct.get(tool.name)
        ref_p50 = f"{statistics.median(ref):.1f} ms" if ref else "-"
        target = (
            "-"
            if tool.name in WEB
            else f"p50 < {TARGET_MS:.0f} ms: {'met' if p50 < TARGET_MS else 'MISSED'}"
        )
        rows.append(
            f"| {tool.name} | {len(values):,} | {p50:.1f} ms | {p99:.1f} ms | {ref_p50} | {target} |"
        )
    body = "\n".join(
        [
            f"Server: `python -m leadqual.mcp --seller {SELLER}` over stdio (sample CRM, scoring "
            f"model trained at start, newest open leads processed first); started and answering "
            f"in {startup:.1f} s. Client: the `mcp` SDK's `Client` in this process. {len(leads)} "
            f"leads on {SELLER}'s list; each lead tool called {args.rounds} times on each after "
            "one untimed pass; `prioritized_leads` with limit 10; `qualify_lead` on a second "
            "server with writes allowed, once per lead with `allow_duplicates` (each call "
            "creates the account, contact and opportunity, moves notes and activities, and "
            "processes the lead again).",
            "",
            "In process: the same calls on `AgentTools.acall`, no MCP and no transport.",
            "",
            "| tool | calls | p50 over stdio | p99 over stdio | p50 in process | target |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            "The research tools read the research stored with the lead's insight; they reach the "
            "web only for a lead never processed, with web research consented, which the sample "
            "does not do (its research provider is offline).",
        ]
    )
    print(body)
    write_results("mcp_latency", body)


if __name__ == "__main__":
    main()
