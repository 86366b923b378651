"""
### HIS ingest (门诊 / 住院)

Extracts the hospital information system's outpatient and inpatient tables (patients, outpatient
visits, admissions with the front page of the inpatient record, diagnoses, prescriptions) from its
PostgreSQL database over JDBC, incrementally: each run reads the rows whose `updated_at` moved past
the last extract's watermark (with a short overlap for late commits) and appends the row versions
bronze does not hold yet to `bronze.his__<table>`. Updates and cancellations after a first extract
arrive as new row versions; a re-run with nothing changed writes nothing. The watermarks are in
`bronze.his__extracts`. The interface the HIS must meet is `schemas/databases/his.yaml`.

Hourly, one task per table; each produces the Asset `bronze.his__<table>`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, get_current_context, task

from healthlake import dag_policy, tasks
from healthlake.assets import BRONZE_HIS
from healthlake.schemas import database_source


@dag(
    schedule="@hourly",
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,  # watermarks advance in order
    tags=["bronze", "his"],
    doc_md=__doc__,
    default_args=dag_policy.default_args("data-engineering", retries=3, timeout=timedelta(minutes=30)),
)
def his_ingest():
    @task
    def extract(table: str) -> dict:
        return tasks.extract_database(get_current_context(), "his", table)

    for table in database_source("his").tables:
        extract.override(task_id=f"extract_{table}", outlets=[BRONZE_HIS[table]])(table)


his_ingest()
