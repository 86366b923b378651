"""Local Spark against DuckDB on the same mart from the same silver data: `make bench-duckdb`.

The logic is written once, in the dbt project: dbt compiles the mart and the staging and
intermediate models it reads (Spark SQL), and sqlglot translates each to DuckDB's dialect; two Spark
functions whose DuckDB translation differs in meaning get DuckDB macros with Spark's semantics
(`SPARK_SHIMS`). Both engines then build the mart from the silver Delta tables and write it as a
Delta table: Spark as dbt's table materialisation does (CREATE TABLE ... USING delta AS), DuckDB
reading silver with delta-rs (its DataFusion reader, which honours deletion vectors) and writing with
delta-rs. The two results are compared row for row before a figure is reported. Each engine runs
`--repeat` times and the best time counts; every run's time is kept in the report. Five by default:
Spark's JIT compiler goes on speeding the query up for five runs (15.4, 6.8, 5.9, 5.1, 4.8 s on a
lake shaped like a million residents'), and in `healthlake run` one JVM builds every mart, warm.

Where each engine's time goes is reported beside the ratio, from the best of `--repeat` runs of each
measurement (a phase that is a difference is the difference of two bests): Spark's
planning (analysis, optimisation and physical planning, in which Delta lists each table's files as
Spark jobs), its execution (the SELECT into Spark's `noop` sink, less the planning) and the Delta
write (a CREATE TABLE run less the noop run); DuckDB's reading of silver through delta-rs and the
rest (query and write). Spark's phases come from runs after the timed ones, each a plan, a noop run
and a CREATE TABLE, so all three are as warm as each other; in between the timed runs they would
warm the JIT compiler up for them (at 1M: 5.85 s best instead of 7.69 s).

Needs a lake with silver built (any home: `--home`, or the silver benchmark's .bench/bronze-<N>).
Reports go to benchmarks/results/duckdb-<N>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bronze import REPO, RESULTS, machine
from report import phases_line

MART = "chronic_disease_management"

# Spark semantics where sqlglot's DuckDB translation would differ: months_between's fraction of a
# month, and floor() returning a whole number (DuckDB's floor of a double stays a double, which
# casts to '60.0' rather than '60').
SPARK_SHIMS = {
    "months_between": (
        "CREATE OR REPLACE MACRO spark_months_between(a, b) AS "
        "date_diff('month', CAST(b AS DATE), CAST(a AS DATE)) + CASE WHEN day(CAST(a AS DATE)) = "
        "day(last_day(CAST(a AS DATE))) AND day(CAST(b AS DATE)) = day(last_day(CAST(b AS DATE))) THEN 0 "
        "ELSE (day(CAST(a AS DATE)) - day(CAST(b AS DATE))) / 31.0 END"
    ),
    "floor": "CREATE OR REPLACE MACRO spark_floor(x) AS CAST(floor(x) AS BIGINT)",
}


def compiled_chain(settings, mart: str) -> tuple[list[dict], list[tuple[str, str]]]:
    """The models the mart needs, upstream first, as dbt compiled them; and the silver sources they read."""
    from healthlake import console, dbt

    with console.output_to(settings.logs_dir / "bench-duckdb-compile.log"):  # dbt prints the compiled SQL
        result = dbt.invoke(settings, "compile", "--select", f"+{mart}", "--quiet")
    if not result.success:
        raise SystemExit(f"dbt compile failed: {result.exception}")
    manifest = json.loads((settings.dbt_state_dir / "target" / "manifest.json").read_text())
    nodes, sources = manifest["nodes"], manifest["sources"]
    ordered: list[dict] = []

    def visit(unique_id: str) -> None:
        node = nodes[unique_id]
        for parent in node["depends_on"]["nodes"]:
            if parent in nodes and parent not in {n["unique_id"] for n in ordered}:
                visit(parent)
        if node not in ordered:
            ordered.append(node)

    visit(f"model.healthlake.{mart}")
    read = sorted(
        {(sources[s]["schema"], sources[s]["name"]) for n in ordered for s in n["depends_on"]["nodes"] if s in sources}
    )
    return ordered, read


def to_duckdb(spark_sql: str) -> str:
    import sqlglot

    shimmed = re.sub(r"\bmonths_between\s*\(", "spark_months_between(", spark_sql, flags=re.IGNORECASE)
    shimmed = re.sub(r"\bfloor\s*\(", "spark_floor(", shimmed, flags=re.IGNORECASE)
    return sqlglot.transpile(shimmed, read="spark", write="duckdb")[0]


def run_spark(spark, settings, chain: list[dict], out_dir: Path) -> float:
    for node in chain[:-1]:
        spark.sql(f"CREATE OR REPLACE VIEW {node['schema']}.{node['name']} AS {node['compiled_code']}")
    shutil.rmtree(out_dir, ignore_errors=True)
    spark.sql("DROP TABLE IF EXISTS bench_spark_mart")
    started = time.monotonic()
    spark.sql(f"CREATE TABLE bench_spark_mart USING delta LOCATION '{out_dir}' AS {chain[-1]['compiled_code']}")
    return time.monotonic() - started


def spark_phases(spark, chain: list[dict]) -> tuple[float, float]:
    """Seconds to plan the mart's SELECT, and to plan and run it into Spark's noop sink (nothing
    written). Needs the views run_spark creates."""
    started = time.monotonic()
    spark.sql(chain[-1]["compiled_code"])._jdf.queryExecution().executedPlan()
    planned = time.monotonic() - started
    started = time.monotonic()
    spark.sql(chain[-1]["compiled_code"]).write.format("noop").mode("overwrite").save()
    return planned, time.monotonic() - started


def run_duckdb(settings, chain: list[dict], sources: list[tuple[str, str]], out_dir: Path) -> tuple[float, float]:
    """Seconds for the whole build, and of them for reading silver into DuckDB."""
    import duckdb
    import pyarrow as pa
    from deltalake import DeltaTable, QueryBuilder, write_deltalake

    shutil.rmtree(out_dir, ignore_errors=True)
    started = time.monotonic()
    connection = duckdb.connect()
    for statement in SPARK_SHIMS.values():
        connection.execute(statement)
    for schema, table in sources:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        # Silver tables carry deletion vectors, which only delta-rs's DataFusion reader honours.
        delta = DeltaTable(settings.table_location(schema, table))
        arrow = pa.RecordBatchReader.from_stream(QueryBuilder().register("t", delta).execute("SELECT * FROM t"))
        connection.register(f"{schema}__{table}", arrow.read_all())
        connection.execute(f"CREATE OR REPLACE VIEW {schema}.{table} AS SELECT * FROM {schema}__{table}")
    read = time.monotonic() - started
    for node in chain[:-1]:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {node['schema']}")
        connection.execute(
            f"CREATE OR REPLACE VIEW {node['schema']}.{node['name']} AS {to_duckdb(node['compiled_code'])}"
        )
    result = connection.sql(to_duckdb(chain[-1]["compiled_code"])).to_arrow_table()
    write_deltalake(str(out_dir), result)
    seconds = time.monotonic() - started
    connection.close()
    return seconds, read


def same_rows(spark, spark_dir: Path, duckdb_dir: Path) -> int:
    """Row-for-row equality of the two Delta tables (floats to 9 digits); returns the row count."""
    import pandas as pd
    from deltalake import DeltaTable

    ours = spark.read.format("delta").load(str(spark_dir)).toPandas()
    theirs = DeltaTable(str(duckdb_dir)).to_pandas()[list(ours.columns)]
    for frame in (ours, theirs):
        for column in frame.columns:
            if frame[column].map(lambda v: isinstance(v, dict)).any():
                frame[column] = frame[column].astype(str)
    ours = ours.sort_values(list(ours.columns)).reset_index(drop=True)
    theirs = theirs.sort_values(list(theirs.columns)).reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, check_exact=False, rtol=1e-9)
    return len(ours)


def bench(home: Path, residents: int, repeat: int) -> dict:
    if not (home / "warehouse" / "silver" / "chronic_followups" / "_delta_log").is_dir():
        raise SystemExit(f"no silver lake at {home}: run benchmarks/silver.py --residents {residents} first")
    os.environ["HEALTHLAKE_HOME"] = str(home)
    from healthlake.settings import get_settings
    from healthlake.spark import get_spark

    settings = get_settings()
    spark = get_spark(settings, app_name="healthlake-bench-duckdb")
    chain, sources = compiled_chain(settings, MART)
    scratch = home / "bench-duckdb"
    spark_runs = [round(run_spark(spark, settings, chain, scratch / "spark"), 2) for _ in range(repeat)]
    # The phases after the timed runs (which they would warm up), from runs of their own that warm up alike.
    planned, to_noop, built = [], [], []
    for _ in range(repeat):
        plan_seconds, noop_seconds = spark_phases(spark, chain)
        planned.append(plan_seconds)
        to_noop.append(noop_seconds)
        built.append(run_spark(spark, settings, chain, scratch / "spark"))
    duckdb_timed = [run_duckdb(settings, chain, sources, scratch / "duckdb") for _ in range(repeat)]
    duckdb_runs = [round(total, 2) for total, _ in duckdb_timed]
    spark_seconds, duckdb_seconds = min(spark_runs), min(duckdb_runs)
    duckdb_read = min(read for _, read in duckdb_timed)
    rows = same_rows(spark, scratch / "spark", scratch / "duckdb")
    source_rows = {
        f"{s}.{t}": spark.read.format("delta").load(settings.table_location(s, t)).count() for s, t in sources
    }
    shutil.rmtree(scratch, ignore_errors=True)
    return {
        "residents": residents,
        "mart": f"gold.{MART}",
        "models": [f"{n['schema']}.{n['name']}" for n in chain],
        "source_rows": source_rows,
        "mart_rows": rows,
        "spark_seconds": round(spark_seconds, 2),
        "duckdb_seconds": round(duckdb_seconds, 2),
        "spark_to_duckdb": round(spark_seconds / duckdb_seconds, 2),
        "repeat": repeat,
        "spark_runs": spark_runs,
        "duckdb_runs": duckdb_runs,
        "spark_phases": {
            "planning": round(min(planned), 2),
            "execution": round(min(to_noop) - min(planned), 2),
            "delta_write": round(min(built) - min(to_noop), 2),
            "create_table": round(min(built), 2),  # the CREATE TABLE of these later, warmer runs
        },
        "duckdb_phases": {"read": round(duckdb_read, 2), "query_and_write": round(duckdb_seconds - duckdb_read, 2)},
        "results_equal": True,
    }


def _seconds(runs: list[float]) -> str:
    return ", ".join(f"{r} s" for r in runs)


def markdown(result: dict) -> str:
    sources = ", ".join(f"{name} {rows:,}" for name, rows in result["source_rows"].items())
    return (
        f"# Spark and DuckDB on {result['mart']}, {result['residents']:,} residents\n\n"
        f"{result['machine']}\n\n"
        "| engine | seconds (best of {repeat}) | rows |\n|---|---|---|\n"
        f"| local Spark (Delta) | {result['spark_seconds']} | {result['mart_rows']:,} |\n"
        f"| DuckDB (delta-rs) | {result['duckdb_seconds']} | {result['mart_rows']:,} |\n\n"
        f"Spark / DuckDB: **{result['spark_to_duckdb']}×**. Source rows: {sources}. Results equal row for row.\n\n"
        f"Every run, in order: Spark {_seconds(result['spark_runs'])}; DuckDB {_seconds(result['duckdb_runs'])}.\n\n"
        f"{phases_line(result)}"
    ).replace("{repeat}", str(result["repeat"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=100_000, help="scale to measure (default 100000)")
    parser.add_argument("--home", type=Path, help="a HEALTHLAKE_HOME with silver built (default .bench/bronze-N)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per engine; the best counts (default 5)")
    args = parser.parse_args()
    home = (args.home or REPO / ".bench" / f"bronze-{args.residents}").resolve()
    result = {"machine": machine(), "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
              **bench(home, args.residents, args.repeat)}  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"duckdb-{args.residents}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    path.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(
        f"{args.residents:,} residents, {result['mart']}: Spark {result['spark_seconds']} s, DuckDB "
        f"{result['duckdb_seconds']} s ({result['spark_to_duckdb']}x), {result['mart_rows']:,} equal rows. "
        f"Report: {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
