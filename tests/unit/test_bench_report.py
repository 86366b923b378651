"""The benchmark report's figures: stages summed from the right DAGs, ratios of the right builds."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from report import markdown, stage_figures


def _build(seconds, bronze_seconds, silver_seconds, jvm, total, files):
    by_dag = {
        "exam_system_ingest": {"jvm": 1.0, "python": 2.5},
        "his_ingest": {"jvm": 2.0, "python": 0.5},
        "silver_standardise": {"jvm": jvm, "python": 0.4},
    }
    return {
        "seconds": seconds,
        "memory_peak_gib": {"jvm": jvm, "python": total - jvm, "total": total, "by_dag": by_dag},
        "dags": [
            {"dag": "exam_system_ingest", "state": "success", "seconds": bronze_seconds / 2},
            {"dag": "his_ingest", "state": "success", "seconds": bronze_seconds / 2},
            {"dag": "silver_standardise", "state": "success", "seconds": silver_seconds},
            {"dag": "gold_marts", "state": "success", "seconds": 10.0},
        ],
        "steps": [
            {
                "dag_id": "exam_system_ingest",
                "job": "bronze.exam_system",
                "seconds": 5,
                "rows_in": 600,
                "rows_written": 600,
                "rows_rejected": 0,
            },
            {
                "dag_id": "his_ingest",
                "job": "bronze.his.patients",
                "seconds": 5,
                "rows_in": 400,
                "rows_written": 400,
                "rows_rejected": 0,
            },
            {
                "dag_id": "silver_standardise",
                "job": "silver.observations",
                "seconds": 30,
                "rows_in": 900,
                "rows_written": 890,
                "rows_rejected": 10,
            },
        ],
        "delta_files": {
            "bronze": {"tables": 2, "files": files, "mib": 1.5},
            "gold": {"tables": 1, "files": 1, "mib": 0.5},
        },
    }


def _report(residents):
    return {
        "machine": "2 cores (test), 24 GiB",
        "measured_at": "2026-11-23T00:00:00+00:00",
        "residents": residents,
        "generate": {"seconds": 12.0, "source_records": 3000, "memory_peak_gib": {}},
        "full": _build(200.0, 40.0, 100.0, jvm=3.0, total=4.0, files=7),
        "incremental": {**_build(20.0, 4.0, 10.0, jvm=3.5, total=4.2, files=9), "day": "files dated 2026-06-30"},
        "duckdb": {
            "mart": "gold.m",
            "spark_seconds": 6.0,
            "duckdb_seconds": 2.0,
            "spark_to_duckdb": 3.0,
            "mart_rows": 12,
        },
        "spark_driver_memory": "4g",
    }


def test_stages_add_up_their_own_dags_and_steps():
    figures = stage_figures(_report(10)["full"])
    assert figures["bronze"] == {"seconds": 40.0, "records": 1000, "peak": {"jvm": 2.0, "python": 2.5}}
    assert figures["silver"] == {"seconds": 100.0, "records": 900, "peak": {"jvm": 3.0, "python": 0.4}}
    assert figures["gold"] == {"seconds": 10.0, "records": 0, "peak": None}  # no sample while it ran


def test_summary_row_relates_the_day_to_the_full_build_and_takes_the_higher_peak():
    text = markdown([_report(100_000), _report(10_000)])
    rows = [line for line in text.splitlines() if line.startswith("| 10,000 |") or line.startswith("| 100,000 |")]
    assert rows[0].startswith("| 10,000 |"), "scales are listed smallest first"
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert cells[3] == "3 min 20.0 s"  # full build
    assert cells[4] == "15"  # 3,000 source records / 200 s
    assert cells[6] == "10%"  # 20 s / 200 s
    assert cells[7] == "3.5 / 4.2 GiB"  # the incremental build's peak is the higher one
    assert cells[8] == "10 (2 MiB)"  # files after the day: 9 + 1


def test_a_stage_without_counted_records_shows_a_dash_and_the_days_slowest_steps_are_named():
    text = markdown([_report(10_000)])
    gold = next(line for line in text.splitlines() if line.startswith("| gold |"))
    cells = [cell.strip() for cell in gold.strip("|").split("|")]
    assert cells[2:4] == ["–", "–"], "dbt counts no records: neither 0 records nor 0 records/s"
    assert cells[4] == "–"  # no memory sampled while it ran
    assert cells[6] == "–"
    bronze = next(line for line in text.splitlines() if line.startswith("| bronze |"))
    assert bronze.strip("|").split("|")[4].strip() == "2.0 / 2.5"  # each its highest over the stage's DAGs
    assert "Of the incremental day: silver.observations 30 s" in text


def test_the_largest_process_besides_the_jvms_is_named_with_its_dag_when_it_was_sampled():
    report = _report(10_000)
    assert "Largest process besides the JVMs" not in markdown([report])  # older reports lack it
    report["full"]["memory_peak_gib"]["largest_other_by_dag"] = {
        "exam_system_ingest": {"gib": 0.3, "command": "python -m airflow"},
        "silver_standardise": {"gib": 2.1, "command": "python -m pyspark.daemon"},
    }
    report["incremental"]["memory_peak_gib"]["largest_other_by_dag"] = {
        "gold_marts": {"gib": 0.9, "command": "healthlake run"},
    }
    assert (
        "Largest process besides the JVMs: full build 2.1 GiB in silver_standardise (`python -m pyspark.daemon`); "
        "day 0.9 GiB in gold_marts (`healthlake run`)." in markdown([report])
    )


def test_scales_measured_on_different_machines_each_name_their_own():
    same = markdown([_report(10_000), _report(100_000)])
    assert same.count("2 cores (test), 24 GiB") == 3  # the header and each scale
    other = _report(100_000)
    other["machine"] = "2 cores (other), 24 GiB"
    mixed = markdown([_report(10_000), other])
    assert "Machine: 2 cores" not in mixed and "figures from different machines do not compare" in mixed
    assert "on 2 cores (test), 24 GiB" in mixed and "on 2 cores (other), 24 GiB" in mixed


def test_a_scales_notes_are_shown_and_its_peak_points_to_them():
    report = _report(1_000_000)
    plain = markdown([report])
    assert "Note:" not in plain and "(see its notes)" not in plain
    report["notes"] = ["the sampler counted a forked child at its parent's size"]
    noted = markdown([report])
    assert "Note: the sampler counted a forked child at its parent's size" in noted
    row = next(line for line in noted.splitlines() if line.startswith("| 1,000,000 |"))
    assert "GiB (see its notes)" in row


def test_processes_left_out_as_transient_are_reported_when_sampled():
    report = _report(10_000)
    assert "left out of the peaks" not in markdown([report])  # older reports lack it
    report["full"]["memory_peak_gib"]["transient"] = 6.5
    report["incremental"]["memory_peak_gib"]["transient"] = 0.1
    assert "left out of the peaks: largest 6.5 GiB (full), 0.1 GiB (day)" in markdown([report])


def test_the_duckdb_line_shows_how_many_runs_the_best_was_taken_from_and_sparks_warm_up():
    report = _report(1_000_000)
    assert "(12 rows, equal row for row): 6.0 s / 2.0 s.\n" in markdown([report])  # older reports: no runs kept
    report["duckdb"] |= {"repeat": 3, "spark_runs": [9.1, 7.0, 6.0], "duckdb_runs": [2.4, 2.0, 2.1]}
    assert "6.0 s / 2.0 s, best of 3 (Spark's runs in order: 9.1, 7.0, 6.0 s).\n" in markdown([report])


def test_the_duckdb_line_splits_each_engines_time_by_phase_when_measured():
    report = _report(1_000_000)
    report["duckdb"] |= {"repeat": 3, "spark_runs": [9.1, 7.0, 6.0], "duckdb_runs": [2.4, 2.0, 2.1]}
    report["duckdb"] |= {
        "spark_phases": {"planning": 1.5, "execution": 2.5, "delta_write": 2.0, "create_table": 5.5},
        "duckdb_phases": {"read": 0.8, "query_and_write": 1.2},
    }
    assert (
        "(Spark's runs in order: 9.1, 7.0, 6.0 s). Spark's time by phase (later runs, 5.5 s at best): planning 1.5 s, "
        "execution 2.5 s, Delta write 2.0 s; DuckDB's: reading silver 0.8 s, query and write 1.2 s.\n"
    ) in markdown([report])
