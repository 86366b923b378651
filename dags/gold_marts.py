"""
### Gold marts (dbt)

Builds the dbt project in `dbt/` (staging views, then the `gold` marts) and runs its data tests
and unit tests, in-process on the shared Spark session and catalog.

Scheduled on the silver Assets (any of them updated); produces every `gold` mart: the resident
health profile, chronic-disease management and indicators, home BP alerts, follow-up tasks,
district statistics, encounters and diagnoses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import reduce

from airflow.sdk import dag, get_current_context, task

from healthlake import tasks
from healthlake.assets import GOLD, SILVER, SILVER_RESIDENTS


@dag(
    schedule=reduce(lambda a, b: a | b, SILVER.values(), SILVER_RESIDENTS),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["gold", "dbt"],
    doc_md=__doc__,
    default_args={"owner": "analytics-engineering", "retries": 1, "retry_delay": timedelta(minutes=5)},
)
def gold_marts():
    @task(outlets=list(GOLD.values()))
    def dbt_build() -> dict:
        return tasks.dbt_build(get_current_context())

    dbt_build()


gold_marts()
