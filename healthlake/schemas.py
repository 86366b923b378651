"""Readers for the versioned data in schemas/: the data-element dictionary and source formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import yaml

from healthlake.settings import REPO_ROOT

SCHEMAS_DIR = REPO_ROOT / "schemas"


@dataclass(frozen=True)
class DataElement:
    de_id: str
    name_zh: str
    column: str
    format: str
    pii: str
    unit: str | None = None
    domain: str | None = None
    plausible: tuple[float, float] | None = None


@dataclass(frozen=True)
class SourceColumn:
    header: str
    column: str
    description: str
    pii: str = "none"


@dataclass(frozen=True)
class SourceFormat:
    source_system: str
    entity: str
    file_format: str  # csv (a header row of `header` names) or jsonl (one object a line, keys are `header`)
    file_pattern: str
    encoding: str
    columns: tuple[SourceColumn, ...]
    delimiter: str = ","
    item_codes: dict[str, str] = field(default_factory=dict)

    @property
    def header_to_column(self) -> dict[str, str]:
        return {c.header: c.column for c in self.columns}

    @property
    def bronze_table(self) -> str:
        return f"{self.source_system}__{self.entity}"


@dataclass(frozen=True)
class DatabaseColumn:
    column: str
    type: str  # the source database's type
    description: str
    pii: str = "none"


@dataclass(frozen=True)
class DatabaseTable:
    name: str
    description: str
    primary_key: str
    columns: tuple[DatabaseColumn, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.column for c in self.columns]


@dataclass(frozen=True)
class DatabaseSource:
    """A source system read from its database (schemas/databases/<name>.yaml)."""

    source_system: str
    schema: str
    watermark_column: str
    tables: dict[str, DatabaseTable]

    def bronze_table(self, table: str) -> str:
        return f"{self.source_system}__{table}"


@cache
def database_source(name: str) -> DatabaseSource:
    raw = yaml.safe_load((SCHEMAS_DIR / "databases" / f"{name}.yaml").read_text(encoding="utf-8"))
    tables = {
        table: DatabaseTable(
            name=table,
            description=spec["description"],
            primary_key=spec["primary_key"],
            columns=tuple(DatabaseColumn(**c) for c in spec["columns"]),
        )
        for table, spec in raw["tables"].items()
    }
    return DatabaseSource(raw["source_system"], raw["schema"], raw["watermark_column"], tables)


@cache
def data_elements() -> dict[str, DataElement]:
    raw = yaml.safe_load((SCHEMAS_DIR / "data_elements.yaml").read_text(encoding="utf-8"))
    elements = {}
    for entry in raw["elements"]:
        plausible = tuple(entry.pop("plausible")) if "plausible" in entry else None
        elements[entry["de_id"]] = DataElement(**entry, plausible=plausible)
    return elements


@cache
def source_format(source_system: str) -> SourceFormat:
    raw = yaml.safe_load((SCHEMAS_DIR / "sources" / f"{source_system}.yaml").read_text(encoding="utf-8"))
    return SourceFormat(
        source_system=raw["source_system"],
        entity=raw["entity"],
        file_format=raw["file_format"],
        file_pattern=raw["file_pattern"],
        encoding=raw["encoding"],
        columns=tuple(SourceColumn(**c) for c in raw["columns"]),
        delimiter=raw.get("delimiter", ","),
        item_codes=dict(raw.get("item_codes", {})),
    )
