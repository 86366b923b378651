"""Erasure of one resident (the right to deletion, PIPL art. 47): `healthlake forget --resident-key K`.

1. The resident's footprint: their identity records and identifiers, from the crosswalk.
2. Their rows: in bronze by record id (HIS by patient, then by visit and stay), everywhere else by
   `resident_key` or by the bronze rows' `_record_hash`, and in the restricted zone also any row
   naming one of their identifiers (quarantined raw lines, linkage reviews).
3. Every Delta table holding such a row is rewritten without them as a new table *without history*:
   a DELETE, even with deletion vectors purged (REORG ... APPLY (PURGE)) and VACUUM RETAIN 0 HOURS,
   leaves each removed file's min/max column statistics in the transaction log's old commits, and
   Delta deletes old commits only a day-rounded `logRetentionDuration` later. Time travel on those
   tables starts again from the erasure.
4. Their lines in the landing zone's delivered files are blanked (line numbers, and so the lineage
   `file:line` of everyone else, stay true); bronze learns the files' new SHA-256, so ingestion does
   not take a rewritten file for a new delivery.
5. Derived reports under HEALTHLAKE_HOME (Great Expectations results and Data Docs, logs, dbt
   artifacts) get the identifiers overwritten.
6. `audit.events` records the erasure under a digest of the key, never the key itself.

Not reached: the source systems' own copies (the HIS database: erase there too), gold aggregates
(counts without residents; the next gold run rebuilds them), and `audit.events` (append-only).
Run it while no pipeline run is writing; interrupted, it can be run again.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property, reduce
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from healthlake import audit, catalog, erasure, storage
from healthlake.catalog import table_exists
from healthlake.settings import RESTRICTED_LAYERS, Settings
from jobs.silver.identity import IDENTITY_SOURCES

log = logging.getLogger(__name__)

CROSSWALK = ("restricted", "identity_crosswalk")
# Layers erasure looks into; audit.events is append-only by design and holds no personal data.
LAYERS = ("bronze", "quarantine", "restricted", "silver", "gold", "quality")
# Derived text under HEALTHLAKE_HOME that may quote a value: these suffixes are scrubbed.
REPORT_SUFFIXES = (".json", ".jsonl", ".html", ".log", ".txt", ".md", ".csv", ".yml", ".yaml", ".sql", ".out")
NOT_REPORTS = ("landing", "warehouse", "ground_truth", "secrets", "tmp")


@dataclass
class Footprint:
    resident_key: str
    records: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # source -> record ids
    identifiers: set[str] = field(default_factory=set)  # ID numbers, phones, record ids, the key
    names: set[str] = field(default_factory=set)

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        """The identifiers as whole tokens; read once the footprint is complete."""
        return erasure.token_pattern(self.identifiers)


@dataclass
class Erasure:
    resident_digest: str
    rows_by_table: dict[str, int] = field(default_factory=dict)
    lines_by_file: dict[str, int] = field(default_factory=dict)
    report_replacements: int = 0

    @property
    def rows(self) -> int:
        return sum(self.rows_by_table.values())


def digest(resident_key: str) -> str:
    """How the audit log names an erased resident: checkable against a key, not reversible to one."""
    return "sha256:" + hashlib.sha256(resident_key.encode()).hexdigest()[:16]


def footprint(spark: SparkSession, settings: Settings, resident_key: str) -> Footprint:
    found = Footprint(resident_key, identifiers={resident_key})
    if not table_exists(settings, *CROSSWALK):
        return found
    rows = (
        spark.read.format("delta")
        .load(settings.table_location(*CROSSWALK))
        .where(F.col("resident_key") == resident_key)
        .select("source", "source_record_id", "name", "id_number", "phone")
        .collect()
    )
    for row in rows:
        found.records[row.source].add(row.source_record_id)
        found.identifiers |= {v for v in (row.source_record_id, row.id_number, row.phone) if v}
        if row.id_number:
            found.identifiers.add(row.id_number.lower())  # as some sources deliver the check digit
        if row.name:
            found.names.add(row.name)
    return found


def _read(spark: SparkSession, settings: Settings, layer: str, table: str) -> DataFrame:
    return spark.read.format("delta").load(settings.table_location(layer, table))


def _ids(df: DataFrame, column: str) -> list:
    return [r[0] for r in df.select(column).distinct().collect()]


def bronze_conditions(spark: SparkSession, settings: Settings, found: Footprint) -> dict[str, Column]:
    """bronze table -> the condition selecting the resident's rows in it."""
    conditions: dict[str, Column] = {}
    for source in IDENTITY_SOURCES:
        ids = sorted(found.records.get(source.source, ()))
        if ids and table_exists(settings, "bronze", source.bronze_table):
            conditions[source.bronze_table] = F.col(source.record_id).cast("string").isin(ids)
    patients = conditions.get("his__patients")
    if patients is None:
        return conditions
    patient_ids = F.col("patient_id").cast("string").isin(sorted(found.records["his.patients"]))
    visit_ids: list = []
    admission_ids: list = []
    if table_exists(settings, "bronze", "his__outpatient_visits"):
        conditions["his__outpatient_visits"] = patient_ids
        visit_ids = _ids(_read(spark, settings, "bronze", "his__outpatient_visits").where(patient_ids), "visit_id")
    if table_exists(settings, "bronze", "his__admissions"):
        conditions["his__admissions"] = patient_ids
        stays = _read(spark, settings, "bronze", "his__admissions").where(patient_ids)
        admission_ids = _ids(stays, "admission_id")
    if table_exists(settings, "bronze", "his__prescriptions"):
        conditions["his__prescriptions"] = F.col("visit_id").isin(visit_ids)
    if table_exists(settings, "bronze", "his__diagnoses"):
        conditions["his__diagnoses"] = ((F.col("encounter_type") == "O") & F.col("encounter_id").isin(visit_ids)) | (
            (F.col("encounter_type") == "I") & F.col("encounter_id").isin(admission_ids)
        )
    return conditions


