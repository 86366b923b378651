"""Run dbt in-process on healthlake's Spark session, so models see the shared catalog."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from healthlake.settings import Settings
from healthlake.spark import get_spark

SELECTING_COMMANDS = ("build", "run", "test", "compile", "show")


class DbtError(RuntimeError):
    """dbt reported failing models or tests."""


@dataclass(frozen=True)
class DbtOutcome:
    models: int
    tests: int
    unit_tests: int


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

    get_spark(settings, app_name="healthlake-dbt")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ["HEALTHLAKE_DBT_THREADS"] = str(settings.dbt_threads)
    runner = dbtRunner()
    if args and args[0] in SELECTING_COMMANDS and ({"--select", "-s", "--models", "-m"} & set(args)):
        # Staging and intermediate models are views in this session's catalog, which a new process
        # starts without: rebuild them (seconds) so any selection finds what it reads.
        runner.invoke(dbt_args(settings, "run", "--select", "config.materialized:view", "--quiet"))
    return runner.invoke(dbt_args(settings, *args))


def build(settings: Settings, select: str | None = None) -> DbtOutcome:
    extra = ("--select", select) if select else ()
    result = invoke(settings, "build", "--no-use-colors", *extra)
    if result.exception is not None:
        raise DbtError(f"dbt build could not run: {result.exception}")
    failed = [r for r in (result.result or []) if str(r.status) in ("error", "fail")]
    if failed or not result.success:
        names = ", ".join(f"{r.node.name} ({r.status}: {(r.message or '').strip()[:200]})" for r in failed)
        raise DbtError(f"dbt build failed: {names or 'see ' + str(settings.dbt_state_dir / 'logs')}")
    kinds = [r.node.resource_type for r in result.result]
    return DbtOutcome(
        models=sum(k == "model" for k in kinds),
        tests=sum(k == "test" for k in kinds),
        unit_tests=sum(k == "unit_test" for k in kinds),
    )
