"""The same jobs on a Spark standalone master and worker on loopback, started by the project's
script: only HEALTHLAKE_SPARK_MASTER differs from the embedded run."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from helpers import destroy_his, free_port, healthlake

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).parents[2] / "scripts" / "spark-standalone.sh"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    home = tmp_path_factory.mktemp("cluster")
    ports = {
        "SPARK_MASTER_PORT": str(free_port()),
        "SPARK_MASTER_WEBUI_PORT": str(free_port()),
        "SPARK_WORKER_WEBUI_PORT": str(free_port()),
    }
    env = {**os.environ, "HEALTHLAKE_HOME": str(home), "SPARK_WORKER_CORES": "1", "SPARK_WORKER_MEMORY": "1g", **ports}
    started = subprocess.run(["bash", str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stderr
    try:
        yield home, f"spark://127.0.0.1:{ports['SPARK_MASTER_PORT']}"
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, timeout=60)
        destroy_his(home)


def test_jobs_run_on_the_standalone_cluster(cluster):
    home, master = cluster
    assert healthlake(home, "generate", "--residents", "150", "--end", "2026-01-10").returncode == 0
    on_cluster = {
        "HEALTHLAKE_SPARK_MASTER": master,
        "HEALTHLAKE_SPARK_EXECUTOR_MEMORY": "512m",
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    done = healthlake(home, "job", "bronze-ingest", "silver", "--feed", "exam_system", timeout=900, **on_cluster)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    bronze_line = lines[0]
    residents_line = next(line for line in lines if line.startswith("silver.residents:"))
    silver_line = next(line for line in lines if line.startswith("silver.observations:"))
    assert all(f"spark master {master}" in line for line in lines)
    assert "id_number" in residents_line  # the resident index (splink included) ran on the cluster
    # Executors ran in the worker, which made a directory for the application.
    assert len(list((home / "spark-standalone" / "work").glob("app-*"))) == 1
    # Every delivered line is in bronze or its rejects, and every bronze row in silver or quarantine.
    truth = json.loads((home / "ground_truth" / "source_files.json").read_text())["exam_system"]
    bronze_in, bronze_published = (
        int(n.replace(",", "")) for n in re.findall(r"([\d,]+) (?:rows in|published)", bronze_line)
    )
    assert bronze_in == sum(truth.values())
    silver_in, silver_published, quarantined = (
        int(n.replace(",", "")) for n in re.findall(r"([\d,]+) (?:rows in|published|quarantined)", silver_line)
    )
    assert silver_in == bronze_published and silver_published + quarantined == silver_in and silver_published > 0
