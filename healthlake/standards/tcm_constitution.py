"""TCM constitution (中医体质) scoring of the 33-item questionnaire for the elderly (service spec., 3rd ed.).

Answers are 1-5; a type's score is the raw sum of its items, reverse-scored items counting 6 - x.
Codes follow CV05.01.005 as far as confirmed: 01 is 平和质; the order of 02-09 is UNCONFIRMED
(see schemas/data_elements.yaml), so it lives here, in one place.
"""

from __future__ import annotations

import numpy as np

# code -> (name, items (1-based), reverse-scored items)
TYPES: dict[str, tuple[str, tuple[int, ...], tuple[int, ...]]] = {
    "01": ("平和质", (1, 2, 4, 5, 13), (2, 4, 5, 13)),
    "02": ("气虚质", (2, 3, 4, 14), ()),
    "03": ("阳虚质", (11, 12, 13, 29), ()),
    "04": ("阴虚质", (10, 21, 26, 31), ()),
    "05": ("痰湿质", (9, 16, 28, 32), ()),
    "06": ("湿热质", (23, 25, 27, 30), ()),
    "07": ("血瘀质", (19, 22, 24, 33), ()),
    "08": ("气郁质", (5, 6, 7, 8), ()),
    "09": ("特禀质", (15, 17, 18, 20), ()),
}
QUESTIONS = 33
YES, LEANING, BASICALLY, NO = "是", "倾向是", "基本是", "否"


def scores(answers: np.ndarray) -> dict[str, np.ndarray]:
    """Raw sums per type code for an (n, 33) array of answers."""
    answers = np.asarray(answers, dtype=np.int64)
    result = {}
    for code, (_, items, reverse) in TYPES.items():
        columns = [answers[:, i - 1] if i not in reverse else 6 - answers[:, i - 1] for i in items]
        result[code] = np.sum(columns, axis=0)
    return result


def judge(answers: np.ndarray) -> dict[str, np.ndarray]:
    """The judgement (是 / 倾向是 / 基本是 / 否) per type code, by the specification's thresholds."""
    raw = scores(answers)
    biased = [raw[c] for c in TYPES if c != "01"]
    highest_other = np.max(biased, axis=0)
    result = {code: np.where(raw[code] >= 11, YES, np.where(raw[code] >= 9, LEANING, NO)) for code in TYPES}
    balanced = raw["01"] >= 17
    basically = np.where(balanced & (highest_other <= 10), BASICALLY, NO)
    result["01"] = np.where(balanced & (highest_other <= 8), YES, basically)
    return result
