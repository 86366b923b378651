"""A data error inside an Airflow task fails the run with the job's own message, not a trace."""

import pytest

from healthlake import runlog
from healthlake.pipeline import PIPELINE, PipelineError, run_pipeline
from healthlake.quality import Check
from healthlake.schemas import source_format
from jobs.silver import observations


def test_a_failing_quality_gate_fails_the_run_naming_table_check_and_count(settings, silver, monkeypatch):
    header = ",".join(c.header for c in source_format("exam_system").columns)
    row = "TJ888,2026-03-05,H1,王五,男,1949-12-31,01,11010519491231002X,13800000000,TJ011,收缩压,150,mmHg"
    (settings.landing_dir / "exam_system" / "exam_items_29990501.csv").write_bytes(f"{header}\n{row}\n".encode("gbk"))
    contracted = observations.expectations
    too_strict = Check("ExpectColumnValuesToBeBetween", {"column": "value", "max_value": 100})
    monkeypatch.setattr(observations, "expectations", lambda: [*contracted(), too_strict])

    with pytest.raises(PipelineError) as failure:
        run_pipeline(settings, "test_failing_run")

    message = str(failure.value)
    assert message.startswith("DAG silver_standardise ended failed: silver.observations: batch not published")
    assert "ExpectColumnValuesToBeBetween(value) failed on 1 rows" in message
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
