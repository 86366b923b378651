"""Scoring the pipeline against the generator's ground truth (tests and benchmarks only; the pipeline
itself never reads HEALTHLAKE_HOME/ground_truth)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from healthlake.settings import Settings

# identity source -> (ground-truth file, its record id column)
TRUTH_FILES = {
    "exam_system.exam": ("exam_people.parquet", "exam_id"),
    "his.patients": ("his_people.parquet", "patient_id"),
    "public_health.followup": ("followup_people.parquet", "form_id"),
    "public_health.tcm": ("tcm_people.parquet", "assessment_id"),
    "home_bp_devices.device": ("device_people.parquet", "device_sn"),
}


def record_people(settings: Settings) -> pd.DataFrame:
    """source, source_record_id, person_id for every identity record the generator wrote."""
    frames = []
    for source, (file, id_column) in TRUTH_FILES.items():
        path = settings.ground_truth_dir / file
        if not path.exists():
            continue
        truth = pd.read_parquet(path, columns=[id_column, "person_id"]).drop_duplicates(id_column)
        frames.append(
            pd.DataFrame(
                {"source": source, "source_record_id": truth[id_column].astype(str), "person_id": truth["person_id"]}
            )
        )
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class LinkageScores:
    records: int
    residents_true: int
    residents_found: int
    true_pairs: int
    found_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def linkage_scores(crosswalk: pd.DataFrame, truth: pd.DataFrame) -> LinkageScores:
    """Pairwise precision and recall of `crosswalk` (source, source_record_id, resident_key): a pair of
    records is correct when both the truth and the crosswalk put them with the same person."""
    joined = truth.merge(crosswalk, on=["source", "source_record_id"], how="inner")

    def pairs(counts: pd.Series) -> int:
        return int((counts * (counts - 1) // 2).sum())

    return LinkageScores(
        records=len(joined),
        residents_true=joined["person_id"].nunique(),
        residents_found=joined["resident_key"].nunique(),
        true_pairs=pairs(joined.groupby("person_id").size()),
        found_pairs=pairs(joined.groupby("resident_key").size()),
        correct_pairs=pairs(joined.groupby(["resident_key", "person_id"]).size()),
    )
