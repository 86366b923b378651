from datetime import date

import numpy as np
import pandas as pd
import pytest

from healthlake.standards.id_number import is_valid
from healthlake.synth.exam_system import Damage
from healthlake.synth.population import generate_residents


def test_residents_have_valid_ids_matching_sex_and_birth_date():
    everyone = generate_residents(2000, np.random.default_rng(3), as_of=date(2026, 6, 30))
    people = everyone[everyone["id_type"] == "01"]
    assert 0 < len(everyone) - len(people) < 30  # a few foreign residents hold only a passport
    assert all(is_valid(v) for v in people["id_number"])
    seventeenth = people["id_number"].str[16].astype(int)
    assert ((seventeenth % 2 == 1) == (people["sex_code"] == "1")).all()
    births = pd.to_datetime(people["id_number"].str[6:14], format="%Y%m%d")
    assert (births == pd.to_datetime(people["birth_date"])).all()


def test_prevalence_is_close_to_the_epidemiology():
    people = generate_residents(50_000, np.random.default_rng(5), as_of=date(2026, 6, 30))
    adults = people[people["age"] >= 18]
    assert 0.20 <= adults["has_hypertension"].mean() <= 0.30
    assert 0.08 <= adults["has_diabetes"].mean() <= 0.14
    old, young = adults[adults["age"] >= 65], adults[adults["age"] < 45]
    assert old["has_hypertension"].mean() > 2 * young["has_hypertension"].mean()


def test_same_seed_same_bytes(tmp_path, monkeypatch):
    from healthlake.settings import Settings
    from healthlake.synth.generate import generate

    outputs = []
    for run in ("a", "b"):
        monkeypatch.setenv("HEALTHLAKE_HOME", str(tmp_path / run))
        generate(Settings.from_env(), 200, 11, date(2026, 1, 1), date(2026, 1, 10), Damage(), with_his=False)
        folder = tmp_path / run / "landing" / "exam_system"
        outputs.append({p.name: p.read_bytes() for p in folder.iterdir()})
    assert outputs[0] == outputs[1] and outputs[0]
    first = next(iter(outputs[0].values()))
    assert first.decode("gbk").splitlines()[0].startswith("体检编号,体检日期")


def test_device_readings_are_late_out_of_order_and_sometimes_resent():
    from healthlake.synth.home_bp_devices import DeviceDamage, generate_readings

    rng = np.random.default_rng(9)
    people = generate_residents(3000, rng, as_of=date(2026, 3, 31))
    readings = generate_readings(people, rng, date(2026, 3, 1), date(2026, 3, 31), DeviceDamage())
    owners = people.set_index("person_id").loc[readings["_person_id"].unique()]
    assert owners["has_hypertension"].all() and (owners["age"] >= 35).all()
    unique = readings.drop_duplicates(["device_sn", "seq"])
    assert 0.01 < 1 - len(unique) / len(readings) < 0.06  # about 3 % re-sent
    lag = (readings["uploaded_at"] - readings["measured_at"]).dt.total_seconds()
    assert (lag > 0).all() and (lag > 86400).mean() > 0.02  # some devices were offline for days
    per_device = unique.sort_values(["device_sn", "measured_at"])
    assert (per_device.groupby("device_sn")["seq"].diff().dropna() == 1).all()  # counters increase by one


def test_followups_cover_managed_patients_about_quarterly_with_spec_classification():
    from healthlake.synth.public_health import FollowupDamage, generate_followups

    rng = np.random.default_rng(13)
    people = generate_residents(5000, rng, as_of=date(2026, 12, 31))
    forms = generate_followups(people, rng, date(2026, 1, 1), date(2026, 12, 31), FollowupDamage())
    patients = people.set_index("person_id").loc[forms["_person_id"]]
    htn_forms = (forms["form_type"] == "hypertension").to_numpy()
    assert patients[htn_forms]["has_hypertension"].all() and (patients[htn_forms]["age"] >= 35).all()
    assert patients[~htn_forms]["has_diabetes"].all()
    per_patient_year = forms.groupby(["_person_id", "form_type"]).size()
    assert 2.8 < per_patient_year.mean() < 4.2  # four a year for most, fewer for the non-adherent fifth
    controlled = (
        (forms["sbp"] < 140) & (forms["dbp"] < 90) & ((forms["form_type"] == "hypertension") | (forms["fpg"] < 7.0))
    )
    not_adverse = forms["result"] != 3
    assert ((forms["result"] == 1) == controlled)[not_adverse].all()


@pytest.mark.parametrize("residents, days", [(1, 1), (3, 10), (20, 1)])
def test_tiny_networks_generate_every_source(residents, days):
    """Empty slices (no elderly, no admissions) must not trip numpy's string functions."""
    from datetime import UTC, datetime

    from healthlake.synth.his import generate_his
    from healthlake.synth.public_health import generate_tcm_assessments

    rng = np.random.default_rng(residents)
    end = date(2026, 1, days)
    people = generate_residents(residents, rng, as_of=end)
    tables = generate_his(people, rng, date(2026, 1, 1), end, datetime.now(UTC))
    assert set(tables.counts()) == {"patients", "outpatient_visits", "admissions", "diagnoses", "prescriptions"}
    generate_tcm_assessments(people, rng, date(2026, 1, 1), end)


def test_each_system_holds_its_own_variations_of_an_identity():
    from healthlake.standards.id_number import upgrade_15_to_18
    from healthlake.synth.identity import IdentityVariation, render

    people = generate_residents(5000, np.random.default_rng(5), as_of=date(2026, 6, 30))
    people = people[people["id_type"] == "01"]
    held = render(
        people, np.random.default_rng(6), IdentityVariation(legacy_id=0.5, name_spaces=0.1, changed_phone=0.2)
    )
    legacy = held["id_number"].str.len() == 15
    assert legacy.sum() > 100
    # A legacy number is the true one without century and check character: it upgrades back exactly.
    assert (held.loc[legacy, "id_number"].map(upgrade_15_to_18) == people.loc[legacy, "id_number"]).all()
    assert (pd.DatetimeIndex(people.loc[legacy, "birth_date"]).year < 1985).all()
    assert 0.05 < (held["name"] != people["name"]).mean() < 0.15
    assert (held["name"].str.replace(" ", "") == people["name"]).all()  # spaces only, no typos asked for
    assert 0.15 < (held["phone"] != people["phone"]).mean() < 0.25


def test_no_hospital_visit_or_stay_before_the_patients_birth():
    """Babies born inside the range were once given visits from its first day (dbt's not_before_birth failed at 10k)."""
    from datetime import UTC, datetime

    from healthlake.synth.his import generate_his

    rng = np.random.default_rng(42)
    people = generate_residents(10_000, rng, as_of=date(2026, 6, 30))
    assert (pd.DatetimeIndex(people["birth_date"]) > pd.Timestamp("2026-01-01")).sum() > 10, "newborns to test on"
    tables = generate_his(people, rng, date(2026, 1, 1), date(2026, 6, 30), datetime.now(UTC))
    births = tables.patients.set_index("patient_id")["birth_date"].astype(str)
    for frame, column in ((tables.outpatient_visits, "visit_time"), (tables.admissions, "admit_time")):
        dates = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
        assert (dates < frame["patient_id"].map(births)).sum() == 0, column
