"""The JVM artifacts healthlake needs, fetched from Maven Central once into a project-local cache.

Set-up resolves the coordinates (with their dependencies) through Spark's own Ivy resolver and
writes a manifest; every Spark session afterwards loads the cached files with `spark.jars`, so no
run needs the network and a cluster receives the same jars from the driver.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path

from healthlake.console import output_to
from healthlake.settings import Settings, get_settings

MANIFEST = "manifest.json"
# The HIS source is PostgreSQL, read over JDBC.
POSTGRES_JDBC = "org.postgresql:postgresql:42.7.14"


class JarsMissingError(RuntimeError):
    """The jar cache is empty or was made for other coordinates."""


def maven_coordinates() -> list[str]:
    """Delta's jar matching the installed Python packages (as delta-spark's own helper derives it), and JDBC."""
    import pyspark

    spark_minor = ".".join(pyspark.__version__.split(".")[:2])
    delta_version = metadata.version("delta-spark")
    return [f"io.delta:delta-spark_{spark_minor}_2.13:{delta_version}", POSTGRES_JDBC]


def object_storage_coordinates() -> list[str]:
    """Hadoop's s3a file system, of the Hadoop version Spark ships (it brings the AWS SDK bundle, ~690 MB)."""
    return [f"org.apache.hadoop:hadoop-aws:{_bundled_versions()['hadoop-client-api']}"]


_ARTIFACT_VERSION = re.compile(r"^(?P<artifact>.+?)-(?P<version>\d.*)\.jar$")


def _artifact(jar_name: str) -> str:
    """`delta-storage-4.4.0.jar` -> `delta-storage`."""
    match = _ARTIFACT_VERSION.match(jar_name)
    return match["artifact"] if match else jar_name


def _ivy_artifact(jar_name: str) -> str:
    """Ivy names its copies `<group>_<artifact>-<version>.jar`."""
    return _artifact(jar_name.split("_", 1)[1])


def _bundled_versions() -> dict[str, str]:
    import pyspark

    found = (_ARTIFACT_VERSION.match(j.name) for j in (Path(pyspark.__file__).parent / "jars").glob("*.jar"))
    return {m["artifact"]: m["version"] for m in found if m}


def _jar_sets(settings: Settings, object_storage: bool = False) -> list[tuple[Path, list[str]]]:
    """(cache folder, coordinates) of each set of jars this configuration (or object storage) needs."""
    sets = [(settings.jar_cache, maven_coordinates())]
    if object_storage or settings.is_object_storage:
        sets.append((settings.jar_cache / "object-storage", object_storage_coordinates()))
    return sets


def _read_manifest(cache: Path) -> dict | None:
    try:
        return json.loads((cache / MANIFEST).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _cached(cache: Path, wanted: list[str]) -> list[Path]:
    manifest = _read_manifest(cache)
    if manifest is None or manifest.get("coordinates") != wanted:
        raise JarsMissingError(
            f"The jars for {', '.join(wanted)} are not in {cache}. "
            "Run `make setup` (it fetches them from Maven Central once)."
        )
    jars = [cache / name for name in manifest["jars"]]
    missing = [str(j) for j in jars if not j.exists()]
    if missing:
        raise JarsMissingError(f"Jar cache is incomplete ({', '.join(missing)}); run `make setup`.")
    return jars


def cached_jars(settings: Settings) -> list[Path]:
    """The cached jar files this configuration needs, or a clear error saying how to fetch them."""
    return [jar for cache, wanted in _jar_sets(settings) for jar in _cached(cache, wanted)]


def _fetch(cache: Path, coordinates: list[str]) -> list[Path]:
    from pyspark.sql import SparkSession

    ivy_dir = cache / "ivy"
    cache.mkdir(parents=True, exist_ok=True)
    print(f"Fetching {', '.join(coordinates)} and dependencies from Maven Central into {cache} ...", flush=True)
    started = time.monotonic()
    log = cache / "fetch.log"
    try:
        # Ivy reports every repository it tries; that chatter goes to the log, not the terminal.
        with output_to(log):
            session = (
                SparkSession.builder.master("local[1]")
                .appName("healthlake-fetch-jars")
                .config("spark.jars.packages", ",".join(coordinates))
                .config("spark.jars.ivy", str(ivy_dir))
                .config("spark.ui.enabled", "false")
                .getOrCreate()
            )
            session.stop()
    except Exception as exc:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise RuntimeError(f"{exc}\nLast lines of {log}:\n{tail}") from None
    # Ivy also resolves older copies of libraries Spark already ships (Hadoop, Jackson, Parquet):
    # keep only what Spark lacks, so the versions Spark was built with stay the only ones loaded.
    bundled = set(_bundled_versions())
    resolved = sorted(j for j in (ivy_dir / "jars").glob("*.jar") if _ivy_artifact(j.name) not in bundled)
    if not resolved:
        raise RuntimeError(f"Ivy resolved no jars into {ivy_dir / 'jars'}; see the output above.")
    for jar in resolved:
        shutil.copy2(jar, cache / jar.name)
    (cache / MANIFEST).write_text(
        json.dumps({"coordinates": coordinates, "jars": [j.name for j in resolved]}, indent=2)
    )
    # Ivy keeps two more copies of each jar; the AWS SDK bundle alone is ~690 MB.
    shutil.rmtree(ivy_dir)
    print(f"Cached {len(resolved)} jars in {time.monotonic() - started:.1f} s.")
    return [cache / j.name for j in resolved]


def fetch(settings: Settings, object_storage: bool = False) -> list[Path]:
    """Resolve and cache the jars this configuration needs (and the object-storage ones if asked); a
    quick no-op when the cache already has them."""
    jars = []
    for cache, coordinates in _jar_sets(settings, object_storage):
        try:
            jars += _cached(cache, coordinates)
        except JarsMissingError:
            jars += _fetch(cache, coordinates)
    return jars


if __name__ == "__main__":
    try:
        # --object-storage: also the s3a jars, for an image that may be pointed at object storage later.
        fetch(get_settings(), object_storage="--object-storage" in sys.argv[1:])
    except Exception as exc:  # set-up must end with one clear line, not a JVM trace
        print(f"healthlake: could not fetch the JVM jars: {exc}", file=sys.stderr)
        sys.exit(1)
