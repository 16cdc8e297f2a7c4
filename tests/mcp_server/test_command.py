"""``python -m leadqual.mcp`` set-up: the agent it builds from a configured source and store, the
tokens file, and the mistakes it reports in one line with exit code 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from leadqual.config import AgentConfig
from leadqual.errors import ConfigurationError, PluginError
from leadqual.mcp import create_server
from leadqual.mcp.command import build_agent, main, read_tokens
from leadqual.models import LeadStatus
from leadqual.sources import SAMPLE_AS_OF, SampleData, SqliteSource
from leadqual.store import SqlInsightStore

from .conftest import data_of, talk, text_of


def test_a_configured_sqlite_crm_and_store_serve_the_tools_and_keep_the_insight(
    tmp_path: Path, sample_data: SampleData, sample_config: AgentConfig
) -> None:
    crm = tmp_path / "crm.db"
    SqliteSource.from_snapshot(sample_data.crm, crm).close()
    config = tmp_path / "agent.yaml"
    config.write_text(sample_config.to_yaml(), encoding="utf-8")
    insights = tmp_path / "insights.db"
    agent, now = build_agent(
        config=config,
        source="sqlite",
        source_options={"path": str(crm)},
        store=f"sqlite:///{insights}",
        now=SAMPLE_AS_OF,
    )
    assert now == SAMPLE_AS_OF

    async def scenario(client: Client) -> dict[str, Any]:
        return data_of(await client.call_tool("get_lead_summary", {"lead_id": "L-0171"}))

    assert talk(create_server(agent, seller="S-01", now=now), scenario)["name"] == "Fatima Carter"
    with SqlInsightStore(f"sqlite:///{insights}") as store:
        kept = store.latest("L-0171")
    assert kept is not None and kept.card.name == "Fatima Carter"


def test_a_source_without_a_configuration_file_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="--config is required with --source sqlite"):
        build_agent(source="sqlite", source_options={"path": ":memory:"})


def test_an_unknown_source_is_a_plugin_error(tmp_path: Path, sample_config: AgentConfig) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text(sample_config.to_yaml(), encoding="utf-8")
    with pytest.raises(PluginError):
        build_agent(config=config, source="salesforce-by-carrier-pigeon")


def test_the_sample_agent_is_activated_and_evaluated_at_the_samples_time() -> None:
    agent, now = build_agent(train=False)
    assert now == SAMPLE_AS_OF
    assert agent.counters().leads_processed > 50


def test_tokens_are_read_one_pair_a_line_with_comments(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text("# token seller\nabc S-01   # Avery\n\n  def S-04\n", encoding="utf-8")
    assert read_tokens(path) == {"abc": "S-01", "def": "S-04"}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("abc\n", "line 1: expected 'TOKEN SELLER_ID'"),
        ("abc S-01 S-02\n", "line 1: expected 'TOKEN SELLER_ID'"),
        ("abc S-01\nabc S-04\n", "line 2: the token is given twice"),
    ],
)
def test_a_malformed_tokens_file_names_the_line(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / "tokens"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=problem):
        read_tokens(path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seller", "S-01", "--now", "yesterday"], "is not an ISO 8601 date or time"),
        (["--seller", "S-01", "--source", "sqlite"], "--config is required"),
        (["--transport", "http", "--tokens", "{tokens}"], "at least 24 characters"),
        (["--transport", "http", "--tokens", "{missing}"], "No such file"),
        (["--transport", "stdio"], "--seller is required with stdio"),
        (["--seller", "S-99"], "'S-99' is not in the CRM; sellers: S-01, S-02"),
        (["--seller", "S-01", "--transport", "http", "--host", "0.0.0.0"], "anyone who reaches"),
    ],
)
def test_the_command_reports_a_mistake_in_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("short S-01\n", encoding="utf-8")
    filled = [a.format(tokens=tokens, missing=tmp_path / "missing") for a in [*argv, "--no-train"]]
    assert main([*filled, "--no-activate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("leadqual mcp: ") and message in err
    assert err.count("\n") == 1


def test_a_qualification_that_fails_after_writing_to_the_crm_says_the_lead_is_qualified(
    tmp_path: Path, sample_data: SampleData, sample_config: AgentConfig
) -> None:
    # In process, on the event loop's thread, the agent re-processes a qualified lead on a
    # private thread, which SQLite refuses: the CRM is written, the insight is not refreshed.
    # (`serve` runs agent calls on the thread that opened the source, where this cannot happen.)
    crm = tmp_path / "crm.db"
    SqliteSource.from_snapshot(sample_data.crm, crm).close()
    config = tmp_path / "agent.yaml"
    config.write_text(sample_config.to_yaml(), encoding="utf-8")
    agent, now = build_agent(
        config=config,
        source="sqlite",
        source_options={"path": str(crm)},
        now=SAMPLE_AS_OF,
        check_deliverability=False,
    )

    async def scenario(client: Client) -> Any:
        return await client.call_tool(
            "qualify_lead", {"lead_id": "L-0171", "account_id": "A-0039", "allow_duplicates": True}
        )

    result = talk(create_server(agent, seller="S-01", now=now, allow_writes=True), scenario)
    assert result.is_error
    assert text_of(result).startswith("lead L-0171 was qualified in the CRM, but refreshing")
    assert agent.source.get_lead("L-0171").status is LeadStatus.QUALIFIED
