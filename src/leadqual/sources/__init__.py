"""CRM data sources: the protocols, in-memory and SQLite sources, and the bundled sample CRM."""

from leadqual.sources.base import CrmSource, CrmWriter, build_context, with_status
from leadqual.sources.memory import CrmSnapshot, MemorySource
from leadqual.sources.sample import (
    SAMPLE_AS_OF,
    SampleData,
    load_sample,
    load_sample_config,
    load_sample_data,
)
from leadqual.sources.sqlite import SqliteSource

__all__ = [
    "SAMPLE_AS_OF",
    "CrmSnapshot",
    "CrmSource",
    "CrmWriter",
    "MemorySource",
    "SampleData",
    "SqliteSource",
    "build_context",
    "load_sample",
    "load_sample_config",
    "load_sample_data",
    "with_status",
]