def row_condition(
    df: DataFrame, layer: str, found: Footprint, record_hashes: list[str], bronze: Column | None
) -> Column | None:
    """Which of a table's rows are the resident's, or None when the table cannot hold any."""
    parts: list[Column] = []
    if bronze is not None:
        parts.append(bronze)
    if "resident_key" in df.columns:
        parts.append(F.col("resident_key") == found.resident_key)
    if "_record_hash" in df.columns and record_hashes:
        parts.append(F.col("_record_hash").isin(record_hashes))
    pattern = found.pattern
    if layer in RESTRICTED_LAYERS and pattern is not None:
        # Raw lines and review pairs quote identifiers in free text (Java's regex reads Python's pattern).
        strings = [f.name for f in df.schema.fields if isinstance(f.dataType, T.StringType)]
        parts += [F.coalesce(F.col(c).rlike(pattern.pattern), F.lit(False)) for c in strings]
    return reduce(lambda a, b: a | b, parts) if parts else None


def in_history(
    spark: SparkSession,
    settings: Settings,
    layer: str,
    table: str,
    found: Footprint,
    record_hashes: list[str],
    bronze: Column | None,
) -> bool:
    """Whether the table's files still hold the resident although its current version does not:
    rows a DELETE or MERGE removed stay in files not yet vacuumed (or hidden by deletion vectors),
    and the log's commits keep the min/max statistics of files long vacuumed."""
    location = settings.table_location(layer, table)
    pattern = found.pattern
    if pattern is not None:
        log = f"{location}/_delta_log"
        for commit in storage.file_names(settings, log):
            if commit.endswith(".json") and pattern.search(storage.read_text(settings, f"{log}/{commit}")):
                return True
    if not any(name.endswith(".parquet") for name in storage.file_names(settings, location)):
        return False
    # Every data file, current or not; Spark's file listing skips _delta_log and hidden files.
    files = spark.read.option("mergeSchema", "true").parquet(location)
    condition = row_condition(files, layer, found, record_hashes, bronze)
    return condition is not None and files.where(condition).limit(1).count() > 0


