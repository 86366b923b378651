"""The audit log: who ran what, when, with how many rows in and out and what came of it, and every
read of restricted data through healthlake's own tools (`healthlake sql`).

`audit.events` is a Delta table created append-only (`delta.appendOnly`: UPDATE and DELETE are
refused) with its log and removed files kept 180 days, so the history of the table itself cannot
be vacuumed away sooner. It holds counts, names and query text, never the data read.
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from healthlake import catalog
from healthlake.lineage import LEDGER
from healthlake.settings import RESTRICTED_LAYERS, Settings
from healthlake.sql_literals import sql_string

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

TABLE = "audit.events"
RETENTION = "interval 180 days"
SCHEMA = (
    "event_at timestamp, actor string, action string, target string, run_id string, rows_in bigint, "
    "rows_out bigint, outcome string, detail string"
)
_RESTRICTED = re.compile(r"spark_catalog\.(" + "|".join(RESTRICTED_LAYERS) + r")\.(\w+)")


@dataclass(frozen=True)
class Event:
    action: str  # pipeline_step | job | restricted_read | sql_refused | sign_in | forget
    target: str  # the job, the restricted tables read, the resident forgotten
    run_id: str = ""
    rows_in: int | None = None
    rows_out: int | None = None
    outcome: str = "success"  # success | failed | denied
    detail: str = ""
    actor: str | None = None  # None: the operating-system account running this process
    at: datetime | None = None  # None: now


def actor() -> str:
    """Who: the operating-system account running the tool or the Airflow task."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def ensure_table(spark: SparkSession, settings: Settings) -> None:
    if catalog.table_exists(settings, "audit", "events"):
        catalog.register(spark, settings, "audit", "events")
        return
    catalog.ensure_schema(spark, settings, "audit")
    location = sql_string(settings.table_location("audit", "events"))
    try:
        spark.sql(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ({SCHEMA}) USING delta LOCATION {location} TBLPROPERTIES ("
            f"'delta.appendOnly' = 'true', 'delta.logRetentionDuration' = '{RETENTION}', "
            f"'delta.deletedFileRetentionDuration' = '{RETENTION}', "
            + ", ".join(f"'{key}' = '{value}'" for key, value in LEDGER.items())
            + ")"
        )
    except Exception:
        # Another process created it first (two tasks starting at once): use theirs.
        if not catalog.table_exists(settings, "audit", "events"):
            raise
        catalog.register(spark, settings, "audit", "events")


def record(spark: SparkSession, settings: Settings, event: Event) -> None:
    record_all(spark, settings, [event])


def record_all(spark: SparkSession, settings: Settings, events: list[Event]) -> None:
    """Append the events in one commit."""
    if not events:
        return
    ensure_table(spark, settings)
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [(event.at or now, event.actor or actor(), event.action, event.target, event.run_id, event.rows_in,
             event.rows_out, event.outcome, event.detail[:2000]) for event in events]  # fmt: skip
    spark.createDataFrame(rows, SCHEMA).write.insertInto(TABLE)


def restricted_tables(frame: DataFrame) -> list[str]:
    """The restricted-zone tables a query reads, from Spark's analysed plan (a `USE bronze` or a
    view cannot hide them the way they could hide from the query text)."""
    plan = frame._jdf.queryExecution().analyzed().toString()
    return sorted({f"{schema}.{table}" for schema, table in _RESTRICTED.findall(plan)})
