"""One writer: a run holds the warehouse from its first step to its last, and a connection to
the working DuckDB file waits for a lock instead of failing.

DuckDB lets one process write a database file (and a read-only open fails while another
process writes). Two levels keep to that:

- `writer_lock`: held by a pipeline run for its whole duration (orchestration/concurrency.py
  takes it when the run's `warehouse` resource is set up). A second run, wherever it was started
  (`kyluat run`, a schedule, the sensor, the UI), waits until the first has published or failed,
  so one run's checks always judge that run's build and nothing is published unchecked. It is
  an OS lock (flock) on `<warehouse>/.discipline.duckdb.writer.lock`: a killed process releases
  it, and the file says which run holds it.
- `connect` / `retry_on_lock`: where kyluat opens the working file, a DuckDB lock error (someone
  outside the pipeline: `dbt docs generate`, an operator's DuckDB shell) is retried with
  exponential backoff until `KYLUAT_LOCK_TIMEOUT` seconds (default 600) have passed, then raised
  as it was. Any other error is raised at once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import duckdb

from kyluat.config import seconds_variable

log = logging.getLogger(__name__)

LOCK_ERROR = "Could not set lock on file"
FIRST_DELAY_SECONDS = 0.05

WRITER_CONFIG = {"max_vacuum_tasks": 0}
"""How kyluat opens a DuckDB file it writes (dbt's builds: dbt_project/profiles.yml). Its
closing checkpoint then does not compact the row groups that lost only some of their rows:
the row groups of a rebuilt year lose all theirs and are dropped whole, and the rows deleted
here and there stay marked until a full refresh writes the tables afresh. At DuckDB's default
the first writer to close after a month's dbt build compacted every table the build had
touched: 1.1 s of a month added to ten national years, spent recording check results."""
MAX_DELAY_SECONDS = 5.0

T = TypeVar("T")


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and LOCK_ERROR in str(exc)


def lock_timeout() -> float:
    return seconds_variable("KYLUAT_LOCK_TIMEOUT")


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
    """`duckdb.connect(path, read_only)`, waiting while another process holds the file; a
    writer's connection with `WRITER_CONFIG`."""
    config = {} if read_only else WRITER_CONFIG
    return retry_on_lock(lambda: duckdb.connect(str(path), read_only=read_only, config=config),
                         str(path), timeout)


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """A short OS lock on `path`, waiting while another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def writer_lock_holder(working_db: Path) -> str | None:
    """Who holds the warehouse's writer lock now (its lock file's line), or None when free."""
    path = writer_lock_path(working_db)
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return None
    except BlockingIOError:
        return os.pread(fd, 500, 0).decode("utf-8", "replace").strip() or "another run"
    finally:
        os.close(fd)


def writer_lock_path(working_db: Path) -> Path:
    return working_db.with_name(f".{working_db.name}.writer.lock")


@contextmanager
def writer_lock(working_db: Path, holder: str, report: Callable[[str], None] = log.warning,
                poll_seconds: float = 1.0, report_every_seconds: float = 60.0) -> Iterator[None]:
    """Hold the warehouse's writer lock; wait (without limit) while another run holds it."""
    path = writer_lock_path(working_db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        started = time.monotonic()
        reported = None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                now = time.monotonic()
                if reported is None or now - reported >= report_every_seconds:
                    current = os.pread(fd, 500, 0).decode("utf-8", "replace").strip()
                    report(f"waiting for the warehouse writer lock {path} "
                           f"({now - started:.0f}s so far; held by {current or 'another run'})")
                    reported = now
                time.sleep(poll_seconds)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"run {holder}, pid {os.getpid()}, since "
                      f"{datetime.now().astimezone().isoformat(timespec='seconds')}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
