import stat

import pytest

from healthlake import jars
from healthlake.settings import Settings, SettingsError


def test_home_and_layout_follow_healthlake_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HEALTHLAKE_HOME", str(tmp_path))
    settings = Settings.from_env()
    assert settings.table_location("gold", "x") == f"{tmp_path}/warehouse/gold/x"
    assert not settings.is_object_storage
    assert settings.airflow_env()["AIRFLOW_HOME"] == str(tmp_path / "airflow")
    assert settings.is_local


def test_object_storage_is_one_variable_and_its_jars_are_their_own_set(monkeypatch, tmp_path):
    monkeypatch.setenv("HEALTHLAKE_HOME", str(tmp_path))
    monkeypatch.setenv("HEALTHLAKE_WAREHOUSE", "s3a://lake/warehouse/")
    monkeypatch.delenv("HEALTHLAKE_S3_SECRET_KEY", raising=False)
    settings = Settings.from_env()
    assert settings.is_object_storage
    assert settings.table_location("gold", "x") == "s3a://lake/warehouse/gold/x"
    with pytest.raises(SettingsError, match="HEALTHLAKE_S3_SECRET_KEY"):
        settings.s3_secret_key()
    sets = jars._jar_sets(settings)
    assert [cache.name for cache, _ in sets[1:]] == ["object-storage"]
    assert sets[1][1] == [f"org.apache.hadoop:hadoop-aws:{jars._bundled_versions()['hadoop-client-api']}"]


def test_cluster_master_is_one_variable(monkeypatch):
    monkeypatch.setenv("HEALTHLAKE_SPARK_MASTER", "spark://10.0.0.5:7077")
    assert not Settings.from_env().is_local


def test_malformed_number_gives_a_clear_error(monkeypatch):
    monkeypatch.setenv("HEALTHLAKE_SPARK_SHUFFLE_PARTITIONS", "many")
    with pytest.raises(SettingsError, match="HEALTHLAKE_SPARK_SHUFFLE_PARTITIONS='many'"):
        Settings.from_env()


def test_pseudonym_key_is_made_once_private_and_stable(monkeypatch, tmp_path):
    monkeypatch.setenv("HEALTHLAKE_HOME", str(tmp_path))
    monkeypatch.delenv("HEALTHLAKE_PSEUDONYM_KEY", raising=False)
    first = Settings.from_env().pseudonym_key()
    assert Settings.from_env().pseudonym_key() == first and len(first) == 64
    mode = (tmp_path / "secrets" / "pseudonym.key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    monkeypatch.setenv("HEALTHLAKE_PSEUDONYM_KEY", "from-the-environment")
    assert Settings.from_env().pseudonym_key() == b"from-the-environment"


def test_jar_names_reduce_to_artifacts():
    assert jars._ivy_artifact("io.delta_delta-spark_4.2_2.13-4.4.0.jar") == "delta-spark_4.2_2.13"
    assert jars._ivy_artifact("com.github.luben_zstd-jni-1.5.7-3.jar") == "zstd-jni"
    assert jars._artifact("hadoop-client-api-3.5.0.jar") == "hadoop-client-api"


def test_missing_jar_cache_says_how_to_fix_it(monkeypatch, tmp_path):
    monkeypatch.setenv("HEALTHLAKE_JAR_CACHE", str(tmp_path / "nothing"))
    with pytest.raises(jars.JarsMissingError, match="make setup"):
        jars.cached_jars(Settings.from_env())


def test_cached_jars_never_shadow_the_ones_spark_ships(settings):
    bundled = set(jars._bundled_versions())
    cached = [p.name for p in jars.cached_jars(settings)]
    assert any(name.startswith("io.delta_delta-spark") for name in cached)
    assert not [name for name in cached if jars._ivy_artifact(name) in bundled]
