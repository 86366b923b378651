"""Table maintenance for one layer: compact small files (OPTIMIZE), delete files no version within
the retention needs (VACUUM), and record each table's size in `quality.table_stats`.

Daily loads and MERGEs leave many small files; compaction keeps reads fast. OPTIMIZE commits with
dataChange=false, so the jobs' incremental reads (by ingestion time) and Delta readers see no new
data. VACUUM keeps `HEALTHLAKE_VACUUM_RETAIN_HOURS` (at least 7 days): a query or time travel within
that window never meets a missing file.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pyspark.sql import SparkSession
from pyspark.sql import types as T

from healthlake import catalog
from healthlake.lineage import JobResult, create_table_if_absent
from healthlake.settings import Settings, SettingsError

SAFE_RETAIN_HOURS = 168  # Delta's own default: a week of versions stays readable

STATS_SCHEMA = T.StructType(
    [
        T.StructField("run_id", T.StringType(), False),
        T.StructField("measured_at", T.TimestampType(), False),
        T.StructField("table_name", T.StringType(), False),
        T.StructField("delta_version", T.LongType(), False),
        T.StructField("files", T.LongType(), False),
        T.StructField("size_bytes", T.LongType(), False),
        T.StructField("files_compacted", T.LongType(), False),
        T.StructField("files_vacuumed", T.LongType(), False),
    ]
)


def check_retention(hours: int) -> None:
    if hours < SAFE_RETAIN_HOURS:
        raise SettingsError(
            f"HEALTHLAKE_VACUUM_RETAIN_HOURS={hours} is below {SAFE_RETAIN_HOURS} (7 days): VACUUM would delete "
            "files that running queries, streaming readers or time travel may still need"
        )


def maintain_table(spark: SparkSession, name: str, retain_hours: int) -> tuple[int, int, int, int, int]:
    """OPTIMIZE then VACUUM one table; returns (version, files, bytes, files compacted, files vacuumed)."""
    optimized = spark.sql(f"OPTIMIZE {name}").collect()
    compacted = optimized[0]["metrics"]["numFilesRemoved"] if optimized else 0
    doomed = spark.sql(f"VACUUM {name} RETAIN {retain_hours} HOURS DRY RUN").count()
    if doomed:
        spark.sql(f"VACUUM {name} RETAIN {retain_hours} HOURS").collect()
    detail = spark.sql(f"DESCRIBE DETAIL {name}").collect()[0]
    version = spark.sql(f"DESCRIBE HISTORY {name} LIMIT 1").collect()[0]["version"]
    return version, detail["numFiles"], detail["sizeInBytes"], compacted, doomed


def run(spark: SparkSession, settings: Settings, run_id: str, layer: str) -> JobResult:
    check_retention(settings.vacuum_retain_hours)
    tables = catalog.discover(settings).get(layer, [])
    measured_at = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for table in tables:
        catalog.register(spark, settings, layer, table)
        stats = maintain_table(spark, f"{layer}.{table}", settings.vacuum_retain_hours)
        rows.append((run_id, measured_at, f"{layer}.{table}", *stats))
    if rows:
        create_table_if_absent(spark, settings, "quality", "table_stats", spark.createDataFrame([], STATS_SCHEMA))
        stats_path = settings.table_location("quality", "table_stats")
        spark.createDataFrame(rows, STATS_SCHEMA).write.format("delta").mode("append").save(stats_path)
    compacted = sum(r[6] for r in rows)
    vacuumed = sum(r[7] for r in rows)
    return JobResult(
        job=f"maintain {layer}",
        rows_in=0,
        rows_written=len(rows),
        rows_rejected=0,
        detail=f"{len(rows)} tables: {compacted} small files compacted, {vacuumed} unreferenced files vacuumed "
        f"(retention {settings.vacuum_retain_hours} h); sizes in quality.table_stats",
    )
