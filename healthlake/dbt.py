"""Run dbt in-process on healthlake's Spark session, so models see the shared catalog."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from healthlake.quality import AuditResult, Check, Outcome, ensure_results_table
from healthlake.settings import Settings
from healthlake.spark import get_spark

SELECTING_COMMANDS = ("build", "run", "test", "compile", "show")


# dbt's generic tests in the Kahn framework's categories (healthlake/contracts.py has the same for GE).
TEST_CATEGORIES = {"not_null": "completeness", "accepted_values": "conformance", "relationships": "conformance"}


@dataclass(frozen=True)
class DbtOutcome:
    models: int
    tests: int
    unit_tests: int
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


def dbt_vars(settings: Settings) -> dict[str, object]:
    """The dbt project's vars that are healthlake settings (the environment decides them)."""
    return {
        "as_of_date": settings.as_of_date,
        "hypertension_elderly_target_sbp": settings.hypertension_elderly_target_sbp,
    }


def dbt_args(settings: Settings, *args: str) -> list[str]:
    """The user's dbt arguments (command first), then where the project, profile and output live."""
    own_vars = () if "--vars" in args else ("--vars", json.dumps(dbt_vars(settings)))  # the user's win
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
    selecting = args and args[0] in SELECTING_COMMANDS and ({"--select", "-s", "--models", "-m"} & set(args))
    if selecting and not _views_present(spark):
        # Staging and intermediate models are views in this session's catalog, which a new process
        # starts without: rebuild them (seconds) so any selection finds what it reads.
        runner.invoke(dbt_args(settings, "run", "--select", "config.materialized:view", "--quiet"))
    return runner.invoke(dbt_args(settings, *args))


def _views_present(spark) -> bool:
    from healthlake.dbt_graph import view_models

    return all(spark.catalog.tableExists(f"staging.{name}") for name in view_models())


def build(
    settings: Settings, select: str | None = None, exclude: str | None = None, command: str = "build"
) -> DbtOutcome:
    """`dbt build` (or `dbt test`) of a selection; raises DbtError naming what failed."""
    # Cautious: a selected model's tests run only if every model they read is selected too (a mart's
    # relationship test never runs before the mart it points to is built).
    chosen = ("--select", select, "--indirect-selection", "cautious") if select else ()
    extra = (*chosen, *(("--exclude", exclude) if exclude else ()))
    result = invoke(settings, command, "--no-use-colors", *extra)
    if result.exception is not None:
        raise DbtError(f"dbt {command} could not run: {result.exception}")
    kinds = [r.node.resource_type for r in result.result]
    outcome = DbtOutcome(
        models=sum(k == "model" for k in kinds),
        tests=sum(k == "test" for k in kinds),
        unit_tests=sum(k == "unit_test" for k in kinds),
        test_results=test_results(result.result),
    )
    failed = [r for r in (result.result or []) if str(r.status) in ("error", "fail")]
    if failed or not result.success:
        names = ", ".join(f"{r.node.name} ({r.status}: {(r.message or '').strip()[:200]})" for r in failed)
        raise DbtError(f"dbt {command} failed: {names or 'see ' + str(settings.dbt_state_dir / 'logs')}", outcome)
    return outcome
