"""How ``observatory build`` runs the build job and shows it: part of the command line (like ``cli.py``, it drives
Dagster; the rest of the library does not import it).

The run is created with the code location's origin (``remote_job_origin``), as the UI or the daemon would create
it, so that it is listed with the job's runs and on the overview timeline; it then executes in this process. By
default Dagster's own log lines are off and a few lines of progress are printed instead: one per stage when the
stage is done (and, on a terminal, the step running now, rewritten in place). ``verbose`` keeps Dagster's events.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._core.definitions.dependency import NodeHandle
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.execution.api import execute_run_iterator
from dagster._core.remote_origin import InProcessCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from observatory import vintages
from observatory.buildlock import BuildLock, Holder
from observatory.config import PROJECT_ROOT, default_raw_dir
from observatory.errors import InputError

DEFINITIONS_MODULE = "pipelines.definitions"
DEFINITIONS_ATTRIBUTE = "defs"
REPOSITORY_NAME = "__repository__"  # the repository a Definitions object makes
STAGES = ("raw", "sources", "harmonised", "published")  # the asset groups, in build order
TRIGGER_TAG = "observatory/trigger"


@dataclass
class BuildOutcome:
    run_id: str
    success: bool
    events: list = field(default_factory=list)
    published_rows: dict[str, int] = field(default_factory=dict)
    # Why nothing was run (every input, setting and code file as at the last publication), or None.
    skipped: str | None = None


def _run_config(job: dg.JobDefinition, verbose: bool, resources: dict[str, dict] | None = None) -> dict:
    """In process (the default executor would start a process per step); Dagster's console log off unless verbose;
    the resources' settings given here, not those read when the definitions were first imported in this process."""
    config: dict = {"resources": {name: {"config": values} for name, values in (resources or {}).items()}}
    if job.executor_def is dg.multi_or_in_process_executor:
        config["execution"] = {"config": {"in_process": {}}}
    if not verbose:
        config["loggers"] = {"console": {"config": {"log_level": "CRITICAL"}}}
    return config


def create_run(instance: dg.DagsterInstance, job_name: str, location_name: str, tags: dict[str, str],
               verbose: bool = False, resources: dict[str, dict] | None = None,
               assets: Collection[dg.AssetKey] | None = None):
    """A run of ``job_name`` (only ``assets`` and their checks when given) filed under the code location
    ``location_name`` (its repository label is what the UI's job page filters on), and the reconstructable job that
    executes it."""
    repository = ReconstructableRepository.for_module(DEFINITIONS_MODULE, DEFINITIONS_ATTRIBUTE,
                                                      working_directory=str(PROJECT_ROOT))
    recon_job = repository.get_reconstructable_job(job_name)
    selection = frozenset(assets) if assets is not None else None
    if selection is not None:
        recon_job = recon_job.get_subset(asset_selection=selection)
    job = recon_job.get_definition()
    target = LoadableTargetOrigin(executable_path=sys.executable, module_name=DEFINITIONS_MODULE,
                                  attribute=DEFINITIONS_ATTRIBUTE, working_directory=str(PROJECT_ROOT))
    origin = RemoteJobOrigin(
        repository_origin=RemoteRepositoryOrigin(
            code_location_origin=InProcessCodeLocationOrigin(loadable_target_origin=target, location_name=location_name),
            repository_name=REPOSITORY_NAME),
        job_name=job_name)
    run = instance.create_run_for_job(job, run_config=_run_config(job, verbose, resources), tags={**job.tags, **tags},
                                      asset_selection=selection, remote_job_origin=origin,
                                      job_code_origin=recon_job.get_python_origin())
    return run, recon_job, job


def stage_of_steps(job: dg.JobDefinition) -> dict[str, str]:
    """The stage (asset group) of each step of ``job``: a check's is its asset's."""
    layer = job.asset_layer
    stages = {}
    for node in job.nodes:
        keys = layer.get_selected_entity_keys_for_node(NodeHandle(node.name, None))
        asset_keys = [getattr(k, "asset_key", k) for k in keys]
        groups = [layer.asset_graph.get(k).group_name for k in asset_keys if layer.asset_graph.has(k)]
        stages[node.name] = groups[0] if groups else "other"
    return stages


