"""Spark column expressions held to pure-Python references on a handful of rows."""

from datetime import date

import pytest
from pyspark.sql import functions as F

from healthlake.pseudonym import hmac_column, hmac_hex
from healthlake.schemas import data_elements, source_format
from jobs.silver import exam_observations


@pytest.mark.parametrize("key", [b"k", b"a-32-byte-key-for-the-test-suite", b"x" * 100])
def test_spark_hmac_equals_python_hmac(spark, key):
    values = ["11010519491231002X", "中文姓名", "", "a" * 200]
    df = spark.createDataFrame([(v,) for v in values] + [(None,)], "v string")
    got = [r[0] for r in df.select(hmac_column(key, F.col("v"))).collect()]
    assert got[:-1] == [hmac_hex(key, v) for v in values]
    assert got[-1] is None


def _bronze_row(**overrides):
    row = {
        "exam_id": "TJ1", "exam_date": "2026-01-02", "institution_code": "H1", "name": "张三", "sex": "男",
        "birth_date": "1949-12-31", "id_number": "11010519491231002X", "phone": "13800000000",
        "item_code": "TJ011", "item_name": "收缩压", "result_value": "135", "unit": "mmHg",
        "_source_system": "exam_system", "_source_file": "f.csv", "_record_number": 2,
        "_record_hash": "h", "_rank": 1,
    }  # fmt: skip
    row.update(overrides)
    return row


CASES = [
    ({}, None),
    ({"id_number": " 11010519491231002x "}, None),
    ({"id_number": ""}, "id_number.missing"),
    ({"id_number": "1101051949123100"}, "id_number.format"),
    ({"id_number": "110105194912310029"}, "id_number.checksum"),
    ({"id_number": "110105194913310021"}, "id_number.birth_date"),  # valid check char, month 13
    ({"exam_date": "2026/13/01"}, "exam_date.unparseable"),
    ({"item_code": "ZZ999"}, "item_code.unknown"),
    ({"result_value": "未测"}, "result_value.not_numeric"),
    ({"result_value": "1359"}, "result_value.out_of_range"),
]


def test_each_rule_catches_what_it_names_and_nothing_else(spark):
    fmt = source_format("exam_system")
    elements = data_elements()
    item_elements = {code: elements[de] for code, de in fmt.item_codes.items()}
    rows = [_bronze_row(exam_id=f"TJ{i}", **overrides) for i, (overrides, _) in enumerate(CASES)]
    df = spark.createDataFrame(rows)
    out = {r["exam_key"]: r for r in exam_observations.standardise(df, item_elements, b"key").collect()}
    for i, (_, expected_rule) in enumerate(CASES):
        result = out[hmac_hex(b"key", f"exam_system:TJ{i}")]
        assert result["_rule_id"] == expected_rule, CASES[i]
    clean = out[hmac_hex(b"key", "exam_system:TJ0")]
    assert clean["de_id"] == "DE04.10.174.00" and clean["element"] == "sbp_mmhg" and clean["value"] == 135.0
    assert clean["resident_key"] == hmac_hex(b"key", "11010519491231002X")
    assert clean["sex_code"] == "2"  # 17th digit 2 is even: female (GB 11643)
    assert clean["age_at_exam"] == 76 and clean["exam_date"] == date(2026, 1, 2)
    # A lowercase check character with spaces around is the same resident.
    assert out[hmac_hex(b"key", "exam_system:TJ1")]["resident_key"] == clean["resident_key"]
