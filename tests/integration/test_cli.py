"""The CLI in-process on the test lake: help texts, query output, and one-line errors."""

import pytest

from healthlake.cli import build_parser, main, parse_args

COMMANDS = ["generate", "simulate-changes", "run", "backfill", "sql", "job", "ui", "airflow", "dbt", "sql-server",
            "sql-account", "beeline", "forget", "metastore"]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([command, "--help"])
    assert done.value.code == 0
    assert len(capsys.readouterr().out.splitlines()) > 3


@pytest.mark.parametrize(
    "argv",
    [
        ["beeline", "--outputformat=csv2", "-e", "select 1", "--showHeader=false"],
        ["dbt", "build", "--select", "resident_health_profile"],
        ["airflow", "dags", "list", "--output", "json"],
    ],
)
def test_pass_through_commands_pass_every_argument_in_order(argv):
    assert parse_args(argv).passed_on == argv[1:]


def test_other_commands_refuse_unknown_options(capsys):
    with pytest.raises(SystemExit):
        parse_args(["sql", "select 1", "--bogus"])
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["forget", "--resident-key", "K42", "--yes"], "'K42' is not a resident_key (64 lower-case hexadecimal"),
        (["sql-server"], "the SQL endpoint has no accounts yet: add one with `healthlake sql-account add"),
        (["sql-account", "add", "ana"], "--role is needed: one of engineer, analyst, app"),
    ],
)
def test_refusals_are_one_line_that_says_what_to_do(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_sql_prints_rows_as_csv(bronze, capfd):
    assert main(["sql", "select 1 as one, 'x' as two", "--format", "csv"]) == 0
    assert capfd.readouterr().out.splitlines()[-2:] == ["one,two", "1,x"]


def test_sql_error_is_one_clear_line_without_a_trace(bronze, capfd):
    assert main(["sql", "select * from gold.no_such_mart"]) == 1
    out, err = capfd.readouterr()
    assert "TABLE_OR_VIEW_NOT_FOUND" in out + err
    assert "Traceback" not in out + err


def test_run_without_data_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HEALTHLAKE_HOME", str(tmp_path))
    assert main(["run"]) == 2
    assert "healthlake generate" in capsys.readouterr().err


def test_reading_restricted_data_is_audited_in_an_append_only_log(spark, bronze, capfd):
    restricted = "select count(*) as n from bronze.exam_system__exam_items"
    assert main(["sql", restricted, "--format", "csv"]) == 0
    assert main(["sql", "select 1 as one", "--format", "csv"]) == 0
    capfd.readouterr()
    reads = spark.sql("SELECT * FROM audit.events WHERE action = 'restricted_read' ORDER BY event_at").collect()
    assert [(r.target, r.detail, r.rows_out) for r in reads][-1] == ("bronze.exam_system__exam_items", restricted, 1)
    assert reads[-1].actor and reads[-1].outcome == "success"
    assert not [r for r in reads if r.detail == "select 1 as one"]
    properties = dict(spark.sql("SHOW TBLPROPERTIES audit.events").collect())
    assert properties["delta.appendOnly"] == "true"
    assert properties["delta.logRetentionDuration"] == properties["delta.deletedFileRetentionDuration"]
    assert properties["delta.logRetentionDuration"] == "interval 180 days"
    with pytest.raises(Exception, match=r"(?i)append"):
        spark.sql("DELETE FROM audit.events")
