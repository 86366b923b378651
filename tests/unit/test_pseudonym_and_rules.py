"""Spark column expressions held to pure-Python references on a handful of rows."""

from datetime import UTC, date, datetime

import pytest
from pyspark.sql import functions as F

from healthlake.pseudonym import hmac_column, hmac_hex
from jobs.silver import observations
from jobs.silver.entity import Batch
from jobs.silver.rules import with_first_broken


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
        "_record_hash": "h", "_ingested_at": datetime(2026, 1, 3, tzinfo=UTC),
    }  # fmt: skip
    row.update(overrides)
    return row


CASES = [
    ({}, None),
    ({"exam_date": "20260102"}, None),
    ({"exam_date": "2026年1月2日"}, None),
    ({"exam_date": "2026/13/01"}, "exam_date.unparseable"),
    ({"item_code": "ZZ999"}, "item_code.unknown"),
    ({"result_value": "未测"}, "result_value.not_numeric"),
    ({"unit": "psi"}, "unit.unknown"),
    ({"result_value": "1359"}, "result_value.out_of_range"),
    ({"result_value": "18.0", "unit": "kPa"}, None),  # 135 mmHg
    ({"item_code": "LB101", "result_value": "99", "unit": "mg/dL"}, None),  # 5.49 mmol/L
]


def test_each_observation_rule_catches_what_it_names_and_nothing_else(spark, settings):
    rows = [_bronze_row(exam_id=f"TJ{i}", **overrides) for i, (overrides, _) in enumerate(CASES)]
    batch = Batch(spark, {observations.BRONZE: spark.createDataFrame(rows)}, b"key", settings)
    standardised = observations.standardise(batch)
    ruled = with_first_broken(standardised.rows, standardised.rules)
    out = {r["encounter_key"]: r for r in ruled.collect()}
    for i, (_, expected_rule) in enumerate(CASES):
        assert out[hmac_hex(b"key", f"exam_system.exam:TJ{i}")]["_rule_id"] == expected_rule, CASES[i]
    clean = out[hmac_hex(b"key", "exam_system.exam:TJ0")]
    assert clean["de_id"] == "DE04.10.174.00" and clean["element"] == "sbp_mmhg" and clean["value"] == 135.0
    assert clean["observed_on"] == date(2026, 1, 2) and clean["_identity_record_id"] == "TJ0"
    assert out[hmac_hex(b"key", "exam_system.exam:TJ8")]["value"] == 135.01  # 18.0 kPa
    glucose = out[hmac_hex(b"key", "exam_system.exam:TJ9")]
    assert glucose["value"] == 5.49 and glucose["unit"] == "mmol/L"
