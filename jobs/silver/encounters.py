"""silver.encounters: every contact with care, one row per exam (体检), outpatient visit (门诊) and
inpatient stay (住院), with WS 363 times in Asia/Shanghai. A cancelled visit leaves silver."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.silver import normalise as N
from jobs.silver.entity import Batch, Entity, Standardised, database_lineage, file_lineage, file_order
from jobs.silver.rules import Rule

EXAMS = "exam_system__exam_items"
VISITS = "his__outpatient_visits"
ADMISSIONS = "his__admissions"


def _his_person_and_lineage(bronze: str, id_column: str) -> list:
    return [
        F.col("patient_id").cast("string").alias("_identity_record_id"),
        F.lit("his.patients").alias("_identity_source"),
        *database_lineage(bronze, id_column),
    ]


def _newest_item_per_exam(items: DataFrame) -> DataFrame:
    """One exam arrives as many item rows: its newest delivered row stands for it, and the others
    are counted as folded into it. Aggregated before anything is standardised, so millions of item
    rows cost one partial aggregation, not a sort."""
    carried = ("institution_code", "exam_date", "_source_file", "_record_number", "_record_hash", "_ingested_at")
    newest = F.max_by(F.struct(*carried), file_order())
    return (
        items.groupBy("exam_id")
        .agg(newest.alias("newest"), F.count("*").alias("_folded"))
        .select("exam_id", "newest.*", "_folded")
    )


def _exams(batch: Batch, bronze: DataFrame) -> DataFrame:
    return _newest_item_per_exam(bronze).select(
        batch.pseudonym("exam_system.exam:", F.col("exam_id")).alias("encounter_key"),
        F.lit("exam").alias("encounter_type"),
        N.blank_to_null(F.col("institution_code")).alias("institution_code"),
        F.lit(None).cast("string").alias("department"),
        F.to_timestamp(N.parse_date(F.col("exam_date"))).alias("start_time"),
        F.lit(None).cast("timestamp").alias("end_time"),
        F.lit(None).cast("string").alias("admit_route_code"),
        F.lit(None).cast("string").alias("discharge_method_code"),
        F.lit(None).cast("string").alias("principal_diagnosis_code_as_sent"),
        F.lit(None).cast("double").alias("total_cost"),
        F.lit("completed").alias("status"),
        F.lit("exam_system").alias("source_system"),
        *file_lineage(EXAMS, "exam_system.exam", F.col("exam_id")),
        "_folded",
        F.col("exam_date").alias("_start_raw"),
        F.lit(None).cast("string").alias("_end_raw"),
    )


def standardise(batch: Batch) -> Standardised:
    frames = []
    if EXAMS in batch.rows:
        frames.append(_exams(batch, batch.rows[EXAMS]))
    if VISITS in batch.rows:
        visits = batch.rows[VISITS]
        frames.append(
            visits.select(
                batch.pseudonym("his.outpatient:", F.col("visit_id")).alias("encounter_key"),
                F.lit("outpatient").alias("encounter_type"),
                N.blank_to_null(F.col("institution_code")).alias("institution_code"),
                N.blank_to_null(F.col("department")).alias("department"),
                F.col("visit_time").cast("timestamp").alias("start_time"),
                F.lit(None).cast("timestamp").alias("end_time"),
                F.lit(None).cast("string").alias("admit_route_code"),
                F.lit(None).cast("string").alias("discharge_method_code"),
                F.lit(None).cast("string").alias("principal_diagnosis_code_as_sent"),
                F.lit(None).cast("double").alias("total_cost"),
                F.col("status"),
                F.lit("his").alias("source_system"),
                *_his_person_and_lineage(VISITS, "visit_id"),
                F.col("visit_time").cast("string").alias("_start_raw"),
                F.lit(None).cast("string").alias("_end_raw"),
            )
        )
    if ADMISSIONS in batch.rows:
        stays = batch.rows[ADMISSIONS]
        frames.append(
            stays.select(
                batch.pseudonym("his.inpatient:", F.col("admission_id")).alias("encounter_key"),
                F.lit("inpatient").alias("encounter_type"),
                N.blank_to_null(F.col("institution_code")).alias("institution_code"),
                N.blank_to_null(F.col("ward")).alias("department"),
                F.col("admit_time").cast("timestamp").alias("start_time"),
                F.col("discharge_time").cast("timestamp").alias("end_time"),
                N.blank_to_null(F.col("admit_route")).alias("admit_route_code"),
                N.blank_to_null(F.col("discharge_method")).alias("discharge_method_code"),
                N.blank_to_null(F.col("principal_diagnosis_code")).alias("principal_diagnosis_code_as_sent"),
                F.col("total_cost").cast("double").alias("total_cost"),
                F.col("status"),
                F.lit("his").alias("source_system"),
                *_his_person_and_lineage(ADMISSIONS, "admission_id"),
                F.col("admit_time").cast("string").alias("_start_raw"),
                F.col("discharge_time").cast("string").alias("_end_raw"),
            )
        )
    rows = frames[0]
    for frame in frames[1:]:
        rows = rows.unionByName(frame, allowMissingColumns=True)  # _folded: exams only
    rows = rows.withColumn(
        "length_of_stay_days",
        F.when(F.col("encounter_type") == "inpatient", F.datediff(F.to_date("end_time"), F.to_date("start_time"))),
    )
    rules = [
        Rule("start_time.unparseable", "_start_raw", F.col("start_time").isNull(),
             "the encounter's date or time is missing or not a date in any accepted form"),
        Rule("temporal.discharge_before_admission", "_end_raw", F.col("end_time") < F.col("start_time"),
             "discharge time is before admission time"),
        Rule("institution_code.missing", "institution_code", F.col("institution_code").isNull(),
             "the encounter names no institution"),
    ]  # fmt: skip
    return Standardised(rows, rules)


ENTITY = Entity(
    table="encounters",
    bronze_tables=(EXAMS, VISITS, ADMISSIONS),
    keys=("encounter_key",),
    standardise=standardise,
    identity_sources=("exam_system.exam", "his.patients"),
)
