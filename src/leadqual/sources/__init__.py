"""CRM data sources: the protocols, in-memory and SQLite sources, a source over existing SQL tables,
and the bundled sample CRM."""

from typing import TYPE_CHECKING, Any

from leadqual.sources.base import CrmSource, CrmWriter, build_context, with_status
from leadqual.sources.memory import CrmSnapshot, MemorySource
from leadqual.sources.sample import (
    SAMPLE_AS_OF,
    SampleData,
    load_sample,
    load_sample_config,
    load_sample_data,
)
from leadqual.sources.sql_mapping import SqlMapping, TableMap
from leadqual.sources.sqlite import SqliteSource

if TYPE_CHECKING:
    from leadqual.sources.sql_source import SqlSource, WritableSqlSource

__all__ = [
    "SAMPLE_AS_OF",
    "CrmSnapshot",
    "CrmSource",
    "CrmWriter",
    "MemorySource",
    "SampleData",
    "SqlMapping",
    "SqlSource",
    "SqliteSource",
    "TableMap",
    "WritableSqlSource",
    "build_context",
    "load_sample",
    "load_sample_config",
    "load_sample_data",
    "with_status",
]


def __getattr__(name: str) -> Any:
    # SQLAlchemy loads only for a source that needs it.
    if name in ("SqlSource", "WritableSqlSource"):
        from leadqual.sources.sql_source import SqlSource, WritableSqlSource

        return SqlSource if name == "SqlSource" else WritableSqlSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
