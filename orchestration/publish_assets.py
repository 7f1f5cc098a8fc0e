"""Publication: the analyst-facing DuckDB file, replaced only after every check passed, with
the record of what was checked."""

from datetime import datetime

from dagster import (
    AssetExecutionContext,
    DagsterEventType,
    EventRecordsFilter,
    MaterializeResult,
    asset,
)

from data_quality.runner import build_data_docs
from kyluat import periods
from kyluat.locking import connect
from kyluat.publish import publish, record_check_results
from orchestration.dbt_assets import MART_KEYS
from orchestration.ingest_assets import AUDIT_KEYS
from orchestration.resources import WarehouseResource


def _check_evaluations(instance, since: datetime | None) -> list[tuple]:
    """Every check evaluation the instance recorded since `since` (this run and any failed
    runs before it), as rows of audit.check_results."""
    records = instance.get_event_records(EventRecordsFilter(
        event_type=DagsterEventType.ASSET_CHECK_EVALUATION,
        after_timestamp=since.timestamp() if since else None))
    rows = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        failed_rows = evaluation.metadata.get("dagster_dbt/failed_row_count")
        details = evaluation.description or (
            f"dbt test: {failed_rows.value} failing rows" if failed_rows else "dbt test")
        rows.append((record.run_id, evaluation.check_name,
                     evaluation.asset_key.to_user_string(), evaluation.passed,
                     bool(evaluation.blocking), details,
                     datetime.fromtimestamp(record.timestamp)))
    return rows


@asset(key=["published", "analytics"], group_name="publish", deps=[*MART_KEYS, *AUDIT_KEYS],
       description="warehouse/analytics.duckdb: marts and audit schemas, swapped in atomically")
def published_warehouse(context: AssetExecutionContext,
                        warehouse: WarehouseResource) -> MaterializeResult:
    settings = warehouse.settings()
    record_check_results(settings, _check_evaluations(context.instance, _last_recorded(settings)))
    docs = build_data_docs(settings.quality_dir)
    result = publish(settings)
    context.log.info(f"published {len(result.tables)} tables to {result.path}")
    con = connect(settings.working_db)
    try:
        periods.mark_published(con)  # their years need no rebuild until new rows touch them
    finally:
        con.close()
    return MaterializeResult(metadata={"path": str(result.path), "data_docs": str(docs), **{
        f"rows {name}": rows for name, rows in result.tables.items()}})


def _last_recorded(settings) -> datetime | None:
    import duckdb

    con = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        return con.execute("select max(evaluated_at) from audit.check_results").fetchone()[0]
    finally:
        con.close()
