"""What every DAG's tasks share: owner, retries with exponential back-off, a timeout, and a failure
callback that records the failure in the run log and the audit log.

Retries are for what passes (a source server restarting, a busy disk); the pipeline's own data
errors raise AirflowFailException in `healthlake.tasks.launch`, are recorded there and never retried.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from healthlake.settings import get_settings


def default_args(owner: str, retries: int = 2, timeout: timedelta | None = None) -> dict:
    """`timeout`: the task's limit when it is not HEALTHLAKE_TASK_TIMEOUT_MINUTES."""
    settings = get_settings()
    return {
        "owner": owner,
        "retries": retries,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,  # 2, 4, 8 ... minutes, capped below
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": timeout or timedelta(minutes=settings.task_timeout_minutes),
        "on_failure_callback": record_failure,
    }


def record_failure(context: dict[str, Any]) -> None:
    """Record a task that failed for good (retries spent, timeout, crash) where operators look."""
    from airflow.sdk.exceptions import AirflowFailException

    from healthlake import audit, runlog
    from healthlake.tasks import identity

    exception = context.get("exception")
    if isinstance(exception, AirflowFailException):
        return  # a data error: tasks.launch recorded it with its counts
    settings = get_settings()
    pipeline_run, dag_id, task_id, run_id = identity(context)
    detail = f"{type(exception).__name__}: {exception}" if exception else "failed"
    step = runlog.StepRecord(pipeline_run, dag_id, task_id, run_id, task_id, "failed", 0.0, detail=detail[:2000])
    runlog.append(settings, step)
    event = audit.Event("pipeline_step", f"{dag_id}.{task_id}", run_id, outcome="failed", detail=detail[:2000])
    try:
        from healthlake.spark import get_spark

        audit.record(get_spark(settings), settings, event)
    except Exception as exc:  # the JVM itself may be what failed; the run log still has it
        print(f"{time.strftime('%H:%M:%S')} healthlake: could not write the audit event: {exc}")
