"""`healthlake generate`: residents, their source records, and the ground truth kept apart."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from healthlake import his_database
from healthlake.schemas import source_format
from healthlake.settings import Settings
from healthlake.synth import his
from healthlake.synth.exam_system import Damage, generate_exam_items, write_daily_files
from healthlake.synth.home_bp_devices import DeviceDamage, generate_readings, write_batches
from healthlake.synth.population import generate_residents
from healthlake.synth.public_health import (
    FollowupDamage,
    generate_followups,
    generate_tcm_assessments,
    write_daily_exports,
    write_tcm_exports,
)


def _keep_truth(frame: pd.DataFrame, columns: dict[str, str], path: Path) -> None:
    """Which true person each source record belongs to (and what else the generator knows)."""
    if not frame.empty:
        frame[list(columns)].drop_duplicates().rename(columns=columns).to_parquet(path, index=False)


@dataclass(frozen=True)
class GenerationReport:
    residents: int
    files: dict[str, dict[str, int]]  # feed -> {file name (or database table): records}
    seconds: float

    @property
    def records(self) -> int:
        return sum(sum(per_file.values()) for per_file in self.files.values())


def generate(
    settings: Settings,
    residents: int,
    seed: int,
    start: date,
    end: date,
    damage: Damage | None = None,
    device_damage: DeviceDamage | None = None,
    followup_damage: FollowupDamage | None = None,
    with_his: bool = True,
    on_feed: Callable[[str, dict[str, int]], None] = lambda feed, per_file: None,
) -> GenerationReport:
    """Write every source's records; `on_feed(feed, {file or table: records})` hears of each as it is done."""
    if end < start:
        raise ValueError(f"the end date {end} is before the start date {start}")
    started = time.monotonic()
    damage = damage or Damage()
    rng = np.random.default_rng(seed)
    truth = settings.ground_truth_dir
    truth.mkdir(parents=True, exist_ok=True)
    people = generate_residents(residents, rng, as_of=end)
    people.to_parquet(truth / "residents.parquet", index=False)

    # Each feed is written, and its part of the ground truth kept, before the next is generated:
    # at 1M residents one feed's frames are gigabytes, and only one at a time is held.
    rows = generate_exam_items(people, rng, start, end, damage)
    fmt = source_format("exam_system")
    files: dict[str, dict[str, int]] = {}

    def done(feed: str, per_file: dict[str, int]) -> None:
        files[feed] = per_file
        on_feed(feed, per_file)

    done("exam_system", write_daily_files(rows, fmt, settings.landing_dir / fmt.source_system, rng, damage))
    _keep_truth(rows, {"体检编号": "exam_id", "_person_id": "person_id"}, truth / "exam_people.parquet")
    del rows

    device_damage = device_damage or DeviceDamage()
    readings = generate_readings(people, rng, start, end, device_damage)
    done("home_bp_devices", write_batches(readings, settings.landing_dir / "home_bp_devices", rng, device_damage))
    _keep_truth(readings, {"device_sn": "device_sn", "seq": "seq", "_person_id": "person_id"},
                truth / "device_people.parquet")  # fmt: skip
    del readings

    followup_damage = followup_damage or FollowupDamage()
    forms = generate_followups(people, rng, start, end, followup_damage)
    public_health = settings.landing_dir / "public_health"
    done("public_health_followups", write_daily_exports(forms, public_health, rng, followup_damage))
    # With what each form measured, so tests can judge control and management independently of dbt.
    _keep_truth(
        forms,
        {"form_id": "form_id", "_person_id": "person_id", "form_type": "form_type", "followup_date": "followup_date",
         "method": "method", "sbp": "sbp", "dbp": "dbp", "fpg": "fpg"},
        truth / "followup_people.parquet",
    )  # fmt: skip
    del forms

    if with_his:
        his_database.ensure_running(settings)
        his_tables = his.generate_his(people, rng, start, end, generated_at=datetime.now(UTC))
        his.load(settings, his_tables)
        done("his", his_tables.counts())
        _keep_truth(his_tables.patients, {"patient_id": "patient_id", "_person_id": "person_id"},
                    truth / "his_people.parquet")  # fmt: skip
        del his_tables

    assessments = generate_tcm_assessments(people, rng, start, end)
    # Both public-health exports land in one folder; the feed is told apart by the file name.
    done("public_health_tcm", write_tcm_exports(assessments, public_health, rng))
    _keep_truth(
        assessments,
        {"assessment_id": "assessment_id", "_person_id": "person_id", "_latent_constitution": "latent_constitution"},
        truth / "tcm_people.parquet",
    )
    (truth / "source_files.json").write_text(json.dumps({**files, "seed": seed, "residents": residents}, indent=2))
    return GenerationReport(residents=residents, files=files, seconds=time.monotonic() - started)
