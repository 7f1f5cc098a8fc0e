"""One plain-text log per `kyluat run`: `<warehouse>/logs/runs/<UTC time>_<run id>.log`, the
latest KEPT_RUN_LOGS kept. It holds the run's progress lines and summary, Dagster's messages,
dbt's lines, the warnings of every library, and the traceback of a step that failed; no colour
codes."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

KEPT_RUN_LOGS = 30
"""Run logs kept in <warehouse>/logs/runs/; older ones are removed when a run starts."""

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_logs_dir(warehouse_dir: Path) -> Path:
    return warehouse_dir / "logs" / "runs"


def new_run_log(warehouse_dir: Path, run_id: str, now: datetime | None = None) -> Path:
    """The path of a new run's log, after removing all but the newest KEPT_RUN_LOGS - 1."""
    folder = run_logs_dir(warehouse_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("*.log"))[:-(KEPT_RUN_LOGS - 1) or None]:
        old.unlink(missing_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"{stamp}_{run_id}.log"


class PlainText(io.TextIOBase):
    """A text stream that writes to `target` without terminal colour codes (what a library
    prints to standard output while the run's output goes to its log)."""

    def __init__(self, target: io.TextIOBase):
        self._target = target

    def write(self, text: str) -> int:
        self._target.write(_ANSI.sub("", text))
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def writable(self) -> bool:
        return True
