"""Write the JSON Schema of ``AgentConfig`` to ``docs/agent-config.schema.json``.

Run ``python scripts/generate_config_schema.py`` after changing the configuration models; a test
fails while the committed file differs from what this script writes (``--check`` runs that
comparison here without writing).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from leadqual.config import AgentConfig

OUT = Path(__file__).resolve().parents[1] / "docs" / "agent-config.schema.json"


def schema_text() -> str:
    """The schema as the committed file holds it: indented, keys in the models' order."""
    return json.dumps(AgentConfig.json_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Write the file, or with ``--check`` exit 1 when it is out of date."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    text = schema_text()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is out of date: run python scripts/generate_config_schema.py")
            sys.exit(1)
        return
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
