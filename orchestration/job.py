"""The one job: everything, in one process, one step after another (DuckDB allows one
writer). Schedules, sensors and `kyluat run` all start it."""

from dagster import AssetSelection, define_asset_job

JOB_NAME = "refresh_warehouse"

refresh_warehouse = define_asset_job(
    JOB_NAME, selection=AssetSelection.all(),
    description="Ingest new files, build and check every model, publish analytics.duckdb; "
                "tag kyluat/years=FIRST:LAST also rebuilds those reporting years (a backfill), "
                "kyluat/full_refresh=true rebuilds everything",
)
