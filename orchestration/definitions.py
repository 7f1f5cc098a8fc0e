"""The kyluat Dagster code location."""


from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from orchestration.dbt_assets import dbt_models
from orchestration.ingest_assets import submitted_files
from orchestration.publish_assets import published_warehouse
from orchestration.quality_checks import GE_CHECKS
from orchestration.resources import WarehouseResource, dbt_resource

# One writer: every step runs in one process, one after another (DuckDB allows one writer).
refresh_warehouse = define_asset_job(
    "refresh_warehouse", selection=AssetSelection.all(),
    description="Ingest new files, build and check every model, publish analytics.duckdb",
)

defs = Definitions(
    assets=[submitted_files, dbt_models, published_warehouse],
    asset_checks=GE_CHECKS,
    jobs=[refresh_warehouse],
    resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
    executor=in_process_executor,
)
