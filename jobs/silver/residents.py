"""The resident index (master patient index): every identity record resolved to one resident.

1. Deterministic: a valid GB 11643 number that agrees with the record's birth date and sex (or a
   passport number) is the resident; `resident_key` = HMAC(key, that number).
2. Probabilistic: the rest are compared with the index by splink (jobs/silver/linkage.py): linked
   at or above HEALTHLAKE_LINK_MATCH_PROBABILITY, queued for review in the band below it down to
   HEALTHLAKE_LINK_REVIEW_PROBABILITY, and otherwise a resident of their own.

Writes the crosswalk `restricted.identity_crosswalk` (source record -> resident, with the identifiers
it carried), `restricted.linkage_review`, the golden record with SCD type 2 history
`restricted.resident_golden`, and `silver.residents` (the golden record without direct identifiers).
Only records new or changed since the last run are resolved; keys derive from identifiers, so a
resident keeps their key across re-runs and new arrivals.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from healthlake.catalog import table_exists
from healthlake.gate import check_batch
from healthlake.lineage import (
    MERGE_TARGET,
    JobResult,
    ReconciliationError,
    create_table_if_absent,
    newest_ingested,
    record_progress,
    unprocessed,
    upsert,
)
from healthlake.pseudonym import hmac_column
from healthlake.settings import Settings
from jobs.silver import normalise as N
from jobs.silver.entity import not_yet_held
from jobs.silver.identity import IDENTITY_SOURCES, anchor, identity_records
from jobs.silver.linkage import LinkageSettings, best_candidates, sharing_a_block
from jobs.silver.linkage_model import model_for

log = logging.getLogger(__name__)

CONSUMER = "silver.residents"
CROSSWALK = "restricted.identity_crosswalk"
REVIEW = "restricted.linkage_review"
GOLDEN = "restricted.resident_golden"
RESIDENTS = "silver.residents"
KEY = ["source", "source_record_id"]
NOTHING_NEW = JobResult(job=CONSUMER, rows_in=0, rows_written=0, rows_rejected=0, detail="no new identity records")


def resident_key(key: bytes, anchor_value: Column) -> Column:
    return hmac_column(key, F.concat(F.lit("resident:"), anchor_value))


def _record_ref() -> Column:
    return F.concat_ws(":", "source", "source_record_id")


def resolve(
    spark: SparkSession,
    settings: Settings,
    changed: DataFrame,
    known: DataFrame | None,
    linkage: LinkageSettings,
    run_id: str,
    changed_refs: DataFrame,
) -> DataFrame:
    """Crosswalk rows for `changed` identity records, given the crosswalk so far (`known`);
    `changed_refs` are their record keys, as the crosswalk should meet them (broadcast when few)."""
    key = settings.pseudonym_key()
    anchored = changed.where(F.col("_anchor").isNotNull()).select(
        "*",
        resident_key(key, F.col("_anchor")).alias("resident_key"),
        F.when(F.col("_anchor").startswith("03:"), "passport").otherwise("id_number").alias("match_method"),
        F.lit(1.0).alias("match_probability"),
        F.lit(None).cast("string").alias("linked_to"),
    )
    unanchored = changed.where(F.col("_anchor").isNull())
    index = anchored.select("resident_key", _record_ref().alias("ref"), *linkage_features())
    if known is not None:
        held = known.where(F.col("match_method").isin("id_number", "passport")).join(changed_refs, KEY, "left_anti")
        index = index.unionByName(held.select("resident_key", _record_ref().alias("ref"), *linkage_features()))
    # A record with nothing but a name cannot be told from the namesakes: it stays a resident of its own.
    has_id = F.coalesce(F.col("id_problem"), F.lit("")) != "missing"
    linkable = unanchored.where(F.col("birth_date").isNotNull() | F.col("phone").isNotNull() | has_id)
    linkable = linkable.select(_record_ref().alias("record_id"), *linkage_features()).localCheckpoint()
    n_linkable = linkable.count()
    residents_in_index = index.agg(F.count_distinct("resident_key")).first()[0]
    if n_linkable and residents_in_index > 1:
        model = model_for(
            spark, settings, lambda: _grouped(index).localCheckpoint(), residents_in_index, linkage, run_id
        )
        # Materialised: splink runs many queries over the candidates, each would otherwise recompute them.
        small = n_linkable <= settings.broadcast_max_rows
        candidates = _grouped(sharing_a_block(index, linkable, small)).localCheckpoint()
        best = best_candidates(spark, linkable, candidates, model, residents_in_index)
        best = best.join(candidates.select("index_id", F.col("resident_key").alias("candidate_key")), "index_id")
    else:
        best = spark.createDataFrame(
            [], "record_id string, index_id string, match_probability double, candidate_key string"
        )
    scored = unanchored.withColumn("record_id", _record_ref()).join(best, "record_id", "left")
    probability = F.coalesce(F.col("match_probability"), F.lit(0.0))
    linked = probability >= linkage.match_probability
    own_key = resident_key(key, F.concat(F.lit("record:"), F.col("record_id")))
    resolved = scored.select(
        *[c for c in changed.columns],
        F.when(linked, F.col("candidate_key")).otherwise(own_key).alias("resident_key"),
        F.when(linked, "probabilistic")
        .when(probability >= linkage.review_probability, "review")
        .otherwise("unlinked")
        .alias("match_method"),
        F.col("match_probability"),
        F.when(linked | (probability >= linkage.review_probability), F.col("index_id")).alias("linked_to"),
        F.when(~linked & (probability >= linkage.review_probability), F.col("candidate_key")).alias("_candidate"),
    )
    return anchored.withColumn("_candidate", F.lit(None).cast("string")).unionByName(resolved)


_FEATURES = ["name", "sex_code", "birth_date", "phone", "id_number", "district_code"]


def _grouped(index: DataFrame) -> DataFrame:
    """One index row per resident and distinct set of features: the same person seen ten times alike
    is one candidate, not ten."""
    return index.groupBy("resident_key", *_FEATURES).agg(F.min("ref").alias("index_id"))


def linkage_features() -> list[Column]:
    """What linkage compares. Where a source does not say birth date or sex (follow-up forms,
    devices), the ID number's own digits do, when they form a date: a mistyped number keeps them."""
    id18 = F.col("id_number")
    from_id = id18.rlike(r"^[0-9]{17}[0-9X]$")
    return [
        F.col("name"),
        F.coalesce(F.col("sex_code"), F.when(from_id, N.id_sex_code(id18))).alias("sex_code"),
        F.coalesce(F.col("birth_date"), F.when(from_id, N.id_birth_date(id18))).alias("birth_date"),
        F.col("phone"),
        id18,
        F.col("district_code"),
    ]


