"""Lineage columns every layer stamps, and the small helpers jobs share to write Delta tables."""

from __future__ import annotations

from dataclasses import dataclass
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


def table_exists(settings: Settings, layer: str, table: str) -> bool:
    return catalog.is_delta_table(settings.table_dir(layer, table))


def create_table_if_absent(spark: SparkSession, settings: Settings, layer: str, table: str, df: DataFrame) -> None:
    """Create an empty Delta table shaped like `df` at its warehouse path and register it."""
    if table_exists(settings, layer, table):
        catalog.register(spark, settings, layer, table)
        return
    catalog.ensure_schema(spark, settings, layer)
    df.limit(0).write.format("delta").save(str(settings.table_dir(layer, table)))
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
    if not table_exists(settings, "silver", PROGRESS_TABLE):
        return rows
    done = (
        spark.table(f"silver.{PROGRESS_TABLE}")
        .where((F.col("consumer") == consumer) & (F.col("bronze_table") == bronze_table))
        .select("ingested_through")
        .collect()
    )
    return rows.where(F.col("_ingested_at") > done[0][0]) if done else rows


def record_progress(spark: SparkSession, settings: Settings, consumer: str, through: dict[str, object]) -> None:
    """Remember, per bronze table, the newest `_ingested_at` that `consumer` has processed."""
    from pyspark.sql import functions as F

    rows = [(consumer, table, ts) for table, ts in through.items() if ts is not None]
    if not rows:
        return
    incoming = spark.createDataFrame(rows, "consumer string, bronze_table string, ingested_through timestamp")
    incoming = incoming.withColumn("updated_at", F.current_timestamp())
    create_table_if_absent(spark, settings, "silver", PROGRESS_TABLE, incoming)
    incoming.createOrReplaceTempView("incoming_job_progress")
    spark.sql(
        f"MERGE INTO silver.{PROGRESS_TABLE} t USING incoming_job_progress s "
        "ON t.consumer = s.consumer AND t.bronze_table = s.bronze_table "
        "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
    )


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
