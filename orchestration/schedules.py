"""Schedules that follow the reporting cycles of the inspection sector.

Every schedule runs the whole `refresh_warehouse` job (ingest every new file, dbt build with its
tests, Great Expectations checks, publish `analytics.duckdb` when every blocking check passed),
at 02:00 in Asia/Ho_Chi_Minh, a few days after the period closes so that late submissions are in.
Longer periods leave the units more time to compile their reports:

| schedule | cron (Asia/Ho_Chi_Minh) | period it closes |
|---|---|---|
| monthly_close | 02:00 on the 5th of every month | the previous month |
| quarterly_report | 02:00 on 10 January, April, July, October | the previous quarter |
| six_month_report | 02:00 on 15 July | 1 January - 30 June |
| nine_month_report | 02:00 on 15 October | 1 January - 30 September |
| annual_report | 02:00 on 20 January | the previous calendar year |

Each run carries the tags `kyluat/reporting_cycle`, `kyluat/period_start` and
`kyluat/period_end`, so the runs page of the UI says which report a run prepared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    schedule,
)

from orchestration.job import JOB_NAME

TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class ReportingCycle:
    name: str
    cron: str
    months: int  # length of the period it closes, counted back from the month before the run
    label: str


CYCLES = (
    ReportingCycle("monthly_close", "0 2 5 * *", 1, "monthly close (previous month)"),
    ReportingCycle("quarterly_report", "0 2 10 1,4,7,10 *", 3,
                   "quarterly report (previous quarter)"),
    ReportingCycle("six_month_report", "0 2 15 7 *", 6, "six-month report (January-June)"),
    ReportingCycle("nine_month_report", "0 2 15 10 *", 9,
                   "nine-month report (January-September)"),
    ReportingCycle("annual_report", "0 2 20 1 *", 12, "annual report (previous year)"),
)


def closed_period(cycle: ReportingCycle, when: datetime) -> tuple[date, date]:
    """The period a run at `when` (local time) reports on: it ends with the previous month."""
    end = when.date().replace(day=1) - timedelta(days=1)
    month_index = end.year * 12 + end.month - 1 - (cycle.months - 1)
    start = date(month_index // 12, month_index % 12 + 1, 1)
    return start, end


def _reporting_schedule(cycle: ReportingCycle) -> ScheduleDefinition:
    @schedule(
        name=cycle.name,
        cron_schedule=cycle.cron,
        job_name=JOB_NAME,
        execution_timezone=TIMEZONE,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"{cycle.label}: at `{cycle.cron}` ({TIMEZONE}), refresh_warehouse "
                    "materializes every asset (ingest new landing files, dbt build and tests, "
                    "Great Expectations checks) and publishes analytics.duckdb when every "
                    "blocking check passed.",
        tags={"kyluat/reporting_cycle": cycle.name},
    )
    def _schedule(context: ScheduleEvaluationContext) -> RunRequest:
        when = context.scheduled_execution_time or datetime.now(ZoneInfo(TIMEZONE))
        start, end = closed_period(cycle, when.astimezone(ZoneInfo(TIMEZONE)))
        return RunRequest(tags={"kyluat/reporting_cycle": cycle.name,
                                "kyluat/period_start": start.isoformat(),
                                "kyluat/period_end": end.isoformat()})

    return _schedule


REPORTING_SCHEDULES = [_reporting_schedule(cycle) for cycle in CYCLES]
