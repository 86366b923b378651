"""What the pipeline benchmark counts as the process tree's memory (benchmarks/pipeline.py)."""

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from pipeline import MIN_AGE_SECONDS, MemoryPeaks

MIB = 2**20
HOLD = "import sys, time; block = bytearray({mib} * 2**20); time.sleep({seconds})"


def _own_share(peaks: MemoryPeaks) -> int:
    """This test process is in the tree too: its count, once it is counted."""
    time.sleep(MIN_AGE_SECONDS + 0.3)
    return peaks.python_bytes


def _child(mib: int, seconds: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", HOLD.format(mib=mib, seconds=seconds)])


def test_a_process_counts_once_it_has_lived_min_age_and_a_passing_one_not():
    peaks = MemoryPeaks(os.getpid(), every=0.05)
    baseline = _own_share(peaks)
    _child(300, 0.3).wait()  # well under MIN_AGE_SECONDS, even with a slow start
    after_passing = peaks.python_bytes
    _child(300, MIN_AGE_SECONDS + 1.0).wait()
    figures = peaks.stop()
    assert after_passing - baseline < 100 * MIB, "a process younger than MIN_AGE_SECONDS was counted"
    assert figures["transient"] >= 0.25
    assert figures["python"] * 2**30 - baseline >= 290 * MIB


def test_pages_a_fork_shares_with_its_parent_count_once():
    block = bytearray(400 * MIB)  # written, so resident
    peaks = MemoryPeaks(os.getpid(), every=0.05)
    baseline = _own_share(peaks)
    pid = os.fork()
    if pid == 0:  # the child only holds the shared pages
        time.sleep(MIN_AGE_SECONDS + 1.0)
        os._exit(0)
    os.waitpid(pid, 0)
    peaks.stop()
    assert peaks.python_bytes - baseline < len(block) / 2, "the fork's shared pages were counted again"
