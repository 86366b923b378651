"""The analysts' SQL endpoint: the Spark Thrift Server (HiveServer2 protocol, so JDBC and ODBC
clients, beeline, DBeaver and Superset connect to it) over the same catalog as the jobs.

The server runs inside a session made by `healthlake.spark.get_spark`, with the Delta configuration
every job uses and the analyst-facing schemas of the catalog (silver, gold, quality: no restricted
zone). It re-reads the warehouse directory every `RESCAN_SECONDS`, so tables a later run creates
appear without a restart (tables it already knows always answer with their newest Delta version).

It has no authentication and no per-user authorisation yet: it listens on loopback by default, and
a client that knows the lake's paths could still name a restricted table's files directly. Roles at
this endpoint (README "Security model") need a HiveServer2 authentication provider and a Spark
analyser rule, both JVM classes.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from healthlake import catalog
from healthlake.settings import ANALYST_LAYERS, Settings

RESCAN_SECONDS = 30


def jdbc_url(settings: Settings, database: str = "gold") -> str:
    return f"jdbc:hive2://{settings.sql_host}:{settings.sql_port}/{database}"


def serve(settings: Settings, ready=print) -> None:
    """Start the Thrift server and keep it up until interrupted (Ctrl-C or SIGTERM)."""
    from healthlake.spark import get_spark

    spark = get_spark(settings, app_name="healthlake-sql-server", layers=ANALYST_LAYERS)
    hadoop_conf = spark._jsc.hadoopConfiguration()
    hadoop_conf.set("hive.server2.thrift.bind.host", settings.sql_host)
    hadoop_conf.set("hive.server2.thrift.port", str(settings.sql_port))
    # Each connection gets a session of its own (its own USE and SET), sharing the catalog.
    server_class = spark._jvm.org.apache.spark.sql.hive.thriftserver.HiveThriftServer2
    server = server_class.startWithContext(spark._jsparkSession.sqlContext())
    ready(f"SQL endpoint: {jdbc_url(settings)}  (healthlake beeline connects to it; Ctrl-C stops it)")
    try:
        while True:
            time.sleep(RESCAN_SECONDS)
            catalog.attach(spark, settings, ANALYST_LAYERS)
    finally:
        try:
            server.stop()
            spark.stop()
        except Exception:  # a service manager stops the JVM with us: nothing is left to stop
            pass


def beeline_command(settings: Settings, user: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """Spark's beeline (shipped in the pyspark package), pointed at this endpoint."""
    import pyspark

    spark_home = Path(pyspark.__file__).parent
    command = [str(spark_home / "bin" / "beeline"), "-u", jdbc_url(settings), "-n", user, *args]
    return command, {**os.environ, "SPARK_HOME": str(spark_home)}


def beeline(settings: Settings, user: str, *args: str) -> int:
    command, env = beeline_command(settings, user, *args)
    return subprocess.call(command, env=env)
