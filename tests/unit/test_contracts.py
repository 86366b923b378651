"""The ODCS contracts: each validates against the standard's JSON Schema, every published table has
one, and the checks derived from them are the ones the contract states."""

import copy

import pytest
import yaml

from healthlake import contracts
from healthlake.settings import get_settings
from jobs.silver import JOBS

SETTINGS = get_settings()
ALL = contracts.all_contracts(SETTINGS)


def _gold_models() -> set[str]:
    marts = SETTINGS.dbt_project_dir / "models" / "marts"
    return {p.stem for p in marts.rglob("*.sql")}


def test_every_published_table_has_a_contract():
    tables = {c.table for c in ALL}
    assert {f"silver.{job}" for job in JOBS} <= tables
    assert {f"gold.{model}" for model in _gold_models()} <= tables


@pytest.mark.parametrize("contract", ALL, ids=lambda c: c.table)
def test_each_contract_validates_against_odcs_and_classifies_every_column(contract):
    assert contracts.problems(contract.document) == []
    assert contract.document["apiVersion"].startswith("v3.")
    assert all(p.get("description") for p in contract.properties), contract.table
    assert contract.primary_key, f"{contract.table} states no primary key"
    assert contract.document.get("slaProperties"), f"{contract.table} states no freshness"
    assert contract.document["team"]["members"][0]["role"]


def test_the_validator_rejects_what_odcs_or_healthlake_does_not_accept():
    document = copy.deepcopy(ALL[0].document)
    document["kind"] = "Contract"
    document["schema"][0]["properties"][0]["classification"] = "secret"
    document["schema"][0]["properties"][1]["quality"] = [{"metric": "averageValue", "mustBe": 0}]
    found = " | ".join(contracts.problems(document))
    assert "kind" in found and "classification must be one of" in found and "averageValue" in found


def test_checks_are_derived_from_the_contract_with_their_severity_and_category():
    contract = contracts.read(SETTINGS.contracts_dir / "silver" / "device_readings.odcs.yaml")
    checks = {c.check_id: c for c in contracts.checks(contract, batch=True)}
    # Invariants of the published rows: always errors, only on rows no row rule rejected.
    assert checks["reading_key.required"].severity == "error"
    assert checks["reading_key.required"].kwargs["row_condition"] == contracts.PUBLISHED
    assert checks["primary_key.unique"].expectation == "ExpectColumnValuesToBeUnique"
    assert checks["resident_key.pattern"].kwargs["regex"] == "^[0-9a-f]{64}$"
    assert checks["sbp_mmhg.type"].kwargs["type_"] == "DoubleType"
    # The owner's rules: the severity written, on every delivered row.
    sbp = checks["sbp_mmhg_plausible"]
    assert (sbp.severity, sbp.category, sbp.expectation) == ("warning", "plausibility", "ExpectColumnValuesToBeBetween")
    assert (sbp.kwargs["min_value"], sbp.kwargs["max_value"]) == (50, 300)
    assert "row_condition" not in sbp.kwargs
    assert len(checks) == len(contracts.checks(contract, batch=True)), "check ids are unique"


def test_library_metrics_become_expectations():
    contract = contracts.read(SETTINGS.contracts_dir / "silver" / "residents.odcs.yaml")
    checks = {c.check_id: c for c in contracts.checks(contract)}
    sex = checks["sex_code_domain"]
    assert sex.expectation == "ExpectColumnValuesToBeInSet" and sex.kwargs["value_set"] == ["0", "1", "2", "9"]
    assert sex.category == "conformance"
    assert checks["district_code_format"].expectation == "ExpectColumnValuesToMatchRegex"
    assert "row_condition" not in checks["resident_key.required"].kwargs  # not a batch with rejects


def test_column_drift_names_missing_and_extra_columns():
    contract = contracts.read(SETTINGS.contracts_dir / "silver" / "residents.odcs.yaml")
    columns = [c for c in contract.columns if c != "birth_date"] + ["name"]
    assert contracts.column_drift(contract, columns) == (
        "silver.residents does not match residents.odcs.yaml: contracted columns missing: birth_date; "
        "columns not in the contract: name"
    )
    assert contracts.column_drift(contract, contract.columns) is None


def _mart_data_tests() -> list[tuple[str, str | None, str]]:
    """(model, column or None for a model-level test, test name) of every data test on a mart."""
    found = []
    for path in (SETTINGS.dbt_project_dir / "models" / "marts").rglob("*.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            owners = [(None, model)] + [(column["name"], column) for column in model.get("columns", [])]
            for column, owner in owners:
                for test in owner.get("data_tests") or []:
                    found.append((model["name"], column, test if isinstance(test, str) else next(iter(test))))
    return found


def test_no_mart_data_test_repeats_a_check_of_its_contract():
    # The contract owns what consumers are promised (grain, required columns, value sets); dbt keeps
    # what only a query across models can say. A repeat runs twice on every mart, and drifts.
    gold = {c.table.split(".", 1)[1]: c for c in ALL if c.table.startswith("gold.")}
    tests, repeats = _mart_data_tests(), []
    for model, column, test in tests:
        contract = gold[model]
        required = {p["name"] for p in contract.properties if p.get("required")}
        rules = [(p["name"], rule) for p in contract.properties for rule in p.get("quality", [])]
        valued = {name for name, rule in rules if rule.get("metric") == "invalidValues"}
        if (
            (test == "unique" and (column is None or [column] == contract.primary_key))
            or (test == "not_null" and column in required)
            or (test == "accepted_values" and column in valued)
        ):
            repeats.append(f"{model}.{column or '*'}: {test}")
    assert repeats == []
    assert {test for _, _, test in tests} >= {"relationships", "not_before_birth"}


def test_at_least_400_checks_per_full_run():
    # Every contract's checks run once per full run (dbt's data tests come on top).
    assert sum(len(contracts.checks(c)) for c in ALL) >= 400


def test_the_contracts_are_plain_yaml_a_data_owner_can_edit():
    for contract in ALL:
        assert yaml.safe_load(contract.path.read_text(encoding="utf-8")) == contract.document


def test_direct_identifiers_are_classified_and_only_in_the_restricted_zone():
    zones = {c.table: (c.custom("zone"), c.classification()) for c in ALL}
    for table, (zone, classes) in zones.items():
        direct = [column for column, cls in classes.items() if cls == "direct-identifier"]
        if table.startswith(("silver.", "gold.")):
            assert zone == "pseudonymous" and not direct, table
    # The inbound contracts take their classification from the feed formats: names and ID numbers.
    exam = zones["bronze.exam_system__exam_items"]
    assert exam[0] == "restricted"
    assert exam[1]["name"] == exam[1]["id_number"] == exam[1]["phone"] == "direct-identifier"
