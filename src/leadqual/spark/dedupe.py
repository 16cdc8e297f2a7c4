"""Duplicate detection on Spark with the rules of one machine.

The stages, and who does each:

1. blocking keys per record: :meth:`DuplicateDetector.prepare
   <leadqual.dedupe.DuplicateDetector.prepare>` and the blocker's own key values, on each batch;
2. blocks: records sharing a key value, grouped in Spark. A block larger than the settings'
   ``max_block_size`` is split by the exact keys one machine uses inside such a block (normalised
   email, phone, or name and company): within each part every record is paired with the part's
   first record, as on one machine, and the block is counted in the report;
3. comparison: the blocks, a few thousand records at a time, go through
   :meth:`DuplicateDetector.find_frame <leadqual.dedupe.DuplicateDetector.find_frame>` told to
   pair exactly the records of each block: the comparisons, rules, vetoes and model are the
   detector's own;
4. clusters: connected components of the pairs by iterative smallest-label propagation in
   DataFrame joins; no pair is collected to the driver.

The pairs equal the single-machine detector's on the same rows in the same order (a record's
position decides which of two records is ``left``, and which one leads a split block).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import ConfigDict

from leadqual._base import LeadqualModel
from leadqual.dedupe import (
    BlockingKey,
    DedupeSettings,
    DuplicateDetector,
    FieldSpec,
    Normalizer,
)
from leadqual.dedupe.pipeline import Blocker
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.spark._common import (
    Fitted,
    check_columns,
    check_executor_versions,
    column_type,
    ddl,
    is_id,
    map_batches,
    plain,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["OversizedBlock", "SparkDuplicates", "SparkDedupeReport", "find_duplicates"]

logger = logging.getLogger(__name__)

_ROW = "_lq_row"
_BLOCK = "_lq_block"
_NO_LIMIT = 2**31 - 1


class OversizedBlock(LeadqualModel):
    """A blocking key value shared by more records than ``max_block_size``: split by exact keys."""

    model_config = ConfigDict(frozen=True)

    key: str
    records: int
    parts: int
    """Parts of two or more records sharing an exact key."""
    exact_pairs: int
    """Pairs compared inside the block (each record with its part's first record)."""


class SparkDedupeReport(LeadqualModel):
    """What the Spark job did: records, blocks, pairs compared, oversized blocks, iterations."""

    model_config = ConfigDict(frozen=True)

    records: int
    rejected: int
    """Records that could not be normalised (listed with their reason in ``rejected``)."""
    pairs_per_key: dict[str, int]
    """Candidate pairs each blocking key made (as :class:`~leadqual.dedupe.BlockingSummary`)."""
    compared_rows: int
    """Record copies sent to comparison (a record counts once per block it is in)."""
    duplicate_pairs: int
    clusters: int
    oversized: tuple[OversizedBlock, ...]
    iterations: int
    """Rounds of label propagation the connected components took."""


@dataclass(frozen=True)
class SparkDuplicates:
    """The result of :func:`find_duplicates`.

    Attributes:
        pairs: one row per duplicate pair, as :meth:`DuplicateDetector.find_frame
            <leadqual.dedupe.DuplicateDetector.find_frame>` returns them (``left_id``,
            ``right_id``, ``rule``, ``probability``, ``cluster``, ``sim_<comparison>``).
        clusters: ``id``, ``cluster`` (the id of the cluster's first record) for every record
            in a pair.
        rejected: ``id``, ``error`` for every record that could not be normalised.
        report: the counts.
    """

    pairs: DataFrame
    clusters: DataFrame
    rejected: DataFrame
    report: SparkDedupeReport


# -- the detector, rebuilt on each executor ---------------------------------------------------


@dataclass(frozen=True)
class _Recipe:
    """What builds the detector where it runs (a detector's caches are not sent)."""

    settings: DedupeSettings
    model: Any
    default_region: str
    free_mail_domains: frozenset[str]

    def detector(self, *, blocks: bool = False) -> DuplicateDetector:
        """The detector; with ``blocks`` one that pairs exactly the records sharing the
        ``_lq_block`` column (the blocks Spark made), with the same comparisons and rules."""
        settings = self.settings
        if blocks:
            data = settings.model_dump()
            data["fields"] = [*data["fields"], FieldSpec(name=_BLOCK, kind="raw").model_dump()]
            data["blocking"] = [BlockingKey(name=_BLOCK, fields=(_BLOCK,)).model_dump()]
            data["max_block_size"] = _NO_LIMIT
            settings = DedupeSettings.model_validate(data)
        normalizer = Normalizer(
            default_region=self.default_region, free_mail_domains=self.free_mail_domains
        )
        # one process per task: Spark runs the tasks side by side, so the detector forks none
        det = DuplicateDetector(settings, normalizer=normalizer, workers=1)
        det.model = self.model
        return det


def _source_columns(settings: DedupeSettings) -> list[str]:
    cols: dict[str, None] = {}
    for spec in settings.fields:
        cols.setdefault(spec.column, None)
        if spec.region_source is not None:
            cols.setdefault(spec.region_source, None)
    cols.pop(settings.id_column, None)
    return list(cols)


# -- stage 1: keys per record -----------------------------------------------------------------

_KEY_SCHEMA = ddl(
    [
        (_ROW, "bigint"),
        ("kind", "string"),
        ("key", "string"),
        ("value", "string"),
        ("error", "string"),
    ]
)


def _keys_of(
    det: DuplicateDetector, exact: Sequence[BlockingKey], batch: pd.DataFrame
) -> pd.DataFrame:
    rows = batch[_ROW].to_numpy(dtype=np.int64)
    prepared = det.prepare(batch.drop(columns=[_ROW]))
    parts: list[pd.DataFrame] = []
    for kind, keys in (("block", det.settings.blocking), ("exact", exact)):
        for key in keys:
            at, values = Blocker.key_values(prepared, key)
            part = pd.DataFrame(
                {_ROW: rows[at], "kind": kind, "key": key.name, "value": [str(v) for v in values]}
            )
            parts.append(part.drop_duplicates())
    out = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=[_ROW, "kind", "key", "value"])
    )
    out["error"] = None
    return out


