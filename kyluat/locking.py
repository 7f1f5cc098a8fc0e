"""Wait for the working DuckDB file instead of failing when another process holds its lock.

DuckDB lets one process write a database file. Inside Dagster, every step that opens the
working file is in one concurrency pool of size 1 (orchestration/concurrency.py), so two runs
take turns; this helper covers what Dagster does not see (a `dbt docs generate`, an operator's
DuckDB shell, a run that is just releasing the file): a lock error is retried with exponential
backoff until `KYLUAT_LOCK_TIMEOUT` seconds (default 600) have passed, then raised as it was.
Any other error is raised at once.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

log = logging.getLogger(__name__)

LOCK_ERROR = "Could not set lock on file"
DEFAULT_TIMEOUT_SECONDS = 600.0
FIRST_DELAY_SECONDS = 0.05
MAX_DELAY_SECONDS = 5.0

T = TypeVar("T")


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and LOCK_ERROR in str(exc)


def lock_timeout() -> float:
    value = os.environ.get("KYLUAT_LOCK_TIMEOUT")
    return float(value) if value else DEFAULT_TIMEOUT_SECONDS


def retry_on_lock(action: Callable[[], T], what: str, timeout: float | None = None) -> T:
    """Call `action` until it does not fail with a DuckDB lock error, or the time is up."""
    deadline = time.monotonic() + (lock_timeout() if timeout is None else timeout)
    delay = FIRST_DELAY_SECONDS
    attempt = 1
    while True:
        try:
            return action()
        except duckdb.IOException as exc:
            if not is_lock_error(exc) or time.monotonic() + delay > deadline:
                raise
            if attempt == 1:
                log.warning("%s is locked by another process; waiting (%s)", what,
                            str(exc).splitlines()[0])
            time.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, MAX_DELAY_SECONDS)
            attempt += 1


def connect(path: str | Path, read_only: bool = False,
            timeout: float | None = None) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect(path, read_only)`, waiting while another process holds the file."""
    return retry_on_lock(lambda: duckdb.connect(str(path), read_only=read_only), str(path),
                         timeout)
