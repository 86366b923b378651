"""Airflow on the embedded set-up: its home, SQLite database and DAG folder under HEALTHLAKE_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from healthlake.settings import Settings


def activate(settings: Settings) -> None:
    """Point this process (and its children) at healthlake's Airflow; call before importing airflow."""
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    os.environ.update(settings.airflow_env())


def airflow_command() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def ensure_database(settings: Settings) -> bool:
    """Create or upgrade the metadata database once per Airflow version; True if it ran."""
    from importlib import metadata

    activate(settings)
    stamp = settings.airflow_home / ".migrated"
    version = metadata.version("apache-airflow-core")
    database_exists = bool(settings.airflow_database_url) or (settings.airflow_home / "airflow.db").exists()
    if stamp.exists() and stamp.read_text() == version and database_exists:
        return False
    print(f"Preparing the Airflow {version} metadata database (SQLite, first run only) ...", flush=True)
    done = subprocess.run([airflow_command(), "db", "migrate"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"`airflow db migrate` failed:\n{done.stderr[-3000:]}")
    stamp.write_text(version)
    return True
