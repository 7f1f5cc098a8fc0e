"""The kyluat Dagster code location."""


from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from kyluat.pipeline import JOB_NAME
from orchestration.alerts import run_failure_alerts
from orchestration.concurrency import OneWriterWarehouse
from orchestration.dbt_assets import DBT_ASSETS
from orchestration.ingest_assets import submitted_files
from orchestration.publish_assets import published_warehouse
from orchestration.quality_checks import QUALITY_CHECKS
from orchestration.schedules import REPORTING_SCHEDULES
from orchestration.sensors import landing_files_sensor

# One writer: every step runs in one process, one after another (DuckDB allows one writer).
refresh_warehouse = define_asset_job(
    JOB_NAME, selection=AssetSelection.all(),
    description="Ingest new files, build and check every model, publish analytics.duckdb; "
                "tag kyluat/years=FIRST:LAST also rebuilds those reporting years (a backfill), "
                "kyluat/full_refresh=true rebuilds everything",
)

defs = Definitions(
    assets=[submitted_files, *DBT_ASSETS, published_warehouse],
    asset_checks=QUALITY_CHECKS,
    jobs=[refresh_warehouse],
    schedules=REPORTING_SCHEDULES,
    sensors=[landing_files_sensor, run_failure_alerts],
    # the warehouse resource holds the writer lock for the whole run (orchestration/concurrency.py)
    resources={"warehouse": OneWriterWarehouse()},
    executor=in_process_executor,
)
