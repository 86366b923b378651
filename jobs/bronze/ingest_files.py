"""Bronze ingestion of file feeds: each delivered file lands as-is in `bronze.<source>__<entity>`.

Idempotent per file: a file whose SHA-256 is already in bronze (or that was wholly rejected) is
skipped, so re-running a batch adds nothing. Rejects are written first and merged on
(file, line), then good rows are appended in one commit; a crash between the two is healed by the
next run. Files are parsed in chunks (in worker processes when the backlog is large), each chunk's
good rows staged as one Parquet file, so memory holds one chunk per worker, however long the backlog.
"""

from __future__ import annotations

import fnmatch
import hashlib
import multiprocessing
import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import functions as F

from healthlake.catalog import table_exists
from healthlake.gate import measure_inbound
from healthlake.lineage import (
    JobResult,
    ReconciliationError,
    create_table_if_absent,
    last_commit_rows,
)
from healthlake.schemas import SourceFormat, source_format
from healthlake.settings import Settings
from jobs.bronze.delimited import ParsedFile, parse_delimited
from jobs.bronze.json_lines import parse_json_lines

REJECTS_TABLE = "bronze_rejects"
PARALLEL_PARSE_BYTES = 32 * 2**20  # below this, starting worker processes costs more than it saves
STAGE_CHUNK_BYTES = 64 * 2**20  # delivered bytes parsed and staged together (a few hundred MB of Arrow)
PARSERS = {"csv": parse_delimited, "jsonl": parse_json_lines}


_FILE_DATE = re.compile(r"(\d{8})")


def file_date(name: str) -> date | None:
    """The delivery date in a file's name (exam_items_20260115.csv, readings_20260115T0800.jsonl)."""
    match = _FILE_DATE.search(name)
    try:
        return datetime.strptime(match[1], "%Y%m%d").date() if match else None
    except ValueError:
        return None


def landed_files(
    settings: Settings, fmt: SourceFormat, dated_from: date | None = None, dated_to: date | None = None
) -> list[Path]:
    """The feed's files in the landing zone; with a date range, only those whose name dates them inside it."""
    folder = settings.landing_dir / fmt.source_system
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.is_file() and fnmatch.fnmatch(p.name, fmt.file_pattern))
    if dated_from is None and dated_to is None:
        return files
    low, high = dated_from or date.min, dated_to or date.max
    return [p for p in files if (d := file_date(p.name)) is not None and low <= d <= high]


def to_arrow(
    parsed: ParsedFile, fmt: SourceFormat, relative_name: str, file_sha256: str, run_id: str, now: datetime
) -> pa.Table:
    """Values as delivered (strings), unknown columns kept in `_extra`, plus the lineage columns."""
    n = len(parsed.rows)
    by_position = list(zip(*parsed.rows, strict=True)) if n else [() for _ in parsed.columns]
    known = {c.column for c in fmt.columns}
    data: dict[str, pa.Array] = {}
    for spec in fmt.columns:
        if spec.column in parsed.columns:
            data[spec.column] = pa.array(by_position[parsed.columns.index(spec.column)], pa.string())
        else:
            data[spec.column] = pa.nulls(n, pa.string())
    extras = [(name, by_position[i]) for i, name in enumerate(parsed.columns) if name not in known]
    extra_type = pa.map_(pa.string(), pa.string())
    if extras:
        extra_rows = [[(name, values[r]) for name, values in extras if values[r] is not None] or None for r in range(n)]
        data["_extra"] = pa.array(extra_rows, extra_type)
    else:
        data["_extra"] = pa.nulls(n, extra_type)
    data["_source_system"] = pa.array([fmt.source_system] * n, pa.string())
    data["_source_file"] = pa.array([relative_name] * n, pa.string())
    data["_file_sha256"] = pa.array([file_sha256] * n, pa.string())
    data["_record_number"] = pa.array(parsed.line_numbers, pa.int64())
    data["_record_hash"] = pa.array(parsed.record_hashes, pa.string())
    data["_ingested_at"] = pa.array([now] * n, pa.timestamp("us", tz="UTC"))
    data["_run_id"] = pa.array([run_id] * n, pa.string())
    return pa.table(data)


