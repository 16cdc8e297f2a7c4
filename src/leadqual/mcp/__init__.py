"""An MCP server for assistants: the agent's research, assessment, summary, draft, duplicates,
score and prioritised list as tools, for one seller at a time (see docs/mcp.md).

Needs the optional extra: ``pip install 'leadqual[mcp]'`` (the official ``mcp`` SDK). Importing
this package loads nothing heavy; the SDK loads when a server is built.

```python
# docs: no-run
from leadqual.mcp import serve

serve(agent, transport="stdio", seller="S-01")       # what `python -m leadqual.mcp` does
```
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadqual.mcp.server import (
        aserve,
        create_http_app,
        create_server,
        seller_tokens,
        serve,
    )
    from leadqual.mcp.tools import TOOLS, AgentTools, ToolDef, ToolFailure

__all__ = [
    "TOOLS",
    "AgentTools",
    "ToolDef",
    "ToolFailure",
    "aserve",
    "create_http_app",
    "create_server",
    "seller_tokens",
    "serve",
]

_HOMES = {
    "TOOLS": "leadqual.mcp.tools",
    "AgentTools": "leadqual.mcp.tools",
    "ToolDef": "leadqual.mcp.tools",
    "ToolFailure": "leadqual.mcp.tools",
    "aserve": "leadqual.mcp.server",
    "create_http_app": "leadqual.mcp.server",
    "create_server": "leadqual.mcp.server",
    "seller_tokens": "leadqual.mcp.server",
    "serve": "leadqual.mcp.server",
}

EXTRA_MODULES = frozenset({"mcp", "mcp_types", "starlette", "uvicorn"})
"""Top-level modules the ``mcp`` extra brings; a missing one means the extra is not installed."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'leadqual.mcp' has no attribute {name!r}")
    try:
        module = importlib.import_module(home)
    except ModuleNotFoundError as err:
        if err.name is not None and err.name.split(".")[0] in EXTRA_MODULES:
            raise ImportError(
                f"leadqual.mcp.{name} needs the MCP SDK: pip install 'leadqual[mcp]'"
            ) from err
        raise
    return getattr(module, name)
