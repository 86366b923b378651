"""Run the `healthlake` command as a user would, in a home of its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

HEALTHLAKE = str(Path(sys.executable).with_name("healthlake"))
POSTGRES = Path(__file__).parents[2] / "scripts" / "postgres.sh"
_his_ports: dict[Path, str] = {}


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


def serve(home: Path, *args: str, read_stdout: bool = False) -> subprocess.Popen:
    """Start a long-running `healthlake` command (a server) in its own process group. Read its stdout
    only from a command that prints little: an unread pipe that fills up blocks the server."""
    return subprocess.Popen(
        [HEALTHLAKE, *args],
        env=_environment(home),
        stdout=subprocess.PIPE if read_stdout else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def stop(server: subprocess.Popen) -> int:
    """SIGTERM to the whole group (the JVM and Airflow's helpers too), as a service manager does."""
    os.killpg(server.pid, signal.SIGTERM)
    return server.wait(timeout=60)
