"""Every table the pipeline writes is exactly its contract, and every check it ran is in
quality.dq_results with its category and severity."""

from healthlake import contracts, inbound_contracts


def test_inbound_contracts_are_what_the_source_formats_say(settings):
    folder = settings.contracts_dir / "sources"
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.odcs.yaml")}
    assert on_disk == inbound_contracts.render(), "run `healthlake contracts --write-inbound`"


def test_every_bronze_feed_table_is_exactly_its_inbound_contract(spark, settings, file_bronze, his_bronze):
    for contract in contracts.all_contracts(settings):
        if contract.table.startswith("bronze."):
            assert spark.table(contract.table).columns == contract.columns, contract.table


def test_each_delivery_is_scored_against_its_inbound_contract(spark, file_bronze, his_bronze):
    scored = spark.sql(
        "SELECT table_name, source_system, count(*) AS checks, count_if(severity = 'warning') AS warnings "
        "FROM quality.dq_results WHERE layer = 'bronze' GROUP BY 1, 2"
    ).collect()
    by_table = {r.table_name: r for r in scored}
    assert by_table["bronze.exam_system__exam_items"].source_system == "exam_system"
    assert by_table["bronze.his__patients"].source_system == "his"
    assert by_table["bronze.home_bp_devices__readings"].source_system == "home_bp_devices"
    assert all(r.warnings > 0 for r in scored)


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
