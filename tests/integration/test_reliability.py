"""The bounded kill-and-rerun suite and input fuzzer (tests/reliability/); `make reliability`
runs them at full size, and the full-disk trials of every stage, and prints their figures."""

from __future__ import annotations

import pytest

from tests.reliability import fuzz, kill

pytestmark = pytest.mark.integration


def test_fuzzed_submissions_lose_no_good_row_and_leak_nothing(workspace):
    """22 seeded mutations (one of each kind; CI's `make reliability` runs 60) through
    `kyluat validate` and one ingestion: no traceback, every file registered, every untouched
    row loaded or the file rejected whole under a rule its mutation may cause, no planted text
    in an audit table."""
    report = fuzz.run_fuzz(workspace, fuzz.cases(len(fuzz.MUTATIONS)))
    assert report.failures == []
    assert set(report.by_mutation) == set(fuzz.MUTATIONS)
    assert report.cases == 22


def test_a_kill_in_each_stage_leaves_the_previous_state_and_the_rerun_the_reference(
        sample_run, tmp_path):
    """One SIGKILL of the whole process group in each stage (ingest, dbt, checks, publish)
    of a run with one new file, the stage read from what the run printed before it died:
    after each kill the published file is the previous state or the new one, the rerun
    publishes exactly the reference's tables and leaves no temporary file behind. (Runs the
    pipeline afresh, nine times: `kyluat run` processes are what is killed; `make
    reliability` runs many more.)"""
    built, outcome = sample_run
    assert outcome.success
    kill.make_base(tmp_path / "base", built.warehouse_dir, built.landing_dir)
    # at a moment inside each stage named by its log (not after a sleep, which a loaded
    # machine stretches or shortens against the run): rows loaded but not committed, a first
    # mart built, the checks begun, the new published file half built
    report = kill.run_kill_suite(tmp_path / "base", tmp_path / "work", kills=4,
                                 points=kill.MARKED_POINTS)
    print("\n".join(report.lines()))
    assert [t.killed_in for t in report.trials] == kill.STAGE_ORDER, report.trials
    assert report.bad_states == 0, report.trials
    assert report.mismatches == 0, report.trials
    assert report.recoveries == 4
    assert all(not t.leftovers for t in report.trials), report.trials

