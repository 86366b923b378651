"""
### Exam system ingest (体检)

Takes the physical-examination system's daily GBK CSV exports from the landing zone
(`$HEALTHLAKE_HOME/landing/exam_system/`) into `bronze.exam_system__exam_items`, values as
delivered plus lineage. Unparseable lines go to `quarantine.bronze_rejects` with file, line and
reason. Re-running adds nothing: files already ingested are recognised by their SHA-256.

Produces the Asset `bronze.exam_system__exam_items`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import dag, get_current_context, task

from healthlake import dag_policy, tasks
from healthlake.assets import BRONZE_EXAM_ITEMS


@dag(
    schedule="@daily",
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["bronze", "exam_system"],
    doc_md=__doc__,
    default_args=dag_policy.default_args("data-engineering", retries=2),
)
def exam_system_ingest():
    @task(outlets=[BRONZE_EXAM_ITEMS])
    def ingest_exam_items() -> dict:
        return tasks.ingest_files(get_current_context(), "exam_system")

    ingest_exam_items()


exam_system_ingest()
