"""A failed run is written to <warehouse>/alerts/alerts.log and POSTed to the webhook; a webhook
that is down never breaks the sensor. The failure is real: the job runs on a working DuckDB file
that is not a database, and the sensor is evaluated against that run in the instance's storage."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    asset,
    asset_check,
    build_run_status_sensor_context,
    build_sensor_context,
)

from orchestration.alerts import alert_log_path, run_failure_alerts
from orchestration.definitions import defs
from orchestration.pipeline import run_pipeline

pytestmark = pytest.mark.integration


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts", Receiver.received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_failed_run_is_logged_and_posted_and_a_dead_webhook_is_survived(workspace, webhook,
                                                                         monkeypatch):
    url, received = webhook
    monkeypatch.setenv("KYLUAT_ALERT_WEBHOOK", url)
    monkeypatch.setenv("KYLUAT_ALERT_TIMEOUT", "5")
    instance = DagsterInstance.get()
    repository = defs.get_repository_def()

    # The daemon's first tick only sets the cursor; later ticks see runs that failed since.
    first = build_sensor_context(instance=instance, repository_def=repository,
                                 sensor_name="run_failure_alerts")
    run_failure_alerts.evaluate_tick(first)

    workspace.working_db.write_bytes(b"this is not a DuckDB file" * 100)
    outcome = run_pipeline()
    assert not outcome.success and not outcome.published
    assert outcome.step_failures and outcome.step_failures[0].startswith("submitted_files")

    later = build_sensor_context(instance=instance, repository_def=repository,
                                 sensor_name="run_failure_alerts", cursor=first.cursor)
    run_failure_alerts.evaluate_tick(later)

    lines = alert_log_path(workspace).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    alert = json.loads(lines[0])
    assert alert["run_id"] == outcome.run_id
    assert alert["job"] == "refresh_warehouse"
    assert alert["failed_step"] == "submitted_files"
    assert "not a valid DuckDB database file" in alert["reason"]
    assert alert["time"].endswith("+07:00")
    assert received == [("application/json; charset=utf-8", alert)]

    # The same tick again finds nothing new: each failure is reported once.
    again = build_sensor_context(instance=instance, repository_def=repository,
                                 sensor_name="run_failure_alerts", cursor=later.cursor)
    run_failure_alerts.evaluate_tick(again)
    assert len(alert_log_path(workspace).read_text(encoding="utf-8").splitlines()) == 1

    # A webhook nobody listens on: the sensor logs a warning, writes the line, does not raise.
    monkeypatch.setenv("KYLUAT_ALERT_WEBHOOK", f"http://127.0.0.1:{closed_port()}/down")
    run_failure_alerts(failure_context(instance, outcome.run_id))
    lines = alert_log_path(workspace).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["run_id"] == outcome.run_id
    assert len(received) == 1



def failure_context(instance, run_id):
    failure = instance.all_logs(run_id, of_type=DagsterEventType.RUN_FAILURE)[0].dagster_event
    return build_run_status_sensor_context(
        sensor_name="run_failure_alerts", dagster_event=failure, dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run_id)).for_run_failure()


def test_a_failed_blocking_check_is_named_in_the_alert(workspace):
    """Which check failed, on which asset, and its description (here a two-step job whose
    blocking check fails, as ge_* checks do on bad data)."""
    @asset(key=["marts", "tiny"])
    def tiny():
        return 1

    @asset_check(asset=tiny, blocking=True)
    def tiny_is_never_empty():
        return AssetCheckResult(passed=False, severity=AssetCheckSeverity.ERROR,
                                description="0 rows in marts.tiny")

    job = Definitions(assets=[tiny], asset_checks=[tiny_is_never_empty]
                      ).resolve_implicit_global_asset_job_def()
    instance = DagsterInstance.get()
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    run_failure_alerts(failure_context(instance, result.run_id))
    alert = json.loads(alert_log_path(workspace).read_text(encoding="utf-8"))
    assert alert["failed_step"] == "marts__tiny_tiny_is_never_empty"
    assert alert["failed_checks"] == [{"asset": "marts/tiny", "check": "tiny_is_never_empty",
                                       "severity": "ERROR", "description": "0 rows in marts.tiny"}]
    assert alert["reason"] == "tiny_is_never_empty failed on marts/tiny: 0 rows in marts.tiny"
