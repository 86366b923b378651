import numpy as np

from healthlake.standards.tcm_constitution import QUESTIONS, judge, scores


def _answers(**by_item: int) -> np.ndarray:
    row = np.ones((1, QUESTIONS), dtype=np.int64)
    for item, value in by_item.items():
        row[0, int(item[1:]) - 1] = value
    return row


def test_reverse_scored_items_count_six_minus_the_answer():
    # All ones: 平和 = 1 + (5 + 5 + 5 + 5) = 21, every biased type 4.
    raw = scores(_answers())
    assert raw["01"][0] == 21
    assert raw["02"][0] == 4


def test_biased_type_thresholds_are_eleven_and_nine():
    # 气虚质 items 2, 3, 4, 14: sums 11 (是), 10 and 9 (倾向是), 8 (否).
    assert judge(_answers(q2=2, q3=3, q4=3, q14=3))["02"][0] == "是"
    assert judge(_answers(q2=1, q3=3, q4=3, q14=3))["02"][0] == "倾向是"
    assert judge(_answers(q2=1, q3=3, q4=3, q14=2))["02"][0] == "倾向是"
    assert judge(_answers(q2=1, q3=3, q4=2, q14=2))["02"][0] == "否"


def test_balanced_needs_every_other_type_low():
    assert judge(_answers())["01"][0] == "是"
    # 痰湿质 (9, 16, 28, 32) at 10: still 基本是; at 11 no longer balanced.
    assert judge(_answers(q9=3, q16=3, q28=2, q32=2))["01"][0] == "基本是"
    assert judge(_answers(q9=3, q16=3, q28=3, q32=2))["01"][0] == "否"
