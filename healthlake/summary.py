"""What `healthlake run` prints at the end: tables and row counts, quarantine, step times, next steps."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from healthlake import catalog
from healthlake.runlog import StepRecord
from healthlake.settings import Settings


@dataclass(frozen=True)
class TableCount:
    layer: str
    table: str
    rows: int


def table_counts(spark, settings: Settings) -> list[TableCount]:
    counts = []
    for layer, tables in catalog.discover(settings).items():
        for table in tables:
            catalog.register(spark, settings, layer, table)
            counts.append(TableCount(layer, table, spark.table(f"{layer}.{table}").count()))
    return counts


def quarantine_by_rule(spark, settings: Settings) -> list[tuple[str, str, int]]:
    rows: list[tuple[str, str, int]] = []
    tables = catalog.discover(settings)["quarantine"]
    if "bronze_rejects" in tables:
        rows += [
            ("bronze_rejects", r[0], r[1])
            for r in spark.sql(
                "SELECT regexp_replace(reason, '[0-9]+', 'N') AS reason, count(*) FROM quarantine.bronze_rejects "
                "GROUP BY 1 ORDER BY 2 DESC"
            ).collect()
        ]
    if "silver_rejects" in tables:
        rows += [
            ("silver_rejects", r[0], r[1])
            for r in spark.sql(
                "SELECT rule_id, count(*) FROM quarantine.silver_rejects GROUP BY 1 ORDER BY 2 DESC"
            ).collect()
        ]
    return rows


def render(
    console: Console,
    settings: Settings,
    counts: list[TableCount],
    quarantine: list[tuple[str, str, int]],
    steps: list[StepRecord],
    wall_seconds: float,
) -> None:
    tables = Table(title="Tables", title_justify="left")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for c in counts:
        tables.add_row(f"{c.layer}.{c.table}", f"{c.rows:,}")
    console.print(tables)

    if quarantine:
        q = Table(title="Quarantined rows (restricted zone)", title_justify="left")
        q.add_column("table")
        q.add_column("rule / reason")
        q.add_column("rows", justify="right")
        for table, rule, n in quarantine:
            q.add_row(f"quarantine.{table}", rule, f"{n:,}")
        console.print(q)

    t = Table(title="Steps (Airflow DAG: job)", title_justify="left")
    t.add_column("step")
    for column in ("seconds", "rows in", "published", "quarantined"):
        t.add_column(column, justify="right")
    for s in steps:
        t.add_row(
            f"{s.dag_id}: {s.job}",
            f"{s.seconds:.1f}",
            f"{s.rows_in:,}",
            f"{s.rows_written:,}",
            f"{s.rows_rejected:,}",
        )
    console.print(t)
    for s in steps:
        console.print(f"  {s.job}: {s.detail}")

    spark_start = next((s.spark_start_seconds for s in steps if s.spark_start_seconds), None)
    if spark_start:
        console.print(f"Spark session start (JVM, Delta, catalog): {spark_start:.1f} s")
    console.print(f"Pipeline wall time: {wall_seconds:.1f} s")
    console.print(
        "\n[bold]Try next[/bold]\n"
        '  healthlake sql "select bp_grade, count(*) as residents from gold.resident_health_profile '
        'group by bp_grade order by bp_grade"\n'
        '  healthlake sql "select table_name, category, checks, score, warnings_failed from gold.dq_scorecard '
        'where is_latest_run order by score"\n'
        "  healthlake ui            # Airflow UI on http://127.0.0.1:8080 (DAG runs above are in it)\n"
        f"  Data Docs (Great Expectations): file://{settings.data_docs_index}\n"
        f"  Full log of this run: {settings.logs_dir / 'pipeline'}/"
    )
