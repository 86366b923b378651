"""dbt build over the shared catalog, with every data test's outcome recorded in quality.dq_results
(a failing test still fails the job, after it is recorded)."""

from __future__ import annotations

from pyspark.sql import SparkSession

from healthlake import dbt
from healthlake.lineage import JobResult
from healthlake.quality import record_all
from healthlake.settings import Settings


def _record_tests(spark: SparkSession, settings: Settings, run_id: str, outcome: dbt.DbtOutcome | None) -> None:
    results = outcome.test_results if outcome else []
    record_all(spark, settings, [(result, result.table.split(".")[0], "healthlake") for result in results], run_id)


def run(
    spark: SparkSession,
    settings: Settings,
    run_id: str,
    select: str | None = None,
    exclude: str | None = None,
    command: str = "build",
) -> JobResult:
    try:
        outcome = dbt.build(settings, select=select, exclude=exclude, command=command)
    except dbt.DbtError as failed:
        _record_tests(spark, settings, run_id, failed.outcome)
        raise
    _record_tests(spark, settings, run_id, outcome)
    return JobResult(
        job=f"dbt {command}{' --select ' + select if select else ''}",
        rows_in=0,
        rows_written=0,
        rows_rejected=0,
        detail=f"{outcome.models} models, {outcome.tests} data tests passed",
    )


def run_gold(spark: SparkSession, settings: Settings, run_id: str) -> list[JobResult]:
    """What the gold_marts DAG does, in one go: the marts, their contract checks, the scorecard."""
    from jobs.gold import contract_checks

    return [
        run(spark, settings, run_id, exclude=contract_checks.LAST[0]),
        contract_checks.run(spark, settings, run_id),
        run(spark, settings, run_id, select=contract_checks.LAST[0]),
        contract_checks.run(spark, settings, run_id, last=True),
    ]
