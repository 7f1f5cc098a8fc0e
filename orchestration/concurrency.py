"""One writer: a run has the working DuckDB file to itself, from its first step to its last.

DuckDB lets one process open a database file for writing, and a read-only open fails while
another process writes. Two layers keep runs apart:

- runs launched through the instance (schedules, the landing sensor, backfills, the UI) wait in
  the QueuedRunCoordinator's queue of `dagster.yaml` (`max_concurrent_runs: 1`);
- every run, queued or executed in process (`kyluat run`, `make demo`, the tests), takes the
  warehouse's writer lock (`kyluat.locking.writer_lock`) when its `warehouse` resource is set up
  and releases it when the run ends. Every step that opens the working file (ingestion, dbt
  build, checks, publication) gets the warehouse through that resource, which Dagster sets up
  once per run with the in-process executor.

Taking turns step by step (a Dagster op pool) would not be enough: another run's dbt build could
slip in between this run's checks and its publication, and an unchecked build would be
published. A run-wide lock keeps the gate whole; being an OS lock, it is released by a run
that was killed.

The files drawn from the published file (report, tiers) are written by a run of their own job
(orchestration/job.py). It never opens the working file, so it takes no writer lock: its
resource `published_files` takes the draw lock instead, one drawing run at a time.

In the DuckLake deployment (kyluat/lake.py) the run also holds the catalog's run lock, a
PostgreSQL advisory lock, so that runs on different hosts, each with its own working file,
take turns too: the second ingests after the first has published. Holding it, the run brings
its working file up to the working catalog first and writes its working state back last
(kyluat/working_catalog.py), so the next host, whichever it is, starts from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from dagster import InitResourceContext

from kyluat import working_catalog
from kyluat.lake import run_lock
from kyluat.locking import exclusive, writer_lock
from orchestration.resources import WarehouseResource


class OneWriterWarehouse(WarehouseResource):
    """The warehouse resource, holding the writer lock while the run executes."""

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[OneWriterWarehouse]:
        run_id = context.run.run_id if context.run else "unknown"
        settings = self.settings()
        with ExitStack() as locks:
            locks.enter_context(writer_lock(settings.working_db, holder=run_id,
                                            report=context.log.warning))
            context.log.info(f"run {run_id} holds the warehouse writer lock")
            if settings.lake is not None:
                locks.enter_context(run_lock(settings.lake, holder=run_id,
                                             report=context.log.warning))
                context.log.info(f"run {run_id} holds the DuckLake run lock")
                locks.enter_context(working_catalog.mirrored(
                    settings.working_db, settings.lake, run_id, report=context.log.info))
            yield self


DRAW_LOCK = ".draw.lock"


class OneDrawer(WarehouseResource):
    """The warehouse's folders for the steps that draw files from analytics.duckdb, holding
    the draw lock (not the writer lock) while the run executes."""

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[OneDrawer]:
        with exclusive(self.settings().warehouse_dir / DRAW_LOCK):
            yield self
