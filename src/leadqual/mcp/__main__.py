"""``python -m leadqual.mcp``: see :mod:`leadqual.mcp.command`."""

from __future__ import annotations

import sys

from leadqual.mcp import EXTRA_MODULES

try:
    from leadqual.mcp.command import main
except ModuleNotFoundError as err:
    if err.name is None or err.name.split(".")[0] not in EXTRA_MODULES:
        raise
    print("leadqual's MCP server needs the MCP SDK: pip install 'leadqual[mcp]'", file=sys.stderr)
    sys.exit(2)

if __name__ == "__main__":
    sys.exit(main())
