"""Probabilistic record linkage (Fellegi-Sunter, with splink on Spark) for identity records that no
valid ID number resolves: each is compared with the resident index and linked to its best candidate
when the match probability clears the settings' threshold.

The model: u (how often two different people agree by chance) is estimated by splink from random
pairs of the index itself; m (how often the same person's records agree) is set from how
registration data goes wrong, in `M_PROBABILITIES` below, because the records the ID numbers link
cannot teach it: their ID numbers agree by construction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

log = logging.getLogger(__name__)

FEATURES = ("name", "sex_code", "birth_date", "phone", "id_number", "district_code")

# m probabilities per comparison, in the order of its levels (the last is "else").
M_PROBABILITIES = {
    "name": [0.93, 0.05, 0.02],  # exact, one character off (a confusable or doubled character), else
    "sex_code": [0.995, 0.005],
    "birth_date": [0.97, 0.03],
    "phone": [0.80, 0.20],  # people change numbers between registrations
    "id_number": [0.05, 0.80, 0.10, 0.05],  # exact, one character off (a typo), two, else
    "district_code": [0.95, 0.05],
}


@dataclass(frozen=True)
class LinkageSettings:
    match_probability: float  # at or above: linked
    review_probability: float  # at or above (and below the match threshold): the review queue
    u_max_pairs: int
    retrain_growth: float = 0.10  # a stored model serves until the index grows by more than this share
    seed: int = 42


def _comparisons():
    import splink.comparison_library as cl

    comparisons = [
        cl.LevenshteinAtThresholds("name", [1]),
        cl.ExactMatch("sex_code"),
        cl.ExactMatch("birth_date"),
        cl.ExactMatch("phone"),
        cl.LevenshteinAtThresholds("id_number", [1, 2]),
        cl.ExactMatch("district_code"),
    ]
    for comparison, column in zip(comparisons, FEATURES, strict=True):
        comparison.configure(m_probabilities=M_PROBABILITIES[column])
    return comparisons


# Candidates share a birth date and sex, or a phone number, or a name and district, or the
# division and birth-date digits of the ID number (a typo in the sequence or check character).
BLOCKING_KEYS = (("birth_date", "sex_code"), ("phone",), ("name", "district_code"), ("substr(id_number, 1, 14)",))


def _blocking_rules():
    from splink import block_on

    return [block_on(*key) for key in BLOCKING_KEYS]


def _block_values() -> Column:
    """Each row's value under every blocking rule, as "rule, parts" strings; null where a part is
    null, as splink pairs no rows on a null."""
    values = []
    for number, key in enumerate(BLOCKING_KEYS):
        parts = [piece for part in key for piece in (F.lit("\x1f"), F.expr(part).cast("string"))]
        values.append(F.concat(F.lit(str(number)), *parts))
    return F.array(*values)


def sharing_a_block(index: DataFrame, records: DataFrame, small: bool) -> DataFrame:
    """The rows of `index` that share a blocking rule's value with one of `records`: all that splink
    could pair with them. Cutting the index to these first spares a day's few dozen records a
    resident index of millions (1M: the whole index regrouped and checkpointed took 11-14 s)."""
    wanted = records.select(F.explode(_block_values()).alias("_block")).where("_block IS NOT NULL").distinct()
    blocks = index.withColumn("_block", F.explode(_block_values()))
    # A row sharing two rules' values comes twice: callers group the index by its features anyway.
    return blocks.join(F.broadcast(wanted) if small else wanted, "_block", "left_semi").drop("_block")


def _features(df: DataFrame, unique_id: str) -> DataFrame:
    return df.select(F.col(unique_id).alias("unique_id"), *[F.col(c) for c in FEATURES])


def _settings_creator():
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=_blocking_rules(),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def model_fingerprint(settings: LinkageSettings) -> str:
    """What a trained model depends on besides the index: a model trained under another fingerprint
    is not reused."""
    import splink

    definition = _settings_creator().create_settings_dict("spark")
    definition.pop("linker_uid", None)
    inputs = {
        "splink": splink.__version__,
        "settings": definition,
        "u_max_pairs": settings.u_max_pairs,
        "seed": settings.seed,
        "fixed_u": {"id_number": ID_NUMBER_U, "phone": PHONE_U},
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def train_model(spark: SparkSession, index: DataFrame, settings: LinkageSettings) -> dict:
    """The model as splink settings: m as configured, u estimated from random pairs of the index."""
    from splink import Linker
    from splink.backends.spark import SparkAPI

    creator = _settings_creator()
    db_api = SparkAPI(spark_session=spark, register_udfs_automatically=False, break_lineage_method="persist")
    training = db_api.register(_features(index, "index_id"), table_name=f"index_{uuid.uuid4().hex[:8]}")
    linker = Linker(training, creator, log_level=logging.WARNING)
    started = time.monotonic()
    # One chunk: splink's default of ten runs ten Spark pipelines for the same pairs (41 s against 5 s
    # at 100k residents); the levels too rare to count in random pairs have their u set below.
    linker.training.estimate_u_using_random_sampling(
        max_pairs=settings.u_max_pairs, seed=settings.seed, num_chunks=1, min_count_per_level=None
    )
    log.info("u estimated from %s random pairs in %.1f s", settings.u_max_pairs, time.monotonic() - started)
    model = linker.misc.save_model_to_json()
    _fix_u(model, "id_number", ID_NUMBER_U)
    _fix_u(model, "phone", PHONE_U)
    return model


# Valid ID numbers of different people never agree and almost never differ in one character:
# random pairs cannot show how rarely, so their u is set (exact, one off, two off, else).
ID_NUMBER_U = [1e-9, 1e-6, 1e-5, 1 - 1.1e-5]
# Two different people share a phone number about as often as a household does: random pairs of a
# large index almost never show it, so it is set too.
PHONE_U = [1e-6, 1 - 1e-6]


def _fix_u(model: dict, column: str, u: list[float]) -> None:
    comparison = next(c for c in model["comparisons"] if c["output_column_name"] == column)
    levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
    for level, value in zip(levels, u, strict=True):
        level["u_probability"] = value


def best_candidates(
    spark: SparkSession, unresolved: DataFrame, index: DataFrame, model: dict, residents_in_index: int
) -> DataFrame:
    """For each unresolved record (`record_id`), its most probable index record (`index_id`) and the
    match probability; records with no candidate at all are absent."""
    from splink import Linker
    from splink.backends.spark import SparkAPI

    model = {**model, "link_type": "link_only"}
    # Each unresolved record is one of the index's residents, or nobody yet: 1 in N a priori.
    model["probability_two_random_records_match"] = 1.0 / max(residents_in_index, 2)
    db_api = SparkAPI(spark_session=spark, register_udfs_automatically=False, break_lineage_method="persist")
    # Table names are per call (a session may link several batches); display names tell the sides apart.
    suffix = uuid.uuid4().hex[:8]
    left = db_api.register(
        _features(unresolved, "record_id"), dataset_display_name="unresolved", table_name=f"unresolved_{suffix}"
    )
    right = db_api.register(_features(index, "index_id"), dataset_display_name="index", table_name=f"index_{suffix}")
    linker = Linker([left, right], model, log_level=logging.WARNING)
    started = time.monotonic()
    pairs = linker.inference.predict().as_spark_dataframe()
    log.info("candidate pairs scored in %.1f s", time.monotonic() - started)
    oriented = pairs.select(
        F.when(F.col("source_dataset_l") == "unresolved", F.col("unique_id_l"))
        .otherwise(F.col("unique_id_r"))
        .alias("record_id"),
        F.when(F.col("source_dataset_l") == "unresolved", F.col("unique_id_r"))
        .otherwise(F.col("unique_id_l"))
        .alias("index_id"),
        F.col("match_probability"),
    )
    ranked = Window.partitionBy("record_id").orderBy(F.col("match_probability").desc(), F.col("index_id"))
    return oriented.withColumn("_rank", F.row_number().over(ranked)).where("_rank = 1").drop("_rank")
