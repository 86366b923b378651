"""Delta tables in S3-compatible object storage (moto's server on loopback stands in for MinIO or
S3): commits by concurrent Spark drivers are never lost, because each is a conditional PUT."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from helpers import _environment, object_store, read_delta, stop

pytestmark = pytest.mark.slow

# A Spark driver of its own: the healthlake session, configured only by the environment.
DRIVER = textwrap.dedent(
    """
    import json, sys
    from healthlake.settings import get_settings
    from healthlake.spark import get_spark

    settings = get_settings()
    spark = get_spark(settings, app_name="object-storage-test", layers=())
    table = settings.table_location("quality", "ledger")
    if sys.argv[1] == "probe":
        jvm, conf = spark._jvm, spark._jsc.hadoopConfiguration()
        store = jvm.healthlake.storage.ConditionalPutLogStore(conf)
        path = jvm.org.apache.hadoop.fs.Path(settings.warehouse + "/probe/_delta_log/00000000000000000000.json")
        store.write(path, jvm.java.util.ArrayList(["first"]).iterator(), False, conf)
        try:
            store.write(path, jvm.java.util.ArrayList(["second"]).iterator(), False, conf)
            refused = None
        except Exception as error:
            refused = "FileAlreadyExistsException" in str(error)
        kept = list(store.read(path, conf))
        spark.createDataFrame([("setup", 0)], "writer string, n int").write.format("delta").save(table)
        print(json.dumps({"refused": refused, "kept": kept}))
    else:
        for n in range(int(sys.argv[2])):
            row = spark.createDataFrame([(sys.argv[1], n)], "writer string, n int")
            row.write.format("delta").mode("append").save(table)
    """
)


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    server, env = object_store()
    try:
        yield tmp_path_factory.mktemp("object-storage"), env
    finally:
        stop(server)


def _driver(home, env, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, *args],
        env=_environment(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_drivers_lose_no_commit_and_a_commit_is_never_overwritten(bucket):
    home, env = bucket
    probe = _driver(home, env, "probe")
    out, err = probe.communicate(timeout=300)
    assert probe.returncode == 0, err[-3000:]
    # S3A's own existence checks are off (fs.s3a.create.performance): only the PUT's If-None-Match
    # refuses the second write, and the first commit's content stays.
    assert json.loads(out.splitlines()[-1]) == {"refused": True, "kept": ["first"]}

    commits = 6
    writers = [_driver(home, env, name, str(commits)) for name in ("a", "b")]
    for writer in writers:
        _, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err[-3000:]
    ledger = read_delta(env["HEALTHLAKE_WAREHOUSE"] + "/quality/ledger", env)
    assert sorted(ledger.itertuples(index=False, name=None)) == sorted(
        [("setup", 0)] + [(name, n) for name in ("a", "b") for n in range(commits)]
    )
