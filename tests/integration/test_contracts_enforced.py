"""Bronze against the inbound contracts: each feed's table is exactly its contract, and each
delivery's checks are in quality.dq_results (the silver side is in test_silver.py; this module
runs before the HIS changes of test_his_extract and must not build the silver fixture)."""

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
