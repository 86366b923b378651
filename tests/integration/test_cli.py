"""The CLI in-process on the test lake: help texts, query output, and one-line errors."""

import pytest

from healthlake.cli import build_parser, main


@pytest.mark.parametrize(
    "command", ["generate", "simulate-changes", "run", "backfill", "sql", "job", "ui", "airflow", "dbt"]
)
def test_every_command_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([command, "--help"])
    assert done.value.code == 0
    assert len(capsys.readouterr().out.splitlines()) > 3


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
