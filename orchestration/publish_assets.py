"""Publication: the analyst-facing DuckDB file, replaced only after every check passed."""


from dagster import AssetExecutionContext, MaterializeResult, asset

from data_quality.runner import build_data_docs
from kyluat import periods
from kyluat.changes import project_fingerprint
from kyluat.lake import publish_to_lake
from kyluat.publish import publish
from orchestration.dbt_assets import MART_KEYS
from orchestration.ingest_assets import AUDIT_KEYS
from orchestration.partitions import describe_years
from orchestration.resources import WarehouseResource


@asset(key=["published", "analytics"], group_name="publish", deps=[*MART_KEYS, *AUDIT_KEYS],
       description="warehouse/analytics.duckdb: marts and audit schemas, swapped in atomically")
def published_warehouse(context: AssetExecutionContext,
                        warehouse: WarehouseResource) -> MaterializeResult:
    settings = warehouse.settings()
    context.log.info(f"publishing {settings.published_db}")
    docs = build_data_docs(settings.quality_dir)  # rendered meanwhile
    con = warehouse.connect(read_only=True)
    try:
        years, models = periods.built_since_publication(con)
    finally:
        con.close()
    result = publish(settings, years, models)
    how = (f"incrementally (reporting years {describe_years(years)})" if result.incremental
           else f"in full ({result.fallback or 'every year rebuilt'})")
    context.log.info(f"published {len(result.tables)} tables to {result.path} {how}")
    lake = {}
    if settings.lake is not None:
        # the same tables into the shared catalog, one snapshot, before this build counts as
        # published: a failure here leaves its loads pending for the next run
        snapshot, written = publish_to_lake(result.path, settings.lake, context.run.run_id)
        context.log.info(f"published to the DuckLake catalog: snapshot {snapshot} "
                         f"({written} tables written, the others unchanged)")
        lake = {"ducklake_snapshot": snapshot, "ducklake_tables_written": written}
    con = warehouse.connect()
    try:
        con.execute("begin transaction")
        periods.mark_published(con)  # their years need no rebuild until new rows touch them
        con.execute("insert into audit.publications values (?, now(), ?)",
                    [context.run.run_id, project_fingerprint()])
        con.execute("commit")
    finally:
        con.close()
    return MaterializeResult(metadata={"path": str(result.path), "data_docs": str(docs.result()),
                                       "published": how, **lake, **{
        f"rows {name}": rows for name, rows in result.tables.items()}})
