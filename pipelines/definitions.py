"""The observatory's Dagster definitions: the observed raw folders, assets, checks, the whole-graph job, the nightly
that rebuilds what is stale, the fetch job, its (stopped) schedule and the rebuild that follows a fetch, and the
run-failure alert, the sensor that fails runs whose process died, and the one that keeps the year partitions
those of the raw folder."""


import dagster as dg

from pipelines.alerts import alert_on_run_failure
from pipelines.assets import ALL_ASSETS
from pipelines.automation import build_after_fetch, build_all, nightly_refresh
from pipelines.checks import ALL_CHECKS
from pipelines.exports import observatory_exports
from pipelines.fetching import fetch_sources, nightly_fetch
from pipelines.recovery import recover_dead_runs
from pipelines.report import observatory_report
from pipelines.resources import default_warehouse
from pipelines.years import all_years_tags, reference_years_sensor

__all__ = ["all_years_tags", "build_all", "defs"]

defs = dg.Definitions(
    assets=[*ALL_ASSETS, observatory_exports, observatory_report],
    asset_checks=ALL_CHECKS,
    jobs=[build_all, fetch_sources],
    schedules=[nightly_refresh, nightly_fetch],
    sensors=[alert_on_run_failure, build_after_fetch, recover_dead_runs, reference_years_sensor],
    resources={"warehouse": default_warehouse()},
    # Every run executes its steps one after another in the run's own process, whoever launched it (the UI's
    # buttons, a backfill, the nightly, `observatory build`): the steps share one DuckDB working database, which
    # takes a file lock per process, so steps in separate processes (Dagster's default multiprocess executor) would
    # fail on that lock. Runs themselves are serialised by the queue (dagster.yaml). See docs/running.md.
    executor=dg.in_process_executor,
)
