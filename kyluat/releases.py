"""Citable releases: the published state frozen under a name, never rewritten.

A release is a folder `<warehouse>/releases/<name>/` holding
- `release.duckdb`: the published schemas, written with DuckDB storage version v1.0.0 so that
  any DuckDB 1.x client opens it;
- `parquet/<schema>.<table>.parquet`: every published table;
- `dictionary.csv`: every table and column with its description (the dbt manifest) and its
  usage warnings;
- `release.json`: name, cut-off, source run, the published file's sha256, the files received
  up to the cut-off;
- `diff.txt`: what changed since the previous release (none for the first);
- `SHA256SUMS`: the checksum of every file above.
It is built beside its final place and renamed in; its files and folders are then read-only.
Releases are made on demand only: a run never makes one.

In the DuckLake deployment (kyluat/lake.py) a release freezes the catalog's current snapshot
instead of the local file, records its id (`ducklake_snapshot`), and `kyluat sql --release`
reads the catalog as of that snapshot (time travel).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import stat
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from kyluat import lake
from kyluat.config import DBT_MANIFEST, Settings
from kyluat.landing import file_sha256

STORAGE_VERSION = "v1.0.0"  # the oldest DuckDB 1.x format: every 1.x client reads it
RELEASE_DB = "release.duckdb"
PUBLISHED_SCHEMAS = ("marts", "audit")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# The audit schema is written by ingestion and publication, not by dbt: its tables are
# described here.
AUDIT_TABLES = {
    "builds": "One row per dbt build: its run and the reporting years and models it rebuilt.",
    "check_results": "Every blocking and warning check of every run, with its outcome.",
    "file_registry": "Every file read: path, size, sha256, kind, rows accepted and rejected.",
    "primary_successor_changes": "Re-sent unit trees that changed a unit's primary successor.",
    "publications": "Every publication of analytics.duckdb: its run and time.",
    "published_loads": "The runs whose loaded rows were published.",
    "published_row_counts": "Row counts of the published marts before the latest build.",
    "quarantine": "Every rejected row: file, row, rule codes, columns and a reason without the "
                  "submitted values.",
}

NOT_ADDITIVE = ("counts do not add up across violation categories: a decision with several "
                "categories counts once in each and once in the total")
RESTATED = ("figures restated after the 2025 reorganisation: rows with structure = 'current' "
            "put every year on today's units (a closed unit carried by its primary successor) "
            "and differ from figures published before 2025-07-01; never add the two structures")
REVOKED = ("revoked decisions are kept: current totals count only rows where counts_in_totals")
ALL_LEVELS = ("counts of a unit include every unit under it: adding units of different levels "
              "counts decisions twice")
SUPPRESSED = "suppressed cells: an empty value here is withheld, not zero"


class ReleaseError(Exception):
    """A release that cannot be made or read as asked; the message says what to do."""


@dataclass(frozen=True)
class Release:
    name: str
    path: Path
    metadata: dict

    @property
    def database(self) -> Path:
        return self.path / RELEASE_DB

    @property
    def snapshot(self) -> int | None:
        """The DuckLake snapshot it froze (None: frozen from the published file)."""
        return self.metadata.get("ducklake_snapshot")


def releases_dir(settings: Settings) -> Path:
    return settings.warehouse_dir / "releases"


def list_releases(settings: Settings) -> list[Release]:
    """Every release, oldest first (by the time it was made)."""
    found = []
    root = releases_dir(settings)
    if not root.is_dir():
        return []
    for folder in root.iterdir():
        meta = folder / "release.json"
        if folder.is_dir() and not folder.name.startswith(".") and meta.is_file():
            found.append(Release(folder.name, folder, json.loads(meta.read_text("utf-8"))))
    return sorted(found, key=lambda r: (r.metadata["created_at"], r.name))


def open_release(settings: Settings, name: str) -> Release:
    for release in list_releases(settings):
        if release.name == name:
            return release
    known = ", ".join(r.name for r in list_releases(settings)) or "none yet"
    raise ReleaseError(f"no release named {name!r} (releases: {known}); `kyluat releases` "
                       "lists them")


def make_release(settings: Settings, name: str, as_of: date | None = None) -> Release:
    """Freeze the published file as release `name` with cut-off `as_of` (default today)."""
    if not NAME.match(name):
        raise ReleaseError(f"{name!r} is not a release name: use letters, digits, '.', '_' "
                           "and '-' (e.g. 2024-year-end)")
    root = releases_dir(settings)
    final = root / name
    if final.exists():
        raise ReleaseError(f"release {name!r} exists already and is never rewritten; choose "
                           "another name")
    if settings.lake is None and not settings.published_db.exists():
        raise ReleaseError(f"nothing is published yet ({settings.published_db}): run "
                           "`kyluat run` first")
    cut_off = as_of or date.today()
    previous = list_releases(settings)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".{name}.{os.getpid()}.tmp"
    if staging.exists():
        _make_writable(staging)
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        metadata = _freeze(settings, staging, name, cut_off)
        release = Release(name, staging, metadata)
        if previous:
            (staging / "diff.txt").write_text(
                "\n".join(diff_releases(previous[-1], release)) + "\n", "utf-8")
        _write_checksums(staging)
        _make_read_only(staging)
        os.rename(staging, final)  # refuses a folder made meanwhile under the same name
    except BaseException:
        _make_writable(staging)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Release(name, final, metadata)


def _freeze(settings: Settings, folder: Path, name: str, cut_off: date) -> dict:
    con = duckdb.connect()
    try:
        con.execute("set memory_limit = '2GB'")
        snapshot = None
        if settings.lake is None:
            con.execute(f"attach '{settings.published_db}' as published (read_only)")
        else:
            # the current snapshot, pinned: a publication meanwhile does not reach the copy
            lake.attach(con, settings.lake, alias="published")
            snapshot = lake.current_snapshot(con, "published")
            con.execute("detach published")
            lake.attach(con, settings.lake, snapshot=snapshot, alias="published")
            if not lake.has_publication(con, "published"):
                raise ReleaseError("nothing is published in the DuckLake catalog yet: run "
                                   "`kyluat run` first")
        late = con.execute("select count(*), min(registered_at) from published.audit.file_registry "
                           "where registered_at::date > ?", [cut_off]).fetchone()
        if late[0]:
            raise ReleaseError(
                f"the published figures include {late[0]} file(s) received after the cut-off "
                f"{cut_off} (the first on {late[1]:%Y-%m-%d}); give --as-of {late[1]:%Y-%m-%d} "
                "or later")
        con.execute(f"attach '{folder / RELEASE_DB}' as release "
                    f"(storage_version '{STORAGE_VERSION}')")
        tables = [f"{s}.{t}" for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = "
            "'published' and schema_name in ('marts', 'audit') order by all").fetchall()]
        (folder / "parquet").mkdir()
        counts = {}
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema release.{schema}")
        for table in tables:
            con.execute(f"create table release.{table} as select * from published.{table}")
            con.execute(f"copy release.{table} to '{folder / 'parquet' / table}.parquet' "
                        "(format parquet)")
            counts[table] = con.execute(f"select count(*) from release.{table}").fetchone()[0]
        _write_dictionary(con, folder / "dictionary.csv")
        run = con.execute("select run_id from published.audit.builds order by built_at desc "
                          "limit 1").fetchone()
        fields = ("path", "kind", "sha256", "received_at", "rows_accepted")
        files = [dict(zip(fields, row, strict=True))
                 for row in con.execute(
                     "select path, kind, sha256, strftime(registered_at, '%Y-%m-%dT%H:%M:%S'), "
                     "accepted_count from published.audit.file_registry "
                     "order by registered_at, path").fetchall()]
        con.execute("detach release")
    finally:
        con.close()
    metadata = {
        "name": name, "cut_off": cut_off.isoformat(),
        "created_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "source_run": run[0] if run else None,
        **({"published_sha256": file_sha256(settings.published_db)} if snapshot is None else
           {"ducklake_snapshot": snapshot}),
        "duckdb_storage_version": STORAGE_VERSION,
        "tables": counts, "files_received": files,
    }
    (folder / "release.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False)
                                         + "\n", "utf-8")
    return metadata


def _dbt_docs() -> dict[str, tuple[str, dict[str, str]]]:
    """model name -> (description, {column: description}) from the dbt manifest."""
    manifest = json.loads(DBT_MANIFEST.read_text("utf-8"))
    return {node["name"]: (node.get("description", ""),
                           {c: v.get("description", "") for c, v in node["columns"].items()})
            for node in manifest["nodes"].values() if node["resource_type"] == "model"}


def usage_warnings(table: str, column: str, columns: set[str]) -> list[str]:
    """The warnings a reader of `column` of `table` must see (table columns: `columns`)."""
    warnings = []
    if column == "violation_category" or (
            table.endswith("by_violation_category") and column.startswith("members")):
        warnings.append(NOT_ADDITIVE)
    restated_count = "structure" in columns and column.startswith(
        ("members", "orgs", "disciplined"))
    if column == "structure" or table == "bridge_org_unit_current_rollup" or restated_count:
        warnings.append(RESTATED)
    if column == "counts_in_totals":
        warnings.append(REVOKED)
    if table == "mart_discipline_unit_year" and column.startswith("members_disciplined"):
        warnings.append(ALL_LEVELS)
    if "suppressed" in column:
        warnings.append(SUPPRESSED)
    return warnings


def _write_dictionary(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    docs = _dbt_docs()
    layout: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in con.execute(
            "select schema_name, table_name, column_name, data_type from duckdb_columns() "
            "where database_name = 'release' order by schema_name, table_name, column_index"
    ).fetchall():
        layout.setdefault((schema, table), []).append((column, data_type))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["table", "column", "type", "description", "warnings"])
        for (schema, table), columns in layout.items():
            described, column_docs = docs.get(table, (AUDIT_TABLES.get(table, ""), {}))
            names = {c for c, _ in columns}
            writer.writerow([f"{schema}.{table}", "", "", described,
                             "; ".join(dict.fromkeys(
                                 w for c in names for w in usage_warnings(table, c, names)))])
            for column, data_type in columns:
                writer.writerow([f"{schema}.{table}", column, data_type,
                                 column_docs.get(column, ""),
                                 "; ".join(usage_warnings(table, column, names))])


def _write_checksums(folder: Path) -> None:
    lines = [f"{file_sha256(p)}  {p.relative_to(folder).as_posix()}"
             for p in sorted(folder.rglob("*")) if p.is_file()]
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n", "utf-8")


def verify_checksums(release: Release) -> list[str]:
    """The files of `release` whose checksum differs from SHA256SUMS (or that are missing)."""
    bad = []
    for line in (release.path / "SHA256SUMS").read_text("utf-8").splitlines():
        digest, relative = line.split("  ", 1)
        path = release.path / relative
        if not path.is_file() or file_sha256(path) != digest:
            bad.append(relative)
    return bad


def _make_read_only(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), key=lambda p: -len(p.parts)):
        path.chmod(0o555 if path.is_dir() else 0o444)
    folder.chmod(0o555)


def _make_writable(folder: Path) -> None:
    if not folder.exists():
        return
    folder.chmod(folder.stat().st_mode | stat.S_IWUSR)
    for path in folder.rglob("*"):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


# --- the difference between two releases ---------------------------------------------------

def _keys() -> dict[str, list[str]]:
    """model name -> its business key, from its unique_combination test in the manifest."""
    manifest = json.loads(DBT_MANIFEST.read_text("utf-8"))
    keys = {}
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        if node["resource_type"] == "test" and meta.get("name") == "unique_combination":
            model = (node.get("attached_node") or "").rsplit(".", 1)[-1]
            keys[model] = list(meta["kwargs"]["columns"])
    return keys


def diff_releases(old: Release, new: Release) -> list[str]:
    """Lines: per table rows added, removed and changed; the headline figures that moved, by
    how much, and the records that explain it (late submissions, revisions, revocations, the
    unit tree)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{old.database}' as old (read_only)")
        con.execute(f"attach '{new.database}' as new (read_only)")
        lines = [f"release {new.name} (cut-off {new.metadata['cut_off']}) against "
                 f"{old.name} (cut-off {old.metadata['cut_off']})", "", "tables:"]
        lines += _table_changes(con)
        lines += ["", "headline figures:"]
        lines += _figure_changes(con, old)
    finally:
        con.close()
    return lines


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[str]]:
    layout: dict[str, list[str]] = {}
    for table, column in con.execute(
            "select schema_name || '.' || table_name, column_name from duckdb_columns() "
            "where database_name = ? and schema_name = 'marts' "
            "order by schema_name, table_name, column_index", [database]).fetchall():
        layout.setdefault(table, []).append(column)
    return layout


