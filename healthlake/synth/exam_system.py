"""The physical-examination (体检) system's daily exports: GBK CSV, Chinese headers, one row per item.

Values are correlated with each resident's true conditions, and a small, known share of records is
damaged the way real exports are (mistyped ID numbers, "未测" results, typos, broken lines, bad bytes).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from healthlake.schemas import SourceFormat
from healthlake.synth.identity import IdentityVariation, render

INSTITUTIONS = ["H4301001", "H4301002", "H4301015", "C4301110", "C4302021"]
# One county centre's older exam system writes dates as YYYY/M/D, fasting glucose in mg/dL and
# height in metres: silver must normalise them, not quarantine them.
LEGACY_FORMAT_INSTITUTION = "C4302021"

# (item code, printed name, unit) in report order; codes map to data elements in schemas/sources.
ITEMS = [
    ("TJ001", "身高", "cm"), ("TJ002", "体重", "kg"), ("TJ003", "腰围", "cm"),
    ("TJ011", "收缩压", "mmHg"), ("TJ012", "舒张压", "mmHg"), ("TJ013", "脉率", "次/分"),
    ("LB101", "空腹血糖", "mmol/L"), ("LB201", "总胆固醇", "mmol/L"), ("LB202", "甘油三酯", "mmol/L"),
    ("LB203", "低密度脂蛋白胆固醇", "mmol/L"), ("LB204", "高密度脂蛋白胆固醇", "mmol/L"),
    ("LB301", "血清肌酐", "μmol/L"),
]  # fmt: skip


@dataclass(frozen=True)
class Damage:
    """Shares of records damaged on purpose, so every quarantine path is exercised."""

    mistyped_id: float = 0.01
    missing_id: float = 0.005
    legacy_id: float = 0.02
    name_typo: float = 0.01
    name_spaces: float = 0.02
    changed_phone: float = 0.05
    not_measured: float = 0.004
    implausible: float = 0.0005
    broken_line: float = 0.00005
    bad_bytes: float = 0.00005


def _exam_values(people: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = len(people)
    male = (people["sex_code"] == "1").to_numpy()
    age = people["age"].to_numpy()
    htn = people["has_hypertension"].to_numpy()
    dm = people["has_diabetes"].to_numpy()

    height = np.where(male, rng.normal(169, 6, n), rng.normal(158, 5.5, n)) - np.clip(age - 60, 0, None) * 0.1
    bmi = rng.normal(23.2, 3.2, n) + 1.6 * htn + 1.8 * dm
    weight = bmi * (height / 100) ** 2
    waist = 2.9 * bmi + np.where(male, 13, 8) + rng.normal(0, 4, n)
    # Office readings scatter around the resident's usual pressure (white-coat effect included).
    sbp = people["sbp_mean"].to_numpy() + 3 + rng.normal(0, 8, n)
    dbp = people["dbp_mean"].to_numpy() + 1 + rng.normal(0, 5, n)
    fpg = np.where(dm, rng.normal(8.1, 2.0, n), rng.normal(5.0, 0.45, n))
    tc = rng.normal(4.7, 0.9, n) + 0.2 * dm
    tg = rng.lognormal(np.log(1.3), 0.45, n) * (1 + 0.3 * dm)
    ldl = 0.62 * tc + rng.normal(-0.2, 0.35, n)
    hdl = rng.normal(1.25, 0.28, n) + 0.18 * ~male
    creatinine = np.where(male, rng.normal(84, 14, n), rng.normal(63, 11, n)) + htn * 4
    return {
        "TJ001": np.round(height, 1), "TJ002": np.round(weight, 1), "TJ003": np.round(waist, 0),
        "TJ011": np.round(sbp, 0), "TJ012": np.round(dbp, 0), "TJ013": np.round(rng.normal(76, 10, n), 0),
        "LB101": np.round(np.clip(fpg, 2.8, 30), 2), "LB201": np.round(np.clip(tc, 2, 12), 2),
        "LB202": np.round(tg, 2), "LB203": np.round(np.clip(ldl, 0.5, 9), 2),
        "LB204": np.round(np.clip(hdl, 0.4, 3.5), 2), "LB301": np.round(np.clip(creatinine, 30, 400), 0),
    }  # fmt: skip


def generate_exam_items(
    residents: pd.DataFrame, rng: np.random.Generator, start: date, end: date, damage: Damage
) -> pd.DataFrame:
    """One row per exam item as the exam system exports it (values still numeric where clean)."""
    adults = residents[residents["age"] >= 18]
    attend = rng.random(len(adults)) < np.where(adults["age"] >= 65, 0.8, 0.55)
    people = adults[attend].reset_index(drop=True)
    n = len(people)
    days = (end - start).days + 1
    exam_date = np.datetime64(start.isoformat(), "D") + rng.integers(0, days, n).astype("timedelta64[D]")
    institution = rng.choice(np.array(INSTITUTIONS), size=n)
    date_str = pd.DatetimeIndex(exam_date).strftime("%Y%m%d").to_numpy(dtype=str)
    exam_id = np.char.add(np.char.add("TJ", date_str), np.char.zfill(np.arange(n).astype(str), 7))

    identity = render(
        people,
        rng,
        IdentityVariation(
            name_typo=damage.name_typo,
            name_spaces=damage.name_spaces,
            legacy_id=damage.legacy_id,
            mistyped_id=damage.mistyped_id,
            lowercase_x=0.3,
            missing_id=damage.missing_id,
            changed_phone=damage.changed_phone,
        ),
    )

    exams = pd.DataFrame(
        {
            "体检编号": exam_id,
            "体检日期": np.where(
                institution == LEGACY_FORMAT_INSTITUTION,
                [f"{d.year}/{d.month}/{d.day}" for d in pd.DatetimeIndex(exam_date)],
                pd.DatetimeIndex(exam_date).strftime("%Y-%m-%d"),
            ),
            "_exam_day": pd.DatetimeIndex(exam_date).strftime("%Y-%m-%d"),
            "体检机构代码": institution,
            "姓名": identity["name"],
            "性别": np.where(people["sex_code"] == "1", "男", "女"),
            "出生日期": pd.DatetimeIndex(people["birth_date"]).strftime("%Y-%m-%d"),
            "证件类型": identity["id_type"],
            "身份证号": identity["id_number"],
            "联系电话": identity["phone"],
            "_person_id": people["person_id"],
        }
    )
    values = _exam_values(people, rng)
    legacy = institution == LEGACY_FORMAT_INSTITUTION
    units = {code: np.full(n, unit, dtype=object) for code, _, unit in ITEMS}
    values["LB101"] = np.where(legacy, np.round(values["LB101"] * 18.0, 0), values["LB101"])
    units["LB101"][legacy] = "mg/dL"
    values["TJ001"] = np.where(legacy, np.round(values["TJ001"] / 100, 3), values["TJ001"])
    units["TJ001"][legacy] = "m"
    item_frames = []
    for code, item_name, _ in ITEMS:
        item = exams.copy()
        item["项目代码"] = code
        item["项目名称"] = item_name
        item["结果"] = values[code].astype(str)
        item["单位"] = units[code]
        item_frames.append(item)
    rows = pd.concat(item_frames, ignore_index=True).sort_values(["体检编号", "项目代码"], ignore_index=True)

    m = len(rows)
    rows.loc[rng.random(m) < damage.not_measured, "结果"] = "未测"
    implausible = rng.random(m) < damage.implausible
    rows.loc[implausible, "结果"] = rows.loc[implausible, "结果"].str.replace(".", "", regex=False) + "9"
    return rows


def write_daily_files(
    rows: pd.DataFrame, fmt: SourceFormat, out_dir: Path, rng: np.random.Generator, damage: Damage
) -> dict[str, int]:
    """Write one GBK file per exam date; returns {file name: data lines written} for the ground truth."""
    out_dir.mkdir(parents=True, exist_ok=True)
    headers = [c.header for c in fmt.columns]
    lines_per_file = {}
    for exam_date, day in rows.groupby("_exam_day", sort=True):
        buffer = io.StringIO()
        day[headers].to_csv(buffer, index=False, lineterminator="\n")
        lines = buffer.getvalue().encode(fmt.encoding).split(b"\n")[:-1]
        data = np.arange(1, len(lines))
        for i in data[rng.random(len(data)) < damage.broken_line]:
            lines[i] = lines[i].rsplit(b",", 3)[0]  # an export cut short: too few fields
        for i in data[rng.random(len(data)) < damage.bad_bytes]:
            lines[i] = lines[i] + b"\xff\xfe"  # bytes that are not GBK
        name = f"exam_items_{exam_date.replace('-', '')}.csv"
        (out_dir / name).write_bytes(b"\n".join(lines) + b"\n")
        lines_per_file[name] = len(lines) - 1
    return lines_per_file
