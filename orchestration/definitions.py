"""The kyluat Dagster code location."""


from dagster import Definitions, colored_console_logger, in_process_executor

from orchestration.alerts import run_failure_alerts
from orchestration.concurrency import OneDrawer, OneWriterWarehouse
from orchestration.dbt_assets import DBT_ASSETS
from orchestration.ingest_assets import submitted_files
from orchestration.job import draw_published_files, refresh_warehouse
from orchestration.publish_assets import published_warehouse
from orchestration.quality_checks import QUALITY_CHECKS
from orchestration.release_assets import release_published
from orchestration.report_assets import published_report
from orchestration.run_events import progress_logger
from orchestration.schedules import REPORTING_SCHEDULES
from orchestration.sensors import landing_files_sensor, published_files_after_refresh
from orchestration.tier_assets import (
    disclosure_control,
    province_tier,
    public_candidate,
    public_tier,
)

defs = Definitions(
    assets=[submitted_files, *DBT_ASSETS, published_warehouse, published_report,
            province_tier, public_candidate, public_tier],
    asset_checks=[*QUALITY_CHECKS, disclosure_control],
    jobs=[refresh_warehouse, draw_published_files, release_published],
    schedules=REPORTING_SCHEDULES,
    sensors=[landing_files_sensor, published_files_after_refresh, run_failure_alerts],
    # the warehouse resource holds the writer lock for the whole run (orchestration/concurrency.py)
    # published_files: the draw lock only (the steps drawn from analytics.duckdb)
    resources={"warehouse": OneWriterWarehouse.from_environment(),
               "published_files": OneDrawer.from_environment()},
    executor=in_process_executor,
    # Dagster's console, and the progress lines of `kyluat run` (orchestration/progress.py)
    loggers={"console": colored_console_logger, "progress": progress_logger},
)
