"""
### Public-health system ingest (基本公共卫生)

Takes the community public-health system's daily JSON-lines exports of hypertension and type 2
diabetes follow-up forms and TCM constitution assessments of the elderly (national basic public
health service specification, 3rd edition) from `$HEALTHLAKE_HOME/landing/public_health/` into
`bronze.public_health__chronic_followups` and `bronze.public_health__tcm_assessments`, values as
delivered (codes or the printed text some centres send; the 33 answers as a JSON array). Unparseable lines go to
`quarantine.bronze_rejects` with file, line and reason; files already ingested are skipped.

Produces the Assets `bronze.public_health__chronic_followups` and `bronze.public_health__tcm_assessments`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import dag, get_current_context, task

from healthlake import dag_policy, tasks
from healthlake.assets import BRONZE_CHRONIC_FOLLOWUPS, BRONZE_TCM_ASSESSMENTS


@dag(
    schedule="@daily",
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["bronze", "public_health"],
    doc_md=__doc__,
    default_args=dag_policy.default_args("data-engineering", retries=2),
)
def public_health_ingest():
    @task(outlets=[BRONZE_CHRONIC_FOLLOWUPS])
    def ingest_chronic_followups() -> dict:
        return tasks.ingest_files(get_current_context(), "public_health_followups")

    @task(outlets=[BRONZE_TCM_ASSESSMENTS])
    def ingest_tcm_assessments() -> dict:
        return tasks.ingest_files(get_current_context(), "public_health_tcm")

    ingest_chronic_followups()
    ingest_tcm_assessments()


public_health_ingest()
