"""
### Gold marts (dbt)

Builds the dbt project in `dbt/` in-process on the shared Spark session and catalog, one task per
mart so each shows (and can be retried) on its own:

1. `dbt_staging`: the seeds, the staging and intermediate views and their tests.
2. One task per mart (`resident_health_profile`, `chronic_disease_management`, ...): the table; a
   mart that selects from other marts waits for them. (The models' unit tests check code, not data:
   they run in the test suite, or `healthlake dbt test --select test_type:unit`.)
3. `dbt_data_tests`: the marts' data tests once all marts are built: what needs a query across
   models (relationships between marts, not before birth, sex-specific diagnoses), each outcome
   recorded in `quality.dq_results`.
4. `contract_checks`: every mart against its contract in `data_contracts/gold/` (Great Expectations:
   keys, required columns, value sets, ranges); then `dq_scorecard` from every check's outcome, and
   that mart's own check.

Scheduled on the silver Assets (any of them updated); each mart task produces its mart's Asset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import reduce

from airflow.sdk import dag, get_current_context, task

from healthlake import dag_policy, dbt_graph, tasks
from healthlake.assets import GOLD, SILVER, SILVER_RESIDENTS

SCORECARD = "dq_scorecard"  # built last, from the outcomes of every other check


@dag(
    schedule=reduce(lambda a, b: a | b, SILVER.values(), SILVER_RESIDENTS),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["gold", "dbt"],
    doc_md=__doc__,
    default_args=dag_policy.default_args("analytics-engineering", retries=1),
)
def gold_marts():
    @task
    def dbt_staging() -> dict:
        return tasks.dbt_build(get_current_context(), select=dbt_graph.STAGING)

    @task
    def build_mart(mart: str) -> dict:
        # Data tests wait for dbt_data_tests: a relationship test needs the mart it points to built too.
        return tasks.dbt_build(get_current_context(), select=mart, exclude="test_type:data")

    @task
    def dbt_data_tests() -> dict:
        return tasks.dbt_build(get_current_context(), select="marts,test_type:data", exclude=SCORECARD, command="test")

    @task
    def contract_checks() -> dict:
        return tasks.gold_contract_checks(get_current_context())

    @task(outlets=[GOLD[SCORECARD]])
    def dq_scorecard() -> dict:
        return tasks.dbt_build(get_current_context(), select=SCORECARD)

    @task
    def scorecard_contract_check() -> dict:
        return tasks.gold_contract_checks(get_current_context(), last=True)

    staging, data_tests = dbt_staging(), dbt_data_tests()
    marts = {name: upstream for name, upstream in dbt_graph.marts().items() if name != SCORECARD}
    built = {name: build_mart.override(task_id=name, outlets=[GOLD[name]])(name) for name in marts}
    for name, upstream in marts.items():
        staging >> built[name] >> data_tests
        for other in upstream:
            built[other] >> built[name]
    data_tests >> contract_checks() >> dq_scorecard() >> scorecard_contract_check()


gold_marts()
