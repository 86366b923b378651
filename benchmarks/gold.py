"""dbt build time of the gold marts at a given scale: `make bench-gold`.

Uses the silver benchmark's lake for the scale (.bench/bronze-<N> with silver built; run
`benchmarks/silver.py --residents N` first), drops the gold tables, runs `dbt build` (models, seeds
and data tests, as the pipeline does) once on a fresh Spark session and reports the wall time and each
node's time from dbt's run_results.json. Reports go to benchmarks/results/gold-<N>.json.
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

from bronze import REPO, RESULTS, machine


def bench_gold(residents: int, as_of: str) -> dict:
    home = REPO / ".bench" / f"bronze-{residents}"
    if not (home / "warehouse" / "silver" / "device_readings" / "_delta_log").is_dir():
        raise SystemExit(f"no silver lake at {home}: run benchmarks/silver.py --residents {residents} first")
    os.environ.update(HEALTHLAKE_HOME=str(home), HEALTHLAKE_AS_OF_DATE=as_of)
    from healthlake import dbt
    from healthlake.settings import get_settings

    settings = get_settings()
    shutil.rmtree(settings.layer_location("gold"), ignore_errors=True)
    shutil.rmtree(settings.layer_location("staging"), ignore_errors=True)
    started = time.monotonic()
    outcome = dbt.build(settings)
    seconds = time.monotonic() - started
    results = json.loads((settings.dbt_state_dir / "target" / "run_results.json").read_text())
    nodes = sorted(
        ({"node": r["unique_id"], "seconds": round(r["execution_time"], 1)} for r in results["results"]),
        key=lambda n: -n["seconds"],
    )
    return {
        "residents": residents,
        "as_of_date": as_of,
        "dbt_build_seconds": round(seconds, 1),
        "models": outcome.models,
        "data_tests": outcome.tests,
        "slowest_nodes": nodes[:15],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=100_000, help="scale to measure (default 100000)")
    parser.add_argument("--as-of", default="2026-06-30", help="HEALTHLAKE_AS_OF_DATE for the build (the data's end)")
    args = parser.parse_args()
    result = {"machine": machine(), "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
              **bench_gold(args.residents, args.as_of)}  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"gold-{args.residents}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{args.residents:,} residents: dbt build ({result['models']} models, {result['data_tests']} data tests) "
        f"in {result['dbt_build_seconds']} s. Report: {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
