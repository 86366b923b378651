"""Settings found by profiling the pipeline's fixed cost per job (README, Benchmarks): each test
fails if its setting is lost."""

from datetime import datetime

from pyspark.sql import functions as F

from healthlake import audit
from healthlake.lineage import LEDGER, record_progress, unprocessed


def test_a_persisted_small_batch_keeps_one_partition_not_the_shuffle_width(spark):
    # Every quality check is an action on the persisted batch: 64 cached partitions made each ~1 s.
    batch = spark.range(1000).groupBy((F.col("id") % 7).alias("k")).count().persist()
    try:
        batch.count()
        assert batch.rdd.getNumPartitions() == 1
    finally:
        batch.unpersist()


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
