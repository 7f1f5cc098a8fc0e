"""One writer: every step that opens the working DuckDB file runs in one Dagster pool.

DuckDB lets one process open a database file for writing (and a read-only open fails while
another process writes). Three layers keep to that:

- runs launched through the instance (schedules, sensors, backfills, the UI) are queued by the
  QueuedRunCoordinator of `dagster.yaml` with `max_concurrent_runs: 1`;
- every step of the code location (ingestion, dbt build, Great Expectations checks, publication)
  claims a slot of the pool `WRITER_POOL`, whose limit is 1 (`concurrency: pools: default_limit`
  in `dagster.yaml`). This also holds for runs that do not go through the queue, such as two
  `kyluat run` started at once: their steps take turns, each waits for the other's step to end;
- `kyluat.locking` retries a lock error where kyluat itself opens the working file.
"""

from __future__ import annotations

from dagster import AssetsDefinition, Definitions, OpDefinition

WRITER_POOL = "kyluat_duckdb_writer"


def use_writer_pool(defs: Definitions, pool: str = WRITER_POOL) -> Definitions:
    """Put the op of every asset and asset check of `defs` in `pool`, so new assets join it
    without anyone remembering to. Call it right after `Definitions(...)`, before the code
    location is resolved. (Dagster takes the pool from the op definition; there is no public
    way to set it on an existing op, hence the attribute.)"""
    for definition in [*(defs.assets or []), *(defs.asset_checks or [])]:
        if not isinstance(definition, AssetsDefinition) or not definition.is_executable:
            continue
        op = definition.node_def
        if not isinstance(op, OpDefinition):
            raise TypeError(f"{op.name}: graph-backed assets need a pool on each of their ops")
        if op.pool not in (None, pool):
            raise ValueError(f"{op.name} is in pool {op.pool!r}, not the writer pool {pool!r}")
        op._pool = pool  # see the docstring
    return defs
