"""How long the nightly takes to decide, on the embedded sample: a first evaluation (everything to build), the
build it requests, then quiet evaluations (nothing changed: every raw folder's version is recomputed and compared).

    .venv/bin/python benchmarks/nightly_evaluation.py

Dagster gives a schedule about a minute to answer; the quiet evaluation is what runs every night.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import dagster as dg

from pipelines.assets import ALL_ASSETS
from pipelines.automation import BUILD_JOB, build_all, nightly_refresh
from pipelines.checks import ALL_CHECKS
from pipelines.resources import Warehouse

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"


def evaluate(instance: dg.DagsterInstance, warehouse: Warehouse) -> tuple[float, dg.RunRequest | None]:
    start = time.perf_counter()
    with dg.build_schedule_context(instance=instance, resources={"warehouse": warehouse}) as context:
        data = nightly_refresh.evaluate_tick(context)
    return time.perf_counter() - start, (data.run_requests or [None])[0]


def main() -> None:
    with tempfile.TemporaryDirectory() as root, dg.instance_for_test() as instance:
        shutil.copytree(SAMPLE, Path(root) / "raw")
        warehouse = Warehouse(raw_dir=str(Path(root) / "raw"), warehouse_dir=str(Path(root) / "warehouse"))
        defs = dg.Definitions(assets=ALL_ASSETS, asset_checks=ALL_CHECKS, jobs=[build_all],
                              resources={"warehouse": warehouse})
        first, request = evaluate(instance, warehouse)
        start = time.perf_counter()
        result = defs.resolve_job_def(BUILD_JOB).execute_in_process(
            instance=instance, asset_selection=list(request.asset_selection), tags=dict(request.tags))
        build = time.perf_counter() - start
        quiet = [evaluate(instance, warehouse) for _ in range(3)]
        assert result.success and all(r is None for _, r in quiet)
        print(f"first evaluation {first:.2f} s; the build it requested {build:.1f} s; quiet evaluations "
              f"{', '.join(f'{s:.2f}' for s, _ in quiet)} s (no run requested)")


if __name__ == "__main__":
    main()
