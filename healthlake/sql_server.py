"""The SQL endpoint for analysts, engineers and apps: the Spark Thrift Server (HiveServer2 protocol,
so JDBC and ODBC clients, beeline, DBeaver and Superset connect to it) over the same catalog as the jobs.

The server runs inside a session made by `healthlake.spark.get_spark`, with the Delta configuration
every job uses and every schema of the catalog. It re-reads the warehouse directory every
`RESCAN_SECONDS`, so tables a later run creates appear without a restart (tables it already knows
always answer with their newest Delta version).

Every connection signs in with an account of `healthlake sql-account` (HiveServer2's CUSTOM
authentication, healthlake/jvm/.../Authenticator.java), and every statement is checked against the
account's role before it runs (AccessControl.java, a Spark analyser check): analysts read silver,
gold and quality, apps gold, engineers everything. Reads of the restricted zone and refusals are
written by the JVM to a log file that this process moves into `audit.events` at each rescan.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from healthlake import audit, catalog, sql_accounts
from healthlake.jvm_jar import AUTHENTICATOR, EXTENSION, healthlake_jar
from healthlake.settings import Settings, SettingsError

log = logging.getLogger(__name__)

RESCAN_SECONDS = 30  # new tables appear within this
AUDIT_SECONDS = 5  # the JVM's audit events reach audit.events within this


def jdbc_url(settings: Settings, database: str = "gold") -> str:
    return f"jdbc:hive2://{settings.sql_host}:{settings.sql_port}/{database}"


def audit_log_file(settings: Settings) -> Path:
    """Where the endpoint's JVM appends its audit events until they are moved into audit.events."""
    return settings.home / "secrets" / "sql_endpoint_audit.jsonl"


def serve(settings: Settings, ready=print) -> None:
    """Start the Thrift server and keep it up until interrupted (Ctrl-C or SIGTERM)."""
    from healthlake.spark import get_spark

    if not sql_accounts.read(settings):
        raise SettingsError(
            "the SQL endpoint has no accounts yet: add one with `healthlake sql-account add NAME --role analyst` "
            f"(roles: {', '.join(sql_accounts.ROLES)})"
        )
    jar = healthlake_jar(settings)
    spark = get_spark(settings, app_name="healthlake-sql-server", extra_jars=[jar], extensions=[EXTENSION])
    audit.ensure_table(spark, settings)
    system = spark._jvm.java.lang.System
    properties = {
        "healthlake.sql.accounts": str(sql_accounts.accounts_file(settings)),
        "healthlake.sql.roles": sql_accounts.roles_property(),
        "healthlake.sql.restricted": sql_accounts.restricted_property(),
        "healthlake.sql.auditLog": str(audit_log_file(settings)),
        "healthlake.sql.warehouse": settings.warehouse,
        # HiveServer2 builds the authenticator from a HiveConf of its own, which reads system properties.
        "hive.server2.custom.authentication.class": AUTHENTICATOR,
    }
    for key, value in properties.items():
        system.setProperty(key, value)
    hadoop_conf = spark._jsc.hadoopConfiguration()
    hadoop_conf.set("hive.server2.authentication", "CUSTOM")
    hadoop_conf.set("hive.server2.custom.authentication.class", AUTHENTICATOR)
    hadoop_conf.set("hive.server2.thrift.bind.host", settings.sql_host)
    hadoop_conf.set("hive.server2.thrift.port", str(settings.sql_port))
    # Each connection gets a session of its own (its own USE and SET), sharing the catalog.
    server_class = spark._jvm.org.apache.spark.sql.hive.thriftserver.HiveThriftServer2
    server = server_class.startWithContext(spark._jsparkSession.sqlContext())
    ready(f"SQL endpoint: {jdbc_url(settings)}  (healthlake beeline connects to it; Ctrl-C stops it)")
    try:
        rescanned = time.monotonic()
        while True:
            time.sleep(AUDIT_SECONDS)
            try:
                move_audit_events(spark, settings)
                if time.monotonic() - rescanned >= RESCAN_SECONDS:
                    catalog.attach(spark, settings)
                    rescanned = time.monotonic()
            except Exception as exc:  # a table rewritten meanwhile (erasure): the next round retries
                log.warning("SQL endpoint housekeeping failed, retrying in %s s: %s", AUDIT_SECONDS, exc)
    finally:
        try:
            move_audit_events(spark, settings)
            server.stop()
            spark.stop()
        except Exception:  # a service manager stops the JVM with us: nothing is left to stop
            pass


def read_audit_events(path: Path) -> list[audit.Event]:
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        at = datetime.fromisoformat(entry["event_at"].replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)
        role = f", role {entry['role']}" if entry["role"] else ""
        detail = f"sql endpoint{role}: {entry['detail']}"
        events.append(audit.Event(entry["action"], entry["target"], outcome=entry["outcome"], detail=detail,
                                  actor=entry["actor"] or "unknown", at=at))  # fmt: skip
    return events


def move_audit_events(spark, settings: Settings) -> int:
    """Append the JVM's logged events to audit.events; the file is renamed first, so an event written
    meanwhile goes to a new file and waits for the next move instead of being lost."""
    log = audit_log_file(settings)
    if not log.exists():
        return 0
    moving = log.with_name(f"{log.name}.{os.getpid()}.moving")
    if not moving.exists():
        log.replace(moving)
    events = read_audit_events(moving)
    audit.record_all(spark, settings, events)
    moving.unlink()
    return len(events)


def beeline_command(
    settings: Settings, user: str, password_file: Path | None, *args: str
) -> tuple[list[str], dict[str, str]]:
    """Spark's beeline (shipped in the pyspark package), pointed at this endpoint."""
    import pyspark

    spark_home = Path(pyspark.__file__).parent
    command = [str(spark_home / "bin" / "beeline"), "-u", jdbc_url(settings), "-n", user]
    if password_file is not None:
        command += ["-w", str(password_file)]  # a file: a password on the command line shows in `ps`
    return [*command, *args], {**os.environ, "SPARK_HOME": str(spark_home)}


def beeline(settings: Settings, user: str, password: str | None, *args: str) -> int:
    """Run beeline as `user`; with a password it signs in directly, without one beeline asks for it."""
    if password is None:
        command, env = beeline_command(settings, user, None, *args)
        return subprocess.call(command, env=env)
    with tempfile.NamedTemporaryFile("w", prefix="healthlake-beeline-", suffix=".pw") as secret:
        secret.write(password)
        secret.flush()
        command, env = beeline_command(settings, user, Path(secret.name), *args)
        return subprocess.call(command, env=env)
