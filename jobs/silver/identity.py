"""Identity records: how each source record names its person, in standard columns.

One row per source record that identifies a person (an exam, a HIS registration, a follow-up form,
a TCM assessment, a home BP device), its newest delivered version. Pure transforms over bronze
DataFrames; the resident index (jobs/silver/residents.py) resolves them to residents.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from healthlake.schemas import database_source, source_format, value_domains
from jobs.silver import normalise as N

IDENTITY_COLUMNS = (
    "source", "source_record_id", "name", "sex_code", "birth_date", "id_type_code", "id_number", "id_problem",
    "phone", "address", "district_code",
)  # fmt: skip


@dataclass(frozen=True)
class IdentitySource:
    """Where identity records of one kind come from: a bronze table and its record id column."""

    source: str  # e.g. his.patients
    bronze_table: str
    record_id: str
    order_by: tuple[str, ...]  # newest version first when sorted descending on these


IDENTITY_SOURCES = (
    IdentitySource("exam_system.exam", "exam_system__exam_items", "exam_id", ("_ingested_at", "_record_number")),
    IdentitySource("his.patients", "his__patients", "patient_id", ("updated_at", "_ingested_at")),
    IdentitySource("public_health.followup", "public_health__chronic_followups", "form_id", ("_ingested_at",)),
    IdentitySource("public_health.tcm", "public_health__tcm_assessments", "assessment_id", ("_ingested_at",)),
    IdentitySource("home_bp_devices.device", "home_bp_devices__readings", "device_sn", ("uploaded_at", "_ingested_at")),
)  # fmt: skip


def newest(df: DataFrame, key: str, order_by: tuple[str, ...], columns: list[str]) -> DataFrame:
    """The newest version of each `key` (max over `order_by`), in one aggregation."""
    ordering = F.struct(*[F.col(c) for c in order_by])
    return (
        df.groupBy(key)
        .agg(F.max_by(F.struct(*[F.col(c) for c in columns]), ordering).alias("v"))
        .select(F.col(key), "v.*")
    )


def _col_or_null(df: DataFrame, column: str) -> Column:
    return F.col(column).cast("string") if column in df.columns else F.lit(None).cast("string")


def standardise_identity(raw: DataFrame, source: str, local_codes: dict[str, dict[str, str]]) -> DataFrame:
    """Raw name/sex/birth date/ID/phone/address columns -> the standard identity columns."""
    domains = value_domains()
    id_type_raw = _col_or_null(raw, "id_type")
    sex_domain = domains["GB/T 2261.1"]
    sex_raw = _col_or_null(raw, "sex")
    # A sex the mapping does not know is GB/T 2261.1's own "unknown" (0), never a guess.
    sex = F.when(N.blank_to_null(sex_raw).isNotNull(), F.coalesce(
        N.map_code(sex_raw, sex_domain.local_map(local_codes.get("sex"))), F.lit(sex_domain.unknown)
    ))  # fmt: skip
    # Two projections: the ID number, its type and the address are normalised once, then referred to
    # by name. Written as one, each use of the ID number (its problem, its division) repeated its whole
    # normalisation: a plan of thousands of nodes that took seconds to analyse in every run.
    normalised = raw.select(
        F.col("source_record_id").cast("string").alias("source_record_id"),
        N.person_name(_col_or_null(raw, "name")).alias("name"),
        sex.alias("sex_code"),
        N.parse_date(_col_or_null(raw, "birth_date")).alias("birth_date"),
        F.when(N.blank_to_null(id_type_raw).isNull(), F.lit("01"))
        .otherwise(N.map_code(id_type_raw, domains["CV02.01.101"].local_map(local_codes.get("id_type"))))
        .alias("id_type_code"),
        N.id_number_18(_col_or_null(raw, "id_number")).alias("id_number"),
        N.phone(_col_or_null(raw, "phone")).alias("phone"),
        N.blank_to_null(_col_or_null(raw, "address")).alias("address"),
    )
    id_number = F.col("id_number")
    is_resident_id = F.col("id_type_code") == "01"
    id_division = F.substring(id_number, 1, 6)
    divisions = domains["GB/T 2260"].codes
    return normalised.select(
        F.lit(source).alias("source"),
        "source_record_id",
        "name",
        "sex_code",
        "birth_date",
        "id_type_code",
        "id_number",
        F.when(is_resident_id, N.id_problem(id_number)).when(id_number.isNull(), F.lit("missing")).alias("id_problem"),
        "phone",
        "address",
        F.coalesce(
            F.when(is_resident_id & id_division.isin(list(divisions)), id_division),
            N.division_from_address(F.coalesce(F.col("address"), F.lit("")), divisions),
        ).alias("district_code"),
    )


def identity_records(bronze: dict[str, DataFrame]) -> DataFrame:
    """Every identity record in the given bronze tables (keyed by bronze table name), newest versions."""
    frames = []
    for spec in IDENTITY_SOURCES:
        if spec.bronze_table not in bronze:
            continue
        df = bronze[spec.bronze_table]
        wanted = [
            c for c in ("name", "sex", "birth_date", "id_type", "id_number", "phone", "address") if c in df.columns
        ]
        latest = newest(df, spec.record_id, spec.order_by, wanted).withColumnRenamed(spec.record_id, "source_record_id")
        frames.append(standardise_identity(latest, spec.source, _local_codes(spec.source)))
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out.withColumn("identity_hash", identity_hash())


def _local_codes(source: str) -> dict[str, dict[str, str]]:
    """The source's own spellings of coded identity fields (schemas/sources, schemas/databases)."""
    if source == "his.patients":
        return database_source("his").tables["patients"].local_codes
    if source == "exam_system.exam":
        return source_format("exam_system").local_codes
    return {}


def identity_hash() -> Column:
    """Hash of the identifying attributes: a record is re-resolved only when this changes."""
    parts = [F.coalesce(F.col(c).cast("string"), F.lit("\u0000")) for c in IDENTITY_COLUMNS]
    return F.sha2(F.concat_ws("\u0001", *parts), 256)


def anchor() -> Column:
    """The identifier a record is resolved by without doubt, or null: a valid GB 11643 number whose
    birth date and sex agree with what the source says, or a passport number."""
    id_birth = N.id_birth_date(F.col("id_number"))
    id_sex = N.id_sex_code(F.col("id_number"))
    agrees = (F.col("birth_date").isNull() | (F.col("birth_date") == id_birth)) & (
        F.col("sex_code").isNull() | F.col("sex_code").isin("0", "9") | (F.col("sex_code") == id_sex)
    )
    resident_id = (F.col("id_type_code") == "01") & F.col("id_problem").isNull() & agrees
    passport = (F.col("id_type_code") == "03") & F.col("id_number").isNotNull()
    return F.when(resident_id, F.concat(F.lit("01:"), F.col("id_number"))).when(
        passport, F.concat(F.lit("03:"), F.col("id_number"))
    )
