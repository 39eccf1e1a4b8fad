"""Runs succeed under every launcher, not only `observatory build`: a real dagster-webserver and dagster-daemon on
127.0.0.1, the project's dagster.yaml (queued runs, one at a time), a temporary warehouse, and the runs launched as
the UI and the daemon launch them — the job from its page, a backfill of every partition, the nightly schedule.

They take a few minutes (each run is a process that loads the code location; the backfill daemon ticks every 30 s).
Deselect them while developing with ``pytest -m "not launchers"``; CI runs them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from observatory import cli
from observatory.config import PROJECT_ROOT, PUBLISHED_FILE_NAME, STAGING_FILE_NAME
from observatory.sources import reference_years
from pipelines.assets import ALL_ASSETS
from pipelines.automation import BUILD_JOB, TRIGGER_TAG

pytestmark = pytest.mark.launchers

SAMPLE = PROJECT_ROOT / "data" / "raw"
YEARS = [str(y) for y in reference_years(SAMPLE)]  # what `observatory ui` makes the year partitions
LOCATION = "observatory"  # [tool.dagster] code_location_name in pyproject.toml
REPOSITORY = "__repository__"  # the repository Dagster makes of a Definitions object
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
RUN_TIMEOUT = 240  # seconds for one run to be dequeued, load the code location and build the sample (~30 s)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(what: str, probe: Callable[[], object], timeout: float, logs: Callable[[], str], every: float = 1.0):
    """``probe()``'s first truthy value, polled until ``timeout`` seconds; else fail with the servers' logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")


@dataclass
class DagsterServers:
    """A dagster-webserver and a dagster-daemon over one temporary DAGSTER_HOME and warehouse."""

    url: str
    warehouse: Path
    log_dir: Path

    def graphql(self, query: str, **variables) -> dict:
        request = urllib.request.Request(f"{self.url}/graphql", data=json.dumps(
            {"query": query, "variables": variables}).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.load(response)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def logs(self, lines: int = 40) -> str:
        out = []
        for path in sorted(self.log_dir.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name} (last {len(tail)} lines)\n" + "\n".join(tail))
        return "\n".join(out)

    def run_status(self, run_id: str) -> str:
        data = self.graphql("query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }", id=run_id)
        return data["runOrError"]["status"]

    def wait_for_run(self, run_id: str, timeout: float = RUN_TIMEOUT) -> str:
        status = _wait_for(f"run {run_id} to finish", lambda: (s := self.run_status(run_id)) in FINISHED and s,
                           timeout, self.logs, every=2.0)
        if status != "SUCCESS":
            pytest.fail(f"run {run_id} ended {status}:\n{self.run_errors(run_id)}\n{self.logs()}")
        return status

    def run_errors(self, run_id: str) -> str:
        """The failure messages of a run's event log (what the UI shows on the run's page)."""
        data = self.graphql("""query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {
            __typename ... on MessageEvent { message level } ... on ExecutionStepFailureEvent { stepKey
            error { message } } } } } }""", id=run_id)
        events = data["logsForRun"].get("events", [])
        return "\n".join(f"{e.get('stepKey', '')}: {e['error']['message'] if e.get('error') else e.get('message')}"[:2000]
                         for e in events if e.get("level") == "ERROR" or e.get("error"))

    def wait_until_idle(self) -> None:
        """No run queued or running: the next case starts from a quiet instance."""
        query = """{ runsOrError(filter: {statuses: [QUEUED, NOT_STARTED, STARTING, STARTED, CANCELING]}) {
            ... on Runs { results { runId } } } }"""
        _wait_for("the run queue to empty", lambda: not self.graphql(query)["runsOrError"]["results"], RUN_TIMEOUT,
                  self.logs, every=2.0)


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    # A session of its own: the whole tree (the servers' code-server and run subprocesses) is stopped at the end.
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _sample_with_sirene_vintages(raw: Path) -> Path:
    """The sample, with its SIRENE stock as two fetched vintages (the end of 2023 and of 2024: the same files with
    another reference period), so that the runs launched here stage an older registry vintage in their step
    process (the registry time series)."""
    shutil.copytree(SAMPLE, raw)
    folder = raw / "fr" / "sirene"
    files = [p for p in folder.iterdir() if p.is_file()]
    for vintage, period in (("2024-01-05", "2023-12-31"), ("2025-01-03", "2024-12-31")):
        (folder / vintage).mkdir()
        for path in files:
            text = path.read_bytes()
            if path.name.endswith(".origin.json"):
                text = text.replace(b'"reference_period": "2024-12-31"', f'"reference_period": "{period}"'.encode())
            (folder / vintage / path.name).write_bytes(text)
    for path in files:
        path.unlink()
    return raw


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[DagsterServers]:
    root = tmp_path_factory.mktemp("launchers")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    warehouse = root / "warehouse"
    raw = _sample_with_sirene_vintages(root / "raw")
    log_dir = root / "logs"
    log_dir.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        # What `observatory ui` does (its own helper), with DAGSTER_HOME in the temporary folder; every variable it
        # touches is put back as it was after the module.
        for name in ("DAGSTER_HOME", "OBSERVATORY_DAGSTER_STORAGE", "OBSERVATORY_DAGSTER_LOGS", "OBSERVATORY_RAW_DIR",
                     "OBSERVATORY_WAREHOUSE_DIR", "OBSERVATORY_POPULATION_SOURCE"):
            patch.delenv(name, raising=False)
        patch.setenv("DAGSTER_HOME", str(home))
        cli._dagster_environment(raw, warehouse)
        cli._sync_reference_years(raw)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                                         os.environ.get("PYTHONPATH")]))}
    port = _free_port()
    # No -m / -w: run from the project folder, both load the code location named in pyproject.toml ([tool.dagster]).
    processes = [
        _start([sys.executable, "-m", "dagster_webserver", "-h", "127.0.0.1", "-p", str(port)], env,
               log_dir / "webserver.log"),
        _start([sys.executable, "-m", "dagster._daemon", "run"], env, log_dir / "daemon.log"),
    ]
    try:
        found = DagsterServers(url=f"http://127.0.0.1:{port}", warehouse=warehouse, log_dir=log_dir)
        _wait_for("the webserver to load the code location", lambda: _location_loaded(found), 180, found.logs)
        _wait_for("the daemon's heartbeat", lambda: _daemon_alive(found), 180, found.logs, every=2.0)
        yield found
    finally:
        for process in processes:
            _stop(process)


