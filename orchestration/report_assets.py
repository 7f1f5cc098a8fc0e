"""The static report, redrawn from the published file after each publication that changed it."""

from dagster import AssetExecutionContext, MaterializeResult, asset

from orchestration.publish_assets import published_warehouse
from orchestration.resources import WarehouseResource


@asset(key=["published", "report"], group_name="publish", deps=[published_warehouse],
       description="warehouse/report/: the nation's report in Vietnamese (index.html) and "
                   "English (index.en.html), self-contained HTML drawn from analytics.duckdb")
def published_report(context: AssetExecutionContext,
                     published_files: WarehouseResource) -> MaterializeResult:
    # imported here: the charts' libraries are the draw job's, not every run's start-up
    from kyluat.report import build_report

    settings = published_files.settings()
    result = build_report(settings.published_db, settings.report_dir, skip_if_current=True)
    if result.skipped:
        context.log.info(f"report {result.index} already drawn from this published file")
    else:
        context.log.info(f"report {result.index} drawn in {result.seconds:.2f} s")
    return MaterializeResult(metadata={"path": str(result.index), "skipped": result.skipped,
                                       "seconds": round(result.seconds, 3)})
