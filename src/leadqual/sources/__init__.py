"""CRM data sources: the protocols, in-memory and SQLite sources, tabular sources (CSV, Parquet,
DataFrame), a source over existing SQL tables, the Dataverse (Dynamics 365) Web API source, and
the bundled sample CRM.

The tabular names load pandas, the SQL source loads SQLAlchemy and the Dataverse source httpx and
tenacity, so they are imported on first use.
"""

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
    from leadqual.sources.dataverse import DataverseSource, WritableDataverseSource
    from leadqual.sources.lead_table import (
        LEAD_TABLE_COLUMNS,
        check_lead_table,
        leads_from_table,
    )
    from leadqual.sources.sql_source import SqlSource, WritableSqlSource
    from leadqual.sources.tabular import (
        AccountMapping,
        ActivityMapping,
        ContactMapping,
        LeadMapping,
        LoadResult,
        MappingGuess,
        RowProblem,
        TabularSource,
        guess_mapping,
        iter_lead_batches,
        leads_from_frame,
        preset_mapping,
        read_lead_table,
    )

_TABULAR = frozenset(
    {
        "AccountMapping",
        "ActivityMapping",
        "ContactMapping",
        "LeadMapping",
        "LoadResult",
        "MappingGuess",
        "RowProblem",
        "TabularSource",
        "guess_mapping",
        "iter_lead_batches",
        "leads_from_frame",
        "preset_mapping",
        "read_lead_table",
    }
)
_LEAD_TABLE = frozenset(
    {"LEAD_TABLE_COLUMNS", "check_lead_table", "lead_table", "leads_from_table"}
)

__all__ = [
    "LEAD_TABLE_COLUMNS",
    "SAMPLE_AS_OF",
    "AccountMapping",
    "ActivityMapping",
    "ContactMapping",
    "CrmSnapshot",
    "CrmSource",
    "CrmWriter",
    "DataverseSource",
    "LeadMapping",
    "LoadResult",
    "MappingGuess",
    "MemorySource",
    "RowProblem",
    "SampleData",
    "SqlMapping",
    "SqlSource",
    "SqliteSource",
    "TableMap",
    "TabularSource",
    "WritableDataverseSource",
    "WritableSqlSource",
    "build_context",
    "check_lead_table",
    "guess_mapping",
    "iter_lead_batches",
    "leads_from_frame",
    "leads_from_table",
    "load_sample",
    "load_sample_config",
    "load_sample_data",
    "preset_mapping",
    "read_lead_table",
    "with_status",
]


def __getattr__(name: str) -> Any:
    # SQLAlchemy loads only for a source that needs it.
    if name in ("SqlSource", "WritableSqlSource"):
        from leadqual.sources.sql_source import SqlSource, WritableSqlSource

        return SqlSource if name == "SqlSource" else WritableSqlSource
    if name in ("DataverseSource", "WritableDataverseSource"):
        import leadqual.sources.dataverse as dataverse

        return getattr(dataverse, name)
    if name in _TABULAR:
        import leadqual.sources.tabular as tabular

        return getattr(tabular, name)
    if name in _LEAD_TABLE:
        import leadqual.sources.lead_table as table

        return getattr(table, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