def _keys_or_errors(
    fn: Callable[[pd.DataFrame], pd.DataFrame], batch: pd.DataFrame
) -> pd.DataFrame:
    """Keys of ``batch``; a record whose normalisation fails comes back as one ``error`` row."""
    try:
        return fn(batch)
    except Exception as err:
        if len(batch) == 1:
            text = f"{type(err).__name__}: {err}"[:500]
            return pd.DataFrame(
                {
                    _ROW: batch[_ROW].to_numpy(dtype=np.int64),
                    "kind": "error",
                    "key": None,
                    "value": None,
                    "error": [text],
                }
            )
    half = len(batch) // 2
    return pd.concat(
        [_keys_or_errors(fn, batch.iloc[:half]), _keys_or_errors(fn, batch.iloc[half:])],
        ignore_index=True,
    )


# -- stage 3: compare the blocks ----------------------------------------------------------------


def _pair_fields(settings: DedupeSettings, id_type: str) -> list[tuple[str, str]]:
    return [
        ("left_row", "bigint"),
        ("right_row", "bigint"),
        ("left_id", id_type),
        ("right_id", id_type),
        ("rule", "string"),
        ("probability", "double"),
        *((f"sim_{c.name}", "double") for c in settings.comparisons),
    ]


def _compare_batch(
    det: DuplicateDetector, id_column: str, sims: Sequence[str], batch: pd.DataFrame
) -> pd.DataFrame:
    batch = batch.sort_values([_ROW, "block_id"], kind="stable").reset_index(drop=True)
    rows = batch[_ROW].to_numpy(dtype=np.int64)
    ids = batch[id_column].to_numpy(dtype=object)
    codes, _ = pd.factorize(batch["block_id"])
    frame = batch.drop(columns=[_ROW, "block_id", "_lq_batch"])
    frame[id_column] = [str(i) for i in range(len(batch))]
    frame[_BLOCK] = [str(c) for c in codes]
    found = det.find_frame(frame)
    left = found["left_id"].astype(np.int64).to_numpy()
    right = found["right_id"].astype(np.int64).to_numpy()
    # a record twice in a batch (two blocks of one key) may meet itself: never a pair
    keep = rows[left] != rows[right]
    left, right = left[keep], right[keep]
    found = found[keep]
    swap = rows[left] > rows[right]
    lo = np.where(swap, right, left)
    hi = np.where(swap, left, right)
    out = pd.DataFrame(
        {
            "left_row": rows[lo],
            "right_row": rows[hi],
            "left_id": ids[lo],
            "right_id": ids[hi],
            "rule": found["rule"].astype(object).to_numpy(),
            "probability": found["probability"].to_numpy(dtype=float),
        }
    )
    for name in sims:
        out[name] = found[name].to_numpy(dtype=float)
    return out


