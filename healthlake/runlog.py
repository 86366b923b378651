"""The run log: one JSON line per step (job, counts, seconds, outcome) under HEALTHLAKE_HOME/runs.

Tasks append to it and `healthlake run` reads it back for the summary; it carries counts and
timings only, never data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from healthlake.settings import Settings


@dataclass(frozen=True)
class StepRecord:
    pipeline_run: str
    dag_id: str
    task_id: str
    airflow_run_id: str
    job: str
    status: str  # success | failed
    seconds: float
    rows_in: int = 0
    rows_written: int = 0
    rows_rejected: int = 0
    detail: str = ""
    spark_start_seconds: float | None = None
    finished_at: str = ""


def log_path(settings: Settings, pipeline_run: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in pipeline_run)
    return settings.runs_dir / f"{safe}.jsonl"


# Called with each appended record: `healthlake run` shows progress as steps finish.
listeners: list[Callable[[StepRecord], None]] = []


def append(settings: Settings, record: StepRecord) -> None:
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    record = StepRecord(**{**asdict(record), "finished_at": datetime.now(UTC).isoformat(timespec="seconds")})
    with log_path(settings, record.pipeline_run).open("a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
    for listener in listeners:
        listener(record)


def read(settings: Settings, pipeline_run: str) -> list[StepRecord]:
    path = log_path(settings, pipeline_run)
    if not path.exists():
        return []
    return [StepRecord(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line]


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.started = time.monotonic()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.monotonic() - self.started
