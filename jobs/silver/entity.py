"""The one way a silver entity table is updated from bronze: incremental, reconciled, idempotent.

An `Entity` says which bronze tables feed it, its business key and how to standardise a batch (a
pure transform, jobs/silver/<entity>.py). `run_entity` then:
1. reads only the bronze rows ingested since its last run (silver.job_progress);
2. standardises them and looks up each record's resident in restricted.identity_crosswalk;
3. ranks versions of a business key (newest wins; older ones in the batch are superseded);
4. checks bronze rows = published + quarantined + cancelled + superseded, or fails the run;
5. checks the batch against the table's contract (healthlake/gate.py): columns, then the Great
   Expectations checks derived from data_contracts/silver/<table>.odcs.yaml; an error stops it;
6. MERGEs on the business key: new and changed rows in, cancelled rows (a cancelled visit, a
   withdrawn form) and rows whose newest version broke a rule out; unchanged rows write nothing;
7. MERGEs the rejected rows into quarantine.silver_rejects with rule id, field, raw value, message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from healthlake.catalog import table_exists
from healthlake.gate import check_batch
from healthlake.lineage import (
    MERGE_TARGET,
    JobResult,
    ReconciliationError,
    create_table_if_absent,
    record_progress,
    unprocessed,
)
from healthlake.pseudonym import hmac_column
from healthlake.settings import Settings
from jobs.silver.rules import Rule, with_first_broken

log = logging.getLogger(__name__)

QUARANTINE = "quarantine.silver_rejects"
CROSSWALK = "restricted.identity_crosswalk"
# Lineage columns silver keeps; every other column starting with `_` is the framework's or a
# standardiser's working column (raw values for the quarantine, ranges) and is dropped.
LINEAGE = ("_source_table", "_source_record", "_record_hash", "_ingested_at")
# The framework's columns the steps after classifying read; the version order and the raw values
# the rules looked at are done with by then.
OUTCOME = ("_rank", "_deleted", "_folded", "_rule_id", "_field", "_raw_value", "_message")


@dataclass(frozen=True)
class Batch:
    """What a standardiser gets: the new bronze rows per table, the session and the pseudonym key."""

    spark: SparkSession
    rows: dict[str, DataFrame]
    key: bytes
    settings: Settings

    def pseudonym(self, prefix: str, value: Column) -> Column:
        """Keyed pseudonym of a source identifier (record numbers are identifiers too)."""
        return hmac_column(self.key, F.concat(F.lit(prefix), value.cast("string")))


@dataclass(frozen=True)
class Standardised:
    """A standardiser's output: silver columns plus the framework's columns, and the rules to apply.

    Required framework columns: `_identity_source`, `_identity_record_id` (the identity record whose
    resident this row belongs to; null if the standardiser sets `resident_key` itself), `_order`
    (a struct, newer versions greater), `_deleted` (the source cancelled it), `_source_table`,
    `_source_record` (file:line or table:primary key), `_record_hash`, `_ingested_at`
    (`file_lineage` and `database_lineage` make them). Optional: `_folded`, how many bronze rows a
    row stands for when the standardiser already kept only the newest of several (default 1).
    """

    rows: DataFrame
    rules: list[Rule] = field(default_factory=list)


@dataclass(frozen=True)
class Entity:
    table: str  # silver.<table>
    bronze_tables: tuple[str, ...]
    keys: tuple[str, ...]
    standardise: Callable[[Batch], Standardised]
    # The identity sources its rows name in `_identity_source`: only their crosswalk rows are joined.
    identity_sources: tuple[str, ...] = ()
    after: Callable[[SparkSession, Settings], None] | None = None  # e.g. refresh a curation list


def file_order() -> Column:
    """Version order of a file-fed record: ingested later wins, then the later file and line."""
    tiebreak = F.concat(F.col("_source_file"), F.lit(":"), F.lpad(F.col("_record_number").cast("string"), 12, "0"))
    return F.struct(F.col("_ingested_at").cast("timestamp").alias("at"), tiebreak.alias("tiebreak"))


def database_order() -> Column:
    """Version order of a database row: the source's updated_at, then when bronze extracted it."""
    return F.struct(
        F.col("updated_at").cast("timestamp").alias("at"), F.col("_ingested_at").cast("string").alias("tiebreak")
    )


