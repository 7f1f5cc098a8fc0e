"""Publication tiers drawn from the national published file: one internal file per province,
and one public file of aggregates under disclosure control.

DuckDB has no users, so a boundary is a file: whoever may read a file reads all of it. Each
tier file is built beside its place and renamed in (like analytics.duckdb), from the national
file only (ATTACH read-only, CREATE TABLE AS filtered), and rebuilt only when the national
file changed (its inode, size and modification time, kept in tiers/.source.json).

Layout under <warehouse>/tiers/ (a deployment maps each folder to a group: README.md):
  provinces/<CODE>/analytics.duckdb   mode 640: the province's subtree, vocabularies, its audit
  public/public.duckdb                mode 644: aggregates only, with csv/ and parquet/ exports
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from kyluat import disclosure
from kyluat.disclosure import ALL_LEVELS, ALL_PERIODS, REST, TOTAL, Cell
from kyluat.rows import create_table

TIERS_DIR = "tiers"
PROVINCE_FILE = "analytics.duckdb"
PUBLIC_FILE = "public.duckdb"
SOURCE_STAMP = ".source.json"
INTERNAL_MODE, PUBLIC_MODE = 0o640, 0o644

# Columns that hold a unit code. The first of ROW_UNIT_COLUMNS a table has decides whether a
# row belongs to the province; the other code columns of a kept row are blanked (NULL) when
# they name a unit outside it (a member of another province disciplined here).
ROW_UNIT_COLUMNS = ("deciding_unit_code", "conducting_unit_code", "reporting_unit_code",
                    "unit_code")
OTHER_UNIT_COLUMNS = ("member_unit_code", "target_unit_code", "subject_unit_code",
                      "parent_code", "previous_primary", "new_primary")
# Bridges relate two units: a row is kept only when both are in the subtree.
BOTH_UNIT_COLUMNS = {"bridge_org_unit_ancestry": ("unit_code", "ancestor_code"),
                     "bridge_org_unit_current_rollup": ("unit_code", "current_unit_code",
                                                        "ancestor_code")}
# audit tables about the whole nation's runs and checks: not in a province's file
NATIONAL_ONLY_AUDIT = ("check_results", "published_row_counts")
FILE_ID_SOURCES = ("fct_member_discipline", "fct_member_discipline_history",
                   "fct_org_discipline", "fct_org_discipline_history", "fct_activity")


def tiers_dir(warehouse_dir: Path) -> Path:
    return warehouse_dir / TIERS_DIR


def province_file(warehouse_dir: Path, code: str) -> Path:
    return tiers_dir(warehouse_dir) / "provinces" / code / PROVINCE_FILE


def public_dir(warehouse_dir: Path) -> Path:
    return tiers_dir(warehouse_dir) / "public"


def candidate_dir(warehouse_dir: Path) -> Path:
    """The public file and exports being built, until the disclosure check passed."""
    return tiers_dir(warehouse_dir) / ".public.candidate"


def public_file(warehouse_dir: Path) -> Path:
    return public_dir(warehouse_dir) / PUBLIC_FILE


def source_signature(national: Path) -> dict:
    """What identifies one published national file: a publication renames a new file in."""
    stat = national.stat()
    return {"inode": stat.st_ino, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def tiers_current(national: Path, warehouse_dir: Path, stamp_name: str = SOURCE_STAMP) -> bool:
    stamp = tiers_dir(warehouse_dir) / stamp_name
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return recorded.get("source") == source_signature(national) and all(
        (tiers_dir(warehouse_dir) / path).exists() for path in recorded.get("files", []))


def write_stamp(source: dict, warehouse_dir: Path, files: list[Path],
                stamp_name: str = SOURCE_STAMP) -> None:
    """Record that `files` were drawn from the national file of signature `source`, taken
    before that file was opened: if a publication renamed a new one in meanwhile, the stamp
    names the older file and the next draw draws again."""
    root = tiers_dir(warehouse_dir)
    stamp = root / stamp_name
    tmp = stamp.with_name(stamp.name + ".tmp")
    tmp.write_text(json.dumps({"source": source,
                               "files": [str(f.relative_to(root)) for f in files]}))
    os.replace(tmp, stamp)


# --- provinces ------------------------------------------------------------------------------

def _subtrees(con: duckdb.DuckDBPyConnection) -> None:
    """temp table unit_province(unit_code, province): every unit of each current province's
    subtree, as the tree was on any date (below a unit it carries today) and today."""
    con.execute("""
        create or replace temp table unit_province as
        with carried as (
            select distinct r.unit_code, r.ancestor_code as province
            from national.marts.bridge_org_unit_current_rollup r
            join national.marts.dim_org_unit p
              on p.unit_code = r.ancestor_code and p.is_current and p.level = 'province'
        )
        select unit_code, province from carried
        union
        select a.unit_code, c.province
        from national.marts.bridge_org_unit_ancestry a join carried c
          on a.ancestor_code = c.unit_code""")


def carrying_province(national: Path, code: str) -> tuple[str, str] | None:
    """(today's province, the date it took over) for a province of the past that was merged
    into one of today's (its history is in that province's file); None otherwise."""
    con = duckdb.connect(str(national), read_only=True)
    try:
        row = con.execute("""
            select r.ancestor_code, strftime(u.valid_to, '%Y-%m-%d')
            from marts.bridge_org_unit_current_rollup r
            join marts.dim_org_unit u on u.unit_code = r.unit_code and u.level = 'province'
            where r.unit_code = ? and r.ancestor_level = 'province' and r.ancestor_code <> ?
            order by u.valid_to desc limit 1""", [code, code]).fetchone()
    finally:
        con.close()
    return (row[0], row[1]) if row else None


def provinces(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "select distinct province from unit_province order by 1").fetchall()]


def _columns(con, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute("select column_name, data_type from duckdb_columns() "
                       "where database_name = 'national' and schema_name = ? and table_name = ? "
                       "order by column_index", [schema, table]).fetchall()


def _province_select(con, schema: str, table: str) -> str | None:
    """The SELECT of one table's rows for the province in temp table `subtree`; None when the
    table is not in a province's file."""
    if schema == "audit" and table in NATIONAL_ONLY_AUDIT:
        return None
    columns = _columns(con, schema, table)
    names = [c for c, _ in columns]
    inside = "{} in (select unit_code from subtree)"
    where: list[str] = []
    if table in BOTH_UNIT_COLUMNS:
        where = [inside.format(c) for c in BOTH_UNIT_COLUMNS[table]]
    elif schema == "audit" and table in ("file_registry", "quarantine"):
        where = ["file_id in (select file_id from province_files)"]
    else:
        row_column = next((c for c in ROW_UNIT_COLUMNS if c in names), None)
        if row_column:
            where = [inside.format(row_column)]
    select = []
    for name, _ in columns:
        if name in OTHER_UNIT_COLUMNS or (name in ROW_UNIT_COLUMNS and name not in
                                          [w.split(" ")[0] for w in where]):
            select.append(f"case when {inside.format(name)} then {name} end as {name}")
        elif name == "successor_codes":
            # the order is kept: the first listed successor is the primary one
            select.append("list_filter(successor_codes, s -> list_contains(inside.codes, s)) "
                          "as successor_codes")
        else:
            select.append(name)
    source = f"national.{schema}.{table}"
    if "successor_codes" in names:
        source += ", (select list(unit_code) as codes from subtree) as inside"
    return (f"select {', '.join(select)} from {source}"
            + (f" where {' and '.join(where)}" if where else ""))


