"""The write-audit-publish gate every published table passes: its columns must be exactly its
contract's, and its contract's checks run on the batch (outcomes to quality.dq_results) before
anything is published. An error-severity failure raises QualityGateError."""

from __future__ import annotations

from typing import TYPE_CHECKING

from healthlake import contracts
from healthlake.quality import AuditResult, QualityGateError, audit, enforce, record
from healthlake.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def check_columns(contract: contracts.Contract, columns: list[str]) -> None:
    drift = contracts.column_drift(contract, columns)
    if drift:
        raise QualityGateError(f"{drift}: batch not published")


def check_batch(
    spark: SparkSession,
    settings: Settings,
    table: str,
    batch: DataFrame,
    published_columns: list[str],
    run_id: str,
    with_rejects: bool = False,
) -> AuditResult:
    """`with_rejects`: `batch` also holds the rows the row rules reject, marked by `_rule_id`."""
    contract = contracts.load(settings, table)
    check_columns(contract, published_columns)
    result = audit(batch, table, contracts.checks(contract, batch=with_rejects), settings, run_id)
    record(spark, settings, result, run_id, table.split(".")[0], contract.source_system)
    enforce(result)
    return result


def measure_inbound(spark: SparkSession, settings: Settings, bronze_table: str, batch: DataFrame, run_id: str) -> str:
    """Score a delivery against its feed's inbound contract: outcomes are recorded, never enforced
    (bronze keeps what was delivered; silver decides what is published). Returns a summary."""
    contract = contracts.load(settings, f"bronze.{bronze_table}")
    drift = contracts.column_drift(contract, batch.columns)
    result = audit(batch, contract.table, contracts.checks(contract), settings, run_id)
    record(spark, settings, result, run_id, "bronze", contract.source_system)
    failed = [f"{c.name}: {n} rows" if n >= 0 else c.name for c, n in result.failures]
    failed += [f"{o.check.name} could not run: {o.error}" for o in result.broken]
    summary = f"{result.checks_run - len(failed)} of {result.checks_run} inbound checks passed"
    return summary + ("; " + "; ".join(failed) if failed else "") + (f"; {drift}" if drift else "")
