"""Load the landing directory into the working warehouse: raw tables, file registry, quarantine.

One run is one transaction: a run killed at any point leaves the warehouse as it was, and
the next run loads everything exactly once. Files are identified by content (sha256), so a
file read before, under any name, adds nothing.

Files are read and checked outside that transaction, on a scratch in-memory database: in the
transaction, every temp table a file replaced was kept until commit, so a national load held
every file in memory at once. Only the checked rows enter the transaction, handed from one
database to the other as Arrow record batches (in memory, no copy on disk).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow

from kyluat import locking, reference
from kyluat.config import Settings
from kyluat.contract import KINDS, ColumnType, Kind
from kyluat.pseudonym import Keys, check_warehouse_key, run_keys
from kyluat.readers import (
    BatchLayout,
    LandingFile,
    batch_layout,
    discover,
    read_batch_into_src,
    read_into_src,
    sql_text,
    workbook_kinds,
)
from kyluat.rules import FileRejected, public_reason
from kyluat.validation import SQL_TYPES, UNIT_VERSIONS_SQL, check_src, parse_date_sql

log = logging.getLogger(__name__)

REGISTRY_DDL = """
create schema if not exists raw;
create schema if not exists audit;
create sequence if not exists audit.file_id_seq;
create table if not exists audit.file_registry (
    file_id bigint, path varchar, kind varchar, format varchar, size_bytes bigint,
    sha256 varchar, registered_at timestamp, run_id varchar, row_count bigint,
    accepted_count bigint, rejected_count bigint, first_error varchar, status varchar
);
create table if not exists audit.quarantine (
    file_id bigint, kind varchar, row_number bigint, rule_codes varchar[],
    column_names varchar[], reason varchar, retryable boolean, quarantined_at timestamp,
    run_id varchar, resolved_at timestamp, resolved_run_id varchar
);
create schema if not exists restricted;
create table if not exists restricted.pseudonym_key (digest varchar, recorded_at timestamp);
create table if not exists restricted.quarantine (
    file_id bigint, kind varchar, row_number bigint, raw_values json, reason varchar,
    quarantined_at timestamp, run_id varchar
);
create table if not exists audit.check_results (
    run_id varchar, check_name varchar, asset varchar, passed boolean, blocking boolean,
    details varchar, evaluated_at timestamp
);
create table if not exists audit.published_row_counts (
    table_name varchar, row_count bigint, captured_at timestamp
);
create table if not exists audit.published_loads (run_id varchar, published_at timestamp);
create table if not exists audit.publications (
    run_id varchar, published_at timestamp, fingerprint varchar
);
create table if not exists audit.builds (run_id varchar, built_at timestamp, rebuilt_years varchar);
create table if not exists audit.primary_successor_changes (
    unit_code varchar, previous_primary varchar, new_primary varchar, file_id bigint,
    run_id varchar, changed_at timestamp
);
alter table audit.builds add column if not exists rebuilt_models varchar;
"""

# What a failing row's reasons become: in audit (published), codes, columns and public reasons;
# in restricted (never published), the full reasons.
_PUBLIC = {"rule_codes": "list_transform({0}, lambda e: e.rule)",
           "column_names": "list_transform({0}, lambda e: e.column_name)",
           "reason": "array_to_string(list_transform({0}, lambda e: e.public_reason), ' | ')"}
_PUBLIC_REASONS = ", ".join(_PUBLIC.values()).format("_errors")
_FULL_REASONS = "array_to_string(list_transform({0}, lambda e: e.reason), ' | ')"

LINEAGE_COLUMNS = "_file_id bigint, _row_number bigint, _loaded_at timestamp, _run_id varchar"

# Per DuckDB database (a run opens two: the warehouse and the scratch). DuckDB's default is 80%
# of the machine's memory; past this limit it spills to its temp directory instead.
MEMORY_LIMIT = "1GB"

# Input read and checked at once, at most. Past about 200,000 rows a check spills out of
# MEMORY_LIMIT and takes longer per row; below, the fixed cost of a check shows again.
BATCH_BYTES = 32 << 20

# The current version of each unit (the latest revision of each unit version).
CURRENT_UNITS_SQL = """
    select unit_code, valid_from, valid_to, successor_codes from raw.org_units
    qualify row_number() over (partition by unit_code, valid_from
                               order by _file_id desc, _row_number desc) = 1
