"""silver.chronic_followups: hypertension and type 2 diabetes follow-up forms (国家基本公共卫生服务规范
第三版), coded fields mapped to their value domains (a centre's printed text such as 门诊 or 规律
maps to its code), pressures and glucose in standard units with plausibility checks."""

from __future__ import annotations

from pyspark.sql import functions as F

from healthlake.schemas import data_elements, value_domains
from jobs.silver import normalise as N
from jobs.silver.entity import Batch, Entity, Standardised, file_lineage
from jobs.silver.rules import Rule

BRONZE = "public_health__chronic_followups"
CODED = {  # silver column <- (bronze column, value domain)
    "method_code": ("method_code", "CV06.00.207"),
    "adherence_code": ("adherence_code", "medication_adherence"),
    "adverse_reaction_code": ("adverse_reaction", "adverse_reaction"),
    "hypoglycaemia_code": ("hypoglycaemia_code", "hypoglycaemia"),
    "result_code": ("result_code", "CV05.10.012"),
}
MEASURED = {  # silver column <- (bronze column, data element column)
    "sbp_mmhg": ("sbp", "sbp_mmhg"),
    "dbp_mmhg": ("dbp", "dbp_mmhg"),
    "weight_kg": ("weight_kg", "weight_kg"),
    "heart_rate_per_min": ("heart_rate", "heart_rate_per_min"),
    "fpg_mmol_l": ("fpg_mmol_l", "fpg_mmol_l"),
}


def standardise(batch: Batch) -> Standardised:
    bronze = batch.rows[BRONZE]
    domains = value_domains()
    by_column = {e.column: e for e in data_elements().values()}
    coded = {col: N.map_code(F.col(src), domains[d].local_map()) for col, (src, d) in CODED.items()}
    measured = {col: N.number(F.col(src)) for col, (src, _) in MEASURED.items()}
    rows = bronze.select(
        batch.pseudonym("public_health.followup:", F.col("form_id")).alias("followup_key"),
        F.lower(F.trim(F.col("form_type"))).alias("form_type"),
        N.parse_date(F.col("followup_date")).alias("followup_date"),
        N.blank_to_null(F.col("institution_code")).alias("institution_code"),
        *[c.alias(name) for name, c in coded.items()],
        *[c.alias(name) for name, c in measured.items()],
        N.number(F.col("cigarettes_per_day")).alias("cigarettes_per_day"),
        N.number(F.col("alcohol_ml_per_day")).alias("alcohol_ml_per_day"),
        N.number(F.col("exercise_per_week")).alias("exercise_per_week"),
        F.lower(F.trim(F.col("referral"))).isin("true", "1", "是").alias("referral"),
        N.parse_date(F.col("next_followup_date")).alias("next_followup_date"),
        F.lit("public_health").alias("source_system"),
        *file_lineage(BRONZE, "public_health.followup", F.col("form_id")),
        *[F.col(src).alias(f"_{name}_raw") for name, (src, _) in {**CODED, **MEASURED}.items()],
        F.col("followup_date").alias("_date_raw"),
        F.col("form_type").alias("_form_type_raw"),
    )
    rules = [
        Rule("followup_date.unparseable", "_date_raw", F.col("followup_date").isNull(),
             "follow-up date is not a date in any accepted form"),
        Rule("form_type.unknown", "_form_type_raw", ~F.col("form_type").isin("hypertension", "t2dm"),
             "form type is neither hypertension nor t2dm"),
    ]  # fmt: skip
    for name, (_, domain) in CODED.items():
        raw = F.col(f"_{name}_raw")
        rules.append(Rule(f"{name}.unknown", f"_{name}_raw", N.blank_to_null(raw).isNotNull() & F.col(name).isNull(),
                          f"value is not a code or printed name of {domain} (schemas/value_domains.yaml)"))  # fmt: skip
    rules.append(Rule("method_code.missing", "_method_code_raw", F.col("method_code").isNull(), "no follow-up method"))
    for name, (_, element_column) in MEASURED.items():
        low, high = by_column[element_column].plausible
        rules.append(Rule(f"{name}.out_of_range", f"_{name}_raw", ~F.col(name).between(low, high),
                          f"{name} is outside the plausible range {low}-{high}"))  # fmt: skip
    rules.append(Rule("temporal.next_before_followup", "next_followup_date",
                      F.col("next_followup_date") < F.col("followup_date"),
                      "the next follow-up date is before this follow-up"))  # fmt: skip
    return Standardised(rows, rules)


ENTITY = Entity(
    table="chronic_followups",
    bronze_tables=(BRONZE,),
    keys=("followup_key",),
    standardise=standardise,
    identity_sources=("public_health.followup",),
)