def file_lineage(bronze: str, identity_source: str, record_id: Column) -> list[Column]:
    """The framework columns of a row from a file-fed bronze table whose person is `record_id` of
    `identity_source`: newest delivery wins, files cancel nothing, lineage is file:line."""
    return [
        F.lit(identity_source).alias("_identity_source"),
        record_id.cast("string").alias("_identity_record_id"),
        file_order().alias("_order"),
        F.lit(False).alias("_deleted"),
        F.lit(f"bronze.{bronze}").alias("_source_table"),
        F.concat_ws(":", "_source_file", "_record_number").alias("_source_record"),
        F.col("_record_hash"),
        F.col("_ingested_at"),
    ]


def database_lineage(bronze: str, id_column: str) -> list[Column]:
    """The framework columns of a row from a database-fed bronze table (`status` = 'cancelled'
    removes it); lineage is table:primary key. The person columns are the caller's."""
    return [
        database_order().alias("_order"),
        (F.col("status") == "cancelled").alias("_deleted"),
        F.lit(f"bronze.{bronze}").alias("_source_table"),
        F.concat(F.lit(f"{bronze.split('__')[1]}:"), F.col(id_column).cast("string")).alias("_source_record"),
        F.col("_record_hash"),
        F.col("_ingested_at"),
    ]


def _with_residents(spark: SparkSession, settings: Settings, entity: Entity, rows: DataFrame) -> DataFrame:
    if "resident_key" in rows.columns:
        return rows
    if not table_exists(settings, "restricted", "identity_crosswalk"):
        return rows.withColumn("resident_key", F.lit(None).cast("string"))
    crosswalk = spark.table(CROSSWALK).where(F.col("source").isin(*entity.identity_sources)).select(
        F.col("source").alias("_identity_source"), F.col("source_record_id").alias("_identity_record_id"),
        "resident_key",
    )  # fmt: skip
    # The batch is often millions of rows and these sources' crosswalk far fewer: shipping the
    # crosswalk to every task spares shuffling the batch for the join.
    if crosswalk.count() <= settings.broadcast_max_rows:
        crosswalk = F.broadcast(crosswalk)
    return rows.join(crosswalk, ["_identity_source", "_identity_record_id"], "left")


def classify(standardised: Standardised, keys: tuple[str, ...], with_residents: DataFrame) -> DataFrame:
    """Every input row with `_rank` (1 = newest version of its key) and the first rule it breaks."""
    rules = list(standardised.rules)
    if "resident_key" not in standardised.rows.columns:
        unresolved = "the record's person is not in the resident index (run silver.residents first)"
        rules.insert(0, Rule("resident.unresolved", "_identity_record_id", F.col("resident_key").isNull(), unresolved))
    ranked = Window.partitionBy(*keys).orderBy(F.col("_order").desc())
    # The rules in a select of their own after the window's: in the window's select Spark evaluates
    # them before the shuffle, in one stage with the standardising, and classifying 1.2M readings took
    # 16.0 s (into a noop sink, 100k lake, best of 3) against 10.0 s so, with the same rows out.
    return (
        with_first_broken(with_residents.withColumn("_rank", F.row_number().over(ranked)), rules)
        # A cancellation needs no valid content: it only removes what was published.
        .withColumn("_rule_id", F.when(~F.col("_deleted"), F.col("_rule_id")))
    )


