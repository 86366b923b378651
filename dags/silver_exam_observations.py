"""
### Silver: exam observations

Standardises `bronze.exam_system__exam_items` to WS 363 data elements with pseudonymous keys,
quarantines rows that break a rule (`quarantine.silver_rejects`, with the rule id), checks the
batch with a Great Expectations checkpoint before publishing (write, audit, publish) and merges it
into `silver.exam_observations`. Fails if bronze rows do not reconcile with published +
quarantined + superseded rows.

Scheduled on the Asset `bronze.exam_system__exam_items`; produces `silver.exam_observations`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, get_current_context, task

from healthlake import tasks
from healthlake.assets import BRONZE_EXAM_ITEMS, SILVER_EXAM_OBSERVATIONS


@dag(
    schedule=[BRONZE_EXAM_ITEMS],
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["silver", "exam_system", "quality"],
    doc_md=__doc__,
    default_args={"owner": "data-engineering", "retries": 1, "retry_delay": timedelta(minutes=5)},
)
def silver_exam_observations():
    @task(outlets=[SILVER_EXAM_OBSERVATIONS])
    def standardise_and_publish() -> dict:
        return tasks.standardise_exam_observations(get_current_context())

    standardise_and_publish()


silver_exam_observations()
