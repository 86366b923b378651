"""The pipeline end to end as `make demo` runs it (generate, then `healthlake run` through the
Airflow DAGs), the SQL command on its output, and the Airflow UI's API listing the DAG runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request

import pytest
from helpers import HEALTHLAKE, destroy_his, free_port, healthlake

from healthlake.pipeline import PIPELINE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo")
    # 10,000 residents over three weeks: every source at the scale, yet a short run.
    generated = healthlake(home, "generate", "--residents", "10000", "--start", "2026-01-01", "--end", "2026-01-20")
    assert generated.returncode == 0, generated.stderr
    try:
        run = healthlake(home, "run", timeout=900)
        assert run.returncode == 0, run.stdout + run.stderr
        yield home, run.stdout
    finally:
        destroy_his(home)


def test_run_prints_the_summary(demo_home):
    _, out = demo_home
    for expected in ("bronze.exam_system__exam_items", "bronze.home_bp_devices__readings",
                     "bronze.public_health__chronic_followups",
                     "silver.residents", "silver.observations", "silver.diagnoses", "gold.resident_health_profile",
                     "Quarantined rows", "Spark session start", "Pipeline wall time", "healthlake ui"):  # fmt: skip
        assert expected in out


def test_every_source_record_is_in_bronze_or_rejects_per_file_and_table(demo_home):
    home, _ = demo_home
    truth = json.loads((home / "ground_truth" / "source_files.json").read_text())
    feeds = {
        "exam_system": ("exam_system", "exam_system__exam_items"),
        "home_bp_devices": ("home_bp_devices", "home_bp_devices__readings"),
        "public_health_followups": ("public_health", "public_health__chronic_followups"),
        "public_health_tcm": ("public_health", "public_health__tcm_assessments"),
    }
    parts = [f"SELECT 'file', _source_file, count(*) FROM bronze.{t} GROUP BY 2" for _, t in feeds.values()]
    parts.append("SELECT 'file', source_file, count(*) FROM quarantine.bronze_rejects GROUP BY 2")
    parts += [f"SELECT 'his', '{t}', count(DISTINCT _source_key) FROM bronze.his__{t}" for t in truth["his"]]
    queried = healthlake(home, "sql", " UNION ALL ".join(parts), "--format", "csv", "--limit", "100000")
    assert queried.returncode == 0, queried.stderr
    held: dict[tuple[str, str], int] = {}
    for kind, name, count in (line.split(",") for line in queried.stdout.splitlines()[1:]):
        held[(kind, name)] = held.get((kind, name), 0) + int(count)
    for feed, (folder, _) in feeds.items():
        for name, lines in truth[feed].items():
            assert held.get(("file", f"{folder}/{name}"), 0) == lines, name
    for table, rows in truth["his"].items():
        assert held[("his", table)] == rows, table
    assert sum(truth["exam_system"].values()) > 5_000


def test_sql_count_equals_the_summary(demo_home):
    home, out = demo_home
    printed = int(re.search(r"gold\.resident_health_profile\s*│\s*([\d,]+)", out).group(1).replace(",", ""))
    assert printed > 0
    queried = healthlake(home, "sql", "select count(*) as n from gold.resident_health_profile", "--format", "csv")
    assert queried.returncode == 0, queried.stderr
    assert queried.stdout.splitlines() == ["n", str(printed)]


def test_ui_api_lists_the_dags_and_their_successful_runs(demo_home):
    home, _ = demo_home
    port = free_port()
    env = {**os.environ, "HEALTHLAKE_HOME": str(home)}
    server = subprocess.Popen(
        [HEALTHLAKE, "airflow", "api-server", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v2"
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/dags", timeout=5) as response:
                    dags = json.load(response)
                break
            except OSError:
                assert time.monotonic() < deadline, "the Airflow API server did not answer within 120 s"
                time.sleep(1)
        assert {d["dag_id"] for d in dags["dags"]} == set(PIPELINE)
        with urllib.request.urlopen(f"{base}/dags/gold_marts/dagRuns", timeout=10) as response:
            runs = json.load(response)["dag_runs"]
        assert [r["state"] for r in runs] == ["success"]
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
