"""``leadqual.agent.build_agent``: the one builder behind the MCP server and the web view, on the
sample or on a configured source and store, and the agent rebuilt for another configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadqual.agent import BuiltAgent, build_agent
from leadqual.config import AgentConfig
from leadqual.errors import ConfigurationError, PluginError
from leadqual.models import Seller
from leadqual.sources import SAMPLE_AS_OF, SampleData, SqliteSource

GUEST = Seller(id="S-GUEST", name="Guest Seller", roles=("Salesperson",))


def test_the_sample_is_activated_at_its_own_time_with_the_sellers_added() -> None:
    built = build_agent(train=False, sample_sellers=[GUEST])
    assert isinstance(built, BuiltAgent)
    assert built.now == SAMPLE_AS_OF
    assert built.agent.counters().leads_processed > 50
    assert "S-GUEST" in {s.id for s in built.agent.source.sellers()}
    assert built.agent.pipeline.scorer is None


def test_without_added_sellers_the_sample_has_its_own_five() -> None:
    built = build_agent(train=False, activate=False)
    assert [s.id for s in built.agent.source.sellers()] == ["S-01", "S-02", "S-03", "S-04", "S-05"]
    assert built.agent.counters().leads_processed == 0


def test_a_rebuilt_sample_agent_keeps_source_store_and_components_but_not_the_config() -> None:
    built = build_agent(train=False, activate=False)
    changed = built.agent.config.model_copy(update={"lead_summary_fields": ("lead.company_name",)})
    again = built.rebuild(changed)
    assert again is not built.agent
    assert again.config == changed != built.agent.config
    assert again.source is built.agent.source
    assert again.store is built.agent.store
    assert again.pipeline.validator is built.agent.pipeline.validator


def test_a_configured_source_needs_its_config_and_takes_no_sample_sellers(
    tmp_path: Path, sample_data: SampleData, sample_config: AgentConfig
) -> None:
    crm = tmp_path / "crm.db"
    SqliteSource.from_snapshot(sample_data.crm, crm).close()
    with pytest.raises(ConfigurationError, match="--config is required with --source sqlite"):
        build_agent(source="sqlite", source_options={"path": str(crm)})
    config = tmp_path / "agent.yaml"
    config.write_text(sample_config.to_yaml(), encoding="utf-8")
    with pytest.raises(PluginError):
        build_agent(config=config, source="sqlite", source_options={"nonsense": "1"})
    built = build_agent(
        config=str(config),
        source="sqlite",
        source_options={"path": str(crm)},
        store=f"sqlite:///{tmp_path / 'insights.db'}",
        check_deliverability=False,
        sample_sellers=[GUEST],
    )
    try:
        assert built.now is None
        assert built.agent.counters().leads_processed == 0  # not activated unless asked
        assert "S-GUEST" not in {s.id for s in built.agent.source.sellers()}
        assert built.agent.store is not None
        assert built.rebuild(sample_config).store is built.agent.store
    finally:
        built.agent.source.close()  # type: ignore[attr-defined]


def test_the_web_view_adds_its_admin_and_the_mcp_server_does_not() -> None:
    pytest.importorskip("starlette")
    pytest.importorskip("mcp")
    from leadqual.mcp.command import build_agent as mcp_build
    from leadqual.web import SAMPLE_ADMIN
    from leadqual.web import build_agent as web_build

    web_agent, web_now, rebuild = web_build(train=False, activate=False)
    mcp_agent, mcp_now = mcp_build(train=False, activate=False)
    assert web_now == mcp_now == SAMPLE_AS_OF
    web_ids = {s.id for s in web_agent.source.sellers()}
    mcp_ids = {s.id for s in mcp_agent.source.sellers()}
    assert web_ids - mcp_ids == {SAMPLE_ADMIN.id}
    assert rebuild(web_agent.config).source is web_agent.source
