"""Publication tiers: a file per province and the public file, drawn from analytics.duckdb.

The public file is built as a candidate (published/public_candidate), judged by the blocking
check `disclosure_control`, and renamed in by published/public only when the check passed: a
failure keeps the previous public file and names the cells. Tiers are rebuilt only when the
national file changed since they were drawn (kyluat/tiers.py)."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    asset,
    asset_check,
)

from kyluat import disclosure, tiers
from orchestration.publish_assets import published_warehouse
from orchestration.resources import WarehouseResource

PROVINCES_STAMP = ".provinces.json"
PUBLIC_STAMP = ".public.json"
CANDIDATE = AssetKey(["published", "public_candidate"])


@asset(key=["published", "provinces"], group_name="publish", deps=[published_warehouse],
       description="warehouse/tiers/provinces/<CODE>/analytics.duckdb: one internal file per "
                   "province (its subtree on every date and today, vocabularies, its audit "
                   "rows), mode 640, each swapped in atomically")
def province_tier(context: AssetExecutionContext,
                  published_files: WarehouseResource) -> MaterializeResult:
    settings = published_files.settings()
    national = settings.published_db
    if tiers.tiers_current(national, settings.warehouse_dir, PROVINCES_STAMP):
        context.log.info("province files already drawn from this national file")
        return MaterializeResult(metadata={"skipped": True})
    source = tiers.source_signature(national)
    built = tiers.build_province_files(national, settings.warehouse_dir)
    tiers.write_stamp(source, settings.warehouse_dir, list(built.values()), PROVINCES_STAMP)
    context.log.info(f"{len(built)} province files written")
    return MaterializeResult(metadata={"skipped": False, "provinces": len(built)})


@asset(key=CANDIDATE, group_name="publish", deps=[published_warehouse],
       description="The public file and its CSV and Parquet exports, built with disclosure "
                   "control (tiers/.public.candidate/), not yet published")
def public_candidate(context: AssetExecutionContext,
                     published_files: WarehouseResource) -> MaterializeResult:
    settings = published_files.settings()
    tiers.remove_stale_staging(settings.warehouse_dir)
    if tiers.tiers_current(settings.published_db, settings.warehouse_dir, PUBLIC_STAMP):
        context.log.info("public file already drawn from this national file")
        return MaterializeResult(metadata={"skipped": True})
    build = tiers.build_public(settings.published_db, settings.warehouse_dir)
    context.log.info(f"public candidate: {build.cells} cells, {build.primary} suppressed "
                     f"below k={build.k}, {build.secondary} more against differencing")
    return MaterializeResult(metadata={"skipped": False, "k": build.k, "cells": build.cells,
                                       "primary_suppressions": build.primary,
                                       "secondary_suppressions": build.secondary,
                                       **{f"rows {t}": n for t, n in build.tables.items()}})


@asset_check(asset=CANDIDATE, name="disclosure_control", blocking=True,
             description="No published count in 1..k-1; differencing parents against "
                         "children, totals against breakdowns and all years against years "
                         "recovers no hidden count; every hidden count has its reason code; "
                         "no identifier or row-level table")
def disclosure_control(published_files: WarehouseResource) -> AssetCheckResult:
    settings = published_files.settings()
    candidate = tiers.candidate_dir(settings.warehouse_dir) / tiers.PUBLIC_FILE
    if not candidate.exists():
        return AssetCheckResult(passed=True, description="public file unchanged: the national "
                                "file did not change", metadata={"unchanged": True})
    k = disclosure.min_count()
    problems = disclosure.check_public_file(candidate, k)
    return AssetCheckResult(
        passed=not problems, severity=AssetCheckSeverity.ERROR,
        description=(f"{len(problems)} disclosure problems (k={k}): " + "; ".join(problems[:10])
                     if problems else f"nothing recoverable below k={k}"),
        metadata={"problems": len(problems), "k": k, "cells": problems[:50]})


@asset(key=["published", "public"], group_name="publish", deps=[CANDIDATE],
       description="warehouse/tiers/public/: public.duckdb (aggregates only, mode 644) and "
                   "csv/ and parquet/ exports, renamed in after disclosure_control passed")
def public_tier(context: AssetExecutionContext,
                published_files: WarehouseResource) -> MaterializeResult:
    settings = published_files.settings()
    candidate = tiers.candidate_dir(settings.warehouse_dir)
    if not (candidate / tiers.PUBLIC_FILE).exists():
        return MaterializeResult(metadata={"skipped": True})
    source = tiers.candidate_source(settings.warehouse_dir)
    path = tiers.publish_public(tiers.PublicBuild(candidate, disclosure.min_count()),
                                settings.warehouse_dir)
    tiers.write_stamp(source, settings.warehouse_dir,
                      [tiers.public_file(settings.warehouse_dir)], PUBLIC_STAMP)
    context.log.info(f"public file {path} published")
    return MaterializeResult(metadata={"skipped": False, "path": str(path)})
