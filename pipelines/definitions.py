"""The observatory's Dagster definitions: assets, checks, the whole-graph job and its nightly schedule."""


import dagster as dg

from pipelines.assets import ALL_ASSETS, YEARS
from pipelines.checks import ALL_CHECKS
from pipelines.resources import default_warehouse

# Every asset; partitioned ones run all their years in the same run (single-run backfill policy).
build_all = dg.define_asset_job(
    "build_observatory",
    selection=dg.AssetSelection.all(),
    description="Rebuild everything from the raw folder and publish observatory.duckdb atomically.",
)


def all_years_tags() -> dict[str, str]:
    keys = YEARS.get_partition_keys()
    return {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}


@dg.schedule(job=build_all, cron_schedule="30 2 * * *", execution_timezone="Europe/Paris",
             default_status=dg.DefaultScheduleStatus.RUNNING)
def nightly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Every night at 02:30 Paris time, rebuild every year and publish."""
    return dg.RunRequest(run_key=None, tags={**all_years_tags(), "observatory/trigger": "nightly"})


defs = dg.Definitions(
    assets=ALL_ASSETS,
    asset_checks=ALL_CHECKS,
    jobs=[build_all],
    schedules=[nightly_refresh],
    resources={"warehouse": default_warehouse()},
)
