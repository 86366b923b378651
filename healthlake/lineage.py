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
