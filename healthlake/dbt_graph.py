"""The dbt project's models and the refs between them, read from the SQL files (no dbt parse), so a
DAG file can lay out one Airflow task per mart in well under a second."""

from __future__ import annotations

import re
from pathlib import Path

from healthlake.settings import REPO_ROOT

MODELS_DIR = REPO_ROOT / "dbt" / "models"
# The selection that builds the seeds and every view the marts read (gold_marts' first task).
STAGING = "resource_type:seed staging intermediate"
_REF = re.compile(r"""\bref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)""")


def _models(folder: str) -> dict[str, Path]:
    return {p.stem: p for p in sorted((MODELS_DIR / folder).rglob("*.sql"))}


def view_models() -> list[str]:
    """Staging and intermediate models: views, rebuilt with every run (dbt_project.yml)."""
    return sorted({**_models("staging"), **_models("intermediate")})


def marts() -> dict[str, set[str]]:
    """Each mart and the other marts it selects from."""
    found = _models("marts")
    refs = {name: set(_REF.findall(path.read_text(encoding="utf-8"))) for name, path in found.items()}
    return {name: (refs[name] & set(found)) - {name} for name in found}
