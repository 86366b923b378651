"""Airflow Assets named by the table they stand for; the DAGs schedule on them."""

from __future__ import annotations

from airflow.sdk import Asset

from healthlake.schemas import database_source


def table_asset(layer: str, table: str) -> Asset:
    return Asset(name=f"{layer}.{table}", uri=f"x-healthlake://{layer}/{table}", group=layer)


BRONZE_EXAM_ITEMS = table_asset("bronze", "exam_system__exam_items")
BRONZE_DEVICE_READINGS = table_asset("bronze", "home_bp_devices__readings")
BRONZE_CHRONIC_FOLLOWUPS = table_asset("bronze", "public_health__chronic_followups")
BRONZE_TCM_ASSESSMENTS = table_asset("bronze", "public_health__tcm_assessments")
BRONZE_HIS = {table: table_asset("bronze", f"his__{table}") for table in database_source("his").tables}
BRONZE_ALL = (BRONZE_EXAM_ITEMS, BRONZE_DEVICE_READINGS, BRONZE_CHRONIC_FOLLOWUPS, BRONZE_TCM_ASSESSMENTS,
              *BRONZE_HIS.values())  # fmt: skip
SILVER_RESIDENTS = table_asset("silver", "residents")
SILVER = {
    table: table_asset("silver", table)
    for table in ("encounters", "observations", "diagnoses", "medications", "chronic_followups", "tcm_assessments",
                  "device_readings")
}  # fmt: skip
GOLD = {
    table: table_asset("gold", table)
    for table in ("resident_health_profile", "chronic_disease_management", "chronic_disease_indicators",
                  "home_bp_alerts", "followup_tasks", "district_health_stats", "encounters", "diagnoses",
                  "dq_scorecard")
}  # fmt: skip
