"""leadqual on Apache Spark: score, match, validate, deduplicate and qualify leads in a Spark
DataFrame with the same answers as on one machine (see docs/spark.md).

Needs the optional extra: ``pip install 'leadqual[spark]'`` (pyspark, and Java 17+ where the
driver runs). Importing this package imports neither pyspark nor the components: each name
loads its module on first use, so an executor running duplicate detection does not import the
scorer's scikit-learn. Each function takes a Spark DataFrame and runs the components' own batch
code on the executors through ``mapInPandas``.

```python
# docs: no-run
from leadqual.spark import find_duplicates, score_leads

scores = score_leads(leads_df, scorer, id_column="id")          # a DataFrame, lazily
dupes = find_duplicates(leads_df)                               # pairs, clusters, report
```
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadqual.spark._common import (
        ERROR_COLUMN,
        ExecutorVersionMismatch,
        SchemaMismatch,
        check_executor_versions,
        library_versions,
    )
    from leadqual.spark.apply import FACTOR_TYPE, match_icp, score_leads, validate_emails
    from leadqual.spark.dedupe import (
        OversizedBlock,
        SparkDedupeReport,
        SparkDuplicates,
        find_duplicates,
    )
    from leadqual.spark.insights import INSIGHT_FIELDS, qualify_leads, write_insights
    from leadqual.spark.training import SparkTraining, train_scorer

_HOMES = {
    "ERROR_COLUMN": "leadqual.spark._common",
    "ExecutorVersionMismatch": "leadqual.spark._common",
    "SchemaMismatch": "leadqual.spark._common",
    "check_executor_versions": "leadqual.spark._common",
    "library_versions": "leadqual.spark._common",
    "FACTOR_TYPE": "leadqual.spark.apply",
    "match_icp": "leadqual.spark.apply",
    "score_leads": "leadqual.spark.apply",
    "validate_emails": "leadqual.spark.apply",
    "OversizedBlock": "leadqual.spark.dedupe",
    "SparkDedupeReport": "leadqual.spark.dedupe",
    "SparkDuplicates": "leadqual.spark.dedupe",
    "find_duplicates": "leadqual.spark.dedupe",
    "INSIGHT_FIELDS": "leadqual.spark.insights",
    "qualify_leads": "leadqual.spark.insights",
    "write_insights": "leadqual.spark.insights",
    "SparkTraining": "leadqual.spark.training",
    "train_scorer": "leadqual.spark.training",
}
"""Each public name and the module that defines it (imported on first use)."""


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'leadqual.spark' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "ERROR_COLUMN",
    "FACTOR_TYPE",
    "INSIGHT_FIELDS",
    "ExecutorVersionMismatch",
    "OversizedBlock",
    "SchemaMismatch",
    "SparkDedupeReport",
    "SparkDuplicates",
    "SparkTraining",
    "check_executor_versions",
    "find_duplicates",
    "library_versions",
    "match_icp",
    "qualify_leads",
    "score_leads",
    "train_scorer",
    "validate_emails",
    "write_insights",
]
