"""Row rules as Spark column expressions: each names the field it checks and a rule id that lands in
quarantine.silver_rejects. A row is rejected by the first rule it breaks, in the order given."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F

from healthlake.standards.id_number import CHECK_CHARS, WEIGHTS


@dataclass(frozen=True)
class Rule:
    rule_id: str
    field: str
    broken: Column  # true where the row breaks the rule
    message: str


def first_broken(rules: list[Rule]) -> tuple[Column, Column, Column, Column]:
    """(rule_id, field, raw value, message) of the first rule each row breaks; nulls for a clean row.

    Each condition is evaluated once: the index of the first broken rule picks the rest.
    """
    index = F.coalesce(*[F.when(r.broken, F.lit(i + 1)) for i, r in enumerate(rules)])

    def pick(values: list[Column]) -> Column:
        return F.when(index.isNotNull(), F.element_at(F.array(*values), index))

    return (
        pick([F.lit(r.rule_id) for r in rules]),
        pick([F.lit(r.field) for r in rules]),
        pick([F.col(r.field).cast("string") for r in rules]),
        pick([F.lit(r.message) for r in rules]),
    )


def normalised_id(raw: Column) -> Column:
    """Trimmed and upper-cased: a lowercase x is the same check character as X."""
    return F.upper(F.trim(raw))


def id_well_formed(id_number: Column) -> Column:
    return id_number.rlike(r"^[0-9]{17}[0-9X]$")


def id_check_char(id_number: Column) -> Column:
    """GB 11643 check character of the first 17 digits (assumes a well-formed number)."""
    weighted = sum(
        (F.substring(id_number, i + 1, 1).try_cast("int") * F.lit(w) for i, w in enumerate(WEIGHTS)),
        F.lit(0),
    )
    return F.element_at(F.array(*[F.lit(c) for c in CHECK_CHARS]), (weighted % 11 + 1).cast("int"))


def id_birth_date(id_number: Column) -> Column:
    return F.try_to_date(F.substring(id_number, 7, 8), "yyyyMMdd")


def id_sex_code(id_number: Column) -> Column:
    """GB/T 2261.1 sex from the 17th digit: odd is male (1), even is female (2)."""
    return F.when(F.substring(id_number, 17, 1).try_cast("int") % 2 == 1, F.lit("1")).otherwise(F.lit("2"))