def _table_changes(con: duckdb.DuckDBPyConnection) -> list[str]:
    old, new, keys = _tables(con, "old"), _tables(con, "new"), _keys()
    lines = []
    for table in sorted(set(old) | set(new)):
        if table not in old or table not in new:
            lines.append(f"  {table}: {'new table' if table in new else 'table removed'}")
            continue
        key = keys.get(table.split(".")[1])
        if old[table] != new[table] or not key:
            added, removed = (con.execute(f"select count(*) from (select * from {a}.{table} "
                                          f"except all select * from {b}.{table})").fetchone()[0]
                              for a, b in (("new", "old"), ("old", "new")))
            changed = None
        else:
            on = " and ".join(f"o.{k} is not distinct from n.{k}" for k in key)
            added, removed, changed = con.execute(f"""
                select count(*) filter (where o_row is null),
                       count(*) filter (where n_row is null),
                       count(*) filter (where o_row is not null and n_row is not null
                                        and o_row is distinct from n_row)
                from (select *, o as o_row from old.{table} o) o
                full join (select *, n as n_row from new.{table} n) n on {on}""").fetchone()
        if added or removed or changed:
            lines.append(f"  {table}: {added} added, {removed} removed"
                         + (f", {changed} changed" if changed is not None else
                            " (rows compared whole: no key)"))
    return lines or ["  no table changed"]


