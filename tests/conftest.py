"""Shared fixtures. The test process gets its own HEALTHLAKE_HOME before anything reads settings, so
Spark, Airflow and the generated data never touch the developer's own lake."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="healthlake-test-"))


def pytest_configure(config):
    # py4j logs each closed connection, also after pytest has closed its capture streams.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    os.environ["HEALTHLAKE_HOME"] = str(_HOME)
    os.environ.pop("HEALTHLAKE_SPARK_MASTER", None)
    os.environ.pop("HEALTHLAKE_PSEUDONYM_KEY", None)
    # The tests' own HIS server (started on first use by the generator) on a free loopback port.
    for name in ("HEALTHLAKE_HIS_HOST", "HEALTHLAKE_HIS_PASSWORD", "HEALTHLAKE_HIS_DATABASE"):
        os.environ.pop(name, None)
    os.environ["HEALTHLAKE_HIS_PORT"] = str(_free_port())
    from healthlake import airflow_env
    from healthlake.settings import get_settings

    airflow_env.activate(get_settings())


def pytest_collection_modifyitems(items):
    # The end-to-end tests share one lake (tests/e2e/conftest.py): those that change it go last, in order.
    items.sort(key=lambda item: item.get_closest_marker("changes_shared_lake") is not None)


def pytest_unconfigure(config):
    from healthlake.his_database import SERVER_SCRIPT

    subprocess.run([str(SERVER_SCRIPT), "destroy"], capture_output=True)
    shutil.rmtree(_HOME, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def settings():
    from healthlake.settings import get_settings

    return get_settings()


@pytest.fixture(scope="session")
def spark(settings):
    from healthlake.spark import get_spark

    return get_spark(settings, app_name="healthlake-tests")


@pytest.fixture(scope="session")
def generated(settings):
    """A small network: 400 residents, January 2026, damaged enough to reach every reject path."""
    from healthlake.synth.exam_system import Damage
    from healthlake.synth.generate import generate
    from healthlake.synth.home_bp_devices import DeviceDamage
    from healthlake.synth.public_health import FollowupDamage

    damage = Damage(mistyped_id=0.03, missing_id=0.02, broken_line=0.002, bad_bytes=0.002)
    device_damage = DeviceDamage(broken_json=0.01)
    followup_damage = FollowupDamage(broken_json=0.2)  # few forms in a month of 400 residents
    return generate(
        settings,
        400,
        seed=7,
        start=date(2026, 1, 1),
        end=date(2026, 1, 31),
        damage=damage,
        device_damage=device_damage,
        followup_damage=followup_damage,
    )


@pytest.fixture(scope="session")
def bronze(spark, settings, generated):
    from jobs.bronze import ingest_files

    return ingest_files.run(spark, settings, "exam_system", run_id="test_bronze")


@pytest.fixture(scope="session")
def device_bronze(spark, settings, generated):
    from jobs.bronze import ingest_files

    return ingest_files.run(spark, settings, "home_bp_devices", run_id="test_device_bronze")


@pytest.fixture(scope="session")
def followup_bronze(spark, settings, generated):
    from jobs.bronze import ingest_files

    return ingest_files.run(spark, settings, "public_health_followups", run_id="test_followup_bronze")


@pytest.fixture(scope="session")
def tcm_bronze(spark, settings, generated):
    from jobs.bronze import ingest_files

    return ingest_files.run(spark, settings, "public_health_tcm", run_id="test_tcm_bronze")


@pytest.fixture(scope="session")
def file_bronze(bronze, device_bronze, followup_bronze, tcm_bronze):
    """Every file feed in bronze, by feed."""
    return {
        "exam_system": bronze,
        "home_bp_devices": device_bronze,
        "public_health_followups": followup_bronze,
        "public_health_tcm": tcm_bronze,
    }


@pytest.fixture(scope="session")
def his_bronze(spark, settings, generated):
    """Every HIS table extracted once, by table."""
    from healthlake.schemas import database_source
    from jobs.bronze import extract_database

    return {
        table: extract_database.run(spark, settings, table, run_id="test_his_bronze")
        for table in database_source("his").tables
    }


@pytest.fixture(scope="session")
def bronze_at_silver(spark, settings, file_bronze, his_bronze) -> dict[str, int]:
    """Rows per bronze table when the silver fixture ran (later tests add rows of their own)."""
    from healthlake import catalog

    return {t: spark.table(f"bronze.{t}").count() for t in catalog.discover(settings)["bronze"]}


@pytest.fixture(scope="session")
def silver(spark, settings, bronze_at_silver):
    """Every silver job run once over all of bronze, by job name (run id `test_silver`)."""
    from jobs.silver import standardise

    return {job: standardise.run(spark, settings, "test_silver", job) for job in standardise.JOBS}
