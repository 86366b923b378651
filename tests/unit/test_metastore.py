"""The catalog service's configuration: what sessions and the service are given, from settings alone."""

from __future__ import annotations

from healthlake import metastore
from healthlake.settings import Settings


def _settings(monkeypatch, tmp_path, **env) -> Settings:
    monkeypatch.setenv("HEALTHLAKE_HOME", str(tmp_path))
    for name in ("HEALTHLAKE_METASTORE_URI", "HEALTHLAKE_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


def test_sessions_keep_the_catalog_in_the_service_only_when_one_is_named(monkeypatch, tmp_path):
    assert metastore.client_options(_settings(monkeypatch, tmp_path)) == {}
    named = _settings(monkeypatch, tmp_path, HEALTHLAKE_METASTORE_URI="thrift://metastore:9083")
    assert metastore.client_options(named) == {
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.hive.metastore.uris": "thrift://metastore:9083",
    }


def test_the_service_alone_opens_its_database_under_the_home(monkeypatch, tmp_path):
    configuration = metastore.server_configuration(_settings(monkeypatch, tmp_path))
    url = configuration["javax.jdo.option.ConnectionURL"]
    assert url == f"jdbc:derby:;databaseName={tmp_path}/metastore/db;create=true"
    assert configuration["datanucleus.schema.autoCreateAll"] == "true"


def test_the_service_reaches_the_object_store_the_tables_are_in(monkeypatch, tmp_path):
    configuration = metastore.server_configuration(
        _settings(
            monkeypatch,
            tmp_path,
            HEALTHLAKE_WAREHOUSE="s3a://lake/warehouse",
            HEALTHLAKE_S3_ENDPOINT="http://minio:9000",
            HEALTHLAKE_S3_ACCESS_KEY="healthlake",
            HEALTHLAKE_S3_SECRET_KEY="from-the-environment",  # pragma: allowlist secret
        )
    )
    assert configuration["hive.metastore.warehouse.dir"] == "s3a://lake/warehouse"
    assert configuration["fs.s3a.endpoint"] == "http://minio:9000"
    assert configuration["fs.s3a.secret.key"] == "from-the-environment"
    assert not [key for key in configuration if key.startswith("spark.")]
