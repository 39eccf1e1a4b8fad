"""The build lock of a warehouse: one holder at a time, released by the kernel when its process dies, and the
record that lets the next holder name the run that died. Runs of the code location use it through the resource."""

from __future__ import annotations

import errno
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import pytest

from observatory.buildlock import (
    LOCK_FILE_NAME,
    BuildLock,
    BuildRunning,
    held_here,
    process_identity,
    process_is_dead,
)
from observatory.errors import environment_problem, step_failure
from pipelines.recovery import PROCESS_TAG, fail_dead_runs
from pipelines.resources import Warehouse

HOLD_IN_A_CHILD = """
import sys, time
from pathlib import Path
from observatory.buildlock import BuildLock
lock = BuildLock(Path(sys.argv[1]))
lock.acquire("run-of-the-child", "test")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
lock.release()
"""


def _child_holding(warehouse: Path, seconds: float = 600) -> subprocess.Popen:
    """Another process holding the lock of ``warehouse`` for ``seconds`` (a lock held by this process would be
    taken for the lock of `observatory build` running its own run here)."""
    child = subprocess.Popen([sys.executable, "-c", HOLD_IN_A_CHILD, str(warehouse), str(seconds)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_holder_is_refused_with_the_first_named(tmp_path):
    first = BuildLock(tmp_path)
    assert first.acquire("run-1", "cli") is None
    try:
        with pytest.raises(BuildRunning) as refused:
            BuildLock(tmp_path).acquire("run-2", "nightly")
        message = str(refused.value)
        assert "\n" not in message and "run run-1 (cli)" in message and str(tmp_path) in message
        assert BuildLock(tmp_path).holder().run_id == "run-1"
    finally:
        first.release()
    assert BuildLock(tmp_path).holder() is None
    assert (tmp_path / LOCK_FILE_NAME).read_text() == ""  # a clean end leaves no record


def test_a_waiting_holder_gets_the_lock_when_the_first_ends(tmp_path):
    first = BuildLock(tmp_path)
    first.acquire("run-1", "cli")
    seen = []
    threading.Timer(0.5, first.release).start()
    second = BuildLock(tmp_path)
    assert second.acquire("run-2", "nightly", wait_seconds=60, on_wait=seen.append, poll_seconds=0.05) is None
    second.release()
    assert [h.run_id for h in seen] == ["run-1"]


def test_a_killed_holder_frees_the_lock_and_leaves_its_record(tmp_path):
    child = _child_holding(tmp_path)
    with pytest.raises(BuildRunning):
        BuildLock(tmp_path).acquire("run-2", "cli")
    identity = json.loads((tmp_path / LOCK_FILE_NAME).read_text())["process"]
    assert not process_is_dead(identity)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert process_is_dead(identity)
    lock = BuildLock(tmp_path)
    dead = lock.acquire("run-2", "cli")  # at once: the kernel dropped the dead process's lock
    lock.release()
    assert dead is not None and dead.run_id == "run-of-the-child" and dead.process == identity


def test_a_process_is_judged_dead_only_when_it_surely_is():
    assert not process_is_dead(process_identity())
    host, pid, start = process_identity().split(":")
    assert not process_is_dead(f"another-host:{pid}:{start}")  # another machine: not ours to judge
    assert process_is_dead(f"{host}:{pid}:{int(start) + 1}" if start else f"{host}:999999999:")  # pid reused


def _instance(tmp_path: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.ephemeral(tempdir=str(tmp_path / "dagster"))


def test_runs_whose_process_died_are_marked_failed(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with _instance(tmp_path) as instance:
        dead = instance.create_run_for_job(job, tags={PROCESS_TAG: process_identity(child.pid)})
        alive = instance.create_run_for_job(job, tags={PROCESS_TAG: process_identity()})
        for run in (dead, alive):
            instance.handle_run_event(run.run_id, dg.DagsterEvent(
                event_type_value=dg.DagsterEventType.RUN_START.value, job_name=run.job_name))
        [line] = fail_dead_runs(instance)
        assert dead.run_id in line and f"process {child.pid} died" in line
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED
        assert fail_dead_runs(instance) == []


@dg.op
def nothing() -> None:
    pass


@dg.job
def job() -> None:
    nothing()


@dg.asset
def touches_the_warehouse(warehouse: Warehouse) -> None:
    with warehouse.connect() as con:
        con.execute("CREATE OR REPLACE TABLE t AS SELECT 1 AS x")


def test_a_run_waits_for_the_build_that_holds_the_warehouse_or_says_who_it_is(tmp_path):
    child = _child_holding(tmp_path)
    try:
        refused = dg.materialize([touches_the_warehouse], raise_on_error=False, resources={
            "warehouse": Warehouse(raw_dir=str(tmp_path), warehouse_dir=str(tmp_path), lock_wait_seconds=0)})
    finally:
        child.kill()
        child.wait()
    assert not refused.success
    [failure] = [e for e in refused.all_events if e.is_step_failure]
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith(f"a build is running in {tmp_path}: run run-of-the-child (test)")

    child = _child_holding(tmp_path, seconds=5)  # longer than the run takes to reach its step
    waited = dg.materialize([touches_the_warehouse], resources={
        "warehouse": Warehouse(raw_dir=str(tmp_path), warehouse_dir=str(tmp_path), lock_wait_seconds=120)})
    assert child.wait() == 0 and waited.success
    assert held_here(tmp_path) is None and BuildLock(tmp_path).holder() is None  # released at the end of the run


def test_a_damaged_working_database_is_moved_aside_and_the_run_starts_afresh(tmp_path):
    (tmp_path / "staging.duckdb").write_bytes(b"not a database" * 1000)
    result = dg.materialize([touches_the_warehouse], resources={
        "warehouse": Warehouse(raw_dir=str(tmp_path), warehouse_dir=str(tmp_path))})
    assert result.success
    [aside] = tmp_path.glob("staging.duckdb.damaged-*")
    assert aside.read_bytes().startswith(b"not a database")


@pytest.mark.parametrize(("error", "expected"), [
    (OSError(28, "No space left on device", "/data/warehouse/staging.duckdb.wal"),
     "disk full at /data/warehouse/staging.duckdb.wal: No space left on device"),
    (RuntimeError('IO Error: Could not write file "/w/staging.duckdb": No space left on device'),
     'disk full at /w/staging.duckdb: IO Error: Could not write file "/w/staging.duckdb": No space left on device'),
    (RuntimeError('IO Error: Cannot open file "/w/staging.duckdb": Read-only file system'),
     'read-only file system at /w/staging.duckdb: IO Error: Cannot open file "/w/staging.duckdb": Read-only file '
     'system'),
    (PermissionError(13, "Permission denied", "/w/observatory.duckdb"),
     "permission denied at /w/observatory.duckdb: Permission denied"),
    (RuntimeError("(sqlite3.OperationalError) database or disk is full"),
     "disk full: (sqlite3.OperationalError) database or disk is full"),
    # Seen in CI when a rebuild filled a 96 MB disk: Dagster reading its run back at the end of the run.
    (RuntimeError('(sqlite3.OperationalError) disk I/O error\n[SQL: PRAGMA main.table_xinfo("runs")]'),
     "disk I/O error (a full disk, or a failing one): (sqlite3.OperationalError) disk I/O error"),
])
def test_failures_of_the_machine_are_named_with_their_path(error, expected):
    assert environment_problem(error).line() == expected


def test_an_input_error_is_not_taken_for_a_failure_of_the_machine():
    assert environment_problem(ValueError("line 5, column POSTES: a negative count")) is None


@dg.asset
def fills_the_disk(warehouse: Warehouse) -> None:
    with warehouse.connect():
        raise OSError(errno.ENOSPC, "No space left on device", str(warehouse.warehouse_path / "staging.duckdb.wal"))


def test_a_full_disk_inside_a_step_is_its_failure_line_and_metadata(tmp_path):
    result = dg.materialize([fills_the_disk], raise_on_error=False, resources={
        "warehouse": Warehouse(raw_dir=str(tmp_path), warehouse_dir=str(tmp_path))})
    [event] = [e for e in result.all_events if e.is_step_failure]
    wal = tmp_path / "staging.duckdb.wal"
    assert step_failure(event).summary() == f"- step fills_the_disk: disk full at {wal}: No space left on device"
    metadata = {k: v.value for k, v in event.step_failure_data.user_failure_data.metadata.items()}
    assert metadata == {"cause": "disk full", "path": str(wal), "detail": "No space left on device"}


def test_a_build_refused_in_the_moment_the_other_takes_the_lock_still_names_it(tmp_path):
    # The holder writes its record just after taking the lock: a second build refused in between (seen in the
    # concurrent-build fault test under load) must still name it, not "a process that has not yet said".
    import fcntl
    import os

    from observatory.buildlock import LOCK_FILE_NAME, Holder

    lock_path = tmp_path / LOCK_FILE_NAME
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # taken, no record yet
    record = Holder(run_id="run-a", launched_by="cli", started_at="2026-12-04T01:00:00+00:00", process="h:42:1")
    writer = threading.Timer(0.3, lambda: os.pwrite(fd, json.dumps(record.__dict__).encode(), 0))
    writer.start()
    try:
        with pytest.raises(BuildRunning, match=r"a build is running in .*: run run-a \(cli\) started "):
            BuildLock(tmp_path).acquire("run-b", "cli")
    finally:
        writer.join()
        os.close(fd)
