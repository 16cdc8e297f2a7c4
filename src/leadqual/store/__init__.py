"""Insight stores: where the agent keeps its conclusions, their history and audit trail.

- :class:`InsightStore`: the protocol every store implements.
- :class:`MemoryInsightStore`: in this process's memory (tests, notebooks).
- :class:`SqlInsightStore`: SQLite (embedded, the default) or PostgreSQL, with a versioned
  schema checked and migrated on open.

See docs/store.md.
"""

from __future__ import annotations

from leadqual.store._common import SCHEMA_VERSION
from leadqual.store.base import InsightStore
from leadqual.store.memory import MemoryInsightStore
from leadqual.store.sql import SqlInsightStore

__all__ = ["SCHEMA_VERSION", "InsightStore", "MemoryInsightStore", "SqlInsightStore"]
