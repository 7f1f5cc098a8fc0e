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
from kyluat.locking import retry_on_lock

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
        # A bounded buffer pool: the copy streams, and DuckDB's default is 80% of the machine.
        con.execute("set memory_limit = '2GB'")
        retry_on_lock(lambda: con.execute(f"attach '{settings.working_db}' as working (read_only)"),
                      str(settings.working_db))
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


def capture_published_row_counts(settings: Settings) -> dict[str, int]:
    """Row counts of the marts analysts read now, kept in the working file so that dbt can
    refuse a build that would lose rows (test assert_no_row_count_drop)."""
    from kyluat.ingest import ensure_schema

    counts: dict[str, int] = {}
    if settings.published_db.exists():
        published = duckdb.connect(str(settings.published_db), read_only=True)
        try:
            for (name,) in published.execute(
                    "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall():
                counts[name] = published.execute(
                    f"select count(*) from marts.{name}").fetchone()[0]
        finally:
            published.close()
    con = duckdb.connect(str(settings.working_db))
    try:
        ensure_schema(con)
        con.execute("begin transaction")
        con.execute("delete from audit.published_row_counts")
        if counts:
            con.executemany("insert into audit.published_row_counts values (?, ?, now())",
                            list(counts.items()))
        con.execute("commit")
    finally:
        con.close()
    return counts


def record_check_results(settings: Settings, results: list[tuple]) -> None:
    """Append check evaluations (run_id, check, asset, passed, blocking, details, time) that
    are not recorded yet; they are published with the audit schema."""
    from kyluat.ingest import ensure_schema

    if not results:
        return
    con = duckdb.connect(str(settings.working_db))
    try:
        ensure_schema(con)
        con.execute("create temp table incoming as select * from audit.check_results limit 0")
        con.executemany("insert into incoming values (?, ?, ?, ?, ?, ?, ?)", results)
        con.execute("""
            insert into audit.check_results
            select * from incoming i
            where not exists (select 1 from audit.check_results r
                              where r.run_id = i.run_id and r.check_name = i.check_name
                                and r.asset = i.asset)
        """)
    finally:
        con.close()
