"""A backfill over a date range ingests exactly the files of that range that bronze lacks."""

from datetime import date

from healthlake.cli import main
from jobs.bronze import ingest_files

TABLE = "bronze.exam_system__exam_items"


def _deliver_late_files(settings) -> list[str]:
    """Three January files re-dated to March 2031 (and so new to bronze), as a late delivery."""
    folder = settings.landing_dir / "exam_system"
    names = []
    for day, source in zip((1, 2, 3), sorted(folder.glob("exam_items_202601*.csv"))[:3], strict=True):
        name = f"exam_items_203103{day:02d}.csv"
        data = source.read_bytes().replace(b"2026-01-", b"2031-03-").replace(b"TJ202601", b"TJ203103")
        (folder / name).write_bytes(data)
        names.append(name)
    return names


def _rows_of(spark, names) -> dict[str, int]:
    files = ", ".join(f"'exam_system/{n}'" for n in names)
    query = f"SELECT _source_file, count(*) FROM {TABLE} WHERE _source_file IN ({files}) GROUP BY 1"
    return dict(spark.sql(query).collect())


def test_backfill_takes_only_the_range_then_only_what_is_missing(spark, settings, bronze, capsys):
    names = _deliver_late_files(settings)
    first = ingest_files.run(spark, settings, "exam_system", "test_backfill_1", date(2031, 3, 2), date(2031, 3, 3))
    assert first.detail.startswith("2 new files, 0 already ingested")
    assert sorted(_rows_of(spark, names)) == [f"exam_system/{n}" for n in names[1:]]

    # Through Airflow, over the whole month: only the missing first day is taken.
    assert main(["backfill", "exam_system_ingest", "--from", "2031-03-01", "--to", "2031-03-31"]) == 0
    out = capsys.readouterr().out
    assert "1 new files, 2 already ingested (files dated 2031-03-01 to 2031-03-31)" in out
    assert "exam_system_ingest success" in out
    assert sorted(_rows_of(spark, names)) == [f"exam_system/{n}" for n in names]
    for name in names:
        (settings.landing_dir / "exam_system" / name).unlink()


def test_file_dates_come_from_the_name():
    assert ingest_files.file_date("readings_20260115T0800.jsonl") == date(2026, 1, 15)
    assert ingest_files.file_date("exam_items_20261340.csv") is None
    assert ingest_files.file_date("notes.csv") is None
