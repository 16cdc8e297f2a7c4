"""``python -m leadqual.mcp`` over stdio in a subprocess, through the SDK's own client: the
command a desktop assistant starts."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters, stdio_client

from leadqual.config import AgentConfig
from leadqual.mcp import TOOLS
from leadqual.models import LeadStatus
from leadqual.sources import SAMPLE_AS_OF, SampleData, SqliteSource

from .conftest import data_of, text_of

READ_TOOLS = [t.name for t in TOOLS if not t.writes]


def _params(*args: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "leadqual.mcp", "--no-train", *args]
    )


def _session(params: StdioServerParameters, scenario: Any) -> Any:
    async def main() -> Any:
        # The server's log lines go to a file of their own, not into the test's output.
        with tempfile.TemporaryFile("w+") as errlog:
            async with Client(
                stdio_client(params, errlog=errlog), read_timeout_seconds=120
            ) as client:
                return await scenario(client)

    return anyio.run(main)


def test_a_read_only_stdio_server_answers_for_its_seller_and_refuses_the_rest() -> None:
    async def scenario(client: Client) -> dict[str, Any]:
        tools = [t.name for t in (await client.list_tools()).tools]
        listed = data_of(await client.call_tool("prioritized_leads", {"limit": 50}))
        top = listed["entries"][0]["lead_id"]
        summary = data_of(await client.call_tool("get_lead_summary", {"lead_id": top}))
        foreign = await client.call_tool("get_lead_summary", {"lead_id": "L-0202"})
        unknown = await client.call_tool("get_lead_summary", {"lead_id": "L-9999"})
        wrong = await client.call_tool("prioritized_leads", {"limit": 10**9})
        write = await client.call_tool("qualify_lead", {"lead_id": top})
        again = data_of(await client.call_tool("score_lead", {"lead_id": top}))
        return {
            "tools": tools,
            "listed": listed,
            "summary": summary,
            "foreign": foreign,
            "unknown": unknown,
            "wrong": wrong,
            "write": write,
            "again": again,
        }

    out = _session(_params("--seller", "S-01"), scenario)
    assert out["tools"] == READ_TOOLS
    assert out["listed"]["seller_id"] == "S-01" and out["listed"]["total"] > 0
    assert out["summary"]["lead_id"] == out["listed"]["entries"][0]["lead_id"]
    # The sample is activated first: the top leads already have their insight.
    assert out["listed"]["entries"][0]["next_action"]
    assert out["foreign"].is_error and out["unknown"].is_error
    assert text_of(out["foreign"]).replace("L-0202", "X") == text_of(out["unknown"]).replace(
        "L-9999", "X"
    )
    assert out["wrong"].is_error and "less than or equal to 50" in text_of(out["wrong"])
    assert out["write"].is_error and "read-only" in text_of(out["write"])
    # Still serving after the refusals; the sample's scoring model was skipped (--no-train).
    assert out["again"]["scored"] is False


def test_a_stdio_server_with_writes_allowed_qualifies_its_sellers_lead_in_a_sqlite_crm(
    tmp_path: Path, sample_data: SampleData, sample_config: AgentConfig
) -> None:
    crm = tmp_path / "crm.db"
    SqliteSource.from_snapshot(sample_data.crm, crm).close()
    config = tmp_path / "agent.yaml"
    config.write_text(sample_config.to_yaml(), encoding="utf-8")

    async def scenario(client: Client) -> dict[str, Any]:
        tools = [t.name for t in (await client.list_tools()).tools]
        before = data_of(await client.call_tool("get_lead_summary", {"lead_id": "L-0171"}))
        done = data_of(
            await client.call_tool(
                "qualify_lead",
                {"lead_id": "L-0171", "account_id": "A-0039", "allow_duplicates": True},
            )
        )
        summary = data_of(await client.call_tool("get_lead_summary", {"lead_id": "L-0171"}))
        after = await client.call_tool("qualify_lead", {"lead_id": "L-0171"})
        return {
            "tools": tools,
            "before": before,
            "done": done,
            "summary": summary,
            "after": after,
        }

    options = ["--config", str(config), "--source", "sqlite", "--source-option", f"path={crm}"]
    offline = ["--now", SAMPLE_AS_OF.isoformat(), "--no-check-deliverability"]
    out = _session(_params("--seller", "S-01", "--allow-writes", *options, *offline), scenario)
    assert "qualify_lead" in out["tools"]
    assert out["done"]["qualified"] is True and out["done"]["lead_status"] == "qualified"
    # The lead was processed again after qualifying (on the thread that opened the SQLite file).
    assert out["before"]["insight_version"] == 1
    assert out["summary"]["insight_version"] == 2
    assert out["after"].is_error and "reactivate it" in text_of(out["after"])
    with SqliteSource(crm) as kept:
        assert kept.get_lead("L-0171").status is LeadStatus.QUALIFIED


def test_the_command_without_the_extra_says_how_to_install_it() -> None:
    code = (
        "import runpy, sys\n"
        "sys.modules['mcp'] = None\n"  # what an environment without the extra looks like
        "sys.argv = ['leadqual.mcp', '--seller', 'S-01']\n"
        "runpy.run_module('leadqual.mcp', run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2
    assert "pip install 'leadqual[mcp]'" in done.stderr
    assert "Traceback" not in done.stderr
