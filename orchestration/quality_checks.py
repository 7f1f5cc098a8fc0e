"""Data-quality checks beyond dbt's own tests: Great Expectations suites as blocking asset
checks (a failure stops publication), and a non-blocking freshness warning."""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, asset_check

from data_quality.runner import build_data_docs, validate
from data_quality.suites import Suite, suites
from kyluat.freshness import stale_kinds
from orchestration.resources import WarehouseResource


def _ge_check(suite: Suite):
    @asset_check(asset=AssetKey(list(suite.asset)), name=f"ge_{suite.name}",
                 blocking=suite.blocking,
                 description=f"Great Expectations suite '{suite.name}': "
                             + "; ".join(dict.fromkeys(e.why for e in suite.expectations)))
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        settings = warehouse.settings()
        current = suites()[suite.name]  # built now: "not in the future" means today
        outcome = validate(settings.working_db, current, settings.quality_dir)
        metadata = {
            "rows_checked": outcome.rows_checked,
            "expectations": outcome.expectations,
            "failures": [f.describe(current.relation) for f in outcome.failures],
        }
        if not outcome.success:  # render the failure now: publication will not happen
            metadata["data_docs"] = str(build_data_docs(settings.quality_dir))
        return AssetCheckResult(
            passed=outcome.success,
            severity=AssetCheckSeverity.ERROR if current.blocking else AssetCheckSeverity.WARN,
            description=outcome.summary(),
            metadata=metadata,
        )

    return _check


@asset_check(asset=AssetKey(["audit", "file_registry"]), name="submissions_are_fresh",
             blocking=False,
             description="Warns when a kind's newest file is older than its reporting cycle")
def submissions_are_fresh(warehouse: WarehouseResource) -> AssetCheckResult:
    stale = stale_kinds(warehouse.settings().working_db)
    return AssetCheckResult(
        passed=not stale,
        severity=AssetCheckSeverity.WARN,
        description="; ".join(s.describe() for s in stale) or "every kind is within its cycle",
        metadata={"stale_kinds": [s.kind for s in stale]},
    )


QUALITY_CHECKS = [_ge_check(suite) for suite in suites().values()] + [submissions_are_fresh]
