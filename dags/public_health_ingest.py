"""
### Public-health system ingest (基本公共卫生)

Takes the community public-health system's daily JSON-lines exports of hypertension and type 2
diabetes follow-up forms (national basic public health service specification, 3rd edition) from
`$HEALTHLAKE_HOME/landing/public_health/` into `bronze.public_health__chronic_followups`, values
as delivered (codes or the printed text some centres send). Unparseable lines go to
`quarantine.bronze_rejects` with file, line and reason; files already ingested are skipped.

Produces the Asset `bronze.public_health__chronic_followups`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, get_current_context, task

from healthlake import tasks
from healthlake.assets import BRONZE_CHRONIC_FOLLOWUPS


@dag(
    schedule="@daily",
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["bronze", "public_health"],
    doc_md=__doc__,
    default_args={"owner": "data-engineering", "retries": 2, "retry_delay": timedelta(minutes=5)},
)
def public_health_ingest():
    @task(outlets=[BRONZE_CHRONIC_FOLLOWUPS])
    def ingest_chronic_followups() -> dict:
        return tasks.ingest_files(get_current_context(), "public_health_followups")

    ingest_chronic_followups()


public_health_ingest()