def run_entity(spark: SparkSession, settings: Settings, run_id: str, entity: Entity) -> JobResult:
    job = f"silver.{entity.table}"
    present = [t for t in entity.bronze_tables if table_exists(settings, "bronze", t)]
    rows = {t: unprocessed(spark, settings, job, t) for t in present}
    # One scan per bronze table for both the batch's size and how far it reaches.
    stats = {
        t: df.agg(F.count("*").alias("n"), F.max("_ingested_at").alias("through")).first() for t, df in rows.items()
    }
    through = {t: row["through"] for t, row in stats.items()}
    rows_in = sum(row["n"] for row in stats.values())
    if rows_in == 0:
        return JobResult(job=job, rows_in=0, rows_written=0, rows_rejected=0, detail="no new bronze rows")

    now = F.lit(datetime.now(UTC)).cast("timestamp")
    standardised = entity.standardise(Batch(spark, rows, settings.pseudonym_key(), settings))
    standard_rows = standardised.rows
    stands_for = F.coalesce(F.col("_folded"), F.lit(1)) if "_folded" in standard_rows.columns else F.lit(1)
    standard_rows = standard_rows.withColumn("_folded", stands_for)
    classified = classify(standardised, entity.keys, _with_residents(spark, settings, entity, standard_rows))
    # Kept for the counts, the audit and the writes: only the columns they read (building the cache
    # is a large part of a big batch's time, and grows with every column kept). On local disk, not
    # in the heap: a first load outgrows the heap (12M readings at 1M residents), and Spark copies
    # each block it reads back from disk into the heap when it may keep it in memory (the first
    # read took 57 s of executor time, later ones 5-6 s); with a 4 GiB driver the job ran out of heap.
    kept = [c for c in classified.columns if not c.startswith("_") or c in LINEAGE or c in OUTCOME]
    classified = classified.select(*kept).persist(StorageLevel.DISK_ONLY)
    outcome = (
        F.when(F.col("_rank") > 1, "superseded")
        .when(F.col("_deleted"), "cancelled")
        .when(F.col("_rule_id").isNotNull(), "rejected")
        .otherwise("published")
    )
    started = time.monotonic()
    outcomes = classified.groupBy(outcome.alias("o")).agg(F.count("*").alias("n"), F.sum(F.col("_folded") - 1))
    counts, folded = {}, 0
    for row in outcomes.collect():
        counts[row[0]], folded = row[1], folded + row[2]
    log.info("%s: %d rows standardised and classified in %.1f s", job, rows_in, time.monotonic() - started)
    published, rejected, cancelled, superseded = (
        counts.get(k, 0) for k in ("published", "rejected", "cancelled", "superseded")
    )
    superseded += folded  # the older versions a standardiser folded into their newest
    if rows_in != published + rejected + cancelled + superseded:
        raise ReconciliationError(
            f"{job}: {rows_in} bronze rows but {published} published + {rejected} quarantined + {cancelled} "
            f"cancelled + {superseded} superseded = {published + rejected + cancelled + superseded}"
        )

    newest = classified.where("_rank = 1")
    working = [c for c in newest.columns if c.startswith("_") and c not in LINEAGE]
    # What the batch delivers (rows the row rules reject included: the contract's rules see them).
    delivered = newest.where("NOT _deleted").withColumn("_run_id", F.lit(run_id)).withColumn("_loaded_at", now)
    good = delivered.where("_rule_id IS NULL").drop(*working)
    removed = newest.where("_deleted OR _rule_id IS NOT NULL").select(*entity.keys)
    rejects = newest.where("NOT _deleted AND _rule_id IS NOT NULL").select(
        F.col("_source_table").alias("source_table"), F.lit(job).alias("target_table"),
        F.col("_source_record").alias("source_record"), "_record_hash",
        F.col("_rule_id").alias("rule_id"), F.col("_field").alias("field"),
        F.col("_raw_value").alias("raw_value"), F.col("_message").alias("message"),
        F.lit(run_id).alias("_run_id"), now.alias("_quarantined_at"),
    )  # fmt: skip

    # Write, audit, publish: an error-level failure raises here and consumers keep the last version.
    started = time.monotonic()
    audited = None
    if published + rejected:
        # Without rejected rows, the published rows are the whole batch: one domain for every check.
        audited = check_batch(spark, settings, job, delivered, good.columns, run_id, with_rejects=rejected > 0)
    log.info("%s: audited in %.1f s", job, time.monotonic() - started)
    started = time.monotonic()

    create_table_if_absent(spark, settings, "quarantine", "silver_rejects", rejects)
    if rejected:
        keys = ("source_table", "source_record", "_record_hash")
        merge_new(spark, QUARANTINE, rejects, keys, "rejects", rejected <= settings.broadcast_max_rows)
    create_table_if_absent(spark, settings, "silver", entity.table, good, MERGE_TARGET)
    # A first load has nothing published to remove (and scanning what it just wrote is the cost).
    first_load = spark.table(job).limit(1).count() == 0
    small = published <= settings.broadcast_max_rows
    changed = merge_new(spark, job, good, entity.keys, f"incoming_{entity.table}", small) if published else 0
    removing = rejected + cancelled
    small_removal = removing <= settings.broadcast_max_rows
    dropped = delete_keys(spark, job, removed, entity.keys, small_removal) if removing and not first_load else 0
    log.info("%s: published in %.1f s", job, time.monotonic() - started)
    record_progress(spark, settings, job, through)
    classified.unpersist()
    if entity.after:
        entity.after(spark, settings)
    detail = f"{changed} new or changed, {cancelled} cancelled, {dropped} removed, {superseded} superseded"
    if audited:
        detail += f"; {audited.checks_run - len(audited.warnings)} of {audited.checks_run} contract checks passed"
        if audited.warnings:
            detail += "; warnings: " + "; ".join(f"{c.name}: {n} rows" for c, n in audited.warnings)
    return JobResult(job=job, rows_in=rows_in, rows_written=published, rows_rejected=rejected, detail=detail)


