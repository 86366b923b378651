"""Every normaliser in jobs/silver/normalise.py, as the Spark expression the jobs run. Inputs that
vary widely are drawn by hypothesis; each example is a whole batch evaluated in one Spark query."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from healthlake.schemas import value_domains
from healthlake.standards import id_number as gb11643
from jobs.silver import normalise as N

BATCH = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def evaluate(spark, fn, values, kind="string"):
    """fn(column) over `values`, in order."""
    df = spark.createDataFrame([(i, v) for i, v in enumerate(values)], f"i int, v {kind}")
    return [r[0] for r in df.select(fn(F.col("v")).alias("out"), "i").orderBy("i").collect()]


# --- ID numbers --------------------------------------------------------------------------------

birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))
divisions = st.sampled_from(["110105", "430102", "430602", "440304"])
sequences = st.integers(0, 999)


def id18(division: str, born: date, sequence: int) -> str:
    first17 = f"{division}{born:%Y%m%d}{sequence:03d}"
    return first17 + gb11643.check_char(first17)


@BATCH
@given(st.lists(st.tuples(divisions, birth_dates, sequences), min_size=20, max_size=60))
def test_valid_numbers_pass_in_every_spelling_and_legacy_ones_upgrade(spark, people):
    numbers = [id18(*p) for p in people]
    spelled = [f" {n[:-1]}{n[-1].lower()} " if i % 2 else n for i, n in enumerate(numbers)]
    legacy = [n[:6] + n[8:17] for n, (_, born, _) in zip(numbers, people, strict=True) if born.year < 2000]
    out = evaluate(spark, N.id_number_18, spelled + legacy)
    assert out[: len(numbers)] == numbers
    assert out[len(numbers) :] == [n for n, (_, b, _) in zip(numbers, people, strict=True) if b.year < 2000]
    assert evaluate(spark, lambda c: N.id_problem(N.id_number_18(c)), spelled + legacy) == [None] * len(out)
    sexes = evaluate(spark, N.id_sex_code, numbers)
    assert sexes == ["1" if s % 2 else "2" for _, _, s in people]
    assert evaluate(spark, N.id_birth_date, numbers) == [b for _, b, _ in people]


@BATCH
@given(st.lists(st.tuples(divisions, birth_dates, sequences, st.integers(0, 16)), min_size=20, max_size=60))
def test_any_single_digit_typo_fails_the_checksum(spark, typos):
    typed = []
    for division, born, sequence, position in typos:
        number = id18(division, born, sequence)
        wrong = str((int(number[position]) + 1) % 10)
        typed.append(number[:position] + wrong + number[position + 1 :])
    problems = evaluate(spark, lambda c: N.id_problem(N.id_number_18(c)), typed)
    # A typo in the date digits may also make the date impossible, but never passes.
    assert all(p in ("checksum", "birth_date") for p in problems)
    assert problems.count("checksum") >= len(typed) // 2


def test_id_problems_are_named(spark):
    future = id18("430102", date.today() + timedelta(days=400), 1)
    month_13 = "4301021990130100" + "1"
    cases = {"": "missing", None: "missing", "P1234567": "format", "43010219900101001": "format",
             future: "birth_date", month_13[:17] + gb11643.check_char(month_13[:17]): "birth_date"}  # fmt: skip
    assert evaluate(spark, lambda c: N.id_problem(N.id_number_18(c)), list(cases)) == list(cases.values())


# --- dates and times ---------------------------------------------------------------------------

DATE_FORMS = [
    lambda d: f"{d:%Y%m%d}",
    lambda d: f"{d:%Y-%m-%d}",
    lambda d: f"{d.year}-{d.month}-{d.day}",
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f" {d.year}.{d.month:02d}.{d.day:02d} ",
    lambda d: f"{d:%Y-%m-%d}T10:30:00+08:00",
    # Epoch seconds (10 digits) and milliseconds (13): only dates from 2001-09-09 on have that many.
    lambda d: str(int(datetime(d.year, d.month, d.day, 4, tzinfo=UTC).timestamp())),
    lambda d: str(int(datetime(d.year, d.month, d.day, 4, tzinfo=UTC).timestamp() * 1000)),
]
FIRST_EPOCH_FORM = len(DATE_FORMS) - 2


@BATCH
@given(st.lists(st.tuples(birth_dates, st.integers(0, len(DATE_FORMS) - 1)), min_size=20, max_size=80))
def test_every_date_form_sources_send_parses_to_the_same_date(spark, drawn):
    drawn = [(max(d, date(2001, 9, 10)) if form >= FIRST_EPOCH_FORM else d, form) for d, form in drawn]
    texts = [DATE_FORMS[form](d) for d, form in drawn]
    assert evaluate(spark, N.parse_date, texts) == [d for d, _ in drawn]


def test_unparseable_dates_are_null_not_guessed(spark):
    bad = ["2026-02-30", "2026/13/01", "20261301", "yesterday", "", None, "2026-1", "12/31/2026"]
    assert evaluate(spark, N.parse_date, bad) == [None] * len(bad)


def test_timestamps_in_every_form_are_the_same_instant(spark):
    instant = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)  # 10:30 in Asia/Shanghai
    forms = ["2026-03-01T10:30:00+08:00", "2026-03-01T02:30:00Z", "2026-03-01 10:30:00", "2026-03-01T10:30",
             "20260301T103000", str(int(instant.timestamp())), str(int(instant.timestamp() * 1000))]  # fmt: skip
    out = evaluate(spark, lambda c: F.unix_timestamp(N.parse_timestamp(c)), forms)
    assert out == [int(instant.timestamp())] * len(forms)


# --- phones, names, codes ----------------------------------------------------------------------


@BATCH
@given(st.lists(st.tuples(st.sampled_from(["138", "159", "199", "176"]), st.integers(0, 99_999_999),
                          st.sampled_from(["{}", "+86 {}", "0086{}", "86-{}", "{} ", "({})"])),
                min_size=10, max_size=40))  # fmt: skip
def test_mobile_numbers_normalise_to_eleven_digits(spark, drawn):
    numbers = [f"{prefix}{rest:08d}" for prefix, rest, _ in drawn]
    spelled = [form.format(n[:3] + " " + n[3:7] + "-" + n[7:] if i % 3 == 0 else n)
               for i, (n, (_, _, form)) in enumerate(zip(numbers, drawn, strict=True))]  # fmt: skip
    assert evaluate(spark, N.phone, spelled) == numbers


def test_phone_rejects_what_is_no_phone_and_keeps_fixed_lines(spark):
    assert evaluate(spark, N.phone, ["0731-84567890", "12345", "", None, "23800000000"]) == [
        "073184567890", None, None, None, None,
    ]  # fmt: skip


def test_names_lose_clerks_spaces_between_chinese_characters(spark):
    assert evaluate(spark, N.person_name, [" 王 伟 ", "欧阳  娜娜", "John  SMITH", "  ", None]) == [
        "王伟", "欧阳娜娜", "John SMITH", None, None,
    ]  # fmt: skip


def test_addresses_map_to_their_county_division(spark):
    divisions = value_domains()["GB/T 2260"].codes
    addresses = ["湖南省长沙市岳麓区银盆岭路12号", "湖南省岳阳市岳阳楼区解放路3号", "北京市朝阳区建国路1号", None]
    out = evaluate(spark, lambda c: N.division_from_address(F.coalesce(c, F.lit("")), divisions), addresses)
    assert out == ["430104", "430602", None, None]


@pytest.mark.parametrize("domain", sorted(value_domains()))
def test_every_code_and_printed_name_of_a_domain_maps_to_its_code(spark, domain):
    vd = value_domains()[domain]
    spellings = [*vd.codes, *(f" {label} " for label in vd.codes.values()), "not-a-code"]
    expected = [*vd.codes, *vd.codes, None]
    assert evaluate(spark, lambda c: N.map_code(c, vd.local_map()), spellings) == expected


def test_a_spelling_with_quotes_or_backslashes_maps_like_any_other(spark):
    """The map is SQL text: a quote or backslash in a spelling must stay part of it."""
    mapping = {"O'Brien": "1", "a\\b": "2", "\\'": "3", "病 名": "4"}
    spellings = [*mapping, "O", "ab", None]
    assert evaluate(spark, lambda c: N.map_code(c, mapping), spellings) == ["1", "2", "3", "4", None, None, None]
    assert evaluate(spark, lambda c: N.map_code(c, {}), ["x"]) == [None]


def test_local_codes_must_map_into_the_domain():
    with pytest.raises(ValueError, match=r"not in GB/T 2261\.1"):
        value_domains()["GB/T 2261.1"].local_map({"M": "7"})


# --- units and numbers -------------------------------------------------------------------------


@BATCH
@given(st.lists(st.floats(min_value=1, max_value=300, allow_nan=False).map(lambda x: round(x, 1)),
                min_size=10, max_size=40))  # fmt: skip
def test_kpa_and_mmhg_agree(spark, mmhg):
    pairs = [(f"{v}", "mmHg") for v in mmhg] + [(f"{v / 7.50062:.6f}", "kPa") for v in mmhg]
    df = spark.createDataFrame(pairs, "v string, u string")
    out = [
        r[0] for r in df.select(N.to_unit(N.number(F.col("v")), F.col("u"), {"mmHg": 1.0, "kPa": 7.50062})).collect()
    ]
    assert all(abs(a - b) <= 0.011 for a, b in zip(out[: len(mmhg)], out[len(mmhg) :], strict=True))


def test_unit_conversions_and_unknown_units(spark):
    df = spark.createDataFrame(
        [("126", "mg/dL"), ("7.0", "mmol/L"), ("7.0", None), ("7.0", "MMOL / L"), ("7", "g/L"), ("１２６", "mg/dL")],
        "v string, u string",
    )
    factors = {"mmol/L": 1.0, "mg/dL": 0.0555}
    out = [r[0] for r in df.select(N.to_unit(N.number(F.col("v")), F.col("u"), factors)).collect()]
    assert out == [6.99, 7.0, 7.0, 7.0, None, 6.99]


def test_numbers_from_text(spark):
    assert evaluate(spark, N.number, ["135", " 7.25 ", "98 mmHg", "未测", "", None, "-1.5", "1e3"]) == [
        135.0, 7.25, 98.0, None, None, None, -1.5, 1.0,
    ]  # fmt: skip


# --- ICD-10 ------------------------------------------------------------------------------------

ICD_FORMS = [
    lambda who, ext: who,
    lambda who, ext: who.lower(),
    lambda who, ext: who.replace(".", ""),
    lambda who, ext: f" {who[:3]} {who[3:]} ",
    lambda who, ext: (who if "." in who else who + ".x") + ext,
    lambda who, ext: who + "+",
    lambda who, ext: who + "*",
    lambda who, ext: who + "†",
]


@BATCH
@given(st.lists(st.tuples(st.sampled_from(["E11.9", "I10", "J06.9", "R51", "A17.0", "G01", "I25.1"]),
                          st.sampled_from(["00", "01", "00x002"]), st.integers(0, len(ICD_FORMS) - 1)),
                min_size=20, max_size=60))  # fmt: skip
def test_every_form_of_a_code_normalises_to_its_who_code(spark, drawn):
    texts = [ICD_FORMS[form](who, ext) for who, ext, form in drawn]
    assert evaluate(spark, lambda c: N.icd_who_code(N.icd_cleaned(c)), texts) == [who for who, _, _ in drawn]


def test_national_extensions_are_kept_apart(spark):
    out = evaluate(spark, lambda c: N.icd_extension(N.icd_cleaned(c)), ["E11.900", "I10.x00x002", "E11.9", "", None])
    assert out == ["00", "00X002", None, None, None]
    assert evaluate(spark, lambda c: N.icd_who_code(N.icd_cleaned(c)), ["高血压", "11.9", "", None]) == [None] * 4
