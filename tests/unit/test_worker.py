"""The worker processes of a run (kyluat/worker.py; Great Expectations and dbt run in one
each): answers come back in order, a failure inside it is raised in the caller, what it
reports and prints reaches the caller, and its death is one clear error instead of a hang."""

from __future__ import annotations

import os
import time

import pytest

from kyluat.worker import Worker


def test_answers_in_order_and_errors_raised_here():
    checker = Worker("test")
    try:
        early = checker.submit(sorted, [3, 1, 2])
        later = checker.submit(len, "abc")
        assert checker.call(divmod, 17, 5) == (3, 2)  # read past the two before it
        assert early.result() == [1, 2, 3]
        assert later.result() == 3
        with pytest.raises(ValueError, match="invalid literal"):
            checker.call(int, "mười")
        assert checker.call(max, [4, 9, 2]) == 9  # still serving after an error
    finally:
        checker.stop()


def test_a_worker_that_dies_is_a_clear_error():
    checker = Worker("test")
    try:
        with pytest.raises(RuntimeError, match=r"the test worker process ended \(exit code 3\)"):
            checker.call(os._exit, 3)
    finally:
        checker.stop()


def test_a_worker_left_only_its_warm_up_is_stopped_at_once():
    checker = Worker("test")
    checker.submit(time.sleep, 60).disposable = True
    started = time.monotonic()
    checker.stop()
    assert time.monotonic() - started < 10


def test_events_and_printed_lines_reach_the_caller_while_it_waits(capsys):
    checker = Worker("test")
    try:
        events = []
        assert checker.call(exec, "from kyluat.worker import emit\nfor step in range(3):\n"
                            "    emit(('step', step))\n    print(f'line {step}')",
                            on_event=events.append) is None
        assert events == [("step", 0), ("step", 1), ("step", 2)]
        assert capsys.readouterr().out == "line 0\nline 1\nline 2\n"
    finally:
        checker.stop()


def test_a_worker_whose_parent_is_gone_ends_by_itself(tmp_path):
    """A run killed in the middle of a dbt build must not leave dbt writing its warehouse."""
    import subprocess
    import sys

    pid_file = tmp_path / "worker.pid"
    parent = subprocess.run([sys.executable, "-c", (
        "import os, pathlib, sys, time; from kyluat.worker import Worker; "
        "w = Worker('test'); w.submit(time.sleep, 60); "
        f"pathlib.Path({str(pid_file)!r}).write_text(str(w._process.pid)); os._exit(0)")],
        check=True)
    assert parent.returncode == 0
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running(pid):
        time.sleep(0.1)
    assert not _running(pid)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_process_has_one_worker_of_a_name_and_a_dead_one_is_replaced():
    from kyluat.worker import started

    first = started("test-started", time.sleep, 0)
    assert started("test-started", time.sleep, 0) is first
    with pytest.raises(RuntimeError, match="worker process ended"):
        first.call(os._exit, 3)
    second = started("test-started", time.sleep, 0)
    assert second is not first and second.call(len, "ab") == 2


def test_a_worker_that_left_multiprocessing_locks_ends_without_a_warning(capfd):
    """dbt's worker leaves locks to multiprocessing's resource tracker, which frees them after
    the worker ends: silently, not with a warning on the run's terminal."""
    worker = Worker("test")
    try:
        tracker = worker.call(eval, (
            "[setattr(__import__('sys'), 'kept', __import__('multiprocessing')"
            ".get_context('spawn').Lock()), __import__('multiprocessing.resource_tracker')"
            ".resource_tracker._resource_tracker._pid][1]"))
    finally:
        worker.stop()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the tracker ends once the worker is gone
        try:
            os.kill(tracker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the resource tracker outlived its worker")
    assert "leaked semaphore" not in capfd.readouterr().err