# -- the job --------------------------------------------------------------------------------------


def _checked_detector(detector: DuplicateDetector | None) -> DuplicateDetector:
    det = detector if detector is not None else DuplicateDetector()
    if not isinstance(det, DuplicateDetector):
        raise ConfigurationError(
            f"find_duplicates needs a DuplicateDetector, got {type(det).__name__}"
        )
    s = det.settings
    windowed = [k.name for k in s.blocking if k.window is not None]
    if windowed:
        raise ConfigurationError(
            f"blocking key(s) {windowed} use a sorted-neighbourhood window, which needs one global "
            "order of all records; on Spark use exact keys (or a prefix: BlockingKey(prefix=...))"
        )
    if s.classify != "rules" and det.model is None:
        raise ConfigurationError(
            f"classify={s.classify!r} needs the detector's model fitted before the job, so that "
            "every block is judged by the same weights: fit it on a sample on the driver "
            "(detector.fit(df.sample(fraction=...).toPandas())) or on labelled pairs"
        )
    return det


def find_duplicates(
    df: DataFrame,
    /,
    detector: DuplicateDetector | None = None,
    *,
    batch_rows: int = 20_000,
    max_iterations: int = 100,
    check_versions: bool = True,
) -> SparkDuplicates:
    """Every duplicate pair among the rows of ``df``, with clusters, on the cluster.

    ``df`` has the columns the detector's settings read (for the default lead rules: ``id``,
    ``first_name``, ``last_name``, ``company_name``, ``emails`` and ``phones`` as arrays of
    strings, ``country``). See the module documentation for the stages.

    Args:
        df: the records; its row order decides ``left`` / ``right`` as on one machine.
        detector: the rules, settings and (for ``classify="model"``) a fitted model; default
            the seeds' lead rules.
        batch_rows: record copies compared per task (whole blocks, a few thousand records).
        max_iterations: rounds of label propagation allowed for the clusters.
        check_versions: ask the executors for their library versions first.

    Raises:
        SchemaMismatch: a column the settings read is missing.
        ValidationFailed: an id is missing or repeated (checked before the pairs are made).
        ConfigurationError: window blocking keys, or a model-classified detector not fitted.
        ExecutorVersionMismatch: the executors run other library versions than the driver.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as sf

    det = _checked_detector(detector)
    s = det.settings
    idc = s.id_column
    sources = _source_columns(s)
    check_columns(df, {idc: is_id, **dict.fromkeys(sources)}, what="the duplicate detector")
    spark = df.sparkSession
    recipe = _Recipe(
        settings=s,
        model=det.model,
        default_region=det.normalizer.default_region,
        free_mail_domains=det.normalizer.free_mail_domains,
    )
    fitted = Fitted(recipe)
    if check_versions:
        check_executor_versions(spark, fitted.versions)
    shared = spark.sparkContext.broadcast(fitted)
    id_type = column_type(df, idc)

    records = (
        df.select(sf.col(idc), *[sf.col(c) for c in sources])
        .withColumn(_ROW, sf.monotonically_increasing_id())
        .persist(StorageLevel.MEMORY_AND_DISK)
    )

    # stage 1: keys per record
    exact = s.exact_keys()

    def keys_run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        here = shared.value.checked().detector()
        fn = partial(_keys_of, here, exact)
        return map_batches(batches, partial(_keys_or_errors, fn))

    keys = (
        records.select(_ROW, idc, *sources)
        .mapInPandas(keys_run, _KEY_SCHEMA)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    rejected = (
        keys.filter(sf.col("kind") == "error")
        .join(records.select(_ROW, idc), _ROW)
        .select(sf.col(idc).alias("id"), "error")
    )

    # stage 2: blocks. The counts the plan needs come back in one job; oversized blocks are
    # split only when there are some.
    block_keys = keys.filter(sf.col("kind") == "block")
    sizes = (
        block_keys.groupBy("key", "value")
        .agg(sf.count(sf.lit(1)).alias("size"))
        .filter(sf.col("size") >= 2)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    sized = block_keys.join(sizes, ["key", "value"])
    plan = _block_counts(records, idc, keys, sizes, s.max_block_size)
    n_records = plan.records
    members = sized.filter(sf.col("size") <= s.max_block_size).select(
        sf.concat(sf.lit("b\x1e"), sf.col("key"), sf.lit("\x1e"), sf.col("value")).alias(
            "block_id"
        ),
        _ROW,
    )
    per_key = dict(plan.per_key)
    n_assigned = plan.members
    oversized: tuple[OversizedBlock, ...] = ()
    assigned = members
    cached: list[DataFrame] = [sizes]
    if plan.oversized_rows:
        split = _split_oversized(keys, sizes, s.max_block_size)
        oversized = split.blocks
        for block in oversized:
            per_key[block.key] = per_key.get(block.key, 0) + block.exact_pairs
        assigned = members.unionByName(split.members)
        n_assigned += split.member_rows
        cached += [split.parts, split.stars]

    # stage 3: compare, whole blocks per task
    n_batches = max(1, -(-n_assigned // max(1, batch_rows)))
    to_compare = assigned.withColumn(
        "_lq_batch", sf.pmod(sf.xxhash64("block_id"), sf.lit(n_batches))
    ).join(records, _ROW)
    sims = [f"sim_{c.name}" for c in s.comparisons]
    pair_fields = _pair_fields(s, id_type)

    def compare_run(batch: pd.DataFrame) -> pd.DataFrame:
        here = shared.value.checked().detector(blocks=True)
        return plain(_compare_batch(here, idc, sims, batch))

    compared = to_compare.groupBy("_lq_batch").applyInPandas(compare_run, ddl(pair_fields))
    pairs = compared.dropDuplicates(["left_row", "right_row"]).persist(StorageLevel.MEMORY_AND_DISK)

    # stage 4: clusters (the comparison runs in the first of these jobs)
    found = _components(pairs, max_iterations)
    for frame in cached:
        frame.unpersist()
    names = records.select(sf.col(_ROW).alias("label"), sf.col(idc).alias("cluster"))
    labelled = found.labels.join(names, "label")
    clusters = labelled.join(records.select(_ROW, sf.col(idc).alias("id")), _ROW).select(
        "id", "cluster"
    )
    out_pairs = (
        pairs.join(labelled.select(sf.col(_ROW).alias("left_row"), "cluster"), "left_row")
        .orderBy("left_row", "right_row")
        .select("left_id", "right_id", "rule", "probability", "cluster", *sims)
    )
    report = SparkDedupeReport(
        records=n_records,
        rejected=plan.rejected,
        pairs_per_key={k.name: per_key.get(k.name, 0) for k in s.blocking},
        compared_rows=n_assigned,
        duplicate_pairs=found.pairs,
        clusters=found.clusters,
        oversized=oversized,
        iterations=found.iterations,
    )
    logger.info(
        "spark dedupe: %d records, %d duplicate pairs, %d clusters, %d oversized blocks",
        n_records,
        found.pairs,
        found.clusters,
        len(oversized),
    )
    return SparkDuplicates(pairs=out_pairs, clusters=clusters, rejected=rejected, report=report)


@dataclass(frozen=True)
class _BlockCounts:
    records: int
    rejected: int
    per_key: dict[str, int]
    """Pairs made by each key's blocks of normal size."""
    members: int
    """Record copies in blocks of normal size."""
    oversized_rows: int
    """Record copies in blocks larger than ``max_block_size``."""


