"""Alert on a failed run: a clear message in the sensor's log and, when ``OBSERVATORY_ALERT_WEBHOOK_URL`` is set,
a JSON POST to that webhook (``text`` holds the whole message, the other fields the details)."""

from __future__ import annotations

import os
import re

import dagster as dg

from observatory import alerts
from observatory.config import PUBLISHED_FILE_NAME

# Dagster prefixes an error with its exception's qualified class name; the message alone is what analysts need.
_EXCEPTION_PREFIX = re.compile(r"^[\w.]+(Error|Exception|Failure): ")


def failure_report(context: dg.RunFailureSensorContext) -> dict:
    """The job, run id and trigger, each failed step with its error, and each failed blocking check."""
    run = context.dagster_run
    steps = []
    for event in context.get_step_failure_events():
        data = event.step_failure_data
        text = (data.user_failure_data.description if data.user_failure_data else None) or (
            data.error.message if data.error else "failed")
        steps.append({"step": event.step_key, "error": _EXCEPTION_PREFIX.sub("", text.strip())})
    checks = []
    for record in context.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.get_dagster_event().event_specific_data
        if not evaluation.passed and evaluation.blocking:
            checks.append({"asset": evaluation.asset_key.to_user_string(), "check": evaluation.check_name,
                           "description": evaluation.description or ""})
    trigger = run.tags.get("observatory/trigger", "manual")
    lines = [f"DESIR observatory: run {run.run_id} of job {run.job_name} failed (trigger: {trigger})."]
    lines += [f"- step {s['step']}: {s['error']}" for s in steps]
    lines += [f"- blocking check {c['asset']}/{c['check']} failed: {c['description']}" for c in checks]
    if not steps and not checks:
        lines.append(f"- {context.failure_event.message}")
    if run.job_name == "build_observatory":
        lines.append(f"The published {PUBLISHED_FILE_NAME} is unchanged: only a successful run replaces it.")
    return {"text": "\n".join(lines), "job": run.job_name, "run_id": run.run_id, "trigger": trigger,
            "failed_steps": steps, "failed_blocking_checks": checks}


@dg.run_failure_sensor(name="alert_on_run_failure", default_status=dg.DefaultSensorStatus.RUNNING)
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
