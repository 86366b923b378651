"""Open Data Contract Standard (ODCS v3) contracts, and the Great Expectations checks made from them.

One contract per table in `data_contracts/<layer>/<table>.odcs.yaml` (`sources/` holds the inbound
contracts of the bronze feeds). Contracts are the one place a table's columns, keys,
classification and quality rules are written: the checks below are derived from them, never
retyped, and a job whose output columns differ from its contract does not publish.

What each part of a contract becomes (every check has a Kahn category and a severity):

| contract                                      | expectation                          | category     | checked on |
|-----------------------------------------------|--------------------------------------|--------------|------------|
| each property                                 | column exists, of its physicalType   | conformance  | published  |
| `required: true`                              | not null                             | completeness | published  |
| `primaryKey` (all key properties)             | unique (compound)                    | plausibility | published  |
| `logicalTypeOptions.pattern`                  | matches regex                        | conformance  | published  |
| `logicalTypeOptions.minimum` / `maximum`      | between                              | plausibility | published  |
| property `quality`, metric `nullValues`       | not null (`mustBeLessOrEqualTo` % → mostly) | completeness | batch |
| property `quality`, metric `invalidValues`    | in `validValues` / matches `pattern` | conformance  | batch      |
| property `quality`, metric `duplicateValues`  | unique                               | plausibility | batch      |
| `quality` type `custom`, engine great-expectations | the expectation named, as written | by dimension | batch      |

"published" checks are the table's invariants, always at error severity: they run on the rows about
to be published. "batch" checks are the data owner's rules with the severity the contract gives:
they run on everything the batch delivered (the newest version of each record, including rows the
row rules send to quarantine), so an `error` rule stops a batch with even one such row, and a
`warning` rule records how many rows broke it. On gold tables both kinds run on the whole table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from healthlake.quality import Check

ODCS_SCHEMA = ("open_data_contract_standard", "schema.json")
CLASSIFICATIONS = ("direct-identifier", "quasi-identifier", "sensitive-health", "none")
# ODCS quality dimensions -> the Kahn framework's categories (as OHDSI's Data Quality Dashboard uses them).
KAHN = {
    "conformity": "conformance",
    "consistency": "conformance",
    "completeness": "completeness",
    "coverage": "completeness",
    "accuracy": "plausibility",
    "uniqueness": "plausibility",
    "timeliness": "plausibility",
}
# Spark's type names for the physicalType a contract writes (what GE's type check compares).
SPARK_TYPES = {
    "string": "StringType",
    "double": "DoubleType",
    "int": "IntegerType",
    "bigint": "LongType",
    "boolean": "BooleanType",
    "date": "DateType",
    "timestamp": "TimestampType",
    "timestamp_ntz": "TimestampNTZType",
    "array<string>": "ArrayType",
    "map<string,string>": "MapType",
    "decimal": "DecimalType",
}
PUBLISHED = "_rule_id IS NULL"  # the rows of a silver batch no row rule rejected


class ContractError(ValueError):
    """A contract is missing, does not validate against ODCS, or says something healthlake cannot check."""


@dataclass(frozen=True)
class Contract:
    path: Path
    document: dict[str, Any]

    @property
    def table(self) -> str:
        return self.document["schema"][0]["physicalName"]

    @property
    def schema(self) -> dict[str, Any]:
        return self.document["schema"][0]

    @property
    def properties(self) -> list[dict[str, Any]]:
        return self.schema["properties"]

    @property
    def columns(self) -> list[str]:
        return [p["name"] for p in self.properties]

    @property
    def primary_key(self) -> list[str]:
        keyed = [p for p in self.properties if p.get("primaryKey")]
        return [p["name"] for p in sorted(keyed, key=lambda p: p.get("primaryKeyPosition", 0))]

    def custom(self, name: str, default: Any = None) -> Any:
        for item in self.document.get("customProperties", []):
            if item["property"] == name:
                return item["value"]
        return default

    @property
    def source_system(self) -> str:
        """Whose data quality a check measures: the feed's system for an inbound contract."""
        return self.custom("sourceSystem", "healthlake")

    def classification(self) -> dict[str, str]:
        return {p["name"]: p["classification"] for p in self.properties}


def schema_path() -> Path:
    return Path(str(resources.files(ODCS_SCHEMA[0]).joinpath(ODCS_SCHEMA[1])))


@cache
def _validator():
    import jsonschema

    schema = json.loads(schema_path().read_text())
    return jsonschema.Draft201909Validator(schema)


def problems(document: dict[str, Any]) -> list[str]:
    """Why a contract is not valid ODCS, or not one healthlake can enforce (empty when it is)."""
    errors = _validator().iter_errors(document)
    found = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]
    schemas = document.get("schema") or []
    if len(schemas) != 1:
        return [*found, "schema: one table per contract"]
    for prop in schemas[0].get("properties", []):
        if prop.get("classification") not in CLASSIFICATIONS:
            found.append(f"{prop.get('name')}: classification must be one of {', '.join(CLASSIFICATIONS)}")
        if prop.get("physicalType") not in SPARK_TYPES:
            found.append(f"{prop.get('name')}: physicalType {prop.get('physicalType')!r} is not in {list(SPARK_TYPES)}")
    return found


def path_of(settings, table: str) -> Path:
    """`silver.observations` -> data_contracts/silver/observations.odcs.yaml;
    `bronze.his__visits` -> data_contracts/sources/his__visits.odcs.yaml (the feed's inbound contract)."""
    layer, name = table.split(".", 1)
    folder = "sources" if layer == "bronze" else layer
    return settings.contracts_dir / folder / f"{name}.odcs.yaml"