class Progress:
    """Prints one line per stage when all its steps are done and, on a terminal, the running step in place."""

    def __init__(self, stages: dict[str, str], started: float, out=None) -> None:
        self.out = out or sys.stdout
        self.tty = self.out.isatty()
        self.stages = stages
        self.total = len(stages)
        self.left = {s: sum(1 for v in stages.values() if v == s) for s in set(stages.values())}
        self.assets: dict[str, set] = {s: set() for s in self.left}
        self.rows = dict.fromkeys(self.left, 0)
        self.failed = dict.fromkeys(self.left, 0)
        self.done = 0
        self.started = started
        self.live = False

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.started:5.1f} s"

    def _clear(self) -> None:
        if self.live:
            self.out.write("\r\033[K")
            self.live = False

    def _show(self, text: str) -> None:
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.out.write("\r\033[K" + text[:width])
            self.out.flush()
            self.live = True

    def event(self, event: dg.DagsterEvent) -> None:
        step = event.step_key
        if event.is_step_start:
            self._show(f"[{self.done + 1:>{len(str(self.total))}}/{self.total}] {step} ... {self._elapsed()}")
        elif event.is_step_materialization:
            stage = self.stages.get(step, "other")
            self.assets.setdefault(stage, set()).add(event.asset_key)
            metadata = event.event_specific_data.materialization.metadata
            rows = metadata.get("dagster/row_count")
            if rows is not None:
                self.rows[stage] = self.rows.get(stage, 0) + int(rows.value)
                self._show(f"[{self.done + 1}/{self.total}] {step}: {int(rows.value):,} rows {self._elapsed()}")
        elif event.event_type_value == "ASSET_OBSERVATION":
            stage = self.stages.get(step, "other")
            self.assets.setdefault(stage, set()).add(event.asset_key)
        elif event.is_step_success or event.is_step_failure or event.is_step_skipped:
            self.done += 1
            stage = self.stages.get(step, "other")
            self.left[stage] = self.left.get(stage, 1) - 1
            self.failed[stage] = self.failed.get(stage, 0) + event.is_step_failure
            if self.left[stage] == 0:
                self._clear()
                count = len(self.assets.get(stage, ()))
                what = (f"{count} folder(s) observed" if stage == "raw" else
                        f"{count} asset(s), {self.rows.get(stage, 0):,} rows")
                if self.failed[stage]:
                    what += f", {self.failed[stage]} step(s) failed"
                print(f"[{self.done:>{len(str(self.total))}}/{self.total}] {stage:<10} {what:<36} {self._elapsed()}",
                      file=self.out, flush=True)

    def close(self) -> None:
        self._clear()
        self.out.flush()