def golden_records(crosswalk: DataFrame) -> DataFrame:
    """One golden demographic record per resident from all its source records: identifiers from the
    anchoring ID number where there is one, otherwise the most frequent value; phone and address the
    most recently resolved."""
    anchored = F.col("match_method").isin("id_number", "passport")
    recency = F.struct(F.col("_resolved_at"), F.col("source_record_id"))

    def most_frequent(column: str) -> Column:
        return F.mode(F.col(column), deterministic=True)

    def from_anchor_else_mode(column: str) -> Column:
        return F.coalesce(F.max_by(F.when(anchored, F.col(column)), F.when(anchored, recency)), most_frequent(column))

    return crosswalk.groupBy("resident_key").agg(
        most_frequent("name").alias("name"),
        from_anchor_else_mode("sex_code").alias("sex_code"),
        from_anchor_else_mode("birth_date").alias("birth_date"),
        from_anchor_else_mode("id_type_code").alias("id_type_code"),
        F.max_by(F.when(anchored, F.col("id_number")), F.when(anchored, recency)).alias("id_number"),
        F.max_by(F.col("phone"), F.when(F.col("phone").isNotNull(), recency)).alias("phone"),
        F.max_by(F.col("address"), F.when(F.col("address").isNotNull(), recency)).alias("address"),
        from_anchor_else_mode("district_code").alias("district_code"),
        F.count("*").alias("source_records"),
        F.sort_array(F.collect_set(F.split(F.col("source"), r"\.")[0])).alias("source_systems"),
    )


