"""The dbt command line and environment the dbt step builds (pure functions)."""

import os
from pathlib import Path

from kyluat.config import DBT_PROJECT_DIR
from orchestration.dbt_runner import (
    _environment,
    _first_invocation,
    build_arguments,
    build_environment,
    parsed_project,
)


def test_a_build_of_the_whole_project_writes_no_debug_log_and_no_artifacts():
    project = str(DBT_PROJECT_DIR)  # its profile beside it
    assert build_arguments() == ["build", "--project-dir", project, "--profiles-dir", project,
                                 "--log-level-file", "none", "--no-write-json",
                                 "--no-use-colors"]


def test_a_selection_and_a_full_refresh_are_passed_on():
    args = build_arguments(select=["fct_activity", "dim_org_unit"], full_refresh=True)
    at = args.index("--select")
    assert args[at + 1:at + 3] == ["fct_activity", "dim_org_unit"]
    assert "--full-refresh" in args


def test_threads_are_passed_on_only_when_asked_for():
    assert "--threads" not in build_arguments()
    args = build_arguments(threads=4)
    assert args[args.index("--threads") + 1] == "4"


def test_the_environment_names_the_warehouse_and_the_years():
    """The names the profile and dbt_project/macros/reporting_years.sql read."""
    assert build_environment(Path("/w"), [2021, 2023]) == {
        "KYLUAT_WAREHOUSE_DIR": "/w", "KYLUAT_REBUILD_YEARS": "2021,2023",
        "KYLUAT_REQUESTED_YEARS": ""}
    assert build_environment(Path("/w"), [2021], [2019, 2020])["KYLUAT_REQUESTED_YEARS"] == (
        "2019,2020")
    assert build_environment(Path("/w"), None)["KYLUAT_REBUILD_YEARS"] == "all"
    assert build_environment(Path("/w"), [])["KYLUAT_REBUILD_YEARS"] == ""


def test_the_environment_of_a_build_is_undone_after_it(monkeypatch):
    monkeypatch.setenv("KYLUAT_REBUILD_YEARS", "2020")
    monkeypatch.delenv("KYLUAT_REQUESTED_YEARS", raising=False)
    with _environment({"KYLUAT_REBUILD_YEARS": "2021,2023", "KYLUAT_REQUESTED_YEARS": "2019"}):
        assert os.environ["KYLUAT_REBUILD_YEARS"] == "2021,2023"
        assert os.environ["KYLUAT_REQUESTED_YEARS"] == "2019"
    assert os.environ["KYLUAT_REBUILD_YEARS"] == "2020"
    assert "KYLUAT_REQUESTED_YEARS" not in os.environ


def test_the_workers_first_dbt_command_selects_nothing_and_opens_no_warehouse(
        tmp_path, monkeypatch, capsys):
    """Run while the run's own process ingests into the working file: it must not open it."""
    monkeypatch.setenv("KYLUAT_WAREHOUSE_DIR", str(tmp_path))
    outcome = _first_invocation(parsed_project())
    assert outcome.success and outcome.exception is None
    assert list(outcome.result) == []
    assert list(tmp_path.iterdir()) == []
    assert capsys.readouterr().out == ""