"""

# The primary (first listed) successor of each unit's latest version, which carries the
# unit's history on today's structure (int_org_unit_current_map), and the file it came from.
PRIMARY_SUCCESSORS_SQL = """
    select unit_code, successor_codes[1] as primary_successor, _file_id as file_id
    from raw.org_units
    qualify row_number() over (partition by unit_code
                               order by valid_from desc, _file_id desc, _row_number desc) = 1
"""


@dataclass
class KindCounts:
    files: int = 0
    accepted: int = 0
    quarantined: int = 0
    resolved: int = 0


@dataclass
class IngestSummary:
    files_seen: int = 0
    files_new: int = 0
    files_rejected: int = 0
    kinds: dict[str, KindCounts] = field(default_factory=lambda: defaultdict(KindCounts))

    @property
    def rows_accepted(self) -> int:
        return sum(k.accepted for k in self.kinds.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(k.quarantined for k in self.kinds.values())

    @property
    def rows_resolved(self) -> int:
        return sum(k.resolved for k in self.kinds.values())


def raw_table_ddl(kind: Kind) -> str:
    columns = ", ".join(f"{c.stored_name} {SQL_TYPES[c.type]}" for c in kind.stored_columns)
    return f"create table if not exists raw.{kind.name} ({columns}, {LINEAGE_COLUMNS})"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(REGISTRY_DDL)
    _move_values_out_of_audit(con)
    for kind in KINDS.values():
        con.execute(raw_table_ddl(kind))


def _move_values_out_of_audit(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse made before rule codes kept the submitted values and full reasons in
    audit.quarantine (published): they move to restricted.quarantine, and audit keeps a
    reason without them. One transaction: a kill leaves the old layout, converted next time,
    never a table with its columns out of order (rows are inserted by position)."""
    columns = {c for (c,) in con.execute(
        "select column_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = 'audit' and table_name = 'quarantine'").fetchall()}
    if "raw_values" not in columns:
        return
    con.execute(f"""
        begin transaction;
        insert into restricted.quarantine
        select file_id, kind, row_number, raw_values, reason, quarantined_at, run_id
        from audit.quarantine;
        create table audit.quarantine_converted as
        select file_id, kind, row_number, ['unclassified'] as rule_codes,
               null::varchar[] as column_names, {sql_text(public_reason("unclassified"))}
               as reason, retryable, quarantined_at, run_id, resolved_at, resolved_run_id
        from audit.quarantine;
        drop table audit.quarantine;
        alter table audit.quarantine_converted rename to quarantine;
        update audit.file_registry set first_error = case when first_error is not null then
            {sql_text("see kyluat quarantine-report")} end;
        commit;
    """)


def refresh_known_units(con, kind: Kind, units: str = f"({CURRENT_UNITS_SQL})") -> None:
    """Temp table `known_units`: the unit versions of relation `units`, plus, for an org_units
    file, those of the file at hand (temp table `src`); and temp table `unit_versions`, the
    same grouped by unit (both are read by `check_src`)."""
    query = f"select unit_code, valid_from, valid_to, successor_codes from {units}"
    if kind.name == "org_units":
        query += f"""
            union all
            select trim(nfc_normalize(unit_code)),
                   {parse_date_sql('trim(nfc_normalize(valid_from))')},
                   {parse_date_sql('trim(nfc_normalize(valid_to))')},
                   list_filter(list_transform(string_split(successor_codes, ';'),
                                              lambda x: trim(nfc_normalize(x))),
                               lambda x: x <> '')
            from src where unit_code is not null
        """
    con.execute("create or replace temp table known_units as " + query)
    con.execute(UNIT_VERSIONS_SQL)


