"""Row rules as Spark column expressions: each names the field it checks and a rule id that lands in
quarantine.silver_rejects. A row is rejected by the first rule it breaks, in the order given."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

RULE_INDEX = "_rule_index"


@dataclass(frozen=True)
class Rule:
    rule_id: str
    field: str  # the column holding the value as the source sent it (kept in the quarantine)
    broken: Column  # true where the row breaks the rule
    message: str


def with_first_broken(rows: DataFrame, rules: list[Rule]) -> DataFrame:
    """`rows` with `_rule_id`, `_field`, `_raw_value` and `_message` of the first rule each row breaks;
    nulls for a clean row.

    The index of the first broken rule is a column of its own, computed once and read by the four.
    """
    index = F.coalesce(*[F.when(r.broken, F.lit(i + 1)) for i, r in enumerate(rules)], F.lit(None).cast("int"))

    def pick(values: list[Column]) -> Column:
        return F.when(F.col(RULE_INDEX).isNotNull(), F.element_at(F.array(*values), F.col(RULE_INDEX)))

    return (
        rows.withColumn(RULE_INDEX, index)
        .select(
            "*",
            pick([F.lit(r.rule_id) for r in rules]).alias("_rule_id"),
            pick([F.lit(r.field.lstrip("_").removesuffix("_raw")) for r in rules]).alias("_field"),
            pick([F.col(r.field).cast("string") for r in rules]).alias("_raw_value"),
            pick([F.lit(r.message) for r in rules]).alias("_message"),
        )
        .drop(RULE_INDEX)
    )
