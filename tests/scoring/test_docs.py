"""The code blocks of docs/scoring.md run, in order, as one notebook would."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "scoring.md"


def test_scoring_page_code_blocks_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 8
    namespace: dict[str, object] = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        for i, block in enumerate(blocks):
            exec(compile(block, f"{DOC.name}[{i}]", "exec"), namespace)
    assert "CV ROC-AUC" in out.getvalue()
