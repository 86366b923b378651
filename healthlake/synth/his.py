"""The hospital information system (HIS): outpatient visits, diagnoses, prescriptions and inpatient
stays, written into a live PostgreSQL database the way the network's hospitals record them.

Each hospital registers a person in its own patient index, so one resident appears as several
patients with the usual variations (typos, legacy 15-digit IDs, a changed phone, local codes).
Diagnosis codes arrive in every form clinicians type them. After the first extraction,
`simulate_changes` plays a day of the HIS's life: discharges, code corrections, cancellations.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from healthlake import his_database
from healthlake.schemas import DatabaseSource, database_source
from healthlake.settings import Settings
from healthlake.synth.identity import IdentityVariation, render

HOSPITALS = {"4301": ["H4301001", "H4301002", "H4301015"], "other": ["H4302001"]}
ALL_HOSPITALS = np.array(HOSPITALS["4301"] + HOSPITALS["other"])
DEPARTMENTS = np.array(["全科", "呼吸内科", "消化内科", "骨科", "神经内科", "皮肤科", "眼科"])
DOCTORS = np.array([f"D{n:04d}" for n in range(1, 41)])

# (WHO code, national clinical edition 2.0 code, names clinicians write)
HYPERTENSION = ("I10", "I10.x00", ["原发性高血压", "高血压病", "高血压"])
DIABETES = ("E11.9", "E11.900", ["2型糖尿病", "糖尿病 2型", "II型糖尿病"])
ACUTE = [
    ("J06.9", "J06.900", ["急性上呼吸道感染", "上感"]), ("K29.7", "K29.700", ["胃炎"]),
    ("M54.5", "M54.500", ["腰痛"]), ("J20.9", "J20.900", ["急性支气管炎"]), ("K52.9", "K52.900", ["胃肠炎"]),
    ("L30.9", "L30.900", ["皮炎"]), ("H10.9", "H10.900", ["结膜炎"]), ("R51", "R51.x00", ["头痛"]),
]  # fmt: skip
INPATIENT = [
    ("I63.9", "I63.900", ["脑梗死"]), ("J18.9", "J18.900", ["肺炎"]),
    ("I25.1", "I25.103", ["冠状动脉粥样硬化性心脏病"]),
    ("K80.2", "K80.200", ["胆囊结石"]), ("S72.0", "S72.000", ["股骨颈骨折"]), ("I50.9", "I50.900", ["心力衰竭"]),
    ("J44.1", "J44.100", ["慢性阻塞性肺病伴急性加重"]),
]  # fmt: skip
# (formulary code, name and strength, dose, unit, frequency, days supplied)
CHRONIC_DRUGS = {
    "htn": [("XY0101", "苯磺酸氨氯地平片 5mg", 5, "mg", "qd", 30), ("XY0102", "缬沙坦胶囊 80mg", 80, "mg", "qd", 30)],
    "dm": [("XY0201", "盐酸二甲双胍片 0.5g", 0.5, "g", "tid", 30), ("XY0202", "阿卡波糖片 50mg", 50, "mg", "tid", 30)],
}
ACUTE_DRUGS = [
    ("XY0301", "阿莫西林胶囊 0.5g", 0.5, "g", "tid", 5), ("XY0302", "布洛芬缓释胶囊 0.3g", 0.3, "g", "bid", 3),
    ("XY0303", "奥美拉唑肠溶胶囊 20mg", 20, "mg", "qd", 7),
]  # fmt: skip
PATIENT_VARIATION = IdentityVariation(
    name_typo=0.01, name_spaces=0.02, legacy_id=0.04, mistyped_id=0.005, lowercase_x=0.5,
    missing_id=0.02, changed_phone=0.1, missing_phone=0.02,
)  # fmt: skip


@dataclass(frozen=True)
class HisTables:
    patients: pd.DataFrame
    outpatient_visits: pd.DataFrame
    admissions: pd.DataFrame
    diagnoses: pd.DataFrame
    prescriptions: pd.DataFrame

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in self.__dataclass_fields__}


def _local(values: np.ndarray) -> pd.Series:
    return pd.Series(pd.DatetimeIndex(values).strftime("%Y-%m-%d %H:%M:%S"))


def _stamped(values: np.ndarray, generated_at: np.datetime64) -> pd.Series:
    """timestamptz text in Shanghai time, never later than the moment of generation."""
    capped = np.minimum(values.astype("datetime64[s]"), generated_at)
    return _local(capped) + "+08"


def _code_forms(who: np.ndarray, national: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Codes as clinicians type them: WHO or national edition, lowercase, no dot, padded, or empty."""
    form = rng.choice(6, size=len(who), p=[0.45, 0.30, 0.08, 0.07, 0.05, 0.05])
    if len(who) == 0:  # numpy's string functions cannot take an empty array
        return who.astype(str)
    no_dot = np.char.replace(who.astype(str), ".", "")
    return np.select(
        [form == 0, form == 1, form == 2, form == 3, form == 4],
        [who, national, np.char.lower(who.astype(str)), no_dot, np.char.add(np.char.add(" ", who.astype(str)), " ")],
        default="",
    )


