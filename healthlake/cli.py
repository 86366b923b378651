"""The `healthlake` command line: generate synthetic sources, run the pipeline, query the lakehouse."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import date

from healthlake.his_database import HisUnavailableError
from healthlake.jars import JarsMissingError
from healthlake.jvm_jar import BuildError
from healthlake.pipeline import FILE_INGEST_DAGS
from healthlake.schemas import database_source
from healthlake.settings import REPO_ROOT, SettingsError, get_settings
from jobs.silver import JOBS as SILVER_JOBS

EPILOG = """\
All state lives under HEALTHLAKE_HOME (default: .healthlake/ in the checkout): landing zone,
Delta tables, Airflow home, logs. Set HEALTHLAKE_SPARK_MASTER=spark://host:7077 to run the same
jobs on a Spark standalone cluster. See README.md for every setting.
"""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return value


def cmd_generate(args: argparse.Namespace) -> int:
    from healthlake.schemas import source_format
    from healthlake.synth.generate import generate

    settings = get_settings()
    print(f"Generating {args.residents:,} synthetic residents (seed {args.seed}), {args.start} to {args.end} ...")
    started = time.monotonic()

    def on_feed(feed: str, per_file: dict[str, int]) -> None:  # progress: a million residents take minutes
        if feed == "his":
            count = f"{sum(per_file.values()):,} rows in {len(per_file)} tables"
            where = f"PostgreSQL {settings.his_host}:{settings.his_port}/{settings.his_database}"
        else:
            count = f"{sum(per_file.values()):,} records in {len(per_file)} files"
            where = str(settings.landing_dir / source_format(feed).source_system)
        print(f"  {feed}: {count}, {where} ({time.monotonic() - started:.1f} s)", flush=True)

    report = generate(settings, args.residents, args.seed, args.start, args.end, on_feed=on_feed)
    print(
        f"Wrote {report.records:,} source records in {report.seconds:.1f} s.\n"
        f"Ground truth (never read by the pipeline): {settings.ground_truth_dir}"
    )
    return 0


def cmd_simulate_changes(args: argparse.Namespace) -> int:
    from healthlake import his_database
    from healthlake.synth.his import simulate_changes

    settings = get_settings()
    his_database.ensure_running(settings)
    changed = simulate_changes(settings, args.share, args.seed)
    print("HIS rows changed: " + ", ".join(f"{kind} {count:,}" for kind, count in changed.items()))
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    from healthlake import console, runlog
    from healthlake.pipeline import backfill, new_pipeline_run

    settings = get_settings()
    if args.to < args.start:
        print(f"healthlake backfill: --to {args.to} is before --from {args.start}", file=sys.stderr)
        return 2
    pipeline_run = new_pipeline_run()
    log_file = settings.logs_dir / "pipeline" / f"{pipeline_run}.log"
    print(f"Backfilling {args.dag} with files dated {args.start} to {args.to} (run {pipeline_run}); log: {log_file}")
    with console.output_to(log_file):
        outcome = backfill(settings, args.dag, args.start, args.to, pipeline_run)
    for record in runlog.read(settings, pipeline_run):
        added = f"{record.rows_written:,} rows added, {record.rows_rejected:,} quarantined"
        print(f"  {record.job}: {added} ({record.detail})")
    print(f"{args.dag} {outcome.state} in {outcome.seconds:.1f} s")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from healthlake import airflow_env, console, his_database, runlog, summary
    from healthlake.pipeline import PipelineError, new_pipeline_run, run_pipeline
    from healthlake.spark import get_spark

    settings = get_settings()
    if not any((settings.landing_dir).glob("*/*")):
        print(f"healthlake: the landing zone {settings.landing_dir} is empty; run `healthlake generate` first.",
              file=sys.stderr)  # fmt: skip
        return 2
    his_database.ensure_running(settings)  # the embedded HIS server, after a reboot say
    airflow_env.ensure_database(settings)  # prints a line when it has work to do
    pipeline_run = new_pipeline_run()
    log_file = settings.logs_dir / "pipeline" / f"{pipeline_run}.log"
    out = console.console()
    out.print(f"Running the pipeline through Airflow (run {pipeline_run}); full log: {log_file}")

    def on_step(record: runlog.StepRecord) -> None:
        mark = "[green]done[/green]" if record.status == "success" else "[red]FAILED[/red]"
        console.console().print(f"    {mark} {record.job} in {record.seconds:.1f} s: {record.detail}")

    runlog.listeners.append(on_step)
    started = time.monotonic()
    try:
        with console.output_to(log_file):
            run_pipeline(
                settings,
                pipeline_run,
                on_dag_start=lambda dag_id: console.console().print(f"  DAG {dag_id} ..."),
                on_dag_end=lambda o: console.console().print(f"  DAG {o.dag_id} {o.state} in {o.seconds:.1f} s"),
            )
            wall = time.monotonic() - started
            spark = get_spark(settings)
            counts = summary.table_counts(spark, settings)
            quarantine = summary.quarantine_by_rule(spark, settings)
    except PipelineError as exc:
        print(f"healthlake: pipeline failed. {exc}\nFull log: {log_file}", file=sys.stderr)
        return 1
    finally:
        runlog.listeners.remove(on_step)
    summary.render(out, settings, counts, quarantine, runlog.read(settings, pipeline_run), wall)
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from healthlake import dictionary

    print(f"Wrote {dictionary.write()}")
    return 0


def cmd_contracts(args: argparse.Namespace) -> int:
    from healthlake import contracts, inbound_contracts

    settings = get_settings()
    if args.write_inbound:
        for name in inbound_contracts.write(settings):
            print(f"Wrote {settings.contracts_dir / 'sources' / name}")
    invalid = 0
    for path in sorted(settings.contracts_dir.glob("*/*.odcs.yaml")):
        try:
            contract = contracts.read(path)
        except (contracts.ContractError, ValueError) as problem:
            print(f"INVALID {problem}")
            invalid += 1
            continue
        checks = contracts.checks(contract)
        errors = sum(c.severity == "error" for c in checks)
        print(f"{contract.table:<45} {len(checks):>4} checks ({errors} error, {len(checks) - errors} warning)")
    print(f"Contracts in {settings.contracts_dir} validated against ODCS ({contracts.schema_path().name})")
    return 1 if invalid else 0


def cmd_forget(args: argparse.Namespace) -> int:
    import re

    from healthlake import console
    from healthlake.spark import get_spark
    from jobs.maintenance import forget

    if not re.fullmatch(r"[0-9a-f]{64}", args.resident_key):
        raise SettingsError(f"{args.resident_key!r} is not a resident_key (64 lower-case hexadecimal characters)")
    if not args.yes:
        answer = input(f"Erase resident {args.resident_key[:12]}... from every layer, history included? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing erased")
            return 1
    settings = get_settings()
    with console.output_to(settings.logs_dir / "forget.log"):
        spark = get_spark(settings, app_name="healthlake-forget")
        result = forget.forget(spark, settings, args.resident_key, progress=console.console().print)
    if not result.rows and not result.lines_by_file:
        print(f"nothing of resident {result.resident_digest} is held (never known, or already erased)")
    else:
        print(
            f"erased resident {result.resident_digest}: {result.rows} rows in {len(result.rows_by_table)} tables "
            f"(rewritten without history), {sum(result.lines_by_file.values())} lines in "
            f"{len(result.lines_by_file)} delivered files, {result.report_replacements} mentions in reports; "
            "recorded in audit.events. Gold aggregates drop the resident at the next gold run; erase the "
            "source systems' own records there."
        )
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    from rich.table import Table

    from healthlake import audit, console
    from healthlake.spark import get_spark

    settings = get_settings()
    with console.output_to(settings.logs_dir / "sql.log"):
        spark = get_spark(settings, app_name="healthlake-sql")
        try:
            result = spark.sql(args.query)
            columns = result.columns
            restricted = audit.restricted_tables(result) if columns else []
            rows = result.limit(args.limit + 1).collect() if columns else []
        except Exception as exc:  # Spark's analysis errors are the user's message, not a crash
            error = str(exc).split("\n")[0]
            console.console().print(f"[red]healthlake sql: {error}[/red]")
            return 1
        if restricted:
            event = audit.Event("restricted_read", ", ".join(restricted), rows_out=len(rows[: args.limit]),
                                detail=args.query)  # fmt: skip
            audit.record(spark, settings, event)
    shown = rows[: args.limit]
    if args.format == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([list(r) for r in shown])
    else:
        table = Table(show_lines=False)
        for name in columns:
            table.add_column(name)
        for row in shown:
            table.add_row(*["NULL" if v is None else str(v) for v in row])
        console.console().print(table)
    if len(rows) > args.limit:
        print(f"(first {args.limit} rows shown; use --limit to see more)", file=sys.stderr)
    return 0


def _file_feeds() -> list[str]:
    return sorted(p.stem for p in (REPO_ROOT / "schemas" / "sources").glob("*.yaml"))


def _jobs() -> dict:
    """The jobs a user (or spark-submit on a cluster) can launch without Airflow."""
    from jobs.bronze import extract_database, ingest_files
    from jobs.gold import dbt_build
    from jobs.silver import standardise

    def extract_his(settings, spark, run_id, args):
        tables = [args.table] if args.table else list(database_source("his").tables)
        return [extract_database.run(spark, settings, table, run_id) for table in tables]

    return {
        "bronze-ingest": lambda s, spark, run_id, a: [
            ingest_files.run(spark, s, feed, run_id) for feed in ([a.feed] if a.feed else _file_feeds())
        ],
        "bronze-extract-his": extract_his,
        "silver": lambda s, spark, run_id, a: [
            standardise.run(spark, s, run_id, job) for job in ([a.silver_job] if a.silver_job else standardise.JOBS)
        ],
        "gold": lambda s, spark, run_id, a: dbt_build.run_gold(spark, s, run_id),
    }


def cmd_job(args: argparse.Namespace) -> int:
    from healthlake import audit, console
    from healthlake.spark import get_spark

    settings = get_settings()
    run_id = f"cli__{time.strftime('%Y%m%dT%H%M%S')}"
    jobs = _jobs()
    results = []
    with console.output_to(settings.logs_dir / "jobs" / f"{run_id}.log"):
        spark = get_spark(settings, app_name=f"healthlake-{'+'.join(args.names)}")
        master = spark.sparkContext.master
        for name in args.names:
            try:
                result = jobs[name](settings, spark, run_id, args)
            except Exception as exc:
                audit.record(spark, settings, audit.Event("job", name, run_id, outcome="failed", detail=str(exc)))
                raise
            done = result if isinstance(result, list) else [result]
            for step in done:
                event = audit.Event("job", step.job, run_id, step.rows_in, step.rows_written, detail=step.detail)
                audit.record(spark, settings, event)
            results.extend(done)
    for result in results:
        print(
            f"{result.job}: {result.rows_in:,} rows in, {result.rows_written:,} published, "
            f"{result.rows_rejected:,} quarantined ({result.detail}) [spark master {master}, run {run_id}]"
        )
    return 0


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def cmd_ui(args: argparse.Namespace) -> int:
    from healthlake import airflow_env

    settings = get_settings()
    airflow_env.ensure_database(settings)
    env = {
        **os.environ,
        **settings.airflow_env(),
        # Task processes report to the Execution API of this very server, wherever it listens.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{args.port}/execution/",
    }
    airflow = airflow_env.airflow_command()
    log_dir = settings.logs_dir / "airflow-services"
    log_dir.mkdir(parents=True, exist_ok=True)
    # The DAG processor keeps the UI's DAG list current; the scheduler runs what the UI triggers.
    helpers = [
        subprocess.Popen(
            [airflow, name], env=env, stdout=(log_dir / f"{name}.log").open("ab"), stderr=subprocess.STDOUT
        )
        for name in ("dag-processor", "scheduler")
    ]
    # A service manager's SIGTERM must stop the helpers too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    print(f"Airflow UI: http://127.0.0.1:{args.port}  (AIRFLOW_HOME={settings.airflow_home}; Ctrl-C stops it)")
    try:
        return subprocess.call([airflow, "api-server", "--host", "127.0.0.1", "--port", str(args.port)], env=env)
    except KeyboardInterrupt:
        return 0
    finally:
        for helper in helpers:
            helper.terminate()
        for helper in helpers:
            helper.wait(timeout=30)


def cmd_sql_server(args: argparse.Namespace) -> int:
    from healthlake import console, sql_server

    overrides = {k: v for k, v in (("HEALTHLAKE_SQL_HOST", args.host), ("HEALTHLAKE_SQL_PORT", args.port)) if v}
    os.environ.update({k: str(v) for k, v in overrides.items()})
    settings = get_settings()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    with console.output_to(settings.logs_dir / "sql-server.log"):
        try:
            sql_server.serve(settings, ready=console.console().print)
        except KeyboardInterrupt:
            return 0
    return 0


def cmd_metastore(args: argparse.Namespace) -> int:
    from healthlake import metastore

    settings = get_settings()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    print(f"healthlake metastore: serving the catalog on port {args.port} (thrift://HOST:{args.port}) until Ctrl-C")
    try:
        return metastore.serve(settings, args.port)
    except KeyboardInterrupt:
        return 0


def cmd_beeline(args: argparse.Namespace) -> int:
    from healthlake import sql_server

    settings = get_settings()
    user = args.user or settings.sql_user or getpass.getuser()
    return sql_server.beeline(settings, user, settings.sql_password_env, *args.passed_on)


def cmd_sql_account(args: argparse.Namespace) -> int:
    from healthlake import sql_accounts

    settings = get_settings()
    if args.action == "list":
        for name, entry in sorted(sql_accounts.read(settings).items()):
            print(f"{name}\t{entry.split(':', 1)[0]}")
        return 0
    if not args.name:
        raise SettingsError(f"`healthlake sql-account {args.action}` needs the account's NAME")
    if args.action == "remove":
        sql_accounts.remove(settings, args.name)
        print(f"removed SQL account {args.name} (its open connections end when they close)")
        return 0
    if not args.role:
        raise SettingsError(f"--role is needed: one of {', '.join(sql_accounts.ROLES)}")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif settings.sql_password_env:
        password = settings.sql_password_env
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            raise SettingsError("the two passwords differ")
    sql_accounts.add(settings, args.name, args.role, password)
    readable = ", ".join(sql_accounts.ROLES[args.role]).replace("*", "everything")
    print(f"SQL account {args.name}: role {args.role} (reads {readable}); in {sql_accounts.accounts_file(settings)}")
    return 0


def cmd_dbt(args: argparse.Namespace) -> int:
    from healthlake import dbt

    result = dbt.invoke(get_settings(), *args.passed_on)
    return 0 if result.success else 1


def cmd_airflow(args: argparse.Namespace) -> int:
    from healthlake import airflow_env

    settings = get_settings()
    airflow_env.activate(settings)
    return subprocess.call([airflow_env.airflow_command(), *args.passed_on])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="healthlake",
        description="healthlake: a health data lakehouse. Airflow DAGs take source records into Delta "
        "Lake (bronze, silver), check them with Great Expectations and build gold marts with dbt.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser(
        "generate",
        help="generate synthetic sources: landing-zone files and the HIS database",
        description="Generate a synthetic population and what its source systems deliver: the exam "
        "system's daily GBK CSV exports, home BP devices' JSON-lines micro-batches, the public-health system's "
        "daily follow-up forms and TCM assessments, and the HIS's PostgreSQL database (started on loopback if "
        "needed; its tables are replaced). Identifiers vary between systems as they do in life, and a known share "
        "of records is damaged, late or duplicated. The ground truth goes to "
        "HEALTHLAKE_HOME/ground_truth, which the pipeline never reads. Same seed, same bytes.",
    )
    gen.add_argument("--residents", type=_positive, default=10_000, help="number of residents (default 10000)")
    gen.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    gen.add_argument("--start", type=_date, default=date(2026, 1, 1), help="first exam date (default 2026-01-01)")
    gen.add_argument("--end", type=_date, default=date(2026, 6, 30), help="last exam date (default 2026-06-30)")
    gen.set_defaults(func=cmd_generate)

    changes = sub.add_parser(
        "simulate-changes",
        help="update and cancel a share of HIS rows now, as a day in the hospitals would",
        description="Play a day of the HIS after an extraction: open stays are discharged, a share of diagnosis "
        "codes corrected, outpatient visits cancelled (with their prescriptions and diagnoses) and phones changed, "
        "each with updated_at = now(). The next HIS extract picks them up as new row versions.",
    )
    changes.add_argument("--share", type=float, default=0.01, help="share of rows to change (default 0.01)")
    changes.add_argument("--seed", type=int, default=1, help="random seed of the sample (default 1)")
    changes.set_defaults(func=cmd_simulate_changes)

    run = sub.add_parser(
        "run",
        help="run the pipeline's Airflow DAGs in-process and print a summary",
        description="Run the DAGs (the ingest DAGs, silver_standardise, gold_marts) in order with "
        "Airflow's in-process runner on the SQLite metadata database, then print each table's row count, the "
        "quarantined rows by rule, and the time each step took. Re-running with no new files changes no data.",
    )
    run.set_defaults(func=cmd_run)

    fill = sub.add_parser(
        "backfill",
        help="ingest a feed's files delivered within a date range that bronze does not hold yet",
        description="Run one file-ingest DAG (in-process, recorded in Airflow) over the files whose names date them "
        "within --from..--to. Files already in bronze are skipped, so only what is missing is ingested. The HIS "
        "needs no backfill: its extract always resumes from the last watermark.",
    )
    fill.add_argument("dag", choices=FILE_INGEST_DAGS, help="the ingest DAG")
    fill.add_argument("--from", dest="start", type=_date, required=True, help="first delivery date, e.g. 2026-01-01")
    fill.add_argument("--to", type=_date, required=True, help="last delivery date (inclusive)")
    fill.set_defaults(func=cmd_backfill)

    docs = sub.add_parser(
        "docs",
        help="regenerate docs/data_dictionary.md from the dictionary in schemas/",
        description="Write docs/data_dictionary.md (data elements, value domains, source mappings) from the "
        "versioned YAML in schemas/. The tests fail when the page is out of date.",
    )
    docs.set_defaults(func=cmd_docs)

    contracts = sub.add_parser(
        "contracts",
        help="validate the data contracts in data_contracts/ and list the checks each one makes",
        description="Validate every ODCS contract (data_contracts/<layer>/<table>.odcs.yaml, or "
        "HEALTHLAKE_CONTRACTS_DIR) against the Open Data Contract Standard's JSON Schema and list how many "
        "Great Expectations checks each one makes. Exit status 1 if any contract is invalid.",
    )
    contracts.add_argument(
        "--write-inbound",
        action="store_true",
        help="first regenerate the inbound contracts (data_contracts/sources/) from schemas/sources and "
        "schemas/databases",
    )
    contracts.set_defaults(func=cmd_contracts)

    sql = sub.add_parser(
        "sql",
        help='run a SQL query, e.g. healthlake sql "select count(*) from gold.resident_health_profile"',
        description="Run one Spark SQL query over the shared catalog (schemas bronze, quarantine, silver, gold) "
        "and print the result as a table.",
    )
    sql.add_argument("query", help="the SQL text, quoted")
    sql.add_argument("--limit", type=_positive, default=100, help="rows to print at most (default 100)")
    sql.add_argument("--format", choices=("table", "csv"), default="table", help="output format (default table)")
    sql.set_defaults(func=cmd_sql)

    job = sub.add_parser(
        "job",
        help="run pipeline jobs directly, without Airflow (e.g. on a cluster)",
        description="Run jobs, in the order given, in one Spark application on the master from "
        "HEALTHLAKE_SPARK_MASTER (local by default) and print their counts. Airflow's DAGs run the very same code.",
    )
    job.add_argument(
        "names",
        nargs="+",
        choices=("bronze-ingest", "bronze-extract-his", "silver", "gold"),
        help="jobs to run, in order (gold: dbt build, the marts' contract checks, the DQ scorecard)",
    )
    job.add_argument("--feed", choices=_file_feeds(), help="one feed for bronze-ingest (default: every file feed)")
    job.add_argument(
        "--table",
        choices=sorted(database_source("his").tables),
        help="HIS table for bronze-extract-his (default: every table)",
    )
    job.add_argument(
        "--silver-job",
        choices=SILVER_JOBS,
        help="one silver job (default: all of them, the resident index first)",
    )
    job.set_defaults(func=cmd_job)

    ui = sub.add_parser(
        "ui",
        help="start the Airflow UI (API server, scheduler, DAG processor) on this project's AIRFLOW_HOME",
        description="Start Airflow's API server (the UI) on 127.0.0.1 with the DAG processor and scheduler beside "
        "it, all on HEALTHLAKE_HOME/airflow. The embedded UI needs no login and listens on loopback only.",
    )
    ui.add_argument("--port", type=int, default=8080, help="port for the UI (default 8080)")
    ui.set_defaults(func=cmd_ui)

    forget_parser = sub.add_parser(
        "forget",
        help="erase one resident from every layer, Delta history and delivered files included (PIPL art. 47)",
        description="Remove every row of the resident in bronze, quarantine, restricted, silver and gold (each table "
        "holding one is rewritten without history, so no old version or log statistic keeps a value), blank their "
        "lines in the landing zone's files, overwrite their identifiers in reports (Data Docs, logs), and record the "
        "erasure in audit.events under a digest of the key. Run it while no pipeline run is writing; it can be run "
        "again. The source systems (the HIS database) must erase their own records.",
    )
    forget_parser.add_argument("--resident-key", required=True, help="the resident_key (64 hexadecimal characters)")
    forget_parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    forget_parser.set_defaults(func=cmd_forget)

    server = sub.add_parser(
        "sql-server",
        help="start the SQL endpoint (Spark Thrift Server: JDBC/ODBC, beeline, DBeaver, Superset), with accounts",
        description="Serve the catalog over the HiveServer2 protocol until Ctrl-C; clients connect to "
        "jdbc:hive2://HOST:PORT/gold with an account of `healthlake sql-account`. Each statement is checked against "
        "the account's role: analyst reads silver, gold and quality; app reads gold; engineer reads everything "
        "(reads of the restricted zone and refusals go to audit.events). Tables published after the start appear "
        "within 30 seconds.",
    )
    server.add_argument("--host", help="address to listen on (default HEALTHLAKE_SQL_HOST or 127.0.0.1)")
    server.add_argument("--port", type=int, help="port (default HEALTHLAKE_SQL_PORT or 10000)")
    server.set_defaults(func=cmd_sql_server)

    metastore_parser = sub.add_parser(
        "metastore",
        help="start the shared catalog service (Hive's metastore over Thrift) that HEALTHLAKE_METASTORE_URI points at",
        description="Serve Hive's metastore (from the jars pyspark ships) until Ctrl-C, keeping its tables in an "
        "embedded Derby database under HEALTHLAKE_HOME/metastore that only this server opens. "
        "Sessions with HEALTHLAKE_METASTORE_URI=thrift://HOST:PORT keep schemas and tables there, so other engines "
        "find them by name. It listens on every interface.",
    )
    metastore_parser.add_argument("--port", type=int, default=9083, help="port (default 9083)")
    metastore_parser.set_defaults(func=cmd_metastore)

    account = sub.add_parser(
        "sql-account",
        help="add, remove or list the SQL endpoint's accounts (each with a role: engineer, analyst, app)",
        description="Manage who may sign in to `healthlake sql-server`. Passwords (12 characters or more) are kept "
        "only as PBKDF2-SHA256 hashes in HEALTHLAKE_HOME/secrets/sql_accounts.properties; changes count from the "
        "next connection, without a restart. The password comes from --password-stdin, else "
        "HEALTHLAKE_SQL_PASSWORD, else a prompt.",
    )
    account.add_argument("action", choices=("add", "remove", "list"))
    account.add_argument("name", nargs="?", help="the account's name (add, remove)")
    account.add_argument("--role", choices=("engineer", "analyst", "app"), help="the account's role (add)")
    account.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    account.set_defaults(func=cmd_sql_account)

    bee = sub.add_parser(
        "beeline",
        help="open Spark's beeline SQL shell on the SQL endpoint (healthlake sql-server)",
        description="Run beeline (shipped with pyspark) connected to jdbc:hive2://HEALTHLAKE_SQL_HOST:"
        "HEALTHLAKE_SQL_PORT/gold as --user (or HEALTHLAKE_SQL_USER, or the operating-system user) with the "
        "password in HEALTHLAKE_SQL_PASSWORD (beeline asks when it is unset); further arguments go to beeline, "
        'e.g. -e "select ..." --outputformat=csv2.',
    )
    bee.add_argument("--user", help="the SQL account to sign in as")
    bee.add_argument("passed_on", nargs=argparse.REMAINDER, help="arguments for beeline")
    bee.set_defaults(func=cmd_beeline)

    dbt = sub.add_parser(
        "dbt",
        help="run any dbt command on the shared Spark session, e.g. healthlake dbt docs generate",
        description="Pass the remaining arguments to dbt, run in-process on healthlake's Spark session and catalog "
        "with the project in dbt/ and its output under HEALTHLAKE_HOME/dbt.",
    )
    dbt.add_argument("passed_on", nargs=argparse.REMAINDER, help="arguments for dbt")
    dbt.set_defaults(func=cmd_dbt)

    af = sub.add_parser(
        "airflow",
        help="run any airflow CLI command on this project's AIRFLOW_HOME, e.g. healthlake airflow dags list",
        description="Pass the remaining arguments to the `airflow` command with healthlake's environment.",
    )
    af.add_argument("passed_on", nargs=argparse.REMAINDER, help="arguments for airflow")
    af.set_defaults(func=cmd_airflow)
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """dbt, airflow and beeline take their own options (`healthlake beeline -e "..."`): passed on as given."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not hasattr(args, "passed_on"):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if hasattr(args, "passed_on"):  # the options before the first value, then everything from it on
        args.passed_on = [*unknown, *args.passed_on]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # py4j announces every connection it closes, at exit too; that is noise for a CLI user.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    try:
        return args.func(args)
    except (SettingsError, JarsMissingError, HisUnavailableError, BuildError) as exc:
        print(f"healthlake: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the user gets one clear line; the trace goes to a log file
        log = _log_unexpected(exc)
        first_line = (str(exc).strip().splitlines() or [""])[0][:500]
        print(f"healthlake {args.command}: {type(exc).__name__}: {first_line}\nFull trace: {log}", file=sys.stderr)
        return 1


def _log_unexpected(exc: Exception) -> str:
    import traceback

    try:
        log = get_settings().logs_dir / "cli-errors.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as out:
            out.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}\n{traceback.format_exc()}\n")
        return str(log)
    except Exception:
        return "(could not write the log)"


if __name__ == "__main__":
    sys.exit(main())
