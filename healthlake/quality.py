"""Great Expectations checkpoints between layers: write, audit, publish.

A batch is validated as a Spark DataFrame before it is merged into its table. Error-severity
failures stop the publish with a message naming the table, the rule and the failing count;
warnings are reported and the batch goes on. Data Docs are built under HEALTHLAKE_HOME/gx.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from healthlake.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

DATASOURCE = "healthlake_spark"


class QualityGateError(RuntimeError):
    """An error-severity expectation failed: the batch was not published."""


@dataclass(frozen=True)
class Check:
    """One expectation: a GE expectation class name and its arguments, with a severity."""

    expectation: str
    kwargs: dict[str, Any]
    severity: str = "error"  # error blocks the publish; warning is recorded only

    @property
    def name(self) -> str:
        column = self.kwargs.get("column") or ",".join(self.kwargs.get("column_list", []))
        return f"{self.expectation}({column})" if column else self.expectation


@dataclass
class AuditResult:
    table: str
    checks_run: int
    failures: list[tuple[Check, int]] = field(default_factory=list)  # (check, failing rows)

    @property
    def errors(self) -> list[tuple[Check, int]]:
        return [(c, n) for c, n in self.failures if c.severity == "error"]

    @property
    def warnings(self) -> list[tuple[Check, int]]:
        return [(c, n) for c, n in self.failures if c.severity != "error"]


def _context(settings: Settings):
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    from great_expectations.data_context.types.base import ProgressBarsConfig

    settings.gx_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(settings.gx_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def audit(df: DataFrame, table: str, checks: list[Check], settings: Settings, run_id: str) -> AuditResult:
    """Run one checkpoint over `df`; raise QualityGateError on any error-severity failure."""
    import great_expectations as gx
    from great_expectations import expectations as gxe
    from great_expectations.core.run_identifier import RunIdentifier

    context = _context(settings)
    datasource = context.data_sources.add_or_update_spark(name=DATASOURCE)
    asset_name = table.replace(".", "__")
    try:
        asset = datasource.get_asset(asset_name)
    except LookupError:
        asset = datasource.add_dataframe_asset(name=asset_name)
    try:
        batch_definition = asset.get_batch_definition("whole_batch")
    except KeyError:
        batch_definition = asset.add_batch_definition_whole_dataframe("whole_batch")

    suite = gx.ExpectationSuite(name=f"{asset_name}__suite")
    for index, check in enumerate(checks):
        # The index in meta ties each result back to its check, even for two checks of one kind.
        expectation = getattr(gxe, check.expectation)(**check.kwargs, meta={"severity": check.severity, "check": index})
        suite.add_expectation(expectation)
    suite = context.suites.add_or_update(suite)
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{asset_name}__validation", data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"{asset_name}__checkpoint",
            validation_definitions=[validation],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
            # BASIC: the failing count and a few failing values; SUMMARY adds full scans for row indexes.
            result_format={"result_format": "BASIC"},
        )
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": df}, run_id=RunIdentifier(run_name=run_id))

    result = AuditResult(table=table, checks_run=len(checks))
    for run_result in outcome.run_results.values():
        for expectation_result in run_result.results:
            if expectation_result.success:
                continue
            check = checks[int(expectation_result.expectation_config.meta["check"])]
            failing = expectation_result.result.get("unexpected_count")
            result.failures.append((check, int(failing) if failing is not None else -1))
    if result.errors:
        lines = "; ".join(f"{c.name} failed on {n} rows" if n >= 0 else f"{c.name} failed" for c, n in result.errors)
        raise QualityGateError(f"{table}: batch not published, error-severity checks failed: {lines}")
    return result
