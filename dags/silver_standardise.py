"""
### Silver: standardise, resolve residents, quarantine

Turns every bronze table into the national standard (WS 363 data elements, WS 364 value domains,
GB 11643 ID numbers, ICD-10) in `silver`, one task per table:

1. `residents`: the resident index. Valid ID numbers link records deterministically; splink links
   the rest probabilistically; writes `restricted.identity_crosswalk`, `restricted.resident_golden`
   (SCD 2), `restricted.linkage_review` and `silver.residents`.
2. `encounters`, then the tables that hang off them (`diagnoses`, `medications`), and
   `observations`, `chronic_followups`, `tcm_assessments`, `device_readings`.

Each reads only the bronze rows new since its last run, MERGEs on its business key (cancelled
source records leave silver), sends rows that break a rule to `quarantine.silver_rejects` with the
rule id, audits the batch with Great Expectations before publishing, and fails the run if bronze
rows do not reconcile with published + quarantined + cancelled + superseded rows.

Scheduled on the bronze Assets (any of them updated); produces one Asset per silver table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import reduce

from airflow.sdk import dag, get_current_context, task

from healthlake import dag_policy, tasks
from healthlake.assets import BRONZE_ALL, SILVER, SILVER_RESIDENTS


def _silver_task(job: str, outlet):
    @task(task_id=job, outlets=[outlet])
    def standardise() -> dict:
        return tasks.standardise(get_current_context(), job)

    return standardise()


@dag(
    schedule=reduce(lambda a, b: a | b, BRONZE_ALL),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,  # each job continues from the last one's progress
    tags=["silver", "quality", "mpi"],
    doc_md=__doc__,
    default_args=dag_policy.default_args("data-engineering", retries=1),
)
def silver_standardise():
    residents = _silver_task("residents", SILVER_RESIDENTS)
    encounters = _silver_task("encounters", SILVER["encounters"])
    residents >> encounters >> [_silver_task("diagnoses", SILVER["diagnoses"]),
                                _silver_task("medications", SILVER["medications"])]  # fmt: skip
    for job in ("observations", "chronic_followups", "tcm_assessments", "device_readings"):
        residents >> _silver_task(job, SILVER[job])


silver_standardise()