def rejects_to_arrow(
    parsed: ParsedFile, fmt: SourceFormat, relative_name: str, file_sha256: str, run_id: str, now: datetime
) -> pa.Table:
    n = len(parsed.rejects)
    drift = ", ".join(parsed.unknown_headers)
    return pa.table(
        {
            "source_system": pa.array([fmt.source_system] * n, pa.string()),
            "source_entity": pa.array([fmt.entity] * n, pa.string()),
            "source_file": pa.array([relative_name] * n, pa.string()),
            "file_sha256": pa.array([file_sha256] * n, pa.string()),
            "line_number": pa.array([r.line_number for r in parsed.rejects], pa.int64()),
            "reason": pa.array([r.reason for r in parsed.rejects], pa.string()),
            "raw_text": pa.array([r.raw_text for r in parsed.rejects], pa.string()),
            "file_good_rows": pa.array([len(parsed.rows)] * n, pa.int64()),
            "schema_drift": pa.array([drift or None] * n, pa.string()),
            "_run_id": pa.array([run_id] * n, pa.string()),
            "_ingested_at": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
        }
    )


def to_spark(spark, table: pa.Table):
    """An Arrow table as a DataFrame, in one chunk: PySpark 4.2 drops rows of some many-chunk tables."""
    return spark.createDataFrame(table.combine_chunks())


@contextmanager
def staging_folder(settings: Settings, run_id: str, name: str) -> Iterator[Path]:
    """A folder for the batch's Parquet files, removed afterwards.

    Handing Spark Parquet written by Arrow's C++ writer is several times faster than streaming the
    rows through the Python-JVM bridge (createDataFrame), and it works the same on a cluster, where
    HEALTHLAKE_HOME is storage every node sees.
    """
    folder = settings.home / "staging" / f"{name}__{run_id}__{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class StagedFile:
    """One parsed file: its good rows are staged as Parquet (the caller never holds them), its
    rejects returned."""

    good_rows: int
    rejects: pa.Table | None
    unknown_headers: list[str]


def stage_files(
    files: list[tuple[Path, str, str]], fmt: SourceFormat, run_id: str, now: datetime, target: Path
) -> list[StagedFile]:
    """Parse a chunk of files and stage their good rows as one Parquet file at `target`."""
    staged, good_tables = [], []
    for path, relative, sha in files:
        parsed = PARSERS[fmt.file_format](path.read_bytes(), fmt)
        good = to_arrow(parsed, fmt, relative, sha, run_id, now)
        good_tables.append(good)
        rejected = rejects_to_arrow(parsed, fmt, relative, sha, run_id, now) if parsed.rejects else None
        staged.append(StagedFile(good.num_rows, rejected, parsed.unknown_headers))
    # Unknown columns make each file's `_extra` differ only in content, never in type.
    rows = pa.concat_tables(good_tables)
    if rows.num_rows:
        pq.write_table(rows, target)
    return staged


def _stage_in_worker(args) -> list[StagedFile]:
    return stage_files(*args)


def chunks(files: list[tuple[Path, str, str]], max_bytes: int) -> list[list[tuple[Path, str, str]]]:
    """Consecutive files, up to `max_bytes` of them a chunk (a larger file is a chunk of its own)."""
    grouped: list[list[tuple[Path, str, str]]] = []
    size = max_bytes
    for file in files:
        file_bytes = file[0].stat().st_size
        if grouped and size + file_bytes <= max_bytes:
            grouped[-1].append(file)
            size += file_bytes
        else:
            grouped.append([file])
            size = file_bytes
    return grouped


