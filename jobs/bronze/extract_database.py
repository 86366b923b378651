"""Bronze extraction of a database source over JDBC, incrementally by its updated-at watermark.

Each run reads the rows of one source table changed since the last extract (minus an overlap, for
transactions that commit after a later one), in parallel slices of the primary key, and appends
those row versions that bronze does not hold yet (matched on the record hash, which includes
`updated_at`). An update or cancellation after a first extraction therefore lands as a new row
version; bronze stays append-only. Re-running with nothing changed in the source writes nothing.
Extracts that added rows are logged in `bronze.<source>__extracts`, which holds the watermark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from healthlake import catalog
from healthlake.catalog import table_exists
from healthlake.gate import measure_inbound
from healthlake.lineage import (
    LEDGER,
    JobResult,
    ReconciliationError,
    create_table_if_absent,
    last_commit_rows,
)
from healthlake.schemas import DatabaseSource, DatabaseTable, database_source
from healthlake.settings import Settings

SLICE_MIN_ROWS = 50_000  # below this one JDBC connection is faster than several
UTC_TEXT = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


@dataclass(frozen=True)
class Window:
    low: str | None  # exclusive, UTC ISO text; None reads from the beginning
    high: str  # inclusive: the database's clock when the extract began
    rows: int
    min_key: int | None
    max_key: int | None


def _jdbc(spark: SparkSession, settings: Settings) -> object:
    return (
        spark.read.format("jdbc")
        .option("url", settings.his_jdbc_url)
        .option("user", settings.his_user)
        .option("password", settings.his_password())
        .option("driver", "org.postgresql.Driver")
        .option("fetchsize", 10_000)
        # A local `timestamp` column stays the wall-clock time the HIS wrote, not shifted by time zones.
        .option("preferTimestampNTZ", "true")
    )


def last_watermark(spark: SparkSession, settings: Settings, source: DatabaseSource, table: str) -> str | None:
    log = source.bronze_table("extracts")
    if not table_exists(settings, "bronze", log):
        return None
    catalog.register(spark, settings, "bronze", log)
    row = spark.sql(f"SELECT max(watermark_high) FROM bronze.{log} WHERE source_table = '{table}'").collect()[0]
    return row[0]


def _predicate(source: DatabaseSource, low: str | None, high: str, overlap_seconds: int) -> str:
    column = source.watermark_column
    upper = f"{column} <= '{high}'::timestamptz"
    if low is None:
        return upper
    return f"{column} > '{low}'::timestamptz - interval '{overlap_seconds} seconds' AND {upper}"


def plan_window(spark: SparkSession, settings: Settings, source: DatabaseSource, spec: DatabaseTable) -> Window:
    """Fix the window's upper bound at the database's clock, and size it, in one statement."""
    low = last_watermark(spark, settings, source, spec.name)
    column, key = source.watermark_column, spec.primary_key
    lower = "TRUE" if low is None else _predicate(source, low, "infinity", settings.his_watermark_overlap_seconds)
    query = (
        f"SELECT {UTC_TEXT.format('now()')} AS high, count(*) AS n, min({key}) AS min_key, max({key}) AS max_key "
        f"FROM {source.schema}.{spec.name} WHERE {lower} AND {column} <= now()"
    )
    row = _jdbc(spark, settings).option("query", query).load().collect()[0]
    return Window(low, row["high"], row["n"], row["min_key"], row["max_key"])


def read_window(spark: SparkSession, settings: Settings, source: DatabaseSource, spec: DatabaseTable, window: Window):
    where = _predicate(source, window.low, window.high, settings.his_watermark_overlap_seconds)
    reader = _jdbc(spark, settings).option("dbtable", f"(SELECT * FROM {source.schema}.{spec.name} WHERE {where}) e")
    if window.rows >= SLICE_MIN_ROWS and settings.his_jdbc_partitions > 1:
        reader = (
            reader.option("partitionColumn", spec.primary_key)
            .option("lowerBound", window.min_key)
            .option("upperBound", window.max_key + 1)
            .option("numPartitions", settings.his_jdbc_partitions)
        )
    return reader.load()


def with_lineage(
    df: DataFrame, source: DatabaseSource, spec: DatabaseTable, extract_id: str, run_id: str
) -> tuple[DataFrame, list[str]]:
    """The contracted columns as delivered, unexpected ones in `_extra` (schema drift), lineage last."""
    known = spec.column_names
    missing = [c for c in known if c not in df.columns]
    if missing:
        raise ReconciliationError(
            f"{source.schema}.{spec.name}: the source no longer has column(s) {missing} that "
            f"schemas/databases/{source.source_system}.yaml promises"
        )
    extras = [c for c in df.columns if c not in known]
    # Only the values a new column actually holds: rows where it is null keep their old hash.
    extra = F.lit(None).cast("map<string,string>")
    if extras:
        pairs = F.map_from_arrays(
            F.array(*[F.lit(c) for c in extras]), F.array(*[F.col(c).cast("string") for c in extras])
        )
        present = F.map_filter(pairs, lambda _, v: v.isNotNull())
        extra = F.when(F.size(present) > 0, present)
    hashed = F.sha2(F.to_json(F.struct(*[F.col(c) for c in known], extra.alias("_extra"))), 256)
    return df.select(
        *[F.col(c) for c in known],
        extra.alias("_extra"),
        F.lit(source.source_system).alias("_source_system"),
        F.lit(spec.name).alias("_source_table"),
        F.lit(extract_id).alias("_extract_id"),
        F.col(spec.primary_key).cast("string").alias("_source_key"),
        hashed.alias("_record_hash"),
        F.current_timestamp().alias("_ingested_at"),
        F.lit(run_id).alias("_run_id"),
    ), extras


def run(spark: SparkSession, settings: Settings, table: str, run_id: str, source_name: str = "his") -> JobResult:
    source = database_source(source_name)
    spec = source.tables[table]
    target = source.bronze_table(table)
    window = plan_window(spark, settings, source, spec)
    extract_id = f"{table}@{window.high}"
    delivered = read_window(spark, settings, source, spec, window)
    extracted, drift = with_lineage(delivered, source, spec, extract_id, run_id)
    # One read of the source: the slice is kept for the anti-join, the count and the append.
    extracted = extracted.localCheckpoint(eager=True)
    rows_read = extracted.count()

    create_table_if_absent(spark, settings, "bronze", target, extracted)
    held = spark.table(f"bronze.{target}").select("_record_hash")
    if window.low is not None:  # only versions changed inside the window can be held already
        overlap = F.expr(f"INTERVAL {settings.his_watermark_overlap_seconds} SECONDS")
        since = F.lit(window.low).cast("timestamp") - overlap
        held = spark.table(f"bronze.{target}").where(F.col(source.watermark_column) >= since).select("_record_hash")
    new_versions = extracted.join(held, "_record_hash", "left_anti").select(*extracted.columns)
    new_versions = new_versions.localCheckpoint(eager=True)
    rows_new = new_versions.count()
    if rows_new:
        new_versions.write.format("delta").mode("append").option("userMetadata", run_id).save(
            settings.table_location("bronze", target)
        )
        appended = last_commit_rows(spark, f"bronze.{target}")
        if appended != rows_new:
            raise ReconciliationError(f"bronze.{target}: extracted {rows_new} new row versions but wrote {appended}")
        _log_extract(spark, settings, source, table, extract_id, window, rows_read, rows_new, run_id)
    detail = f"window ({window.low or 'start'}, {window.high}]: {rows_read} read, {rows_read - rows_new} already held"
    if drift:
        detail += f"; schema drift: unexpected columns {sorted(drift)} kept in _extra"
    if rows_new:
        detail += "; " + measure_inbound(spark, settings, target, new_versions, run_id)
    return JobResult(job=f"bronze.{target}", rows_in=rows_read, rows_written=rows_new, rows_rejected=0, detail=detail)


def _log_extract(spark, settings, source, table, extract_id, window, rows_read, rows_new, run_id) -> None:
    log = source.bronze_table("extracts")
    row = spark.createDataFrame(
        [(extract_id, table, window.low, window.high, rows_read, rows_new, run_id, datetime.now(UTC))],
        "extract_id string, source_table string, watermark_low string, watermark_high string, "
        "rows_read long, rows_added long, run_id string, extracted_at timestamp",
    )
    create_table_if_absent(spark, settings, "bronze", log, row, LEDGER)
    row.write.format("delta").mode("append").save(settings.table_location("bronze", log))
