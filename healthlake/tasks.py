"""What Airflow tasks call: launch one job or dbt, record the step in the run log, and turn the
pipeline's own data errors into a clear task failure (no retry: retrying cannot fix bad data)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from healthlake import audit
from healthlake import spark as spark_factory
from healthlake.dbt import DbtError
from healthlake.lineage import JobResult, ReconciliationError
from healthlake.quality import QualityGateError
from healthlake.runlog import StepRecord, Stopwatch, append
from healthlake.settings import Settings, get_settings

DATA_ERRORS: tuple[type[Exception], ...] = (QualityGateError, ReconciliationError, DbtError)


def identity(context: dict[str, Any]) -> tuple[str, str, str, str]:
    dag_run = context["dag_run"]
    conf = dag_run.conf or {}
    return (
        conf.get("pipeline_run", dag_run.run_id),
        dag_run.dag_id,
        context["task_instance"].task_id,
        dag_run.run_id,
    )


def launch(context: dict[str, Any], job: str, body: Callable[[Settings, Any, str], JobResult]) -> dict:
    """Run `body(settings, spark, run_id)` and log the step; returns the counts for XCom."""
    from airflow.sdk.exceptions import AirflowFailException

    settings = get_settings()
    pipeline_run, dag_id, task_id, run_id = identity(context)
    base = {
        "pipeline_run": pipeline_run,
        "dag_id": dag_id,
        "task_id": task_id,
        "airflow_run_id": run_id,
        "job": job,
    }
    with Stopwatch() as watch:
        try:
            spark = spark_factory.get_spark(settings, app_name=f"healthlake-{dag_id}")
            spark_seconds = spark_factory.last_start_seconds
            spark_factory.last_start_seconds = None  # reported once, by the step that paid for it
            with spark_factory.releasing_caches(spark):
                result = body(settings, spark, run_id)
        except DATA_ERRORS as exc:
            elapsed = round(time.monotonic() - watch.started, 2)
            append(settings, StepRecord(**base, status="failed", seconds=elapsed, detail=str(exc)))
            audit.record(spark, settings, audit.Event("pipeline_step", job, run_id, outcome="failed", detail=str(exc)))
            raise AirflowFailException(str(exc)) from exc
    append(
        settings,
        StepRecord(
            **base,
            status="success",
            seconds=round(watch.seconds, 2),
            rows_in=result.rows_in,
            rows_written=result.rows_written,
            rows_rejected=result.rows_rejected,
            detail=result.detail,
            spark_start_seconds=round(spark_seconds, 2) if spark_seconds else None,
        ),
    )
    audit.record(
        spark,
        settings,
        audit.Event("pipeline_step", job, run_id, result.rows_in, result.rows_written, detail=result.detail),
    )
    return {
        "rows_in": result.rows_in,
        "rows_written": result.rows_written,
        "rows_rejected": result.rows_rejected,
    }


def backfill_range(context: dict[str, Any]) -> tuple[date | None, date | None]:
    """The delivery dates a run is limited to: `healthlake backfill`'s conf, or an Airflow backfill
    run's data interval. A scheduled run takes every new file, whatever its date."""
    dag_run = context["dag_run"]
    conf = dag_run.conf or {}
    if conf.get("from") or conf.get("to"):
        return (
            date.fromisoformat(conf["from"]) if conf.get("from") else None,
            date.fromisoformat(conf["to"]) if conf.get("to") else None,
        )
    if str(getattr(dag_run, "run_type", "")).endswith("backfill"):
        start, end = context["data_interval_start"], context["data_interval_end"]
        return start.date(), (end - timedelta(microseconds=1)).date()
    return None, None


def ingest_files(context: dict[str, Any], feed: str) -> dict:
    from jobs.bronze import ingest_files as job

    dated_from, dated_to = backfill_range(context)
    return launch(
        context,
        f"bronze ingest {feed}",
        lambda s, spark, run_id: job.run(spark, s, feed, run_id, dated_from, dated_to),
    )


def extract_database(context: dict[str, Any], source: str, table: str) -> dict:
    from jobs.bronze import extract_database as job

    return launch(
        context,
        f"bronze extract {source}.{table}",
        lambda s, spark, run_id: job.run(spark, s, table, run_id, source_name=source),
    )


def standardise(context: dict[str, Any], job: str) -> dict:
    """One silver job: `residents` (the resident index) or an entity table of jobs/silver/standardise.py."""
    from jobs.silver import standardise as silver

    return launch(context, f"silver.{job}", lambda s, spark, run_id: silver.run(spark, s, run_id, job))


def dbt_build(
    context: dict[str, Any], select: str | None = None, exclude: str | None = None, command: str = "build"
) -> dict:
    """dbt build (or test); every data test's outcome goes to quality.dq_results, a failing one fails the task."""
    from jobs.gold import dbt_build as job

    return launch(
        context,
        f"dbt {command}{' ' + select if select else ''}",
        lambda s, spark, run_id: job.run(spark, s, run_id, select=select, exclude=exclude, command=command),
    )


def gold_contract_checks(context: dict[str, Any], last: bool = False) -> dict:
    from jobs.gold import contract_checks

    job = "gold contract checks" + (" (scorecard)" if last else "")
    return launch(context, job, lambda s, spark, run_id: contract_checks.run(spark, s, run_id, last))


def maintain(context: dict[str, Any], layer: str) -> dict:
    from jobs.maintenance import tables

    return launch(context, f"maintain {layer}", lambda s, spark, run_id: tables.run(spark, s, run_id, layer))
