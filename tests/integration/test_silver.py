"""Silver on real Delta tables: reconciliation per batch, rule ids for a corrupted batch, idempotent
re-runs, cancellations that leave silver, and the Great Expectations gate (write, audit, publish)."""

import dataclasses
import json
import shutil

import pytest
import yaml
from delta_history import table_version

from healthlake import contracts
from healthlake.his_database import connect
from healthlake.quality import QualityGateError
from healthlake.schemas import source_format
from healthlake.settings import LAYERS
from jobs.bronze import extract_database, ingest_files
from jobs.silver import JOBS, standardise

ENTITY_TABLES = [job for job in JOBS if job != "residents"]


def _outcomes(result) -> dict[str, int]:
    """published/rejected from the counts, cancelled/superseded from the detail line."""
    detail = result.detail
    cancelled = int(detail.split(" cancelled")[0].split()[-1])
    superseded = int(detail.split(" superseded")[0].split()[-1])
    return {"published": result.rows_written, "rejected": result.rows_rejected,
            "cancelled": cancelled, "superseded": superseded}  # fmt: skip


@pytest.mark.parametrize("job", ENTITY_TABLES)
def test_every_bronze_row_is_published_quarantined_cancelled_or_superseded(spark, silver, bronze_at_silver, job):
    result = silver[job]
    entity = standardise.ENTITIES[job]
    bronze_rows = sum(bronze_at_silver[t] for t in entity.bronze_tables)
    outcomes = _outcomes(result)
    assert result.rows_in == bronze_rows > 0
    assert sum(outcomes.values()) == bronze_rows
    published = spark.sql(f"SELECT count(*) FROM silver.{job} WHERE _run_id = 'test_silver'").collect()[0][0]
    assert published == outcomes["published"]
    quarantined = spark.sql(
        "SELECT count(*) FROM quarantine.silver_rejects "
        f"WHERE target_table = 'silver.{job}' AND _run_id = 'test_silver'"
    )
    assert quarantined.collect()[0][0] == outcomes["rejected"]


def test_every_identity_record_resolves_to_a_resident(spark, silver):
    crosswalk = spark.table("restricted.identity_crosswalk")
    # Later tests re-resolve a changed record or add new ones; none is ever dropped.
    assert crosswalk.count() >= silver["residents"].rows_in
    assert crosswalk.where("resident_key IS NULL").count() == 0
    residents = spark.table("silver.residents")
    assert residents.count() == crosswalk.select("resident_key").distinct().count()
    assert spark.table("restricted.resident_golden").where("is_current").count() == residents.count()


def test_cancelled_visits_and_their_diagnoses_are_not_in_silver(spark, silver):
    cancelled = spark.sql("SELECT count(*) FROM bronze.his__outpatient_visits WHERE status = 'cancelled'").collect()[0][
        0
    ]
    assert cancelled > 0 and _outcomes(silver["encounters"])["cancelled"] == cancelled
    assert spark.table("silver.encounters").where("status = 'cancelled'").count() == 0
    orphans = spark.sql(
        "SELECT count(*) FROM silver.diagnoses d LEFT ANTI JOIN silver.encounters e USING (encounter_key)"
    ).collect()[0][0]
    assert orphans == 0


def test_diagnoses_are_who_codes_with_their_place_in_the_tree(spark, silver):
    rows = spark.sql(
        "SELECT icd10_code_as_sent, icd10_code, icd10_extension, icd10_category, icd10_chapter, coded_from_name "
        "FROM silver.diagnoses"
    ).collect()
    by_sent = {r["icd10_code_as_sent"]: r for r in rows}
    assert by_sent["E11.900"]["icd10_code"] == "E11.9" and by_sent["E11.900"]["icd10_extension"] == "00"
    assert by_sent["I10.x00"]["icd10_code"] == "I10" and by_sent["I10.x00"]["icd10_chapter"] == "IX"
    assert all(r["icd10_category"] == r["icd10_code"][:3] for r in rows)
    named = [r for r in rows if r["coded_from_name"]]
    assert named and all(not (r["icd10_code_as_sent"] or "").strip() for r in named)


def test_printed_text_codes_map_to_the_value_domain(spark, silver):
    codes = spark.sql("SELECT DISTINCT method_code, adherence_code FROM silver.chronic_followups").collect()
    assert {r[0] for r in codes} <= {"1", "2", "3"} and {r[1] for r in codes} <= {"1", "2", "3"}
    texts = spark.sql(
        "SELECT count(*) FROM bronze.public_health__chronic_followups WHERE method_code IN ('门诊', '家庭', '电话')"
    ).collect()[0][0]
    assert texts > 0  # the generator's centres that print text are in bronze, and all of them mapped


