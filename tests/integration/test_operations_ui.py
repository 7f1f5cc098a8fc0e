"""The Dagster UI on this instance (`make ui`): the webserver loads the code location and its
GraphQL API lists the asset graph, the checks, the schedules and the sensors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kyluat.config import REPO_ROOT

pytestmark = pytest.mark.integration

STARTUP_SECONDS = 180  # the code location imports dbt and Great Expectations: slow on 2 cores

LOCATION_STATUS = """
{ workspaceOrError { ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { ... on PythonError { message } }
} } } }
"""

REPOSITORY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    name
    location { name }
    jobs { name }
    schedules { name cronSchedule executionTimezone pipelineName defaultStatus }
    sensors { name minIntervalSeconds targets { pipelineName } defaultStatus }
    assetNodes {
      assetKey { path }
      assetChecksOrError { ... on AssetChecks { checks { name blocking } } }
    }
} } } }
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body["errors"]
    return body["data"]


def wait_for_location(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, f"webserver exited: {log.read_text()[-3000:]}"
        try:
            entries = graphql(port, LOCATION_STATUS)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            entries = []
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            errors = [e["locationOrLoadError"] for e in entries if e["locationOrLoadError"]]
            assert not errors, errors
            return
        time.sleep(1)
    pytest.fail(f"the code location did not load in {STARTUP_SECONDS}s: {log.read_text()[-3000:]}")


def test_webserver_lists_assets_checks_schedules_and_sensors(workspace, tmp_path):
    port = free_port()
    log = tmp_path / "webserver.log"
    executable = Path(sys.executable).with_name("dagster-webserver")
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(executable), "-w", "workspace.yaml", "-h", "127.0.0.1",
             "-p", str(port)],
            cwd=REPO_ROOT, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group: the code server goes with it
    try:
        wait_for_location(port, server, log)
        [repository] = graphql(port, REPOSITORY)["repositoriesOrError"]["nodes"]
        welcome_dialog = graphql(port, "{ shouldShowNux }")["shouldShowNux"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)

    assert repository["location"]["name"] == "kyluat"  # workspace.yaml
    assert welcome_dialog is False  # dagster.yaml: nux disabled
    assert "refresh_warehouse" in {job["name"] for job in repository["jobs"]}

    assets = {"/".join(node["assetKey"]["path"]): node for node in repository["assetNodes"]}
    for key in ("raw/member_disciplines", "audit/file_registry", "marts/fct_member_discipline",
                "marts/rpt_published_reconciliation", "published/analytics"):
        assert key in assets
    checks = {check["name"]: check for node in assets.values()
              for check in (node["assetChecksOrError"] or {}).get("checks", [])}
    assert checks["ge_fct_member_discipline"]["blocking"]
    assert any(name.startswith("unique_combination") for name in checks)  # dbt tests

    schedules = {s["name"]: s for s in repository["schedules"]}
    assert set(schedules) == {"monthly_close", "quarterly_report", "six_month_report",
                              "nine_month_report", "annual_report"}
    for schedule in schedules.values():
        assert schedule["executionTimezone"] == "Asia/Ho_Chi_Minh"
        assert schedule["pipelineName"] == "refresh_warehouse"
        assert schedule["defaultStatus"] == "RUNNING"
    assert schedules["monthly_close"]["cronSchedule"] == "0 2 5 * *"

    sensors = {s["name"]: s for s in repository["sensors"]}
    assert sensors["landing_files"]["targets"] == [{"pipelineName": "refresh_warehouse"}]
    assert sensors["landing_files"]["minIntervalSeconds"] == 30
    assert "run_failure_alerts" in sensors
