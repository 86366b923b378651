"""The community public-health system's chronic-disease follow-up forms, one JSON-lines file a day.

Managed patients (hypertensive residents aged 35 and over, type 2 diabetics) are followed up about
once a quarter; a fifth of them are non-adherent and seen less often. Each form's classification
follows the specification's thresholds on that visit's readings (BP < 140/90, fasting glucose < 7.0).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

CENTRES = ["C4301101", "C4301102", "C4301103", "C4301201", "C4301301", "C4302101"]
DOCTORS = ["周医生", "陈医生", "刘医生", "黄医生", "吴医生"]
METHOD_TEXT = {1: "门诊", 2: "家庭", 3: "电话"}
ADHERENCE_TEXT = {1: "规律", 2: "间断", 3: "不服药"}


@dataclass(frozen=True)
class FollowupDamage:
    text_codes: float = 0.03  # a centre sends the printed text instead of the code
    broken_json: float = 0.0005


def _visits(patients: pd.DataFrame, rng: np.random.Generator, start: date, end: date) -> pd.DataFrame:
    days = (end - start).days + 1
    non_adherent = rng.random(len(patients)) < 0.2
    expected = days / 91.0 * np.where(non_adherent, 0.5, 1.0)
    counts = rng.poisson(expected)
    index = np.repeat(np.arange(len(patients)), counts)
    visits = patients.iloc[index].reset_index(drop=True)
    visits["followup_date"] = np.datetime64(start.isoformat(), "D") + rng.integers(0, days, len(visits)).astype(
        "timedelta64[D]"
    )
    visits["non_adherent"] = non_adherent[index]
    return visits


def generate_followups(
    residents: pd.DataFrame, rng: np.random.Generator, start: date, end: date, damage: FollowupDamage
) -> pd.DataFrame:
    htn = residents[(residents["age"] >= 35) & residents["has_hypertension"]]
    htn = htn[rng.random(len(htn)) < 0.8].assign(form_type="hypertension")
    dm = residents[(residents["age"] >= 18) & residents["has_diabetes"]]
    dm = dm[rng.random(len(dm)) < 0.75].assign(form_type="t2dm")
    visits = _visits(pd.concat([htn, dm], ignore_index=True), rng, start, end)
    n = len(visits)
    if n == 0:
        return pd.DataFrame()

    sbp = np.round(visits["sbp_mean"].to_numpy() + rng.normal(0, 8, n) + visits["non_adherent"] * 8)
    dbp = np.round(visits["dbp_mean"].to_numpy() + rng.normal(0, 5, n) + visits["non_adherent"] * 4)
    is_dm = (visits["form_type"] == "t2dm").to_numpy()
    fpg = np.where(is_dm, np.round(rng.normal(7.4, 1.8, n) + visits["non_adherent"] * 1.2, 1), np.nan)
    controlled = (sbp < 140) & (dbp < 90) & np.where(is_dm, fpg < 7.0, True)
    adverse = rng.random(n) < 0.03
    result = np.where(adverse, 3, np.where(controlled, 1, 2))
    adherence = np.where(visits["non_adherent"], rng.choice([2, 3], n), np.where(rng.random(n) < 0.9, 1, 2))
    method = rng.choice([1, 2, 3], n, p=[0.6, 0.25, 0.15])
    next_date = visits["followup_date"] + np.where(result == 1, 90, 14).astype("timedelta64[D]")

    return pd.DataFrame(
        {
            "form_id": np.char.add("SF", np.char.zfill(np.arange(1, n + 1).astype(str), 9)),
            "form_type": visits["form_type"].to_numpy(),
            "org_code": rng.choice(np.array(CENTRES), n),
            "id_no": visits["id_number"].to_numpy(),
            "name": visits["name"].to_numpy(),
            "followup_date": visits["followup_date"].to_numpy(),
            "method": method,
            "sbp": sbp.astype(np.int64),
            "dbp": dbp.astype(np.int64),
            "weight_kg": np.round(rng.normal(66, 11, n), 1),
            "heart_rate": np.round(rng.normal(75, 9, n)).astype(np.int64),
            "fpg": fpg,
            "cigarettes_per_day": np.where(rng.random(n) < 0.25, rng.integers(1, 20, n), 0),
            "alcohol_ml_per_day": np.where(rng.random(n) < 0.2, rng.choice([50, 100, 150], n), 0),
            "exercise_per_week": rng.integers(0, 8, n),
            "adherence": adherence,
            "adverse_reaction": np.where(adverse, 2, 1),
            "hypoglycaemia": np.where(is_dm, rng.choice([1, 2, 3], n, p=[0.9, 0.08, 0.02]), 0),
            "result": result,
            "referral": (sbp >= 180) | (dbp >= 110) | (is_dm & ((fpg >= 16.7) | (fpg <= 3.9))),
            "next_date": next_date.to_numpy(),
            "doctor": rng.choice(np.array(DOCTORS), n),
            "_person_id": visits["person_id"].to_numpy(),
        }
    ).sort_values(["followup_date", "form_id"], ignore_index=True)


def write_daily_exports(
    forms: pd.DataFrame, out_dir: Path, rng: np.random.Generator, damage: FollowupDamage
) -> dict[str, int]:
    """One JSON-lines file per follow-up day; returns {file name: lines written}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if forms.empty:
        return {}
    lines_per_file = {}
    records = forms.drop(columns=["_person_id"]).assign(
        followup_date=pd.DatetimeIndex(forms["followup_date"]).strftime("%Y-%m-%d"),
        next_date=pd.DatetimeIndex(forms["next_date"]).strftime("%Y-%m-%d"),
    )
    for day, rows in records.groupby("followup_date", sort=True):
        lines = []
        for record in rows.to_dict("records"):
            if record["form_type"] == "hypertension":
                del record["fpg"], record["hypoglycaemia"]
            if rng.random() < damage.text_codes:
                record["method"] = METHOD_TEXT[record["method"]]
                record["adherence"] = ADHERENCE_TEXT[record["adherence"]]
            record["referral"] = bool(record["referral"])
            line = json.dumps(record, ensure_ascii=False, default=int)
            if rng.random() < damage.broken_json:
                line = line[: len(line) // 2]
            lines.append(line)
        name = f"followups_{day.replace('-', '')}.jsonl"
        (out_dir / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        lines_per_file[name] = len(lines)
    return lines_per_file