def _figure_changes(con: duckdb.DuckDBPyConnection, old: Release) -> list[str]:
    moved = con.execute("""
        with o as (select figure_id, max(computed_value) as v, min(period_start) as s,
                          max(period_end) as e
                   from old.marts.rpt_published_reconciliation where figure_id is not null
                   group by all),
             n as (select figure_id, max(computed_value) as v, min(period_start) as s,
                          max(period_end) as e
                   from new.marts.rpt_published_reconciliation where figure_id is not null
                   group by all)
        select coalesce(n.figure_id, o.figure_id), o.v, n.v, coalesce(n.s, o.s),
               coalesce(n.e, o.e)
        from o full join n using (figure_id)
        where o.v is distinct from n.v order by 1""").fetchall()
    if not moved:
        return ["  no headline figure moved"]
    lines = []
    for figure, before, after, start, end in moved:
        delta = (after or 0) - (before or 0)
        lines.append(f"  {figure}: {before} -> {after} ({delta:+d})")
        lines += [f"    {reason}" for reason in _reasons(con, old, start, end)]
    return lines


def _reasons(con: duckdb.DuckDBPyConnection, old: Release, start, end) -> list[str]:
    """What the records say changed in the decisions dated in [start, end], by file."""
    key = "deciding_unit_code, decision_ref, member_key"
    cut_off = date.fromisoformat(old.metadata["cut_off"])
    old_files = sorted({f["sha256"] for f in old.metadata["files_received"]})
    rows = con.execute(f"""
        select case when o.decision_ref is null then 'new'
                    when n.status = 'revoked' and o.status <> 'revoked' then 'revoked'
                    else 'revised' end as what,
               f.path, f.registered_at,
               f.sha256 not in (select unnest(?::varchar[])) as arrived_since,
               n.decision_date <= ? as dated_before_cut_off, count(*)
        from new.marts.fct_member_discipline n
        left join old.marts.fct_member_discipline o using ({key})
        left join new.audit.file_registry f on f.file_id = n.source_file_id
        where n.decision_date between ? and ?
          and (o.decision_ref is null or o.source_file_id is distinct from n.source_file_id)
        group by all order by 2, 1, 5""", [old_files, cut_off, start, end]).fetchall()
    reasons = []
    for what, path, received, arrived_since, dated_before, count in rows:
        source = f"file {path} (received {received:%Y-%m-%d})" if received else "an unknown file"
        if what == "new" and arrived_since and dated_before:
            reasons.append(f"late submission: {count} decision(s) dated before the cut-off "
                           f"{cut_off} of {old.name}, in {source}")
        elif what == "new":
            reasons.append(f"new records: {count} decision(s) in {source}")
        elif what == "revoked":
            reasons.append(f"revocation: {count} decision(s) revoked by {source}")
        else:
            reasons.append(f"revision: {count} decision(s) revised by {source}")
    tree = con.execute("""
        select distinct f.path from new.audit.file_registry f
        where f.kind = 'org_units' and f.sha256 not in (select unnest(?::varchar[]))""",
                       [old_files]).fetchall()
    for (path,) in tree:
        reasons.append(f"unit tree: {path} changed the units (the 2025 reorganisation "
                       "restates figures on today's structure)")
    return reasons or ["the records do not say why (a change in the rules or the models)"]
