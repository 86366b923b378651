"""Every DAG imports, follows the house rules, and the pipeline order agrees with the Assets."""

from pathlib import Path

import pytest

from healthlake.pipeline import PIPELINE, load_dags


@pytest.fixture(scope="module")
def dags(settings):
    return load_dags(settings)


DAG_FILES = sorted(p.stem for p in (Path(__file__).parents[2] / "dags").glob("*.py"))


def test_every_dag_file_defines_the_dag_named_after_it(dags):
    assert sorted(dags) == DAG_FILES
    assert sorted(PIPELINE) == DAG_FILES


@pytest.mark.parametrize("dag_id", DAG_FILES)
def test_house_rules(dags, dag_id):
    dag = dags[dag_id]
    assert dag.tags, "tags"
    assert dag.doc_md and dag.doc_md.strip(), "doc_md"
    assert not dag.catchup
    assert dag.start_date.tzinfo is not None and dag.start_date.utcoffset().total_seconds() == 0
    for task in dag.tasks:
        assert task.owner not in (None, "", "airflow"), f"{task.task_id} owner"
        assert task.retries >= 1, f"{task.task_id} retries"


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
