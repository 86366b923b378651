"""The shared catalog: the warehouse (a directory, or a bucket) is the source of truth.

Every table is a Delta table at `<warehouse>/<schema>/<table>`, and each Spark session (jobs, dbt,
`healthlake sql`) registers what it finds there when it starts. Delta's transaction log arbitrates
concurrent writers, so two Airflow tasks, a dbt build and an analyst's query can run at the same
time; an embedded Hive metastore on Derby would admit one process only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from healthlake import storage
from healthlake.settings import LAYERS, Settings
from healthlake.sql_literals import sql_string

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def table_exists(settings: Settings, layer: str, table: str) -> bool:
    """Whether `<layer>.<table>` is a Delta table in the warehouse (registered in this session or not)."""
    return storage.is_delta_table(settings, settings.table_location(layer, table))


def discover(settings: Settings, layers: Iterable[str] = LAYERS) -> dict[str, list[str]]:
    """Schemas and the Delta tables under each, as found in the warehouse."""
    return {
        layer: [
            table
            for table in storage.child_names(settings, settings.layer_location(layer))
            if table_exists(settings, layer, table)
        ]
        for layer in layers
    }


def ensure_schema(spark: SparkSession, settings: Settings, layer: str) -> None:
    storage.make_dirs(settings, settings.layer_location(layer))
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS {layer} LOCATION {sql_string(settings.layer_location(layer))}")


def register(spark: SparkSession, settings: Settings, layer: str, table: str) -> None:
    """Make an existing Delta directory visible as `<layer>.<table>` in this session."""
    spark.sql(
        f"CREATE TABLE IF NOT EXISTS {layer}.{table} USING delta "
        f"LOCATION {sql_string(settings.table_location(layer, table))}"
    )


def attach(spark: SparkSession, settings: Settings, layers: Iterable[str] = LAYERS) -> None:
    for layer, tables in discover(settings, layers).items():
        ensure_schema(spark, settings, layer)
        for table in tables:
            register(spark, settings, layer, table)
