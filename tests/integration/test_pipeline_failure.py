"""A data error inside an Airflow task fails the run with the job's own message, not a trace."""

import pytest

from healthlake import runlog
from healthlake.pipeline import PIPELINE, PipelineError, run_pipeline
from healthlake.quality import Check
from jobs.silver import exam_observations


def test_a_failing_quality_gate_fails_the_run_naming_table_check_and_count(settings, silver, monkeypatch):
    contracted = exam_observations.expectations
    too_strict = Check("ExpectColumnValuesToBeBetween", {"column": "value", "max_value": 100})
    monkeypatch.setattr(exam_observations, "expectations", lambda items: [*contracted(items), too_strict])

    with pytest.raises(PipelineError) as failure:
        run_pipeline(settings, "test_failing_run")

    message = str(failure.value)
    assert message.startswith(
        "DAG silver_exam_observations ended failed: silver.exam_observations: batch not published"
    )
    assert "ExpectColumnValuesToBeBetween(value) failed on" in message
    steps = runlog.read(settings, "test_failing_run")
    # Every upstream DAG's steps succeeded, in pipeline order; the silver step failed and nothing ran after it.
    ran = [(s.dag_id, s.status) for s in steps]
    upstream = PIPELINE[: PIPELINE.index("silver_exam_observations")]
    assert [dag for dag, _ in ran[:-1]] == sorted((dag for dag, _ in ran[:-1]), key=upstream.index)
    assert {dag for dag, _ in ran[:-1]} == set(upstream) and {status for _, status in ran[:-1]} == {"success"}
    assert ran[-1] == ("silver_exam_observations", "failed")