def _block_counts(
    records: DataFrame, idc: str, keys: DataFrame, sizes: DataFrame, max_block_size: int
) -> _BlockCounts:
    """The records (after checking that every id is present and unique), the records that
    failed, and per blocking key the pairs and records of its blocks of normal size and the
    records of its oversized ones, in one Spark job (one row per key, one for the ids, one for
    the failures), before any pair is made.

    Raises:
        ValidationFailed: ids missing or repeated (how many, and the smallest repeated one).
    """
    from pyspark.sql import functions as sf

    zero = sf.lit(0).cast("bigint")
    normal = sf.col("size") <= max_block_size
    size = sf.col("size")
    per_key = sizes.groupBy("key").agg(
        sf.sum(sf.when(normal, size * (size - 1)).otherwise(0)).alias("twice_pairs"),
        sf.sum(sf.when(normal, size).otherwise(0)).alias("members"),
        sf.sum(sf.when(normal, 0).otherwise(size)).alias("oversized"),
        zero.alias("rejected"),
        zero.alias("records"),
        zero.alias("missing"),
        zero.alias("repeated"),
        sf.lit(None).cast("string").alias("example"),
    )
    rejected = keys.filter(sf.col("kind") == "error").agg(
        sf.lit(None).cast("string").alias("key"),
        zero.alias("twice_pairs"),
        zero.alias("members"),
        zero.alias("oversized"),
        sf.count(sf.lit(1)).alias("rejected"),
        zero.alias("records"),
        zero.alias("missing"),
        zero.alias("repeated"),
        sf.lit(None).cast("string").alias("example"),
    )
    per_id = records.groupBy(idc).agg(sf.count(sf.lit(1)).alias("n"))
    present = sf.col(idc).isNotNull()
    ids = per_id.agg(
        sf.lit(None).cast("string").alias("key"),
        zero.alias("twice_pairs"),
        zero.alias("members"),
        zero.alias("oversized"),
        zero.alias("rejected"),
        sf.sum("n").cast("bigint").alias("records"),
        sf.sum(sf.when(present, 0).otherwise(sf.col("n"))).cast("bigint").alias("missing"),
        sf.sum(sf.when(present & (sf.col("n") > 1), 1).otherwise(0))
        .cast("bigint")
        .alias("repeated"),
        sf.min(sf.when(present & (sf.col("n") > 1), sf.col(idc))).cast("string").alias("example"),
    )
    rows = per_key.unionByName(rejected).unionByName(ids).collect()
    missing = sum(int(r["missing"] or 0) for r in rows)
    repeated = sum(int(r["repeated"] or 0) for r in rows)
    if missing:
        raise ValidationFailed(f"{missing} record(s) have no {idc!r}", field=idc)
    if repeated:
        example = next(r["example"] for r in rows if r["example"] is not None)
        raise ValidationFailed(
            f"{repeated} id(s) repeat, such as {example!r}; each record needs its own {idc!r}",
            field=idc,
        )
    return _BlockCounts(
        records=sum(int(r["records"] or 0) for r in rows),
        rejected=sum(int(r["rejected"] or 0) for r in rows),
        per_key={r["key"]: int(r["twice_pairs"]) // 2 for r in rows if r["key"] is not None},
        members=sum(int(r["members"] or 0) for r in rows),
        oversized_rows=sum(int(r["oversized"] or 0) for r in rows),
    )


@dataclass(frozen=True)
class _Split:
    blocks: tuple[OversizedBlock, ...]
    members: DataFrame
    """``block_id``, ``_lq_row``: each star (a part's first record and one other) as a block."""
    member_rows: int
    parts: DataFrame
    stars: DataFrame
    """``parts`` and ``stars`` are persisted: unpersist them when the pairs are made."""


def _split_oversized(keys: DataFrame, sizes: DataFrame, max_block_size: int) -> _Split:
    """Oversized blocks split by the exact keys: inside each part (records of the block sharing
    an exact key value) every record is paired with the part's first record. The report's
    counts come back in one Spark job (one row per oversized key value: few by construction)."""
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    exact_keys = keys.filter(sf.col("kind") == "exact").select(
        _ROW, sf.col("key").alias("exact_key"), sf.col("value").alias("exact_value")
    )
    big = sizes.filter(sf.col("size") > max_block_size)
    part_cols = ["key", "value", "exact_key", "exact_value"]
    in_part = Window.partitionBy(*part_cols)
    # the records of each oversized block with their exact key values, each with its part's
    # first record and size (a window, not a join back): computed once, read three times
    parts = (
        keys.filter(sf.col("kind") == "block")
        .join(big.select("key", "value"), ["key", "value"])
        .select(_ROW, "key", "value")
        .join(exact_keys, _ROW)
        .select(
            *part_cols,
            _ROW,
            sf.min(_ROW).over(in_part).alias("leader"),
            sf.count(sf.lit(1)).over(in_part).alias("part_size"),
        )
        .filter(sf.col("part_size") >= 2)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    stars = (
        parts.filter(sf.col(_ROW) != sf.col("leader"))
        .select("key", "value", "leader", sf.col(_ROW).alias("member"))
        .distinct()
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    star_pairs = stars.select("leader", "member").distinct()
    blocks = (
        big.join(
            parts.filter(sf.col(_ROW) == sf.col("leader"))
            .groupBy("key", "value")
            .agg(sf.count(sf.lit(1)).alias("parts")),
            ["key", "value"],
            "left",
        )
        .join(
            stars.groupBy("key", "value").agg(sf.count(sf.lit(1)).alias("exact_pairs")),
            ["key", "value"],
            "left",
        )
        .select(
            "key",
            sf.col("size").cast("bigint").alias("size"),
            sf.coalesce("parts", sf.lit(0)).cast("bigint").alias("parts"),
            sf.coalesce("exact_pairs", sf.lit(0)).cast("bigint").alias("exact_pairs"),
        )
    )
    total = star_pairs.agg(
        sf.lit(None).cast("string").alias("key"),
        sf.count(sf.lit(1)).alias("size"),
        sf.lit(0).cast("bigint").alias("parts"),
        sf.lit(0).cast("bigint").alias("exact_pairs"),
    )
    rows = blocks.unionByName(total).collect()
    found = sorted(
        (
            OversizedBlock(
                key=r["key"],
                records=int(r["size"]),
                parts=int(r["parts"]),
                exact_pairs=int(r["exact_pairs"]),
            )
            for r in rows
            if r["key"] is not None
        ),
        key=lambda b: (b.key, -b.records),
    )
    n_star_pairs = sum(int(r["size"]) for r in rows if r["key"] is None)
    star_id = sf.concat(
        sf.lit("s\x1e"),
        sf.col("leader").cast("string"),
        sf.lit("\x1e"),
        sf.col("member").cast("string"),
    )
    members = star_pairs.select(
        star_id.alias("block_id"), sf.col("leader").alias(_ROW)
    ).unionByName(star_pairs.select(star_id.alias("block_id"), sf.col("member").alias(_ROW)))
    return _Split(
        blocks=tuple(found), members=members, member_rows=2 * n_star_pairs, parts=parts, stars=stars
    )


@dataclass(frozen=True)
class _Components:
    labels: DataFrame
    """``_lq_row``, ``label`` (the smallest row number in its component) per linked record."""
    iterations: int
    pairs: int
    clusters: int


def _propagate(edges: DataFrame, labels: DataFrame) -> DataFrame:
    """One round: each record takes the smallest label among itself and its neighbours, then
    jumps to its label's label; ``changed`` tells whether its label moved. Checkpointed lazily:
    computed once, by the job that reads it, and the plan is cut there, so rounds do not grow
    it."""
    from pyspark.sql import functions as sf

    spread = (
        edges.join(labels.select(sf.col(_ROW).alias("b"), sf.col("label").alias("nl")), "b")
        .groupBy(sf.col("a").alias(_ROW))
        .agg(sf.min("nl").alias("nl"))
    )
    step = labels.join(spread, _ROW).select(
        _ROW, sf.col("label").alias("old"), sf.least("label", "nl").alias("label")
    )
    return (
        step.alias("x")
        .join(step.alias("y"), sf.col("x.label") == sf.col(f"y.{_ROW}"))
        .select(
            sf.col(f"x.{_ROW}").alias(_ROW),
            sf.least("x.label", "y.label").alias("label"),
            (sf.least("x.label", "y.label") != sf.col("x.old")).alias("changed"),
        )
        .localCheckpoint(eager=False)
    )


def _components(pairs: DataFrame, max_iterations: int) -> _Components:
    """Connected components of the pair graph: every record's label becomes the smallest row
    number it is linked to, by rounds of propagation along the edges and pointer jumping (no
    pair leaves the cluster). One Spark job per round materialises the round and returns its
    changes, the clusters and the pairs; the first also makes the pairs. Duplicate clusters
    are mostly pairs and small stars, which settle in one round: one job."""
    from pyspark.sql import functions as sf

    edges = pairs.select(sf.col("left_row").alias("a"), sf.col("right_row").alias("b"))
    edges = edges.unionByName(
        edges.select(sf.col("b").alias("a"), sf.col("a").alias("b"))
    ).persist()
    labels = (
        edges.groupBy("a")
        .agg(sf.min("b").alias("b"))
        .select(sf.col("a").alias(_ROW), sf.least("a", "b").alias("label"))
    )
    n_pairs = pairs.agg(sf.count(sf.lit(1)).alias("pairs"))
    for iteration in range(1, max_iterations + 1):
        labels = _propagate(edges, labels)
        stats = (
            labels.agg(
                sf.sum(sf.col("changed").cast("bigint")).alias("changed"),
                sf.count_distinct("label").alias("clusters"),
            )
            .crossJoin(n_pairs)
            .collect()[0]
        )
        labels = labels.select(_ROW, "label")
        if not stats["changed"]:
            edges.unpersist()
            return _Components(
                labels=labels,
                iterations=iteration,
                pairs=int(stats["pairs"]),
                clusters=int(stats["clusters"]),
            )
    edges.unpersist()
    raise ValidationFailed(
        f"the clusters did not settle in {max_iterations} rounds of label propagation: chains of "
        "pairs are very long, which suggests a too loose rule; raise max_iterations to go on",
        field="max_iterations",
    )
