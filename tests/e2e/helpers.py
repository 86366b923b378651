"""Run the `healthlake` command as a user would, in a home of its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd

HEALTHLAKE = str(Path(sys.executable).with_name("healthlake"))
POSTGRES = Path(__file__).parents[2] / "scripts" / "postgres.sh"
_his_ports: dict[Path, str] = {}
AS_OF = "2026-06-30"  # the shared lake's last generated day: its marts and alerts are dated as of it
# The shared lake's network (the generator's default seed); a home generated with these holds the same records.
GENERATE_LAKE = ("generate", "--residents", "1500", "--start", "2026-01-01", "--end", AS_OF)


def _environment(home: Path, **env: str) -> dict[str, str]:
    # Each home has its own HIS server, so each its own port.
    port = _his_ports.setdefault(home, str(free_port()))
    return {**os.environ, "HEALTHLAKE_HOME": str(home), "HEALTHLAKE_HIS_PORT": port, "COLUMNS": "160", **env}


def healthlake(
    home: Path, *args: str, timeout: int = 600, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess:
    environment = _environment(home, **env)
    return subprocess.run(
        [HEALTHLAKE, *args], input=stdin, capture_output=True, text=True, timeout=timeout, env=environment
    )


def destroy_his(home: Path) -> None:
    """Stop the home's HIS server and delete its data."""
    subprocess.run([str(POSTGRES), "destroy"], env=_environment(home), capture_output=True, timeout=120)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(home: Path, *args: str, read_stdout: bool = False, **env: str) -> subprocess.Popen:
    """Start a long-running `healthlake` command (a server) in its own process group. Read its stdout
    only from a command that prints little: an unread pipe that fills up blocks the server."""
    return subprocess.Popen(
        [HEALTHLAKE, *args],
        env=_environment(home, **env),
        stdout=subprocess.PIPE if read_stdout else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def stop(server: subprocess.Popen) -> int:
    """SIGTERM to the whole group (the JVM and Airflow's helpers too), as a service manager does."""
    os.killpg(server.pid, signal.SIGTERM)
    return server.wait(timeout=60)


def object_store(bucket: str = "healthlake") -> tuple[subprocess.Popen, dict[str, str]]:
    """An S3-compatible server on loopback (moto's, with conditional PUTs as S3 and MinIO have them),
    with one bucket, and the settings that put a home's warehouse in it."""
    import time

    import boto3

    # The s3a jars (~690 MB, once into the jar cache), in a process of its own: fetching starts a
    # Spark session, which must not be this test process's.
    fetched = subprocess.run(
        [sys.executable, "-m", "healthlake.jars", "--object-storage"], capture_output=True, text=True, timeout=900
    )
    if fetched.returncode != 0:
        raise RuntimeError(fetched.stdout[-2000:] + fetched.stderr[-2000:])
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "HEALTHLAKE_WAREHOUSE": f"s3a://{bucket}/warehouse",
        "HEALTHLAKE_S3_ENDPOINT": endpoint,
        "HEALTHLAKE_S3_ACCESS_KEY": "test-access-key-id",
        "HEALTHLAKE_S3_SECRET_KEY": "test-secret-access-key",  # pragma: allowlist secret (a test server's)
    }
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=env["HEALTHLAKE_S3_ACCESS_KEY"],
        aws_secret_access_key=env["HEALTHLAKE_S3_SECRET_KEY"],
        region_name="us-east-1",
    )
    for _ in range(100):
        try:
            client.create_bucket(Bucket=bucket)
            return server, env
        except Exception:  # not listening yet
            time.sleep(0.1)
    stop(server)
    raise RuntimeError(f"the object store on {endpoint} did not start")


def read_delta(location: str, env: dict[str, str]) -> pd.DataFrame:
    """A Delta table read by delta-rs (no JVM), from a directory or from the object store in `env`."""
    import pyarrow as pa
    from deltalake import DeltaTable, QueryBuilder

    options = {}
    if location.startswith("s3a://"):
        location = "s3://" + location[len("s3a://") :]
        options = {
            "AWS_ENDPOINT_URL": env["HEALTHLAKE_S3_ENDPOINT"],
            "AWS_ACCESS_KEY_ID": env["HEALTHLAKE_S3_ACCESS_KEY"],
            "AWS_SECRET_ACCESS_KEY": env["HEALTHLAKE_S3_SECRET_KEY"],
            "AWS_REGION": "us-east-1",
            "AWS_ALLOW_HTTP": "true",
        }
    # Through DataFusion: it reads deletion vectors, and leaves no S3 client behind to abort at exit.
    table = DeltaTable(location, storage_options=options)
    arrow = pa.table(QueryBuilder().register("t", table).execute("SELECT * FROM t").read_all())
    return arrow.cast(pa.schema([field.with_type(_without_views(field.type)) for field in arrow.schema])).to_pandas()


def _without_views(arrow_type):
    """DataFusion hands strings out as string views, which pandas cannot take inside lists."""
    import pyarrow as pa

    if pa.types.is_string_view(arrow_type):
        return pa.string()
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return pa.list_(_without_views(arrow_type.value_type))
    if pa.types.is_struct(arrow_type):
        return pa.struct([field.with_type(_without_views(field.type)) for field in arrow_type])
    return arrow_type


def wait_for_port(port: int, seconds: float = 120) -> None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")
