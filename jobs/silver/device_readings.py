"""silver.device_readings: home blood-pressure readings, one per (device, reading counter) however
often it was uploaded, in mmHg (older devices send kPa), with cuff errors quarantined."""

from __future__ import annotations

from pyspark.sql import functions as F

from healthlake.schemas import data_elements
from jobs.silver import normalise as N
from jobs.silver.entity import Batch, Entity, Standardised, file_lineage
from jobs.silver.rules import Rule

BRONZE = "home_bp_devices__readings"


def standardise(batch: Batch) -> Standardised:
    bronze = batch.rows[BRONZE]
    elements = {e.column: e for e in data_elements().values()}
    mmhg = elements["sbp_mmhg"].unit_factors()
    sbp = N.to_unit(N.number(F.col("sbp")), F.col("unit"), mmhg)
    dbp = N.to_unit(N.number(F.col("dbp")), F.col("unit"), mmhg)
    measured_at = N.parse_timestamp(F.col("measured_at"))
    rows = bronze.select(
        batch.pseudonym("home_bp_devices.reading:", F.concat_ws(":", "device_sn", "reading_seq")).alias("reading_key"),
        batch.pseudonym("home_bp_devices.device:", F.col("device_sn")).alias("device_key"),
        measured_at.alias("measured_at"),
        F.round(sbp).alias("sbp_mmhg"),
        F.round(dbp).alias("dbp_mmhg"),
        N.number(F.col("pulse")).alias("pulse_per_min"),
        N.parse_timestamp(F.col("uploaded_at")).alias("uploaded_at"),
        F.lit("home_bp_devices").alias("source_system"),
        *file_lineage(BRONZE, "home_bp_devices.device", F.col("device_sn")),
        F.col("measured_at").alias("_measured_raw"),
        F.col("unit").alias("_unit_raw"),
        F.concat_ws("/", "sbp", "dbp").alias("_bp_raw"),
    )
    sbp_range, dbp_range = elements["sbp_mmhg"].plausible, elements["dbp_mmhg"].plausible
    rules = [
        Rule("measured_at.unparseable", "_measured_raw", F.col("measured_at").isNull(),
             "measurement time is not an ISO 8601 time or epoch"),
        Rule("unit.unknown", "_unit_raw", F.col("sbp_mmhg").isNull() | F.col("dbp_mmhg").isNull(),
             "pressure is missing or in a unit other than mmHg or kPa"),
        Rule("bp.out_of_range", "_bp_raw",
             ~F.col("sbp_mmhg").between(*sbp_range) | ~F.col("dbp_mmhg").between(*dbp_range),
             f"pressure is outside the plausible range (SBP {sbp_range}, DBP {dbp_range} mmHg)"),
        Rule("bp.systolic_not_above_diastolic", "_bp_raw", F.col("sbp_mmhg") <= F.col("dbp_mmhg"),
             "systolic pressure is not above diastolic (a cuff error)"),
    ]  # fmt: skip
    return Standardised(rows, rules)


ENTITY = Entity(
    table="device_readings",
    bronze_tables=(BRONZE,),
    keys=("reading_key",),
    standardise=standardise,
    identity_sources=("home_bp_devices.device",),
)
