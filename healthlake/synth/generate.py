"""`healthlake generate`: residents, their source records, and the ground truth kept apart."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date

import numpy as np

from healthlake.schemas import source_format
from healthlake.settings import Settings
from healthlake.synth.exam_system import Damage, generate_exam_items, write_daily_files
from healthlake.synth.population import generate_residents


@dataclass(frozen=True)
class GenerationReport:
    residents: int
    files: dict[str, int]
    seconds: float

    @property
    def records(self) -> int:
        return sum(self.files.values())


def generate(
    settings: Settings, residents: int, seed: int, start: date, end: date, damage: Damage | None = None
) -> GenerationReport:
    if end < start:
        raise ValueError(f"the end date {end} is before the start date {start}")
    started = time.monotonic()
    damage = damage or Damage()
    rng = np.random.default_rng(seed)
    people = generate_residents(residents, rng, as_of=end)
    rows = generate_exam_items(people, rng, start, end, damage)

    fmt = source_format("exam_system")
    landing = settings.landing_dir / fmt.source_system
    files = write_daily_files(rows, fmt, landing, rng, damage)

    truth = settings.ground_truth_dir
    truth.mkdir(parents=True, exist_ok=True)
    people.to_parquet(truth / "residents.parquet", index=False)
    rows[["体检编号", "_person_id"]].drop_duplicates().rename(
        columns={"体检编号": "exam_id", "_person_id": "person_id"}
    ).to_parquet(truth / "exam_people.parquet", index=False)
    (truth / "source_files.json").write_text(
        json.dumps({"exam_system": files, "seed": seed, "residents": residents}, indent=2)
    )
    return GenerationReport(residents=residents, files=files, seconds=time.monotonic() - started)
