"""The build job and the nightly that rebuilds only what is stale.

The nightly schedule decides, when it is evaluated, what to run; the run it requests observes the sources it reads
first, so every ingest materialisation records (Dagster's ``dagster/input_data_version/raw/...`` tag) the version of
the raw folder it was built from. An asset is stale when:

- it was never built (or a year partition of it is missing);
- it is an ingest asset and the version of its raw folder (``vintages.source_version``) is not the one recorded at
  its last materialisation (a new vintage, an edited file, a failed run that never got to build it);
- its code changed: the digest of the SQL, mapping and library files it runs (``pipelines.assets.CODE``,
  :mod:`observatory.codeversion`), computed from the files on disk when the nightly is evaluated, is not the code
  version Dagster recorded at its last materialisation (``dagster/code_version``); the reason names the files that
  changed, from the digests recorded with it (metadata ``code_files``). A corrected mapping row thus rebuilds the
  assets whose SQL reads that file, and what is downstream of them; ``nomenclatures_table`` (which loads every
  mapping file) is rebuilt too, but nothing follows from it, as each consumer loads the mapping tables again itself;
- it was built after the last publication: the run that built it did not publish (a failed step or blocking check,
  a partial rebuild from the UI), so it is redone with its checks before publishing;
- it was built with another setting (``population_source``, recorded in its metadata);
- the working or the published database file is missing.

The run then builds those assets and everything downstream of them, ``observatory_database`` last, in one run
(every year of a partitioned asset in that run, like the full build), then the report (``observatory_report``, which
reads the published database: it is not in ``ALL_ASSETS``, so it is added here; alone when it was written before
the last publication or its code changed). A night with nothing stale requests nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

from observatory import codeversion, vintages
from observatory.config import PUBLISHED_FILE_NAME, STAGING_FILE_NAME
from pipelines.assets import (
    ALL_ASSETS,
    CODE,
    CODE_FILES,
    RAW_FOLDERS,
    nomenclatures_table,
    observatory_database,
)
from pipelines.checks import ALL_CHECKS
from pipelines.fetching import fetch_sources
from pipelines.report import CODE as REPORT_CODE
from pipelines.report import observatory_report
from pipelines.resources import Warehouse
from pipelines.years import YEARS, describe_changes, sync_years, years_range

BUILD_JOB = "build_observatory"
TRIGGER_TAG = "observatory/trigger"
DATABASE = observatory_database.key
MAPPINGS = nomenclatures_table.key
REPORT = observatory_report.key
# Dagster records the asset's code version at the time on each materialisation.
CODE_VERSION_TAG = "dagster/code_version"
# Dagster records, on each materialisation, the data version of every upstream asset it read (here: the
# observation of the raw folder made earlier in the same run).
INPUT_VERSION_TAG = "dagster/input_data_version/"

# Every asset, the raw folders included: their observation runs first, so the build records what it read.
build_all = dg.define_asset_job(
    BUILD_JOB,
    # The exports are left out: they wait for the disclosure audit (issue 13), which the build does not run yet, so
    # they would fail every build. `observatory export` (or the asset in the UI) writes them when it has passed.
    selection=(dg.AssetSelection.assets(*RAW_FOLDERS) | dg.AssetSelection.all())
    - dg.AssetSelection.groups("exports"),
    description="Observe the raw folders, rebuild everything from them and publish observatory.duckdb atomically.",
)


_BUILT = [a for a in ALL_ASSETS if isinstance(a, dg.AssetsDefinition) and a.is_materializable]
_ORDER = {key: i for i, key in enumerate(k for a in _BUILT for k in a.keys)}  # ALL_ASSETS is in build order
_SPECS = {spec.key: spec for a in _BUILT for spec in a.specs}
# The assets built together with each asset of a multi-asset that cannot build a part of itself (mart_employment):
# a run selecting only one of them would be refused.
_TOGETHER = {key: set(a.keys) for a in _BUILT if not a.can_subset for key in a.keys}


@dataclass
class NightlyPlan:
    """What the nightly found: the version of each raw folder, the stale assets and why, and what to run."""

    versions: dict[dg.AssetKey, str]
    years: dict[str, str] = field(default_factory=dict)  # the range tags of every reference year
    reasons: dict[dg.AssetKey, str] = field(default_factory=dict)
    assets: list[dg.AssetKey] = field(default_factory=list)  # stale, downstream, and the sources they read
    checks: list[dg.AssetCheckKey] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def partitioned(self) -> bool:
        return any(key in _SPECS and _SPECS[key].partitions_def is not None for key in self.assets)

    def run_request(self) -> dg.RunRequest:
        return dg.RunRequest(asset_selection=self.assets, asset_check_keys=self.checks,
                             tags={TRIGGER_TAG: "nightly", **(self.years if self.partitioned else {})})

    def skip_reason(self) -> dg.SkipReason:
        versions = "; ".join(f"{k.to_user_string()} {v}" for k, v in self.versions.items())
        return dg.SkipReason(f"Nothing stale: every raw folder is as at the last build ({versions}), so is the "
                             "code, and the last build was published.")


def plan_nightly(instance: dg.DagsterInstance, warehouse: Warehouse) -> NightlyPlan:
    """Compare the raw folders and the warehouse with what the instance recorded; see the module docstring."""
    with warehouse.remembered_checksums():
        return _plan(instance, warehouse)


def _plan(instance: dg.DagsterInstance, warehouse: Warehouse) -> NightlyPlan:
    plan = NightlyPlan(versions=dict(zip(RAW_FOLDERS, vintages.source_versions(warehouse.raw_path,
                                                                               RAW_FOLDERS.values()), strict=True)))
    # A year dropped in (or removed) since the last evaluation is a partition (or no longer one) from now on.
    added, removed = sync_years(instance, warehouse.raw_path)
    if added or removed:
        plan.notes.append(f"reference years {describe_changes(added, removed)}")
    years = instance.get_dynamic_partitions(YEARS.name)
    plan.years = years_range(instance)
    if not years:
        plan.notes.append(f"no employment delivery in {warehouse.raw_path}: the yearly assets are not built")
    latest_storage_id: dict[dg.AssetKey, int] = {}
    digests: dict[codeversion.Code, dict[str, str]] = {}  # one reading of the files per declaration
    code_only: set[dg.AssetKey] = set()
    for key, spec in _SPECS.items():
        if spec.partitions_def and not years:
            continue  # no delivery, no year to build (noted above)
        partitions = sorted(years) if spec.partitions_def else [None]
        latest = {p: _latest_materialization(instance, key, p) for p in partitions}
        never = sorted(p or "" for p, record in latest.items() if record is None)
        if never:
            plan.reasons[key] = "never built" + (f" for {', '.join(never)}" if spec.partitions_def else "")
            continue
        latest_storage_id[key] = max(record.storage_id for record in latest.values())
        found = []
        for source in (d.asset_key for d in spec.deps if d.asset_key in RAW_FOLDERS):
            read = {record.asset_materialization.tags.get(INPUT_VERSION_TAG + source.to_user_string(), "unknown")
                    for record in latest.values()}
            if read != {plan.versions[source]}:
                found.append(f"{source.to_user_string()} is now {plan.versions[source]}, it was built from "
                             f"{', '.join(sorted(read))}")
        code = CODE[key]
        if code not in digests:
            digests[code] = code.digests()
        if changed := _code_change(digests[code], latest.values()):
            if not found:
                code_only.add(key)
            found.append(changed)
        if changed := _setting_change(warehouse, latest.values()):
            found.append(changed)
        if found:
            plan.reasons[key] = "; ".join(found)

    published = latest_storage_id.get(DATABASE)
    if published is not None:
        for key, storage_id in latest_storage_id.items():
            if storage_id > published and key not in plan.reasons:
                plan.reasons[key] = "built after the last publication (that run did not publish)"
        if not (warehouse.warehouse_path / PUBLISHED_FILE_NAME).exists() and DATABASE not in plan.reasons:
            plan.reasons[DATABASE] = f"{PUBLISHED_FILE_NAME} is missing"
    if latest_storage_id and not (warehouse.warehouse_path / STAGING_FILE_NAME).exists():
        # The staged tables are gone: building only part of the graph would fail on the missing ones.
        for key in _SPECS:
            plan.reasons.setdefault(key, f"{STAGING_FILE_NAME} is missing")

    if DATABASE not in plan.reasons and (why := _report_stale(instance, published)):
        plan.reasons[REPORT] = why
    if plan.reasons:
        # Nothing follows from the mapping table's own code change: its consumers register the mapping tables again
        # from the files, and those that read a changed file are stale themselves.
        roots = [key for key in plan.reasons if not (key == MAPPINGS and key in code_only) and key != REPORT]
        selected = dg.AssetSelection.assets(*roots).downstream().resolve(ALL_ASSETS) | (set(plan.reasons) - {REPORT})
        if together := {k for key in selected for k in _TOGETHER.get(key, ())} - selected:
            selected |= dg.AssetSelection.assets(*together).downstream().resolve(ALL_ASSETS)
        sources = {d.asset_key for key in selected for d in _SPECS[key].deps if d.asset_key in RAW_FOLDERS}
        plan.assets = [*(k for k in RAW_FOLDERS if k in sources), *sorted(selected, key=_ORDER.__getitem__)]
        # The report reads the published database: rewritten whenever it is republished.
        if DATABASE in selected or REPORT in plan.reasons:
            plan.assets.append(REPORT)
        plan.checks = [check for c in ALL_CHECKS for check in c.check_keys if check.asset_key in selected]
    return plan


def _report_stale(instance: dg.DagsterInstance, published: int | None) -> str | None:
    """Why the report (outside ALL_ASSETS) must be written again though the database is not republished: never
    written, written before the last publication (a run that published and did not write it), or its code changed."""
    record = _latest_materialization(instance, REPORT, None)
    if record is None:
        return "never built" if published is not None else None  # with no publication, the database is stale too
    if published is not None and record.storage_id < published:
        return "written before the last publication"
    return _code_change(REPORT_CODE.digests(), [record])


_UNFINISHED = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
               dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def _code_change(now: dict[str, str], records) -> str | None:
    """Why the files an asset runs are not those of its last materialisations (one per partition), or None."""
    version = codeversion.version(now)
    older = [r.asset_materialization for r in records if r.asset_materialization.tags.get(CODE_VERSION_TAG) != version]
    if not older:
        return None
    if any(CODE_FILES not in m.metadata for m in older):
        return "code changed: its last build recorded no code version"
    files = sorted({f for m in older for f in codeversion.changed(m.metadata[CODE_FILES].value, now)})
    return f"code changed: {', '.join(files)}" if files else "code changed: another code version"


# The settings an asset records in its metadata (pipelines.assets) and the resource's value of each: a build with
# another setting (OBSERVATORY_POPULATION_SOURCE=national after eurostat) is not "nothing new".
SETTINGS = {"population_setting": lambda warehouse: warehouse.population_setting}


def _setting_change(warehouse: Warehouse, records) -> str | None:
    for name, current in SETTINGS.items():
        recorded = {r.asset_materialization.metadata[name].value for r in records
                    if name in r.asset_materialization.metadata}
        if recorded and recorded != {current(warehouse)}:
            return f"{name} is now {current(warehouse)}, it was built with {', '.join(sorted(map(str, recorded)))}"
    return None


def _latest_materialization(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str | None):
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition else None), limit=1).records
    return records[0] if records else None


def _request_what_is_stale(instance: dg.DagsterInstance, log, warehouse: Warehouse) -> dg.RunRequest | dg.SkipReason:
    busy = instance.get_runs(dg.RunsFilter(job_name=BUILD_JOB, statuses=_UNFINISHED), limit=1)
    if busy:
        # Its half-done assets would look stale; what it leaves stale is seen on the next evaluation.
        return dg.SkipReason(f"build run {busy[0].run_id} is {busy[0].status.value.lower()}: nothing requested")
    plan = plan_nightly(instance, warehouse)
    for note in plan.notes:
        log.info(note)
    if not plan.reasons:
        return plan.skip_reason()
    for key, reason in plan.reasons.items():
        log.info(f"stale: {key.to_user_string()}: {reason}")
    return plan.run_request()


NIGHTLY_DESCRIPTION = ("Every night at 02:30 Paris time, rebuild what is stale (a raw folder changed, the SQL, mapping "
                       "or library files an asset runs changed, a failed or partial run left assets unpublished, a "
                       "database file is missing) and everything downstream, then publish observatory.duckdb. Skips "
                       "when nothing changed.")


@dg.schedule(job=build_all, cron_schedule="30 2 * * *", execution_timezone="Europe/Paris",
             default_status=dg.DefaultScheduleStatus.RUNNING, description=NIGHTLY_DESCRIPTION)
def nightly_refresh(context: dg.ScheduleEvaluationContext, warehouse: Warehouse) -> dg.RunRequest | dg.SkipReason:
    """Every night at 02:30 Paris time, rebuild what is stale — the assets whose raw folder changed (a new vintage
    fetched, a delivery dropped in), those whose code changed (a corrected SQL or mapping file), those a failed or
    partial run left unpublished, and everything downstream — and publish. Skips when nothing changed."""
    return _request_what_is_stale(context.instance, context.log, warehouse)


@dg.run_status_sensor(name="build_after_fetch", run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[fetch_sources],
                      request_job=build_all, default_status=dg.DefaultSensorStatus.RUNNING,
                      description="When a fetch_sources run succeeds, rebuild at once what its new vintages made "
                                  "stale, and publish. Requests nothing when the fetch found nothing new.")
def build_after_fetch(context: dg.RunStatusSensorContext, warehouse: Warehouse) -> dg.RunRequest | dg.SkipReason:
    """When a fetch succeeds, rebuild at once what its new vintages made stale, rather than at the next 02:30 (a
    fetch still running then would otherwise wait a whole day). A fetch that found nothing new requests nothing."""
    return _request_what_is_stale(context.instance, context.log, warehouse)
