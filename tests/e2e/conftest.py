"""The one lake the end-to-end tests share: six months of a small network, built as `make demo` builds
it (`healthlake generate`, then `healthlake run` through the Airflow DAGs). A whole pipeline run is
the suite's dearest step (about eight minutes on 2 cores), so it runs once: tests that change the lake
are marked `changes_shared_lake`, and tests/conftest.py runs them after every test that reads it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import AS_OF, GENERATE_LAKE, destroy_his, healthlake


@dataclass(frozen=True)
class Lake:
    home: Path
    run_output: str  # what `healthlake run` printed


@pytest.fixture(scope="session")
def lake(tmp_path_factory) -> Iterator[Lake]:
    home = tmp_path_factory.mktemp("lake")
    generated = healthlake(home, *GENERATE_LAKE)
    assert generated.returncode == 0, generated.stderr
    try:
        run = healthlake(home, "run", timeout=2400, HEALTHLAKE_AS_OF_DATE=AS_OF)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
        yield Lake(home, run.stdout)
    finally:
        destroy_his(home)
