"""The one Spark session factory: local Spark with Delta by default, a standalone cluster by setting
HEALTHLAKE_SPARK_MASTER. Every job, dbt and `healthlake sql` get their session here."""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from healthlake import catalog, metastore, storage
from healthlake.jars import cached_jars
from healthlake.settings import LAYERS, Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Every Spark JVM's options. On Java < 22, G1 throws OutOfMemoryError when an allocation finds the GC
# held off by a thread in native code (Snappy, zstd) more than twice ("Retried waiting for GCLocker
# too often"), however much of the heap is garbage: a 1M benchmark's device readings died so with a
# 5g heap. The retry count is a diagnostic flag, gone from Java 22 (which pins regions instead);
# IgnoreUnrecognizedVMOptions keeps newer JVMs starting.
JVM_OPTIONS = (
    f"-Dlog4j.configurationFile={metastore.LOG4J_CONFIG} "
    "-XX:+IgnoreUnrecognizedVMOptions -XX:+UnlockDiagnosticVMOptions -XX:GCLockerRetryAllocationCount=100"
)

# Seconds the last call to get_spark() took to start the JVM and attach the catalog (for the summary).
last_start_seconds: float | None = None


def session_jars(settings: Settings, extra_jars: Sequence[Path] = ()) -> list[Path]:
    """The cached Maven jars, healthlake's own classes when the warehouse is object storage (its
    Delta log store), and `extra_jars`, each once."""
    jars = [*cached_jars(settings)]
    if settings.is_object_storage:
        from healthlake.jvm_jar import healthlake_jar

        jars.append(healthlake_jar(settings))
    return list(dict.fromkeys([*jars, *extra_jars]))


def spark_conf(settings: Settings, extra_jars: Sequence[Path] = (), extensions: Sequence[str] = ()) -> dict[str, str]:
    """The session configuration, kept as data so tests and docs can show it."""
    conf = {
        "spark.jars": ",".join(str(j) for j in session_jars(settings, extra_jars)),
        "spark.sql.extensions": ",".join(["io.delta.sql.DeltaSparkSessionExtension", *extensions]),
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        # The catalog is the warehouse itself (see healthlake.catalog), kept in the metastore service
        # when there is one (below); never an embedded Derby metastore, which admits one process.
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.warehouse.dir": settings.warehouse,
        # The network's institutions all run on Beijing time; timestamps are shown in it.
        "spark.sql.session.timeZone": "Asia/Shanghai",
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.sql.adaptive.enabled": "true",
        # Partitions sized by the data (64 MB each), not by the core count: one for a test batch,
        # dozens for a million residents' device readings.
        "spark.sql.adaptive.coalescePartitions.initialPartitionNum": str(
            max(settings.spark_max_shuffle_partitions, settings.spark_shuffle_partitions)
        ),
        "spark.sql.adaptive.coalescePartitions.parallelismFirst": "false",
        # ... and a persisted batch too: otherwise its cache keeps all 64 shuffle partitions and every
        # action on it (each quality check is one) runs 64 tasks, ~1 s even for 37 rows.
        "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "true",
        "spark.ui.enabled": "true" if settings.spark_ui else "false",
        "spark.ui.showConsoleProgress": "false",
        # Delta rebuilds table state with 50 tasks by default: far too many for small tables.
        "spark.databricks.delta.snapshotPartitions": str(settings.spark_shuffle_partitions),
        # VACUUM lists a table's files with this many tasks (default 10,000: a minute for a tiny table).
        "spark.sql.sources.parallelPartitionDiscovery.parallelism": str(settings.spark_shuffle_partitions),
        "spark.driver.memory": settings.spark_driver_memory,
        "spark.executor.memory": settings.spark_executor_memory,
        # Arrow makes pandas/pyarrow <-> Spark conversion columnar instead of row by row.
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.databricks.delta.schema.autoMerge.enabled": "false",
        # The driver's go in PYSPARK_SUBMIT_ARGS (its JVM starts before any conf is read).
        "spark.executor.extraJavaOptions": JVM_OPTIONS,
        **storage.hadoop_options(settings),
        **metastore.client_options(settings),
    }
    if not settings.is_local:
        # Client mode: the driver stays in the Airflow task (or CLI) and the executors come to it.
        conf["spark.submit.deployMode"] = "client"
        conf["spark.executor.cores"] = str(settings.spark_executor_cores)
        conf["spark.pyspark.python"] = settings.spark_executor_python or sys.executable
    return conf


def get_spark(
    settings: Settings,
    app_name: str = "healthlake",
    layers: Iterable[str] = LAYERS,
    extra_jars: Sequence[Path] = (),
    extensions: Sequence[str] = (),
) -> SparkSession:
    """Return the process's Spark session, creating it (and attaching the catalog's `layers`) on first use.
    `extra_jars` and `extensions` (SparkSessionExtensions classes in them) only count for a new session."""
    global last_start_seconds
    from pyspark.sql import SparkSession

    started = time.monotonic()
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    storage.make_dirs(settings, settings.warehouse)
    if settings.is_local:
        # Local mode needs no routable address; binding loopback also silences Spark's warning.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # The driver JVM's own settings must be given before it starts: its options, and Delta (and
    # `extra_jars`) on its class path: spark.jars reach only Spark's own class loader, while the Thrift
    # server's threads and Hadoop's Configuration.getClass use the JVM's. Always set, never inherited:
    # a parent process's value (a test run's, say) would leave out this session's extra jars.
    driver_classpath = ":".join(str(j) for j in session_jars(settings, extra_jars))
    os.environ["PYSPARK_SUBMIT_ARGS"] = (
        f"--driver-class-path {driver_classpath} --driver-java-options {shlex.quote(JVM_OPTIONS)} pyspark-shell"
    )
    builder = SparkSession.builder.master(settings.spark_master).appName(app_name)
    for key, value in spark_conf(settings, extra_jars, extensions).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    catalog.attach(spark, settings, layers)
    last_start_seconds = time.monotonic() - started
    return spark


# Delta keeps each table's current snapshot cached under this name and frees it when the table moves on.
DELTA_STATE_CACHE = "Delta Table State"


@contextmanager
def releasing_caches(spark: SparkSession) -> Iterator[None]:
    """Free, when the block ends, what a job cached in it: persisted frames (its own, Great
    Expectations', splink's) and local checkpoints. A pipeline run is one JVM, and Spark frees a
    checkpoint only once the JVM's garbage collector finds it unreachable, which can be never in a
    run: a test session still held the ten checkpoints of its HIS extracts long after they ran, in
    storage memory later jobs' sorts could have used. Delta's snapshot caches are left to Delta."""
    before = set(spark.sparkContext._jsc.getPersistentRDDs().keys())
    try:
        yield
    finally:
        spark.catalog.clearCache()
        for rdd_id, rdd in spark.sparkContext._jsc.getPersistentRDDs().items():
            if rdd_id not in before and not str(rdd.name()).startswith(DELTA_STATE_CACHE):
                rdd.unpersist(False)