def build_province_files(national: Path, warehouse_dir: Path) -> dict[str, Path]:
    """One internal file per current province; returns province code -> file."""
    con = duckdb.connect()
    con.execute("set memory_limit = '2GB'")
    con.execute(f"attach '{national}' as national (read_only)")
    _subtrees(con)
    tables = con.execute("select schema_name, table_name from duckdb_tables() "
                         "where database_name = 'national' order by 1, 2").fetchall()
    # the same SELECTs for every province: they read the temp table `subtree`
    selects = [(schema, table, select) for schema, table in tables
               if (select := _province_select(con, schema, table)) is not None]
    built: dict[str, Path] = {}
    try:
        for code in provinces(con):
            con.execute("create or replace temp table subtree as select unit_code "
                        "from unit_province where province = ?", [code])
            con.execute("create or replace temp table province_files as " + " union ".join(
                f"select source_file_id as file_id from national.marts.{t} "
                f"where {'conducting' if t == 'fct_activity' else 'deciding'}_unit_code "
                "in (select unit_code from subtree)" for t in FILE_ID_SOURCES
                if (("marts", t) in tables)) if any(("marts", t) in tables
                                                    for t in FILE_ID_SOURCES)
                else "select null::bigint as file_id where false")
            target = province_file(warehouse_dir, code)
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            staging.unlink(missing_ok=True)
            con.execute(f"attach '{staging}' as province")
            try:
                for schema in ("marts", "audit"):
                    con.execute(f"create schema province.{schema}")
                for schema, table, select in selects:
                    con.execute(f"create table province.{schema}.{table} as {select}")
                con.execute("detach province")
            except BaseException:
                con.execute("detach database if exists province")
                staging.unlink(missing_ok=True)
                raise
            _swap(staging, target, INTERNAL_MODE)
            built[code] = target
    finally:
        con.close()
    return built


