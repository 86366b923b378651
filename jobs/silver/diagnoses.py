"""silver.diagnoses: HIS diagnoses as WHO ICD-10 codes (DE05.01.024.00) with their category, block
and chapter; the code as sent and its national clinical edition extension kept. A diagnosis sent
with only a name gets the code of an unambiguous name (schemas/reference/diagnosis_names.yaml).
Codes that match nothing are quarantined and counted in quarantine.icd10_unmapped for curation."""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from healthlake.settings import Settings
from healthlake.standards import icd10
from jobs.silver import normalise as N
from jobs.silver.entity import QUARANTINE, Batch, Entity, Standardised, database_lineage
from jobs.silver.rules import Rule

BRONZE = "his__diagnoses"


def code_tree(spark: SparkSession):
    return F.broadcast(spark.createDataFrame(icd10.code_tree()))


def standardise(batch: Batch) -> Standardised:
    spark = batch.spark
    bronze = batch.rows[BRONZE]
    cleaned = N.icd_cleaned(F.col("icd_code"))
    name = N.blank_to_null(F.col("diagnosis_name"))
    from_name = N.map_code(F.regexp_replace(F.coalesce(name, F.lit("")), r"\s+", " "), icd10.diagnosis_names())
    encounter_prefix = F.when(F.col("encounter_type") == "I", F.lit("his.inpatient:")).otherwise(
        F.lit("his.outpatient:")
    )
    rows = bronze.select(
        batch.pseudonym("his.diagnosis:", F.col("diagnosis_id")).alias("diagnosis_key"),
        batch.pseudonym("", F.concat(encounter_prefix, F.col("encounter_id").cast("string"))).alias("encounter_key"),
        F.col("seq").cast("int").alias("seq"),
        (F.col("seq").cast("int") == 1).alias("is_principal"),
        F.coalesce(N.icd_who_code(cleaned), from_name).alias("_candidate"),
        F.col("icd_code").alias("icd10_code_as_sent"),
        N.icd_extension(cleaned).alias("icd10_extension"),
        (cleaned.isNull() & from_name.isNotNull()).alias("coded_from_name"),
        name.alias("diagnosis_name"),
        F.lit("his").alias("source_system"),
        *database_lineage(BRONZE, "diagnosis_id"),
        F.col("icd_code").alias("_icd_code"),
        cleaned.alias("_icd_clean"),
        F.concat_ws(" / ", F.coalesce(F.col("icd_code"), F.lit("")), F.coalesce(name, F.lit(""))).alias(
            "_icd_code_and_name"
        ),
    )
    tree = code_tree(spark)
    coded = rows.join(tree, rows["_candidate"] == tree["icd10_code"], "left").drop("_candidate")
    # The diagnosis's resident and date are its encounter's, published in silver.encounters.
    encounters = spark.table("silver.encounters").select(
        "encounter_key", "resident_key", F.to_date("start_time").alias("diagnosed_on"), "encounter_type",
        "institution_code",
    )  # fmt: skip
    joined = coded.join(encounters, "encounter_key", "left")
    rules = [
        Rule("encounter.unknown", "encounter_key", F.col("resident_key").isNull(),
             "the diagnosis's visit or stay is not in silver.encounters (cancelled, quarantined or not yet extracted)"),
        Rule("icd10.missing", "_icd_code_and_name", F.col("_icd_clean").isNull() & F.col("icd10_code").isNull(),
             "no ICD-10 code, and the diagnosis name maps to no single code"),
        Rule("icd10.unknown", "_icd_code", F.col("icd10_code").isNull(),
             "the code is not an ICD-10 category or subcategory (WHO 2019), even after normalising its form"),
    ]  # fmt: skip
    return Standardised(joined, rules)


def refresh_unmapped(spark: SparkSession, settings: Settings) -> None:
    """quarantine.icd10_unmapped: every code or name no diagnosis could be coded by, and how often."""
    rejects = spark.table(QUARANTINE).where(F.col("rule_id").isin("icd10.unknown", "icd10.missing"))
    listing = rejects.groupBy(F.col("raw_value").alias("code_or_name"), "rule_id").agg(
        F.count("*").alias("diagnoses"), F.min("_quarantined_at").alias("first_seen"),
        F.max("_quarantined_at").alias("last_seen"),
    )  # fmt: skip
    listing.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(
        settings.table_location("quarantine", "icd10_unmapped")
    )
    from healthlake import catalog

    catalog.register(spark, settings, "quarantine", "icd10_unmapped")


ENTITY = Entity(
    table="diagnoses",
    bronze_tables=(BRONZE,),
    keys=("diagnosis_key",),
    standardise=standardise,
    after=refresh_unmapped,
)
