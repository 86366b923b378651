"""`healthlake run`: the pipeline's DAGs, run in dependency order in-process with `dag.test()`.

In-process runs share one Spark session across tasks (one JVM start for the whole pipeline) and
record real DAG runs and task instances in Airflow's database, so they show in the UI.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from healthlake import airflow_env, runlog
from healthlake.settings import Settings

# Upstream first: a DAG scheduled on Assets comes after the DAGs that produce them.
PIPELINE = (
    "exam_system_ingest",
    "home_bp_devices_ingest",
    "public_health_ingest",
    "his_ingest",
    "silver_standardise",
    "gold_marts",
)


# DAGs beside the pipeline: `healthlake run` leaves them to their own schedule.
HOUSEKEEPING = ("table_maintenance",)


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


FILE_INGEST_DAGS = ("exam_system_ingest", "home_bp_devices_ingest", "public_health_ingest")


def run_dag(settings: Settings, dag, conf: dict) -> DagOutcome:
    """One DAG run in-process; raises PipelineError naming the failed step if it does not succeed."""
    dag_id = dag.dag_id
    started = time.monotonic()
    dag_run = dag.test(run_conf=conf)
    outcome = DagOutcome(dag_id, dag_run.run_id, str(dag_run.state), time.monotonic() - started)
    if outcome.state != "success":
        failures = [r for r in runlog.read(settings, conf["pipeline_run"]) if r.status == "failed"]
        reason = failures[-1].detail if failures else f"see the task log under {settings.logs_dir / 'airflow'}"
        raise PipelineError(f"DAG {dag_id} ended {outcome.state}: {reason}")
    return outcome


def run_pipeline(
    settings: Settings,
    pipeline_run: str,
    on_dag_start: Callable[[str], None] = lambda dag_id: None,
    on_dag_end: Callable[[DagOutcome], None] = lambda outcome: None,
) -> list[DagOutcome]:
    airflow_env.ensure_database(settings)
    dags = load_dags(settings)
    outcomes = []
    for dag_id in PIPELINE:
        on_dag_start(dag_id)
        outcomes.append(run_dag(settings, dags[dag_id], {"pipeline_run": pipeline_run}))
        on_dag_end(outcomes[-1])
    return outcomes


def backfill(settings: Settings, dag_id: str, dated_from: date, dated_to: date, pipeline_run: str) -> DagOutcome:
    """Run a file-ingest DAG once over the files dated in the range; files already in bronze are skipped."""
    airflow_env.ensure_database(settings)
    conf = {"pipeline_run": pipeline_run, "from": dated_from.isoformat(), "to": dated_to.isoformat()}
    return run_dag(settings, load_dags(settings)[dag_id], conf)
