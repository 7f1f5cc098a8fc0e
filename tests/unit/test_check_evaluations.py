"""A check's evaluation, as the run's outcome, its alert and its progress lines read it."""

from dagster import AssetCheckEvaluation, AssetCheckSeverity, AssetKey, MetadataValue

from orchestration.check_evaluations import check_outcome


def test_a_failed_dbt_test_gives_its_rows_and_blocks():
    evaluation = AssetCheckEvaluation(
        asset_key=AssetKey(["marts", "fct_member_discipline"]), check_name="not_null_member",
        passed=False, severity=AssetCheckSeverity.ERROR, description="2 rows without member",
        metadata={"failed_row_count": MetadataValue.int(2),
                  "failing_rows": MetadataValue.json(["decision 7", "decision 9"])})
    check = check_outcome(evaluation)
    assert (check.asset, check.name, check.passed, check.blocking, check.severity) == (
        "marts/fct_member_discipline", "not_null_member", False, True, "ERROR")
    assert (check.description, check.failed_rows, check.failing_rows, check.carried) == (
        "2 rows without member", 2, ["decision 7", "decision 9"], False)


def test_a_warning_carried_from_an_earlier_run():
    evaluation = AssetCheckEvaluation(
        asset_key=AssetKey(["raw", "memberships"]), check_name="ge_memberships", passed=True,
        severity=AssetCheckSeverity.WARN, metadata={"unchanged": MetadataValue.bool(True)})
    check = check_outcome(evaluation)
    assert (check.blocking, check.severity, check.carried) == (False, "WARN", True)
    assert (check.description, check.failed_rows, check.failing_rows) == ("", None, [])
