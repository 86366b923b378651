"""
### Home BP devices ingest (家庭血压计)

Takes the device gateway's four-hourly JSON-lines micro-batches from the landing zone
(`$HEALTHLAKE_HOME/landing/home_bp_devices/`) into `bronze.home_bp_devices__readings`, every
delivery kept (late, out-of-order and re-sent readings included; silver deduplicates on
device and sequence). Lines that are not JSON objects go to `quarantine.bronze_rejects` with file,
line and reason. Files already ingested are recognised by their SHA-256.

Produces the Asset `bronze.home_bp_devices__readings`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, get_current_context, task

from healthlake import dag_policy, tasks
from healthlake.assets import BRONZE_DEVICE_READINGS


@dag(
    schedule=timedelta(minutes=30),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["bronze", "home_bp_devices"],
    doc_md=__doc__,
    default_args=dag_policy.default_args("data-engineering", retries=3),
)
def home_bp_devices_ingest():
    @task(outlets=[BRONZE_DEVICE_READINGS])
    def ingest_readings() -> dict:
        return tasks.ingest_files(get_current_context(), "home_bp_devices")

    ingest_readings()


home_bp_devices_ingest()
