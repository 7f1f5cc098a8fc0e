"""A user's mistake gets one line that says what to do, exit code 2, no traceback, and no
Dagster run is started."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance

from orchestration.cli import main

pytestmark = pytest.mark.integration

CASES = {
    "missing landing folder": (["run", "--landing", "no/such/folder"],
                               "landing folder", "does not exist"),
    "two-digit year": (["run", "--years", "99"], "not a year range", "FIRST:LAST"),
    "open year range": (["run", "--years", "2021:"], "not a year range", "FIRST:LAST"),
    "future year": (["run", "--years", "2030:2031"], "between 1930", "2030"),
    "year before the party": (["run", "--years", "1899:1901"], "between 1930", "1899"),
    "years backwards": (["run", "--years", "2023:2021"], "first year after last", "2023"),
    "empty query": (["sql", ""], "no query", "standard input"),
    "blank query": (["sql", "   "], "no query", "standard input"),
    "validate a missing file": (["validate", "member_disciplines/nonexistent.csv"],
                                "no such file", "nonexistent.csv"),
    "unknown command": (["explode"], "invalid choice", "explode"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_mistake_is_named_in_one_line_and_starts_nothing(case, workspace, capsys):
    argv, *words = CASES[case]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == 2, output
    assert all(word in output for word in words), output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) <= 3, output  # argparse adds its usage line
    assert DagsterInstance.get().get_run_records() == []


def test_a_folder_given_to_validate_is_named_as_a_folder(workspace, capsys):
    folder = workspace.landing_dir / "member_disciplines"
    folder.mkdir()
    assert main(["validate", str(folder)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_verbose_is_accepted_after_the_command(workspace, capsys):
    assert main(["run", "-v", "--landing", "no/such"]) == 2
    assert main(["-v", "run", "--landing", "no/such"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_damaged_working_or_published_file_is_named_without_a_traceback(workspace, capsys):
    workspace.working_db.write_bytes(b"this is not a DuckDB file" * 100)
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert "working warehouse" in err and "cannot be opened" in err and "Traceback" not in err
    assert DagsterInstance.get().get_run_records() == []

    workspace.published_db.write_bytes(b"truncated")
    with pytest.raises(SystemExit) as exit_:
        main(["sql", "select 1"])
    assert "cannot be opened" in str(exit_.value) and "kyluat run" in str(exit_.value)
