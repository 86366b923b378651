"""silver.exam_observations: one row per exam item, as a WS 363 data element with a numeric value.

Pure transform `standardise()`; `run()` reads bronze, audits the batch with Great Expectations,
merges it on (exam_key, item_code), quarantines rejects and checks the reconciliation
bronze rows = silver rows + quarantined rows + superseded duplicates.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from healthlake.lineage import JobResult, ReconciliationError, create_table_if_absent
from healthlake.pseudonym import hmac_column
from healthlake.quality import Check, audit
from healthlake.schemas import DataElement, data_elements, source_format
from healthlake.settings import Settings
from jobs.silver.rules import (
    Rule,
    first_broken,
    id_birth_date,
    id_check_char,
    id_sex_code,
    id_well_formed,
    normalised_id,
)

SOURCE = "exam_system"
TABLE = "exam_observations"
QUARANTINE = "silver_rejects"
MERGE_KEYS = ("exam_key", "item_code")


def _lookup(mapping: dict[str, object], key: Column) -> Column:
    if not mapping:
        return F.lit(None)
    pairs = [F.lit(x) for kv in mapping.items() for x in kv]
    return F.create_map(*pairs)[key]


def rank_deliveries(bronze: DataFrame) -> DataFrame:
    """`_rank` 1 marks the newest delivery of each exam item; later ranks are superseded, not lost."""
    order = Window.partitionBy("exam_id", "item_code").orderBy(
        F.col("_ingested_at").desc(), F.col("_source_file").desc(), F.col("_record_number").desc()
    )
    return bronze.withColumn("_rank", F.row_number().over(order))


def standardise(bronze: DataFrame, item_elements: dict[str, DataElement], key: bytes) -> DataFrame:
    """Every input row, with standard columns and `_rule_id`/`_field`/`_message` set if it breaks a rule."""
    id_number = normalised_id(F.col("id_number"))
    value = F.expr("try_cast(trim(result_value) AS DOUBLE)")
    exam_date = F.try_to_date(F.trim(F.col("exam_date")), "yyyy-MM-dd")
    de_id = _lookup({code: e.de_id for code, e in item_elements.items()}, F.col("item_code"))
    low = _lookup({code: e.plausible[0] for code, e in item_elements.items() if e.plausible}, F.col("item_code"))
    high = _lookup({code: e.plausible[1] for code, e in item_elements.items() if e.plausible}, F.col("item_code"))

    rules = [
        Rule("id_number.missing", "id_number", F.coalesce(id_number, F.lit("")) == "", "ID number is empty"),
        Rule("id_number.format", "id_number", ~id_well_formed(id_number),
             "ID number is not 17 digits and a check character (GB 11643)"),
        Rule("id_number.checksum", "id_number", id_check_char(id_number) != F.substring(id_number, 18, 1),
             "ID number's check character does not match its first 17 digits (GB 11643)"),
        Rule("id_number.birth_date", "id_number", id_birth_date(id_number).isNull(),
             "ID number's birth-date digits are not a calendar date"),
        Rule("exam_date.unparseable", "exam_date", exam_date.isNull(), "exam date is not a YYYY-MM-DD date"),
        Rule("item_code.unknown", "item_code", de_id.isNull(),
             "item code is not mapped to a data element in schemas/sources/exam_system.yaml"),
        Rule("result_value.not_numeric", "result_value", value.isNull(), "result is not a number"),
        Rule("result_value.out_of_range", "result_value", (value < low) | (value > high),
             "result is outside the plausible range of its data element"),
    ]  # fmt: skip
    rule_id, field, raw_value, message = first_broken(rules)
    element_column = _lookup({code: e.column for code, e in item_elements.items()}, F.col("item_code"))
    unit = _lookup({code: e.unit for code, e in item_elements.items() if e.unit}, F.col("item_code"))
    birth = id_birth_date(id_number)
    return bronze.select(
        hmac_column(key, F.concat(F.lit(f"{SOURCE}:"), F.col("exam_id"))).alias("exam_key"),
        F.col("item_code"),
        de_id.alias("de_id"),
        element_column.alias("element"),
        value.alias("value"),
        unit.alias("unit"),
        hmac_column(key, id_number).alias("resident_key"),
        id_sex_code(id_number).alias("sex_code"),
        F.floor(F.months_between(exam_date, birth) / 12).cast("int").alias("age_at_exam"),
        exam_date.alias("exam_date"),
        F.trim(F.col("institution_code")).alias("institution_code"),
        F.col("_source_system"),
        F.col("_source_file"),
        F.col("_record_number"),
        F.col("_record_hash"),
        F.col("_rank"),
        rule_id.alias("_rule_id"),
        field.alias("_field"),
        raw_value.alias("_raw_value"),
        message.alias("_message"),
    )


def expectations(item_elements: dict[str, DataElement]) -> list[Check]:
    de_ids = sorted({e.de_id for e in item_elements.values()})
    return [
        Check("ExpectColumnValuesToNotBeNull", {"column": "resident_key"}),
        Check("ExpectColumnValuesToMatchRegex", {"column": "resident_key", "regex": "^[0-9a-f]{64}$"}),
        Check("ExpectColumnValuesToBeInSet", {"column": "de_id", "value_set": de_ids}),
        Check("ExpectColumnValuesToNotBeNull", {"column": "value"}),
        Check("ExpectColumnValuesToNotBeNull", {"column": "exam_date"}),
        Check("ExpectColumnValuesToBeInSet", {"column": "sex_code", "value_set": ["1", "2"]}),
        Check("ExpectColumnValuesToBeBetween", {"column": "age_at_exam", "min_value": 0, "max_value": 120}),
        Check("ExpectCompoundColumnsToBeUnique", {"column_list": list(MERGE_KEYS)}),
        Check("ExpectColumnValuesToNotBeNull", {"column": "institution_code"}, severity="warning"),
    ]


def merge_changes(spark, table: str, incoming: DataFrame, keys: tuple[str, ...], view: str) -> int:
    """MERGE only rows that are new or whose delivered record changed: a re-run writes nothing."""
    existing = spark.table(table).select(*keys, "_record_hash")
    changes = incoming.join(existing, on=[*keys, "_record_hash"], how="left_anti").persist()
    count = changes.count()
    if count:
        changes.createOrReplaceTempView(view)
        on = " AND ".join(f"t.{k} = s.{k}" for k in keys)
        spark.sql(
            f"MERGE INTO {table} t USING {view} s ON {on} WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
        )
    changes.unpersist()
    return count


def run(spark, settings: Settings, run_id: str) -> JobResult:
    fmt = source_format(SOURCE)
    elements = data_elements()
    item_elements = {code: elements[de] for code, de in fmt.item_codes.items()}
    bronze = spark.table(f"bronze.{fmt.bronze_table}")
    now = F.lit(datetime.now(UTC)).cast("timestamp")

    classified = standardise(rank_deliveries(bronze), item_elements, settings.pseudonym_key()).persist()
    outcome = F.when(F.col("_rank") > 1, "superseded").when(F.col("_rule_id").isNotNull(), "rejected")
    counts = dict(classified.groupBy(outcome.otherwise("published").alias("o")).count().collect())
    n_good, n_rejected, superseded = (counts.get(k, 0) for k in ("published", "rejected", "superseded"))
    rows_in = bronze.count()
    if rows_in != n_good + n_rejected + superseded:
        raise ReconciliationError(
            f"silver.{TABLE}: {rows_in} bronze rows but {n_good} standardised + {n_rejected} quarantined "
            f"+ {superseded} superseded = {n_good + n_rejected + superseded}"
        )
    current = classified.where("_rank = 1")
    good = (
        current.where("_rule_id IS NULL")
        .drop("_rank", "_rule_id", "_field", "_raw_value", "_message")
        .withColumn("_run_id", F.lit(run_id))
        .withColumn("_loaded_at", now)
    )
    rejected = current.where("_rule_id IS NOT NULL").select(
        F.lit(f"bronze.{fmt.bronze_table}").alias("source_table"),
        F.lit(f"silver.{TABLE}").alias("target_table"),
        "_source_file", "_record_number", "_record_hash",
        F.col("_rule_id").alias("rule_id"), F.col("_field").alias("field"),
        F.col("_raw_value").alias("raw_value"), F.col("_message").alias("message"),
        F.lit(run_id).alias("_run_id"), now.alias("_quarantined_at"),
    )  # fmt: skip

    # Audit before publish: consumers keep the previous version if the batch fails.
    audit_result = audit(good, f"silver.{TABLE}", expectations(item_elements), settings, run_id)

    create_table_if_absent(spark, settings, "quarantine", QUARANTINE, rejected)
    merge_changes(spark, f"quarantine.{QUARANTINE}", rejected,
                  ("source_table", "_source_file", "_record_number"), "incoming_silver_rejects")  # fmt: skip
    create_table_if_absent(spark, settings, "silver", TABLE, good)
    changed = merge_changes(spark, f"silver.{TABLE}", good, MERGE_KEYS, "incoming_exam_observations")
    classified.unpersist()
    warnings = "; ".join(f"{c.name}: {n} rows" for c, n in audit_result.warnings)
    return JobResult(
        job=f"silver.{TABLE}",
        rows_in=rows_in,
        rows_written=n_good,
        rows_rejected=n_rejected,
        detail=f"{changed} new or changed, {superseded} superseded; {audit_result.checks_run} checks passed"
        + (f"; warnings: {warnings}" if warnings else ""),
    )
