"""The Python code blocks of the docs run (each page's blocks in order, in one namespace).

A block whose first line is ``# docs: no-run`` is skipped (for snippets that need a service).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
PAGES = sorted([*DOCS.glob("*.md"), README])


def blocks(page: Path) -> list[str]:
    found = BLOCK.findall(page.read_text(encoding="utf-8"))
    return [b for b in found if not b.lstrip().startswith("# docs: no-run")]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_doc_code_blocks_run(page: Path, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for i, code in enumerate(blocks(page)):
        try:
            exec(compile(code, f"{page.name}[block {i}]", "exec"), namespace)
        except Exception as err:  # pragma: no cover - the message is the point
            pytest.fail(f"{page.name} block {i} failed: {err!r}\n{code}")
    capsys.readouterr()
