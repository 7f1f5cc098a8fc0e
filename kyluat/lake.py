"""The DuckLake deployment: the published catalog shared by every host.

With KYLUAT_WAREHOUSE_MODE=ducklake (kyluat/config.py, `LakeProfile`) the published schemas
are also written to a DuckLake catalog: its metadata in PostgreSQL, its data as Parquet under
the data path. A publication replaces the catalog's tables in one transaction, one DuckLake
snapshot, so a reader attached read-only sees the previous publication or the new one, whole.
A release records the snapshot it froze, and the catalog can be read as it was then (time
travel). Runs on different hosts take turns through a PostgreSQL advisory lock held for the
whole run (`run_lock`), and a publication never drops a file the catalog already holds
(`LakeError`): no host's figures are lost to another's.

The DuckDB extensions come from the package index (duckdb-extension-ducklake and
duckdb-extension-postgres-scanner, built for the pinned DuckDB) and are loaded from their
files: nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from kyluat.config import WORKING_METADATA_SCHEMA, LakeProfile

log = logging.getLogger(__name__)

ALIAS = "lake"
PUBLISHED_SCHEMAS = ("marts", "audit")
# One advisory lock key for every kyluat host on the catalog's database.
RUN_LOCK_KEY = int.from_bytes(hashlib.sha256(b"kyluat-ducklake-run").digest()[:8], "big") >> 1


class LakeError(Exception):
    """The catalog cannot be read or written as asked; the message says what to do."""


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """Load ducklake and postgres_scanner from their wheels (never from the network)."""
    import duckdb_extension_ducklake
    import duckdb_extension_postgres_scanner

    con.execute("set autoinstall_known_extensions = false")
    for module in (duckdb_extension_postgres_scanner, duckdb_extension_ducklake):
        package = Path(module.__file__).parent
        binary = next(package.glob(f"extensions/v{duckdb.__version__}/*.duckdb_extension"), None)
        if binary is None:
            raise RuntimeError(f"{module.__name__} has no build for duckdb {duckdb.__version__}")
        con.execute(f"load '{binary}'")


def attach(con: duckdb.DuckDBPyConnection, profile: LakeProfile, read_only: bool = True,
           snapshot: int | None = None, alias: str = ALIAS, working: bool = False) -> None:
    """Attach the published catalog (or, `working`, the working catalog) as `alias`: read-only
    (optionally as of `snapshot`), or to write, with every row in Parquet under its data path
    (none inlined in PostgreSQL)."""
    load_extensions(con)
    if read_only:
        options = "read_only" + (f", snapshot_version {int(snapshot)}"
                                 if snapshot is not None else "")
    else:
        data_path = profile.working_path if working else profile.data_path
        options = f"data_path '{_quote(data_path)}', data_inlining_row_limit 0"
    if working:
        options += f", metadata_schema '{WORKING_METADATA_SCHEMA}'"
    try:
        con.execute(f"attach '{_quote(profile.url)}' as {alias} ({options})")
    except duckdb.Error as exc:
        raise LakeError(f"the DuckLake catalog cannot be attached ({str(exc).splitlines()[0]}); "
                        "check KYLUAT_DUCKLAKE_CATALOG and that PostgreSQL is reachable"
                        ) from None


def connect(profile: LakeProfile, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the catalog attached read-only and in use, so that
    `marts.<table>` names the published table (as of `snapshot` when given)."""
    con = duckdb.connect()
    try:
        attach(con, profile, snapshot=snapshot)
        con.execute(f"use {ALIAS}")
    except BaseException:
        con.close()
        raise
    return con


def current_snapshot(con: duckdb.DuckDBPyConnection, alias: str = ALIAS) -> int:
    return con.execute(f"select id from {alias}.current_snapshot()").fetchone()[0]


def has_publication(con: duckdb.DuckDBPyConnection, alias: str = ALIAS) -> bool:
    return bool(con.execute("select count(*) from duckdb_tables() where database_name = ? and "
                            "schema_name = 'audit' and table_name = 'file_registry'",
                            [alias]).fetchone()[0])


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[tuple[str, str]]]:
    layout: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in con.execute(
            "select schema_name || '.' || table_name, column_name, data_type from duckdb_columns() "
            "where database_name = ? and schema_name in ('marts', 'audit') "
            "order by schema_name, table_name, column_index", [database]).fetchall():
        layout.setdefault(table, []).append((column, data_type))
    return layout