@contextmanager
def scratch_database(warehouse_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory database, spilling to a folder of its own in the warehouse directory.
    The caller holds the working file, so no other run uses a folder found there."""
    for stale in warehouse_dir.glob(".ingest-*"):  # left by a killed run
        shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=".ingest-", dir=warehouse_dir) as folder:
        con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT,
                                     "temp_directory": str(Path(folder) / "spill")})
        try:
            yield con
        finally:
            con.close()


# Rows per Arrow record batch handed between the two databases: a warehouse row group.
HANDOVER_BATCH_ROWS = 122_880


@contextmanager
def handed_over(source: duckdb.DuckDBPyConnection, query: str, target: duckdb.DuckDBPyConnection,
                name: str, params: list | None = None, rescan: bool = False) -> Iterator[str]:
    """The rows of `query` on `source`, readable as `name` on `target` (another database):
    streamed as Arrow record batches, read once; with `rescan`, held in memory and readable
    any number of times. Writing them to Parquet and reading that instead cost twice as much
    (a third of a national load)."""
    result = source.execute(query, params)
    rows = (result.to_arrow_table() if rescan
            else result.to_arrow_reader(HANDOVER_BATCH_ROWS))
    target.register(name, rows)
    try:
        yield name
    finally:
        target.unregister(name)
        if isinstance(rows, pyarrow.RecordBatchReader):
            rows.close()


class Loader:
    """Loads one run's files: each file, or batch of files of one layout, is read and checked
    on `scratch` (autocommit, so its temp tables are freed as soon as the next one replaces
    them), and its checked rows are written in the run's transaction on `con`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, scratch: duckdb.DuckDBPyConnection,
                 run_id: str, key: Keys):
        self.con = con
        self.scratch = scratch
        self.run_id = run_id
        self.key = key
        self.summary = IngestSummary()
        self._units_stale = True  # scratch `loaded_units` may differ from raw.org_units
        self._known_stale = True  # scratch `known_units` may differ from `loaded_units`

    def _to_scratch(self, table: str, query: str, params: list | None = None) -> None:
        """Scratch temp table `table` from `query` on the run's transaction (which sees the
        rows this run has written)."""
        with handed_over(self.con, query, self.scratch, "handed_over", params) as rows:
            self.scratch.execute(f"create or replace temp table {table} as select * from {rows}")

    def refresh_units(self, kind: Kind) -> None:
        """Copy the current unit versions to the scratch only when org_units may have changed:
        recomputing them for a national tree costs more than checking a monthly file."""
        if self._units_stale:
            self._to_scratch("loaded_units", CURRENT_UNITS_SQL)
            self._units_stale = False
            self._known_stale = True
        # The units of an org_units file are its own: known_units is made again for each.
        if self._known_stale or kind.name == "org_units":
            refresh_known_units(self.scratch, kind, "loaded_units")
            self._known_stale = kind.name == "org_units"

    def _accept(self, kind: Kind) -> int:
        """Rows of scratch `checked` that pass go to raw."""
        columns = ", ".join(c.stored_name for c in kind.stored_columns)
        with handed_over(self.scratch, f"select {columns}, _file_id, _row_number from checked "
                         "where len(_errors) = 0", self.con, "passed_rows") as passed:
            accepted = self.con.execute(f"insert into raw.{kind.name} select *, now(), ? "
                                        f"from {passed}", [self.run_id]).fetchone()[0]
        if accepted and kind.name == "org_units":
            self._units_stale = True
        return accepted

    # -- registry ---------------------------------------------------------------------------
    def register(self, file: LandingFile, kind: str | None, status: str,
                 first_error: str | None = None, file_id: int | None = None) -> int:
        """A registry row; `file_id` when one was reserved, else the next of the sequence."""
        return self.con.execute("""
            insert into audit.file_registry
            values (coalesce(?, nextval('audit.file_id_seq')), ?, ?, ?, ?, ?, now(), ?, 0, 0, 0,
                    ?, ?)
            returning file_id
        """, [file_id, file.relative_path, kind, file.format, file.size_bytes, file.sha256,
              self.run_id, first_error, status]).fetchone()[0]

    def reserve_ids(self, count: int) -> list[int]:
        """File ids in plan order, whatever order the files are then read in."""
        return sorted(i for (i,) in self.con.execute(
            "select nextval('audit.file_id_seq') from range(?)", [count]).fetchall())

    def reject_file(self, file: LandingFile, kind: str | None, rejected: FileRejected,
                    file_id: int | None = None) -> None:
        """The whole file: its public reason in audit, its full reason in restricted."""
        file_id = self.register(file, kind, "rejected", rejected.public, file_id)
        self.con.execute("""
            insert into audit.quarantine
            values (?, ?, null, [?], [null], ?, false, now(), ?, null, null)
        """, [file_id, kind, rejected.rule, rejected.public, self.run_id])
        self.con.execute("""
            insert into restricted.quarantine values (?, ?, null, null, ?, now(), ?)
        """, [file_id, kind, str(rejected), self.run_id])
        self.summary.files_rejected += 1
        log.warning("%s rejected: %s", file.relative_path, rejected.public)

    # -- rows -------------------------------------------------------------------------------
    def store_checked(self, kind: Kind) -> tuple[int, int]:
        """Move scratch `checked` rows to raw (passed) or quarantine (failed)."""
        accepted = self._accept(kind)
        with handed_over(self.scratch, "select _file_id, _row_number, _errors, _retryable, _raw "
                         "from checked where len(_errors) > 0", self.con, "failed_rows",
                         rescan=True) as failed:
            rejected = self.con.execute(f"""
                insert into audit.quarantine
                select _file_id, ?, _row_number, {_PUBLIC_REASONS}, _retryable, now(), ?,
                       null, null
                from {failed}
            """, [kind.name, self.run_id]).fetchone()[0]
            self.con.execute(f"""
                insert into restricted.quarantine
                select _file_id, ?, _row_number, _raw, {_FULL_REASONS.format("_errors")},
                       now(), ?
                from {failed}
            """, [kind.name, self.run_id])
        return accepted, rejected

    def load_kind(self, kind: Kind, files: list[LandingFile]) -> None:
        """Files of one layout are read and checked together, in batches of at most
        BATCH_BYTES; the others one by one."""
        ids = self.reserve_ids(len(files))
        if kind.name == "org_units":  # each file is checked against the units of the earlier ones
            for file, file_id in zip(files, ids, strict=True):
                self.load_file(file, kind, file_id)
            return
        groups: dict[BatchLayout | None, list[tuple[LandingFile, int]]] = defaultdict(list)
        for file, file_id in zip(files, ids, strict=True):
            groups[batch_layout(self.scratch, file)].append((file, file_id))
        for file, file_id in groups.pop(None, []):
            self.load_file(file, kind, file_id)
        for layout, group in groups.items():
            batch: list[tuple[LandingFile, int]] = []
            size = 0
            for file, file_id in group:
                if batch and size + file.size_bytes > BATCH_BYTES:
                    self.load_batch(kind, layout, batch)
                    batch, size = [], 0
                batch.append((file, file_id))
                size += file.size_bytes
            self.load_batch(kind, layout, batch)

    def load_batch(self, kind: Kind, layout: BatchLayout,
                   batch: list[tuple[LandingFile, int]]) -> None:
        files, ids = [f for f, _ in batch], [i for _, i in batch]
        if len(batch) == 1:
            self.load_file(files[0], kind, ids[0])
            return
        try:
            read_batch_into_src(self.scratch, files, ids, layout, kind.name)
        except (duckdb.Error, FileRejected) as exc:
            log.info("%d %s files read one by one: %s", len(batch), kind.name,
                     str(exc).splitlines()[0])
            for file, file_id in batch:
                self.load_file(file, kind, file_id)
            return
        for file, file_id in batch:
            self.register(file, kind.name, "loaded", file_id=file_id)
        self.refresh_units(kind)
        check_src(self.scratch, kind, self.key)
        self.store_checked(kind)
        counts = dict.fromkeys(ids, (0, 0)) | {
            file_id: (accepted, rejected) for file_id, accepted, rejected in self.scratch.execute(
                "select _file_id, count(*) filter (where len(_errors) = 0), "
                "count(*) filter (where len(_errors) > 0) from checked group by _file_id"
            ).fetchall()}
        for file, file_id in batch:
            self._count_file(file, kind, *counts[file_id])

    def _count_file(self, file: LandingFile, kind: Kind, accepted: int, quarantined: int) -> None:
        counts = self.summary.kinds[kind.name]
        counts.files += 1
        counts.accepted += accepted
        counts.quarantined += quarantined
        self.summary.files_new += 1
        log.info("%s: %d rows accepted, %d quarantined", file.relative_path, accepted,
                 quarantined)

    def load_file(self, file: LandingFile, kind: Kind, file_id: int) -> None:
        try:
            read = read_into_src(self.scratch, file, kind.name)
        except FileRejected as exc:
            self.reject_file(file, kind.name, exc, file_id)
            return
        self.register(file, kind.name, "loaded", file_id=file_id)
        self.scratch.execute("create or replace temp table src as "
                             "select ?::bigint as _file_id, * from src", [file_id])
        self.refresh_units(kind)
        check_src(self.scratch, kind, self.key)
        accepted, rejected = self.store_checked(kind)
        personal = any(c.type in (ColumnType.MEMBER_ID, ColumnType.PERSONAL_NAME)
                       for c in kind.columns)
        for row, rule, reason, raw_line in read.parse_rejects:
            shown = "(not kept: this kind carries personal data)" if personal else raw_line
            self.con.execute("""
                insert into audit.quarantine
                values (?, ?, ?, [?], [null], ?, false, now(), ?, null, null)
            """, [file_id, kind.name, row, rule, public_reason(rule), self.run_id])
            self.con.execute("""
                insert into restricted.quarantine
                values (?, ?, ?, json_object('line', ?), ?, now(), ?)
            """, [file_id, kind.name, row, shown, reason, self.run_id])
        self._count_file(file, kind, accepted, rejected + len(read.parse_rejects))

    def revalidate(self, kind: Kind) -> None:
        """Check quarantined rows again: a unit or an alias may have arrived since."""
        stored = [c.stored_name for c in kind.stored_columns]
        pending = self.con.execute("""
            select count(*) from audit.quarantine
            where kind = ? and resolved_at is null and retryable
        """, [kind.name]).fetchone()[0]
        if not pending:
            return
        extract = ", ".join(f"json_extract_string(raw_values, '$.{c}') as {c}" for c in stored)
        names = [c.name for c in kind.columns if c.type is ColumnType.PERSONAL_NAME]
        names += [c.name for c in kind.columns if c.type is ColumnType.MEMBER_ID]
        blanks = "".join(f", null::varchar as {n}" for n in names)
        self._to_scratch("src", f"""
            select file_id as _file_id, row_number as _row_number, {extract}{blanks}
            from audit.quarantine join restricted.quarantine using (file_id, kind, row_number)
            where kind = ? and resolved_at is null and retryable
        """, [kind.name])
        self.refresh_units(kind)
        check_src(self.scratch, kind, self.key, prehashed=True)
        with handed_over(self.scratch, "select _file_id, _row_number, _errors from checked",
                         self.con, "rechecked_rows", rescan=True) as checked:
            # Reasons are refreshed: what is wrong now may differ from what was wrong then.
            self.con.execute(f"""
                update audit.quarantine q
                set {", ".join(f"{c} = {e.format('c._errors')}" for c, e in _PUBLIC.items())}
                from {checked} c
                where q.kind = ? and q.resolved_at is null and q.file_id = c._file_id
                  and q.row_number = c._row_number and len(c._errors) > 0
            """, [kind.name])
            self.con.execute(f"""
                update restricted.quarantine q set reason = {_FULL_REASONS.format("c._errors")}
                from {checked} c
                where q.kind = ? and q.file_id = c._file_id and q.row_number = c._row_number
                  and len(c._errors) > 0
            """, [kind.name])
            resolved = self._accept(kind)
            self.con.execute(f"""
                update audit.quarantine q set resolved_at = now(), resolved_run_id = ?
                from {checked} c
                where q.kind = ? and q.resolved_at is null and q.file_id = c._file_id
                  and q.row_number = c._row_number and len(c._errors) = 0
            """, [self.run_id, kind.name])
        self.summary.kinds[kind.name].resolved += resolved
        if resolved:
            log.info("%s: %d quarantined rows now pass and were loaded", kind.name, resolved)


