"""The worker process that runs Great Expectations (data_quality/runner.py `Checker`): answers
come back in order, a failure inside it is raised in the caller, and its death is one clear
error instead of a hang."""

from __future__ import annotations

import os
import time

import pytest

from data_quality.runner import Checker


def test_answers_in_order_and_errors_raised_here():
    checker = Checker()
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
    checker = Checker()
    try:
        with pytest.raises(RuntimeError, match=r"worker process ended \(exit code 3\)"):
            checker.call(os._exit, 3)
    finally:
        checker.stop()


def test_a_worker_left_only_its_warm_up_is_stopped_at_once():
    checker = Checker()
    checker.submit(time.sleep, 60).disposable = True
    started = time.monotonic()
    checker.stop()
    assert time.monotonic() - started < 10