def _golden_hash() -> Column:
    columns = ["name", "sex_code", "birth_date", "id_type_code", "id_number", "phone", "address", "district_code"]
    return F.sha2(F.concat_ws("\u0001", *[F.coalesce(F.col(c).cast("string"), F.lit("")) for c in columns]), 256)


def merge_golden_scd2(spark: SparkSession, settings: Settings, golden: DataFrame, now: Column) -> int:
    """SCD type 2: a changed golden record closes its current version and opens a new one."""
    staged = golden.withColumn("golden_hash", _golden_hash()).withColumn("valid_from", now)
    staged = staged.withColumn("valid_to", F.lit(None).cast("timestamp")).withColumn("is_current", F.lit(True))
    create_table_if_absent(spark, settings, "restricted", "resident_golden", staged, MERGE_TARGET)
    current = spark.table(GOLDEN).where("is_current").select("resident_key", F.col("golden_hash").alias("_old"))
    changes = staged.join(current, "resident_key", "left").where("_old IS NULL OR _old <> golden_hash").drop("_old")
    changes = changes.persist()
    count = changes.count()
    if count and spark.table(GOLDEN).limit(1).count() == 0:
        changes.select(*spark.table(GOLDEN).columns).write.insertInto(GOLDEN)  # a first load: nothing to close
    elif count:
        # Each change twice: keyed, to close the current version; unkeyed, to insert the new one.
        keyed = changes.withColumn("_merge_key", F.col("resident_key"))
        unkeyed = changes.join(current.select("resident_key"), "resident_key").withColumn(
            "_merge_key", F.lit(None).cast("string")
        )
        keyed.unionByName(unkeyed).createOrReplaceTempView("incoming_golden")
        columns = ", ".join(staged.columns)
        spark.sql(
            f"MERGE INTO {GOLDEN} t USING incoming_golden s ON t.resident_key = s._merge_key AND t.is_current "
            "WHEN MATCHED THEN UPDATE SET t.is_current = false, t.valid_to = s.valid_from "
            f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({', '.join('s.' + c for c in staged.columns)})"
        )
    changes.unpersist()
    return count


def orphaned(spark: SparkSession, affected: DataFrame, cut: DataFrame | None) -> DataFrame:
    """The affected residents with no record left in the crosswalk: every record moved to another."""
    held = spark.table(CROSSWALK).select("resident_key")
    if cut is not None:  # cut to the affected residents first, as the joins before it
        held = held.join(cut, "resident_key", "left_semi")
    return affected.join(held, "resident_key", "left_anti")