def _location_loaded(servers: DagsterServers) -> bool:
    try:
        data = servers.graphql("""{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
            locationOrLoadError { __typename ... on PythonError { message } } } } } }""")
    except OSError:
        return False  # not listening yet
    entries = {e["name"]: e for e in data["workspaceOrError"]["locationEntries"]}
    entry = entries.get(LOCATION)
    assert entry is not None, f"code location {LOCATION!r} not found; the workspace has {sorted(entries)}"
    if entry["loadStatus"] != "LOADED":
        return False
    loaded = entry["locationOrLoadError"]
    assert loaded["__typename"] == "RepositoryLocation", loaded
    return True


def _daemon_alive(servers: DagsterServers) -> bool:
    data = servers.graphql("""{ instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }""")
    statuses = {d["daemonType"]: d for d in data["instance"]["daemonHealth"]["allDaemonStatuses"]}
    return all(statuses[name]["healthy"] for name in ("QUEUED_RUN_COORDINATOR", "BACKFILL", "SCHEDULER"))


def _published_run(warehouse: Path) -> str:
    """The run id recorded in the published database's meta.release."""
    con = duckdb.connect(str(warehouse / PUBLISHED_FILE_NAME), read_only=True)
    try:
        return con.execute("SELECT dagster_run_id FROM meta.release").fetchone()[0]
    finally:
        con.close()


def _selector(**extra) -> dict:
    return {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "pipelineName": BUILD_JOB, **extra}


LAUNCH = """mutation($executionParams: ExecutionParams!) { launchPipelineExecution(executionParams: $executionParams) {
    __typename ... on LaunchRunSuccess { run { runId status } } ... on PythonError { message stack }
    ... on RunConfigValidationInvalid { errors { message } } ... on InvalidSubsetError { message } } }"""


def _launched_run_id(data: dict) -> str:
    result = data["launchPipelineExecution"]
    assert result["__typename"] == "LaunchRunSuccess", result
    # Queued, as with the project's dagster.yaml: the daemon's run queue starts it, one run at a time.
    assert result["run"]["status"] == "QUEUED", result
    return result["run"]["runId"]


def test_the_job_launched_from_the_ui_publishes(servers):
    # The build_observatory page's "Materialize all", every year as a single run: the UI sends the job's selector
    # and the partition range as tags.
    years = YEARS
    tags = [{"key": "dagster/asset_partition_range_start", "value": years[0]},
            {"key": "dagster/asset_partition_range_end", "value": years[-1]}]
    run_id = _launched_run_id(servers.graphql(LAUNCH, executionParams={
        "selector": _selector(), "runConfigData": {}, "executionMetadata": {"tags": tags}}))
    assert servers.wait_for_run(run_id) == "SUCCESS"
    assert _published_run(servers.warehouse) == run_id


