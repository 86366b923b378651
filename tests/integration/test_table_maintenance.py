"""The table_maintenance DAG, run through Airflow in-process: compaction changes no data, sizes are
recorded, and a task that fails for a reason other than data is recorded by the failure callback."""

from __future__ import annotations

import pytest

from healthlake import airflow_env, runlog
from healthlake.catalog import attach, discover
from healthlake.pipeline import PipelineError, load_dags, run_dag


@pytest.fixture(scope="module")
def maintenance_dag(settings):
    airflow_env.ensure_database(settings)
    return load_dags(settings)["table_maintenance"]


def test_maintenance_compacts_every_table_without_changing_its_rows(spark, settings, silver, maintenance_dag):
    attach(spark, settings)  # tables other processes made since this session started (audit.events)
    tables = [f"{layer}.{t}" for layer, names in discover(settings).items() for t in names]
    data = [name for name in tables if not name.startswith(("audit.", "quality."))]  # these grow as it runs
    before = {name: spark.table(name).count() for name in data}
    files_before = {name: spark.sql(f"DESCRIBE DETAIL {name}").first()["numFiles"] for name in tables}

    run_dag(settings, maintenance_dag, {"pipeline_run": "test_maintenance"})

    assert {name: spark.table(name).count() for name in data} == before
    stats = {r.table_name: r for r in spark.sql("SELECT * FROM quality.table_stats").collect()}
    assert set(tables) <= set(stats)
    assert all(stats[name].files <= files_before[name] for name in data)
    many_files = max(data, key=files_before.get)
    assert stats[many_files].files_compacted == files_before[many_files] > stats[many_files].files
    operations = [r.operation for r in spark.sql(f"DESCRIBE HISTORY {many_files}").collect()]
    assert operations[0] == "OPTIMIZE"  # VACUUM had nothing older than a week to delete: no commit
    steps = runlog.read(settings, "test_maintenance")
    assert {s.status for s in steps} == {"success"} and len(steps) == 7


def test_a_task_failing_outside_the_data_is_recorded_by_the_callback(spark, settings, maintenance_dag, monkeypatch):
    monkeypatch.setenv("HEALTHLAKE_VACUUM_RETAIN_HOURS", "24")
    for task in maintenance_dag.tasks:
        monkeypatch.setattr(task, "retries", 0)  # the first failure is final: no back-off to wait out

    with pytest.raises(PipelineError) as failure:
        run_dag(settings, maintenance_dag, {"pipeline_run": "test_maintenance_fails"})

    assert "SettingsError: HEALTHLAKE_VACUUM_RETAIN_HOURS=24 is below 168 (7 days)" in str(failure.value)
    steps = runlog.read(settings, "test_maintenance_fails")
    assert {s.status for s in steps} == {"failed"} and len(steps) == 7
    failed = spark.sql(
        "SELECT target FROM audit.events WHERE outcome = 'failed' AND target LIKE 'table_maintenance.maintain_%'"
    ).collect()
    assert len(failed) == 7
