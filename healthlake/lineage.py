"""Lineage columns every layer stamps, and the small helpers jobs share to write Delta tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from healthlake import catalog
from healthlake.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


class ReconciliationError(RuntimeError):
    """Rows went missing between two layers: input != published + quarantined + superseded."""


@dataclass(frozen=True)
class JobResult:
    """What a job reports back to its task and to the run summary (counts, never data)."""

    job: str
    rows_in: int
    rows_written: int
    rows_rejected: int
    detail: str = ""


# Table properties of a ledger: a small table every step appends a few rows to and readers scan
# whole (job progress, check outcomes, extract watermarks). Per-file statistics skip nothing there
# and collecting them costs about half a second on every commit.
LEDGER = {"delta.dataSkippingNumIndexedCols": "0"}
# Table properties of a table MERGEd into: rows a MERGE updates or deletes are marked in a deletion
# vector instead of rewriting every file that holds one (at 1M residents the day's MERGE into
# silver.device_readings touched all 64 files for 1,485 updated rows: 66 s, with them 17 s).
# Readers need Delta reader version 3: Spark, and delta-rs through its QueryBuilder (DataFusion).
MERGE_TARGET = {"delta.enableDeletionVectors": "true"}


def create_table_if_absent(
    spark: SparkSession,
    settings: Settings,
    layer: str,
    table: str,
    df: DataFrame,
    properties: Mapping[str, str] = MappingProxyType({}),
) -> None:
    """Create an empty Delta table shaped like `df` (with these table properties) at its warehouse
    path and register it."""
    if catalog.table_exists(settings, layer, table):
        catalog.register(spark, settings, layer, table)
        return
    catalog.ensure_schema(spark, settings, layer)
    df.limit(0).write.format("delta").options(**properties).save(settings.table_location(layer, table))
    catalog.register(spark, settings, layer, table)


def last_commit_rows(spark, table: str) -> int:
    """Rows the table's latest Delta commit wrote, from its own operation metrics."""
    metrics = spark.sql(f"DESCRIBE HISTORY {table} LIMIT 1").collect()[0]["operationMetrics"]
    return int(metrics.get("numOutputRows", 0))


PROGRESS_TABLE = "job_progress"


def unprocessed(spark: SparkSession, settings: Settings, consumer: str, bronze_table: str) -> DataFrame:
    """The bronze rows `consumer` has not processed yet: those ingested after its recorded progress."""
    from pyspark.sql import functions as F

    rows = spark.table(f"bronze.{bronze_table}")
    if not catalog.table_exists(settings, "silver", PROGRESS_TABLE):
        return rows
    through = (
        spark.table(f"silver.{PROGRESS_TABLE}")
        .where((F.col("consumer") == consumer) & (F.col("bronze_table") == bronze_table))
        .agg(F.max("ingested_through"))
        .first()[0]
    )
    return rows.where(F.col("_ingested_at") > through) if through is not None else rows


def record_progress(spark: SparkSession, settings: Settings, consumer: str, through: dict[str, object]) -> None:
    """Remember, per bronze table, the newest `_ingested_at` that `consumer` has processed.

    Appended, one row per run and table (the newest counts): an append is one small commit, where a
    MERGE into the same few rows took 3 s on every silver job of every run."""
    from pyspark.sql import functions as F

    rows = [(consumer, table, ts) for table, ts in through.items() if ts is not None]
    if not rows:
        return
    incoming = spark.createDataFrame(rows, "consumer string, bronze_table string, ingested_through timestamp")
    incoming = incoming.withColumn("updated_at", F.current_timestamp())
    create_table_if_absent(spark, settings, "silver", PROGRESS_TABLE, incoming, LEDGER)
    incoming.write.insertInto(f"silver.{PROGRESS_TABLE}")


def newest_ingested(df: DataFrame) -> object:
    from pyspark.sql import functions as F

    return df.agg(F.max("_ingested_at")).collect()[0][0]


def upsert(spark: SparkSession, table: str, incoming: DataFrame, keys: list[str], view: str) -> None:
    """MERGE `incoming` on `keys` (update matched rows, insert the rest). Into an empty table (a
    first load) the rows are appended instead: a MERGE would join them with nothing."""
    target = spark.table(table)
    if target.limit(1).count() == 0:
        incoming.select(*target.columns).write.insertInto(table)
        return
    incoming.createOrReplaceTempView(view)
    on = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    spark.sql(
        f"MERGE INTO {table} t USING {view} s ON {on} WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
    )
