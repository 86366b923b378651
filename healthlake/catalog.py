"""The shared catalog: the warehouse directory is the source of truth.

Every table is a Delta table at `<warehouse>/<schema>/<table>`, and each Spark session (jobs, dbt,
`healthlake sql`) registers what it finds there when it starts. Delta's transaction log arbitrates
concurrent writers, so two Airflow tasks, a dbt build and an analyst's query can run at the same
time; an embedded Hive metastore on Derby would admit one process only.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from healthlake.settings import LAYERS, Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _sql_path(path) -> str:
    return str(path).replace("'", "\\'")


def is_delta_table(path: Path) -> bool:
    """A directory with at least one committed Delta version (an aborted first write leaves none)."""
    log = path / "_delta_log"
    return log.is_dir() and (any(log.glob("*.json")) or any(log.glob("*.checkpoint*.parquet")))


def discover(settings: Settings, layers: Iterable[str] = LAYERS) -> dict[str, list[str]]:
    """Schemas and the Delta tables under each, as found on disk."""
    found: dict[str, list[str]] = {}
    for layer in layers:
        layer_dir = settings.layer_dir(layer)
        found[layer] = sorted(p.name for p in layer_dir.iterdir() if is_delta_table(p)) if layer_dir.is_dir() else []
    return found


def ensure_schema(spark: SparkSession, settings: Settings, layer: str) -> None:
    settings.layer_dir(layer).mkdir(parents=True, exist_ok=True)
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS {layer} LOCATION '{_sql_path(settings.layer_dir(layer))}'")


def register(spark: SparkSession, settings: Settings, layer: str, table: str) -> None:
    """Make an existing Delta directory visible as `<layer>.<table>` in this session."""
    spark.sql(
        f"CREATE TABLE IF NOT EXISTS {layer}.{table} USING delta "
        f"LOCATION '{_sql_path(settings.table_dir(layer, table))}'"
    )


def attach(spark: SparkSession, settings: Settings, layers: Iterable[str] = LAYERS) -> None:
    for layer, tables in discover(settings, layers).items():
        ensure_schema(spark, settings, layer)
        for table in tables:
            register(spark, settings, layer, table)
