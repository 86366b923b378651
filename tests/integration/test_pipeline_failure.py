"""A data error inside an Airflow task fails the run with the job's own message, not a trace."""

import shutil

import pytest
import yaml

from healthlake import runlog
from healthlake.pipeline import PIPELINE, PipelineError, run_pipeline
from healthlake.schemas import source_format


def test_a_failing_quality_gate_fails_the_run_naming_table_check_and_count(
    spark, settings, silver, monkeypatch, tmp_path
):
    header = ",".join(c.header for c in source_format("exam_system").columns)
    row = "TJ888,2026-03-05,H1,王五,男,1949-12-31,01,11010519491231002X,13800000000,TJ011,收缩压,999,mmHg"
    (settings.landing_dir / "exam_system" / "exam_items_29990501.csv").write_bytes(f"{header}\n{row}\n".encode("gbk"))
    # The data owner makes systolic plausibility an error in the contract the tasks read.
    contracts_dir = tmp_path / "data_contracts"
    shutil.copytree(settings.contracts_dir, contracts_dir)
    path = contracts_dir / "silver" / "observations.odcs.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for rule in document["schema"][0]["quality"]:
        if rule["id"] == "sbp_mmhg_plausible":
            rule["severity"] = "error"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("HEALTHLAKE_CONTRACTS_DIR", str(contracts_dir))

    with pytest.raises(PipelineError) as failure:
        run_pipeline(settings, "test_failing_run")

    message = str(failure.value)
    assert message.startswith("DAG silver_standardise ended failed: silver.observations: batch not published")
    assert message.endswith("error-severity checks failed: sbp_mmhg_plausible failed on 1 rows")
    steps = runlog.read(settings, "test_failing_run")
    # Every upstream DAG's steps succeeded, in pipeline order; the observations step failed, and
    # no DAG after silver ran.
    ran = [(s.dag_id, s.task_id, s.status) for s in steps]
    upstream = PIPELINE[: PIPELINE.index("silver_standardise")]
    before = [dag for dag, _, _ in ran if dag != "silver_standardise"]
    assert before == sorted(before, key=upstream.index) and set(before) == set(upstream)
    assert {status for dag, _, status in ran if dag in upstream} == {"success"}
    assert ("silver_standardise", "observations", "failed") in ran
    assert all(dag in PIPELINE[: PIPELINE.index("silver_standardise") + 1] for dag, _, _ in ran)
    # The audit log has every step with its outcome, the failed one with its message.
    audited = spark.sql("SELECT * FROM audit.events WHERE action = 'pipeline_step'").collect()
    events = {(r.target, r.outcome): r.detail for r in audited}
    assert events[("silver.observations", "failed")] == message.removeprefix("DAG silver_standardise ended failed: ")
    assert ("bronze ingest exam_system", "success") in events
