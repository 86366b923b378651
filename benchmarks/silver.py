"""Silver throughput and record-linkage quality at a given scale: `make bench-silver`.

Uses the bronze benchmark's lake for the scale (.bench/bronze-<N>, generated and ingested first
when absent), drops whatever silver it holds, runs every silver job once, and scores the resident
index against the generator's ground truth (pairwise precision and recall). Reports go to
benchmarks/results/silver-<N>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bronze import REPO, RESULTS, bench_scale, machine


def bench_silver(residents: int, his_port: int) -> dict:
    home = REPO / ".bench" / f"bronze-{residents}"
    if not (home / "warehouse" / "bronze" / "his__patients" / "_delta_log").is_dir():
        bench_scale(residents, his_port)
    os.environ.update(HEALTHLAKE_HOME=str(home), HEALTHLAKE_HIS_PORT=str(his_port))
    from healthlake import catalog
    from healthlake.settings import get_settings

    settings = get_settings()
    for path in (settings.layer_location("silver"), settings.layer_location("restricted")):
        shutil.rmtree(path, ignore_errors=True)
    shutil.rmtree(settings.table_location("quarantine", "silver_rejects"), ignore_errors=True)
    shutil.rmtree(settings.table_location("quarantine", "icd10_unmapped"), ignore_errors=True)

    from healthlake.spark import get_spark, releasing_caches
    from healthlake.synth.truth import linkage_scores, record_people
    from jobs.silver import JOBS, standardise

    spark = get_spark(settings, app_name="healthlake-bench-silver")
    catalog.attach(spark, settings)
    stages = []
    for job in JOBS:
        started = time.monotonic()
        with releasing_caches(spark):  # as each pipeline task does
            result = standardise.run(spark, settings, "bench", job)
        seconds = time.monotonic() - started
        stages.append({"job": job, "records": result.rows_in, "seconds": round(seconds, 1),
                       "published": result.rows_written, "quarantined": result.rows_rejected,
                       "detail": result.detail})  # fmt: skip
        print(f"  silver.{job}: {result.rows_in:,} in, {result.rows_written:,} published in {seconds:.1f} s "
              f"({result.detail})", flush=True)  # fmt: skip
    crosswalk = spark.table("restricted.identity_crosswalk").select("source", "source_record_id", "resident_key")
    scores = linkage_scores(crosswalk.toPandas(), record_people(settings))
    jvm_pid = spark._jvm.java.lang.ProcessHandle.current().pid()
    jvm_peak_kib = next(
        int(line.split()[1])
        for line in Path(f"/proc/{jvm_pid}/status").read_text().splitlines()
        if line.startswith("VmHWM")
    )
    spark.stop()
    bronze_records = sum(s["records"] for s in stages if s["job"] != "residents")
    seconds = sum(s["seconds"] for s in stages)
    return {
        "residents": residents,
        "bronze_records": bronze_records,
        "identity_records": stages[0]["records"],
        "silver_seconds": round(seconds, 1),
        "silver_records_per_second": round(bronze_records / seconds),
        "jvm_peak_rss_gib": round(jvm_peak_kib / 2**20, 2),  # the driver JVM (local mode: executors too)
        "linkage": {
            "precision": round(scores.precision, 5),
            "recall": round(scores.recall, 5),
            "records": scores.records,
            "residents_true": scores.residents_true,
            "residents_found": scores.residents_found,
            "true_pairs": scores.true_pairs,
            "found_pairs": scores.found_pairs,
            "correct_pairs": scores.correct_pairs,
        },
        "stages": stages,
    }


def main() -> int:
    import logging

    logging.basicConfig(level=logging.WARNING, format="    %(asctime)s %(name)s %(message)s")
    logging.getLogger("jobs").setLevel(logging.INFO)  # each job's phases, for the profile
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=100_000, help="scale to measure (default 100000)")
    parser.add_argument("--his-port", type=int, default=55480, help="port for the benchmark's HIS server")
    args = parser.parse_args()
    result = {"machine": machine(), "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
              **bench_silver(args.residents, args.his_port)}  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"silver-{args.residents}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    link = result["linkage"]
    print(
        f"{args.residents:,} residents: silver standardised {result['bronze_records']:,} bronze records and "
        f"resolved {result['identity_records']:,} identity records in {result['silver_seconds']} s "
        f"({result['silver_records_per_second']:,} records/s); linkage precision {link['precision']}, "
        f"recall {link['recall']}. Report: {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
