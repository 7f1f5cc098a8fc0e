"""The working catalog: the state of the working warehouse that must survive a host.

In the DuckLake deployment (kyluat/lake.py) every host keeps its working file, but the file
is a cache. What ingestion writes (the raw versions of every row, the file registry,
quarantine, the key ring: `SHARED`) lives in a second DuckLake catalog, its metadata in schema
WORKING_METADATA_SCHEMA of the catalog's PostgreSQL database, its Parquet under the working
data path. Under the run lock, a run first brings the working file up to the catalog
(`pull`), then works on the file exactly as in the file mode (same SQL, same speed), and
before it lets the lock go writes the shared state back in one transaction, one snapshot
(`push`). A DuckLake transaction per ingestion step would be a commit to PostgreSQL per file.

What stays on the host: the dbt build and its bookkeeping (audit.builds, audit.publications,
audit.published_loads, audit.check_results, audit.published_row_counts). Rows another host
loaded are, to this host, loaded and not yet published, so its next build takes them in as
it takes in its own; when the catalog no longer holds every raw row the file held (a key
rotation elsewhere), the host forgets which loads it published and rebuilds every year.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from kyluat.config import LakeProfile
from kyluat.lake import attach, current_snapshot

log = logging.getLogger(__name__)

WORKING = "working_lake"
SHARED_SCHEMAS = ("raw", "restricted")
SHARED_AUDIT = ("file_registry", "quarantine", "primary_successor_changes")
# The local record of the catalog snapshot the working file last matched (never published:
# publication copies marts and audit).
SYNC_TABLE = "working_catalog.synced"


def _shared(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    """`schema.table` of the shared tables `database` holds."""
    audit = ", ".join(f"'{t}'" for t in SHARED_AUDIT)
    schemas = ", ".join(f"'{s}'" for s in SHARED_SCHEMAS)
    return [t for (t,) in con.execute(
        f"select schema_name || '.' || table_name from duckdb_tables() "
        f"where database_name = ? and (schema_name in ({schemas}) or "
        f"(schema_name = 'audit' and table_name in ({audit}))) order by 1",
        [database]).fetchall()]


def _layout(con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[tuple]:
    schema, name = table.split(".")
    return con.execute("select column_name, data_type from duckdb_columns() where "
                       "database_name = ? and schema_name = ? and table_name = ? "
                       "order by column_index", [database, schema, name]).fetchall()


def _fingerprint(con: duckdb.DuckDBPyConnection, relation: str) -> tuple:
    """Row count and the sum of a hash of every row: equal for the same rows in any order."""
    return con.execute(f"select count(*), coalesce(sum(hash(t)::hugeint), 0) "
                       f"from {relation} as t").fetchone()


def _missing_from(con: duckdb.DuckDBPyConnection, rows_of: str, target: str) -> int:
    """Rows of `rows_of` that `target` lacks (counted with their repeats)."""
    return con.execute(f"select count(*) from (select * from {rows_of} except all "
                       f"select * from {target})").fetchone()[0]


def _copy(con: duckdb.DuckDBPyConnection, source: str, target: str, table: str) -> str:
    """Make `target`.`table` hold the rows of `source`.`table`: nothing when they are equal,
    the missing rows when the target's are a part of the source's (raw versions only grow),
    else the whole table. Returns which."""
    src, dst = f"{source}.{table}", f"{target}.{table}"
    if _layout(con, source, table) == _layout(con, target, table):
        if _fingerprint(con, src) == _fingerprint(con, dst):
            return "same"
        if table.startswith("raw.") and not _missing_from(con, dst, src):
            con.execute(f"insert into {dst} select * from {src} except all select * from {dst}")
            return "appended"
    con.execute(f"create or replace table {dst} as select * from {src}")
    return "replaced"


def _synced(con: duckdb.DuckDBPyConnection) -> int | None:
    exists = con.execute("select count(*) from duckdb_tables() where database_name = "
                         "current_database() and schema_name || '.' || table_name = ?",
                         [SYNC_TABLE]).fetchone()[0]
    if not exists:
        return None
    row = con.execute(f"select max(snapshot_id) from {SYNC_TABLE}").fetchone()
    return row[0]


def _record_sync(con: duckdb.DuckDBPyConnection, snapshot: int) -> None:
    con.execute(f"create schema if not exists {SYNC_TABLE.split('.')[0]}")
    con.execute(f"create or replace table {SYNC_TABLE} as "
                f"select {int(snapshot)}::bigint as snapshot_id, now() as synced_at")


def _open(working_db: Path, profile: LakeProfile) -> tuple[duckdb.DuckDBPyConnection, str]:
    """The working file, with the working catalog attached to write; and the file's
    database name."""
    from kyluat.locking import connect

    working_db.parent.mkdir(parents=True, exist_ok=True)
    con = connect(working_db)
    try:
        con.execute("set memory_limit = '2GB'")
        attach(con, profile, read_only=False, alias=WORKING, working=True)
    except BaseException:
        con.close()
        raise
    return con, con.execute("select current_database()").fetchone()[0]


def pull(working_db: Path, profile: LakeProfile) -> str:
    """Bring the working file up to the working catalog (the run holds the run lock): every
    shared table the catalog holds, with the file-id sequence after its registry. A file that
    already matches the catalog's snapshot, or a catalog that holds nothing yet, is left as it
    is. Returns what was done, for the run's log."""
    con, here = _open(working_db, profile)
    try:
        snapshot = current_snapshot(con, WORKING)
        tables = _shared(con, WORKING)
        if not tables:
            return "the working catalog is empty: this host's working file will fill it"
        if _synced(con) == snapshot:
            return f"the working file is at the working catalog's snapshot {snapshot}"
        local = set(_shared(con, here))
        con.execute("begin transaction")
        lost = 0
        for schema in {t.split(".")[0] for t in tables}:
            con.execute(f"create schema if not exists {here}.{schema}")
        for table in tables:
            if table in local and table.startswith("raw.") and \
                    _layout(con, here, table) == _layout(con, WORKING, table):
                lost += _missing_from(con, f"{here}.{table}", f"{WORKING}.{table}")
            _copy(con, WORKING, here, table)
        next_id = con.execute(f"select coalesce(max(file_id), 0) + 1 "
                              f"from {here}.audit.file_registry").fetchone()[0]
        con.execute(f"drop sequence if exists {here}.audit.file_id_seq")
        con.execute(f"create sequence {here}.audit.file_id_seq start with {int(next_id)}")
        if lost and con.execute("select count(*) from duckdb_tables() where database_name = ? "
                                "and schema_name = 'audit' and table_name = 'published_loads'",
                                [here]).fetchone()[0]:
            # rows this host built from are gone: rebuild every year from the catalog's
            con.execute(f"delete from {here}.audit.published_loads")
        _record_sync(con, snapshot)
        con.execute("commit")
        return (f"the working file now matches the working catalog's snapshot {snapshot}"
                + (f" ({lost} raw rows it held are gone: every year is rebuilt)" if lost
                   else ""))
    finally:
        con.close()


