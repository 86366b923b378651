"""Terminal output that survives redirection of the process's own stdout/stderr.

While the DAGs run, file descriptors 1 and 2 go to a log file (Airflow, dbt and the JVM all write
there); progress lines go to the terminal through a duplicate of the original stdout.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from rich.console import Console

_terminal: TextIO | None = None


def console() -> Console:
    return Console(file=_terminal or sys.stdout, highlight=False, soft_wrap=True)


@contextmanager
def output_to(log_file: Path) -> Iterator[None]:
    """Send everything written to fds 1 and 2 (Python, JVM, subprocesses) to `log_file`."""
    global _terminal
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    _terminal = os.fdopen(os.dup(saved_out), "w", buffering=1, encoding="utf-8")
    with log_file.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            _terminal.close()
            _terminal = None
