"""The scoring part of `leadqual demo` shows a trained model and explained scores offline."""

from __future__ import annotations

from leadqual.cli.sections.scoring import demo_lines
from leadqual.sources import load_sample_config, load_sample_data


def test_demo_lines_show_model_report_scores_and_refusals() -> None:
    lines = demo_lines(load_sample_data(), load_sample_config())
    text = "\n".join(lines)
    assert "CV ROC-AUC" in text and "time-ordered" in text
    assert sum("grade" in line and "trend" in line for line in lines) == 3
    assert "    up: " in text and "    down: " in text
    assert "(too_old:" in text and "(closed:" in text
    assert "Enterprise-only model: not yet" in text
