"""Great Expectations suites run as blocking asset checks: a failure stops publication."""


from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, asset_check

from data_quality.runner import validate
from data_quality.suites import SUITES, Suite
from orchestration.resources import WarehouseResource


def _ge_check(suite: Suite):
    schema, table = suite.relation.split(".")

    @asset_check(asset=AssetKey([schema, table]), name=f"ge_{suite.name}", blocking=True,
                 description=f"Great Expectations suite '{suite.name}': "
                             + "; ".join(e.why for e in suite.expectations))
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        outcome = validate(warehouse.settings().working_db, suite)
        return AssetCheckResult(
            passed=outcome.success,
            severity=AssetCheckSeverity.ERROR,
            description=outcome.summary(),
            metadata={
                "rows_checked": outcome.rows_checked,
                "expectations": outcome.expectations,
                "failures": [f.describe(suite.relation) for f in outcome.failures],
            },
        )

    return _check


GE_CHECKS = [_ge_check(suite) for suite in SUITES.values()]