def test_a_centres_own_date_and_unit_conventions_are_normalised_not_quarantined(spark, silver):
    sent = spark.sql(
        "SELECT count(*) FROM bronze.exam_system__exam_items WHERE unit IN ('mg/dL', 'm') AND exam_date LIKE '%/%'"
    ).collect()[0][0]
    assert sent > 0
    rejected = spark.sql(
        "SELECT count(*) FROM quarantine.silver_rejects WHERE rule_id IN ('unit.unknown', 'exam_date.unparseable') "
        "AND source_record NOT LIKE 'exam_system/exam_items_299%'"
    ).collect()[0][0]
    assert rejected == 0
    by_element = dict(
        spark.sql(
            "SELECT element, avg(value) FROM silver.observations WHERE institution_code = 'C4302021' "
            "AND element IN ('fpg_mmol_l', 'height_cm') GROUP BY 1"
        ).collect()
    )
    assert 4 < by_element["fpg_mmol_l"] < 9 and 150 < by_element["height_cm"] < 175


def test_tcm_rescoring_agrees_with_the_systems_verdict(spark, silver):
    agreement = spark.sql("SELECT agrees_with_system, count(*) FROM silver.tcm_assessments GROUP BY 1").collect()
    assert dict(agreement) == {True: silver["tcm_assessments"].rows_written}


def test_rerun_on_unchanged_input_changes_no_data(spark, settings, silver):
    tables = [f"silver.{t}" for t in ENTITY_TABLES]
    tables += [
        "silver.residents",
        "quarantine.silver_rejects",
        "restricted.identity_crosswalk",
        "restricted.resident_golden",
    ]
    for job in JOBS:  # catch up with whatever earlier tests delivered
        standardise.run(spark, settings, "test_silver_catch_up", job)
    before = {t: table_version(spark, t) for t in tables}
    again = [standardise.run(spark, settings, "test_silver_again", job) for job in JOBS]
    assert all(r.rows_in == 0 for r in again), [r.detail for r in again]
    assert {t: table_version(spark, t) for t in tables} == before


def test_a_full_restandardisation_of_unchanged_bronze_writes_nothing(spark, settings, silver):
    """Forget the progress (as a full refresh would): every row is seen again, none is written."""
    before = table_version(spark, "silver.encounters")
    spark.sql("DELETE FROM silver.job_progress WHERE consumer = 'silver.encounters'")
    again = standardise.run(spark, settings, "test_full_again", "encounters")
    assert again.rows_in > 0 and again.detail.startswith("0 new or changed")
    assert table_version(spark, "silver.encounters") == before


def test_his_updates_and_cancellations_propagate(spark, settings, silver):
    with connect(settings) as conn:
        visit_id = conn.execute(
            "SELECT visit_id FROM his.outpatient_visits v WHERE status = 'active' AND EXISTS "
            "(SELECT 1 FROM his.diagnoses d WHERE d.encounter_type = 'O' AND d.encounter_id = v.visit_id) LIMIT 1"
        ).fetchone()[0]
        conn.execute("UPDATE his.outpatient_visits SET status = 'cancelled', updated_at = now() WHERE visit_id = %s",
                     (visit_id,))  # fmt: skip
        conn.execute(
            "UPDATE his.diagnoses SET status = 'cancelled', updated_at = now() "
            "WHERE encounter_type = 'O' AND encounter_id = %s",
            (visit_id,),
        )
        conn.commit()
    for table in ("outpatient_visits", "diagnoses"):
        extract_database.run(spark, settings, table, run_id="test_cancel_extract")
    before = spark.table("silver.diagnoses").count()
    results = {job: standardise.run(spark, settings, "test_cancel", job) for job in ("encounters", "diagnoses")}
    assert _outcomes(results["encounters"])["cancelled"] == 1 and "1 removed" in results["encounters"].detail
    removed = int(results["diagnoses"].detail.split(" removed")[0].split()[-1])
    assert removed >= 1 and spark.table("silver.diagnoses").count() == before - removed


