"""``leadqual demo``: the agent end to end on the bundled sample CRM, offline."""

from __future__ import annotations

import pytest

from leadqual.cli import main


def test_demo_runs_the_agent_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "== Sample data ==" in out
    assert "Tailspin Analytics" in out
    assert "254 leads" in out
    for title in (
        "== Predictive model",
        "== Activation: the newest open leads first ==",
        "== Seller S-01's prioritised list",
        "== One lead's insight ==",
        "== A draft (never sent",
        "== An event: a lead's email address changes ==",
        "== Review list of supervisor S-05",
    ):
        assert title in out
    assert "86 leads processed" in out
    ranked = [line.strip() for line in out.splitlines() if line.strip().startswith("#")]
    assert len(ranked) == 10 and ranked[0].startswith("#1 ")
    assert "Subject:" in out and "Best regards," in out
    assert "insight v2; reused: research" in out