def run_build(job_name: str, location_name: str, *, verbose: bool, started: float, warehouse_dir: Path,
              wait: bool = False, resources: dict[str, dict] | None = None,
              tags: dict[str, str] | None = None, full: bool = True) -> BuildOutcome:
    """Take the warehouse's build lock (waiting for another build with ``wait``, else raising
    :class:`~observatory.buildlock.BuildRunning` at once), create the run of ``job_name`` (every year, trigger
    ``cli``) on the instance at ``$DAGSTER_HOME`` and execute it here, showing progress; the events are kept for
    the summary.

    Unless ``full``, only what the nightly would find stale is run (:func:`pipelines.automation.plan_nightly`: a
    raw folder, a code file or a setting changed, a run did not publish, a database file is missing) with what
    follows from it; with nothing stale, no run is made and the outcome says why."""
    from pipelines.assets import RAW_FOLDERS
    from pipelines.automation import plan_nightly
    from pipelines.definitions import all_years_tags
    from pipelines.recovery import after_taking_lock, fail_dead_runs
    from pipelines.resources import Warehouse, default_warehouse

    lock = BuildLock(warehouse_dir)
    dead = lock.acquire("not yet created", "cli", wait_seconds=WAIT_SECONDS if wait else 0, on_wait=_say_waiting)
    try:
        with dg.DagsterInstance.get() as instance:
            # A run killed earlier (kill -9, power loss) would otherwise stay "started" for ever and hold the queue.
            for line in fail_dead_runs(instance) + after_taking_lock(instance, warehouse_dir, dead):
                print(f"Recovered: {line}.", flush=True)
            raw_dir = Path((resources or {}).get("warehouse", {}).get("raw_dir") or default_raw_dir())
            years = all_years_tags(instance, raw_dir)  # the years of the deliveries there now
            selection = None
            current = default_warehouse()
            warehouse = Warehouse(**{"raw_dir": current.raw_dir, "warehouse_dir": current.warehouse_dir,
                                     "population_source": current.population_source,
                                     **(resources or {}).get("warehouse", {})})
            if full:
                # The raw files a first build must hash, hashed at once: the run's observations then find them. A
                # folder that cannot be read is left to its observation, which names the problem in the run.
                with warehouse.remembered_checksums(), contextlib.suppress(InputError, OSError):
                    vintages.source_versions(warehouse.raw_path, RAW_FOLDERS.values())
            else:
                plan = plan_nightly(instance, warehouse)
                if not plan.reasons:
                    return BuildOutcome(run_id="", success=True, skipped=plan.skip_reason().skip_message)
                selection = plan.assets
                for line in stale_lines({k.to_user_string(): why for k, why in plan.reasons.items()}):
                    print(line, flush=True)
            run, recon_job, job = create_run(instance, job_name, location_name,
                                             {**years, TRIGGER_TAG: "cli", **(tags or {})}, verbose, resources,
                                             selection)
            lock.relabel(run.run_id)
            progress = None if verbose else Progress(stage_of_steps(job), started)
            outcome = BuildOutcome(run_id=run.run_id, success=False)
            try:
                for event in execute_run_iterator(recon_job, run, instance):
                    outcome.events.append(event)
                    if progress:
                        progress.event(event)
                    if event.is_step_materialization and event.asset_key == dg.AssetKey("observatory_database"):
                        rows = event.event_specific_data.materialization.metadata.get("rows")
                        outcome.published_rows = dict(rows.value) if rows is not None else {}
            finally:
                if progress:
                    progress.close()
            outcome.success = instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.SUCCESS
    finally:
        lock.release()
    return outcome


WAIT_SECONDS = 24 * 3600


def stale_lines(stale: dict[str, str], width: int = 110) -> list[str]:
    """What a build that is not ``--full`` rebuilds, by reason (the assets downstream of them follow); nothing when
    no asset was ever built."""
    if all(why.startswith("never built") for why in stale.values()):
        return []
    by_reason: dict[str, list[str]] = {}
    for asset, why in stale.items():
        by_reason.setdefault(why, []).append(asset)
    lines = ["Rebuilding what changed since the last publication, and what follows from it:"]
    for why, assets in by_reason.items():
        names = ", ".join(assets)
        lines.append(f"  {why}: {names if len(names) <= width else f'{len(assets)} assets'}")
    return lines


def _say_waiting(holder: Holder | None) -> None:
    print(f"Waiting for the build that holds the warehouse to end: {holder.describe() if holder else 'unknown'} ...",
          flush=True)


def rows_lines(rows: dict[str, int], width: int = 110) -> Iterable[str]:
    """The published tables and their rows, a few to a line; the label tables (``mart.dim_*``) together."""
    dims = {k: v for k, v in rows.items() if k.startswith("mart.dim_")}
    items = [f"{name} {count:,}" for name, count in rows.items() if name not in dims]
    if dims:
        items.append(f"mart.dim_* {sum(dims.values()):,} ({len(dims)} tables)")
    line = ""
    for item in items:
        if line and len(line) + 3 + len(item) > width:
            yield line
            line = ""
        line = f"{line} · {item}" if line else f"  {item}"
    if line:
        yield line

