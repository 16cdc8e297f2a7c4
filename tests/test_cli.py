"""The leadqual command."""

from __future__ import annotations

import pytest

from leadqual.cli import main


def test_demo_prints_the_sample_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "== Sample data ==" in out
    assert "Tailspin Analytics" in out
    assert "254 leads" in out


def test_version_prints_a_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip()


def test_unknown_command_exits_with_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["fly"])
    assert info.value.code == 2


def test_demo_shows_every_component_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for title in (
        "== Email validation",
        "== ICP fit, hand-raisers and prioritisation ==",
        "== Duplicate detection ==",
        "== Predictive scoring (trained on the sample's closed history) ==",
        "== Research: CRM insights and offline web research ==",
        "== Engagement: reply intents, next best action and a draft (never sent) ==",
    ):
        assert title in out
