"""Values written into Spark SQL text, where a DataFrame API has no place for them (a table's
LOCATION, a map literal of thousands of entries)."""


def sql_string(value: object) -> str:
    """`value` as a Spark SQL string literal: backslashes and single quotes escaped."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"