def test_a_corrupted_batch_lands_in_quarantine_under_the_right_rules(spark, settings, silver):
    fmt = source_format("exam_system")
    header = ",".join(c.header for c in fmt.columns)
    person = "王五,男,1949-12-31,01,11010519491231002X,13800000000"
    lines = {
        "exam_date.unparseable": f"TJX1,2026-02-30,H1,{person},TJ011,收缩压,120,mmHg",
        "item_code.unknown": f"TJX2,2026-03-01,H1,{person},ZZ999,未知,1,mmHg",
        "result_value.not_numeric": f"TJX3,2026-03-01,H1,{person},TJ011,收缩压,未测,mmHg",
        "unit.unknown": f"TJX4,2026-03-01,H1,{person},TJ011,收缩压,120,psi",
        "result_value.out_of_range": f"TJX5,2026-03-01,H1,{person},TJ011,收缩压,999,mmHg",
    }
    name = "exam_items_29980101.csv"
    (settings.landing_dir / "exam_system" / name).write_bytes(
        ("\n".join([header, *lines.values(), f"TJX6,2026-03-01,H1,{person},TJ011,收缩压,118,mmHg"]) + "\n").encode(
            "gbk"
        )
    )
    ingest_files.run(spark, settings, "exam_system", run_id="test_corrupt_ingest")
    standardise.run(spark, settings, "test_corrupt", "residents")
    result = standardise.run(spark, settings, "test_corrupt", "observations")
    assert (result.rows_in, result.rows_written, result.rows_rejected) == (6, 1, 5)
    got = dict(
        spark.sql(
            "SELECT rule_id, concat(field, '=', raw_value) FROM quarantine.silver_rejects "
            f"WHERE source_record LIKE '%{name}:%'"
        ).collect()
    )
    assert got == {
        "exam_date.unparseable": "exam_date=2026-02-30",
        "item_code.unknown": "item_code=ZZ999",
        "result_value.not_numeric": "result_value=未测",
        "unit.unknown": "unit=psi",
        "result_value.out_of_range": "result_value=999",
    }


def test_silver_holds_no_direct_identifiers(spark, silver):
    for table in ["residents", *ENTITY_TABLES]:
        columns = set(spark.table(f"silver.{table}").columns)
        assert not columns & {"name", "id_number", "phone", "address", "exam_id", "device_sn", "patient_id"}, table
        keys = spark.sql(f"SELECT resident_key FROM silver.{table} LIMIT 5").collect()
        assert keys and all(len(r[0]) == 64 for r in keys), table
    assert "restricted" in LAYERS


def test_the_checkpoint_builds_data_docs_where_the_summary_points(settings, silver):
    index = settings.data_docs_index
    assert index.exists()
    assert "observations" in " ".join(p.name for p in index.parent.rglob("*"))


def _contracts_with(settings, tmp_path, table: str, rule_id: str, severity: str):
    """A copy of the contracts where the data owner has set one rule's severity."""
    copy = tmp_path / "data_contracts"
    shutil.copytree(settings.contracts_dir, copy)
    path = copy / "silver" / f"{table}.odcs.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = [r for r in document["schema"][0]["quality"] if r["id"] == rule_id]
    assert rules, rule_id
    rules[0]["severity"] = severity
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return dataclasses.replace(settings, contracts_dir=copy)


def test_a_systolic_999_stops_the_batch_at_error_severity_and_is_recorded_at_warning(spark, settings, silver, tmp_path):
    # A new day's file arrives with one impossible systolic pressure ...
    line = "TJ777{i},2026-03-0{i},H1,王五,男,1949-12-31,01,11010519491231002X,13800000000,TJ011,收缩压,{v},mmHg"
    header = ",".join(c.header for c in source_format("exam_system").columns)
    rows = [line.format(i=i, v=v) for i, v in ((1, 150), (2, 999))]
    (settings.landing_dir / "exam_system" / "exam_items_29990301.csv").write_bytes(
        ("\n".join([header, *rows]) + "\n").encode("gbk")
    )
    ingest_files.run(spark, settings, "exam_system", run_id="test_gate_ingest")
    standardise.run(spark, settings, "test_gate", "residents")
    published_before = spark.table("silver.observations").count()
    version_before = table_version(spark, "silver.observations")

    # ... and the data owner has made the systolic plausibility rule an error: nothing is published.
    strict = _contracts_with(settings, tmp_path, "observations", "sbp_mmhg_plausible", "error")
    with pytest.raises(QualityGateError) as failure:
        standardise.run(spark, strict, "test_gate_blocked", "observations")
    assert str(failure.value) == (
        "silver.observations: batch not published, error-severity checks failed: sbp_mmhg_plausible failed on 1 rows"
    )
    assert table_version(spark, "silver.observations") == version_before

    # At the contract's own severity (warning) the batch is published, the 999 goes to quarantine
    # under its row rule, and the failed check is recorded with its count.
    published = standardise.run(spark, settings, "test_gate_warning", "observations")
    assert "sbp_mmhg_plausible: 1 rows" in published.detail
    assert spark.table("silver.observations").count() == published_before + 1
    rejected = spark.sql(
        "SELECT rule_id, raw_value FROM quarantine.silver_rejects WHERE _run_id = 'test_gate_warning'"
    ).collect()
    assert [tuple(r) for r in rejected] == [("result_value.out_of_range", "999")]
    results = {
        (r.run_id, r.check_id): (r.severity, r.status, r.failing_rows)
        for r in spark.sql("SELECT * FROM quality.dq_results WHERE table_name = 'silver.observations'").collect()
    }
    assert results[("test_gate_blocked", "sbp_mmhg_plausible")] == ("error", "failed", 1)
    assert results[("test_gate_warning", "sbp_mmhg_plausible")] == ("warning", "failed", 1)
    assert results[("test_gate_warning", "unit_is_standard")] == ("error", "passed", 0)
    assert results[("test_gate_warning", "value.type")][1] == "passed"
    # The count of failing rows is kept, never their values: no record value reaches Data Docs.
    stored = [p.read_text(encoding="utf-8") for p in settings.gx_dir.rglob("*") if "test_gate_warning" in p.parts
              and p.is_file()]  # fmt: skip
    assert stored and not any("999.0" in text for text in stored)