def _decode(data: bytes) -> tuple[str, str]:
    """Delivered files are UTF-8 or, from the older systems, GB18030 (a superset of GBK)."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


def rewrite_landing(
    settings: Settings, lines_by_file: dict[str, set[int]], found: Footprint
) -> dict[str, tuple[Path, bytes, str, str, int]]:
    """file -> (path, new content, old SHA-256, new SHA-256, lines blanked), for files that change.
    Nothing is written yet: bronze learns the new checksums first."""
    pattern = found.pattern
    changes = {}
    for path in sorted(p for p in settings.landing_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(settings.landing_dir).as_posix()
        data = path.read_bytes()
        text, encoding = _decode(data)
        header = 0 if path.suffix == ".jsonl" else 1  # JSON lines have no header row
        new_text, blanked = erasure.blank_lines(text, lines_by_file.get(relative, set()), pattern, header)
        if blanked:
            new_data = new_text.encode(encoding)
            old_sha, new_sha = hashlib.sha256(data).hexdigest(), hashlib.sha256(new_data).hexdigest()
            changes[relative] = (path, new_data, old_sha, new_sha, blanked)
    return changes


def _with_new_checksums(df: DataFrame, sha_column: str, renamed: dict[str, str]) -> DataFrame:
    if sha_column not in df.columns or not renamed:
        return df
    mapping = F.create_map(*[F.lit(v) for pair in renamed.items() for v in pair])
    return df.withColumn(sha_column, F.coalesce(mapping[F.col(sha_column)], F.col(sha_column)))


def rewrite_without_history(spark: SparkSession, settings: Settings, layer: str, table: str, keep: DataFrame) -> None:
    """Replace the table by a new Delta table holding `keep`: no old versions, no old log entries."""
    location = settings.table_location(layer, table)
    # Beside the table (same disk or bucket), where no table is looked for.
    work = f"{settings.warehouse}/_forget/{layer}"
    fresh, old = f"{work}/{table}.new", f"{work}/{table}.old"
    storage.delete_tree(settings, fresh)
    storage.delete_tree(settings, old)
    storage.make_dirs(settings, work)
    properties = spark.sql(f"DESCRIBE DETAIL delta.`{location}`").first()["properties"] or {}
    keep.write.format("delta").save(fresh)
    if properties:
        settings_sql = ", ".join(f"'{k}' = '{v}'" for k, v in sorted(properties.items()))
        spark.sql(f"ALTER TABLE delta.`{fresh}` SET TBLPROPERTIES ({settings_sql})")
    storage.move_tree(settings, location, old)
    storage.move_tree(settings, fresh, location)
    storage.delete_tree(settings, old)
    # This session's cached snapshot of the old table must not be read again.
    spark._jvm.org.apache.spark.sql.delta.DeltaLog.clearCache()
    if spark.catalog.tableExists(f"{layer}.{table}"):
        spark.sql(f"REFRESH TABLE {layer}.{table}")


def scrub_reports(settings: Settings, found: Footprint) -> int:
    pattern = found.pattern
    replaced = 0
    for path in settings.home.rglob("*"):
        top = path.relative_to(settings.home).parts[0]
        if top in NOT_REPORTS or not path.is_file() or path.suffix.lower() not in REPORT_SUFFIXES:
            continue
        text, encoding = _decode(path.read_bytes())
        new_text, count = erasure.scrub(text, pattern, found.names)
        if count:
            path.write_bytes(new_text.encode(encoding))
            replaced += count
    return replaced


def forget(spark: SparkSession, settings: Settings, resident_key: str, progress=log.info) -> Erasure:
    result = Erasure(digest(resident_key))
    found = footprint(spark, settings, resident_key)
    progress(f"identity records: {sum(len(v) for v in found.records.values())} in {len(found.records)} sources")
    conditions = bronze_conditions(spark, settings, found)
    record_hashes: list[str] = []
    lines_by_file: dict[str, set[int]] = defaultdict(set)
    for table, condition in conditions.items():
        theirs = _read(spark, settings, "bronze", table).where(condition)
        columns = ["_record_hash"] + (["_source_file", "_record_number"] if "_source_file" in theirs.columns else [])
        for row in theirs.select(*columns).collect():
            record_hashes.append(row["_record_hash"])
            if "_source_file" in columns:
                lines_by_file[row["_source_file"]].add(row["_record_number"])
    if table_exists(settings, "quarantine", "bronze_rejects") and (pattern := found.pattern):
        rejects = _read(spark, settings, "quarantine", "bronze_rejects").where(F.col("raw_text").rlike(pattern.pattern))
        for row in rejects.select("source_file", "line_number").collect():
            lines_by_file[row["source_file"]].add(row["line_number"])
    landing = rewrite_landing(settings, lines_by_file, found)
    renamed = {old_sha: new_sha for _, _, old_sha, new_sha, _ in landing.values()}
    for layer, tables in catalog.discover(settings, LAYERS).items():
        for table in tables:
            df = _read(spark, settings, layer, table)
            in_bronze = conditions.get(table) if layer == "bronze" else None
            condition = row_condition(df, layer, found, record_hashes, in_bronze)
            sha_column = next((c for c in ("_file_sha256", "file_sha256") if c in df.columns), None)
            theirs = df.where(condition).count() if condition is not None else 0
            stale = sha_column and renamed and df.where(F.col(sha_column).isin(list(renamed))).limit(1).count()
            past = not theirs and in_history(spark, settings, layer, table, found, record_hashes, in_bronze)
            if not theirs and not stale and not past:
                continue
            keep = df.where(~condition) if theirs else df
            rewrite_without_history(spark, settings, layer, table, _with_new_checksums(keep, sha_column or "", renamed))
            if theirs:
                result.rows_by_table[f"{layer}.{table}"] = theirs
                progress(f"{layer}.{table}: {theirs} rows removed, history dropped")
    for relative, (path, data, _, _, blanked) in landing.items():
        partial = path.with_name(path.name + ".forget")
        partial.write_bytes(data)
        partial.replace(path)
        result.lines_by_file[relative] = blanked
    if landing:
        progress(f"landing zone: {sum(result.lines_by_file.values())} lines blanked in {len(landing)} files")
    result.report_replacements = scrub_reports(settings, found)
    if result.report_replacements:
        progress(f"reports: {result.report_replacements} identifiers overwritten")
    tables = ", ".join(f"{name} {rows}" for name, rows in sorted(result.rows_by_table.items()))
    detail = f"rows removed: {tables or 'none'}; landing lines blanked: {sum(result.lines_by_file.values())}"
    audit.record(spark, settings, audit.Event("forget", result.resident_digest, rows_out=result.rows, detail=detail))
    return result
