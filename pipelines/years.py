"""The reference years: one dynamic partition per year with a delivery in the raw folder.

They are read from the raw folder the warehouse resource points at, when a build, the nightly or the sensor below
runs (never when the code location loads), so a new year's delivery dropped in is built by the next nightly with
no reload, and a year whose deliveries were removed stops being a partition.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from observatory.errors import InputError
from observatory.sources import DELIVERY, reference_years, sources
from pipelines.assets import YEARS
from pipelines.resources import Warehouse

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def sync_years(instance: dg.DagsterInstance, raw_dir: Path) -> tuple[list[str], list[str]]:
    """Make the year partitions those of the deliveries in ``raw_dir``; return the years added and removed."""
    found = [str(y) for y in reference_years(raw_dir)]
    known = set(instance.get_dynamic_partitions(YEARS.name))
    added = [y for y in found if y not in known]
    removed = sorted(known - set(found))
    if added:
        instance.add_dynamic_partitions(YEARS.name, added)
    for year in removed:
        instance.delete_dynamic_partition(YEARS.name, year)
    return added, removed


def all_years_tags(instance: dg.DagsterInstance, raw_dir: Path) -> dict[str, str]:
    """Tags that run every reference year in one run (the yearly assets' backfill policy is single-run), after
    making the partitions those of ``raw_dir``. Without any delivery there is nothing to build a year of."""
    sync_years(instance, raw_dir)
    if not (tags := years_range(instance)):
        folders = " or ".join(f"{raw_dir / s.folder}" for s in sources(DELIVERY))
        raise InputError(raw_dir, f"no employment delivery in {folders}: no reference year to build")
    return tags


def years_range(instance: dg.DagsterInstance) -> dict[str, str]:
    """The tags of a run over every year partition known now; empty when there is none."""
    years = sorted(instance.get_dynamic_partitions(YEARS.name))
    return {RANGE_START: years[0], RANGE_END: years[-1]} if years else {}


def describe_changes(added: list[str], removed: list[str]) -> str:
    return "; ".join([*([f"added {', '.join(added)}"] if added else []),
                      *([f"removed {', '.join(removed)} (no delivery left)"] if removed else [])])


@dg.sensor(name="reference_years", minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Every minute, make the reference-year partitions those of the deliveries in the raw folder, so "
                       "that a year dropped in can be chosen in the UI at once (builds and the nightly do it too).")
def reference_years_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse) -> dg.SkipReason:
    """Keep the year partitions in step with the raw folder for analysts launching from the UI."""
    added, removed = sync_years(context.instance, warehouse.raw_path)
    return dg.SkipReason(describe_changes(added, removed) or "the year partitions are those of the raw folder")
