"""silver.observations: one row per measured data element of an exam (vital signs and lab results),
in the element's standard unit."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from healthlake.schemas import data_elements, source_format
from jobs.silver import normalise as N
from jobs.silver.entity import Batch, Entity, Standardised, file_lineage
from jobs.silver.rules import Rule

BRONZE = "exam_system__exam_items"


def _by_item(mapping: dict[str, object], item_code: Column) -> Column:
    return N.map_code(item_code, {k: str(v) for k, v in mapping.items()}) if mapping else F.lit(None)


def standardise(batch: Batch) -> Standardised:
    fmt = source_format("exam_system")
    elements = data_elements()
    items = {code: elements[de] for code, de in fmt.item_codes.items()}
    bronze = batch.rows[BRONZE]
    item = F.trim(F.col("item_code"))
    de_id = _by_item({c: e.de_id for c, e in items.items()}, item)
    raw_value = N.number(F.col("result_value"))
    # The unit each item arrived in, converted with that element's factors (one CASE per element).
    value = F.coalesce(
        *[F.when(item == code, N.to_unit(raw_value, F.col("unit"), e.unit_factors())) for code, e in items.items()],
        F.lit(None).cast("double"),
    )
    low = _by_item({c: e.plausible[0] for c, e in items.items() if e.plausible}, item).cast("double")
    high = _by_item({c: e.plausible[1] for c, e in items.items() if e.plausible}, item).cast("double")
    exam_date = N.parse_date(F.col("exam_date"))
    rows = bronze.select(
        batch.pseudonym("exam_system.exam:", F.col("exam_id")).alias("encounter_key"),
        de_id.alias("de_id"),
        _by_item({c: e.column for c, e in items.items()}, item).alias("element"),
        value.alias("value"),
        _by_item({c: e.unit for c, e in items.items() if e.unit}, item).alias("unit"),
        exam_date.alias("observed_on"),
        F.lit("exam").alias("encounter_type"),
        N.blank_to_null(F.col("institution_code")).alias("institution_code"),
        F.lit("exam_system").alias("source_system"),
        # framework columns
        *file_lineage(BRONZE, "exam_system.exam", F.col("exam_id")),
        # raw values for the quarantine
        F.col("exam_date").alias("_exam_date"),
        F.col("item_code").alias("_item_code"),
        F.col("result_value").alias("_result_value"),
        F.col("unit").alias("_unit"),
        raw_value.alias("_number"),
        low.alias("_low"),
        high.alias("_high"),
    )
    rules = [
        Rule("exam_date.unparseable", "_exam_date", F.col("observed_on").isNull(),
             "exam date is not a date in any accepted form (YYYY-MM-DD, YYYYMMDD, YYYY/M/D, YYYY年M月D日)"),
        Rule("item_code.unknown", "_item_code", F.col("de_id").isNull(),
             "item code is not mapped to a data element in schemas/sources/exam_system.yaml"),
        Rule("result_value.not_numeric", "_result_value", F.col("_number").isNull(), "result is not a number"),
        Rule("unit.unknown", "_unit", F.col("value").isNull(),
             "unit is neither the element's unit nor one of its other_units in schemas/data_elements.yaml"),
        Rule("result_value.out_of_range", "_result_value", ~F.col("value").between(F.col("_low"), F.col("_high")),
             "result is outside the plausible range of its data element"),
    ]  # fmt: skip
    return Standardised(rows, rules)


ENTITY = Entity(
    table="observations",
    bronze_tables=(BRONZE,),
    keys=("encounter_key", "de_id"),
    standardise=standardise,
    identity_sources=("exam_system.exam",),
)
