"""Generation and bronze ingest rates at a given scale: `make bench-bronze` (100k and 1M residents).

Each scale gets a fresh HEALTHLAKE_HOME under .bench/ and its own HIS server; the report goes to
benchmarks/results/bronze.json and bronze.md with the machine's description.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
FILE_FEEDS = ("exam_system", "home_bp_devices", "public_health_followups", "public_health_tcm")


def machine() -> str:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), platform.processor())
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


def bench_scale(residents: int, his_port: int) -> dict:
    home = REPO / ".bench" / f"bronze-{residents}"
    subprocess.run(["rm", "-rf", str(home)], check=True)
    os.environ.update(HEALTHLAKE_HOME=str(home), HEALTHLAKE_HIS_PORT=str(his_port))
    from healthlake.settings import get_settings
    from healthlake.synth.generate import generate

    settings = get_settings()
    print(f"[{residents:,} residents] generating ...", flush=True)
    report = generate(settings, residents, seed=42, start=date(2026, 1, 1), end=date(2026, 6, 30))
    gen_peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"  {report.records:,} source records in {report.seconds:.1f} s ({report.records / report.seconds:,.0f}/s)")

    from healthlake.schemas import database_source
    from healthlake.spark import get_spark
    from jobs.bronze import extract_database, ingest_files

    spark = get_spark(settings, app_name="healthlake-bench-bronze")
    stages = []
    for feed in FILE_FEEDS:
        started = time.monotonic()
        result = ingest_files.run(spark, settings, feed, run_id="bench")
        stages.append((feed, result.rows_in, time.monotonic() - started))
        print(f"  bronze {feed}: {result.rows_in:,} records in {stages[-1][2]:.1f} s", flush=True)
    for table in database_source("his").tables:
        started = time.monotonic()
        result = extract_database.run(spark, settings, table, run_id="bench")
        stages.append((f"his.{table}", result.rows_in, time.monotonic() - started))
        print(f"  bronze his.{table}: {result.rows_in:,} rows in {stages[-1][2]:.1f} s", flush=True)
    spark.stop()
    subprocess.run([str(REPO / "scripts" / "postgres.sh"), "destroy"], capture_output=True)
    records = sum(s[1] for s in stages)
    seconds = sum(s[2] for s in stages)
    return {
        "residents": residents,
        "source_records": report.records,
        "generate_seconds": round(report.seconds, 1),
        "generate_records_per_second": round(report.records / report.seconds),
        "generate_peak_rss_gib": round(gen_peak_gib, 2),
        "bronze_records": records,
        "bronze_seconds": round(seconds, 1),
        "bronze_records_per_second": round(records / seconds),
        "stages": [{"stage": s, "records": n, "seconds": round(t, 1)} for s, n, t in stages],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=100_000, help="scale to measure (default 100000)")
    parser.add_argument("--his-port", type=int, default=55480, help="port for the benchmark's HIS server")
    args = parser.parse_args()
    result = {"machine": machine(), "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
              **bench_scale(args.residents, args.his_port)}  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"bronze-{args.residents}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{args.residents:,} residents: generated {result['source_records']:,} records at "
        f"{result['generate_records_per_second']:,}/s; bronze ingest {result['bronze_records_per_second']:,} "
        f"records/s over {result['bronze_seconds']} s. Report: {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
