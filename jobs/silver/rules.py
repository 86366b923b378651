"""Row rules as Spark column expressions: each names the field it checks and a rule id that lands in
quarantine.silver_rejects. A row is rejected by the first rule it breaks, in the order given."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F


@dataclass(frozen=True)
class Rule:
    rule_id: str
    field: str  # the column holding the value as the source sent it (kept in the quarantine)
    broken: Column  # true where the row breaks the rule
    message: str


def first_broken(rules: list[Rule]) -> tuple[Column, Column, Column, Column]:
    """(rule_id, field, raw value, message) of the first rule each row breaks; nulls for a clean row.

    Each condition is evaluated once: the index of the first broken rule picks the rest.
    """
    index = F.coalesce(*[F.when(r.broken, F.lit(i + 1)) for i, r in enumerate(rules)], F.lit(None).cast("int"))

    def pick(values: list[Column]) -> Column:
        return F.when(index.isNotNull(), F.element_at(F.array(*values), index))

    return (
        pick([F.lit(r.rule_id) for r in rules]),
        pick([F.lit(r.field.lstrip("_").removesuffix("_raw")) for r in rules]),
        pick([F.col(r.field).cast("string") for r in rules]),
        pick([F.lit(r.message) for r in rules]),
    )
