"""What starts a run: the landing sensor (once per content), the reporting-cycle schedules, and
the one-writer settings every run is under. Evaluated with Dagster's testing APIs, no run."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from dagster import DagsterInstance, build_schedule_context, build_sensor_context
from dagster._core.run_coordinator import QueuedRunCoordinator

from orchestration.concurrency import OneDrawer, OneWriterWarehouse
from orchestration.definitions import defs
from orchestration.schedules import REPORTING_SCHEDULES
from orchestration.sensors import landing_files_sensor
from tests.conftest import write

pytestmark = pytest.mark.integration

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CSV = "deciding_unit_code,decision_ref\nQNM,1-QĐ\n"


class Sensor:
    """Evaluates the landing sensor as the daemon would: each tick gets the previous cursor."""

    def __init__(self):
        self.cursor = None

    def tick(self):
        result = landing_files_sensor(build_sensor_context(cursor=self.cursor))
        self.cursor = result.cursor
        return result.run_requests or []


def test_landing_sensor_starts_one_run_per_new_content(workspace):
    landing = workspace.landing_dir
    sensor = Sensor()
    assert sensor.tick() == []  # empty landing

    # uploads in progress wait, whatever the folder
    write(landing / "member_disciplines" / "a.csv.part", CSV)
    write(landing / "member_disciplines" / "b.csv.tmp", CSV + "x\n")
    write(landing / "member_disciplines" / ".c.csv", CSV + "y\n")
    write(landing / "~$workbook.xlsx", "lock")
    write(landing / ".staging" / "member_disciplines" / "d.csv", CSV + "z\n")
    assert sensor.tick() == []

    # the upload finishes: one run of refresh_warehouse, keyed by the content
    os.replace(landing / "member_disciplines" / "a.csv.part", landing / "member_disciplines/a.csv")
    [request] = sensor.tick()
    assert request.run_key.startswith("landing-")
    assert request.tags["kyluat/trigger"] == "landing_files"
    assert "member_disciplines/a.csv" in request.tags["kyluat/new_files"]
    assert sensor.tick() == []  # nothing new since

    # a renamed copy and a rename are the same content: no run
    shutil.copy(landing / "member_disciplines/a.csv", landing / "member_disciplines/a_copy.csv")
    (landing / "org_units").mkdir()
    os.replace(landing / "member_disciplines/a.csv", landing / "org_units/renamed.csv")
    assert sensor.tick() == []

    # a changed file is new content: a run with another key
    write(landing / "member_disciplines" / "a_copy.csv", CSV + "QNM,2-QĐ\n")
    [changed] = sensor.tick()
    assert changed.run_key != request.run_key
    assert "member_disciplines/a_copy.csv" in changed.tags["kyluat/new_files"]

    # the first content copied back under a new name never triggers again
    write(landing / "member_disciplines" / "again.csv", CSV)
    assert sensor.tick() == []

    # two new files in one tick: one run that names both
    write(landing / "memberships" / "m1.csv", "unit_code,as_of_date,members\nQNM,2024-01-01,5\n")
    write(landing / "memberships" / "m2.csv", "unit_code,as_of_date,members\nQNM,2024-02-01,6\n")
    [both] = sensor.tick()
    assert both.tags["kyluat/new_files"] == "2: memberships/m1.csv, memberships/m2.csv"


def test_landing_sensor_reads_the_landing_directory_at_each_evaluation(workspace, monkeypatch,
                                                                        tmp_path):
    sensor = Sensor()
    write(workspace.landing_dir / "memberships" / "m.csv", "unit_code\nQNM\n")
    assert len(sensor.tick()) == 1
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "memberships" / "n.csv", "unit_code\nDNG\n")
    monkeypatch.setenv("KYLUAT_LANDING_DIR", str(elsewhere))
    [request] = sensor.tick()
    assert "memberships/n.csv" in request.tags["kyluat/new_files"]


def test_sensors_are_registered_against_the_job():
    repository = defs.get_repository_def()
    assert repository.get_sensor_def("landing_files").job_name == "refresh_warehouse"
    assert repository.get_sensor_def("run_failure_alerts") is not None


def test_a_successful_refresh_starts_the_drawing_of_the_published_files(workspace):
    """The sensor asks for draw_published_files once per successful refresh run."""
    from dagster import (
        DagsterEvent,
        DagsterEventType,
        build_run_status_sensor_context,
    )

    from orchestration.sensors import published_files_after_refresh

    instance = DagsterInstance.get()
    refresh = defs.resolve_job_def("refresh_warehouse")
    run = instance.create_run_for_job(refresh, run_id="0f0f0f0f-0000-4000-8000-000000000001")
    context = build_run_status_sensor_context(
        sensor_name="published_files_after_refresh", dagster_instance=instance,
        dagster_run=run, dagster_event=DagsterEvent(DagsterEventType.RUN_SUCCESS.value,
                                                    job_name="refresh_warehouse"))
    request = published_files_after_refresh(context)
    assert request.run_key == "draw-after-0f0f0f0f-0000-4000-8000-000000000001"
    sensor = defs.get_repository_def().get_sensor_def("published_files_after_refresh")
    assert sensor.job_name == "draw_published_files"


EXPECTED = {  # schedule: (cron, run time in Ho Chi Minh City, period start, period end)
    "monthly_close": ("0 2 5 * *", datetime(2026, 3, 5, 2, tzinfo=HCM), "2026-02-01", "2026-02-28"),
    "quarterly_report": ("0 2 10 1,4,7,10 *", datetime(2026, 4, 10, 2, tzinfo=HCM),
                         "2026-01-01", "2026-03-31"),
    "six_month_report": ("0 2 15 7 *", datetime(2026, 7, 15, 2, tzinfo=HCM),
                         "2026-01-01", "2026-06-30"),
    "nine_month_report": ("0 2 15 10 *", datetime(2026, 10, 15, 2, tzinfo=HCM),
                          "2026-01-01", "2026-09-30"),
    "annual_report": ("0 2 20 1 *", datetime(2027, 1, 20, 2, tzinfo=HCM),
                      "2026-01-01", "2026-12-31"),
}


@pytest.mark.parametrize("schedule", REPORTING_SCHEDULES, ids=lambda s: s.name)
def test_reporting_schedules_run_the_job_in_ho_chi_minh_time(workspace, schedule):
    cron, when, start, end = EXPECTED[schedule.name]
    assert schedule.cron_schedule == cron
    assert schedule.execution_timezone == "Asia/Ho_Chi_Minh"
    assert schedule.job_name == "refresh_warehouse"
    assert "Asia/Ho_Chi_Minh" in schedule.description
    # the daemon evaluates in UTC; the period is that of Ho Chi Minh City's calendar
    context = build_schedule_context(instance=DagsterInstance.get(),
                                     scheduled_execution_time=when.astimezone(ZoneInfo("UTC")))
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.tags["kyluat/reporting_cycle"] == schedule.name
    assert (request.tags["kyluat/period_start"], request.tags["kyluat/period_end"]) == (start, end)


def test_every_step_holds_the_writer_lock_and_runs_queue_one_at_a_time(workspace):
    """Every op gets the warehouse through the resource that holds the writer lock for the run;
    runs launched through the instance start one at a time."""
    job = defs.resolve_job_def("refresh_warehouse")
    assert isinstance(defs.resources["warehouse"], OneWriterWarehouse)
    without = [node.name for node in job.graph.nodes
               if "warehouse" not in node.definition.required_resource_keys]
    assert len(job.graph.nodes) > 5 and without == []
    # the files drawn from the published file: the draw lock, never the writer lock
    draw = defs.resolve_job_def("draw_published_files")
    assert isinstance(defs.resources["published_files"], OneDrawer)
    assert len(draw.graph.nodes) == 5 and {  # four assets and the disclosure check
        frozenset(node.definition.required_resource_keys) for node in draw.graph.nodes} \
        == {frozenset({"published_files"})}
    instance = DagsterInstance.get()  # the project's dagster.yaml
    assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
    assert {(t["key"], t["value"], t["limit"]) for t in instance.get_concurrency_config()
            .run_queue_config.tag_concurrency_limits} == {("kyluat/lane", "writer", 1),
                                                          ("kyluat/lane", "draw", 1)}
