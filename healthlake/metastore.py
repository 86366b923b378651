"""The shared catalog service: Hive's metastore, served over Thrift from the jars pyspark ships, its
tables in an embedded Derby database under HEALTHLAKE_HOME/metastore that only this server opens.

Why not PostgreSQL: Hive's schema scripts are not in the jars pyspark ships, and DataNucleus creating
the schema lazily on PostgreSQL hung here (a foreign key's DDL waiting on the pool's other
connection). Derby behind one server process is safe; the sessions never open it themselves.

With HEALTHLAKE_METASTORE_URI set, every Spark session (Airflow tasks, dbt, the SQL endpoint) keeps
its schemas and tables there, so any engine that speaks to a Hive metastore sees healthlake's tables
by name. The warehouse stays the source of truth: each session still registers what it finds in it
(healthlake/catalog.py), and the Delta logs, not the metastore, arbitrate commits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

from healthlake import storage
from healthlake.jars import cached_jars
from healthlake.settings import Settings, SettingsError

SERVER_CLASS = "org.apache.hadoop.hive.metastore.HiveMetaStore"
LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")


def client_options(settings: Settings) -> dict[str, str]:
    """Spark settings that keep the session catalog in the metastore service (none without one)."""
    if not settings.metastore_uri:
        return {}
    return {
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.hive.metastore.uris": settings.metastore_uri,
    }


def database_url(settings: Settings) -> str:
    return f"jdbc:derby:;databaseName={settings.home / 'metastore' / 'db'};create=true"


def server_configuration(settings: Settings) -> dict[str, str]:
    """hive-site.xml of the metastore service."""
    return {
        "javax.jdo.option.ConnectionURL": database_url(settings),
        "javax.jdo.option.ConnectionDriverName": "org.apache.derby.jdbc.EmbeddedDriver",
        # The metastore's own tables are made on first start (and kept afterwards).
        "datanucleus.schema.autoCreateAll": "true",
        "hive.metastore.schema.verification": "false",
        "datanucleus.connectionPoolingType": "HikariCP",
        "hive.metastore.warehouse.dir": settings.warehouse,
        # The service makes a schema's or table's directory itself, so it reaches the object store too.
        **{
            key.removeprefix("spark.hadoop."): value
            for key, value in storage.hadoop_options(settings).items()
            if key.startswith("spark.hadoop.")
        },
    }


def _hive_site(configuration: dict[str, str]) -> str:
    properties = "".join(
        f"  <property><name>{escape(k)}</name><value>{escape(v)}</value></property>\n"
        for k, v in sorted(configuration.items())
    )
    return f'<?xml version="1.0"?>\n<configuration>\n{properties}</configuration>\n'


def serve(settings: Settings, port: int) -> int:
    """Run the metastore service in the foreground until it is stopped; returns its exit status. Hive 2.3's
    metastore listens on every interface (it has no bind-address setting): keep the port firewalled."""
    import pyspark

    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if java is None:
        raise SettingsError("java not found: the metastore service needs Java 17")
    # hive-site.xml holds the object store's key: a private directory, deleted when the service stops.
    with tempfile.TemporaryDirectory(prefix="healthlake-metastore-") as conf_dir:
        site = Path(conf_dir) / "hive-site.xml"
        site.write_text(_hive_site(server_configuration(settings)), encoding="utf-8")
        site.chmod(0o600)
        classpath = os.pathsep.join(
            [conf_dir, str(Path(pyspark.__file__).parent / "jars" / "*"), *map(str, cached_jars(settings))]
        )
        (settings.home / "metastore").mkdir(parents=True, exist_ok=True)
        command = [
            java,
            f"-Dlog4j.configurationFile={LOG4J_CONFIG}",
            # Hive's default log4j set-up asks for an asynchronous logger whose library Spark does not ship.
            "-Dlog4j2.contextSelector=org.apache.logging.log4j.core.selector.ClassLoaderContextSelector",
            "-cp",
            classpath,
            SERVER_CLASS,
            "-p",
            str(port),
        ]
        # Derby writes derby.log into the working directory.
        return subprocess.call(command, cwd=settings.home / "metastore")
