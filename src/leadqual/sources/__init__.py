"""CRM data sources: the protocols, an in-memory source, and the bundled sample CRM."""

from leadqual.sources.base import CrmSource, CrmWriter, build_context
from leadqual.sources.memory import CrmSnapshot, MemorySource
from leadqual.sources.sample import (
    SAMPLE_AS_OF,
    SampleData,
    load_sample,
    load_sample_config,
    load_sample_data,
)

__all__ = [
    "SAMPLE_AS_OF",
    "CrmSnapshot",
    "CrmSource",
    "CrmWriter",
    "MemorySource",
    "SampleData",
    "build_context",
    "load_sample",
    "load_sample_config",
    "load_sample_data",
]
