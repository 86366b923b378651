"""The linkage model kept between runs in `restricted.linkage_model`, so a day's handful of records is
not scored only after re-estimating u from a million random pairs of the whole index (17 s of the
incremental day at 1M residents).

u (how often two different people agree by chance) is a property of the population: it moves when
the index grows by a sizeable share, not with a day's arrivals. A stored model is reused while its
fingerprint (comparisons, blocking rules, m, fixed u, sampling, splink's version) equals the current
one and the index has grown by at most HEALTHLAKE_LINK_RETRAIN_GROWTH since it was trained; every
training appends a row, so the table is the model's history.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from healthlake.lineage import LEDGER, create_table_if_absent
from healthlake.settings import Settings
from jobs.silver.linkage import LinkageSettings, model_fingerprint, train_model

log = logging.getLogger(__name__)

LAYER, TABLE = "restricted", "linkage_model"
MODEL_TABLE = f"{LAYER}.{TABLE}"

SCHEMA = T.StructType(
    [
        T.StructField("trained_at", T.TimestampType(), False),
        T.StructField("run_id", T.StringType(), False),
        T.StructField("fingerprint", T.StringType(), False),
        T.StructField("index_residents", T.LongType(), False),
        T.StructField("model_json", T.StringType(), False),
    ]
)


@dataclass(frozen=True)
class StoredModel:
    fingerprint: str
    index_residents: int
    model: dict


def retrain_reason(stored: StoredModel | None, fingerprint: str, index_residents: int, growth: float) -> str | None:
    """Why the stored model cannot serve an index of `index_residents`, or None when it can."""
    if stored is None:
        return "no model trained yet"
    if stored.fingerprint != fingerprint:
        return "the comparisons or splink changed since the model was trained"
    if index_residents > stored.index_residents * (1 + growth):
        return (
            f"the index grew from {stored.index_residents:,} to {index_residents:,} residents (more than {growth:.0%})"
        )
    return None


def _latest(spark: SparkSession) -> StoredModel | None:
    row = spark.table(MODEL_TABLE).orderBy(F.col("trained_at").desc()).first()
    if row is None:
        return None
    return StoredModel(row["fingerprint"], row["index_residents"], json.loads(row["model_json"]))


def model_for(
    spark: SparkSession,
    settings: Settings,
    whole_index: Callable[[], DataFrame],
    index_residents: int,
    linkage: LinkageSettings,
    run_id: str,
) -> dict:
    """The model to score with: the stored one if it still fits this index, else a new one (stored)
    trained on `whole_index()`, which is built only then: most runs reuse the model."""
    create_table_if_absent(spark, settings, LAYER, TABLE, spark.createDataFrame([], SCHEMA), LEDGER)
    fingerprint = model_fingerprint(linkage)
    stored = _latest(spark)
    reason = retrain_reason(stored, fingerprint, index_residents, linkage.retrain_growth)
    if reason is None:
        log.info("linkage model reused (trained on %s residents)", f"{stored.index_residents:,}")
        return stored.model
    log.info("training the linkage model: %s", reason)
    model = train_model(spark, whole_index(), linkage)
    row = (datetime.now(UTC).replace(tzinfo=None), run_id, fingerprint, index_residents, json.dumps(model))
    spark.createDataFrame([row], SCHEMA).write.insertInto(MODEL_TABLE)
    return model
