"""Reporting-year partitions of the facts and marts, and which years a run rebuilds.

Every run of `refresh_warehouse` targets a range of reporting years (Dagster needs a
partitioned run to check partitioned assets), and the year-partitioned dbt step rebuilds:

- in a refresh (the landing sensor, the schedules, `kyluat run`): the years that rows loaded
  since the last publication touch (kyluat/periods.py). The run covers every year, and every
  year is up to date when it ends, but only the touched ones are recomputed;
- in a backfill (`kyluat run --years 2019:2021`, or a range or partition chosen in the UI):
  the years of its range, as one run, plus any touched years still pending.
"""

from __future__ import annotations

from dagster import AssetExecutionContext, TimeWindowPartitionsDefinition

REPORTING_YEARS = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", start="2000", fmt="%Y", timezone="Asia/Ho_Chi_Minh",
    end_offset=1,  # the current year is a partition while it is still being reported
)

REFRESH_TAG = "kyluat/refresh"
"""Run tag of a refresh: rebuild the touched years only, whatever the range."""

FULL_REFRESH_TAG = "kyluat/full_refresh"
"""Run tag: rebuild every model from scratch (after a model's columns changed)."""

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def backfill_tags(first: int, last: int) -> dict[str, str]:
    """A single run that rebuilds the reporting years first..last."""
    return {RANGE_START_TAG: str(first), RANGE_END_TAG: str(last)}


def refresh_tags() -> dict[str, str]:
    """A run over every reporting year that rebuilds only those new rows touch."""
    keys = REPORTING_YEARS.get_partition_keys()
    return {RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1], REFRESH_TAG: "true"}


def requested_years(context: AssetExecutionContext) -> list[int]:
    """The years a backfill asks for; none for a refresh."""
    if context.run.tags.get(REFRESH_TAG) == "true" or not context.has_partition_key_range:
        return []
    return [int(key) for key in context.partition_keys]
