"""Insight stores: where the agent keeps its conclusions, their history and audit trail.

- :class:`InsightStore`: the protocol every store implements.
- :class:`MemoryInsightStore`: in this process's memory (tests, notebooks).
- :class:`SqlInsightStore`: SQLite (embedded, the default) or PostgreSQL, with a versioned
  schema migrated on open. Loaded on first use, so importing the package does not import
  SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leadqual.store._common import SCHEMA_VERSION
from leadqual.store.base import InsightStore
from leadqual.store.memory import MemoryInsightStore

if TYPE_CHECKING:
    from leadqual.store.sql import SqlInsightStore

__all__ = ["SCHEMA_VERSION", "InsightStore", "MemoryInsightStore", "SqlInsightStore"]


def __getattr__(name: str) -> Any:
    if name == "SqlInsightStore":
        from leadqual.store.sql import SqlInsightStore

        return SqlInsightStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
