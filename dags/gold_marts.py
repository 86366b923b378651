"""
### Gold marts (dbt)

Builds the dbt project in `dbt/` (staging views, then the `gold` marts) and runs its data tests
and unit tests, in-process on the shared Spark session and catalog; then checks every mart against
its contract in `data_contracts/gold/` (Great Expectations), and builds `gold.dq_scorecard` from
every check's outcome in `quality.dq_results` (dbt tests included).

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
    @task(outlets=[asset for name, asset in GOLD.items() if name != "dq_scorecard"])
    def dbt_build() -> dict:
        return tasks.dbt_build(get_current_context(), exclude="dq_scorecard")

    @task
    def contract_checks() -> dict:
        return tasks.gold_contract_checks(get_current_context())

    @task(outlets=[GOLD["dq_scorecard"]])
    def dq_scorecard() -> dict:
        return tasks.dbt_build(get_current_context(), select="dq_scorecard")

    @task
    def scorecard_contract_check() -> dict:
        return tasks.gold_contract_checks(get_current_context(), last=True)

    dbt_build() >> contract_checks() >> dq_scorecard() >> scorecard_contract_check()


gold_marts()
