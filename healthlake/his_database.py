"""Connections to the HIS database, and starting the embedded one (scripts/postgres.sh) when it is down."""

from __future__ import annotations

import os
import subprocess

import psycopg

from healthlake.settings import REPO_ROOT, Settings

SERVER_SCRIPT = REPO_ROOT / "scripts" / "postgres.sh"


class HisUnavailableError(RuntimeError):
    """The HIS database cannot be reached."""


def connect(settings: Settings) -> psycopg.Connection:
    try:
        return psycopg.connect(
            host=settings.his_host,
            port=settings.his_port,
            dbname=settings.his_database,
            user=settings.his_user,
            password=settings.his_password(),
            connect_timeout=10,
        )
    except psycopg.OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise HisUnavailableError(
            f"the HIS database {settings.his_user}@{settings.his_host}:{settings.his_port}/{settings.his_database} "
            f"cannot be reached ({first_line}). The embedded one starts with `scripts/postgres.sh start`."
        ) from None


def is_embedded(settings: Settings) -> bool:
    return settings.his_host in ("127.0.0.1", "localhost") and settings.his_password_env is None


def ensure_running(settings: Settings) -> None:
    """Start the embedded server if it is not up (a quick no-op when it is)."""
    if not is_embedded(settings):
        return
    env = {
        **os.environ,
        "HEALTHLAKE_HOME": str(settings.home),
        "HEALTHLAKE_HIS_PORT": str(settings.his_port),
        "HEALTHLAKE_HIS_DATABASE": settings.his_database,
        "HEALTHLAKE_HIS_USER": settings.his_user,
    }
    status = subprocess.run([str(SERVER_SCRIPT), "status"], env=env, capture_output=True, text=True)
    if status.returncode == 0:
        return
    started = subprocess.run([str(SERVER_SCRIPT), "start"], env=env, capture_output=True, text=True)
    if started.returncode != 0:
        raise HisUnavailableError(started.stderr.strip() or started.stdout.strip())
