"""What the integration tests ask of a Delta table's history. (A module of its own: tests import
nothing from a conftest, which pytest loads under the one name `conftest` for every directory.)"""


def table_version(spark, name: str) -> int:
    """The table's latest version: a re-run that writes nothing leaves it where it was."""
    return spark.sql(f"DESCRIBE HISTORY {name}").agg({"version": "max"}).collect()[0][0]
