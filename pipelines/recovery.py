"""Runs whose process died (kill -9, out of memory, power loss) are marked failed, so they block nothing.

Such a run stays ``STARTED`` in Dagster's run storage forever: with one run at a time (dagster.yaml), the queue
would start nothing after it, and any concurrency slot it held would stay taken. Every run records the process
that executes it (tag ``observatory/process``, set by the ``warehouse`` resource); a run in progress whose process
no longer exists on this machine is marked failed, with the reason, and its slots freed. This happens at the start
of every run and of ``observatory build``, and every minute in the daemon (sensor ``recover_dead_runs``). The build
lock (``observatory/buildlock.py``) names the run that died holding it, which is failed the same way.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from observatory.buildlock import Holder, clear_work_area, process_is_dead

PROCESS_TAG = "observatory/process"
_IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def fail_run(instance: dg.DagsterInstance, run_id: str, why: str) -> str | None:
    """Mark ``run_id`` failed with ``why`` and free its concurrency slots, if it is still in progress; return the
    line that says so, or None when it had already ended."""
    run = instance.get_run_by_id(run_id)
    if run is None or run.status not in _IN_PROGRESS:
        return None
    message = f"Marked failed by the observatory: {why}."
    instance.report_run_failed(run, message=message)
    instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    return f"run {run_id} ({run.job_name}) was left in progress: {why}; marked failed"


def fail_dead_runs(instance: dg.DagsterInstance, exclude: str | None = None) -> list[str]:
    """Mark failed every run in progress whose recorded process is dead; one line per run."""
    lines = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=_IN_PROGRESS)):
        identity = run.tags.get(PROCESS_TAG)
        if run.run_id == exclude or not identity or not process_is_dead(identity):
            continue
        pid = identity.split(":")[1]
        line = fail_run(instance, run.run_id, f"its process {pid} died (killed, out of memory or power loss)")
        if line:
            lines.append(line)
    return lines


def after_taking_lock(instance: dg.DagsterInstance | None, warehouse_dir: Path, dead: Holder | None) -> list[str]:
    """What the new holder of the build lock cleans up: the run named by a record its dead holder left behind
    (failed, if still in progress) and what runs left in the work folder. One line per run failed."""
    lines = []
    if dead is not None and instance is not None:
        line = fail_run(instance, dead.run_id,
                        f"its process {dead.pid} died holding the build lock (killed, out of memory or power loss)")
        lines += [line] if line else []
    clear_work_area(warehouse_dir)
    return lines


@dg.sensor(name="recover_dead_runs", minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Every minute: mark failed the runs whose process died (kill -9, out of memory, power "
                       "loss), so the one-run-at-a-time queue goes on. Requests no run.")
def recover_dead_runs(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    """Every minute: mark failed the runs whose process died, so the one-run-at-a-time queue goes on."""
    lines = fail_dead_runs(context.instance)
    for line in lines:
        context.log.warning(line)
    return dg.SkipReason("; ".join(lines) if lines else "no run in progress has lost its process")
