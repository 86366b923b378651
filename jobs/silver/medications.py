"""silver.medications: outpatient prescription lines, each tied to its visit in silver.encounters."""

from __future__ import annotations

from pyspark.sql import functions as F

from jobs.silver import normalise as N
from jobs.silver.entity import Batch, Entity, Standardised, database_lineage
from jobs.silver.rules import Rule

BRONZE = "his__prescriptions"


def standardise(batch: Batch) -> Standardised:
    bronze = batch.rows[BRONZE]
    rows = bronze.select(
        batch.pseudonym("his.prescription:", F.col("prescription_id")).alias("medication_key"),
        batch.pseudonym("his.outpatient:", F.col("visit_id")).alias("encounter_key"),
        N.blank_to_null(F.col("drug_code")).alias("drug_code"),
        N.blank_to_null(F.col("drug_name")).alias("drug_name"),
        F.col("dose").cast("double").alias("dose"),
        N.blank_to_null(F.col("dose_unit")).alias("dose_unit"),
        F.lower(N.blank_to_null(F.col("frequency"))).alias("frequency"),
        F.col("days").cast("int").alias("days_supplied"),
        F.lit("his").alias("source_system"),
        *database_lineage(BRONZE, "prescription_id"),
        F.col("dose").cast("string").alias("_dose_raw"),
    )
    encounters = batch.spark.table("silver.encounters").select(
        "encounter_key", "resident_key", F.to_date("start_time").alias("prescribed_on"), "institution_code"
    )
    rules = [
        Rule("encounter.unknown", "encounter_key", F.col("resident_key").isNull(),
             "the prescription's visit is not in silver.encounters (cancelled, quarantined or not yet extracted)"),
        Rule("drug_code.missing", "drug_code", F.col("drug_code").isNull(), "the line names no formulary code"),
        Rule("dose.not_positive", "_dose_raw", F.coalesce(F.col("dose"), F.lit(0.0)) <= 0,
             "the dose is missing, zero or negative"),
        Rule("days_supplied.out_of_range", "days_supplied", ~F.col("days_supplied").between(1, 365),
             "days supplied is outside 1 to 365"),
    ]  # fmt: skip
    return Standardised(rows.join(encounters, "encounter_key", "left"), rules)


ENTITY = Entity(
    table="medications",
    bronze_tables=(BRONZE,),
    keys=("medication_key",),
    standardise=standardise,
)
