"""leadqual on Apache Spark: score, match, validate, deduplicate and qualify leads in a Spark
DataFrame with the same answers as on one machine (see docs/spark.md).

Needs the optional extra: ``pip install 'leadqual[spark]'`` (pyspark, and Java 17+ where the
driver runs). Importing this package does not import pyspark; each function takes a Spark
DataFrame and runs the components' own batch code on the executors through ``mapInPandas``.

```python
# docs: no-run
from leadqual.spark import find_duplicates, score_leads

scores = score_leads(leads_df, scorer, id_column="id")          # a DataFrame, lazily
dupes = find_duplicates(leads_df)                               # pairs, clusters, report
```
"""

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
