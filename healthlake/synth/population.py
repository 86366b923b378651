"""Residents of the network's catchment area, with true conditions and personal identifiers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from healthlake.standards.id_number import check_chars_vectorised

# GB/T 2260 county-level divisions of Changsha and neighbouring cities (Hunan, 43).
DISTRICTS = {
    "430102": "芙蓉区", "430103": "天心区", "430104": "岳麓区", "430105": "开福区",
    "430111": "雨花区", "430121": "长沙县", "430181": "浏阳市", "430202": "荷塘区",
    "430302": "雨湖区", "430602": "岳阳楼区",
}  # fmt: skip
DISTRICT_WEIGHTS = np.array([8, 9, 12, 9, 11, 10, 12, 9, 10, 10], dtype=float)

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
)
GIVEN_CHARS = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉玲红云飞鹏斌宇浩凯秀兰波海燕婷雪梅琳晨旭"
    "峰志俊丹萍鑫欣怡佳慧颖瑶晶亮成龙宏春梦思雨家豪博涵子轩梓"
)

CITIES = {"4301": "长沙市", "4302": "株洲市", "4303": "湘潭市", "4306": "岳阳市"}
STREETS = ["人民路", "解放路", "五一大道", "芙蓉中路", "韶山路", "建设路", "中山路", "新华路", "东风路", "银盆岭路"]
PHONE_PREFIXES = np.array(
    ["138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "186", "187", "188", "199"]
)
# CV02.01.101: most residents hold a resident ID card (01); a few foreign residents only a passport (03).
PASSPORT_SHARE = 0.003

# Age pyramid in 5-year bands 0-4 ... 90-94 (a rough shape of China's 2020 census).
AGE_BAND_WEIGHTS = np.array(
    [5.5, 6.5, 6.3, 5.6, 5.3, 6.3, 8.0, 7.2, 6.8, 8.0, 8.6, 7.7, 5.8, 5.2, 3.7, 2.4, 1.5, 0.8, 0.3]
)


def random_digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """n strings of `width` random digits (np.char.zfill cannot take an empty array)."""
    if n == 0:
        return np.array([], dtype=f"<U{width}")
    return np.char.zfill(rng.integers(0, 10**width, size=n).astype(str), width)


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.char.add(rng.choice(PHONE_PREFIXES, size=n), random_digits(rng, n, 8))


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def hypertension_probability(age: np.ndarray) -> np.ndarray:
    """About a quarter of adults, rising steeply with age (China Hypertension Survey shape)."""
    return np.where(age >= 18, _logistic(-5.0 + 0.072 * age), 0.0)


def diabetes_probability(age: np.ndarray) -> np.ndarray:
    """About one adult in nine, rising with age."""
    return np.where(age >= 18, _logistic(-5.2 + 0.058 * age), 0.0)


def generate_residents(n: int, rng: np.random.Generator, as_of: date) -> pd.DataFrame:
    """One row per true resident: identifiers, demographics and true chronic conditions."""
    band = rng.choice(len(AGE_BAND_WEIGHTS), size=n, p=AGE_BAND_WEIGHTS / AGE_BAND_WEIGHTS.sum())
    age_days = ((band * 5 + rng.random(n) * 5) * 365.25).astype(np.int64)
    birth = np.datetime64(as_of.isoformat(), "D") - age_days.astype("timedelta64[D]")
    age = age_days / 365.25
    sex = rng.choice(np.array(["1", "2"]), size=n)  # GB/T 2261.1: 1 male, 2 female

    district = rng.choice(np.array(list(DISTRICTS)), size=n, p=DISTRICT_WEIGHTS / DISTRICT_WEIGHTS.sum())
    # The 3-digit sequence is odd for men and even for women.
    sequence = rng.integers(0, 500, size=n) * 2 + (sex == "1").astype(np.int64)
    birth_str = pd.DatetimeIndex(birth).strftime("%Y%m%d").to_numpy(dtype=str)
    first17 = np.char.add(np.char.add(district, birth_str), np.char.zfill(sequence.astype(str), 3))
    id_number = np.char.add(first17, check_chars_vectorised(first17)).astype(object)
    passport = rng.random(n) < PASSPORT_SHARE
    id_type = np.where(passport, "03", "01")
    id_number[passport] = np.char.add("P", random_digits(rng, int(passport.sum()), 7))

    surname = rng.choice(np.array(SURNAMES), size=n)
    given_len = rng.choice([1, 2], size=n, p=[0.3, 0.7])
    first_char = rng.choice(np.array(GIVEN_CHARS), size=n)
    second_char = np.where(given_len == 2, rng.choice(np.array(GIVEN_CHARS), size=n), "")
    name = np.char.add(np.char.add(surname, first_char), second_char)

    phone = phone_numbers(rng, n)
    city = pd.Series(district).str[:4].map(CITIES).to_numpy(dtype=str)
    address = (
        "湖南省" + pd.Series(city) + pd.Series(district).map(DISTRICTS) + pd.Series(rng.choice(STREETS, size=n))
        + pd.Series(rng.integers(1, 400, size=n).astype(str)) + "号"
    ).to_numpy(dtype=str)  # fmt: skip

    has_hypertension = rng.random(n) < hypertension_probability(age)
    # Each resident's usual pressure; treated hypertensives land on both sides of 140/90.
    sbp_mean = 112 + 0.45 * np.clip(age - 30, 0, None) + rng.normal(0, 7, n) + has_hypertension * rng.normal(24, 11, n)
    dbp_mean = 0.5 * sbp_mean + 12 + rng.normal(0, 5, n)
    return pd.DataFrame(
        {
            "person_id": np.arange(1, n + 1, dtype=np.int64),
            "name": name,
            "sex_code": sex,
            "birth_date": birth.astype("datetime64[D]"),
            "age": age,
            "district_code": district,
            "id_type": id_type,
            "id_number": id_number,
            "phone": phone,
            "address": address,
            "has_hypertension": has_hypertension,
            "has_diabetes": rng.random(n) < diabetes_probability(age),
            "sbp_mean": np.round(sbp_mean, 1),
            "dbp_mean": np.round(dbp_mean, 1),
        }
    )
