"""Alert on a failed run: a clear message in the sensor's log and, when ``OBSERVATORY_ALERT_WEBHOOK_URL`` is set,
a JSON POST to that webhook (``text`` holds the whole message, the other fields the details)."""

from __future__ import annotations

import os

import dagster as dg

from observatory import alerts
from observatory.config import PUBLISHED_FILE_NAME
from observatory.errors import step_failure


def failure_report(context: dg.RunFailureSensorContext) -> dict:
    """The job, run id and trigger, each failed step with the root cause of its error (the exception's own message;
    for a bad input the file, line and column), and each failed blocking check."""
    run = context.dagster_run
    failures = [step_failure(event) for event in context.get_step_failure_events()]
    steps = [{"step": f.step, "error": f.message, "file": f.file, "line": f.line, "column": f.column} for f in failures]
    checks = []
    for record in context.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.get_dagster_event().event_specific_data
        if not evaluation.passed and evaluation.blocking:
            checks.append({"asset": evaluation.asset_key.to_user_string(), "check": evaluation.check_name,
                           "description": evaluation.description or ""})
    trigger = run.tags.get("observatory/trigger", "manual")
    lines = [f"DESIR observatory: run {run.run_id} of job {run.job_name} failed (trigger: {trigger})."]
    lines += [f.summary() for f in failures]
    lines += [f"- blocking check {c['asset']}/{c['check']} failed: {c['description']}" for c in checks]
    if not steps and not checks:
        lines.append(f"- {context.failure_event.message}")
    if run.job_name == "build_observatory":
        lines.append(f"The published {PUBLISHED_FILE_NAME} is unchanged: only a successful run replaces it.")
    return {"text": "\n".join(lines), "job": run.job_name, "run_id": run.run_id, "trigger": trigger,
            "failed_steps": steps, "failed_blocking_checks": checks}


@dg.run_failure_sensor(name="alert_on_run_failure", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="When any run of this code location fails, log its root cause (step, message, "
                                   "file, line, column) and post it to $OBSERVATORY_ALERT_WEBHOOK_URL when set.")
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    """When any run of this code location fails, log what failed and post it to ``$OBSERVATORY_ALERT_WEBHOOK_URL``
    when set. A webhook that cannot be reached is logged, never raised."""
    report = failure_report(context)
    context.log.error(report["text"])
    url = os.environ.get(alerts.WEBHOOK_ENV, "").strip()
    if url:
        problem = alerts.post_json(url, report, timeout=10.0)
        if problem:
            context.log.warning(f"the alert was not delivered: {problem}")
        else:
            context.log.info(f"alert posted to {alerts.safe_url(url)}")
