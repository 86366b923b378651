"""The gold marts against the generator's ground truth. The shared lake (tests/e2e/conftest.py: six
months of a small network through the Airflow DAGs) is read back from its Delta directories and
compared with what this test computes itself from the forms the generator wrote
(ground_truth/followup_people.parquet), by the specification's rules."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import AS_OF, free_port, healthlake, serve, stop

from healthlake import contracts
from healthlake.pseudonym import hmac_hex
from healthlake.settings import REPO_ROOT, get_settings

pytestmark = pytest.mark.slow

ELDERLY_TARGET_SBP = 150  # the dbt var's default (STANDARDS.md §5, UNCONFIRMED)


@pytest.fixture(scope="module")
def read(spark):
    """Reads a Delta table of any home by its path (the test session's own catalog is another home)."""

    def read_table(home: Path, schema: str, table: str) -> pd.DataFrame:
        return spark.read.format("delta").load(str(home / "warehouse" / schema / table)).toPandas()

    return read_table


def whole_years(born: pd.Series, on: pd.Series) -> pd.Series:
    born, on = pd.to_datetime(born), pd.to_datetime(on)
    before_birthday = (on.dt.month < born.dt.month) | ((on.dt.month == born.dt.month) & (on.dt.day < born.dt.day))
    return on.dt.year - born.dt.year - before_birthday.astype(int)


@pytest.fixture(scope="module")
def forms(lake, read) -> pd.DataFrame:
    """Every follow-up form the generator wrote that reached the resident index, judged by the rules."""
    truth = pd.read_parquet(lake.home / "ground_truth" / "followup_people.parquet")
    crosswalk = read(lake.home, "restricted", "identity_crosswalk")
    crosswalk = crosswalk[crosswalk["source"] == "public_health.followup"][["source_record_id", "resident_key"]]
    residents = read(lake.home, "silver", "residents")[["resident_key", "birth_date", "district_code"]]
    key = (lake.home / "secrets" / "pseudonym.key").read_text().strip().encode()
    forms = truth.merge(crosswalk, left_on="form_id", right_on="source_record_id").merge(residents, on="resident_key")
    forms["followup_key"] = [hmac_hex(key, f"public_health.followup:{f}") for f in forms["form_id"]]
    forms["condition"] = forms["form_type"].map({"hypertension": "hypertension", "t2dm": "diabetes"})
    forms["followup_date"] = pd.to_datetime(forms["followup_date"])
    age = whole_years(forms["birth_date"], forms["followup_date"])
    target_sbp = np.where(age >= 65, ELDERLY_TARGET_SBP, 140)
    bp_ok = (forms["sbp"] < target_sbp) & (forms["dbp"] < 90)
    forms["controlled"] = np.where(forms["condition"] == "hypertension", bp_ok, forms["fpg"] < 7.0).astype(float)
    forms.loc[(forms["condition"] == "diabetes") & forms["fpg"].isna(), "controlled"] = np.nan
    forms["face_to_face"] = forms["method"].isin([1, 2])
    forms["glucose_test"] = forms["fpg"].notna()
    return forms.sort_values(["followup_date", "followup_key"])


def clean_residents(read, home: Path) -> set[str]:
    """Resident keys whose records all belong to one true person (linkage is near-perfect, not perfect)."""
    crosswalk = read(home, "restricted", "identity_crosswalk")[["source", "source_record_id", "resident_key"]]
    from healthlake.synth.truth import TRUTH_FILES

    frames = []
    for source, (file, id_column) in TRUTH_FILES.items():
        path = home / "ground_truth" / file
        if path.exists():
            people = pd.read_parquet(path, columns=[id_column, "person_id"]).drop_duplicates(id_column)
            frames.append(people.assign(source=source, source_record_id=people[id_column].astype(str)))
    truth = pd.concat(frames)[["source", "source_record_id", "person_id"]]
    persons = crosswalk.merge(truth, on=["source", "source_record_id"]).groupby("resident_key")["person_id"].nunique()
    return set(persons[persons == 1].index)


def managed_to_standard(condition: str, visits: pd.DataFrame) -> bool:
    enough_visits = visits["face_to_face"].sum() >= 4
    return bool(enough_visits and (condition == "hypertension" or visits["glucose_test"].sum() >= 4))


def control_status(visits: pd.DataFrame) -> str:
    latest = visits["controlled"].iat[-1]  # forms are sorted by date, then key, as the mart breaks ties
    return "not_measured" if pd.isna(latest) else ("controlled" if latest == 1 else "uncontrolled")


def test_management_and_control_per_patient_match_the_rules(lake, forms, read):
    expected = pd.DataFrame(
        [
            (resident, condition, len(visits), managed_to_standard(condition, visits), control_status(visits))
            for (resident, condition), visits in forms.groupby(["resident_key", "condition"])
        ],
        columns=["resident_key", "condition", "followups", "is_managed_to_standard", "control_status"],
    )
    mart = read(lake.home, "gold", "chronic_disease_management")
    mart = mart[mart["year"] == 2026][expected.columns]
    clean = clean_residents(read, lake.home)
    expected = expected[expected["resident_key"].isin(clean)].sort_values(["resident_key", "condition"])
    mart = mart[mart["resident_key"].isin(clean)].sort_values(["resident_key", "condition"])
    assert len(expected) > 100, "too few managed patients to test anything"
    assert expected["is_managed_to_standard"].any() and not expected["is_managed_to_standard"].all()
    assert set(expected["control_status"]) >= {"controlled", "uncontrolled"}
    pd.testing.assert_frame_equal(
        mart.reset_index(drop=True).astype({"followups": int, "is_managed_to_standard": bool}),
        expected.reset_index(drop=True).astype({"followups": int, "is_managed_to_standard": bool}),
    )


def test_management_rows_carry_their_residents_district_and_sex(lake, read):
    """The mart takes district and sex from the visits it groups, not from a join of its own."""
    mart = read(lake.home, "gold", "chronic_disease_management")
    residents = read(lake.home, "silver", "residents").set_index("resident_key")
    assert len(mart) > 100 and mart["district_code"].notna().any() and mart["sex_code"].notna().any()
    expected = residents.loc[mart["resident_key"], ["district_code", "sex_code"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(mart[["district_code", "sex_code"]].reset_index(drop=True), expected)


def test_condition_flags_follow_the_records(lake, forms, read):
    """Every patient with a follow-up form is flagged; the generator codes hypertension and diabetes
    only for people who have them, so no flag may fall on anyone else."""
    profile = read(lake.home, "gold", "resident_health_profile").set_index("resident_key")
    clean = clean_residents(read, lake.home)
    for condition, column in (("hypertension", "has_hypertension"), ("diabetes", "has_diabetes")):
        with_forms = set(forms.loc[forms["condition"] == condition, "resident_key"])
        flagged = set(profile.index[profile[column]])
        assert with_forms and with_forms <= flagged
        assert len(flagged) > len(with_forms), f"no {condition} came from a diagnosis alone"

    crosswalk = read(lake.home, "restricted", "identity_crosswalk")
    his = pd.read_parquet(lake.home / "ground_truth" / "his_people.parquet").astype({"patient_id": str})
    exams = pd.read_parquet(lake.home / "ground_truth" / "exam_people.parquet").astype({"exam_id": str})
    person_of = pd.concat(
        [
            crosswalk.merge(his, left_on="source_record_id", right_on="patient_id")[["resident_key", "person_id"]],
            crosswalk.merge(exams, left_on="source_record_id", right_on="exam_id")[["resident_key", "person_id"]],
        ]
    ).drop_duplicates()
    person_of = person_of[person_of["resident_key"].isin(clean)].set_index("resident_key")["person_id"]
    people = pd.read_parquet(lake.home / "ground_truth" / "residents.parquet").set_index("person_id")
    for column in ("has_hypertension", "has_diabetes"):
        flagged = profile.index[profile[column]].intersection(person_of.index)
        assert people.loc[person_of[flagged], column].all(), f"{column} set on someone without the condition"


def test_indicators_match_the_rules_month_by_month(lake, forms, read):
    rows = []
    for month in pd.date_range("2026-01-01", AS_OF, freq="MS"):
        month_end = month + pd.offsets.MonthEnd(0)
        so_far = forms[forms["followup_date"] <= month_end]
        for (condition, district), patients in so_far.groupby(["condition", "district_code"], dropna=False):
            per_patient = patients.groupby("resident_key")
            to_standard = sum(managed_to_standard(condition, visits) for _, visits in per_patient)
            controlled = sum(control_status(visits) == "controlled" for _, visits in per_patient)
            control = "bp_control_rate" if condition == "hypertension" else "glucose_control_rate"
            managed = per_patient.ngroups
            rows += [
                (month.date(), condition, district, "standard_management_rate", to_standard, managed),
                (month.date(), condition, district, control, controlled, managed),
            ]
    columns = ["month", "condition", "district_code", "indicator", "numerator", "denominator"]
    expected = pd.DataFrame(rows, columns=columns)
    mart = read(lake.home, "gold", "chronic_disease_indicators")
    mart = mart[mart["is_district_total"] & mart["indicator"].isin(expected["indicator"].unique())]
    mart = mart.assign(month=pd.to_datetime(mart["month"]).dt.date)[expected.columns]
    for frame in (mart, expected):
        frame["district_code"] = frame["district_code"].fillna("")  # residents with no known district
    key = ["month", "condition", "district_code", "indicator"]
    assert len(expected) > 20
    pd.testing.assert_frame_equal(
        mart.sort_values(key).reset_index(drop=True).astype({"numerator": int, "denominator": int}),
        expected.sort_values(key).reset_index(drop=True).astype({"numerator": int, "denominator": int}),
    )
    assert mart.loc[mart["indicator"] == "bp_control_rate", "numerator"].sum() > 0


def test_district_statistics_suppress_small_counts(lake, read):
    stats = read(lake.home, "gold", "district_health_stats")
    assert stats["is_suppressed"].any() and not stats["is_suppressed"].all()
    shown = stats.dropna(subset=["cases"])
    assert (shown["cases"] >= 5).all() and (shown["residents"] >= 5).all()
    assert stats.loc[stats["is_suppressed"], "prevalence_pct"].isna().all()


def test_home_bp_alerts_and_tasks_are_dated_as_of_the_setting(lake, read):
    alerts = read(lake.home, "gold", "home_bp_alerts")
    tasks = read(lake.home, "gold", "followup_tasks")
    assert set(pd.to_datetime(alerts["as_of_date"]).dt.date) == {date.fromisoformat(AS_OF)}
    assert {"urgent", "elevated", "normal"} <= set(alerts["alert_status"])
    assert set(tasks["task_status"]) >= {"overdue", "due"}


def documented_columns() -> dict[str, dict[str, str]]:
    """model -> {column: description} from every dbt/models/**/*.yml."""
    import yaml

    documented = {}
    for path in (Path(__file__).parents[2] / "dbt" / "models").rglob("*.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            assert model.get("description"), f"{model['name']} has no description ({path.name})"
            documented[model["name"]] = {c["name"]: c.get("description", "") for c in model.get("columns", [])}
    return documented


def test_every_gold_table_is_documented_column_for_column(lake, read):
    documented = documented_columns()
    gold = sorted(p.name for p in (lake.home / "warehouse" / "gold").iterdir() if (p / "_delta_log").is_dir())
    assert {"resident_health_profile", "chronic_disease_indicators", "encounters"} <= set(gold)
    for table in gold:
        if table == "condition_icd10_ranges":
            continue  # the seed, documented in dbt/seeds/_seeds.yml
        columns = list(read(lake.home, "gold", table).columns)
        assert set(documented[table]) == set(columns), f"gold.{table}: the yml's columns differ from the table's"
        assert all(documented[table].values()), f"gold.{table}: a column has no description"


def test_every_gold_table_is_exactly_its_contract(lake, read):
    for contract in contracts.all_contracts(get_settings()):
        if contract.table.startswith("gold."):
            columns = list(read(lake.home, "gold", contract.table.split(".")[1]).columns)
            assert columns == contract.columns, contract.table


def test_the_scorecard_shows_the_latest_run_of_every_check(lake, read):
    results = read(lake.home, "quality", "dq_results")
    # One full run: bronze inbound, silver gates, gold contract checks and dbt tests.
    assert len(results) >= 400
    assert set(results["layer"]) >= {"bronze", "silver", "gold", "staging"}
    assert set(results["category"]) == {"conformance", "completeness", "plausibility"}
    # dbt: 24 tests on staging, 2 on the seed, 5 on intermediate models, 9 on the marts (contracts own the rest).
    assert results["expectation"].str.startswith("dbt:").sum() >= 40
    queried = healthlake(lake.home, "sql", "select * from gold.dq_scorecard where is_latest_run", "--format", "csv",
                         "--limit", "1000")  # fmt: skip
    assert queried.returncode == 0, queried.stderr
    scorecard = pd.read_csv(io.StringIO(queried.stdout), dtype={"source_system": str})
    assert set(scorecard["table_name"]) >= {"silver.observations", "gold.resident_health_profile",
                                             "bronze.his__patients"}  # fmt: skip
    assert {"exam_system", "his", "home_bp_devices", "public_health"} <= set(scorecard["source_system"])
    # The scorecard's own checks run once it is built: they are in the next run's scorecard.
    expected = results[results["table_name"] != "gold.dq_scorecard"].groupby(["table_name", "category"]).size()
    checks = scorecard.set_index(["table_name", "category"])["checks"]
    pairs = expected.index.intersection(checks.index)
    assert len(pairs) == len(expected) and (checks[pairs] == expected[pairs]).all()
    assert ((scorecard["score"] >= 0) & (scorecard["score"] <= 1)).all()
    observations = scorecard[scorecard["table_name"] == "silver.observations"]
    assert observations["warnings_failed"].sum() > 0  # the generator sends implausible results
    assert (observations["errors_failed"] == 0).all()


def test_data_docs_are_built_where_the_readme_says(lake):
    index = lake.home / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert index.is_file()
    listed = index.read_text(encoding="utf-8")
    assert "silver__observations" in listed
    # The gold contract checks build Data Docs once after every mart's checkpoint: each is listed.
    gold = [c.table.replace(".", "__") for c in contracts.all_contracts(get_settings()) if c.table.startswith("gold.")]
    assert gold and [name for name in gold if name not in listed] == []


def test_dbt_docs_generate_describes_the_marts(lake):
    done = healthlake(lake.home, "dbt", "docs", "generate", timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    target = lake.home / "dbt" / "target"
    assert (target / "index.html").is_file()
    catalog = (target / "catalog.json").read_text()
    assert "model.healthlake.resident_health_profile" in catalog and "risk_level" in catalog


def test_every_dbt_unit_test_passes_on_the_models_as_built(lake):
    # The pipeline's builds leave the unit tests out (they check code, not data): they run here.
    written = [
        test["name"]
        for path in (REPO_ROOT / "dbt" / "models").rglob("*.yml")
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", [])
    ]
    done = healthlake(lake.home, "dbt", "test", "--no-use-colors", "--select", "test_type:unit", timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    passed = re.findall(r"PASS (\S+)::(\S+)", done.stdout)
    assert len(written) >= 7 and sorted(name for _, name in passed) == sorted(written), done.stdout[-3000:]


@pytest.mark.changes_shared_lake
def test_an_incremental_build_follows_silver_through_cancellations(lake, read, spark):
    """A day of HIS changes, then silver and only the incremental marts again."""
    before = set(read(lake.home, "gold", "encounters")["encounter_key"])
    changed = healthlake(lake.home, "simulate-changes", "--share", "0.05")
    assert changed.returncode == 0, changed.stderr
    for args in (("job", "bronze-extract-his", "silver"), ("dbt", "build", "--select", "encounters", "diagnoses")):
        done = healthlake(lake.home, *args, timeout=900, HEALTHLAKE_AS_OF_DATE=AS_OF)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    after = set(read(lake.home, "gold", "encounters")["encounter_key"])
    assert after == set(read(lake.home, "silver", "encounters")["encounter_key"])
    assert before - after, "no cancelled encounter left gold"
    diagnoses = read(lake.home, "gold", "diagnoses")
    assert set(diagnoses["diagnosis_key"]) == set(read(lake.home, "silver", "diagnoses")["diagnosis_key"])
    for mart in ("encounters", "diagnoses"):
        # The post-hook's MERGE removed the cancelled rows: marked, not their files rewritten.
        removal = spark.sql(f"DESCRIBE HISTORY delta.`{lake.home / 'warehouse' / 'gold' / mart}` LIMIT 1").first()
        metrics = removal["operationMetrics"]
        assert removal["operation"] == "MERGE" and int(metrics["numTargetRowsDeleted"]) > 0, (mart, metrics)
        assert int(metrics["numTargetDeletionVectorsAdded"]) > 0 and metrics["numTargetFilesRemoved"] == "0", mart


def test_no_silver_or_gold_table_holds_an_identifier_in_clear(lake, read):
    """Scans every value of every silver and gold table for anything shaped like an ID number or a
    mobile number, and for the generator's true names."""
    truth = pd.read_parquet(lake.home / "ground_truth" / "residents.parquet")
    names = set(truth["name"].dropna())
    shaped = r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15}|1[3-9]\d{9})(?![0-9A-Za-z])"
    scanned = 0
    for layer in ("silver", "gold"):
        for path in sorted((lake.home / "warehouse" / layer).iterdir()):
            if not (path / "_delta_log").is_dir():
                continue
            table = read(lake.home, layer, path.name)
            for column in table.columns:
                values = table[column].dropna().astype(str)
                scanned += len(values)
                assert not values.str.contains(shaped, regex=True).any(), f"{layer}.{path.name}.{column}"
                assert not values.isin(names).any(), f"{layer}.{path.name}.{column} holds a true name"
    assert scanned > 100_000
    # The scan finds what it looks for: the restricted zone does hold them.
    crosswalk = read(lake.home, "restricted", "identity_crosswalk")
    assert crosswalk["id_number"].dropna().astype(str).str.contains(shaped, regex=True).any()
    assert crosswalk["name"].isin(names).any()


def test_an_app_reads_a_mart_without_a_jvm(lake, read):
    """examples/read_gold_without_jvm.py, run as an app would: its own process, delta-rs, no Spark."""
    script = (
        "import runpy, sys; "
        f"runpy.run_path({str(REPO_ROOT / 'examples' / 'read_gold_without_jvm.py')!r}, run_name='__main__'); "
        "assert 'pyspark' not in sys.modules and 'py4j' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", script, str(lake.home)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = dict(line.split("\t") for line in done.stdout.splitlines())
    profile = read(lake.home, "gold", "resident_health_profile")
    expected = profile[profile["risk_level"] == "high"].groupby("district_code").size()
    assert {k: int(v) for k, v in printed.items()} == expected.to_dict() and len(expected) > 0


ANALYST = ("ana", "analyst", "ana-password-1")
ENGINEER = ("eng", "engineer", "eng-password-1")
CSV = ("--outputformat=csv2", "--showHeader=false")


@pytest.fixture(scope="module")
def sql_endpoint(lake):
    """`healthlake sql-server` (the Spark Thrift Server) with an analyst and an engineer account."""
    for name, role, password in (ANALYST, ENGINEER):
        added = healthlake(lake.home, "sql-account", "add", name, "--role", role, "--password-stdin", stdin=password)
        assert added.returncode == 0, added.stderr
    port = str(free_port())
    server = serve(lake.home, "sql-server", "--port", port, read_stdout=True)
    try:
        assert f"jdbc:hive2://127.0.0.1:{port}/gold" in server.stdout.readline()  # printed once it listens
        yield port
    finally:
        assert stop(server) == 0


def beeline(home: Path, port: str, account: tuple[str, str, str], query: str) -> str:
    name, _, password = account
    done = healthlake(home, "beeline", "--user", name, *CSV, "-e", query,
                      HEALTHLAKE_SQL_PORT=port, HEALTHLAKE_SQL_PASSWORD=password)  # fmt: skip
    # beeline may print its continuation prompt (". . . > ") before the first row
    return re.sub(r"^(?:\. )+> ", "", done.stdout + done.stderr, flags=re.M)


def test_analysts_query_the_marts_over_jdbc_with_beeline(lake, read, sql_endpoint):
    query = "select district_code, count(*) from resident_health_profile where risk_level = 'high' group by 1"
    printed = beeline(lake.home, sql_endpoint, ANALYST, query)
    rows = dict(re.findall(r"(\d{6}),(\d+)", printed))  # beeline may print its prompt before a row
    profile = read(lake.home, "gold", "resident_health_profile")
    expected = profile[profile["risk_level"] == "high"].groupby("district_code").size()
    assert {k: int(v) for k, v in rows.items()} == expected.to_dict() and len(expected) > 0, printed[-2000:]


def test_the_sql_endpoint_lets_each_role_read_only_its_schemas(lake, read, sql_endpoint):
    """Two accounts: the analyst is refused the restricted zone (by name or by path, also inside a
    subquery); the engineer reads it, and that read and the refusals land in audit.events."""
    crosswalk = read(lake.home, "restricted", "identity_crosswalk")
    count = "select count(*) from restricted.identity_crosswalk"
    by_path = f"select count(*) from delta.`{lake.home / 'warehouse' / 'restricted' / 'identity_crosswalk'}`"
    hidden = f"select count(*) from gold.resident_health_profile where resident_key in ({count})"
    for query in (count, by_path, hidden):
        refused = beeline(lake.home, sql_endpoint, ANALYST, query)
        # (restricted.* when the refusal comes while Delta reads the table's log, before the table itself)
        assert "access denied for ana: role analyst may not read restricted." in refused, query
        assert not re.search(rf"^{len(crosswalk)}$", refused, re.M)
    engineer = beeline(lake.home, sql_endpoint, ENGINEER, count)
    assert re.search(rf"^{len(crosswalk)}$", engineer, re.M) and len(crosswalk) > 0, engineer[-2000:]
    wrong = beeline(lake.home, sql_endpoint, (ANALYST[0], ANALYST[1], "not-the-password"), "select 1")
    assert "Error validating the login" in wrong

    def audited() -> pd.DataFrame:
        events = read(lake.home, "audit", "events")
        return events[events["detail"].str.startswith("sql endpoint")]

    deadline = time.monotonic() + 120  # the server moves its events into audit.events every few seconds
    while time.monotonic() < deadline and len(audited()) < 5:
        time.sleep(3)
    events = audited()
    targets = events["target"].str.replace(r"restricted\.(identity_crosswalk|\*)", "restricted", regex=True)
    outcomes = set(zip(events["actor"], events["action"], targets, events["outcome"], strict=True))
    assert outcomes == {
        ("eng", "restricted_read", "restricted", "success"),
        ("ana", "sql_refused", "restricted", "denied"),
        ("ana", "sign_in", "", "denied"),
    }
    assert (events["actor"] == "ana").sum() == 4


# Erasure changes the lake: keep this the module's last test (the marked tests keep their order).
def _texts_under(home: Path) -> dict[Path, str]:
    """Every file under the home as text: Parquet decoded value by value (its pages are compressed),
    anything else read as UTF-8 and as GB18030 (the older sources' encoding). ground_truth/ is the
    generator's answer key, the synthetic world outside the lake (like the HIS database), so it is left out."""
    import pyarrow.parquet as pq

    texts = {}
    for path in home.rglob("*"):
        if not path.is_file() or path.relative_to(home).parts[0] == "ground_truth":
            continue
        if path.suffix == ".parquet":
            texts[path] = str(pq.read_table(path).to_pylist())
        else:
            data = path.read_bytes()
            texts[path] = data.decode("utf-8", "ignore") + "\n" + data.decode("gb18030", "ignore")
    return texts


@pytest.mark.changes_shared_lake
def test_forget_leaves_none_of_a_residents_identifiers_in_any_file(lake, read, spark):
    crosswalk = read(lake.home, "restricted", "identity_crosswalk")
    profile = read(lake.home, "gold", "resident_health_profile")
    names = crosswalk.dropna(subset=["name"]).groupby("name")["resident_key"].nunique()
    before = _texts_under(lake.home)
    landing = [text for path, text in before.items() if "landing" in path.parts]

    def identifiers(key: str) -> set[str]:
        own = crosswalk[crosswalk["resident_key"] == key]
        return {key, *own["id_number"].dropna(), *own["phone"].dropna(), *own["name"].dropna()}

    def only_theirs(key: str) -> bool:
        """Every delivered line with their name also carries their ID number or phone: no namesake,
        and no damaged record of theirs that the pipeline could not tell was theirs."""
        own = crosswalk[crosswalk["resident_key"] == key]
        if own["name"].nunique() != 1 or own["id_number"].isna().all() or own["phone"].isna().all():
            return False
        name = own["name"].iloc[0]
        if names.get(name, 0) != 1 or any(name in other and name != other for other in names.index):
            return False
        strong = {*own["id_number"].dropna(), *own["phone"].dropna()}
        lines = [line for text in landing for line in text.splitlines() if name in line]
        return bool(lines) and all(any(s in line for s in strong) for line in lines)

    by_sources = crosswalk.groupby("resident_key")["source"].nunique().sort_values(ascending=False)
    key = next(k for k in by_sources.index if k in set(profile["resident_key"]) and only_theirs(k))
    theirs = identifiers(key)
    assert all(any(i in text for text in before.values()) for i in theirs)  # the scan sees them before

    done = healthlake(lake.home, "forget", "--resident-key", key, "--yes", timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "erased resident sha256:" in done.stdout
    spark._jvm.org.apache.spark.sql.delta.DeltaLog.clearCache()  # this process read the old tables

    left = {(path, i) for path, text in _texts_under(lake.home).items() for i in theirs if i in text}
    assert not left, sorted(left)[:10]
    assert len(read(lake.home, "gold", "resident_health_profile")) == len(profile) - 1
    assert len(read(lake.home, "restricted", "identity_crosswalk")) < len(crosswalk)
    events = read(lake.home, "audit", "events")
    erased = events[events["action"] == "forget"]
    assert len(erased) == 1 and erased["target"].iloc[0].startswith("sha256:") and key not in str(erased.values)

    # Ingestion knows the rewritten files: nothing comes back; and a second erasure finds nothing.
    bronze_before = {t: len(read(lake.home, "bronze", t)) for t in ("exam_system__exam_items",)}
    ingest = healthlake(lake.home, "job", "bronze-ingest", timeout=1200)
    assert ingest.returncode == 0, ingest.stdout[-3000:] + ingest.stderr[-3000:]
    assert {t: len(read(lake.home, "bronze", t)) for t in bronze_before} == bronze_before
    again = healthlake(lake.home, "forget", "--resident-key", key, "--yes", timeout=1200)
    assert again.returncode == 0 and "nothing of resident" in again.stdout, again.stdout + again.stderr
