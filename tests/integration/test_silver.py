"""Silver on real Delta tables: reconciliation, rule ids against an independent reference,
idempotent re-runs, and the Great Expectations gate that keeps a failing batch unpublished."""

import pytest
from conftest import table_version

from healthlake.quality import Check, QualityGateError
from healthlake.schemas import data_elements, source_format
from healthlake.standards.id_number import is_valid
from jobs.bronze import ingest_files
from jobs.silver import exam_observations


def expected_rule(row, ranges) -> str | None:
    """The quarantine rule a bronze row should get, computed in plain Python."""
    id_number = (row["id_number"] or "").strip().upper()
    if not id_number:
        return "id_number.missing"
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return "id_number.format"  # legacy 15-digit numbers and passports, until silver upgrades them
    if not is_valid(id_number):
        return "id_number.checksum"
    try:
        value = float(row["result_value"])
    except ValueError:
        return "result_value.not_numeric"
    low, high = ranges[row["item_code"]]
    return "result_value.out_of_range" if not low <= value <= high else None


def test_bronze_reconciles_with_silver_and_quarantine(spark, bronze, silver):
    superseded = int(silver.detail.split(" superseded")[0].split()[-1])
    assert silver.rows_in == spark.table("bronze.exam_system__exam_items").count()
    assert silver.rows_in == silver.rows_written + silver.rows_rejected + superseded
    assert spark.table("silver.exam_observations").count() == silver.rows_written
    assert spark.table("quarantine.silver_rejects").count() == silver.rows_rejected


def test_quarantine_rules_match_an_independent_reference(spark, silver):
    fmt = source_format("exam_system")
    elements = data_elements()
    ranges = {code: elements[de].plausible for code, de in fmt.item_codes.items()}
    rows = spark.sql(
        "SELECT * FROM bronze.exam_system__exam_items WHERE _source_file <> 'exam_system/exam_items_29990101.csv'"
    ).collect()
    expected: dict[str, int] = {}
    for row in rows:
        rule = expected_rule(row, ranges)
        if rule:
            expected[rule] = expected.get(rule, 0) + 1
    got = dict(
        spark.sql(
            "SELECT rule_id, count(*) FROM quarantine.silver_rejects "
            "WHERE _source_file <> 'exam_system/exam_items_29990101.csv' GROUP BY 1"
        ).collect()
    )
    assert got == expected
    assert {"id_number.checksum", "id_number.missing", "result_value.not_numeric"} <= set(got)


def test_the_checkpoint_builds_data_docs_where_the_summary_points(settings, silver):
    index = settings.data_docs_index
    assert index.exists()
    assert "exam_observations" in " ".join(p.name for p in index.parent.rglob("*"))


def test_silver_holds_no_direct_identifiers(spark, silver):
    columns = set(spark.table("silver.exam_observations").columns)
    assert not columns & {"name", "id_number", "phone", "exam_id"}
    sample = spark.sql("SELECT resident_key FROM silver.exam_observations LIMIT 5").collect()
    assert all(len(r[0]) == 64 for r in sample)


def test_rerun_on_unchanged_input_changes_no_data(spark, settings, silver):
    before = (table_version(spark, "silver.exam_observations"), table_version(spark, "quarantine.silver_rejects"))
    again = exam_observations.run(spark, settings, run_id="test_silver_again")
    assert again.detail.startswith("0 new or changed")
    after = (table_version(spark, "silver.exam_observations"), table_version(spark, "quarantine.silver_rejects"))
    assert after == before


def test_error_checks_keep_a_failing_batch_unpublished(spark, settings, silver, monkeypatch):
    # A new day's file arrives ...
    line = "TJ777{i},2026-03-0{i},H1,王五,男,1949-12-31,01,11010519491231002X,13800000000,TJ011,收缩压,{v},mmHg"
    header = ",".join(c.header for c in source_format("exam_system").columns)
    rows = [line.format(i=i, v=v) for i, v in ((1, 150), (2, 165))]
    (settings.landing_dir / "exam_system" / "exam_items_29990301.csv").write_bytes(
        ("\n".join([header, *rows]) + "\n").encode("gbk")
    )
    ingest_files.run(spark, settings, "exam_system", run_id="test_gate_ingest")
    published_before = spark.table("silver.exam_observations").count()
    version_before = table_version(spark, "silver.exam_observations")

    # ... and an error-severity rule says no systolic pressure above 160 may be published.
    contracted = exam_observations.expectations
    limit = {"column": "value", "max_value": 160}
    monkeypatch.setattr(
        exam_observations,
        "expectations",
        lambda items: [*contracted(items), Check("ExpectColumnValuesToBeBetween", limit)],
    )
    over_160 = (
        spark.sql("SELECT count(*) FROM silver.exam_observations WHERE value > 160").collect()[0][0] + 1
    )  # the new 165 row
    with pytest.raises(QualityGateError) as failure:
        exam_observations.run(spark, settings, run_id="test_gate_blocked")
    message = str(failure.value)
    assert "silver.exam_observations" in message and "ExpectColumnValuesToBeBetween(value)" in message
    assert f"failed on {over_160} rows" in message
    assert table_version(spark, "silver.exam_observations") == version_before

    # At warning severity the same batch is published and the warning recorded.
    monkeypatch.setattr(
        exam_observations,
        "expectations",
        lambda items: [*contracted(items), Check("ExpectColumnValuesToBeBetween", limit, severity="warning")],
    )
    published = exam_observations.run(spark, settings, run_id="test_gate_warning")
    assert f"ExpectColumnValuesToBeBetween(value): {over_160} rows" in published.detail
    assert spark.table("silver.exam_observations").count() == published_before + 2
