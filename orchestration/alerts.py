"""Alerts: every failed run is written down, and sent on when a webhook is configured.

The run-failure sensor appends one JSON line per failed run to
`<KYLUAT_WAREHOUSE_DIR>/alerts/alerts.log`:

    {"time": "...+07:00", "run_id": "...", "job": "refresh_warehouse",
     "failed_step": "...", "failed_steps": [...], "failed_checks": [...], "reason": "...",
     "tags": {...}}

and, when `KYLUAT_ALERT_WEBHOOK` is set, POSTs the same object as JSON to that URL (timeout
`KYLUAT_ALERT_TIMEOUT` seconds, default 10). A webhook that is down or slow is logged as a
warning and never fails the sensor: the line in alerts.log is written first.

It watches every run of the instance (`monitor_all_code_locations`): runs launched by the
daemon and runs executed in-process by `kyluat run` / `make demo` alike.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dagster import (
    AssetCheckEvaluation,
    DagsterEventType,
    DefaultSensorStatus,
    RunFailureSensorContext,
    run_failure_sensor,
)

from kyluat.config import Settings, seconds_variable, url_variable
from orchestration.check_evaluations import check_outcome

ALERT_LOG = Path("alerts") / "alerts.log"
TIMEZONE = "Asia/Ho_Chi_Minh"
REASON_LIMIT = 2000


def alert_log_path(settings: Settings | None = None) -> Path:
    return (settings or Settings.from_env()).warehouse_dir / ALERT_LOG


def _innermost(error):
    while error is not None and error.cause is not None:
        error = error.cause
    return error


def _first_lines(text: str, lines: int = 3) -> str:
    return " ".join(line.strip() for line in text.strip().splitlines()[:lines] if line.strip())


def failure_record(context: RunFailureSensorContext) -> dict[str, Any]:
    """What failed, where and why, from the run's own event log."""
    run = context.dagster_run
    steps: list[str] = []
    step_errors: list[str] = []
    for event in context.get_step_failure_events():
        steps.append(event.step_key)
        error = _innermost(event.step_failure_data.error)
        if error is not None:
            step_errors.append(f"{event.step_key}: {_first_lines(error.message)}")
    checks = []
    for entry in context.instance.all_logs(run.run_id,
                                           of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        if isinstance(evaluation, AssetCheckEvaluation) and not (
                check := check_outcome(evaluation)).passed:
            checks.append({"asset": check.asset, "check": check.name,
                           "severity": check.severity, "description": check.description})
    if checks:
        reason = "; ".join(f"{c['check']} failed on {c['asset']}: {c['description']}"
                           for c in checks)
    elif step_errors:
        reason = "; ".join(step_errors)
    else:
        reason = _first_lines(context.failure_event.message or "run failed")
    record = context.instance.get_run_record_by_id(run.run_id)
    ended = (datetime.fromtimestamp(record.end_time, ZoneInfo(TIMEZONE))
             if record and record.end_time else datetime.now(ZoneInfo(TIMEZONE)))
    return {
        "time": ended.isoformat(timespec="seconds"),
        "run_id": run.run_id,
        "job": run.job_name,
        "failed_step": steps[0] if steps else None,
        "failed_steps": steps,
        "failed_checks": checks,
        "reason": reason[:REASON_LIMIT],
        "tags": {k: v for k, v in run.tags.items() if k.startswith(("kyluat/", "dagster/"))},
    }


def post_webhook(url: str, record: dict[str, Any], timeout: float) -> None:
    import urllib.request  # here: about 0.07 s of every run's start-up, needed only on failure

    request = urllib.request.Request(
        url, data=json.dumps(record, ensure_ascii=False).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "User-Agent": "kyluat-alerts"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


@run_failure_sensor(
    name="run_failure_alerts",
    monitor_all_code_locations=True,
    default_status=DefaultSensorStatus.RUNNING,
    description="Writes every failed run (time, run id, job, failed step, reason) as a JSON "
                "line to <warehouse>/alerts/alerts.log and POSTs it to KYLUAT_ALERT_WEBHOOK "
                "when that is set.",
)
def run_failure_alerts(context: RunFailureSensorContext) -> None:
    record = failure_record(context)
    path = alert_log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(record, ensure_ascii=False) + "\n")
    context.log.info(f"run {record['run_id']} failed at {record['failed_step']}: "
                     f"alert written to {path}")
    url = url_variable("KYLUAT_ALERT_WEBHOOK")
    if not url:
        return
    try:
        post_webhook(url, record, seconds_variable("KYLUAT_ALERT_TIMEOUT"))
    except Exception as exc:  # an alert channel that is down must not stop the sensor
        context.log.warning(f"alert webhook {url} failed: {type(exc).__name__}: {exc}")
