"""The community public-health system's exports, one JSON-lines file a day per form: chronic-disease
follow-ups and TCM constitution assessments of the elderly.

Managed patients (hypertensive residents aged 35 and over, type 2 diabetics) are followed up about
once a quarter; a fifth of them are non-adherent and seen less often. Each form's classification
follows the specification's thresholds on that visit's readings (BP < 140/90, fasting glucose < 7.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from healthlake.standards import tcm_constitution as tcm
from healthlake.synth.identity import IdentityVariation, render
from healthlake.synth.json_lines import json_lines, quoted

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
    identity = render(visits, rng, IdentityVariation(name_spaces=0.02, mistyped_id=0.005, missing_id=0.005))

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
            "id_no": identity["id_number"].to_numpy(),
            "name": identity["name"].to_numpy(),
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


NUMERIC_FIELDS = [
    "sbp", "dbp", "weight_kg", "heart_rate", "fpg", "cigarettes_per_day", "alcohol_ml_per_day",
    "exercise_per_week", "adverse_reaction", "hypoglycaemia", "result",
]  # fmt: skip


def _write_daily(lines: pd.Series, days: pd.Series, out_dir: Path, prefix: str) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    lines_per_file = {}
    for day, day_lines in lines.groupby(days, sort=True):
        name = f"{prefix}_{day.replace('-', '')}.jsonl"
        (out_dir / name).write_text("\n".join(day_lines) + "\n", encoding="utf-8")
        lines_per_file[name] = len(day_lines)
    return lines_per_file


def _cut_short(lines: pd.Series, rng: np.random.Generator, share: float) -> pd.Series:
    cut = rng.random(len(lines)) < share
    lines[cut] = lines[cut].map(lambda line: line[: len(line) // 2])
    return lines


def _coded(codes: pd.Series, text: dict[int, str], as_text: np.ndarray) -> pd.Series:
    """A code as a JSON number, or as the printed text where a centre sends that instead."""
    return codes.astype(str).where(~as_text, quoted(codes.map(text)))


def write_daily_exports(
    forms: pd.DataFrame, out_dir: Path, rng: np.random.Generator, damage: FollowupDamage
) -> dict[str, int]:
    """One JSON-lines file per follow-up day; returns {file name: lines written}."""
    if forms.empty:
        out_dir.mkdir(parents=True, exist_ok=True)
        return {}
    is_htn = forms["form_type"] == "hypertension"
    as_text = rng.random(len(forms)) < damage.text_codes
    records = forms.drop(columns=["_person_id"]).assign(
        followup_date=pd.DatetimeIndex(forms["followup_date"]).strftime("%Y-%m-%d"),
        next_date=pd.DatetimeIndex(forms["next_date"]).strftime("%Y-%m-%d"),
        method=_coded(forms["method"], METHOD_TEXT, as_text),
        adherence=_coded(forms["adherence"], ADHERENCE_TEXT, as_text),
        # The hypertension form has no glucose fields.
        fpg=forms["fpg"].where(~is_htn),
        hypoglycaemia=forms["hypoglycaemia"].astype(object).where(~is_htn),
    )
    lines = json_lines(
        records,
        strings=["form_id", "form_type", "org_code", "id_no", "name", "followup_date", "next_date", "doctor"],
        numbers=NUMERIC_FIELDS,
        booleans=["referral"],
        raw=["method", "adherence"],
    )
    return _write_daily(_cut_short(lines, rng, damage.broken_json), records["followup_date"], out_dir, "followups")


def generate_tcm_assessments(residents: pd.DataFrame, rng: np.random.Generator, start: date, end: date) -> pd.DataFrame:
    """Yearly TCM constitution assessments of residents aged 65 and over: the 33 answers and the verdict.

    Each person has a latent constitution (balanced, or one biased type) that drives their answers;
    the system's own conclusion is scored from the answers by the specification's rule.
    """
    days = (end - start).days + 1
    elderly = residents[residents["age"] >= 65]
    elderly = elderly[rng.random(len(elderly)) < 0.6 * min(days / 365.0, 1.0)].reset_index(drop=True)
    n = len(elderly)
    if n == 0:
        return pd.DataFrame()
    answers = np.clip(np.round(rng.normal(1.7, 0.7, (n, tcm.QUESTIONS))), 1, 5).astype(np.int64)
    biased_codes = [c for c in tcm.TYPES if c != "01"]
    latent = np.where(rng.random(n) < 0.35, "01", rng.choice(biased_codes, n))
    for code in biased_codes:
        rows = np.flatnonzero(latent == code)
        for item in tcm.TYPES[code][1]:
            answers[rows, item - 1] = np.clip(np.round(rng.normal(3.6, 0.8, len(rows))), 1, 5)
    answers[latent == "01", 0] = rng.choice([4, 5], int((latent == "01").sum()))  # 精力充沛

    judged = tcm.judge(answers)
    conclusion = pd.Series("", index=range(n), dtype=object)
    for code, (name, _, _) in tcm.TYPES.items():
        verdict = pd.Series(judged[code])
        listed = verdict != tcm.NO
        conclusion = conclusion + (name + "(" + verdict + ");").where(listed, "")
    identity = render(elderly, rng, IdentityVariation(name_spaces=0.02, missing_id=0.01, mistyped_id=0.005))
    assessed = np.datetime64(start.isoformat(), "D") + rng.integers(0, days, n).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "assessment_id": np.char.add("TZ", np.char.zfill(np.arange(1, n + 1).astype(str), 9)),
            "org_code": rng.choice(np.array(CENTRES), n),
            "id_no": identity["id_number"].to_numpy(),
            "name": identity["name"].to_numpy(),
            "assessment_date": assessed,
            "answers": ["[" + ", ".join(map(str, row)) + "]" for row in answers],
            "conclusion": conclusion.str.rstrip(";").to_numpy(),
            "doctor": rng.choice(np.array(DOCTORS), n),
            "_person_id": elderly["person_id"].to_numpy(),
            "_latent_constitution": latent,
        }
    ).sort_values(["assessment_date", "assessment_id"], ignore_index=True)


def write_tcm_exports(assessments: pd.DataFrame, out_dir: Path, rng: np.random.Generator) -> dict[str, int]:
    """One JSON-lines file per assessment day; answers are a JSON array of 33 numbers."""
    if assessments.empty:
        return {}
    records = assessments.drop(columns=["_person_id", "_latent_constitution"]).assign(
        assessment_date=pd.DatetimeIndex(assessments["assessment_date"]).strftime("%Y-%m-%d")
    )
    lines = json_lines(
        records,
        strings=["assessment_id", "org_code", "id_no", "name", "assessment_date", "conclusion", "doctor"],
        numbers=[],
        raw=["answers"],
    )
    return _write_daily(lines, records["assessment_date"], out_dir, "tcm_assessments")