def _plan(files: list[LandingFile], con, loader: Loader) -> dict[str, list[LandingFile]]:
    """Group new files by kind; register the ones that can never be read."""
    registered = set(con.execute("select sha256, coalesce(kind, '') from audit.file_registry")
                     .fetchall())
    plan: dict[str, list[LandingFile]] = defaultdict(list)
    for file in files:
        if file.refused:  # never opened (kyluat/landing.py)
            if (file.sha256, file.kind or "") not in registered:
                registered.add((file.sha256, file.kind or ""))
                loader.reject_file(file, file.kind, FileRejected(file.refused))
        elif file.kind is None:
            if file.format != "xlsx":
                if (file.sha256, "") not in registered:
                    loader.reject_file(file, None, FileRejected("top_level_not_workbook"))
                continue
            try:
                kinds = workbook_kinds(con, file.path)
            except FileRejected as exc:
                kinds, error = [], exc
            else:
                error = FileRejected("no_kind_sheet", "no sheet of the workbook is named after "
                                     f"a kind ({', '.join(KINDS)})")
            if not kinds and (file.sha256, "") not in registered:
                loader.reject_file(file, None, error)
            for kind in kinds:
                if (file.sha256, kind) not in registered:
                    plan[kind].append(file)
        elif file.kind not in KINDS:
            if (file.sha256, file.kind) not in registered:
                loader.reject_file(file, file.kind, FileRejected(
                    "unknown_kind", f"unknown kind '{file.kind}'; the first folder must be one "
                    f"of {', '.join(KINDS)}"))
        elif (file.sha256, file.kind) in registered:
            log.info("%s: content already loaded, skipped", file.relative_path)
        else:
            registered.add((file.sha256, file.kind))  # a renamed copy in the same run
            plan[file.kind].append(file)
    return plan


