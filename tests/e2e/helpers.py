"""Run the `healthlake` command as a user would, in a home of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

HEALTHLAKE = str(Path(sys.executable).with_name("healthlake"))


def healthlake(home: Path, *args: str, timeout: int = 600, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "HEALTHLAKE_HOME": str(home), "COLUMNS": "160", **env}
    return subprocess.run([HEALTHLAKE, *args], capture_output=True, text=True, timeout=timeout, env=environment)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
