"""Settings found by profiling the pipeline's fixed cost per job (README, Benchmarks): each test
fails if its setting is lost."""

from datetime import datetime

from pyspark.sql import functions as F

from healthlake import audit, quality
from healthlake.lineage import LEDGER, MERGE_TARGET, create_table_if_absent, record_progress, unprocessed
from healthlake.quality import Check
from healthlake.spark import DELTA_STATE_CACHE, releasing_caches
from jobs.silver.entity import delete_keys, merge_new


def test_a_persisted_small_batch_keeps_one_partition_not_the_shuffle_width(spark):
    # Every quality check is an action on the persisted batch: 64 cached partitions made each ~1 s.
    batch = spark.range(1000).groupBy((F.col("id") % 7).alias("k")).count().persist()
    try:
        batch.count()
        assert batch.rdd.getNumPartitions() == 1
    finally:
        batch.unpersist()


def _cached(spark) -> set[int]:
    return {rdd.id() for rdd in spark.sparkContext._jsc.sc().getRDDStorageInfo()}


def test_a_quality_check_leaves_nothing_cached(spark, settings):
    # Great Expectations persists each batch it is given and never unpersists it: every gate's batch
    # stayed cached in the pipeline's one JVM, holding storage memory the later jobs needed.
    before = _cached(spark)
    batch = spark.range(5000).withColumn("sbp", F.lit(120))
    checks = [Check("ExpectColumnValuesToNotBeNull", {"column": "sbp"}),
              Check("ExpectColumnValuesToBeBetween", {"column": "sbp", "min_value": 40, "max_value": 300})]  # fmt: skip
    result = quality.audit(batch, "test.cached", checks, settings, "test-run", data_docs=False)
    assert [o.status for o in result.outcomes] == ["passed", "passed"]
    assert _cached(spark) <= before, "the quality check left its batch cached"


def test_a_job_leaves_nothing_cached_but_deltas_own_snapshots(spark, tmp_path):
    table = str(tmp_path / "readings")
    spark.range(100).write.format("delta").save(table)
    before = _cached(spark)
    with releasing_caches(spark):
        checkpointed = spark.range(1000).selectExpr("id * 2 AS x").localCheckpoint(eager=True)  # freed by GC only
        assert checkpointed.count() == 1000
        spark.range(1000).selectExpr("id * 3 AS x").persist().count()
        spark.read.format("delta").load(table).where("id > 5").count()  # Delta's snapshot state, Delta's to free
    names = {rdd.id(): rdd.name() for rdd in spark.sparkContext._jsc.sc().getRDDStorageInfo()}
    left = [names[i] for i in _cached(spark) - before]
    assert all(name.startswith(DELTA_STATE_CACHE) for name in left), left


def test_the_driver_jvm_waits_out_native_code_before_giving_up_on_an_allocation(spark):
    # Java 17's default of 2 retries killed a 1M benchmark's driver with heap to spare.
    hotspot = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getPlatformMXBean(
        spark.sparkContext._jvm.com.sun.management.HotSpotDiagnosticMXBean._java_lang_class
    )
    assert hotspot.getVMOption("GCLockerRetryAllocationCount").getValue() == "100"
    assert spark.conf.get("spark.executor.extraJavaOptions").endswith("-XX:GCLockerRetryAllocationCount=100")


def test_ledgers_skip_file_statistics(spark, settings, silver):
    audit.ensure_table(spark, settings)  # made by the first Airflow task; the fixtures run none
    for table in ("silver.job_progress", "quality.dq_results", "audit.events"):
        properties = {row.key: row.value for row in spark.sql(f"SHOW TBLPROPERTIES {table}").collect()}
        assert all(properties.get(key) == value for key, value in LEDGER.items()), table


def test_job_progress_is_the_newest_recorded_per_table(spark, settings, silver):
    consumer, table = "test.progress", "exam_system__exam_items"
    long_ago, far_ahead = datetime(2000, 1, 1), datetime(2100, 1, 1)
    record_progress(spark, settings, consumer, {table: long_ago})
    assert unprocessed(spark, settings, consumer, table).count() == spark.table(f"bronze.{table}").count() > 0
    record_progress(spark, settings, consumer, {table: far_ahead})
    record_progress(spark, settings, consumer, {table: long_ago})  # appended later, but older
    assert unprocessed(spark, settings, consumer, table).count() == 0


MERGED_TABLES = (
    "silver.device_readings", "silver.observations", "silver.encounters", "silver.residents",
    "restricted.identity_crosswalk", "restricted.resident_golden",
)  # fmt: skip


def test_tables_merged_into_use_deletion_vectors(spark, silver):
    for table in MERGED_TABLES:
        properties = {row.key: row.value for row in spark.sql(f"SHOW TBLPROPERTIES {table}").collect()}
        assert properties.get("delta.enableDeletionVectors") == "true", table


def _readings(spark, rows):
    return spark.createDataFrame(rows, "reading_key string, _record_hash string, sbp int")


def test_a_merge_updating_one_row_marks_it_instead_of_rewriting_its_file(spark, settings):
    create_table_if_absent(spark, settings, "silver", "test_dv_readings", _readings(spark, []), MERGE_TARGET)
    _readings(spark, [(f"r{i}", f"h{i}", 120) for i in range(100)]).coalesce(1).write.insertInto(
        "silver.test_dv_readings"
    )
    merge_new(spark, "silver.test_dv_readings", _readings(spark, [("r7", "h7-corrected", 135)]), ("reading_key",), "v")
    metrics = spark.sql("DESCRIBE HISTORY silver.test_dv_readings LIMIT 1").first()["operationMetrics"]
    assert metrics["numTargetRowsUpdated"] == "1"
    assert metrics["numTargetFilesRemoved"] == "0", "the 100-row file was rewritten for one row"
    assert metrics["numTargetDeletionVectorsAdded"] == "1"
    assert spark.table("silver.test_dv_readings").where("reading_key = 'r7'").first()["sbp"] == 135


def test_a_small_batch_finds_the_same_changes_broadcast_as_shuffled(spark, settings):
    held = [(f"k{i}", f"h{i}", 100 + i) for i in range(50)]
    batch = [("k1", "h1", 101), ("k2", "h2-changed", 1), ("k99", "h99", 9)]  # unchanged, changed, new
    for small in (False, True):
        table = f"test_merge_{'broadcast' if small else 'shuffled'}"
        create_table_if_absent(spark, settings, "silver", table, _readings(spark, []))
        _readings(spark, held).write.insertInto(f"silver.{table}")
        assert merge_new(spark, f"silver.{table}", _readings(spark, batch), ("reading_key",), "v", small) == 2
        assert spark.table(f"silver.{table}").count() == 51
        assert spark.table(f"silver.{table}").where("reading_key = 'k2'").first()["sbp"] == 1


def test_removed_keys_are_found_the_same_broadcast_as_shuffled(spark, settings):
    held = [(f"k{i}", f"h{i}", 100 + i) for i in range(50)]
    removed = spark.createDataFrame([("k3",), ("k3",), ("k7",), ("k99",)], "reading_key string")  # twice; absent
    for small in (False, True):
        table = f"test_delete_{'broadcast' if small else 'shuffled'}"
        create_table_if_absent(spark, settings, "silver", table, _readings(spark, []), MERGE_TARGET)
        _readings(spark, held).write.insertInto(f"silver.{table}")
        assert delete_keys(spark, f"silver.{table}", removed, ("reading_key",), small) == 2
        left = {row.reading_key for row in spark.table(f"silver.{table}").collect()}
        assert left == {f"k{i}" for i in range(50)} - {"k3", "k7"}
