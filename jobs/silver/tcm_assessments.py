"""silver.tcm_assessments: elderly TCM constitution assessments (中医体质辨识), re-scored from the 33
answers by the specification's rule (healthlake.standards.tcm_constitution) and compared with the
verdict the community system printed."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from healthlake.standards.tcm_constitution import BASICALLY, LEANING, NO, QUESTIONS, TYPES, YES
from jobs.silver import normalise as N
from jobs.silver.entity import Batch, Entity, Standardised, file_lineage
from jobs.silver.rules import Rule

BRONZE = "public_health__tcm_assessments"


def _score(answers: Column, items: tuple[int, ...], reverse: tuple[int, ...]) -> Column:
    terms = [(F.lit(6) - answers[i - 1]) if i in reverse else answers[i - 1] for i in items]
    return sum(terms[1:], terms[0])


def judgements(answers: Column) -> dict[str, Column]:
    """Judgement per type code (是 / 倾向是 / 基本是 / 否), as Spark columns, by the specification."""
    raw = {code: _score(answers, items, reverse) for code, (_, items, reverse) in TYPES.items()}
    highest_other = F.greatest(*[raw[c] for c in TYPES if c != "01"])
    result = {
        code: F.when(raw[code] >= 11, YES).when(raw[code] >= 9, LEANING).otherwise(NO) for code in TYPES if code != "01"
    }
    balanced = raw["01"] >= 17
    result["01"] = F.when(balanced & (highest_other <= 8), YES).when(balanced & (highest_other <= 10), BASICALLY)
    result["01"] = result["01"].otherwise(NO)
    return result


def primary_type(answers: Column, judged: dict[str, Column]) -> Column:
    """平和质 when it is judged 是 or 基本是; else the highest-scoring biased type judged 是 or 倾向是
    (ties to the lower code); else 平和质 (no type stands out)."""
    candidates = [
        F.when(judged[c] != NO, F.struct(_score(answers, items, reverse).alias("score"), F.lit(-int(c)).alias("neg")))
        for c, (_, items, reverse) in TYPES.items()
        if c != "01"
    ]
    best = F.array_max(F.filter(F.array(*candidates), lambda x: x.isNotNull()))
    return F.when(judged["01"] != NO, F.lit("01")).otherwise(
        F.coalesce(F.lpad((-best["neg"]).cast("string"), 2, "0"), F.lit("01"))
    )


def standardise(batch: Batch) -> Standardised:
    bronze = batch.rows[BRONZE]
    answers = F.from_json(F.col("answers"), "array<int>")
    judged = judgements(F.col("_answers"))
    verdict = F.concat_ws(
        ";", *[F.when(judged[c] != NO, F.concat(F.lit(TYPES[c][0]), F.lit("("), judged[c], F.lit(")"))) for c in TYPES]
    )
    codes = F.filter(F.array(*[F.when(judged[c] != NO, F.lit(c)) for c in TYPES]), lambda c: c.isNotNull())
    rows = bronze.select(
        batch.pseudonym("public_health.tcm:", F.col("assessment_id")).alias("assessment_key"),
        N.parse_date(F.col("assessment_date")).alias("assessment_date"),
        N.blank_to_null(F.col("institution_code")).alias("institution_code"),
        answers.alias("_answers"),
        F.col("conclusion").alias("system_conclusion"),
        F.lit("public_health").alias("source_system"),
        *file_lineage(BRONZE, "public_health.tcm", F.col("assessment_id")),
        F.col("answers").alias("_answers_raw"),
        F.col("assessment_date").alias("_date_raw"),
    )
    valid = (F.size("_answers") == QUESTIONS) & F.forall("_answers", lambda a: a.between(1, 5))
    scored = rows.select(
        "*",
        F.when(
            valid, F.map_from_arrays(F.array(*[F.lit(c) for c in TYPES]), F.array(*[judged[c] for c in TYPES]))
        ).alias("judgements"),
        F.when(valid, codes).alias("constitution_codes"),
        F.when(valid, primary_type(F.col("_answers"), judged)).alias("primary_constitution_code"),
        F.when(valid, verdict == F.coalesce(F.col("system_conclusion"), F.lit(""))).alias("agrees_with_system"),
    )
    rules = [
        Rule("assessment_date.unparseable", "_date_raw", F.col("assessment_date").isNull(),
             "assessment date is not a date in any accepted form"),
        Rule("answers.invalid", "_answers_raw", F.coalesce(~valid, F.lit(True)),
             f"answers are not a JSON array of {QUESTIONS} whole numbers from 1 to 5"),
    ]  # fmt: skip
    return Standardised(scored, rules)


ENTITY = Entity(
    table="tcm_assessments",
    bronze_tables=(BRONZE,),
    keys=("assessment_key",),
    standardise=standardise,
    identity_sources=("public_health.tcm",),
)