def run(spark: SparkSession, settings: Settings, run_id: str) -> JobResult:
    present = [s.bronze_table for s in IDENTITY_SOURCES if table_exists(settings, "bronze", s.bronze_table)]
    new_rows = {table: unprocessed(spark, settings, CONSUMER, table) for table in present}
    through = {table: newest_ingested(df) for table, df in new_rows.items()}
    if all(ts is None for ts in through.values()):
        # Nothing ingested since the last run: skip planning the identity records, seconds of work for none.
        return NOTHING_NEW
    now = F.lit(datetime.now(UTC)).cast("timestamp")
    records = identity_records(new_rows).withColumn("_anchor", anchor())
    known = spark.table(CROSSWALK) if table_exists(settings, "restricted", "identity_crosswalk") else None
    if known is not None:
        # Counted to choose the join: a day's thousands of records against a crosswalk of millions
        # (1M: 6 s shuffled, 2.5 s broadcast).
        records = records.localCheckpoint()
        versions = [*KEY, "identity_hash"]
        small = records.count() <= settings.broadcast_max_rows
        records = not_yet_held(records, known.select(*versions), versions, small)
    changed = records.localCheckpoint()
    n_changed = changed.count()
    log.info("%d identity records new or changed", n_changed)
    if n_changed == 0:
        record_progress(spark, settings, CONSUMER, through)
        return NOTHING_NEW

    linkage = LinkageSettings(
        settings.link_match_probability,
        settings.link_review_probability,
        settings.link_u_max_pairs,
        settings.link_retrain_growth,
    )
    # A day's few thousand records are broadcast to the crosswalk and golden records, which otherwise
    # are shuffled whole to meet them (1M lake, 12k residents: the golden records' input 7.9-13.1 s
    # shuffled, 3.3-7.0 s broadcast). A first load affects everyone: nothing to cut.
    few = known is not None and n_changed <= settings.broadcast_max_rows
    changed_refs = F.broadcast(changed.select(*KEY)) if few else changed.select(*KEY)
    resolved = resolve(spark, settings, changed, known, linkage, run_id, changed_refs).localCheckpoint()
    methods = dict(resolved.groupBy("match_method").count().collect())
    log.info("resolved: %s", methods)
    if sum(methods.values()) != n_changed:
        raise ReconciliationError(f"{CROSSWALK}: {n_changed} identity records in, {sum(methods.values())} resolved")

    crosswalk_rows = (
        resolved.drop("_anchor", "_candidate").withColumn("_resolved_at", now).withColumn("_run_id", F.lit(run_id))
    )
    previous_keys = None
    if known is not None:
        # Read now: a Delta table's DataFrame reads the table's newest version when it runs, and after
        # the MERGE below it would give the records' new residents, never the ones they left.
        previous_keys = known.join(changed_refs, KEY).select("resident_key").localCheckpoint()
    create_table_if_absent(spark, settings, "restricted", "identity_crosswalk", crosswalk_rows, MERGE_TARGET)
    upsert(spark, CROSSWALK, crosswalk_rows, KEY, "incoming_crosswalk")
    log.info("crosswalk merged")

    review = resolved.where("match_method = 'review'").select(
        *KEY, F.col("_candidate").alias("candidate_resident_key"), "match_probability", "linked_to",
        F.lit("open").alias("status"), now.alias("_queued_at"), F.lit(run_id).alias("_run_id"),
    )  # fmt: skip
    create_table_if_absent(spark, settings, "restricted", "linkage_review", review, MERGE_TARGET)
    if methods.get("review"):
        upsert(spark, REVIEW, review, KEY, "incoming_review")

    affected = resolved.select("resident_key")
    if previous_keys is not None:
        affected = affected.unionByName(previous_keys)
    affected = affected.distinct()
    cut = F.broadcast(affected) if few else affected
    golden = golden_records(spark.table(CROSSWALK).join(cut, "resident_key"))
    changed_golden = merge_golden_scd2(spark, settings, golden, now)
    # A resident whose every record moved to another is gone: its golden history closes now, its silver
    # row goes after the gate. On a first load every resident still has the records it came from.
    gone = orphaned(spark, affected, cut if few else None) if previous_keys is not None else None
    any_gone = gone is not None and gone.limit(1).count() > 0
    if any_gone:
        gone.withColumn("closed_at", now).createOrReplaceTempView("gone_residents")
        spark.sql(f"MERGE INTO {GOLDEN} t USING gone_residents s ON t.resident_key = s.resident_key AND t.is_current "
                  "WHEN MATCHED THEN UPDATE SET t.is_current = false, t.valid_to = s.closed_at")  # fmt: skip
    log.info("golden records merged")

    public = spark.table(GOLDEN).where("is_current").join(cut, "resident_key").select(
        "resident_key", "sex_code", "birth_date", "district_code", "id_type_code", "source_records",
        "source_systems", F.col("valid_from").alias("updated_at"),
    ).persist()  # fmt: skip
    check_batch(spark, settings, RESIDENTS, public, public.columns, run_id)
    create_table_if_absent(spark, settings, "silver", "residents", public, MERGE_TARGET)
    upsert(spark, RESIDENTS, public, ["resident_key"], "incoming_residents")
    if any_gone:
        spark.sql(f"MERGE INTO {RESIDENTS} t USING gone_residents s ON t.resident_key = s.resident_key "
                  "WHEN MATCHED THEN DELETE")  # fmt: skip
    record_progress(spark, settings, CONSUMER, through)
    public.unpersist()
    summary = ", ".join(
        f"{methods.get(m, 0)} {m}" for m in ("id_number", "passport", "probabilistic", "review", "unlinked")
    )
    return JobResult(
        job=CONSUMER,
        rows_in=n_changed,
        rows_written=n_changed,
        rows_rejected=0,
        detail=f"{summary}; {changed_golden} golden records new or changed",
    )
