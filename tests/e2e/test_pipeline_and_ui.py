"""The pipeline end to end as `make demo` runs it (the shared lake of tests/e2e/conftest.py: generate,
then `healthlake run` through the Airflow DAGs), the SQL command on its output, and the Airflow UI
(`healthlake ui`) on that home: its API, and a headless browser that triggers a run and sees it succeed."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from helpers import free_port, healthlake, serve, stop

from healthlake.pipeline import HOUSEKEEPING, PIPELINE

pytestmark = pytest.mark.slow
CHROMIUM_SCRIPT = Path(__file__).parents[2] / "scripts" / "chromium.sh"
SCREENSHOTS = Path(__file__).parents[2] / ".artifacts"  # kept after the run (CI uploads it)


def test_run_prints_the_summary(lake):
    out = lake.run_output
    for expected in ("bronze.exam_system__exam_items", "bronze.home_bp_devices__readings",
                     "bronze.public_health__chronic_followups",
                     "silver.residents", "silver.observations", "silver.diagnoses", "gold.resident_health_profile",
                     "Quarantined rows", "Spark session start", "Pipeline wall time", "healthlake ui"):  # fmt: skip
        assert expected in out


def test_a_first_run_logs_no_dbt_error(lake):
    # The staging task once rebuilt the views before building them, and on a new lake one failed:
    # it reads the seed, which that task had yet to load.
    errors = [line for line in (lake.home / "dbt" / "logs" / "dbt.log").read_text().splitlines() if "[error]" in line]
    assert not errors, errors[:3]


def test_every_source_record_is_in_bronze_or_rejects_per_file_and_table(lake):
    home = lake.home
    truth = json.loads((home / "ground_truth" / "source_files.json").read_text())
    feeds = {
        "exam_system": ("exam_system", "exam_system__exam_items"),
        "home_bp_devices": ("home_bp_devices", "home_bp_devices__readings"),
        "public_health_followups": ("public_health", "public_health__chronic_followups"),
        "public_health_tcm": ("public_health", "public_health__tcm_assessments"),
    }
    parts = [f"SELECT 'file', _source_file, count(*) FROM bronze.{t} GROUP BY 2" for _, t in feeds.values()]
    parts.append("SELECT 'file', source_file, count(*) FROM quarantine.bronze_rejects GROUP BY 2")
    parts += [f"SELECT 'his', '{t}', count(DISTINCT _source_key) FROM bronze.his__{t}" for t in truth["his"]]
    queried = healthlake(home, "sql", " UNION ALL ".join(parts), "--format", "csv", "--limit", "100000")
    assert queried.returncode == 0, queried.stderr
    held: dict[tuple[str, str], int] = {}
    for kind, name, count in (line.split(",") for line in queried.stdout.splitlines()[1:]):
        held[(kind, name)] = held.get((kind, name), 0) + int(count)
    for feed, (folder, _) in feeds.items():
        for name, lines in truth[feed].items():
            assert held.get(("file", f"{folder}/{name}"), 0) == lines, name
    for table, rows in truth["his"].items():
        assert held[("his", table)] == rows, table
    assert sum(truth["exam_system"].values()) > 5_000


def test_sql_count_equals_the_summary(lake):
    home, out = lake.home, lake.run_output
    printed = int(re.search(r"gold\.resident_health_profile\s*│\s*([\d,]+)", out).group(1).replace(",", ""))
    assert printed > 0
    queried = healthlake(home, "sql", "select count(*) as n from gold.resident_health_profile", "--format", "csv")
    assert queried.returncode == 0, queried.stderr
    assert queried.stdout.splitlines() == ["n", str(printed)]


@pytest.fixture(scope="module")
def ui(lake):
    """`healthlake ui` (API server, scheduler, DAG processor), as the README starts it; its base URL."""
    port = free_port()
    server = serve(lake.home, "ui", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v2/monitor/health", timeout=5).close()
                break
            except OSError:
                assert server.poll() is None, "healthlake ui exited"
                assert time.monotonic() < deadline, "the Airflow UI did not answer within 120 s"
                time.sleep(1)
        yield base
    finally:
        stop(server)


def _api(base: str, path: str) -> dict:
    with urllib.request.urlopen(f"{base}/api/v2/{path}", timeout=10) as response:
        return json.load(response)


def test_ui_api_lists_the_dags_and_the_pipeline_runs(ui):
    assert {d["dag_id"] for d in _api(ui, "dags")["dags"]} == set(PIPELINE + HOUSEKEEPING)
    assert [r["state"] for r in _api(ui, "dags/gold_marts/dagRuns")["dag_runs"]] == ["success"]


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = subprocess.run(
        ["bash", str(CHROMIUM_SCRIPT), "install"], capture_output=True, text=True, check=True, timeout=600
    ).stdout.split()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.implicitly_wait(30)  # the UI renders after its API calls return
    yield driver
    driver.quit()


def test_in_the_browser_a_triggered_run_succeeds(ui, browser):
    """Headless Chromium: the DAG list, the trigger button and form, the run's state; a screenshot stays."""
    from selenium.webdriver.common.by import By

    browser.get(f"{ui}/dags")
    listed = {link.text for link in browser.find_elements(By.CSS_SELECTOR, "[data-testid=dag-id]")}
    assert listed == set(PIPELINE + HOUSEKEEPING)

    browser.get(f"{ui}/dags/exam_system_ingest")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=trigger-dag-button]").click()
    unpause = browser.find_element(By.XPATH, "//label[contains(., 'Unpause exam_system_ingest on trigger')]//input")
    assert unpause.is_selected()  # the DAG is paused since its creation; the form unpauses it
    browser.find_element(By.CSS_SELECTOR, "[data-testid=trigger-dag-submit]").click()
    deadline = time.monotonic() + 60
    while "/runs/manual__" not in browser.current_url:  # the UI opens the new run's page
        assert time.monotonic() < deadline, browser.current_url
        time.sleep(1)
    run_id = urllib.parse.unquote(browser.current_url.rsplit("/runs/", 1)[1])

    state, deadline = "", time.monotonic() + 600
    while state not in ("Success", "Failed"):
        assert time.monotonic() < deadline, f"run {run_id} still {state} after 10 minutes"
        time.sleep(10)
        browser.get(f"{ui}/dags/exam_system_ingest/runs")
        row = browser.find_element(By.XPATH, f"//tr[.//*[text()='{run_id}']]")
        state = row.find_element(By.CSS_SELECTOR, "[data-testid=table-cell-state]").text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "airflow_ui_triggered_run.png"))
    assert state == "Success"
    assert _api(ui, f"dags/exam_system_ingest/dagRuns/{urllib.parse.quote(run_id)}")["state"] == "success"