def merge_new(
    spark: SparkSession, table: str, incoming: DataFrame, keys: tuple[str, ...], view: str, small: bool = False
) -> int:
    """MERGE only the rows that are new or whose delivered record changed: a re-run writes nothing.
    Into an empty table (a first load) the rows are appended: a MERGE would join them with nothing.
    A `small` batch (up to HEALTHLAKE_BROADCAST_MAX_ROWS) is broadcast to the table's scan to find
    what the table already holds, instead of shuffling every key of the table."""
    target = spark.table(table)
    if target.limit(1).count() == 0:
        count = incoming.count()
        if count:
            incoming.select(*target.columns).write.insertInto(table)
        return count
    versions = list(dict.fromkeys([*keys, "_record_hash"]))  # a key and the record it was delivered as
    changes = not_yet_held(incoming, target.select(*versions), versions, small).persist()
    count = changes.count()
    if count:
        changes.createOrReplaceTempView(view)
        on = " AND ".join(f"t.{k} = s.{k}" for k in keys)
        spark.sql(
            f"MERGE INTO {table} t USING {view} s ON {on} WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
        )
    changes.unpersist()
    return count


def not_yet_held(incoming: DataFrame, held: DataFrame, columns: list[str], small: bool) -> DataFrame:
    """The rows of `incoming` whose `columns` no row of `held` has. A `small` incoming is broadcast to
    cut `held` to its own values first, instead of shuffling all of `held` (at 1M residents, the day's
    65k readings against 11.6M: 12 s shuffled, 3.5 s broadcast)."""
    if small:
        held = held.join(F.broadcast(incoming.select(*columns)), columns, "left_semi")
    return incoming.join(held, on=columns, how="left_anti")


def delete_keys(spark: SparkSession, table: str, keys_df: DataFrame, keys: tuple[str, ...], small: bool = False) -> int:
    """Remove these business keys from the table; returns how many rows were there to remove.
    `small` keys (up to HEALTHLAKE_BROADCAST_MAX_ROWS) are broadcast to cut the table's keys to
    them, instead of shuffling every key of the table to find them."""
    wanted = F.broadcast(keys_df) if small else keys_df
    present = spark.table(table).select(*keys).join(wanted, list(keys), "left_semi").distinct().persist()
    count = present.count()
    if count:
        present.createOrReplaceTempView("removed_keys")
        on = " AND ".join(f"t.{k} = s.{k}" for k in keys)
        spark.sql(f"MERGE INTO {table} t USING removed_keys s ON {on} WHEN MATCHED THEN DELETE")
    present.unpersist()
    return count
