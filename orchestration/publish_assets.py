"""Publication: the analyst-facing DuckDB file, replaced only after every check passed."""


from dagster import AssetExecutionContext, MaterializeResult, asset

from kyluat.publish import publish
from orchestration.dbt_assets import MART_KEYS
from orchestration.ingest_assets import AUDIT_KEYS
from orchestration.resources import WarehouseResource


@asset(key=["published", "analytics"], group_name="publish", deps=[*MART_KEYS, *AUDIT_KEYS],
       description="warehouse/analytics.duckdb: marts and audit schemas, swapped in atomically")
def published_warehouse(context: AssetExecutionContext,
                        warehouse: WarehouseResource) -> MaterializeResult:
    result = publish(warehouse.settings())
    context.log.info(f"published {len(result.tables)} tables to {result.path}")
    return MaterializeResult(metadata={"path": str(result.path), **{
        f"rows {name}": rows for name, rows in result.tables.items()}})
