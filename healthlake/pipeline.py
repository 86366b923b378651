"""`healthlake run`: the pipeline's DAGs, run in dependency order in-process with `dag.test()`.

In-process runs share one Spark session across tasks (one JVM start for the whole pipeline) and
record real DAG runs and task instances in Airflow's database, so they show in the UI.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from healthlake import airflow_env, runlog
from healthlake.settings import Settings

# Upstream first: a DAG scheduled on Assets comes after the DAGs that produce them.
PIPELINE = (
    "exam_system_ingest",
    "home_bp_devices_ingest",
    "public_health_ingest",
    "his_ingest",
    "silver_exam_observations",
    "gold_marts",
)


class PipelineError(RuntimeError):
    """A DAG run did not succeed."""


@dataclass(frozen=True)
class DagOutcome:
    dag_id: str
    run_id: str
    state: str
    seconds: float


def load_dags(settings: Settings) -> dict:
    airflow_env.activate(settings)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(settings.dags_dir))
    if bag.import_errors:
        errors = "\n".join(f"{path}: {err.strip().splitlines()[-1]}" for path, err in bag.import_errors.items())
        raise PipelineError(f"DAG files failed to import:\n{errors}")
    return bag.dags


def new_pipeline_run() -> str:
    return f"pipeline__{datetime.now(UTC):%Y%m%dT%H%M%S}"


def run_pipeline(
    settings: Settings, pipeline_run: str, on_dag_start: Callable[[str], None] = lambda dag_id: None
) -> list[DagOutcome]:
    airflow_env.ensure_database(settings)
    dags = load_dags(settings)
    outcomes = []
    for dag_id in PIPELINE:
        on_dag_start(dag_id)
        started = time.monotonic()
        dag_run = dags[dag_id].test(run_conf={"pipeline_run": pipeline_run})
        outcome = DagOutcome(dag_id, dag_run.run_id, str(dag_run.state), time.monotonic() - started)
        outcomes.append(outcome)
        if outcome.state != "success":
            failures = [r for r in runlog.read(settings, pipeline_run) if r.status == "failed"]
            reason = failures[-1].detail if failures else f"see the task log under {settings.logs_dir / 'airflow'}"
            raise PipelineError(f"DAG {dag_id} ended {outcome.state}: {reason}")
    return outcomes