def run_ingest(settings: Settings, run_id: str = "manual") -> IngestSummary:
    """Ingest every new file of the landing directory in one transaction."""
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    key = run_keys(settings.landing_dir, settings.pseudonym_key_file)
    con = locking.connect(settings.working_db)  # waits while another process holds it
    try:
        # Spills go to DuckDB's default temp directory: discipline.duckdb.tmp, beside the file.
        con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
        ensure_schema(con)
        check_warehouse_key(con, key)
        with scratch_database(settings.warehouse_dir) as scratch:
            reference.load_vocabularies(scratch)
            loader = Loader(con, scratch, run_id, key)
            con.execute("begin transaction")
            try:
                _load_landing(settings, loader)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        return loader.summary
    finally:
        con.close()


def _load_landing(settings: Settings, loader: Loader) -> None:
    files = discover(settings.landing_dir, settings.warehouse_dir)
    loader.summary.files_seen = len(files)
    first_new_id = loader.con.execute("select coalesce(max(file_id), 0) "
                                      "from audit.file_registry").fetchone()[0]
    plan = _plan(files, loader.con, loader)
    for kind in KINDS.values():
        if kind.name == "org_units":
            loader.con.execute(f"create or replace temp table primary_successors_before as "
                               f"{PRIMARY_SUCCESSORS_SQL}")
        loader.revalidate(kind)
        loader.load_kind(kind, plan.get(kind.name, []))
        if kind.name == "org_units":
            _record_primary_successor_changes(loader.con, loader.run_id)
    _update_registry(loader.con, first_new_id)


