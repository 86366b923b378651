"""The whole pipeline at a given scale, then one incremental day: `make bench`.

For each scale a fresh HEALTHLAKE_HOME under .bench/pipeline-<N> with its own HIS server:

1. `healthlake generate --residents N` (six months of records, 2026-01-01 to 2026-06-30); the files
   delivered on the last day are held back.
2. Full build: `healthlake run` — every DAG through Airflow, quality checks and dbt tests included.
3. Spark against DuckDB on one mart from the same silver (benchmarks/duckdb_ratio.py).
4. Incremental day: the held-back files are delivered and a day of HIS changes is played
   (`healthlake simulate-changes --share 0.01`: discharges, code corrections, cancellations,
   phone changes), then `healthlake run` again.

Each `healthlake run` is a child process, measured as a user meets it: wall time per DAG (its own
progress lines), per step (the run log: records in, seconds), and the peak memory of its JVM (driver
and, in local mode, the executors) and of its Python processes, sampled twice a second (see
MemoryPeaks for what is counted).
After each build the Delta files of every layer are counted (the files the tables' current
versions use, read with delta-rs). Reports: benchmarks/results/pipeline-<N>.json, and
benchmarks/results/pipeline.md with every scale measured so far.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bronze import REPO, RESULTS, machine
from report import markdown

HEALTHLAKE = REPO / ".venv" / "bin" / "healthlake"
START, END = date(2026, 1, 1), date(2026, 6, 30)
DAG_DONE = re.compile(r"^\s*DAG (\S+) (\w+) in ([\d.]+) s$")
DAG_STARTED = re.compile(r"^\s*DAG (\S+) \.\.\.$")
RUN_ID = re.compile(r"\(run (pipeline__\w+)\)")


# A process seen for less than this is not counted: a JVM's child between its fork and its exec shows
# the JVM's whole size (most likely what made the 1M full build's gold "JVM" peak 13.21 GiB, when
# native memory tracking sampled its one driver JVM at 6.61 GiB at most).
MIN_AGE_SECONDS = 1.0


class MemoryPeaks:
    """Peak memory of a process tree, split into JVMs and the rest, sampled in a thread; also per
    phase (the DAG running when a sample was taken), to say which step a peak belongs to. Each
    process counts its proportional set size: a page shared by n processes (a forkserver's workers
    and their parent, say) counts once in all, where summing resident sizes counted it n times."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        import psutil

        self._root, self._every = psutil.Process(pid), every
        self.jvm_bytes = self.python_bytes = self.total_bytes = 0
        # The largest process left out for being younger than MIN_AGE_SECONDS (reported, to be seen).
        self.transient_bytes = 0
        self._first_seen: dict[tuple[int, float], float] = {}
        self.phase: str | None = None
        self._by_phase: dict[str, dict[str, int]] = {}
        # Per phase, the biggest process other than a JVM at its largest, and its command: the tree's
        # Python total alone does not say whether Airflow, a task or a Spark Python worker swelled.
        self._largest_other: dict[str, tuple[int, str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            jvm = other = 0
            largest: tuple[int, psutil.Process | None] = (0, None)
            try:
                processes = [self._root, *self._root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            seen, self._first_seen = self._first_seen, {}  # only the processes alive now are remembered
            for process in processes:
                try:
                    # Age by the sampler's own clock: psutil's create_time rests on a boot time in whole seconds.
                    key = (process.pid, process.create_time())
                    first_seen = self._first_seen[key] = seen.get(key, time.monotonic())
                    if time.monotonic() - first_seen < MIN_AGE_SECONDS:
                        self.transient_bytes = max(self.transient_bytes, process.memory_info().rss)
                        continue
                    size = process.memory_full_info().pss
                    is_jvm = _is_jvm(process)
                except psutil.Error:
                    continue
                jvm, other = (jvm + size, other) if is_jvm else (jvm, other + size)
                if not is_jvm and size > largest[0]:
                    largest = (size, process)
            self.jvm_bytes = max(self.jvm_bytes, jvm)
            self.python_bytes = max(self.python_bytes, other)
            self.total_bytes = max(self.total_bytes, jvm + other)
            if self.phase:
                peak = self._by_phase.setdefault(self.phase, {"jvm": 0, "python": 0})
                peak["jvm"], peak["python"] = max(peak["jvm"], jvm), max(peak["python"], other)
                if largest[1] is not None and largest[0] > self._largest_other.get(self.phase, (0, ""))[0]:
                    self._largest_other[self.phase] = (largest[0], _command(largest[1]))
            self._stop.wait(self._every)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        return {
            name: round(getattr(self, f"{name}_bytes") / 2**30, 2) for name in ("jvm", "python", "total", "transient")
        }

    def by_phase(self) -> dict[str, dict[str, float]]:
        return {phase: {k: round(v / 2**30, 2) for k, v in peak.items()} for phase, peak in self._by_phase.items()}

    def largest_other_by_phase(self) -> dict[str, dict]:
        return {
            phase: {"gib": round(rss / 2**30, 2), "command": command}
            for phase, (rss, command) in self._largest_other.items()
        }


def _is_jvm(process) -> bool:
    """By the program run, not the process name alone: in the 1M run a Spark driver JVM (2.7 GiB,
    `java -cp ...`) was sampled under a name other than "java" and counted as Python."""
    if process.name() == "java":
        return True
    argv = process.cmdline()
    return bool(argv) and Path(argv[0]).name == "java"


def _command(process) -> str:
    """A process's command line, short: the program's name and its first arguments."""
    import psutil

    try:
        argv = process.cmdline()
    except psutil.Error:
        return "?"
    return " ".join([Path(argv[0]).name, *argv[1:4]])[:120] if argv else process.name()


def healthlake(env: dict, *args: str) -> tuple[float, dict, list[tuple[float, str]]]:
    """Run one `healthlake` command; returns its wall seconds, memory peaks (GiB; under "by_dag", per
    DAG) and timed output lines."""
    started = time.monotonic()
    child = subprocess.Popen(
        [str(HEALTHLAKE), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peaks = MemoryPeaks(child.pid)
    lines = []
    for line in child.stdout:
        lines.append((time.monotonic() - started, line.rstrip("\n")))
        print(f"    {line.rstrip()}", flush=True)
        if started_dag := DAG_STARTED.match(line):
            peaks.phase = started_dag.group(1)
    code = child.wait()
    memory = {**peaks.stop(), "by_dag": peaks.by_phase(), "largest_other_by_dag": peaks.largest_other_by_phase()}
    if code != 0:
        raise SystemExit(f"`healthlake {' '.join(args)}` exited {code}; see its output above")
    return time.monotonic() - started, memory, lines


def move_files(source: Path, target: Path, dated: date | None = None) -> dict[str, int]:
    """Move the files one folder below `source` (those dated `dated`, if given) to the same place
    under `target`; returns files moved per folder."""
    from jobs.bronze.ingest_files import file_date

    moved: dict[str, int] = {}
    for path in sorted(source.glob("*/*")):
        if path.is_file() and (dated is None or file_date(path.name) == dated):
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, destination)
            moved[path.parent.name] = moved.get(path.parent.name, 0) + 1
    return moved


def delta_files(warehouse: Path) -> dict[str, dict[str, float]]:
    """Per layer: tables, the data files their current versions use, and those files' size."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from deltalake import DeltaTable

    from healthlake.settings import LAYERS

    layers = {}
    for layer in LAYERS:
        tables = files = size = 0
        for log in sorted((warehouse / layer).glob("*/_delta_log")):
            actions = pa.table(DeltaTable(str(log.parent)).get_add_actions(flatten=True))
            tables += 1
            files += actions.num_rows
            size += pc.sum(actions["size_bytes"]).as_py() or 0
        layers[layer] = {"tables": tables, "files": files, "mib": round(size / 2**20, 1)}
    return layers


def build(env: dict, home: Path, label: str) -> dict:
    """One `healthlake run`, with its DAGs, steps, memory and the Delta files it leaves."""
    print(f"  {label} build: healthlake run", flush=True)
    seconds, memory, lines = healthlake(env, "run")
    run_id = next(m.group(1) for _, line in lines if (m := RUN_ID.search(line)))
    dags = [
        {"dag": m.group(1), "state": m.group(2), "seconds": float(m.group(3))}
        for _, line in lines
        if (m := DAG_DONE.match(line))
    ]
    log = (home / "runs" / f"{run_id}.jsonl").read_text(encoding="utf-8").splitlines()
    steps = [
        {k: step[k] for k in ("dag_id", "job", "seconds", "rows_in", "rows_written", "rows_rejected")}
        for step in map(json.loads, log)
    ]
    return {
        "seconds": round(seconds, 1),
        "memory_peak_gib": memory,
        "dags": dags,
        "steps": steps,
        "delta_files": delta_files(home / "warehouse"),
    }


DUCKDB_FIGURES = ("mart", "spark_seconds", "duckdb_seconds", "spark_to_duckdb", "mart_rows", "repeat", "spark_runs",
                  "duckdb_runs", "spark_phases", "duckdb_phases")  # fmt: skip


def bench(residents: int, his_port: int, duckdb_repeat: int) -> dict:
    home = REPO / ".bench" / f"pipeline-{residents}"
    env = {**os.environ, "HEALTHLAKE_HOME": str(home), "HEALTHLAKE_HIS_PORT": str(his_port)}
    env.pop("HEALTHLAKE_AS_OF_DATE", None)
    subprocess.run([str(REPO / "scripts" / "postgres.sh"), "destroy"], env=env, capture_output=True)
    shutil.rmtree(home, ignore_errors=True)
    print(f"[{residents:,} residents] {home}", flush=True)
    try:
        seconds, memory, _ = healthlake(env, "generate", "--residents", str(residents))
        source_records = sum(
            sum(per_file.values())
            for feed, per_file in json.loads((home / "ground_truth" / "source_files.json").read_text()).items()
            if isinstance(per_file, dict)
        )
        generated = {"seconds": round(seconds, 1), "source_records": source_records, "memory_peak_gib": memory}
        held = move_files(home / "landing", home / "held_back", dated=END)
        print(f"  held back the files dated {END}: {held}", flush=True)
        full = build(env, home, "full")

        print("  DuckDB ratio on the full build's silver", flush=True)
        subprocess.run(
            [sys.executable, str(REPO / "benchmarks" / "duckdb_ratio.py"), "--residents", str(residents),
             "--home", str(home), "--repeat", str(duckdb_repeat)],
            env=env, check=True,
        )  # fmt: skip
        duckdb = json.loads((RESULTS / f"duckdb-{residents}.json").read_text())

        move_files(home / "held_back", home / "landing")
        _, _, lines = healthlake(env, "simulate-changes", "--share", "0.01")
        his_changes = next(line for _, line in lines if line.startswith("HIS rows changed"))
        incremental = build(env, home, "incremental")
    finally:
        subprocess.run([str(REPO / "scripts" / "postgres.sh"), "destroy"], env=env, capture_output=True)
    return {
        "residents": residents,
        "generate": generated,
        "full": full,
        "incremental": {**incremental, "day": f"files dated {END} ({held}); {his_changes}"},
        "duckdb": {k: duckdb[k] for k in DUCKDB_FIGURES},
        "spark_driver_memory": env.get("HEALTHLAKE_SPARK_DRIVER_MEMORY", "4g"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=10_000, help="scale to measure (default 10000)")
    parser.add_argument("--his-port", type=int, default=55490, help="port for the benchmark's HIS server")
    parser.add_argument("--duckdb-repeat", type=int, default=5, help="runs per engine in the DuckDB ratio (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the lake under .bench/ afterwards")
    args = parser.parse_args()
    result = {"machine": machine(), "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
              **bench(args.residents, args.his_port, args.duckdb_repeat)}  # fmt: skip
    if not args.keep:
        shutil.rmtree(REPO / ".bench" / f"pipeline-{args.residents}", ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"pipeline-{args.residents}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    reports = [json.loads(p.read_text()) for p in RESULTS.glob("pipeline-*.json")]
    (RESULTS / "pipeline.md").write_text(markdown(reports), encoding="utf-8")
    full, day = result["full"], result["incremental"]
    print(
        f"{args.residents:,} residents: full build {full['seconds']} s, incremental day {day['seconds']} s "
        f"({day['seconds'] / full['seconds']:.0%}), peak {full['memory_peak_gib']['total']} GiB, Spark/DuckDB "
        f"{result['duckdb']['spark_to_duckdb']}x. Reports: {path}, {RESULTS / 'pipeline.md'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
