"""docs/data_dictionary.md, made from the machine-readable dictionary in schemas/ (`healthlake docs`).

The YAML files are the source of truth; this page is their human-readable form, regenerated and
checked by the tests so the two never drift apart.
"""

from __future__ import annotations

from pathlib import Path

from healthlake.schemas import (
    SCHEMAS_DIR,
    data_elements,
    database_source,
    dictionary_version,
    source_format,
    value_domains,
)
from healthlake.settings import REPO_ROOT

DICTIONARY_PAGE = REPO_ROOT / "docs" / "data_dictionary.md"


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("|", "\\|")


def render() -> str:
    elements = data_elements()
    domains = value_domains()
    lines = [
        "# Data dictionary",
        "",
        f"Generated from `schemas/` (dictionary version {dictionary_version()}) by `healthlake docs`; "
        "edit the YAML, not this page.",
        "Facts and their status: `../shared/reference/STANDARDS.md`. **UNCONFIRMED** marks what was seen in "
        "one secondary source only.",
        "",
        "## Data elements (WS 363)",
        "",
        "| DE id | 中文名 | column | format | unit | value domain | plausible | PII class |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in elements.values():
        flag = " **UNCONFIRMED**" if e.unconfirmed else ""
        plausible = f"{e.plausible[0]}–{e.plausible[1]}" if e.plausible else ""
        units = e.unit or ""
        if e.other_units:
            units += " (also " + ", ".join(f"{u} ×{f}" for u, f in e.other_units.items()) + ")"
        lines.append(
            f"| {e.de_id}{flag} | {e.name_zh} | `{e.column}` | {_cell(e.format)} | {_cell(units)} | "
            f"{_cell(e.domain)} | {plausible} | {e.pii} |"
        )
    lines += ["", "## Value domains (WS 364 and national standards)", ""]
    for name, vd in domains.items():
        lines.append(f"### {name} {vd.name_zh}")
        lines.append("")
        codes = ", ".join(
            f"`{code}` {label}" + (" (**UNCONFIRMED**)" if code in vd.unconfirmed else "")
            for code, label in vd.codes.items()
        )
        lines.append(
            codes
            + (f". Unknown: `{vd.unknown}`." if vd.unknown else ". No unknown code: unmapped values are quarantined.")
        )
        lines.append("")
    lines += ["## Source mappings", ""]
    for path in sorted((SCHEMAS_DIR / "sources").glob("*.yaml")):
        fmt = source_format(path.stem)
        lines += [f"### {fmt.source_system} · {fmt.entity} (`schemas/sources/{path.name}`)", ""]
        lines += ["| source field | column | data element | PII class |", "|---|---|---|---|"]
        for c in fmt.columns:
            de = f"{c.de} {elements[c.de].name_zh}" if c.de in elements else ""
            lines.append(f"| {c.header} | `{c.column}` | {de} | {c.pii} |")
        lines += _local_codes(fmt.local_codes, fmt.item_codes, elements)
    his = database_source("his")
    for table in his.tables.values():
        lines += [f"### his · {table.name} (`schemas/databases/his.yaml`)", ""]
        lines += ["| column | type | data element | PII class |", "|---|---|---|---|"]
        for c in table.columns:
            de = f"{c.de} {elements[c.de].name_zh}" if c.de in elements else ""
            lines.append(f"| `{c.column}` | {c.type} | {de} | {c.pii} |")
        lines += _local_codes(table.local_codes, {}, elements)
    return "\n".join(lines) + "\n"


def _local_codes(local: dict[str, dict[str, str]], items: dict[str, str], elements) -> list[str]:
    out = [""]
    for column, mapping in local.items():
        out.append(f"Local codes of `{column}`: " + ", ".join(f"`{k}` → `{v}`" for k, v in mapping.items()) + ".")
        out.append("")
    if items:
        out.append("Item codes: " + ", ".join(f"`{k}` → {v} {elements[v].name_zh}" for k, v in items.items()) + ".")
        out.append("")
    return out


def write(path: Path = DICTIONARY_PAGE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path
