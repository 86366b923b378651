"""Bronze on real Delta tables: nothing lost, nothing twice, bad lines quarantined with reasons."""

import json

import pytest
from delta_history import table_version

from healthlake.schemas import source_format
from jobs.bronze import ingest_files

SOURCES = [
    ("exam_system", "exam_system__exam_items"),
    ("home_bp_devices", "home_bp_devices__readings"),
    ("public_health_followups", "public_health__chronic_followups"),
    ("public_health_tcm", "public_health__tcm_assessments"),
]


@pytest.mark.parametrize("source, table", SOURCES)
def test_every_source_line_is_in_bronze_or_rejects_per_file(spark, settings, file_bronze, source, table):
    truth = json.loads((settings.ground_truth_dir / "source_files.json").read_text())[source]
    folder = source_format(source).source_system
    good = dict(spark.sql(f"SELECT _source_file, count(*) FROM bronze.{table} GROUP BY 1").collect())
    rejected = dict(spark.sql("SELECT source_file, count(*) FROM quarantine.bronze_rejects GROUP BY 1").collect())
    for name, lines in truth.items():
        key = f"{folder}/{name}"
        assert good.get(key, 0) + rejected.get(key, 0) == lines, name
    result = file_bronze[source]
    assert result.rows_in == sum(truth.values())
    if source != "public_health_tcm":  # the one feed the generator does not damage
        assert result.rows_rejected > 0  # the generator's damage reached the rejects table


@pytest.mark.parametrize("source, table", SOURCES)
def test_reingesting_changes_nothing(spark, settings, file_bronze, source, table):
    before = (table_version(spark, f"bronze.{table}"), table_version(spark, "quarantine.bronze_rejects"))
    again = ingest_files.run(spark, settings, source, run_id="test_again")
    assert again.rows_written == 0 and again.rows_rejected == 0
    assert (table_version(spark, f"bronze.{table}"), table_version(spark, "quarantine.bronze_rejects")) == before


def test_late_resent_and_out_of_order_readings_are_all_kept(spark, device_bronze):
    deliveries, readings, out_of_order = spark.sql(
        "SELECT count(*), count(DISTINCT device_sn, reading_seq), count_if(measured_at < previous) FROM ("
        "  SELECT *, lag(measured_at) OVER (PARTITION BY _source_file ORDER BY _record_number) AS previous"
        "  FROM bronze.home_bp_devices__readings)"
    ).collect()[0]
    assert deliveries > readings > 0  # re-sent uploads are delivered twice, and bronze keeps both
    assert out_of_order > 0


def test_a_damaged_file_quarantines_its_bad_lines_and_keeps_the_rest(spark, settings, bronze):
    fmt = source_format("exam_system")
    header = ",".join(c.header for c in fmt.columns) + ",备注"
    line = "TJ9999,2026-02-01,H1,李四,女,1990-05-05,01,11010519900505002X,13900000000,TJ011,收缩压,{v},mmHg,"
    data = (
        (header + "\n" + line.format(v="121") + "\n").encode("gbk")
        + b"TJ9999,2026-02-01,\xff\xfe\n"
        + "TJ9999,2026-02-01,H1\n".encode("gbk")
        + (line.format(v="122") + "复查\n").encode("gbk")
    )
    (settings.landing_dir / "exam_system" / "exam_items_29990101.csv").write_bytes(data)
    result = ingest_files.run(spark, settings, "exam_system", run_id="test_damaged")
    assert (result.rows_written, result.rows_rejected) == (2, 2)
    assert "备注" in result.detail  # schema drift is reported, not fatal
    rejects = spark.sql(
        "SELECT line_number, reason FROM quarantine.bronze_rejects "
        "WHERE source_file = 'exam_system/exam_items_29990101.csv' ORDER BY line_number"
    ).collect()
    assert [(r[0], r[1]) for r in rejects] == [
        (3, "bytes not valid gbk at offset 18"),
        (4, "expected 14 fields, found 3"),
    ]
    kept = spark.sql(
        "SELECT _record_number, result_value, _extra['备注'] FROM bronze.exam_system__exam_items "
        "WHERE _source_file = 'exam_system/exam_items_29990101.csv' ORDER BY 1"
    ).collect()
    assert [tuple(r) for r in kept] == [(2, "121", ""), (5, "122", "复查")]


def test_staging_in_worker_processes_gives_what_staging_in_process_gives(settings, generated, monkeypatch, tmp_path):
    import hashlib
    from datetime import UTC, datetime

    import pyarrow.parquet as pq

    fmt = source_format("home_bp_devices")
    files = [
        (p, str(p.relative_to(settings.landing_dir)), hashlib.sha256(p.read_bytes()).hexdigest())
        for p in ingest_files.landed_files(settings, fmt)[:12]
    ]
    now = datetime.now(UTC)
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    in_process = ingest_files._stage_all(files, fmt, "run", now, tmp_path / "a")
    monkeypatch.setattr(ingest_files, "PARALLEL_PARSE_BYTES", 0)
    in_workers = ingest_files._stage_all(files, fmt, "run", now, tmp_path / "b")
    assert len(in_workers) == len(in_process) == 12  # one outcome per file, in the files' order
    for a, b in zip(in_process, in_workers, strict=True):
        assert a.good_rows == b.good_rows > 0 and a.unknown_headers == b.unknown_headers
        assert (a.rejects is None and b.rejects is None) or a.rejects.equals(b.rejects)

    def staged(side):
        parts = sorted((tmp_path / side).iterdir())
        return parts, pq.read_table(parts).sort_by([("_source_file", "ascending"), ("_record_number", "ascending")])

    (one_part, rows_a), (parts, rows_b) = staged("a"), staged("b")
    assert len(one_part) == 1 and len(parts) > 1  # shared out in chunks, each its own Parquet file
    assert rows_a.equals(rows_b) and rows_a.num_rows == sum(s.good_rows for s in in_process)


def test_chunks_keep_the_files_order_and_bound_their_bytes(tmp_path):
    sizes = [5, 3, 4, 12, 1, 1]
    files = []
    for i, size in enumerate(sizes):
        (tmp_path / f"f{i}").write_bytes(b"x" * size)
        files.append((tmp_path / f"f{i}", f"f{i}", str(i)))
    grouped = ingest_files.chunks(files, 8)
    assert [[sha for _, _, sha in chunk] for chunk in grouped] == [["0", "1"], ["2"], ["3"], ["4", "5"]]
