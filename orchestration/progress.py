"""What `kyluat run` shows while a run goes: a line as each stage (a step of the job) starts and
one as it ends, with its counts and seconds; on a terminal, a progress bar of the running stage
(rich); elsewhere (a pipe, `make demo` in a log), a line whenever HEARTBEAT_SECONDS pass
without one, saying what is still running. Every line also goes to the run's log file, with
the time, and so do Dagster's own messages of the run.

The reporter hears Dagster's events through the run logger of orchestration/run_events.py and
dbt's node by node through orchestration/dbt_runner.py. Only `kyluat run` makes one active: a
run of the UI, a schedule or a sensor reports to nobody. This module imports no Dagster, so
that the reporter can speak while Dagster and dbt are still being imported.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from orchestration.partitions import UNCHANGED

HEARTBEAT_SECONDS = 5.0
"""Longest silence on a pipe while a run goes (a terminal has its progress bar instead)."""

STAGES = {
    "submitted_files": "ingest",
    "audit__file_registry_submissions_are_fresh": "freshness check",
    "raw_quality": "raw checks",
    "dbt_models": "dbt build",
    "mart_quality": "mart checks",
    "published__analytics": "publish",
    "published__report": "report",
    "published__provinces": "province files",
    "published__public_candidate": "public file",
    "published__public_candidate_disclosure_control": "disclosure check",
    "published__public": "public file published",
}
"""The name each step of the job is shown under."""

DBT_STEP = "dbt_models"

_active: RunProgress | None = None


def active() -> RunProgress | None:
    """The reporter of the run going on in this process, if `kyluat run` started it."""
    return _active


@dataclass
class Stage:
    label: str
    started: float = field(default_factory=time.monotonic)
    total: int | None = None   # units of work, when known (dbt's nodes)
    done: int = 0
    unit: str = "done"
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)  # per asset materialized
    checks: list[tuple[bool, bool]] = field(default_factory=list)  # (passed, not run again)
    warnings: int = 0  # checks that only warn, and did
    check_notes: list[str] = field(default_factory=list)
    task: Any = None  # its rich progress task on a terminal

    def seconds(self) -> float:
        return time.monotonic() - self.started


class RunProgress:
    """Prints a run's progress to `out` (the terminal) and `log` (plain text, timed)."""

    def __init__(self, out: TextIO, log: TextIO | None = None, bars: bool | None = None):
        self.out, self.log = out, log
        self._lock = threading.RLock()
        self._stages: dict[str, Stage] = {}
        self._running: list[str] = []
        self._last_line = time.monotonic()
        self._started = time.monotonic()
        self._waiting_for = "preparing the run (loading Dagster and dbt)"
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name="kyluat-progress",
                                           daemon=True)
        self._bars = None
        if out.isatty() if bars is None else bars:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            self._bars = Progress(
                SpinnerColumn(), TextColumn("{task.description:<16}"), BarColumn(),
                MofNCompleteColumn(), TextColumn("{task.fields[unit]}"), TimeElapsedColumn(),
                console=Console(file=out), transient=True)

    # --- lifetime ------------------------------------------------------------------------
    def __enter__(self) -> RunProgress:
        global _active
        _active = self
        if self._bars is not None:
            self._bars.start()
        self._heartbeat.start()
        return self

    def __exit__(self, *_exc) -> None:
        global _active
        self._stop.set()
        self._heartbeat.join(timeout=5)
        if self._bars is not None:
            self._bars.stop()
        _active = None

    # --- output --------------------------------------------------------------------------
    def line(self, text: str) -> None:
        """A line for the terminal and the log."""
        with self._lock:
            if self._bars is not None:
                self._bars.console.print(text, markup=False, highlight=False, soft_wrap=True)
            else:
                print(text, file=self.out, flush=True)
            self.log_line(text)
            self._last_line = time.monotonic()

    def log_line(self, text: str) -> None:
        """A line for the log only."""
        if self.log is not None:
            with self._lock:
                stamp = datetime.now().astimezone().isoformat(timespec="seconds")
                self.log.write(f"{stamp} {text}\n")
                self.log.flush()

    def waiting_for(self, what: str) -> None:
        """What the heartbeat names while no stage runs."""
        self._waiting_for = what

    def _beat(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                if self._bars is not None:
                    for stage in self._stages.values():
                        if stage.task is not None:
                            self._bars.update(stage.task, completed=stage.done,
                                              total=stage.total)
                    continue
                if time.monotonic() - self._last_line < HEARTBEAT_SECONDS:
                    continue
                if self._running:
                    stage = self._stages[self._running[-1]]
                    of = f" of {stage.total}" if stage.total else ""
                    count = f", {stage.done}{of} {stage.unit}" if stage.done or stage.total \
                        else ""
                    self.line(f"  {stage.label}: running for {stage.seconds():.0f} s{count}")
                else:
                    self.line(f"  {self._waiting_for}: "
                              f"{time.monotonic() - self._started:.0f} s since the start")

    # --- what the run says ---------------------------------------------------------------
    def step_started(self, step_key: str) -> None:
        with self._lock:
            stage = Stage(STAGES.get(step_key, step_key))
            self._stages[step_key] = stage
            self._running.append(step_key)
            if self._bars is not None:
                stage.task = self._bars.add_task(stage.label, total=None, unit="")
            self.line(f"{stage.label}: started")

    def step_ended(self, step_key: str, failure: str | None = None) -> None:
        with self._lock:
            stage = self._stages.get(step_key) or Stage(STAGES.get(step_key, step_key))
            if step_key in self._running:
                self._running.remove(step_key)
            if stage.task is not None:
                self._bars.remove_task(stage.task)
                stage.task = None
            if failure is not None:
                self.line(f"{stage.label}: FAILED after {stage.seconds():.1f} s: {failure}")
            else:
                counts = describe(step_key, stage)
                self.line(f"{stage.label}: done in {stage.seconds():.1f} s"
                          + (f": {counts}" if counts else ""))
            self._waiting_for = f"after {stage.label}, waiting for the next step"

    def materialized(self, step_key: str, asset: str, metadata: Mapping[str, Any]) -> None:
        with self._lock:
            if (stage := self._stages.get(step_key)) is not None:
                stage.metadata[asset] = dict(metadata)

    def check_evaluated(self, step_key: str, name: str, passed: bool, blocking: bool,
                        carried: bool, description: str) -> None:
        with self._lock:
            if (stage := self._stages.get(step_key)) is None:
                return
            if not blocking and not passed:
                stage.warnings += 1
                stage.check_notes.append(f"warning {name}: {description}")
                return
            stage.checks.append((passed, carried))
            if stage.total is None:
                stage.done = len(stage.checks)
                stage.unit = "checks"
            if not passed:
                stage.check_notes.append(f"failed {name}: {description}")

    def work_planned(self, step_key: str, total: int, unit: str) -> None:
        with self._lock:
            if (stage := self._stages.get(step_key)) is not None:
                stage.total, stage.unit = total, unit

    def work_done(self, step_key: str) -> None:
        with self._lock:
            if (stage := self._stages.get(step_key)) is not None:
                stage.done += 1

    def warning(self, text: str) -> None:
        self.line(f"  warning: {text}")


def describe(step_key: str, stage: Stage) -> str:
    """A stage's counts, from what its step materialized and checked."""
    meta = stage.metadata
    if step_key == "submitted_files":
        registry = meta.get("audit/file_registry", {})
        if registry.get("nothing_to_do"):
            return "nothing new to read"
        raw = [m for asset, m in meta.items() if asset.startswith("raw/")]
        loaded = sum(m.get("rows_loaded", 0) for m in raw)
        quarantined = meta.get("audit/quarantine", {}).get("rows_quarantined", 0)
        released = meta.get("audit/quarantine", {}).get("rows_released", 0)
        rejected = registry.get("files_rejected", 0)
        return (f"{registry.get('files_seen', 0)} files found, {registry.get('files_new', 0)} "
                f"new read{f' ({rejected} rejected whole)' if rejected else ''}; {loaded} rows "
                f"loaded, {quarantined} quarantined"
                + (f", {released} released from quarantine" if released else ""))
    if step_key == "published__report":
        report = meta.get("published/report", {})
        return (f"{report.get('path')} already drawn from this published file"
                if report.get("skipped") else f"{report.get('path')} drawn")
    if step_key == "published__provinces":
        provinces = meta.get("published/provinces", {})
        return ("already drawn from this national file" if provinces.get("skipped")
                else f"{provinces.get('provinces', 0)} province files written")
    if step_key == "published__public_candidate":
        public = meta.get("published/public_candidate", {})
        return ("already drawn from this national file" if public.get("skipped") else
                f"{public.get('cells', 0)} counts, {public.get('primary_suppressions', 0)} "
                f"suppressed below k={public.get('k')}, {public.get('secondary_suppressions', 0)}"
                " more against differencing")
    if step_key == "published__public":
        public = meta.get("published/public", {})
        return ("left as it was" if public.get("skipped") else f"{public.get('path')} replaced")
    if step_key == "published__analytics":
        published = meta.get("published/analytics", {})
        tables = sum(1 for name in published if name.startswith("rows "))
        return f"{tables} tables published {published.get('published', '')}".rstrip()
    parts = []
    if step_key == "dbt_models":
        built = [a for a, m in meta.items() if not m.get(UNCHANGED)]
        seeds = sum(a.startswith("reference/") for a in built)
        parts.append(f"{len(built) - seeds} models and {seeds} seeds built, "
                     f"{len(meta) - len(built)} unchanged")
    if stage.checks:
        passed = sum(p for p, _ in stage.checks)
        carried = sum(c for _, c in stage.checks)
        what = "tests" if step_key == "dbt_models" else "checks"
        parts.append(f"{passed} of {len(stage.checks)} {what} passed"
                     + (f" ({carried} not run again: their tables are unchanged)"
                        if carried else ""))
    parts.extend(stage.check_notes[:5])
    return "; ".join(parts)
