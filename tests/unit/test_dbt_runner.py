"""The dbt command line and environment the dbt step builds (pure functions)."""

from pathlib import Path

from kyluat.config import DBT_PROJECT_DIR
from orchestration.dbt_runner import (
    REBUILD_YEARS_VARIABLE,
    REQUESTED_YEARS_VARIABLE,
    build_arguments,
    build_environment,
)


def test_a_build_of_the_whole_project_writes_no_debug_log_and_no_artifacts():
    args = build_arguments()
    assert args[0] == "build"
    assert args[args.index("--project-dir") + 1] == str(DBT_PROJECT_DIR)
    assert args[args.index("--log-level-file") + 1] == "none"
    assert "--no-write-json" in args and "--select" not in args
    assert "--full-refresh" not in args


def test_a_selection_and_a_full_refresh_are_passed_on():
    args = build_arguments(select=["fct_activity", "dim_org_unit"], full_refresh=True)
    at = args.index("--select")
    assert args[at + 1:at + 3] == ["fct_activity", "dim_org_unit"]
    assert "--full-refresh" in args


def test_the_environment_names_the_warehouse_and_the_years():
    env = build_environment(Path("/w"), [2021, 2023])
    assert env == {"KYLUAT_WAREHOUSE_DIR": "/w", REBUILD_YEARS_VARIABLE: "2021,2023",
                   REQUESTED_YEARS_VARIABLE: ""}
    assert build_environment(Path("/w"), [2021], [2019, 2020])[REQUESTED_YEARS_VARIABLE] == (
        "2019,2020")
    assert build_environment(Path("/w"), None)[REBUILD_YEARS_VARIABLE] == "all"
    assert build_environment(Path("/w"), [])[REBUILD_YEARS_VARIABLE] == ""
