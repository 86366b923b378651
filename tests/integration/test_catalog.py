"""The shared catalog admits concurrent sessions: another Spark process queries the lake while the
test process's own session holds it open (an embedded Derby metastore would refuse the second)."""

import os
import subprocess
import sys
from pathlib import Path


def test_concurrent_sessions_share_the_catalog(spark, settings, bronze):
    expected = spark.table("bronze.exam_system__exam_items").count()
    healthlake = str(Path(sys.executable).with_name("healthlake"))
    query = "select count(*) as n from bronze.exam_system__exam_items"
    other = subprocess.run(
        [healthlake, "sql", query, "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "HEALTHLAKE_HOME": str(settings.home)},
    )
    assert other.returncode == 0, other.stderr
    assert other.stdout.splitlines() == ["n", str(expected)]
