"""The markdown report of `make bench`, from the JSON results of every scale measured (pure)."""

from __future__ import annotations

STAGES = {  # DAG -> stage of the report
    "exam_system_ingest": "bronze",
    "home_bp_devices_ingest": "bronze",
    "public_health_ingest": "bronze",
    "his_ingest": "bronze",
    "silver_standardise": "silver",
    "gold_marts": "gold",
}
GOALS = "Goals at 1M residents: full build ≤ 20 min, incremental day ≤ 10 % of it, peak ≤ 8 GiB, Spark ≤ 3× DuckDB."


def stage_figures(build: dict) -> dict[str, dict]:
    """Per stage: wall seconds (its DAGs' runs, Airflow included), records read by its steps, and
    the peak memory sampled while its DAGs ran (None in reports from before it was sampled)."""
    figures = {stage: {"seconds": 0.0, "records": 0, "peak": None} for stage in ("bronze", "silver", "gold")}
    by_dag = build["memory_peak_gib"].get("by_dag", {})
    for dag in build["dags"]:
        figures[STAGES[dag["dag"]]]["seconds"] += dag["seconds"]
        if dag["dag"] in by_dag:
            stage = figures[STAGES[dag["dag"]]]
            peak = stage["peak"] or {"jvm": 0.0, "python": 0.0}
            stage["peak"] = {k: max(peak[k], by_dag[dag["dag"]][k]) for k in ("jvm", "python")}
    for step in build["steps"]:
        figures[STAGES[step["dag_id"]]]["records"] += step["rows_in"]
    return figures


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {seconds % 60:04.1f} s" if seconds >= 60 else f"{seconds:.1f} s"


def _rate(records: int, seconds: float) -> str:
    return f"{records / seconds:,.0f}" if seconds and records else "–"


def _records(records: int) -> str:
    """dbt's steps count no records (dbt-spark reports none): a dash, not a zero."""
    return f"{records:,}" if records else "–"


def _files(build: dict) -> str:
    files = sum(layer["files"] for layer in build["delta_files"].values())
    mib = sum(layer["mib"] for layer in build["delta_files"].values())
    return f"{files:,} ({mib:,.0f} MiB)"