def _diagnoses_from(catalogue, pick: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    who = np.array([catalogue[i][0] for i in range(len(catalogue))])[pick]
    national = np.array([catalogue[i][1] for i in range(len(catalogue))])[pick]
    draws = rng.random(len(pick))
    names = np.array([catalogue[i][2][int(r * len(catalogue[i][2]))] for i, r in zip(pick, draws, strict=True)])
    return _code_forms(who, national, rng), names


def generate_his(
    residents: pd.DataFrame, rng: np.random.Generator, start: date, end: date, generated_at: datetime
) -> HisTables:
    days = (end - start).days + 1
    now = np.datetime64(generated_at.astimezone(UTC).replace(tzinfo=None), "s") + np.timedelta64(8, "h")
    age = residents["age"].to_numpy()
    htn = residents["has_hypertension"].to_numpy()
    dm = residents["has_diabetes"].to_numpy()
    n_res = len(residents)
    usual = np.where(
        residents["district_code"].str[:4].to_numpy() == "4301",
        rng.choice(np.array(HOSPITALS["4301"]), n_res),
        HOSPITALS["other"][0],
    )
    day0 = np.datetime64(start.isoformat(), "s")

    # Outpatient visits: chronic patients come for prescriptions, everyone for acute complaints.
    visit_rate = (0.8 + 0.02 * age + 3.0 * htn + 3.0 * dm) * days / 365.0
    visits_per = rng.poisson(visit_rate)
    who_visits = np.repeat(np.arange(n_res), visits_per)
    n_vis = len(who_visits)
    # Babies born inside the range are first seen on their day of birth at the earliest.
    first_day = np.clip((pd.DatetimeIndex(residents["birth_date"]) - pd.Timestamp(start)).days.to_numpy(), 0, days - 1)
    visit_day = np.maximum(rng.integers(0, days, n_vis), first_day[who_visits])
    visit_time = day0 + (visit_day * 86400 + rng.integers(8 * 3600, 17 * 3600, n_vis)).astype("timedelta64[s]")
    visit_inst = np.where(rng.random(n_vis) < 0.8, usual[who_visits], rng.choice(ALL_HOSPITALS, n_vis))
    chronic_visit = (htn[who_visits] | dm[who_visits]) & (rng.random(n_vis) < 0.7)

    # Inpatient stays.
    admit_rate = (0.03 + 0.002 * np.clip(age - 40, 0, None) + 0.04 * (htn | dm)) * days / 365.0
    stays_per = rng.poisson(admit_rate)
    who_stays = np.repeat(np.arange(n_res), stays_per)
    n_adm = len(who_stays)
    admit_day = np.maximum(rng.integers(0, days, n_adm), first_day[who_stays])
    admit_time = day0 + (admit_day * 86400 + rng.integers(0, 86400, n_adm)).astype("timedelta64[s]")
    los_hours = np.clip(rng.lognormal(np.log(7 * 24), 0.5, n_adm), 24, 60 * 24).astype(np.int64)
    discharge_time = admit_time + (los_hours * 3600).astype("timedelta64[s]")
    # The database shows the network as of the range's end: stays that go on past it are open.
    still_in = discharge_time > min(now, np.datetime64(end.isoformat(), "s") + np.timedelta64(86399, "s"))
    admit_inst = np.where(rng.random(n_adm) < 0.7, usual[who_stays], rng.choice(ALL_HOSPITALS, n_adm))

    # One registration per person and hospital, made at their first contact there.
    contacts = pd.DataFrame(
        {
            "person": np.concatenate([who_visits, who_stays]),
            "institution_code": np.concatenate([visit_inst, admit_inst]),
            "at": np.concatenate([visit_time, admit_time]),
        }
    )
    registrations = contacts.groupby(["person", "institution_code"], as_index=False)["at"].min()
    registrations["patient_id"] = np.arange(1, len(registrations) + 1, dtype=np.int64)
    people = residents.iloc[registrations["person"].to_numpy()].reset_index(drop=True)
    identity = render(people, rng, PATIENT_VARIATION)
    registered_at = registrations["at"].to_numpy() - np.timedelta64(10, "m")
    patients = pd.DataFrame(
        {
            "patient_id": registrations["patient_id"],
            "institution_code": registrations["institution_code"],
            "medical_record_no": registrations["institution_code"].str[-3:]
            + pd.Series(registrations["patient_id"]).astype(str).str.zfill(8),
            "name": identity["name"].to_numpy(),
            "sex": np.where(people["sex_code"] == "1", "M", "F"),
            "birth_date": pd.DatetimeIndex(people["birth_date"]).strftime("%Y-%m-%d"),
            "id_type": np.where(identity["id_type"] == "03", "护照", "身份证"),
            "id_number": identity["id_number"].to_numpy(),
            "phone": identity["phone"].to_numpy(),
            "address": people["address"].to_numpy(),
            "created_at": _stamped(registered_at, now),
            "updated_at": _stamped(registered_at, now),
            "_person_id": people["person_id"].to_numpy(),
        }
    )
    patient_of = pd.Series(
        registrations["patient_id"].to_numpy(),
        index=pd.MultiIndex.from_frame(registrations[["person", "institution_code"]]),
    )

    visit_id = np.arange(1, n_vis + 1, dtype=np.int64)
    visit_cancelled = rng.random(n_vis) < 0.02  # 退号 the same day
    visit_created = visit_time - np.timedelta64(5, "m")
    visit_updated = np.where(visit_cancelled, visit_time + np.timedelta64(30, "m"), visit_created)
    visit_status = np.where(visit_cancelled, "cancelled", "active")
    outpatient_visits = pd.DataFrame(
        {
            "visit_id": visit_id,
            "patient_id": patient_of.reindex(pd.MultiIndex.from_arrays([who_visits, visit_inst])).to_numpy(),
            "institution_code": visit_inst,
            "department": np.where(
                chronic_visit, np.where(dm[who_visits], "内分泌科", "心内科"), rng.choice(DEPARTMENTS, n_vis)
            ),
            "visit_time": _local(visit_time),
            "doctor_code": rng.choice(DOCTORS, n_vis),
            "status": visit_status,
            "created_at": _stamped(visit_created, now),
            "updated_at": _stamped(visit_updated, now),
        }
    )

    admission_id = np.arange(1, n_adm + 1, dtype=np.int64)
    principal = rng.integers(0, len(INPATIENT), n_adm)
    principal_code, principal_name = _diagnoses_from(INPATIENT, principal, rng)
    adm_updated = np.where(still_in, admit_time, discharge_time + np.timedelta64(2, "h"))
    admissions = pd.DataFrame(
        {
            "admission_id": admission_id,
            "patient_id": patient_of.reindex(pd.MultiIndex.from_arrays([who_stays, admit_inst])).to_numpy(),
            "institution_code": admit_inst,
            "inpatient_no": pd.Series(admission_id).astype(str).str.zfill(8).radd("ZY").to_numpy(),
            "ward": rng.choice(np.array(["内科一病区", "内科二病区", "外科病区", "神经内科病区"]), n_adm),
            "admit_time": _local(admit_time),
            "admit_route": rng.choice(np.array(["1", "2", "3", "9"]), n_adm, p=[0.35, 0.55, 0.08, 0.02]),
            "discharge_time": _local(discharge_time).where(~still_in, None),
            "discharge_method": pd.Series(
                rng.choice(np.array(["1", "2", "3", "4", "5"]), n_adm, p=[0.85, 0.04, 0.04, 0.05, 0.02])
            ).where(~still_in, None),
            "principal_diagnosis_code": principal_code,
            "principal_diagnosis_name": principal_name,
            "total_cost": np.round(los_hours / 24 * rng.normal(1800, 400, n_adm), 2),
            "status": np.where(still_in, "admitted", "discharged"),
            "created_at": _stamped(admit_time, now),
            "updated_at": _stamped(adm_updated, now),
        }
    )

    diagnoses = _diagnoses(rng, visit_id, who_visits, chronic_visit, htn, dm, visit_status, outpatient_visits,
                           admission_id, who_stays, principal_code, principal_name, admissions)  # fmt: skip
    prescriptions = _prescriptions(rng, visit_id, who_visits, chronic_visit, htn, dm, outpatient_visits)
    return HisTables(patients, outpatient_visits, admissions, diagnoses, prescriptions)


def _diagnoses(rng, visit_id, who_visits, chronic_visit, htn, dm, visit_status, visits, admission_id, who_stays,
               principal_code, principal_name, admissions) -> pd.DataFrame:  # fmt: skip
    frames = []
    # Outpatient: chronic visits carry their conditions, others one acute complaint.
    for flag, catalogue_entry in ((htn, HYPERTENSION), (dm, DIABETES)):
        rows = np.flatnonzero(chronic_visit & flag[who_visits])
        codes, names = _diagnoses_from([catalogue_entry], np.zeros(len(rows), dtype=np.int64), rng)
        frames.append(("O", visit_id[rows], codes, names, visits["status"].to_numpy()[rows],
                       visits["created_at"].to_numpy()[rows], visits["updated_at"].to_numpy()[rows]))  # fmt: skip
    acute = np.flatnonzero(~chronic_visit)
    codes, names = _diagnoses_from(ACUTE, rng.integers(0, len(ACUTE), len(acute)), rng)
    frames.append(("O", visit_id[acute], codes, names, visit_status[acute],
                   visits["created_at"].to_numpy()[acute], visits["updated_at"].to_numpy()[acute]))  # fmt: skip
    # Inpatient: the front page's principal diagnosis, then the chronic conditions.
    adm_created, adm_updated = admissions["created_at"].to_numpy(), admissions["updated_at"].to_numpy()
    active = np.full(len(admission_id), "active")
    frames.append(("I", admission_id, principal_code, principal_name, active, adm_created, adm_updated))
    for flag, catalogue_entry in ((htn, HYPERTENSION), (dm, DIABETES)):
        rows = np.flatnonzero(flag[who_stays])
        codes, names = _diagnoses_from([catalogue_entry], np.zeros(len(rows), dtype=np.int64), rng)
        frames.append(("I", admission_id[rows], codes, names, active[rows], adm_created[rows], adm_updated[rows]))
    out = pd.concat(
        [
            pd.DataFrame(
                {
                    "encounter_type": kind,
                    "encounter_id": ids,
                    "icd_code": c,
                    "diagnosis_name": nm,
                    "status": st,
                    "created_at": cr,
                    "updated_at": up,
                }
            )
            for kind, ids, c, nm, st, cr, up in frames
        ],
        ignore_index=True,
    )
    out = out.sort_values(["encounter_type", "encounter_id"], kind="stable", ignore_index=True)
    out["seq"] = out.groupby(["encounter_type", "encounter_id"]).cumcount() + 1
    out.insert(0, "diagnosis_id", np.arange(1, len(out) + 1, dtype=np.int64))
    return out


def _drug_lines(visit_id: np.ndarray, rows: np.ndarray, drugs: list[tuple], rng: np.random.Generator) -> pd.DataFrame:
    """One prescription line per chosen visit row, with a drug drawn from `drugs`."""
    chosen = pd.DataFrame(drugs, columns=["drug_code", "drug_name", "dose", "dose_unit", "frequency", "days"])
    chosen = chosen.iloc[rng.integers(0, len(drugs), len(rows))].reset_index(drop=True)
    return chosen.assign(visit_id=visit_id[rows], row=rows)


def _prescriptions(rng, visit_id, who_visits, chronic_visit, htn, dm, visits) -> pd.DataFrame:
    frames = [
        _drug_lines(visit_id, np.flatnonzero(chronic_visit & flag[who_visits]), CHRONIC_DRUGS[key], rng)
        for key, flag in (("htn", htn), ("dm", dm))
    ]
    acute = np.flatnonzero(~chronic_visit & (rng.random(len(visit_id)) < 0.4))
    frames.append(_drug_lines(visit_id, acute, ACUTE_DRUGS, rng))
    out = pd.concat(frames, ignore_index=True).sort_values(["visit_id", "drug_code"], ignore_index=True)
    row = out.pop("row").to_numpy()
    out["status"] = visits["status"].to_numpy()[row]
    out["created_at"] = visits["created_at"].to_numpy()[row]
    out["updated_at"] = visits["updated_at"].to_numpy()[row]
    out.insert(0, "prescription_id", np.arange(1, len(out) + 1, dtype=np.int64))
    return out


def _ddl(source: DatabaseSource) -> list[str]:
    statements = [f"DROP SCHEMA IF EXISTS {source.schema} CASCADE", f"CREATE SCHEMA {source.schema}"]
    for table in source.tables.values():
        columns = ", ".join(
            f"{c.column} {c.type}" + (" PRIMARY KEY" if c.column == table.primary_key else "") for c in table.columns
        )
        statements.append(f"CREATE TABLE {source.schema}.{table.name} ({columns})")
    return statements


def load(settings: Settings, tables: HisTables) -> None:
    """Replace the HIS schema with these tables (COPY), indexed for watermark reads."""
    source = database_source("his")
    with his_database.connect(settings) as conn:
        with conn.cursor() as cur:
            for statement in _ddl(source):
                cur.execute(statement)
            for name, table in source.tables.items():
                frame = getattr(tables, name)[table.column_names]
                buffer = io.StringIO()
                frame.to_csv(buffer, index=False, header=False)
                columns = ", ".join(table.column_names)
                with cur.copy(f"COPY {source.schema}.{name} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                    copy.write(buffer.getvalue())
                cur.execute(f"CREATE INDEX ON {source.schema}.{name} ({source.watermark_column})")
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE")


def simulate_changes(settings: Settings, share: float, seed: int) -> dict[str, int]:
    """A day of the HIS after an extraction: stays discharged, codes corrected, visits cancelled,
    phones updated; every changed row gets updated_at = now(). Returns rows changed per kind."""
    percent = share * 100
    sample = f"TABLESAMPLE BERNOULLI ({percent}) REPEATABLE ({seed})"
    statements = {
        "discharges": (
            "UPDATE his.admissions SET discharge_time = admit_time + interval '6 days', discharge_method = '1', "
            "status = 'discharged', total_cost = total_cost + 3000, updated_at = now() WHERE status = 'admitted'"
        ),
        "code_corrections": (
            "UPDATE his.diagnoses SET icd_code = upper(replace(trim(icd_code), ' ', '')), updated_at = now() "
            f"WHERE diagnosis_id IN (SELECT diagnosis_id FROM his.diagnoses {sample} WHERE status = 'active')"
        ),
        "cancelled_visits": (
            "UPDATE his.outpatient_visits SET status = 'cancelled', updated_at = now() "
            f"WHERE visit_id IN (SELECT visit_id FROM his.outpatient_visits {sample} WHERE status = 'active')"
        ),
        "cancelled_prescriptions": (
            "UPDATE his.prescriptions p SET status = 'cancelled', updated_at = now() FROM his.outpatient_visits v "
            "WHERE p.visit_id = v.visit_id AND v.status = 'cancelled' AND p.status = 'active'"
        ),
        "cancelled_diagnoses": (
            "UPDATE his.diagnoses d SET status = 'cancelled', updated_at = now() FROM his.outpatient_visits v "
            "WHERE d.encounter_type = 'O' AND d.encounter_id = v.visit_id AND v.status = 'cancelled' "
            "AND d.status = 'active'"
        ),
        "phone_changes": (
            "UPDATE his.patients SET phone = '199' || lpad((patient_id * 7919 % 100000000)::text, 8, '0'), "
            f"updated_at = now() WHERE patient_id IN (SELECT patient_id FROM his.patients {sample})"
        ),
    }
    changed = {}
    with his_database.connect(settings) as conn:
        for kind, statement in statements.items():
            changed[kind] = conn.execute(statement).rowcount
        conn.commit()
    return changed