def _swap(staging: Path, target: Path, mode: int) -> None:
    os.chmod(staging, mode)
    fd = os.open(staging, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(staging, target)


# --- public ---------------------------------------------------------------------------------

PUBLIC_TABLES = ("discipline_counts", "discipline_rates", "published_figures")
PUBLIC_LEVELS = ("central", "province")
"""Levels of the public tables, on today's structure. Below the province almost every cell
is under k and would be published as a suppression mark only."""


@dataclass
class PublicBuild:
    staging_dir: Path
    k: int
    cells: int = 0
    primary: int = 0
    secondary: int = 0
    tables: dict[str, int] = field(default_factory=dict)


def _true_cells(con: duckdb.DuckDBPyConnection) -> tuple[list[Cell], dict]:
    """Members disciplined on today's structure for the centre and each province: every
    year and all years, total and by each breakdown; the centre also as `rest` (itself and
    the units under it that are not listed: what its children do not add up to)."""
    units = con.execute(f"""
        select unit_code, unit_name, level, parent_code from national.marts.dim_org_unit
        where is_current and level in ({', '.join(f"'{lv}'" for lv in PUBLIC_LEVELS)})
        order by unit_code""").fetchall()
    unit_list = ", ".join(f"'{u[0]}'" for u in units) or "''"
    names = {u[0]: (u[1], u[2]) for u in units}
    parent = {u[0]: (u[3] if u[3] in names else None) for u in units}
    years = [r[0] for r in con.execute(
        "select distinct decision_year from national.marts.mart_discipline_breakdown "
        "where structure = 'current' and subject_kind = 'member' order by 1").fetchall()]
    vocab = {
        "authority_type": "select code from national.marts.dim_authority_type",
        "discipline_form": "select code from national.marts.dim_discipline_form "
                           "where applies_to_member",
        "channel": "select code from national.marts.dim_channel",
        "violation_category": "select code from national.marts.dim_violation_category"}
    values = {b: sorted(r[0] for r in con.execute(q).fetchall()) for b, q in vocab.items()}
    counts: dict[tuple, int] = {}
    breakdown_rows = f"""from national.marts.mart_discipline_breakdown
        where structure = 'current' and subject_kind = 'member' and unit_code in ({unit_list})"""
    for unit, year, n in con.execute(
            f"select unit_code, decision_year, sum(disciplined) {breakdown_rows} "
            "group by all").fetchall():
        counts[(unit, year, TOTAL, TOTAL)] = int(n)
    for b in disclosure.ADDITIVE_BREAKDOWNS:
        for unit, year, value, n in con.execute(
                f"select unit_code, decision_year, {b}, sum(disciplined) {breakdown_rows} "
                "group by all").fetchall():
            counts[(unit, year, b, value)] = int(n)
    for unit, year, value, n in con.execute(f"""
            select unit_code, decision_year, violation_category, sum(disciplined)
            from national.marts.mart_discipline_by_violation_category
            where structure = 'current' and subject_kind = 'member'
              and unit_code in ({unit_list}) group by all""").fetchall():
        counts[(unit, year, "violation_category", value)] = int(n)
    combos = [(TOTAL, TOTAL)] + [(b, v) for b in values for v in values[b]]
    cells: list[Cell] = []
    by_unit = {}
    for unit in names:
        for b, v in combos:
            yearly = {y: counts.get((unit, y, b, v), 0) for y in years}
            by_unit[(unit, b, v)] = yearly
    children = {u: [c for c in names if parent[c] == u] for u in names}
    for unit in names:
        scopes = [ALL_LEVELS] + ([REST] if children[unit] else [])
        for scope in scopes:
            for b, v in combos:
                yearly = by_unit[(unit, b, v)]
                if scope == REST:
                    yearly = {y: yearly[y] - sum(by_unit[(c, b, v)][y] for c in children[unit])
                              for y in years}
                    if any(n < 0 for n in yearly.values()):
                        raise ValueError(f"{unit}: its provinces count more than itself "
                                         f"({b}={v}); the tree's totals do not add up")
                for y in years:
                    cells.append(Cell(unit, parent[unit] if scope == ALL_LEVELS else None,
                                      scope, str(y), b, v, yearly[y]))
                cells.append(Cell(unit, parent[unit] if scope == ALL_LEVELS else None,
                                  scope, ALL_PERIODS, b, v, sum(yearly.values())))
    return cells, names


def build_public(national: Path, warehouse_dir: Path, k: int | None = None) -> PublicBuild:
    """The public file and its exports, in a staging folder beside tiers/public/ (not yet
    published: `publish_public` renames them in after the disclosure check passed)."""
    k = k or disclosure.min_count()
    root = tiers_dir(warehouse_dir)
    root.mkdir(parents=True, exist_ok=True)
    staging_dir = candidate_dir(warehouse_dir)
    shutil.rmtree(staging_dir, ignore_errors=True)
    (staging_dir / "csv").mkdir(parents=True)
    (staging_dir / "parquet").mkdir()
    build = PublicBuild(staging_dir, k)
    (staging_dir / SOURCE_STAMP).write_text(json.dumps(source_signature(national)))
    con = duckdb.connect()
    con.execute(f"attach '{national}' as national (read_only)")
    try:
        cells, names = _true_cells(con)
        true = {c.key: c.value for c in cells}
        result = disclosure.suppress(cells, k)
        build.cells, build.primary, build.secondary = len(cells), result.primary, result.secondary
        con.execute(f"attach '{staging_dir / PUBLIC_FILE}' as public")
        con.execute("create schema public.aggregates")
        create_table(con, "public.aggregates.discipline_counts", COUNT_COLUMNS,
                      [(c.unit_code, names[c.unit_code][0], names[c.unit_code][1],
                        c.parent_code, c.scope, c.period, c.breakdown, c.breakdown_value,
                        c.value, c.reason) for c in cells])
        _rates(con, cells, true)
        _published_figures(con, k)
        con.execute("detach public")
        con.execute(f"attach '{staging_dir / PUBLIC_FILE}' as public (read_only)")
        for table in PUBLIC_TABLES:
            build.tables[table] = con.execute(
                f"select count(*) from public.aggregates.{table}").fetchone()[0]
            con.execute(f"copy public.aggregates.{table} to '{staging_dir / 'csv' / table}.csv' "
                        "(header)")
            con.execute(f"copy public.aggregates.{table} to "
                        f"'{staging_dir / 'parquet' / table}.parquet' (format parquet)")
        con.execute("detach public")
    except BaseException:
        con.close()
        shutil.rmtree(staging_dir, ignore_errors=True)
        raise
    con.close()
    return build


def _rates(con, cells: list[Cell], true: dict) -> None:
    """Rates, shares and year-on-year changes of each unit and year (all levels), published
    only where every count they come from is published."""
    shown = {c.key: c.value for c in cells}
    members = {(u, y): (n, d) for u, y, n, d in con.execute(
        "select unit_code, decision_year, members_in_unit, members_as_of "
        "from national.marts.mart_discipline_unit_year where structure = 'current'").fetchall()}
    rows = []
    for c in cells:
        if c.scope != ALL_LEVELS or c.period == ALL_PERIODS or c.breakdown != TOTAL:
            continue
        year = int(c.period)
        total = c.value
        members_in_unit, as_of = members.get((c.unit_code, year), (None, None))
        expulsions = shown.get((c.unit_code, ALL_LEVELS, c.period, "discipline_form",
                                "expulsion"))
        corruption = shown.get((c.unit_code, ALL_LEVELS, c.period, "violation_category",
                                "corruption"))
        previous_key = (c.unit_code, ALL_LEVELS, str(year - 1), TOTAL, TOTAL)
        previous = shown.get(previous_key) if previous_key in shown else None
        rate = (round(total * 1000 / members_in_unit, 3)
                if total is not None and members_in_unit else None)
        change = total - previous if total is not None and previous is not None else None
        rows.append((c.unit_code, year, total, members_in_unit, as_of, rate,
                     _share(expulsions, total), _share(corruption, total), change,
                     round(change / previous, 4) if change is not None and previous else None,
                     c.reason))
    create_table(con, "public.aggregates.discipline_rates", RATE_COLUMNS, rows)


# the public tables built in Python: (column, DuckDB type)
COUNT_COLUMNS = [
    ("unit_code", "varchar"), ("unit_name", "varchar"), ("level", "varchar"),
    ("parent_code", "varchar"), ("scope", "varchar"), ("period", "varchar"),
    ("breakdown", "varchar"), ("breakdown_value", "varchar"),
    ("members_disciplined", "bigint"), ("suppression_reason", "varchar")]
RATE_COLUMNS = [
    ("unit_code", "varchar"), ("decision_year", "integer"), ("members_disciplined", "bigint"),
    ("members_in_unit", "bigint"), ("members_as_of", "date"),
    ("members_disciplined_per_1000", "double"), ("expulsion_share", "double"),
    ("corruption_share", "double"), ("yoy_change", "bigint"), ("yoy_change_share", "double"),
    ("suppression_reason", "varchar")]


def _share(part: int | None, total: int | None) -> float | None:
    return round(part / total, 4) if part is not None and total else None


def _published_figures(con, k: int) -> None:
    """Figures published about the data (press, speeches) beside the value the records give,
    shown only when it equals the published value: then it adds nothing to what was said."""
    con.execute(f"""create table public.aggregates.published_figures as
        select figure_id, source_ref, source_title, reporting_unit_code, period_start,
               period_end, measure, subject_kind, authority_type, discipline_form,
               violation_category, channel, scope, published_value, value_qualifier,
               case when status = 'match' and not (computed_value between 1 and {k - 1})
                    then computed_value end as computed_value,
               status,
               case when status <> 'match' then 'NOT_AS_PUBLISHED'
                    when computed_value between 1 and {k - 1} then 'PRIMARY' end
                 as suppression_reason
        from national.marts.rpt_published_reconciliation
        where figure_origin = 'published' and is_current_vintage""")


def candidate_source(warehouse_dir: Path) -> dict:
    """The signature of the national file the public candidate was drawn from."""
    return json.loads((candidate_dir(warehouse_dir) / SOURCE_STAMP).read_text())


def publish_public(build: PublicBuild, warehouse_dir: Path) -> Path:
    """Rename the checked public file and its exports into tiers/public/, each file at once."""
    target = public_dir(warehouse_dir)
    for sub in ("csv", "parquet"):
        (target / sub).mkdir(parents=True, exist_ok=True)
    for table in PUBLIC_TABLES:
        for sub, ext in (("csv", "csv"), ("parquet", "parquet")):
            _swap(build.staging_dir / sub / f"{table}.{ext}", target / sub / f"{table}.{ext}",
                  PUBLIC_MODE)
    _swap(build.staging_dir / PUBLIC_FILE, target / PUBLIC_FILE, PUBLIC_MODE)
    shutil.rmtree(build.staging_dir, ignore_errors=True)
    return target / PUBLIC_FILE


def discard_public(build: PublicBuild) -> None:
    shutil.rmtree(build.staging_dir, ignore_errors=True)


def remove_stale_staging(warehouse_dir: Path) -> None:
    root = tiers_dir(warehouse_dir)
    shutil.rmtree(candidate_dir(warehouse_dir), ignore_errors=True)
    for path in (root / "provinces").glob(f"*/.{PROVINCE_FILE}.*.tmp*"):
        path.unlink(missing_ok=True)
