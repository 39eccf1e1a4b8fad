"""Secondary suppression and its audit on a built warehouse's working database (issue 13).

    python benchmarks/disclosure.py                          # the embedded sample, built into a temporary folder
    python benchmarks/disclosure.py --scale 10               # a 10x sample, generated and built first
    python benchmarks/disclosure.py --warehouse data/warehouse   # an existing build (its staging.duckdb, copied)
    python benchmarks/disclosure.py --scale 10 --keep /tmp/x10   # and keep the 10x build for another run

On a copy of the working database: clears the secondary suppressions, runs the suppression again (timed per year),
then the attacker (timed), then the exact LP interval of the five cells the certificates protect least (each must
contain the certificate's). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from observatory import disclosure  # noqa: E402
from observatory.config import Thresholds  # noqa: E402


def build(scale: float, folder: Path) -> Path:
    """Generate the sample at ``scale`` and build it; the warehouse folder."""
    raw, warehouse = folder / "raw", folder / "warehouse"
    observatory = str(Path(sys.executable).with_name("observatory"))
    subprocess.run([observatory, "sample", "--out", str(raw), "--scale", str(scale)], check=True,
                   stdout=subprocess.DEVNULL)
    env = {**os.environ, "OBSERVATORY_RAW_DIR": str(raw), "OBSERVATORY_WAREHOUSE_DIR": str(warehouse)}
    started = time.perf_counter()
    subprocess.run([observatory, "build"], check=True, env=env, stdout=subprocess.DEVNULL)
    print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return warehouse


def measure(staging: Path) -> dict:
    thresholds = Thresholds()
    protection = disclosure.protection_of(thresholds)
    con = duckdb.connect(str(staging))
    con.execute("UPDATE work.jobs_cells SET conf_status = NULL, confidential = false WHERE conf_status = 'D'")
    dims = disclosure.dimensions(con)
    years = disclosure._years(con)
    out: dict = {"years": {}}
    for year in years:
        cube = disclosure._cube(con, dims, year)
        primary = int(cube.primary.sum())
        started = time.perf_counter()
        result = disclosure.suppress_year(cube, protection)
        rest = cube.index[1][disclosure.REST]
        out["years"][year] = entry = {"cells": int(cube.exists.sum() - cube.exists[:, rest].sum()),
                              "primary": primary, "secondary": len(result.secondary),
                              "unprotected_by_suppression": len(result.unprotected),
                              "suppress_s": round(time.perf_counter() - started, 2)}
        print(year, entry, file=sys.stderr)
    # The build's own suppression, as the pipeline runs it (database writes included), then the attacker.
    con.execute("UPDATE work.jobs_cells SET conf_status = NULL, confidential = false WHERE conf_status = 'D'")
    started = time.perf_counter()
    disclosure.suppress(con, thresholds)
    out["suppress_all_years_s"] = round(time.perf_counter() - started, 2)
    # mart.jobs as the build would publish it from these cells.
    con.execute("UPDATE mart.jobs j SET jobs = CASE WHEN c.conf_status IS NULL THEN CAST(c.jobs AS DOUBLE) END, "
                "conf_status = c.conf_status FROM work.jobs_cells c WHERE j.year = c.year AND j.geo = c.geo "
                "AND j.family = c.family AND j.nace_a10 = c.nace_a10 AND j.sex = c.sex AND j.age_band = c.age_band")
    started = time.perf_counter()
    verdict = disclosure.audit(con, thresholds)
    out["audit_s"] = round(time.perf_counter() - started, 2)
    out["verdict"] = verdict.summary()
    year = years[-1]
    cube = disclosure._cube(con, dims, year, published=True)
    attacker = disclosure.YearAudit(year, cube)
    certified = attacker.certified(protection, disclosure._load_certificates(con, dims).get(year, []))
    weakest = sorted(certified, key=lambda c: (c.ratio, c.cell))[:5]
    started = time.perf_counter()
    exact = {c.cell: c for c in attacker.exact(protection, [c.cell for c in weakest])}
    out["exact_lp_5_cells_s"] = round(time.perf_counter() - started, 2)
    out["weakest_certified_vs_exact"] = [
        {"cell": list(c.cell), "value": c.value, "certified": [c.lo, c.hi], "exact": [exact[c.cell].lo, exact[c.cell].hi],
         "contains": bool(exact[c.cell].lo <= c.lo + 1e-6 and exact[c.cell].hi >= c.hi - 1e-6)} for c in weakest]
    con.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--warehouse", type=Path, help="measure this build instead of making one")
    parser.add_argument("--keep", type=Path, help="build into this folder and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        warehouse = args.warehouse or build(args.scale, args.keep or folder)
        staging = folder / "staging.duckdb"
        shutil.copy2(warehouse / "staging.duckdb", staging)
        print(json.dumps({"scale": args.scale, **measure(staging)}, indent=1, default=float))


if __name__ == "__main__":
    main()
