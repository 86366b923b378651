"""healthlake: a health data lakehouse (Airflow 3, PySpark 4 + Delta Lake, Great Expectations, dbt)."""

__version__ = "0.1.0"