def _record_primary_successor_changes(con, run_id: str) -> None:
    """A re-sent tree that changes a unit's primary successor moves the unit's history on
    today's structure: never silently (audit.primary_successor_changes, the run summary)."""
    con.execute(f"""
        insert into audit.primary_successor_changes
        select before.unit_code, before.primary_successor, after.primary_successor,
               after.file_id, ?, now()
        from primary_successors_before as before
        join ({PRIMARY_SUCCESSORS_SQL}) as after using (unit_code)
        where before.primary_successor is not null
          and before.primary_successor is distinct from after.primary_successor
    """, [run_id])


def _update_registry(con, first_new_id: int) -> None:
    """Counts say where each file's rows are now: new files, and files whose quarantined rows
    were loaded or checked again in this run."""
    loaded = " union all ".join(f"select _file_id from raw.{k}" for k in KINDS)
    con.execute(f"""
        update audit.file_registry r set
            accepted_count = c.loaded,
            rejected_count = c.open,
            row_count = c.loaded + c.open,
            status = case when r.status = 'rejected' then 'rejected'
                          when c.open = 0 then 'loaded' else 'partially_loaded' end,
            first_error = case when r.status = 'rejected' then r.first_error else c.first_error end
        from (
            select f.file_id, coalesce(l.n, 0) as loaded, coalesce(q.open, 0) as open,
                   q.first_error
            from audit.file_registry f
            left join (select _file_id, count(*) as n from ({loaded}) group by _file_id) l
                   on l._file_id = f.file_id
            left join (select file_id, count(*) filter (where resolved_at is null) as open,
                              arg_min('row ' || row_number || ': ' || reason, row_number)
                                  filter (where resolved_at is null) as first_error
                       from audit.quarantine where row_number is not null
                       group by file_id) q on q.file_id = f.file_id
            where f.file_id > ? or q.file_id is not null
        ) c
        where r.file_id = c.file_id
    """, [first_new_id])
