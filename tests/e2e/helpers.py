"""Run the `healthlake` command as a user would, in a home of its own."""

from __future__ import annotations

import os
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


def healthlake(home: Path, *args: str, timeout: int = 600, **env: str) -> subprocess.CompletedProcess:
    environment = _environment(home, **env)
    return subprocess.run([HEALTHLAKE, *args], capture_output=True, text=True, timeout=timeout, env=environment)


def destroy_his(home: Path) -> None:
    """Stop the home's HIS server and delete its data."""
    subprocess.run([str(POSTGRES), "destroy"], env=_environment(home), capture_output=True, timeout=120)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
