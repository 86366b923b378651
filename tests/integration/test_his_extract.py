"""The HIS source for real: a PostgreSQL server started by scripts/postgres.sh, read over JDBC."""

import os
import socket
import subprocess
from pathlib import Path

import pytest
from delta_history import table_version

from healthlake import his_database
from healthlake.schemas import database_source
from healthlake.synth.his import simulate_changes
from jobs.bronze import extract_database

SOURCE = database_source("his")
POSTGRES = Path(__file__).parents[2] / "scripts" / "postgres.sh"


def _source_rows(settings) -> dict[str, int]:
    with his_database.connect(settings) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM his.{t}").fetchone()[0] for t in SOURCE.tables}


def test_the_database_matches_its_interface_file(settings, generated):
    with his_database.connect(settings) as conn:
        for table in SOURCE.tables.values():
            columns = conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'his' "
                "AND table_name = %s ORDER BY ordinal_position",
                (table.name,),
            ).fetchall()
            assert [c[0] for c in columns] == table.column_names


def test_first_extract_holds_every_source_row_once(spark, settings, generated, his_bronze):
    truth = generated.files["his"]
    assert _source_rows(settings) == truth
    for table, result in his_bronze.items():
        assert result.rows_written == truth[table] > 0, table
        distinct = spark.sql(f"SELECT count(DISTINCT _source_key) FROM bronze.his__{table}").collect()[0][0]
        assert distinct == truth[table], table


def test_local_times_are_kept_as_the_his_wrote_them(spark, settings, his_bronze):
    with his_database.connect(settings) as conn:
        visit_time = conn.execute("SELECT visit_time FROM his.outpatient_visits WHERE visit_id = 1").fetchone()[0]
    held = spark.sql("SELECT visit_time FROM bronze.his__outpatient_visits WHERE visit_id = 1").collect()[0][0]
    assert held == visit_time


def test_updates_and_cancellations_after_extraction_arrive_as_new_versions(spark, settings, his_bronze):
    before = {t: spark.table(f"bronze.his__{t}").count() for t in SOURCE.tables}
    changed = simulate_changes(settings, share=0.05, seed=3)
    assert changed["cancelled_visits"] > 0 and changed["code_corrections"] > 0
    results = {t: extract_database.run(spark, settings, t, run_id="test_his_changes") for t in SOURCE.tables}

    assert results["outpatient_visits"].rows_written == changed["cancelled_visits"]
    assert results["prescriptions"].rows_written == changed["cancelled_prescriptions"]
    assert results["admissions"].rows_written == changed["discharges"]
    for table in SOURCE.tables:
        assert spark.table(f"bronze.his__{table}").count() == before[table] + results[table].rows_written
    # The newest version of every row in bronze is the row in the HIS now.
    latest = dict(
        spark.sql(
            "SELECT visit_id, max_by(status, updated_at) FROM bronze.his__outpatient_visits GROUP BY visit_id"
        ).collect()
    )
    with his_database.connect(settings) as conn:
        assert dict(conn.execute("SELECT visit_id, status FROM his.outpatient_visits").fetchall()) == latest


def test_reextracting_changes_no_bronze_table(spark, settings, his_bronze):
    tables = [f"bronze.his__{t}" for t in SOURCE.tables] + ["bronze.his__extracts"]
    before = [table_version(spark, t) for t in tables]
    again = [extract_database.run(spark, settings, t, run_id="test_his_again") for t in SOURCE.tables]
    assert all(r.rows_written == 0 for r in again)
    assert [table_version(spark, t) for t in tables] == before


def test_a_new_source_column_is_kept_as_drift(spark, settings, his_bronze):
    with his_database.connect(settings) as conn:
        conn.execute("ALTER TABLE his.patients ADD COLUMN wechat_id text")
        conn.execute("UPDATE his.patients SET wechat_id = 'wx_' || patient_id, updated_at = now() WHERE patient_id = 1")
        conn.commit()
    try:
        result = extract_database.run(spark, settings, "patients", run_id="test_his_drift")
        assert result.rows_written == 1
        assert "wechat_id" in result.detail
        extra = spark.sql(
            "SELECT _extra['wechat_id'] FROM bronze.his__patients WHERE patient_id = 1 AND _extra IS NOT NULL"
        ).collect()
        assert [r[0] for r in extra] == ["wx_1"]
    finally:
        with his_database.connect(settings) as conn:
            conn.execute("ALTER TABLE his.patients DROP COLUMN wechat_id")
            conn.commit()


def test_an_unreachable_database_is_one_clear_error(settings, monkeypatch):
    from dataclasses import replace

    elsewhere = replace(settings, his_port=1, his_password_env="x")
    with pytest.raises(his_database.HisUnavailableError, match=r"127\.0\.0\.1:1/his cannot be reached"):
        his_database.connect(elsewhere)


def test_a_port_taken_by_another_server_is_named(tmp_path):
    # pg_ctl itself only says "could not start server", in a log a benchmark's clean-up then deletes.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "HEALTHLAKE_HOME": str(tmp_path), "HEALTHLAKE_HIS_PORT": str(port)}
        try:
            started = subprocess.run([POSTGRES, "start"], env=env, capture_output=True, text=True, timeout=300)
        finally:
            subprocess.run([POSTGRES, "destroy"], env=env, capture_output=True, timeout=120)
    assert started.returncode != 0
    assert f"port {port} is taken" in started.stderr