def _fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> tuple:
    """Row count and the sum of a hash of every row: equal for the same rows in any order."""
    return con.execute(f"select count(*), coalesce(sum(hash(t)::hugeint), 0) "
                       f"from {table} as t").fetchone()


def publish_to_lake(published_db: Path, profile: LakeProfile, run_id: str) -> tuple[int, int]:
    """Write the published file's schemas into the catalog in one transaction: (snapshot id,
    tables written). A table whose rows are unchanged is left as it is; tables gone from the
    file are dropped. Refused (LakeError, nothing written) when the catalog holds a file the
    published build did not read: publishing it would lose another host's figures."""
    con = duckdb.connect()
    try:
        con.execute("set memory_limit = '2GB'")
        attach(con, profile, read_only=False)
        con.execute(f"attach '{_quote(str(published_db))}' as published (read_only)")
        if has_publication(con):
            missing = con.execute(
                f"select count(*), min(path) from {ALIAS}.audit.file_registry where sha256 not in "
                "(select sha256 from published.audit.file_registry)").fetchone()
            if missing[0]:
                raise LakeError(
                    f"the DuckLake catalog holds {missing[0]} file(s) this build did not read "
                    f"(the first: {missing[1]}); publishing it would lose them. Give this host "
                    "the landing folder the other hosts use and run again")
        new, old = _tables(con, "published"), _tables(con, ALIAS)
        con.execute("begin transaction")
        written = 0
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists {ALIAS}.{schema}")
        for table in sorted(set(old) - set(new)):
            con.execute(f"drop table {ALIAS}.{table}")
        for table in sorted(new):
            if old.get(table) == new[table] and (_fingerprint(con, f"{ALIAS}.{table}")
                                                 == _fingerprint(con, f"published.{table}")):
                continue
            con.execute(f"create or replace table {ALIAS}.{table} as "
                        f"select * from published.{table}")
            written += 1
        con.execute(f"call {ALIAS}.set_commit_message('kyluat', ?)",
                    [f"publication of run {run_id}"])
        con.execute("commit")
        return current_snapshot(con), written
    finally:
        con.close()


def publications(profile: LakeProfile) -> list[tuple[int, str, str]]:
    """The catalog's publications, oldest first: (snapshot id, time, commit message)."""
    con = duckdb.connect()
    try:
        attach(con, profile)
        return [(snapshot, str(when), message) for snapshot, when, message in con.execute(
            f"select snapshot_id, snapshot_time, commit_message from {ALIAS}.snapshots() "
            "where author = 'kyluat' order by snapshot_id").fetchall()]
    finally:
        con.close()


@contextmanager
def run_lock(profile: LakeProfile, holder: str, report: Callable[[str], None] = log.warning,
             poll_seconds: float = 1.0, report_every_seconds: float = 60.0) -> Iterator[None]:
    """Hold the catalog's run lock (a PostgreSQL session advisory lock) for a whole run, on
    any host; wait (without limit) while another run holds it. A run that dies loses its
    connection, and PostgreSQL releases the lock."""
    import psycopg2

    try:
        pg = psycopg2.connect(profile.catalog, application_name=f"kyluat run {holder}"[:63])
    except psycopg2.Error as exc:
        raise LakeError(f"the DuckLake catalog's PostgreSQL cannot be reached "
                        f"({str(exc).strip().splitlines()[0]}); check KYLUAT_DUCKLAKE_CATALOG"
                        ) from None
    pg.autocommit = True
    try:
        started, reported = time.monotonic(), None
        with pg.cursor() as cursor:
            while True:
                cursor.execute("select pg_try_advisory_lock(%s)", [RUN_LOCK_KEY])
                if cursor.fetchone()[0]:
                    break
                now = time.monotonic()
                if reported is None or now - reported >= report_every_seconds:
                    cursor.execute("select a.application_name from pg_locks l join "
                                   "pg_stat_activity a using (pid) where l.locktype = 'advisory' "
                                   "and l.granted and (l.classid::bigint << 32 | l.objid::bigint)"
                                   " = %s", [RUN_LOCK_KEY])
                    row = cursor.fetchone()
                    report(f"waiting for the DuckLake run lock ({now - started:.0f}s so far; "
                           f"held by {row[0] if row else 'another run'})")
                    reported = now
                time.sleep(poll_seconds)
        yield
    finally:
        pg.close()  # ends the session: releases the lock