def test_a_job_that_drops_a_contracted_column_does_not_publish(spark, settings, silver, monkeypatch):
    line = "TJ776{i},2026-03-0{i},H1,王五,男,1949-12-31,01,11010519491231002X,13800000000,TJ011,收缩压,{v},mmHg"
    header = ",".join(c.header for c in source_format("exam_system").columns)
    rows = [line.format(i=i, v=v) for i, v in ((3, 128), (4, 131))]
    (settings.landing_dir / "exam_system" / "exam_items_29990302.csv").write_bytes(
        ("\n".join([header, *rows]) + "\n").encode("gbk")
    )
    ingest_files.run(spark, settings, "exam_system", run_id="test_drift_ingest")
    standardise.run(spark, settings, "test_drift_residents", "residents")
    version_before = table_version(spark, "silver.observations")
    entity = standardise.ENTITIES["observations"]

    def without_unit(batch):
        standardised = entity.standardise(batch)
        return dataclasses.replace(standardised, rows=standardised.rows.drop("unit"))

    monkeypatch.setitem(standardise.ENTITIES, "observations", dataclasses.replace(entity, standardise=without_unit))
    with pytest.raises(QualityGateError) as failure:
        standardise.run(spark, settings, "test_drift", "observations")
    assert str(failure.value) == (
        "silver.observations does not match observations.odcs.yaml: contracted columns missing: unit: "
        "batch not published"
    )
    assert table_version(spark, "silver.observations") == version_before
    monkeypatch.undo()
    assert standardise.run(spark, settings, "test_drift_fixed", "observations").rows_written == 2


def test_every_silver_table_is_exactly_its_contract(spark, settings, silver):
    for contract in contracts.all_contracts(settings):
        if contract.table.startswith("silver."):
            assert spark.table(contract.table).columns == contract.columns, contract.table


def test_unmapped_codes_are_listed_for_curation(spark, silver):
    listing = spark.table("quarantine.icd10_unmapped")
    assert set(listing.columns) >= {"code_or_name", "rule_id", "diagnoses"}
    quarantined = spark.sql("SELECT count(*) FROM quarantine.silver_rejects WHERE rule_id LIKE 'icd10.%'").collect()[0][
        0
    ]
    assert listing.agg({"diagnoses": "sum"}).collect()[0][0] in (quarantined, None if quarantined == 0 else -1)
    json.dumps([r.asDict() for r in listing.collect()], default=str)  # plain values a curator can export


def test_silver_checks_are_recorded_passed_and_failed_with_their_categories(spark, silver):
    rows = spark.sql(
        "SELECT table_name, check_id, category, severity, status, failing_rows FROM quality.dq_results "
        "WHERE layer = 'silver' AND run_id = 'test_silver'"
    ).collect()
    assert {r.table_name for r in rows} >= {"silver.residents", "silver.observations", "silver.device_readings"}
    assert {r.category for r in rows} == {"conformance", "completeness", "plausibility"}
    assert {r.status for r in rows} == {"passed", "failed"}  # the generator sends implausible values
    failed = [r for r in rows if r.status == "failed"]
    assert all(r.severity == "warning" and r.failing_rows > 0 for r in failed), failed
