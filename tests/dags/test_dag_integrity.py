"""Every DAG imports, follows the house rules, and the pipeline order agrees with the Assets."""

from pathlib import Path

import pytest

from healthlake import dag_policy, dbt_graph
from healthlake.assets import GOLD
from healthlake.pipeline import HOUSEKEEPING, PIPELINE, load_dags
from healthlake.settings import LAYERS


@pytest.fixture(scope="module")
def dags(settings):
    return load_dags(settings)


DAG_FILES = sorted(p.stem for p in (Path(__file__).parents[2] / "dags").glob("*.py"))


def test_every_dag_file_defines_the_dag_named_after_it(dags):
    assert sorted(dags) == DAG_FILES
    assert sorted(PIPELINE + HOUSEKEEPING) == DAG_FILES


@pytest.mark.parametrize("dag_id", DAG_FILES)
def test_house_rules(dags, dag_id):
    dag = dags[dag_id]
    assert dag.tags, "tags"
    assert dag.doc_md and dag.doc_md.strip(), "doc_md"
    assert not dag.catchup
    assert dag.start_date.tzinfo is not None and dag.start_date.utcoffset().total_seconds() == 0
    for task in dag.tasks:
        assert task.owner not in (None, "", "airflow"), f"{task.task_id} owner"
        assert task.retries >= 1 and task.retry_exponential_backoff, f"{task.task_id} retries with back-off"
        assert task.execution_timeout is not None, f"{task.task_id} timeout"
        assert dag_policy.record_failure in task.on_failure_callback, f"{task.task_id} failure callback"


def _outlets(dag):
    return {asset.name for task in dag.tasks for asset in task.outlets}


def _asset_names(condition) -> set[str]:
    """Names in an Asset schedule, through any all/any combinations."""
    if hasattr(condition, "objects"):
        return set().union(*(_asset_names(c) for c in condition.objects))
    return {condition.name}


def _inlets(dag):
    condition = dag.timetable.asset_condition
    return _asset_names(condition) if condition is not None else set()


def test_pipeline_order_follows_the_assets(dags):
    produced: set[str] = set()
    for dag_id in PIPELINE:
        dag = dags[dag_id]
        assert _inlets(dag) <= produced, f"{dag_id} runs before what it consumes is produced"
        produced |= _outlets(dag)


@pytest.mark.parametrize("dag_id", [d for d in DAG_FILES if d.endswith("_ingest")])
def test_ingest_dags_run_on_a_clock_and_publish_their_bronze_table(dags, dag_id):
    dag = dags[dag_id]
    assert dag.timetable.asset_condition is None
    assert {name.split(".")[0] for name in _outlets(dag)} == {"bronze"}


def test_every_mart_is_a_task_of_its_own_after_the_marts_it_reads(dags):
    dag = dags["gold_marts"]
    for mart, upstream in dbt_graph.marts().items():
        task = dag.get_task(mart if mart != "dq_scorecard" else "dq_scorecard")
        assert [a.name for a in task.outlets] == [GOLD[mart].name]
        assert upstream <= task.upstream_task_ids
    assert dbt_graph.marts()["resident_health_profile"] >= {"chronic_disease_management", "followup_tasks"}
    assert dag.get_task("dbt_data_tests").upstream_task_ids == set(dbt_graph.marts()) - {"dq_scorecard"}


def test_maintenance_covers_every_schema(dags):
    assert {t.task_id for t in dags["table_maintenance"].tasks} == {f"maintain_{layer}" for layer in LAYERS}