def test_a_backfill_of_every_partition_succeeds(servers):
    servers.wait_until_idle()
    # The backfill dialog of "Materialize all", every partition chosen: the materialisable assets and the years.
    assets = [{"path": list(key.path)} for a in ALL_ASSETS if getattr(a, "is_materializable", False) for key in a.keys]
    data = servers.graphql("""mutation($backfillParams: LaunchBackfillParams!) {
        launchPartitionBackfill(backfillParams: $backfillParams) { __typename ... on LaunchBackfillSuccess { backfillId }
        ... on PythonError { message stack } ... on UnauthorizedError { message } } }""", backfillParams={
        "assetSelection": assets, "partitionNames": YEARS, "fromFailure": False, "tags": []})
    result = data["launchPartitionBackfill"]
    assert result["__typename"] == "LaunchBackfillSuccess", result
    backfill_id = result["backfillId"]

    def finished() -> str | None:
        backfill = servers.graphql("""query($id: String!) { partitionBackfillOrError(backfillId: $id) {
            ... on PartitionBackfill { status } } }""", id=backfill_id)["partitionBackfillOrError"]
        return backfill["status"] if backfill["status"] not in ("REQUESTED", "CANCELING") else None

    status = _wait_for(f"backfill {backfill_id}", finished, 3 * RUN_TIMEOUT, servers.logs, every=3.0)
    runs = servers.graphql("""query($id: String!) { runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]})
        { ... on Runs { results { runId status } } } }""", id=backfill_id)["runsOrError"]["results"]
    failed = {r["runId"]: r["status"] for r in runs if r["status"] != "SUCCESS"}
    assert not failed, "\n".join(f"{run} {s}:\n{servers.run_errors(run)}" for run, s in failed.items())
    assert status == "COMPLETED_SUCCESS" and runs, (status, runs)
    assert _published_run(servers.warehouse) in {r["runId"] for r in runs}


def test_the_nightly_request_is_launched_by_the_daemon_and_publishes(servers):
    servers.wait_until_idle()
    # Without the working database every asset is stale: the nightly asks for the whole graph.
    for name in (STAGING_FILE_NAME, PUBLISHED_FILE_NAME):
        (servers.warehouse / name).unlink(missing_ok=True)
    # The schedule's "Test schedule" evaluation (a dry run of the schedule function in the code server) ...
    schedule = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "scheduleName": "nightly_refresh"}
    data = servers.graphql("""mutation($selector: ScheduleSelector!, $timestamp: Float) {
        scheduleDryRun(selectorData: $selector, timestamp: $timestamp) { __typename ... on DryRunInstigationTick {
        evaluationResult { skipReason error { message } runRequests { tags { key value } runConfigYaml
        assetSelection { path } assetChecks { name assetKey { path } } } } } ... on PythonError { message } } }""",
                           selector=schedule, timestamp=time.time())
    evaluation = data["scheduleDryRun"]["evaluationResult"]
    assert evaluation["error"] is None and evaluation["skipReason"] is None, evaluation
    [request] = evaluation["runRequests"]
    tags = {t["key"]: t["value"] for t in request["tags"]}
    assert tags[TRIGGER_TAG] == "nightly"
    assert {"dagster/asset_partition_range_start", "dagster/asset_partition_range_end"} <= set(tags)
    assert request["assetChecks"], "the nightly runs the checks of what it rebuilds"
    # ... and its request launched as the scheduler launches it: queued, then started by the daemon's run queue.
    run_id = _launched_run_id(servers.graphql(LAUNCH, executionParams={
        "selector": _selector(assetSelection=request["assetSelection"],
                              assetCheckSelection=[{"name": c["name"], "assetKey": c["assetKey"]}
                                                   for c in request["assetChecks"]]),
        "runConfigData": request["runConfigYaml"],
        "executionMetadata": {"tags": [*request["tags"], {"key": "dagster/schedule_name", "value": "nightly_refresh"}]},
    }))
    assert servers.wait_for_run(run_id) == "SUCCESS"
    assert _published_run(servers.warehouse) == run_id
    # The step process read the older SIRENE vintage too: each is a year of mart.establishments.
    con = duckdb.connect(str(servers.warehouse / PUBLISHED_FILE_NAME), read_only=True)
    try:
        years = con.execute("SELECT DISTINCT year, snapshot_date::VARCHAR FROM mart.establishments "
                            "WHERE country = 'FR' ORDER BY 1").fetchall()
    finally:
        con.close()
    assert years == [(2023, "2023-12-31"), (2024, "2024-12-31")]
