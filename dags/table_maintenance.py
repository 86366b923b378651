"""
### Table maintenance

Nightly housekeeping of every Delta table, one task per schema: `OPTIMIZE` compacts the small files
daily loads and MERGEs leave behind, `VACUUM` deletes files no version within the retention needs
(`HEALTHLAKE_VACUUM_RETAIN_HOURS`, 168 hours by default and never less), and each table's version,
file count and size go to `quality.table_stats`.

Runs at 03:00 Beijing time, when no load is expected; compaction changes no data (readers and the
jobs' incremental reads see the same rows), so it may also run beside the pipeline.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import dag, get_current_context, task

from healthlake import dag_policy, tasks
from healthlake.settings import LAYERS


@dag(
    schedule="0 19 * * *",  # 19:00 UTC is 03:00 in Asia/Shanghai
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["maintenance", "delta"],
    doc_md=__doc__,
    default_args=dag_policy.default_args("data-engineering", retries=1),
)
def table_maintenance():
    @task
    def maintain(layer: str) -> dict:
        return tasks.maintain(get_current_context(), layer)

    for layer in LAYERS:
        maintain.override(task_id=f"maintain_{layer}")(layer)


table_maintenance()
