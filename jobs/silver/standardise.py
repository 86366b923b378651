"""The silver layer's jobs in dependency order: the resident index first (every entity looks its
residents up there), encounters before the diagnoses and prescriptions that hang off them."""

from __future__ import annotations

import gc

from pyspark.sql import SparkSession

from healthlake.lineage import JobResult
from healthlake.settings import Settings
from jobs.silver import (
    JOBS,
    chronic_followups,
    device_readings,
    diagnoses,
    encounters,
    medications,
    observations,
    residents,
    tcm_assessments,
)
from jobs.silver.entity import Entity, run_entity

ENTITIES: dict[str, Entity] = {
    e.table: e
    for e in (
        encounters.ENTITY,
        observations.ENTITY,
        diagnoses.ENTITY,
        medications.ENTITY,
        chronic_followups.ENTITY,
        tcm_assessments.ENTITY,
        device_readings.ENTITY,
    )
}
assert ("residents", *ENTITIES) == JOBS, "jobs/silver/__init__.py lists the jobs in their order"


def run(spark: SparkSession, settings: Settings, run_id: str, job: str) -> JobResult:
    if job == "residents":
        result = residents.run(spark, settings, run_id)
        _release_materialised(spark)
        return result
    if job not in ENTITIES:
        raise ValueError(f"unknown silver job {job!r}; one of: {', '.join(JOBS)}")
    return run_entity(spark, settings, run_id, ENTITIES[job])


def _release_materialised(spark: SparkSession) -> None:
    """Free what the resident index materialised before the big entity batches need the memory:
    splink's cached tables, and the local checkpoints, whose blocks Spark drops only once the JVM
    has collected their (now unreferenced) datasets, by default every 30 minutes."""
    spark.catalog.clearCache()
    gc.collect()  # Python's references to JVM objects first, then the JVM's own
    spark.sparkContext._jvm.System.gc()
