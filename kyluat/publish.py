"""Publish the analyst-facing copy of the warehouse, atomically.

Analysts only ever open `analytics.duckdb`. It is built next to its final place and swapped
in with a rename, so a reader sees the previous complete file or the new complete file,
never a half-built one, and never holds a lock the pipeline needs.

A run that rebuilt only some reporting years publishes incrementally: the previous published
file is copied beside it, and in the copy only what changed is replaced (the rebuilt years of
the year-partitioned marts, the rebuilt activities and decisions of the marts dbt rebuilds by
key, the other tables whole). Anything unexpected about the
previous file (missing, unreadable, another table layout) falls back to the full copy.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kyluat.config import DBT_PROJECT_DIR, Settings
from kyluat.locking import WRITER_CONFIG, connect, retry_on_lock

# Schemas analysts read. raw/staging/intermediate stay in the working file.
PUBLISHED_SCHEMAS = ("marts", "audit")

# The year filter of a year-partitioned model: its pre_hook deletes the rebuilt years
# (macro delete_rebuild_years in dbt_project/macros/reporting_years.sql).
_DELETE_HOOK = re.compile(
    r"delete_rebuild_years\(\s*'(?P<year>[^']+)'\s*(?:,\s*offsets\s*=\s*\[(?P<offsets>[^\]]*)\])?\s*\)")
_BY_YEAR_TAG = re.compile(r"tags\s*=\s*\[[^\]]*'by_year'")
_BY_ACTIVITY_TAG = re.compile(r"tags\s*=\s*\[[^\]]*'by_activity'")
# The pre_hook of a model rebuilt by the decisions of a year-partitioned fact (macro
# delete_rebuild_decisions).
_BY_DECISION_HOOK = re.compile(
    r"delete_rebuild_decisions\(\s*ref\('(?P<fact>\w+)'\)\s*,\s*\[(?P<keys>[^\]]*)\]")

# The activities the last build rebuilt in the marts tagged by_activity (fct_activity).
REBUILT_ACTIVITIES = "working.intermediate.int_activities_to_rebuild"


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]  # schema.table -> rows
    incremental: bool = False  # True when the previous file was updated, not rebuilt
    fallback: str | None = None  # why years were given but the full copy was made


@dataclass(frozen=True)
class YearPartition:
    """How a published mart is partitioned by reporting year: the SQL expression of a row's
    year, and the offsets by which a rebuilt year widens (a year's rows also change when the
    year before is rebuilt: offsets (0, 1))."""

    year_expr: str
    offsets: tuple[int, ...] = (0,)

    def years(self, rebuilt: list[int]) -> list[int]:
        return sorted({year + offset for year in rebuilt for offset in self.offsets})


def year_partitioned_marts(models_dir: Path = DBT_PROJECT_DIR / "models" / "marts"
                           ) -> dict[str, YearPartition]:
    """The marts tagged `by_year`, read from their dbt models: table name -> year partition.

    The year expression and offsets are those the model's pre_hook deletes before it inserts
    the rebuilt years again, so the published copy replaces exactly the rows dbt rebuilt."""
    found: dict[str, YearPartition] = {}
    for path in sorted(models_dir.glob("*.sql")):
        text = path.read_text()
        if not _BY_YEAR_TAG.search(text):
            continue
        hook = _DELETE_HOOK.search(text)
        if hook is None:
            raise ValueError(f"{path}: tagged by_year without a delete_rebuild_years pre_hook")
        offsets = tuple(int(o) for o in (hook["offsets"] or "0").split(",") if o.strip())
        found[path.stem] = YearPartition(hook["year"], offsets)
    return found


@dataclass(frozen=True)
class DecisionPartition:
    """A published mart rebuilt by decision: the rows of the decisions (`keys`) that the
    year-partitioned `fact` holds in its rebuilt years."""

    fact: str
    keys: tuple[str, ...]


def decision_partitioned_marts(models_dir: Path = DBT_PROJECT_DIR / "models" / "marts"
                               ) -> dict[str, DecisionPartition]:
    """The marts whose pre_hook is delete_rebuild_decisions, read from their dbt models."""
    found: dict[str, DecisionPartition] = {}
    for path in sorted(models_dir.glob("*.sql")):
        if hook := _BY_DECISION_HOOK.search(path.read_text()):
            keys = tuple(k.strip().strip("'\"") for k in hook["keys"].split(",") if k.strip())
            found[path.stem] = DecisionPartition(hook["fact"], keys)
    return found


def activity_partitioned_marts(models_dir: Path = DBT_PROJECT_DIR / "models" / "marts"
                               ) -> set[str]:
    """The marts tagged `by_activity`: dbt rebuilds the activities of REBUILT_ACTIVITIES."""
    return {path.stem for path in sorted(models_dir.glob("*.sql"))
            if _BY_ACTIVITY_TAG.search(path.read_text())}


def publish(settings: Settings, rebuilt_years: list[int] | None = None,
            rebuilt_models: set[str] | None = None) -> PublishResult:
    """Write analytics.duckdb from the marts and audit schemas of the working file.

    `rebuilt_years`: the reporting years whose rows the year-partitioned marts (dbt tag
    `by_year`) rebuilt since the previous publication, exactly as given to dbt in
    KYLUAT_REBUILD_YEARS (a model's own offsets, e.g. the following year of
    mart_discipline_unit_year, are added here). None (the default) means every year or
    unknown: the file is built afresh from the working file (a full copy). A list (possibly
    empty) publishes incrementally: the previous published file is copied, the listed years
    of the partitioned marts are deleted and inserted again from the working file (those
    rebuilt by key, the rows of the rebuilt activities or decisions), the
    year-less tables are replaced whole unless their content is unchanged (same row count
    and sum of row hashes, `_fingerprint`), tables gone from the working file are dropped and
    new ones created. The incremental file equals the full copy as long as the rows of every
    other year are unchanged since the previous publication. `rebuilt_models`: the marts dbt
    rebuilt since then (None: every one); the others are left as they are in the copy. When
    the previous file is
    missing, unreadable, or has another column layout, or when a table's row count does not
    match the working file afterwards, the full copy is made instead.

    The caller holds the run-wide writer lock: no other publisher runs, so temporary files
    left by a killed publication (`.analytics.duckdb.<pid>.tmp` and its `.wal`) are removed.
    """
    target = settings.published_db
    staging = _staging(target)
    copied = _CopyAhead.take(staging, target)
    remove_stale_temporaries(target, keep=staging if copied else None)
    tables, fallback = None, None
    if rebuilt_years is not None:
        if target.exists():
            tables, fallback = _build_incremental(settings, staging, sorted(set(rebuilt_years)),
                                                  rebuilt_models, copied)
        else:
            fallback = "no previous published file"
    incremental = tables is not None
    try:
        if tables is None:
            tables = _build_full(settings, staging)
        _fsync(staging)
        os.replace(staging, target)
    except BaseException:
        # a full disk can fail the staging file's creation, its close or its fsync: whatever
        # failed, nothing of this publication stays beside the published file
        _discard(staging)
        raise
    _fsync(target.parent)
    return PublishResult(target, tables, incremental, fallback)


def remove_stale_temporaries(target: Path, keep: Path | None = None) -> list[Path]:
    """Remove the temporary files (and their WAL) of earlier publications that did not end;
    `keep`: this publication's copy made ahead."""
    removed = []
    for path in target.parent.glob(f".{target.name}.*.tmp*"):
        if path != keep:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _staging(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def copy_ahead(settings: Settings) -> threading.Thread | None:
    """Start copying the published file to this process's staging file, in a thread, for an
    incremental publication later in the run: the copy (0.2 to 2 s for a 400 MB file,
    depending on the page cache) then overlaps the dbt build, which waits on another process.
    The publication uses the copy only if the published file is the same file, unchanged,
    as when the copy began and ended; otherwise it copies again. Returns the copying thread
    (None: no published file yet)."""
    target = settings.published_db
    if not target.exists():
        return None
    return _CopyAhead.start(_staging(target), target)


class _CopyAhead:
    """The copies made ahead in this process: staging path -> the thread and its outcome."""

    _started: dict[Path, _CopyAhead] = {}

    def __init__(self, staging: Path, target: Path) -> None:
        self.staging, self.target = staging, target
        self.copied_from: tuple | None = None  # the target's identity, when the copy is good
        self.thread = threading.Thread(target=self._copy, name="publish-copy-ahead",
                                       daemon=True)

    @classmethod
    def start(cls, staging: Path, target: Path) -> threading.Thread:
        cls.take(staging, target)  # an earlier copy not taken: replaced
        _discard(staging)
        cls._started[staging] = ahead = cls(staging, target)
        ahead.thread.start()
        return ahead.thread

    @classmethod
    def take(cls, staging: Path, target: Path) -> bool:
        """True when `staging` now holds a copy of `target` as it is; otherwise the copy
        (if any) is removed."""
        ahead = cls._started.pop(staging, None)
        if ahead is None:
            return False
        ahead.thread.join()
        if ahead.copied_from is not None and ahead.copied_from == _identity(target):
            return True
        _discard(staging)
        return False

    def _copy(self) -> None:
        try:
            before = _identity(self.target)
            shutil.copyfile(self.target, self.staging)
            if _identity(self.target) == before:
                self.copied_from = before
        except OSError:
            pass  # the publication copies again, and reports what fails then


def _identity(path: Path) -> tuple | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


@atexit.register
def _discard_copies_not_taken() -> None:
    """A run that did not publish leaves no copy behind (a killed one's goes at the next
    publication, remove_stale_temporaries)."""
    for staging in list(_CopyAhead._started):
        ahead = _CopyAhead._started.pop(staging)
        ahead.thread.join()
        _discard(staging)


def _discard(staging: Path) -> None:
    for path in (staging, staging.with_name(staging.name + ".wal")):
        path.unlink(missing_ok=True)


def _close_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Close a connection whose work already failed: closing checkpoints, which fails again
    on a full disk, and the first error is the one to report."""
    with contextlib.suppress(duckdb.Error):
        con.close()


def _open(staging: Path) -> duckdb.DuckDBPyConnection:
    # a writer's configuration (WRITER_CONFIG): an incremental publication's commit drops the
    # row groups of the replaced years whole and leaves the others' deleted rows marked, a
    # third of its time on a month added to ten national years
    con = duckdb.connect(str(staging), config=WRITER_CONFIG)
    # A bounded buffer pool: the copy streams, and DuckDB's default is 80% of the machine.
    con.execute("set memory_limit = '2GB'")
    return con


def _attach_working(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    retry_on_lock(lambda: con.execute(f"attach '{settings.working_db}' as working (read_only)"),
                  str(settings.working_db))


def _layout(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[tuple[str, str]]]:
    """schema.table -> [(column, type)] in column order, for the published schemas."""
    layout: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in con.execute(
            "select schema_name || '.' || table_name, column_name, data_type "
            "from duckdb_columns() where database_name = ? and schema_name in ('marts', 'audit') "
            "and (database_name, schema_name, table_name) in "
            "(select (database_name, schema_name, table_name) from duckdb_tables()) "
            "order by schema_name, table_name, column_index", [database]).fetchall():
        layout.setdefault(table, []).append((column, data_type))
    return layout


def _row_counts(con: duckdb.DuckDBPyConnection, tables: list[str],
                prefix: str = "") -> dict[str, int]:
    return {table: con.execute(f"select count(*) from {prefix}{table}").fetchone()[0]
            for table in tables}


def _fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> tuple:
    """Row count and the sum of a 64-bit hash of every row (as a 128-bit integer, so it never
    wraps): equal for the same rows in any order. Two different tables of the same row count
    agree only if their hash sums collide, a chance of about 2^-64 for data not built to
    collide; the row layout was compared before."""
    return con.execute(f"select count(*), coalesce(sum(hash(t)::hugeint), 0) "
                       f"from {table} as t").fetchone()


def _build_full(settings: Settings, staging: Path) -> dict[str, int]:
    _discard(staging)
    tables: dict[str, int] = {}
    con = _open(staging)
    try:
        _attach_working(con, settings)
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
        _close_quietly(con)
        _discard(staging)
        raise
    con.close()
    return tables


def _build_incremental(settings: Settings, staging: Path, rebuilt_years: list[int],
                       rebuilt_models: set[str] | None, copied: bool = False,
                       ) -> tuple[dict[str, int] | None, str | None]:
    """The previous published file, copied to `staging` (unless `copied` already) and brought
    up to date: (row counts, None); or (None, why) with nothing left behind when the full
    copy must be made."""
    if not copied:
        _discard(staging)
        try:
            shutil.copyfile(settings.published_db, staging)
        except OSError as error:
            _discard(staging)
            return None, f"previous file not copied: {error}"
    partitioned, by_activity = year_partitioned_marts(), activity_partitioned_marts()
    by_decision = decision_partitioned_marts()
    try:
        con = _open(staging)
        database = con.execute("select current_database()").fetchone()[0]
        old = _layout(con, database)
    except duckdb.Error as error:
        _discard(staging)  # not a DuckDB file, or a damaged one
        return None, f"previous file unreadable: {error}"
    try:
        _attach_working(con, settings)
        new = _layout(con, "working")
        if any(old[table] != columns for table, columns in new.items() if table in old):
            raise _Unusable("column layout changed")
        # one transaction: the staging file is discarded on any failure, so a commit per
        # table bought nothing and each cost its own write of the log
        con.execute("begin transaction")
        for table in sorted(set(old) - set(new)):
            con.execute(f"drop table {table}")
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists {schema}")
        for table in sorted(new):
            schema, name = table.split(".")
            partition = partitioned.get(name) if schema == "marts" else None
            if table not in old:
                con.execute(f"create table {table} as select * from working.{table}")
            elif schema == "marts" and rebuilt_models is not None and name not in rebuilt_models:
                continue  # not rebuilt since the previous publication: the same rows
            elif schema == "marts" and name in by_activity:
                rebuilt = ("(conducting_unit_code, activity_ref) in (select conducting_unit_code, "
                           f"activity_ref from {REBUILT_ACTIVITIES}) and "
                           + dated_in_years("start_date", _activity_version_years(con)))
                _replace_rows(con, table, rebuilt)
            elif schema == "marts" and name in by_decision:
                decisions = by_decision[name]
                fact = partitioned[decisions.fact]
                if years := fact.years(rebuilt_years):
                    keys = ", ".join(decisions.keys)
                    _replace_rows(con, table, f"({keys}) in (select {keys} from working.marts."
                                              f"{decisions.fact} where ({fact.year_expr}) in "
                                              f"({', '.join(map(str, years))}))")
            elif partition is None:
                # year-less: replaced whole, unless its content is the same (a scan of both
                # is much cheaper than writing the table again; a row count that moved
                # settles it without the scan)
                if _row_counts(con, [table]) != _row_counts(con, [table], "working.") or (
                        _fingerprint(con, table) != _fingerprint(con, f"working.{table}")):
                    con.execute(f"create or replace table {table} as "
                                f"select * from working.{table}")
            elif years := partition.years(rebuilt_years):
                _replace_rows(con, table,
                              f"({partition.year_expr}) in ({', '.join(map(str, years))})")
        tables = _row_counts(con, sorted(new))
        if tables != _row_counts(con, sorted(new), "working."):
            raise _Unusable("row counts differ from the working file")
        con.execute("commit")
        con.execute("detach working")
        con.execute("checkpoint")
    except (_Unusable, duckdb.Error) as error:
        _close_quietly(con)
        _discard(staging)
        return None, str(error)
    except BaseException:
        _close_quietly(con)
        _discard(staging)
        raise
    con.close()
    return tables, None


def _replace_rows(con: duckdb.DuckDBPyConnection, table: str, rows: str) -> None:
    """The `rows` (a filter) of `table` replaced by those of the working file."""
    con.execute(f"delete from {table} where {rows}")
    con.execute(f"insert into {table} select * from working.{table} where {rows}")


def _activity_version_years(con: duckdb.DuckDBPyConnection) -> list[int] | None:
    """The start years of every version of the rebuilt activities (None: every year), as the
    macro rebuilt_version_years reads them."""
    years = [row[0] for row in con.execute(
        f"select distinct unnest(version_years) from {REBUILT_ACTIVITIES}").fetchall()]
    return None if None in years else years


def dated_in_years(date_column: str, years: list[int] | None) -> str:
    """A filter on `date_column`: its year is one of `years` (None: every year), as date
    ranges that the zone maps of a table in date order can skip (the dbt macro of the same
    name writes the same filter)."""
    if years is None:
        return "true"
    spans: list[list[int]] = []
    for year in sorted(set(years)):
        if spans and spans[-1][1] + 1 == year:
            spans[-1][1] = year
        else:
            spans.append([year, year])
    ranges = [f"({date_column} >= date '{first}-01-01' and {date_column} < date '{last + 1}-01-01')"
              for first, last in spans]
    return f"({' or '.join(ranges)})" if ranges else "false"


def _published_marts(settings: Settings) -> duckdb.DuckDBPyConnection | None:
    """A read-only connection on which `marts.<table>` are the published marts; None when
    nothing was published yet."""
    if settings.lake is not None:
        from kyluat import lake

        try:
            con = lake.connect(settings.lake)
        except lake.LakeError:
            # the run has already reached the catalog's PostgreSQL (its working state came
            # from there): a catalog that cannot be attached read-only was never published to
            return None
        if lake.has_publication(con):
            return con
        con.close()
        return None
    if settings.published_db.exists():
        return duckdb.connect(str(settings.published_db), read_only=True)
    return None


class _Unusable(Exception):
    """The previous published file cannot be brought up to date: make the full copy."""


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def capture_published_row_counts(settings: Settings) -> dict[str, int]:
    """Row counts of the marts analysts read now, kept in the working file so that dbt can
    refuse a build that would lose rows (test assert_no_row_count_drop). In the DuckLake mode
    analysts read the published catalog, which another worker may have published last: its
    counts, not those of this worker's own file."""
    from kyluat.ingest import ensure_schema

    counts: dict[str, int] = {}
    published = _published_marts(settings)
    if published is not None:
        try:
            for (name,) in published.execute(
                    "select table_name from duckdb_tables() where database_name = "
                    "current_database() and schema_name = 'marts'").fetchall():
                counts[name] = published.execute(
                    f"select count(*) from marts.{name}").fetchone()[0]
        finally:
            published.close()
    con = connect(settings.working_db)
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

