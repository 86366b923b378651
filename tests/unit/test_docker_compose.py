"""docker/compose.yaml, checked for structure (no Docker engine runs here): every service the
cluster needs, a healthcheck on each, configuration only from the environment, no secret in the file,
and commands and settings that exist in this code base."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from healthlake.cli import build_parser
from healthlake.settings import REPO_ROOT

COMPOSE = REPO_ROOT / "docker" / "compose.yaml"
AIRFLOW = {"airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
# run to completion before the services that need them
ONE_SHOT = {"airflow-init", "sql-init", "minio-init"}
HEALTHLAKE_IMAGE = AIRFLOW | {"airflow-init", "sql-init", "spark-master", "spark-worker", "sql-server", "metastore"}
# Services that add settings of their own to the shared ones (sql-init: the password).
OWN_SETTINGS = {"sql-init"}


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]


def test_the_cluster_has_every_service(services):
    assert set(services) == HEALTHLAKE_IMAGE | {"postgres", "minio", "minio-init"}


def test_every_long_running_service_has_a_healthcheck(services):
    for name, service in services.items():
        if name not in ONE_SHOT:
            assert service["healthcheck"]["test"][0] == "CMD", name


def test_airflow_waits_for_its_database_and_migration(services):
    for name in AIRFLOW:
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "airflow-init": {"condition": "service_completed_successfully"},
            "minio-init": {"condition": "service_completed_successfully"},
            "metastore": {"condition": "service_healthy"},
        }, name
    url = services["airflow-scheduler"]["environment"]["HEALTHLAKE_AIRFLOW_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://airflow:${AIRFLOW_DB_PASSWORD:?")
    assert url.endswith("@postgres:5432/airflow")


def test_one_image_one_lake_one_environment(services):
    first = services["airflow-scheduler"]
    for name in HEALTHLAKE_IMAGE:
        service = services[name]
        assert service["build"]["dockerfile"] == "docker/Dockerfile", name
        assert service["volumes"] == ["lake:/lake"], name
        # The same settings everywhere; a few services add their own (sql-init: the password).
        assert service["environment"].items() >= first["environment"].items(), name
        assert name in OWN_SETTINGS or service["environment"] == first["environment"], name
    assert first["environment"]["HEALTHLAKE_HOME"] == "/lake"
    assert first["environment"]["HEALTHLAKE_SPARK_MASTER"] == "spark://spark-master:7077"


def test_the_tables_live_in_the_object_store_the_compose_file_starts(services):
    environment = services["airflow-scheduler"]["environment"]
    bucket = services["minio-init"]["environment"]["BUCKET"]
    assert environment["HEALTHLAKE_WAREHOUSE"] == f"s3a://{bucket}/warehouse"
    assert environment["HEALTHLAKE_S3_ENDPOINT"].endswith("http://minio:9000}")
    # MinIO's account is the one the drivers sign in with, both from the environment.
    assert services["minio"]["environment"]["MINIO_ROOT_USER"] == environment["HEALTHLAKE_S3_ACCESS_KEY"]
    assert services["minio"]["environment"]["MINIO_ROOT_PASSWORD"] == environment["HEALTHLAKE_S3_SECRET_KEY"]
    assert services["minio-init"]["depends_on"] == {"minio": {"condition": "service_healthy"}}
    for writer in ("airflow-scheduler", "sql-server"):
        assert services[writer]["depends_on"]["minio-init"] == {"condition": "service_completed_successfully"}


def test_every_session_keeps_the_catalog_in_the_service(services):
    assert services["airflow-scheduler"]["environment"]["HEALTHLAKE_METASTORE_URI"] == "thrift://metastore:9083"
    catalog = services["metastore"]
    assert catalog["command"] == ["healthlake", "metastore", "--port", "9083"]
    # It makes schemas' directories in the bucket, so the bucket must exist first.
    assert catalog["depends_on"] == {"minio-init": {"condition": "service_completed_successfully"}}
    assert services["sql-server"]["depends_on"]["metastore"] == {"condition": "service_healthy"}


def test_no_secret_is_written_in_the_file(services):
    for name, service in services.items():
        for key, value in service.get("environment", {}).items():
            if re.search(r"PASSWORD|SECRET|_KEY$", key):
                from_environment = re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]+\}", str(value))
                assert from_environment, f"{name}: {key} must come from the environment"


def test_every_healthlake_setting_named_is_one_the_settings_read(services):
    settings_source = (REPO_ROOT / "healthlake" / "settings.py").read_text(encoding="utf-8")
    for key in services["airflow-scheduler"]["environment"]:
        if key.startswith("HEALTHLAKE_"):
            assert f'"{key}"' in settings_source, key


def test_every_healthlake_command_parses(services):
    parser = build_parser()
    for name, service in services.items():
        command = service.get("command", [])
        if command[:2] == ["healthlake", "airflow"]:
            assert command[2] in ("db", "api-server", "scheduler", "dag-processor", "triggerer"), name
        elif command[:1] == ["healthlake"]:
            parser.parse_args(command[1:])  # exits (fails the test) on an unknown command or option


def test_the_image_installs_with_the_set_up_script_and_copies_what_exists():
    dockerfile = (REPO_ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")
    assert "RUN scripts/setup.sh" in dockerfile
    # The s3a jars and healthlake's JVM classes (the SQL endpoint's checks, the object-storage log
    # store) are in the image; compiling those needs a JDK, not only a JRE.
    assert "healthlake.jars --object-storage" in dockerfile and "healthlake.jvm_jar" in dockerfile
    assert "openjdk-17-jdk-headless" in dockerfile
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in shlex.split(line)[1:-1]:
                assert (REPO_ROOT / source).exists(), source
    assert Path(REPO_ROOT / "docker" / "README.md").read_text(encoding="utf-8").count("compose") >= 1
