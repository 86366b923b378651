"""How one person's identifiers look in each source system: the variations record linkage must beat.

Each system keeps its own copy of a resident's name, ID number and phone, typed in at a different
desk on a different day. The generator renders those copies from the true identity with the
variations real registration data shows, each at a known share, vectorised over all records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from healthlake.synth.population import phone_numbers

# Characters that registration clerks confuse (same or similar sound, similar shape).
CONFUSABLE = {
    "伟": "玮", "芳": "方", "娜": "那", "敏": "民", "静": "晶", "丽": "莉", "强": "墙", "军": "君",
    "洋": "阳", "艳": "燕", "杰": "洁", "涛": "滔", "明": "铭", "霞": "侠", "平": "萍", "刚": "钢",
    "英": "瑛", "华": "桦", "国": "郭", "文": "雯", "辉": "晖", "玲": "琳", "红": "宏", "云": "芸",
    "飞": "菲", "鹏": "朋", "斌": "彬", "宇": "雨", "浩": "皓", "凯": "恺", "波": "博", "海": "亥",
    "婷": "亭", "梅": "媚", "晨": "辰", "旭": "煦", "峰": "锋", "志": "智", "俊": "骏", "丹": "单",
}  # fmt: skip


@dataclass(frozen=True)
class IdentityVariation:
    """Shares of a source's records whose identifiers differ from the truth, and how."""

    name_typo: float = 0.0  # one given-name character replaced by a confusable one
    name_spaces: float = 0.0  # a space between surname and given name, or around the name
    legacy_id: float = 0.0  # the 15-digit number of GB 11643-1989 (only people born before 1985)
    mistyped_id: float = 0.0  # one digit of the sequence part wrong: the check character fails
    lowercase_x: float = 0.0  # a final X typed as x
    missing_id: float = 0.0
    changed_phone: float = 0.0  # the person has changed number since registering elsewhere
    missing_phone: float = 0.0


def legacy_15(id_number: np.ndarray) -> np.ndarray:
    """18 -> 15 digits: drop the century and the check character (GB 11643-1989 form)."""
    return np.char.add(_slice(id_number, 0, 6), _slice(id_number, 8, 17))


def _slice(values: np.ndarray, start: int, stop: int) -> np.ndarray:
    width = max(stop - start, 1)
    raw = np.asarray(values, dtype=str)
    return np.array([v[start:stop] for v in raw], dtype=f"<U{width}") if raw.size else raw


def _chosen(rng: np.random.Generator, n: int, share: float, eligible: np.ndarray | None = None) -> np.ndarray:
    picked = rng.random(n) < share
    return picked & eligible if eligible is not None else picked


def render(people: pd.DataFrame, rng: np.random.Generator, variation: IdentityVariation) -> pd.DataFrame:
    """name, id_type, id_number and phone as one source system holds them, one row per input row.

    `people` rows are true residents (repeated where a person has several records in the source).
    """
    n = len(people)
    name = people["name"].to_numpy(dtype=object).copy()  # object: variants may be longer than the truth
    typo = _chosen(rng, n, variation.name_typo)
    name[typo] = [_confuse(v) for v in name[typo]]
    spaced = _chosen(rng, n, variation.name_spaces)
    around = rng.random(n) < 0.5
    name[spaced & around] = [f" {v}  " for v in name[spaced & around]]
    inner = spaced & ~around
    name[inner] = [v[0] + " " + v[1:] for v in name[inner]]

    id_type = people["id_type"].to_numpy(dtype=str)
    id_number = people["id_number"].to_numpy(dtype=object).copy()
    resident_id = id_type == "01"
    born_before_1985 = pd.DatetimeIndex(people["birth_date"]).year.to_numpy() < 1985
    legacy = _chosen(rng, n, variation.legacy_id, resident_id & born_before_1985)
    id_number[legacy] = legacy_15(id_number[legacy].astype(str))
    mistyped = _chosen(rng, n, variation.mistyped_id, resident_id & ~legacy)
    id_number[mistyped] = [v[:15] + str((int(v[15]) + 1) % 10) + v[16:] for v in id_number[mistyped]]
    ends_x = np.array([str(v).endswith("X") for v in id_number], dtype=bool) if n else np.zeros(0, bool)
    lower = _chosen(rng, n, variation.lowercase_x, ends_x & ~legacy)
    id_number[lower] = [v[:-1] + "x" for v in id_number[lower]]
    id_number[_chosen(rng, n, variation.missing_id)] = ""

    phone = people["phone"].to_numpy(dtype=object).copy()
    changed = _chosen(rng, n, variation.changed_phone)
    phone[changed] = phone_numbers(rng, int(changed.sum()))
    phone[_chosen(rng, n, variation.missing_phone)] = ""
    return pd.DataFrame({"name": name, "id_type": id_type, "id_number": id_number, "phone": phone}, index=people.index)


def _confuse(name: str) -> str:
    for i in range(len(name) - 1, 0, -1):  # given-name characters, from the last
        if name[i] in CONFUSABLE:
            return name[:i] + CONFUSABLE[name[i]] + name[i + 1 :]
    return name + name[-1]  # nothing confusable: a doubled character, as a slip of the keyboard
