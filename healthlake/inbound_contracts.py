"""The inbound contracts: one ODCS contract per source feed, rendered from the feed's format in
schemas/sources/ and schemas/databases/ (where the columns, their data elements and their
classification are written once). `healthlake contracts` writes them to data_contracts/sources/; a
test fails when they are stale.

They describe the bronze table a feed lands in, as delivered (every file value as text; database
columns in their own types) plus bronze's lineage columns, and measure the source: the ids and
dates a record cannot do without are `nullValues` rules at warning severity, so each source
system's completeness is scored in quality.dq_results without ever holding a delivery back (bronze
keeps everything as delivered; silver's row rules and gates decide what is published).
"""

from __future__ import annotations

import yaml

from healthlake.schemas import database_source, source_format
from healthlake.settings import Settings

FILE_FEEDS = ("exam_system", "home_bp_devices", "public_health_followups", "public_health_tcm")
FILE_KEY = {"_source_file": 1, "_record_number": 2}
DATABASE_KEY = {"_source_key": 1, "_extract_id": 2}
CLASSES = {"direct": "direct-identifier", "quasi": "quasi-identifier", "health": "sensitive-health"}
DATABASE_TYPES = {"bigint": "bigint", "integer": "int", "text": "string", "date": "date",
                  "timestamp": "timestamp_ntz", "timestamptz": "timestamp"}  # fmt: skip
FILE_LINEAGE = [
    ("_extra", "map<string,string>", "Fields the file carried beyond its format, kept as delivered."),
    ("_source_system", "string", "The source system."),
    ("_source_file", "string", "The delivered file, relative to the landing directory."),
    ("_file_sha256", "string", "SHA-256 of the delivered file (a file is ingested once)."),
    ("_record_number", "bigint", "The record's line or position in its file."),
    ("_record_hash", "string", "Hash of the record as delivered."),
    ("_ingested_at", "timestamp", "When bronze ingested the record (UTC)."),
    ("_run_id", "string", "The run that ingested it."),
]
DATABASE_LINEAGE = [
    ("_extra", "map<string,string>", "Columns the table carried beyond its format, kept as delivered."),
    ("_source_system", "string", "The source system."),
    ("_source_table", "string", "The source table."),
    ("_extract_id", "string", "The extract (watermark window) that read the row; see bronze.his__extracts."),
    ("_source_key", "string", "The row's primary key in the source."),
    ("_record_hash", "string", "Hash of the row as read."),
    ("_ingested_at", "timestamp", "When bronze ingested the row (UTC)."),
    ("_run_id", "string", "The run that extracted it."),
]
LOGICAL = {"string": "string", "bigint": "integer", "int": "integer", "date": "date", "timestamp": "timestamp",
           "timestamp_ntz": "timestamp", "decimal": "number", "map<string,string>": "object"}  # fmt: skip
# What a record cannot do without: its id and its date (a source's completeness is scored on them).
ESSENTIAL = ("exam_id", "exam_date", "item_code", "device_sn", "reading_seq", "measured_at", "form_id",
             "followup_date", "assessment_id", "assessment_date", "patient_id", "visit_id", "visit_time",
             "admission_id", "admit_time", "diagnosis_id", "prescription_id", "id_number")  # fmt: skip


def _property(name: str, physical: str, description: str, pii: str | None, key_position: int = 0) -> dict:
    prop = {
        "name": name,
        "logicalType": LOGICAL[physical],
        "physicalType": physical,
        "description": description,
        "classification": CLASSES.get(pii or "", "none"),
    }
    if key_position:
        prop |= {"primaryKey": True, "primaryKeyPosition": key_position}
    if name in ESSENTIAL:
        prop["quality"] = [{
            "id": f"{name}_delivered", "metric": "nullValues", "mustBe": 0, "severity": "warning",
            "dimension": "completeness", "description": f"The source delivers {name} on every record.",
        }]  # fmt: skip
    return prop


def _document(source_system: str, bronze: str, description: str, properties: list[dict], granularity: str) -> dict:
    return {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": f"healthlake-inbound-{bronze.replace('_', '-')}",
        "name": f"bronze.{bronze}",
        "version": "1.0.0",
        "status": "active",
        "domain": "regional-health",
        "dataProduct": "healthlake",
        "tenant": "regional-health-network",
        "description": {
            "purpose": f"Inbound contract of {source_system}: {description}",
            "usage": "Lands in bronze (restricted zone) as delivered; the silver jobs standardise it.",
            "limitations": "Holds direct identifiers: restricted zone only.",
        },
        "team": {"name": f"{source_system}-owners",
                 "members": [{"username": f"{source_system}@healthlake.example", "role": "data provider"}]},
        "customProperties": [{"property": "sourceSystem", "value": source_system},
                             {"property": "zone", "value": "restricted"}],
        "slaProperties": [{"property": "frequency", "value": 1, "unit": "d",
                           "description": "The source delivers at least daily."}],
        "schema": [{
            "name": bronze, "physicalName": f"bronze.{bronze}", "physicalType": "table", "logicalType": "object",
            "description": description, "dataGranularityDescription": granularity, "properties": properties,
        }],
    }  # fmt: skip


def render() -> dict[str, str]:
    """File name under data_contracts/sources/ -> the contract's YAML text."""
    documents = {}
    for feed in FILE_FEEDS:
        fmt = source_format(feed)
        bronze = fmt.bronze_table
        properties = [_property(c.column, "string", c.description, c.pii) for c in fmt.columns]
        properties += [_property(n, t, d, None, FILE_KEY.get(n, 0)) for n, t, d in FILE_LINEAGE]
        description = f"{fmt.entity} files ({fmt.file_format}, {fmt.file_pattern})."
        documents[bronze] = _document(fmt.source_system, bronze, description, properties,
                                      "Grain: _source_file + _record_number (one delivered record).")  # fmt: skip
    his = database_source("his")
    for table, spec in his.tables.items():
        properties = [_property(c.column, _database_type(c.type), c.description, c.pii) for c in spec.columns]
        properties += [_property(n, t, d, None, DATABASE_KEY.get(n, 0)) for n, t, d in DATABASE_LINEAGE]
        grain = "Grain: _source_key + _extract_id (a row as one extract read it)."
        documents[f"his__{table}"] = _document(his.source_system, f"his__{table}", spec.description, properties, grain)
    header = ("# Generated by `healthlake contracts` from schemas/sources and schemas/databases: edit those,\n"
              "# then regenerate. What each part means: data_contracts/README.md.\n")  # fmt: skip
    return {
        f"{name}.odcs.yaml": header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110)
        for name, doc in documents.items()
    }


def _database_type(declared: str) -> str:
    return "decimal" if declared.startswith("numeric") else DATABASE_TYPES[declared]


def write(settings: Settings) -> list[str]:
    folder = settings.contracts_dir / "sources"
    folder.mkdir(parents=True, exist_ok=True)
    rendered = render()
    for name, text in rendered.items():
        (folder / name).write_text(text, encoding="utf-8")
    return sorted(rendered)
