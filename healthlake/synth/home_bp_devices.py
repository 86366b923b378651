"""Home blood-pressure devices: readings uploaded in four-hour micro-batches of JSON lines.

About a third of hypertensive adults have a registered device and measure on most days, morning
and evening. Uploads lag (minutes usually, days for a device that was offline), so files hold
readings out of order, and a share of uploads is re-sent in the next batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from healthlake.synth.identity import IdentityVariation, render
from healthlake.synth.json_lines import json_lines

KPA_PER_MMHG = 0.133322
BATCH_HOURS = 4


@dataclass(frozen=True)
class DeviceDamage:
    offline_late: float = 0.05  # uploaded one to five days late
    resent: float = 0.03  # delivered again in the next batch
    kpa_devices: float = 0.02  # older devices that report kPa
    implausible: float = 0.001  # a cuff error: 0 or a four-digit value
    broken_json: float = 0.0005  # a line cut short in transmission


def generate_readings(
    residents: pd.DataFrame, rng: np.random.Generator, start: date, end: date, damage: DeviceDamage
) -> pd.DataFrame:
    """One row per delivery (re-sent readings appear twice), with `_person_id` for the ground truth."""
    owners = residents[(residents["age"] >= 35) & residents["has_hypertension"]]
    owners = owners[rng.random(len(owners)) < 0.33].reset_index(drop=True)
    days = (end - start).days + 1
    if owners.empty or days <= 0:
        return pd.DataFrame()

    # Morning and evening slots on every day; a share of them is measured.
    n_slots = len(owners) * days * 2
    owner_index = np.repeat(np.arange(len(owners)), days * 2)
    day = np.tile(np.repeat(np.arange(days), 2), len(owners))
    evening = np.tile(np.array([0, 1]), len(owners) * days)
    measured = rng.random(n_slots) < np.where(evening == 1, 0.45, 0.7)
    owner_index, day, evening = owner_index[measured], day[measured], evening[measured]
    n = len(owner_index)

    minute_of_day = np.where(evening == 1, 20 * 60, 7 * 60) + rng.integers(0, 120, n)
    local_start = np.datetime64(start.isoformat(), "m")
    measured_at = local_start + (day * 1440 + minute_of_day).astype("timedelta64[m]")
    lag_minutes = rng.lognormal(np.log(20), 1.0, n).astype(np.int64) + 1
    late = rng.random(n) < damage.offline_late
    lag_minutes[late] += rng.integers(1, 6, late.sum()) * 1440
    uploaded_at = measured_at + lag_minutes.astype("timedelta64[m]")

    # The ID number bound at device registration, as the family typed it into the app.
    owner_id_numbers = render(owners, rng, IdentityVariation(mistyped_id=0.005, missing_id=0.03))["id_number"]
    people = owners.iloc[owner_index]
    sbp = people["sbp_mean"].to_numpy() - 5 + rng.normal(0, 9, n) + evening * rng.normal(-2, 3, n)
    dbp = people["dbp_mean"].to_numpy() - 3 + rng.normal(0, 6, n)
    pulse = rng.normal(74, 9, n)

    device_sn = np.char.add("BPM", np.char.zfill(people["person_id"].to_numpy().astype(str), 8))
    order = np.lexsort((measured_at, owner_index))
    seq = np.empty(n, dtype=np.int64)
    seq[order] = np.arange(n) - np.searchsorted(owner_index[order], owner_index[order]) + 1

    kpa_owner = rng.random(len(owners)) < damage.kpa_devices
    in_kpa = kpa_owner[owner_index]
    sbp_out = np.where(in_kpa, np.round(sbp * KPA_PER_MMHG, 1), np.round(sbp, 0))
    dbp_out = np.where(in_kpa, np.round(dbp * KPA_PER_MMHG, 1), np.round(dbp, 0))
    implausible = rng.random(n) < damage.implausible
    sbp_out[implausible] = rng.choice([0, 1999], implausible.sum())

    readings = pd.DataFrame(
        {
            "device_sn": device_sn,
            "seq": seq,
            "id_no": owner_id_numbers.to_numpy()[owner_index],
            "measured_at": measured_at,
            "sbp": sbp_out,
            "dbp": dbp_out,
            "pulse": np.round(pulse, 0).astype(np.int64),
            "unit": np.where(in_kpa, "kPa", "mmHg"),
            "uploaded_at": uploaded_at,
            "_person_id": people["person_id"].to_numpy(),
        }
    )
    resent = readings[rng.random(n) < damage.resent].copy()
    resent["uploaded_at"] = resent["uploaded_at"] + np.timedelta64(BATCH_HOURS * 60, "m")
    return pd.concat([readings, resent], ignore_index=True)


def _iso(values: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(values).strftime("%Y-%m-%dT%H:%M:%S+08:00").to_numpy(dtype=object)


WRITE_CHUNK_ROWS = 500_000  # lines built at once: the JSON text of 12M readings would not fit beside the frame


def write_batches(
    readings: pd.DataFrame, out_dir: Path, rng: np.random.Generator, damage: DeviceDamage
) -> dict[str, int]:
    """One JSON-lines file per four-hour upload window; returns {file name: lines written}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if readings.empty:
        return {}
    # Arrival order is not measurement order: shuffle, then keep that order within each window.
    order = rng.permutation(len(readings))
    batch = pd.DatetimeIndex(readings["uploaded_at"]).floor(f"{BATCH_HOURS}h")[order]
    order = order[np.argsort(batch, kind="stable")]
    lines_per_file: dict[str, int] = {}
    for begin in range(0, len(order), WRITE_CHUNK_ROWS):
        chunk = readings.iloc[order[begin : begin + WRITE_CHUNK_ROWS]]
        frame = chunk.drop(columns=["_person_id"]).assign(
            measured_at=_iso(chunk["measured_at"]), uploaded_at=_iso(chunk["uploaded_at"])
        )
        # Devices that report mmHg send whole numbers; kPa devices one decimal.
        whole = frame["unit"] == "mmHg"
        for column in ("sbp", "dbp"):
            frame[column] = frame[column].astype(object).where(~whole, frame[column].astype(np.int64))
        lines = json_lines(
            frame,
            strings=["device_sn", "id_no", "measured_at", "unit", "uploaded_at"],
            numbers=["seq", "sbp", "dbp", "pulse"],
        )
        cut = rng.random(len(lines)) < damage.broken_json
        lines[cut] = lines[cut].map(lambda line: line[: len(line) // 2])  # a line cut short in transmission
        windows = pd.DatetimeIndex(chunk["uploaded_at"]).floor(f"{BATCH_HOURS}h")
        for window, window_lines in lines.groupby(windows, sort=True):
            name = f"readings_{window:%Y%m%dT%H%M}.jsonl"
            mode = "a" if name in lines_per_file else "w"  # a window may span two chunks
            with (out_dir / name).open(mode, encoding="utf-8") as out:
                out.write("\n".join(window_lines) + "\n")
            lines_per_file[name] = lines_per_file.get(name, 0) + len(window_lines)
    return lines_per_file
