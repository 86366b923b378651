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
    unconfirmed: bool = False
    other_units: dict[str, float] = field(default_factory=dict)

    def unit_factors(self) -> dict[str, float]:
        """Unit spelling -> factor to this element's unit (the unit itself is 1)."""
        return {**({self.unit: 1.0} if self.unit else {}), **self.other_units}


@dataclass(frozen=True)
class ValueDomain:
    """A standard code set: codes and their Chinese names, and the code for "unknown" if it has one."""

    name: str
    name_zh: str
    codes: dict[str, str]
    unknown: str | None = None
    unconfirmed: tuple[str, ...] = ()

    def local_map(self, local: dict[str, str] | None = None) -> dict[str, str]:
        """Every spelling a source may send -> standard code: the codes, their printed names, `local`."""
        mapping = {code: code for code in self.codes}
        mapping.update({label: code for code, label in self.codes.items()})
        for spelling, code in (local or {}).items():
            if code not in self.codes:
                raise ValueError(f"local code {spelling!r} maps to {code!r}, which is not in {self.name}")
            mapping[spelling] = code
        return mapping


@dataclass(frozen=True)
class SourceColumn:
    header: str
    column: str
    description: str
    pii: str = "none"
    de: str | None = None  # the WS 363 data element silver makes of it


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
    # column -> {local spelling: standard code} where the source's codes are not the standard's own
    local_codes: dict[str, dict[str, str]] = field(default_factory=dict)

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
    de: str | None = None  # the WS 363 data element silver makes of it


@dataclass(frozen=True)
class DatabaseTable:
    name: str
    description: str
    primary_key: str
    columns: tuple[DatabaseColumn, ...]
    local_codes: dict[str, dict[str, str]] = field(default_factory=dict)

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
            local_codes=_local_codes(spec),
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
        local_codes=_local_codes(raw),
    )


def _local_codes(spec: dict) -> dict[str, dict[str, str]]:
    return {column: {str(k): str(v) for k, v in m.items()} for column, m in spec.get("local_codes", {}).items()}


@cache
def value_domains() -> dict[str, ValueDomain]:
    raw = yaml.safe_load((SCHEMAS_DIR / "value_domains.yaml").read_text(encoding="utf-8"))
    return {
        name: ValueDomain(
            name=name,
            name_zh=spec["name_zh"],
            codes={str(k): v for k, v in spec["codes"].items()},
            unknown=spec.get("unknown"),
            unconfirmed=tuple(spec.get("unconfirmed", ())),
        )
        for name, spec in raw["domains"].items()
    }


def dictionary_version() -> str:
    raw = yaml.safe_load((SCHEMAS_DIR / "data_elements.yaml").read_text(encoding="utf-8"))
    return str(raw["version"])
