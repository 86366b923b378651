"""The gold marts checked against their contracts after dbt has built them.

The contracts own what they promise consumers (columns and types, keys, required columns, accepted
values, ranges): dbt's data tests on the marts keep only what needs a query across models
(data_contracts/README.md). Every outcome is recorded in quality.dq_results; an error-severity
failure fails the run, naming the mart, the check and the failing count.
"""

from __future__ import annotations

from pyspark.sql import SparkSession

from healthlake import contracts
from healthlake.catalog import table_exists
from healthlake.lineage import JobResult
from healthlake.quality import QualityGateError, audit, record_all, update_data_docs
from healthlake.settings import Settings

# Built from dq_results after these checks have run, so it is checked on its own afterwards.
LAST = ("dq_scorecard",)


def marts(settings: Settings, last: bool = False) -> list[contracts.Contract]:
    chosen = [c for c in contracts.all_contracts(settings) if c.table.startswith("gold.")]
    return [c for c in chosen if (c.table.split(".", 1)[1] in LAST) == last]


def run(spark: SparkSession, settings: Settings, run_id: str, last: bool = False) -> JobResult:
    problems, checks_run, failed_warnings, audited = [], 0, 0, []
    for contract in marts(settings, last):
        name = contract.table.split(".", 1)[1]
        if not table_exists(settings, "gold", name):
            problems.append(f"{contract.table} is contracted but was not built")
            continue
        table = spark.table(contract.table)
        drift = contracts.column_drift(contract, table.columns)
        if drift:
            problems.append(drift)
            continue
        # Data Docs once for every mart after the loop: each checkpoint's own update rebuilt the index.
        result = audit(table, contract.table, contracts.checks(contract), settings, run_id, data_docs=False)
        audited.append((result, "gold", contract.source_system))
        checks_run += result.checks_run
        failed_warnings += len(result.warnings)
        problems += [f"{contract.table}: {c.name} failed on {n} rows" for c, n in result.errors]
        problems += [f"{contract.table}: {o.check.name} could not run: {o.error}" for o in result.broken]
    record_all(spark, settings, audited, run_id)
    update_data_docs(settings, [result for result, _, _ in audited])
    if problems:
        raise QualityGateError("gold contract checks failed: " + "; ".join(problems))
    detail = f"{checks_run} contract checks, {failed_warnings} warnings"
    return JobResult(job="gold contract checks", rows_in=0, rows_written=0, rows_rejected=0, detail=detail)
