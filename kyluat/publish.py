"""Publish the analyst-facing copy of the warehouse, atomically.

Analysts only ever open `analytics.duckdb`. It is built next to its final place and swapped
in with a rename, so a reader sees the previous complete file or the new complete file,
never a half-built one, and never holds a lock the pipeline needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kyluat.config import Settings

# Schemas analysts read. raw/staging/intermediate stay in the working file.
PUBLISHED_SCHEMAS = ("marts", "audit")


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]  # schema.table -> rows


def publish(settings: Settings) -> PublishResult:
    target = settings.published_db
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    tables: dict[str, int] = {}
    con = duckdb.connect(str(staging))
    try:
        con.execute(f"attach '{settings.working_db}' as working (read_only)")
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists {schema}")
            names = [r[0] for r in con.execute(
                "select table_name from duckdb_tables() "
                "where database_name = 'working' and schema_name = ? order by table_name",
                [schema]).fetchall()]
            for name in names:
                con.execute(f"create table {schema}.{name} as "
                            f"select * from working.{schema}.{name}")
                tables[f"{schema}.{name}"] = con.execute(
                    f"select count(*) from {schema}.{name}").fetchone()[0]
        con.execute("detach working")
        con.execute("checkpoint")
    except BaseException:
        con.close()
        staging.unlink(missing_ok=True)
        raise
    con.close()
    _fsync(staging)
    os.replace(staging, target)
    _fsync(target.parent)
    return PublishResult(target, tables)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
