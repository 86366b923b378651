"""Read a gold mart from an app without Spark or a JVM: the Delta table is read by delta-rs
(the `deltalake` package) straight from the warehouse directory (or object storage).

    python examples/read_gold_without_jvm.py [HEALTHLAKE_HOME]

prints the residents at high risk per district, from gold.resident_health_profile.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pyarrow.compute as pc
from deltalake import DeltaTable


def high_risk_by_district(home: Path) -> dict[str, int]:
    table = DeltaTable(str(home / "warehouse" / "gold" / "resident_health_profile"))
    # Only the columns needed are read; the filter runs on Arrow, no engine involved.
    profile = table.to_pyarrow_table(columns=["district_code", "risk_level"])
    high = profile.filter(pc.equal(profile["risk_level"], "high"))
    counts = high.group_by("district_code").aggregate([("district_code", "count")])
    return dict(zip(counts["district_code"].to_pylist(), counts["district_code_count"].to_pylist(), strict=True))


if __name__ == "__main__":
    home = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("HEALTHLAKE_HOME", ".healthlake"))
    for district, residents in sorted(high_risk_by_district(home).items()):
        print(f"{district}\t{residents}")