def _stage_all(
    new_files: list[tuple[Path, str, str]], fmt: SourceFormat, run_id: str, now: datetime, staged: Path
) -> list[StagedFile]:
    """Parse and stage the files chunk by chunk, in worker processes when there is enough to share
    out (parsing is pure Python). A chunk is one Parquet file: few files for Spark to read, and
    memory for one chunk per worker, however long the backlog."""
    total_bytes = sum(path.stat().st_size for path, _, _ in new_files)
    workers = min(os.cpu_count() or 1, len(new_files))
    parallel = workers >= 2 and total_bytes >= PARALLEL_PARSE_BYTES
    # In parallel, four chunks a worker at least: no worker is left alone with a long last chunk.
    chunk_bytes = min(STAGE_CHUNK_BYTES, -(-total_bytes // (workers * 4))) if parallel else STAGE_CHUNK_BYTES
    work = [
        (chunk, fmt, run_id, now, staged / f"part-{i:05d}.parquet")
        for i, chunk in enumerate(chunks(new_files, chunk_bytes))
    ]
    if not parallel:
        return [file for args in work for file in stage_files(*args)]
    # forkserver: a clean process, never a fork of the JVM gateway's threads. A host program that
    # cannot start one (a script without a __main__ guard) gets the same result parsed in-process.
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            return [file for chunk in pool.map(_stage_in_worker, work) for file in chunk]
    except BrokenProcessPool:
        return [file for args in work for file in stage_files(*args)]


def _already_ingested(spark, settings: Settings, fmt: SourceFormat) -> set[str]:
    seen: set[str] = set()
    if table_exists(settings, "bronze", fmt.bronze_table):
        rows = spark.sql(f"SELECT DISTINCT _file_sha256 FROM bronze.{fmt.bronze_table}").collect()
        seen |= {r[0] for r in rows}
    if table_exists(settings, "quarantine", REJECTS_TABLE):
        rows = spark.sql(
            f"SELECT DISTINCT file_sha256 FROM quarantine.{REJECTS_TABLE} "
            f"WHERE source_system = '{fmt.source_system}' AND source_entity = '{fmt.entity}' AND file_good_rows = 0"
        ).collect()
        seen |= {r[0] for r in rows}
    return seen


def run(
    spark, settings: Settings, feed: str, run_id: str, dated_from: date | None = None, dated_to: date | None = None
) -> JobResult:
    """Ingest every new file of `feed` (a source format in schemas/sources/<feed>.yaml).

    With a date range (a backfill), only files dated inside it are considered; those already in
    bronze are skipped as always, so a backfill ingests exactly what is missing.
    """
    fmt = source_format(feed)
    files = landed_files(settings, fmt, dated_from, dated_to)
    seen = _already_ingested(spark, settings, fmt)
    now = datetime.now(UTC)
    # Hash first, parse only new files (a worker reads the bytes again, from the page cache).
    new_files, skipped = [], 0
    for path in files:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        if sha in seen:
            skipped += 1
            continue
        seen.add(sha)  # the same bytes delivered twice under two names count once
        new_files.append((path, str(path.relative_to(settings.landing_dir)), sha))

    with staging_folder(settings, run_id, fmt.bronze_table) as staged:
        parsed = _stage_all(new_files, fmt, run_id, now, staged)
        reject_tables = [p.rejects for p in parsed if p.rejects is not None]
        drifted = {header for p in parsed for header in p.unknown_headers}
        rows_rejected = sum(t.num_rows for t in reject_tables)
        # The rejects table exists from the first run on, empty or not: consumers can rely on it.
        empty = ParsedFile(columns=[], unknown_headers=[], missing_columns=[])
        rejects = to_spark(
            spark,
            pa.concat_tables(reject_tables) if reject_tables else rejects_to_arrow(empty, fmt, "", "", run_id, now),
        )
        create_table_if_absent(spark, settings, "quarantine", REJECTS_TABLE, rejects)
        if reject_tables:
            rejects.createOrReplaceTempView("incoming_rejects")
            spark.sql(
                f"MERGE INTO quarantine.{REJECTS_TABLE} t USING incoming_rejects s "
                "ON t.file_sha256 = s.file_sha256 AND t.line_number = s.line_number "
                "WHEN NOT MATCHED THEN INSERT *"
            )
        rows_written = sum(p.good_rows for p in parsed)
        if parsed:  # the table's schema: every file's, whatever columns it delivered
            schema = to_arrow(empty, fmt, "", "", run_id, now)
            create_table_if_absent(spark, settings, "bronze", fmt.bronze_table, to_spark(spark, schema))
        if rows_written:  # files whose every line was rejected add no commit (Delta skips empty appends)
            target = settings.table_location("bronze", fmt.bronze_table)
            staged_rows = spark.read.parquet(str(staged))
            staged_rows.write.format("delta").mode("append").option("userMetadata", run_id).save(target)
            appended = last_commit_rows(spark, f"bronze.{fmt.bronze_table}")
            if appended != rows_written:
                raise ReconciliationError(
                    f"bronze.{fmt.bronze_table}: parsed {rows_written} records but the append wrote {appended}"
                )
    detail = f"{len(files) - skipped} new files, {skipped} already ingested"
    if dated_from or dated_to:
        detail += f" (files dated {dated_from or '…'} to {dated_to or '…'})"
    if drifted:
        detail += f"; schema drift: unexpected columns {sorted(drifted)} kept in _extra"
    if rows_written:
        table = spark.table(f"bronze.{fmt.bronze_table}").where(F.col("_run_id") == run_id)
        detail += "; " + measure_inbound(spark, settings, fmt.bronze_table, table, run_id)
    return JobResult(
        job=f"bronze.{fmt.bronze_table}",
        rows_in=rows_written + rows_rejected,
        rows_written=rows_written,
        rows_rejected=rows_rejected,
        detail=detail,
    )