def push(working_db: Path, profile: LakeProfile, run_id: str) -> str:
    """Write the working file's shared tables into the working catalog in one transaction
    (nothing when they are unchanged); the snapshot is recorded as the file's. Returns what
    was done, for the run's log."""
    if not working_db.exists():
        return "no working file: nothing to write to the working catalog"
    con, here = _open(working_db, profile)
    try:
        tables = _shared(con, here)
        present = set(_shared(con, WORKING))
        con.execute("begin transaction")
        for schema in {t.split(".")[0] for t in tables}:
            con.execute(f"create schema if not exists {WORKING}.{schema}")
        done = {table: "created" if table not in present else None for table in tables}
        for table in tables:
            if done[table] == "created":
                con.execute(f"create table {WORKING}.{table} as select * from {here}.{table}")
            else:
                done[table] = _copy(con, here, WORKING, table)
        changed = sorted(t for t, how in done.items() if how != "same")
        if changed:
            con.execute(f"call {WORKING}.set_commit_message('kyluat', ?)",
                        [f"working state of run {run_id}"])
        con.execute("commit")
        snapshot = current_snapshot(con, WORKING)
        _record_sync(con, snapshot)
        return (f"the working catalog's snapshot {snapshot} holds this run's working state "
                f"({len(changed)} table(s) written)" if changed else
                f"the working catalog already held this run's working state (snapshot "
                f"{snapshot})")
    finally:
        con.close()


@contextmanager
def mirrored(working_db: Path, profile: LakeProfile, run_id: str,
             report: Callable[[str], None] = log.info) -> Iterator[None]:
    """A run's work on its working file between a pull and a push (the caller holds the run
    lock). The push follows a failed run too: what it committed, the file mode keeps."""
    report(pull(working_db, profile))
    try:
        yield
    finally:
        report(push(working_db, profile, run_id))
