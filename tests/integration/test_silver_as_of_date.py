"""The as-of date the time-relative marts use: healthlake resolves it once and hands it to dbt as a
literal; dbt's own fallback (no var) must give the same date, and a new commit to silver moves it.
Named to run after test_silver.py: the first test to ask for the session's silver fixture fixes the
bronze counts test_silver reconciles with, and the ingest tests before it must have run by then."""

import json
from datetime import date, datetime, timedelta

from healthlake import dbt


def _newest_event_date(spark) -> date:
    """Computed here from the silver rows, in the session's time zone (Beijing time) as the marts read it."""
    followups = spark.table("silver.chronic_followups").select("followup_date").toPandas()["followup_date"]
    readings = spark.table("silver.device_readings").select("measured_at").toPandas()["measured_at"]
    visits = spark.table("silver.encounters").select("start_time").toPandas()["start_time"]
    return max(max(followups), max(readings).date(), max(visits).date())


def test_the_default_is_the_newest_event_date_in_silver(spark, settings, silver):
    assert settings.as_of_date == ""
    assert dbt.as_of_date(spark, settings) == _newest_event_date(spark).isoformat()


def test_the_setting_wins_without_reading_silver(settings):
    from dataclasses import replace

    assert dbt.as_of_date(None, replace(settings, as_of_date="2026-03-31")) == "2026-03-31"


def test_dbt_gets_the_date_as_a_var(settings):
    args = dbt.dbt_args(settings, "build", as_of="2026-01-31")
    assert json.loads(args[args.index("--vars") + 1])["as_of_date"] == "2026-01-31"


def test_dbt_computes_the_same_date_without_the_var(spark, settings, silver):
    """The model's fallback and healthlake's resolution read the same events."""
    shown = dbt.invoke(settings, "show", "--select", "int_as_of_date", "--vars", json.dumps({"as_of_date": ""}))
    assert shown.success, shown.exception
    (row,) = shown.result.results[0].agate_table.rows
    assert row[0].isoformat() == dbt.as_of_date(spark, settings)


def test_a_later_event_in_silver_moves_the_date(spark, settings, silver):
    before = dbt.as_of_date(spark, settings)
    later = datetime.fromisoformat(before) + timedelta(days=40, hours=9)
    table = spark.table("silver.encounters")
    row = table.limit(1).toPandas()
    row["encounter_key"] = "as-of-date-test"
    row["start_time"] = later
    try:
        spark.createDataFrame(row, table.schema).write.insertInto("silver.encounters")
        assert dbt.as_of_date(spark, settings) == later.date().isoformat()
    finally:
        spark.sql("DELETE FROM silver.encounters WHERE encounter_key = 'as-of-date-test'")
    assert dbt.as_of_date(spark, settings) == before