def summary_table(reports: list[dict]) -> str:
    rows = [
        "| residents | source records | generate | full build | records/s | incremental day | day / full "
        "| peak memory (JVM / all) | Delta files | Spark / DuckDB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(reports, key=lambda r: r["residents"]):
        full, day = r["full"], r["incremental"]
        peak = max(full["memory_peak_gib"]["total"], day["memory_peak_gib"]["total"])
        jvm = max(full["memory_peak_gib"]["jvm"], day["memory_peak_gib"]["jvm"])
        rows.append(
            f"| {r['residents']:,} | {r['generate']['source_records']:,} | {_minutes(r['generate']['seconds'])} "
            f"| {_minutes(full['seconds'])} | {_rate(r['generate']['source_records'], full['seconds'])} "
            f"| {_minutes(day['seconds'])} | {day['seconds'] / full['seconds']:.0%} | {jvm} / {peak} GiB"
            f"{' (see its notes)' if r.get('notes') else ''} "
            f"| {_files(day)} | {r['duckdb']['spark_to_duckdb']}× |"
        )
    return "\n".join(rows)


def _peak(peak: dict | None) -> str:
    return f"{peak['jvm']} / {peak['python']}" if peak else "–"


def stage_table(report: dict) -> str:
    rows = [
        "| stage | full: seconds | full: records in | full: records/s | full: peak GiB (JVM / Python) "
        "| day: seconds | day: records in | day: peak GiB (JVM / Python) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    full, day = stage_figures(report["full"]), stage_figures(report["incremental"])
    for stage in full:
        f, d = full[stage], day[stage]
        rows.append(
            f"| {stage} | {f['seconds']:.1f} | {_records(f['records'])} | {_rate(f['records'], f['seconds'])} "
            f"| {_peak(f['peak'])} | {d['seconds']:.1f} | {_records(d['records'])} | {_peak(d['peak'])} |"
        )
    return "\n".join(rows)


def _duckdb_line(duckdb: dict) -> str:
    line = (
        f"Spark / DuckDB on {duckdb['mart']} ({duckdb['mart_rows']:,} rows, equal row for row): "
        f"{duckdb['spark_seconds']} s / {duckdb['duckdb_seconds']} s"
    )
    if "spark_runs" not in duckdb:  # reports from before every run was kept
        return line + ".\n"
    runs = ", ".join(str(s) for s in duckdb["spark_runs"])
    line += f", best of {duckdb['repeat']} (Spark's runs in order: {runs} s)."
    return f"{line} {phases_line(duckdb)}".rstrip() + "\n"


def phases_line(result: dict) -> str:
    """Where each engine's best time goes (reports from before the phases were measured: nothing)."""
    if "spark_phases" not in result:
        return ""
    spark, duckdb = result["spark_phases"], result["duckdb_phases"]
    return (
        f"Spark's time by phase (later runs, {spark['create_table']} s at best): planning {spark['planning']} s, "
        f"execution {spark['execution']} s, Delta write {spark['delta_write']} s; "
        f"DuckDB's: reading silver {duckdb['read']} s, query and write {duckdb['query_and_write']} s.\n"
    )


def files_table(report: dict) -> str:
    rows = ["| layer | tables | files (full) | MiB (full) | files (after the day) | MiB (after the day) |",
            "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for layer, full in report["full"]["delta_files"].items():
        day = report["incremental"]["delta_files"][layer]
        cells = (
            layer,
            full["tables"],
            f"{full['files']:,}",
            f"{full['mib']:,}",
            f"{day['files']:,}",
            f"{day['mib']:,}",
        )
        rows.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(rows)


def _slowest(steps: list[dict], n: int = 5) -> str:
    return ", ".join(f"{s['job']} {s['seconds']:.0f} s" for s in sorted(steps, key=lambda s: -s["seconds"])[:n])


def _largest_other(build: dict) -> str | None:
    """The single biggest process besides the JVMs in a build, with the DAG it peaked in."""
    largest = build["memory_peak_gib"].get("largest_other_by_dag")
    if not largest:
        return None  # reports from before it was sampled
    dag, peak = max(largest.items(), key=lambda item: item[1]["gib"])
    return f"{peak['gib']} GiB in {dag} (`{peak['command']}`)"


def _transient(r: dict) -> str | None:
    """The largest process each build's sampler left out for being seen under a second."""
    full, day = (r[build]["memory_peak_gib"].get("transient") for build in ("full", "incremental"))
    if full is None or day is None:
        return None  # reports from before the sampler left such processes out
    return f"Processes seen for under a second, left out of the peaks: largest {full} GiB (full), {day} GiB (day).\n"


def markdown(reports: list[dict]) -> str:
    """The whole report: the summary across scales, then each scale's stages and files."""
    reports = sorted(reports, key=lambda r: r["residents"])
    machines = {r["machine"] for r in reports}
    # Scales measured on different machines are not comparable: then each scale names its own.
    machine = (
        f"Machine: {reports[-1]['machine']}."
        if len(machines) == 1
        else "Machines: each scale names its own below; figures from different machines do not compare."
    )
    parts = [
        "# healthlake pipeline benchmark (`make bench`)\n",
        f"{machine} Local Spark (`local[*]`), Delta on local disk, Airflow on SQLite; "
        "every build is `healthlake run` (all DAGs, quality checks and dbt tests included). Incremental day: "
        "the files delivered on the last day plus a day of HIS changes (1 % of rows changed or cancelled).\n",
        GOALS + "\n",
        summary_table(reports) + "\n",
    ]
    for r in reports:
        slowest = {build: _slowest(r[build]["steps"]) for build in ("full", "incremental")}
        parts += [
            f"## {r['residents']:,} residents\n",
            f"Measured {r['measured_at']} on {r['machine']}, Spark driver memory {r['spark_driver_memory']}.\n",
            *[f"Note: {note}\n" for note in r.get("notes", [])],
            stage_table(r) + "\n",
            f"Slowest steps of the full build: {slowest['full']}. Of the incremental day: {slowest['incremental']}. "
            f"The day: {r['incremental']['day']}.\n",
            *(
                [
                    f"Largest process besides the JVMs: full build {_largest_other(r['full'])}; "
                    f"day {_largest_other(r['incremental'])}.\n"
                ]
                if _largest_other(r["full"]) and _largest_other(r["incremental"])
                else []
            ),
            *([_transient(r)] if _transient(r) else []),
            files_table(r) + "\n",
            _duckdb_line(r["duckdb"]),
        ]
    return "\n".join(parts)
