"""The ICP part of `leadqual demo` runs on the sample and shows reasons."""

from __future__ import annotations

from leadqual.cli.sections.prioritize import demo_lines
from leadqual.config import AgentConfig
from leadqual.sources import SampleData


def test_demo_lines_show_fit_handraisers_and_a_sellers_top_ten(
    sample_data: SampleData, sample_config: AgentConfig
) -> None:
    lines = demo_lines(sample_data, sample_config)
    text = "\n".join(lines)
    assert "ICP 'Mid-market and enterprise revenue teams'" in text
    assert f"Hand-raisers: {len(sample_data.truth['handraisers'])} of" in text
    ranked = [line for line in lines if line.lstrip().startswith("#")]
    assert len(ranked) == 10
    assert ranked[0].lstrip().startswith("#1 ")
    assert all("of " in line for line in ranked)


def test_demo_without_an_icp_still_ranks(
    sample_data: SampleData, sample_config: AgentConfig
) -> None:
    lines = demo_lines(sample_data, sample_config.model_copy(update={"icp": None}))
    assert lines[0].startswith("No ICP configured")
    assert any(line.lstrip().startswith("#1 ") for line in lines)
