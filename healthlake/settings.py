"""Every path, switch and secret healthlake reads, from the environment, in one place.

"Embedded" (local Spark, Delta on local disk, SQLite for Airflow) and "cluster" differ only in the
environment variables below; no job reads the environment itself.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# The catalog's schemas, in pipeline order. bronze and quarantine hold values as delivered
# (direct identifiers included) and form the restricted zone.
LAYERS = ("bronze", "quarantine", "restricted", "silver", "gold", "quality", "audit")
RESTRICTED_LAYERS = ("bronze", "quarantine", "restricted", "audit")
# What analysts' tools (the SQL endpoint) see: pseudonymous data and its quality.
ANALYST_LAYERS = tuple(layer for layer in LAYERS if layer not in RESTRICTED_LAYERS)


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a whole number") from None


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a number") from None


class SettingsError(ValueError):
    """A setting read from the environment is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    home: Path
    jar_cache: Path
    spark_master: str
    spark_driver_memory: str
    spark_executor_memory: str
    spark_shuffle_partitions: int
    spark_max_shuffle_partitions: int
    spark_executor_cores: int
    spark_executor_python: str | None
    spark_ui: bool
    dbt_threads: int
    his_host: str = "127.0.0.1"
    his_port: int = 55432
    his_database: str = "his"
    his_user: str = "healthlake"
    his_jdbc_partitions: int = 2
    his_watermark_overlap_seconds: int = 300
    link_match_probability: float = 0.99
    link_review_probability: float = 0.80
    link_u_max_pairs: int = 1_000_000
    link_retrain_growth: float = 0.10
    broadcast_max_rows: int = 2_000_000
    as_of_date: str = ""
    hypertension_elderly_target_sbp: int = 150
    contracts_dir: Path = REPO_ROOT / "data_contracts"
    task_timeout_minutes: int = 240
    airflow_database_url: str = ""
    airflow_all_admins: bool = True
    airflow_api_host: str = "127.0.0.1"
    vacuum_retain_hours: int = 168
    sql_host: str = "127.0.0.1"
    sql_port: int = 10000
    sql_user: str = ""
    warehouse_url: str = ""
    s3_endpoint: str = ""
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key_env: str | None = field(default=None, repr=False)
    metastore_uri: str = ""
    pseudonym_key_env: str | None = field(default=None, repr=False)
    his_password_env: str | None = field(default=None, repr=False)
    sql_password_env: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            home=_env_path("HEALTHLAKE_HOME", REPO_ROOT / ".healthlake"),
            jar_cache=_env_path("HEALTHLAKE_JAR_CACHE", REPO_ROOT / ".cache" / "jars"),
            # local[*] is the embedded default; spark://host:7077 runs the same jobs on a cluster.
            spark_master=os.environ.get("HEALTHLAKE_SPARK_MASTER", "local[*]"),
            spark_driver_memory=os.environ.get("HEALTHLAKE_SPARK_DRIVER_MEMORY", "4g"),
            spark_executor_memory=os.environ.get("HEALTHLAKE_SPARK_EXECUTOR_MEMORY", "2g"),
            # Few partitions suit one small machine; raise it on a cluster.
            spark_shuffle_partitions=_env_int("HEALTHLAKE_SPARK_SHUFFLE_PARTITIONS", 4),
            # A big shuffle starts this wide and adaptive execution merges it down to ~64 MB
            # partitions: a million-resident batch is not sorted in four spilling tasks.
            spark_max_shuffle_partitions=_env_int("HEALTHLAKE_SPARK_MAX_SHUFFLE_PARTITIONS", 64),
            spark_executor_cores=_env_int("HEALTHLAKE_SPARK_EXECUTOR_CORES", 1),
            # The Python that cluster executors start; the driver's own by default (same image everywhere).
            spark_executor_python=os.environ.get("HEALTHLAKE_SPARK_EXECUTOR_PYTHON") or None,
            spark_ui=os.environ.get("HEALTHLAKE_SPARK_UI", "0") == "1",
            dbt_threads=_env_int("HEALTHLAKE_DBT_THREADS", 4),
            # The HIS database (scripts/postgres.sh serves one on loopback for the embedded set-up).
            his_host=os.environ.get("HEALTHLAKE_HIS_HOST", "127.0.0.1"),
            his_port=_env_int("HEALTHLAKE_HIS_PORT", 55432),
            his_database=os.environ.get("HEALTHLAKE_HIS_DATABASE", "his"),
            his_user=os.environ.get("HEALTHLAKE_HIS_USER", "healthlake"),
            his_jdbc_partitions=_env_int("HEALTHLAKE_HIS_JDBC_PARTITIONS", 2),
            # Each extract re-reads this much before the last watermark, for rows committed late.
            his_watermark_overlap_seconds=_env_int("HEALTHLAKE_HIS_WATERMARK_OVERLAP_SECONDS", 300),
            # Record linkage: a probabilistic match at or above this links; between the review and the
            # match probability it waits in restricted.linkage_review as a resident of its own.
            link_match_probability=_env_float("HEALTHLAKE_LINK_MATCH_PROBABILITY", 0.99),
            link_review_probability=_env_float("HEALTHLAKE_LINK_REVIEW_PROBABILITY", 0.80),
            link_u_max_pairs=_env_int("HEALTHLAKE_LINK_U_MAX_PAIRS", 1_000_000),
            # The stored linkage model (restricted.linkage_model) is re-estimated once the index has
            # grown by more than this share since it was trained.
            link_retrain_growth=_env_float("HEALTHLAKE_LINK_RETRAIN_GROWTH", 0.10),
            # Reference and crosswalk lookups up to this many rows are broadcast to every task.
            broadcast_max_rows=_env_int("HEALTHLAKE_BROADCAST_MAX_ROWS", 2_000_000),
            # The date the marts are computed as of (YYYY-MM-DD); empty: the newest event in silver.
            as_of_date=os.environ.get("HEALTHLAKE_AS_OF_DATE", ""),
            # Hypertension target SBP for residents 65 and over (3rd-ed. specification; UNCONFIRMED).
            hypertension_elderly_target_sbp=_env_int("HEALTHLAKE_HYPERTENSION_ELDERLY_TARGET_SBP", 150),
            # The ODCS contracts every table is checked against (a data owner may point at their own).
            contracts_dir=_env_path("HEALTHLAKE_CONTRACTS_DIR", REPO_ROOT / "data_contracts"),
            # An Airflow task running longer than this is stopped and fails (a million residents' silver
            # steps take minutes, not hours; a hung JDBC read would otherwise block the pool forever).
            task_timeout_minutes=_env_int("HEALTHLAKE_TASK_TIMEOUT_MINUTES", 240),
            # Airflow's metadata database: SQLite under HEALTHLAKE_HOME when empty (embedded); a cluster
            # deployment gives PostgreSQL, e.g. postgresql+psycopg://airflow:...@postgres/airflow.
            airflow_database_url=os.environ.get("HEALTHLAKE_AIRFLOW_DATABASE_URL", ""),
            # The embedded UI: loopback, no login. A shared deployment listens on 0.0.0.0 with accounts.
            airflow_all_admins=os.environ.get("HEALTHLAKE_AIRFLOW_ALL_ADMINS", "true").lower() in ("1", "true"),
            airflow_api_host=os.environ.get("HEALTHLAKE_AIRFLOW_API_HOST", "127.0.0.1"),
            # The maintenance DAG's VACUUM keeps files this long: readers and time travel within it are
            # safe. Delta refuses less than 168 hours (7 days) unless its safety check is turned off.
            vacuum_retain_hours=_env_int("HEALTHLAKE_VACUUM_RETAIN_HOURS", 168),
            # The analysts' SQL endpoint (Spark Thrift Server, `healthlake sql-server`).
            sql_host=os.environ.get("HEALTHLAKE_SQL_HOST", "127.0.0.1"),
            sql_port=_env_int("HEALTHLAKE_SQL_PORT", 10000),
            # The account `healthlake beeline` signs in with (default: the operating-system user), and its
            # password (or `healthlake sql-account add --password-stdin` reads it); beeline asks when unset.
            sql_user=os.environ.get("HEALTHLAKE_SQL_USER", ""),
            # Where the Delta tables live: a directory (default HEALTHLAKE_HOME/warehouse, or a shared
            # volume), or S3-compatible object storage as s3a://bucket/prefix (README "Object storage").
            warehouse_url=os.environ.get("HEALTHLAKE_WAREHOUSE", ""),
            # The object store's address (MinIO, Ceph, ...; empty: AWS S3 itself) and credentials.
            s3_endpoint=os.environ.get("HEALTHLAKE_S3_ENDPOINT", ""),
            s3_region=os.environ.get("HEALTHLAKE_S3_REGION", "us-east-1"),
            s3_access_key=os.environ.get("HEALTHLAKE_S3_ACCESS_KEY", ""),
            s3_secret_key_env=os.environ.get("HEALTHLAKE_S3_SECRET_KEY") or None,
            # The shared catalog service (`healthlake metastore`, Hive's metastore over Thrift), e.g.
            # thrift://metastore:9083; empty: each session finds the tables in the warehouse alone.
            metastore_uri=os.environ.get("HEALTHLAKE_METASTORE_URI", ""),
            pseudonym_key_env=os.environ.get("HEALTHLAKE_PSEUDONYM_KEY") or None,
            his_password_env=os.environ.get("HEALTHLAKE_HIS_PASSWORD") or None,
            sql_password_env=os.environ.get("HEALTHLAKE_SQL_PASSWORD") or None,
        )

    # --- the layout under HEALTHLAKE_HOME -------------------------------------------------------
    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def warehouse(self) -> str:
        """The warehouse's location: a local path, or an s3a:// URL."""
        return self.warehouse_url.rstrip("/") or str(self.home / "warehouse")

    @property
    def is_object_storage(self) -> bool:
        return self.warehouse.startswith("s3a://")

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def gx_dir(self) -> Path:
        return self.home / "gx"

    @property
    def data_docs_index(self) -> Path:
        """Great Expectations' Data Docs, as its file context under gx_dir lays them out."""
        return self.gx_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"

    @property
    def dbt_state_dir(self) -> Path:
        return self.home / "dbt"

    @property
    def runs_dir(self) -> Path:
        """Per-run step timings written by the DAG tasks, read by the run summary."""
        return self.home / "runs"

    @property
    def ground_truth_dir(self) -> Path:
        """What the generator knows and the pipeline must never read."""
        return self.home / "ground_truth"

    @property
    def dags_dir(self) -> Path:
        return REPO_ROOT / "dags"

    @property
    def dbt_project_dir(self) -> Path:
        return REPO_ROOT / "dbt"

    @property
    def is_local(self) -> bool:
        return self.spark_master.startswith("local")

    def layer_location(self, layer: str) -> str:
        return f"{self.warehouse}/{layer}"

    def table_location(self, layer: str, table: str) -> str:
        return f"{self.warehouse}/{layer}/{table}"

    # --- secrets --------------------------------------------------------------------------------
    def pseudonym_key(self) -> bytes:
        """The HMAC key behind resident_key.

        HEALTHLAKE_PSEUDONYM_KEY wins; otherwise an embedded install makes a random key once and
        keeps it under HEALTHLAKE_HOME (never in the repository), so keys stay stable across runs.
        """
        if self.pseudonym_key_env:
            return self.pseudonym_key_env.encode()
        key_file = self.home / "secrets" / "pseudonym.key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.parent.chmod(0o700)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
        return key_file.read_text().strip().encode()

    @property
    def his_jdbc_url(self) -> str:
        return f"jdbc:postgresql://{self.his_host}:{self.his_port}/{self.his_database}"

    def his_password(self) -> str:
        """HEALTHLAKE_HIS_PASSWORD wins; the embedded server's own is the one scripts/postgres.sh made."""
        if self.his_password_env:
            return self.his_password_env
        password_file = self.home / "secrets" / "his.password"
        try:
            return password_file.read_text().strip()
        except FileNotFoundError:
            raise SettingsError(
                f"No HIS database password: set HEALTHLAKE_HIS_PASSWORD, or start the embedded server "
                f"with `scripts/postgres.sh start` (it keeps one in {password_file})."
            ) from None

    def s3_secret_key(self) -> str:
        if self.s3_secret_key_env:
            return self.s3_secret_key_env
        raise SettingsError(f"HEALTHLAKE_WAREHOUSE={self.warehouse} is object storage: set HEALTHLAKE_S3_SECRET_KEY.")

    def airflow_env(self) -> dict[str, str]:
        """Environment for every Airflow process: its home, SQLite database and our DAG folder."""
        return {
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_dir),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.airflow_database_url
            or f"sqlite:///{self.airflow_home / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.logs_dir / "airflow"),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            # The embedded UI listens on loopback only and needs no login; see README "Airflow UI".
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": str(self.airflow_all_admins),
            "AIRFLOW__API__HOST": self.airflow_api_host,
            "HEALTHLAKE_HOME": str(self.home),
        }


def get_settings() -> Settings:
    return Settings.from_env()
