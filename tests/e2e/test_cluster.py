"""The whole pipeline deployed as docker/compose.yaml deploys it: on a Spark standalone master and
worker on loopback (started by the project's script), its tables in S3-compatible object storage and
its catalog in the metastore service. Against the shared lake's local run (tests/e2e/conftest.py) only
settings differ, and every mart comes out the same."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import (
    AS_OF,
    GENERATE_LAKE,
    _environment,
    destroy_his,
    free_port,
    healthlake,
    object_store,
    read_delta,
    serve,
    stop,
    wait_for_port,
)

from healthlake import dbt_graph

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).parents[2] / "scripts" / "spark-standalone.sh"
JOBS = ("job", "bronze-ingest", "bronze-extract-his", "silver", "gold")
VOLATILE = {"built_at", "loaded_at"}  # when the mart was built, when silver loaded the row


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    home = tmp_path_factory.mktemp("cluster")
    ports = {
        "SPARK_MASTER_PORT": str(free_port()),
        "SPARK_MASTER_WEBUI_PORT": str(free_port()),
        "SPARK_WORKER_WEBUI_PORT": str(free_port()),
    }
    env = {**os.environ, "HEALTHLAKE_HOME": str(home), "SPARK_WORKER_CORES": "2", "SPARK_WORKER_MEMORY": "2g", **ports}
    started = subprocess.run(["bash", str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stderr
    try:
        yield home, f"spark://127.0.0.1:{ports['SPARK_MASTER_PORT']}"
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, timeout=60)
        destroy_his(home)


def _catalog_service(home: Path, in_bucket: dict[str, str]) -> tuple[subprocess.Popen, dict[str, str]]:
    """`healthlake metastore`, reaching the bucket (it makes schemas' directories), and the setting
    that points sessions at it."""
    port = free_port()
    service = serve(home, "metastore", "--port", str(port), **in_bucket)
    wait_for_port(port)
    return service, {"HEALTHLAKE_METASTORE_URI": f"thrift://127.0.0.1:{port}"}


# A session that does not look in the warehouse (no layers attached) and lists gold from the catalog.
LIST_GOLD = (
    "from healthlake.settings import get_settings; from healthlake.spark import get_spark; "
    "spark = get_spark(get_settings(), layers=()); "
    "print(' '.join(sorted(t.name for t in spark.catalog.listTables('gold'))))"
)


def test_the_whole_pipeline_deployed_as_compose_deploys_it_builds_the_same_marts_as_local_mode(cluster, lake):
    home, master = cluster
    # The same network, key and as-of date as the shared lake.
    (home / "secrets").mkdir()
    shutil.copy(lake.home / "secrets" / "pseudonym.key", home / "secrets" / "pseudonym.key")
    generated = healthlake(home, *GENERATE_LAKE)
    assert generated.returncode == 0, generated.stderr
    server, in_bucket = object_store()
    catalog_service = None
    try:
        catalog_service, in_catalog = _catalog_service(home, in_bucket)
        on_cluster = {
            "HEALTHLAKE_SPARK_MASTER": master,
            "HEALTHLAKE_SPARK_EXECUTOR_MEMORY": "1g",
            "HEALTHLAKE_SPARK_EXECUTOR_CORES": "2",
            "SPARK_LOCAL_IP": "127.0.0.1",
            "HEALTHLAKE_AS_OF_DATE": AS_OF,
        }
        done = healthlake(home, *JOBS, timeout=2400, **on_cluster, **in_bucket, **in_catalog)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        lines = done.stdout.splitlines()
        assert all(f"spark master {master}" in line for line in lines)
        assert any(line.startswith("silver.residents:") for line in lines)
        # Executors ran in the worker, which made a directory for the application.
        assert len(list((home / "spark-standalone" / "work").glob("app-*"))) == 1
        # No table was written to the home's disk: the warehouse is the bucket.
        assert not (home / "warehouse").exists()
        listed = subprocess.run(
            [sys.executable, "-c", LIST_GOLD],
            env=_environment(home, **in_bucket, **in_catalog),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert listed.returncode == 0, listed.stderr[-3000:]
        assert set(dbt_graph.marts()) <= set(listed.stdout.split())

        def mart(location: str, env: dict[str, str]) -> pd.DataFrame:
            frame = read_delta(location, env)
            frame = frame.drop(columns=[c for c in frame.columns if c in VOLATILE]).astype(str)
            return frame.sort_values(list(frame.columns)).reset_index(drop=True)

        compared = 0
        for name in sorted(set(dbt_graph.marts()) - {"dq_scorecard"}):  # the scorecard holds each run's own ids
            on_local = mart(str(lake.home / "warehouse" / "gold" / name), {})
            deployed = mart(f"{in_bucket['HEALTHLAKE_WAREHOUSE']}/gold/{name}", in_bucket)
            assert len(on_local) > 0, name
            pd.testing.assert_frame_equal(deployed, on_local, obj=f"gold.{name}")
            compared += len(on_local)
        assert compared > 1000
    finally:
        stop(server)
        if catalog_service is not None:
            stop(catalog_service)
