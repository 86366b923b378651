"""Great Expectations checkpoints between layers: write, audit, publish.

A batch is validated as a Spark DataFrame before it is merged into its table (the checks come from
the table's contract, healthlake/contracts.py). Error-severity failures stop the publish with a
message naming the table, the rule and the failing count; warnings are recorded and the batch goes
on. Every check's outcome, passed or not, is appended to `quality.dq_results`; Data Docs are built
under HEALTHLAKE_HOME/gx.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from healthlake.lineage import LEDGER, create_table_if_absent
from healthlake.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

DATASOURCE = "healthlake_spark"
DATA_DOCS_INDEX_LIMIT = 200  # validation results on the Data Docs index page, newest first
# Counts of failing rows without sample values: fetching samples is one more Spark job per check
# (40 % of a big batch's audit), and would copy record values into Data Docs' HTML. The counts go to
# quality.dq_results; the rows are a query away (row-rule rejects: in quarantine, with the rule).
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}


class QualityGateError(RuntimeError):
    """An error-severity expectation failed: the batch was not published."""


RESULTS = "quality.dq_results"
RESULTS_SCHEMA = (
    "run_id string, checked_at timestamp, layer string, source_system string, table_name string, "
    "check_id string, expectation string, category string, severity string, status string, "
    "failing_rows bigint, rows_checked bigint, message string"
)


@dataclass(frozen=True)
class Check:
    """One expectation: a GE expectation class name and its arguments, with a severity, the id the
    contract gives it and its Kahn category (conformance, completeness, plausibility)."""

    expectation: str
    kwargs: dict[str, Any]
    severity: str = "error"  # error blocks the publish; warning is recorded only
    check_id: str = ""
    category: str = "conformance"

    @property
    def name(self) -> str:
        if self.check_id:
            return self.check_id
        column = self.kwargs.get("column") or ",".join(self.kwargs.get("column_list", []))
        return f"{self.expectation}({column})" if column else self.expectation


@dataclass(frozen=True)
class Outcome:
    check: Check
    success: bool
    failing: int | None  # rows that broke it (None: the check is not about rows, e.g. a column type)
    checked: int | None  # rows it looked at
    error: str | None = None  # the check itself could not run (a contract healthlake cannot evaluate)

    @property
    def status(self) -> str:
        return "error" if self.error else "passed" if self.success else "failed"


@dataclass
class AuditResult:
    table: str
    checks_run: int
    outcomes: list[Outcome] = field(default_factory=list)
    # The stored validation result and suite, for Data Docs built later (`update_data_docs`).
    docs_resources: list[Any] = field(default_factory=list)

    @property
    def failures(self) -> list[tuple[Check, int]]:
        return [(o.check, o.failing if o.failing is not None else -1) for o in self.outcomes if o.status == "failed"]

    @property
    def broken(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error]

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
    # Every checkpoint rebuilds the Data Docs index, which otherwise reads every validation result
    # ever stored: a cost that grows with each run. The index lists the newest; all stay stored.
    sites = context.variables.data_docs_sites or {}
    for site in sites.values():
        site.setdefault("site_index_builder", {"class_name": "DefaultSiteIndexBuilder"})
        site["site_index_builder"]["validation_results_limit"] = DATA_DOCS_INDEX_LIMIT
    context.variables.data_docs_sites = sites
    return context


def audit(
    df: DataFrame, table: str, checks: list[Check], settings: Settings, run_id: str, data_docs: bool = True
) -> AuditResult:
    """Run one checkpoint over `df` and report every check's outcome (`enforce` decides on them).
    Without `data_docs` the checkpoint leaves Data Docs to one `update_data_docs` after several."""
    import great_expectations as gx
    from great_expectations import expectations as gxe
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    context = _context(settings)
    # GE persists every batch it is given by default and never unpersists it: each gate's batch stayed
    # cached in the pipeline's one JVM for the rest of the run (at 100k residents, 354 MiB after device
    # readings' first load). Callers cache what is worth caching themselves.
    datasource = context.data_sources.add_or_update_spark(name=DATASOURCE, persist=False)
    asset_name = table.replace(".", "__")
    try:
        asset = datasource.get_asset(asset_name)
    except LookupError:
        asset = datasource.add_dataframe_asset(name=asset_name)
    try:
        batch_definition = asset.get_batch_definition("whole_batch")
    except KeyError:
        batch_definition = asset.add_batch_definition_whole_dataframe("whole_batch")

    # The index in meta ties each result back to its check, even for two checks of one kind. The
    # suite is built whole: adding expectations one by one rewrites the stored suite each time.
    expectations = [
        getattr(gxe, check.expectation)(**check.kwargs, meta={"severity": check.severity, "check": index})
        for index, check in enumerate(checks)
    ]
    suite = context.suites.add_or_update(gx.ExpectationSuite(name=f"{asset_name}__suite", expectations=expectations))
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{asset_name}__validation", data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"{asset_name}__checkpoint",
            validation_definitions=[validation],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")] if data_docs else [],
            result_format=RESULT_FORMAT,
        )
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": df}, run_id=RunIdentifier(run_name=run_id))

    resources = [*outcome.run_results, ExpectationSuiteIdentifier(name=suite.name)]
    result = AuditResult(table=table, checks_run=len(checks), docs_resources=resources)
    for run_result in outcome.run_results.values():
        for expectation_result in run_result.results:
            check = checks[int(expectation_result.expectation_config.meta["check"])]
            counts = expectation_result.result or {}
            failing, checked = counts.get("unexpected_count"), counts.get("element_count")
            error = _raised(expectation_result.exception_info)
            result.outcomes.append(
                Outcome(
                    check,
                    bool(expectation_result.success),
                    int(failing) if failing is not None else None,
                    int(checked) if checked is not None else None,
                    error[:500] if error else None,
                )
            )
    return result


def update_data_docs(settings: Settings, results: list[AuditResult]) -> None:
    """Data Docs for checkpoints run without them: their pages, and the index built once (each build
    of the index reads up to DATA_DOCS_INDEX_LIMIT stored results)."""
    resources = [resource for result in results for resource in result.docs_resources]
    if resources:
        _context(settings).build_data_docs(resource_identifiers=resources)


def _raised(info: Any) -> str | None:
    """The message of an exception GE caught while running a check (its info is flat, or nested per
    metric the check needed), or None."""
    if not info:
        return None
    if hasattr(info, "raised_exception") or "raised_exception" in info:
        raised = info.raised_exception if hasattr(info, "raised_exception") else info["raised_exception"]
        message = info.exception_message if hasattr(info, "exception_message") else info.get("exception_message")
        return (message or "the check raised an exception") if raised else None
    if isinstance(info, dict):
        for value in info.values():
            nested = _raised(value) if isinstance(value, dict) or hasattr(value, "raised_exception") else None
            if nested:
                return nested
    return None


def enforce(result: AuditResult) -> None:
    """Raise QualityGateError when an error-severity check failed, or a check could not run at all:
    the batch must not be published."""
    if result.broken:
        lines = "; ".join(f"{o.check.name}: {o.error}" for o in result.broken)
        raise QualityGateError(f"{result.table}: batch not published, checks could not run: {lines}")
    if result.errors:
        lines = "; ".join(f"{c.name} failed on {n} rows" if n >= 0 else f"{c.name} failed" for c, n in result.errors)
        raise QualityGateError(f"{result.table}: batch not published, error-severity checks failed: {lines}")


def record(spark, settings: Settings, result: AuditResult, run_id: str, layer: str, source_system: str) -> None:
    """Append every outcome to quality.dq_results (passed ones too: a score needs its denominator)."""
    record_all(spark, settings, [(result, layer, source_system)], run_id)


def record_all(spark, settings: Settings, results: list[tuple[AuditResult, str, str]], run_id: str) -> None:
    """`record` for several (result, layer, source system) in one append: a task that checks many
    tables (the gold marts, dbt's data tests per model) made one small commit per table."""
    checked_at = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        (run_id, checked_at, layer, source_system, result.table, o.check.check_id or o.check.name,
         o.check.expectation, o.check.category, o.check.severity, o.status, o.failing, o.checked, o.error)
        for result, layer, source_system in results
        for o in result.outcomes
    ]  # fmt: skip
    if not rows:
        return
    ensure_results_table(spark, settings)
    spark.createDataFrame(rows, RESULTS_SCHEMA).write.insertInto(RESULTS)


def ensure_results_table(spark, settings: Settings) -> None:
    """quality.dq_results exists (empty before the first check) so the scorecard can always build."""
    create_table_if_absent(spark, settings, "quality", "dq_results", spark.createDataFrame([], RESULTS_SCHEMA), LEDGER)
