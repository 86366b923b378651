"""Run dbt in-process on healthlake's Spark session, so models see the shared catalog."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from healthlake import storage
from healthlake.catalog import table_exists
from healthlake.dbt_graph import STAGING
from healthlake.quality import AuditResult, Check, Outcome, ensure_results_table
from healthlake.settings import Settings
from healthlake.spark import get_spark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SELECTING_COMMANDS = ("build", "run", "test", "compile", "show")


# dbt's generic tests in the Kahn framework's categories (healthlake/contracts.py has the same for GE).
TEST_CATEGORIES = {"not_null": "completeness", "accepted_values": "conformance", "relationships": "conformance"}


@dataclass(frozen=True)
class DbtOutcome:
    models: int
    tests: int
    # The data tests' outcomes per tested model, for quality.dq_results.
    test_results: list[AuditResult] = field(default_factory=list)


class DbtError(RuntimeError):
    """dbt reported failing models or tests."""

    def __init__(self, message: str, outcome: DbtOutcome | None = None):
        super().__init__(message)
        self.outcome = outcome


def test_results(results) -> list[AuditResult]:
    """dbt's data-test results grouped by the model each one tests, as quality outcomes."""
    by_model: dict[str, AuditResult] = {}
    for r in results:
        node = r.node
        if node.resource_type != "test" or not getattr(node, "attached_node", None):
            continue
        test_name = node.test_metadata.name if node.test_metadata else "singular"
        model = node.attached_node.split(".")[-1]
        schema = "gold" if not model.startswith(("stg_", "int_")) else "staging"
        table = f"{schema}.{model}"
        check = Check(f"dbt:{test_name}", {}, str(node.config.severity).lower().replace("warn", "warning"),
                      node.name, TEST_CATEGORIES.get(test_name, "plausibility"))  # fmt: skip
        failing = int(r.failures) if r.failures is not None else None
        result = by_model.setdefault(table, AuditResult(table=table, checks_run=0))
        result.outcomes.append(Outcome(check, str(r.status) == "pass", failing, None))
        result.checks_run += 1
    return list(by_model.values())


# The events whose newest date is the default as-of date, as int_as_of_date's fallback reads them.
EVENT_DATES = (
    ("chronic_followups", "followup_date"),
    ("device_readings", "cast(measured_at as date)"),
    ("encounters", "cast(start_time as date)"),
)


# The newest event date per state of the tables it is read from (their newest commits): the dbt
# invocations of one run, a task each, ask again and again while silver stays as it is.
_newest_event_dates: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}


def _newest_commit(settings: Settings, table: str) -> str:
    log = storage.file_names(settings, f"{settings.table_location('silver', table)}/_delta_log")
    return max((name for name in log if name.endswith(".json")), default="")


def as_of_date(spark: SparkSession, settings: Settings) -> str:
    """The date time-relative marts are computed as of: the setting, or else the newest event date in
    silver ("" while silver has none of those tables). Passed to dbt as a literal: as a query in
    int_as_of_date, Spark evaluated it in every place a mart reads it."""
    if settings.as_of_date:
        return settings.as_of_date
    present = [(table, expression) for table, expression in EVENT_DATES if table_exists(settings, "silver", table)]
    state = (settings.warehouse, tuple((table, _newest_commit(settings, table)) for table, _ in present))
    if state not in _newest_event_dates:
        newest = " union all ".join(f"select max({e}) as newest_on from silver.{t}" for t, e in present)
        on = spark.sql(f"select max(newest_on) from ({newest})").first()[0] if present else None
        _newest_event_dates[state] = on.isoformat() if on else ""
    return _newest_event_dates[state]


def dbt_vars(settings: Settings, as_of: str) -> dict[str, object]:
    """The dbt project's vars that are healthlake settings (the environment decides them); `as_of`
    is the resolved as-of date (`as_of_date`)."""
    return {
        "as_of_date": as_of,
        "hypertension_elderly_target_sbp": settings.hypertension_elderly_target_sbp,
    }


def dbt_args(settings: Settings, *args: str, as_of: str) -> list[str]:
    """The user's dbt arguments (command first), then where the project, profile and output live."""
    own_vars = () if "--vars" in args else ("--vars", json.dumps(dbt_vars(settings, as_of)))  # the user's win
    return [
        *args,
        *own_vars,
        "--project-dir", str(settings.dbt_project_dir),
        "--profiles-dir", str(settings.dbt_project_dir),
        "--target-path", str(settings.dbt_state_dir / "target"),
        "--log-path", str(settings.dbt_state_dir / "logs"),
    ]  # fmt: skip


def invoke(settings: Settings, *args: str):
    """Invoke a dbt command; the Spark session is created first so dbt's `session` method reuses it."""
    from dbt.cli.main import dbtRunner

    spark = get_spark(settings, app_name="healthlake-dbt")
    ensure_results_table(spark, settings)  # the scorecard's source, before any check has run
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ["HEALTHLAKE_DBT_THREADS"] = str(settings.dbt_threads)
    runner = dbtRunner()
    as_of = as_of_date(spark, settings)
    selecting = args and args[0] in SELECTING_COMMANDS and ({"--select", "-s", "--models", "-m"} & set(args))
    # STAGING builds the views itself; run first, on a new lake, their rebuild also failed for want of the seed.
    if selecting and STAGING not in args and not _views_present(spark, as_of):
        # Staging and intermediate models are views in this session's catalog, which a new process
        # starts without (and int_as_of_date holds the date): rebuild them (seconds) so any selection
        # finds what it reads, as of today.
        runner.invoke(dbt_args(settings, "run", "--select", "config.materialized:view", "--quiet", as_of=as_of))
    return runner.invoke(dbt_args(settings, *args, as_of=as_of))


def _views_present(spark: SparkSession, as_of: str) -> bool:
    from healthlake.dbt_graph import view_models

    if not all(spark.catalog.tableExists(f"staging.{name}") for name in view_models()):
        return False
    # A long-lived session (healthlake run) keeps yesterday's views: their date is a literal.
    held = spark.sql("select as_of_date from staging.int_as_of_date").first()
    return bool(held and held[0] and held[0].isoformat() == as_of)


def build(
    settings: Settings, select: str | None = None, exclude: str | None = None, command: str = "build"
) -> DbtOutcome:
    """`dbt build` (or `dbt test`) of a selection; raises DbtError naming what failed."""
    # Cautious: a selected model's tests run only if every model they read is selected too (a mart's
    # relationship test never runs before the mart it points to is built).
    chosen = ("--select", select, "--indirect-selection", "cautious") if select else ()
    extra = (*chosen, *(("--exclude", exclude) if exclude else ()))
    # Unit tests check the models' code on fixed rows, so they run where code changes (the test
    # suite: tests/e2e/test_gold_marts.py), not with every day's data, as dbt's docs advise.
    result = invoke(settings, command, "--no-use-colors", *extra, "--exclude-resource-type", "unit_test")
    if result.exception is not None:
        raise DbtError(f"dbt {command} could not run: {result.exception}")
    kinds = [r.node.resource_type for r in result.result]
    outcome = DbtOutcome(
        models=sum(k == "model" for k in kinds),
        tests=sum(k == "test" for k in kinds),
        test_results=test_results(result.result),
    )
    failed = [r for r in (result.result or []) if str(r.status) in ("error", "fail")]
    if failed or not result.success:
        names = ", ".join(f"{r.node.name} ({r.status}: {(r.message or '').strip()[:200]})" for r in failed)
        raise DbtError(f"dbt {command} failed: {names or 'see ' + str(settings.dbt_state_dir / 'logs')}", outcome)
    return outcome