def load(settings, table: str) -> Contract:
    path = path_of(settings, table)
    if not path.is_file():
        raise ContractError(f"{table} has no contract: {path} is missing")
    return read(path)


def read(path: Path) -> Contract:
    stat = path.stat()
    return _read(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _read(path: Path, mtime_ns: int, size: int) -> Contract:
    """Parsed and validated once per version of the file: every check of every job reads contracts,
    and their validation against the ODCS schema took 3 s for the gold marts' checks alone."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = problems(document)
    if found:
        raise ContractError(f"{path}: not a valid contract: " + "; ".join(found[:5]))
    return Contract(path, document)


def all_contracts(settings) -> list[Contract]:
    return [read(p) for p in sorted(settings.contracts_dir.glob("*/*.odcs.yaml"))]


def column_drift(contract: Contract, columns: list[str]) -> str | None:
    """A message when a table's columns are not exactly its contract's (None when they are)."""
    extra = [c for c in columns if c not in contract.columns]
    missing = [c for c in contract.columns if c not in columns]
    if not extra and not missing:
        return None
    parts = []
    if missing:
        parts.append(f"contracted columns missing: {', '.join(missing)}")
    if extra:
        parts.append(f"columns not in the contract: {', '.join(extra)}")
    return f"{contract.table} does not match {contract.path.name}: " + "; ".join(parts)


def checks(contract: Contract, batch: bool = False) -> list[Check]:
    """Every check the contract implies. `batch`: a silver batch, where the table's invariants apply
    to the rows about to be published only (see the module docstring)."""
    published = {"row_condition": PUBLISHED, "condition_parser": "spark"} if batch else {}
    table = contract.table
    found: list[Check] = []

    def invariant(check_id: str, expectation: str, kwargs: dict, category: str) -> None:
        found.append(Check(expectation, {**kwargs, **published}, "error", check_id, category))

    for prop in contract.properties:
        column = prop["name"]
        invariant(f"{column}.type", "ExpectColumnValuesToBeOfType",
                  {"column": column, "type_": SPARK_TYPES[prop["physicalType"]]}, "conformance")  # fmt: skip
        if prop.get("required"):
            invariant(f"{column}.required", "ExpectColumnValuesToNotBeNull", {"column": column}, "completeness")
        options = prop.get("logicalTypeOptions", {})
        if "pattern" in options:
            invariant(f"{column}.pattern", "ExpectColumnValuesToMatchRegex",
                      {"column": column, "regex": options["pattern"]}, "conformance")  # fmt: skip
        if "minimum" in options or "maximum" in options:
            invariant(f"{column}.range", "ExpectColumnValuesToBeBetween",
                      {"column": column, "min_value": options.get("minimum"), "max_value": options.get("maximum")},
                      "plausibility")  # fmt: skip
        for rule in prop.get("quality", []):
            found.append(_library_check(table, column, rule))
    key = contract.primary_key
    if len(key) > 1:
        invariant("primary_key.unique", "ExpectCompoundColumnsToBeUnique", {"column_list": key}, "plausibility")
    elif key:
        invariant("primary_key.unique", "ExpectColumnValuesToBeUnique", {"column": key[0]}, "plausibility")
    for rule in contract.schema.get("quality", []):
        found.append(_custom_check(table, rule))
    return found


def _rule_severity(table: str, rule: dict) -> str:
    severity = rule.get("severity", "error")
    if severity not in ("error", "warning"):
        raise ContractError(f"{table}: rule {rule.get('id')}: severity must be error or warning, not {severity!r}")
    return severity


def _library_check(table: str, column: str, rule: dict) -> Check:
    metric, arguments = rule.get("metric"), rule.get("arguments", {})
    check_id = rule.get("id") or f"{column}.{metric}"
    severity, category = _rule_severity(table, rule), KAHN[rule.get("dimension", "conformity")]
    mostly = {}
    if rule.get("unit") == "percent" and "mustBeLessOrEqualTo" in rule:
        mostly = {"mostly": 1 - rule["mustBeLessOrEqualTo"] / 100}
    elif rule.get("mustBe", 0) != 0:
        raise ContractError(f"{table}: rule {check_id}: only mustBe: 0 or a percent limit is supported")
    if metric in ("nullValues", "missingValues"):
        return Check("ExpectColumnValuesToNotBeNull", {"column": column, **mostly}, severity, check_id, category)
    if metric == "invalidValues" and "validValues" in arguments:
        kwargs = {"column": column, "value_set": arguments["validValues"], **mostly}
        return Check("ExpectColumnValuesToBeInSet", kwargs, severity, check_id, category)
    if metric == "invalidValues" and "pattern" in arguments:
        kwargs = {"column": column, "regex": arguments["pattern"], **mostly}
        return Check("ExpectColumnValuesToMatchRegex", kwargs, severity, check_id, category)
    if metric == "duplicateValues":
        return Check("ExpectColumnValuesToBeUnique", {"column": column}, severity, check_id, category)
    raise ContractError(f"{table}: rule {check_id}: metric {metric} with {sorted(arguments)} is not supported")


def _custom_check(table: str, rule: dict) -> Check:
    if rule.get("type") != "custom" or rule.get("engine") != "great-expectations":
        raise ContractError(f"{table}: table rule {rule.get('id')}: only custom great-expectations rules are supported")
    implementation = rule["implementation"]
    kwargs = dict(implementation.get("kwargs", {}))
    if "row_condition" in implementation:
        kwargs |= {"row_condition": implementation["row_condition"], "condition_parser": "spark"}
    return Check(
        implementation["expectation"], kwargs, _rule_severity(table, rule), rule["id"],
        KAHN[rule.get("dimension", "accuracy")],
    )  # fmt: skip
